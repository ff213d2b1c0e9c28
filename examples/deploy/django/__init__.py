"""The Django reference host in production (docs/deploy.md)."""
