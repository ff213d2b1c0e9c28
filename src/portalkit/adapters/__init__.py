"""Real adapters for the hooks in :mod:`portalkit.hookspecs`."""
