"""The Flask reference host in production (docs/deploy.md)."""
