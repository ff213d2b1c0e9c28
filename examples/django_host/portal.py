"""``PORTALKIT["PORTAL"]``: the demo portal in the host's own database (Django's ORM); its seed
data is written after ``manage.py migrate`` made the tables (apps.py)."""

import os

from portalkit import Portal
from portalkit.contrib.django.storage import DjangoStorage

from ..common.host import build_portal


def build() -> Portal:
    portal = build_portal(
        storage=DjangoStorage(),
        seeded=False,
        base_url=os.environ.get("PORTALKIT_BASE_URL", "http://127.0.0.1:8000/portal"),
    )
    if hasattr(portal.processor, "start") and os.environ.get("PORTALKIT_DEMO_PROCESSOR", "1") == "1":
        # the demo's fake processor answers on its own, as a real one's webhooks would
        portal.processor.start(portal.payments.handle_webhook, every_seconds=10)
    return portal
