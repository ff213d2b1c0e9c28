"""``PORTALKIT["PORTAL"]`` in production: the demo company's portal in the host's own database
(DjangoStorage), its mail through Django's ``EMAIL_BACKEND`` (DjangoMailer), Stripe when the
``STRIPE_*`` variables are set, and delivery left to the worker (``dispatch_inline=False``)."""

from __future__ import annotations

import os

from examples.common.host import INSTANCE, demo_config, processor
from portalkit import AdapterPlugin, Portal
from portalkit.adapters.files import LocalFileStore
from portalkit.adapters.payments import FakeProcessor
from portalkit.contrib.django.mail import DjangoMailer
from portalkit.contrib.django.storage import DjangoStorage


def build() -> Portal:
    adapters = AdapterPlugin(
        storage=DjangoStorage(),
        mailer=DjangoMailer(),
        processor=processor(),
        file_store=LocalFileStore(INSTANCE / "files"),
    )
    portal = Portal(
        demo_config(os.environ["PORTALKIT_BASE_URL"]),
        secret_key=os.environ["PORTALKIT_SECRET_KEY"],
        plugins=[adapters],
        dispatch_inline=False,
    )
    if isinstance(portal.processor, FakeProcessor) and os.environ.get("PORTALKIT_DEMO_PROCESSOR", "1") == "1":
        # Without Stripe, the fake processor answers each web process's own charges, as a real
        # processor's webhooks would (its charges live in the process that made them).
        portal.processor.start(portal.webhooks.receive, every_seconds=10)
    return portal
