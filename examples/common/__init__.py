"""What the two reference hosts share: the demo portal's factory, its demo mail and seed data."""
