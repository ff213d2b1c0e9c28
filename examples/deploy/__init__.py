"""Production configuration of the reference hosts (docs/deploy.md)."""
