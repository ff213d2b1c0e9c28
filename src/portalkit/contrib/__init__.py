"""Framework integrations: ``portalkit.contrib.flask`` and ``portalkit.contrib.django``."""
