"""Builds the demo portal both reference hosts serve: SQLite by default, demo data, fake processor."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import attrs

from portalkit import AdapterPlugin, Branding, Portal, PortalConfig
from portalkit.adapters.files import LocalFileStore
from portalkit.adapters.payments import FakeProcessor
from portalkit.adapters.sql import SqlStorage

from .demo import DemoPages, settles_on_demand
from .mail import DemoMailer, DemoTextMessenger
from .seed import seed

INSTANCE = Path(os.environ.get("PORTALKIT_INSTANCE", Path.cwd() / "instance"))
STAFF_EMAIL = "manager@greenacres.example"
DEFAULT_STAFF_PASSWORD = "staff-demo-2026"


def secret_key(name: str = "secret.key") -> str:
    """``PORTALKIT_SECRET_KEY``, or a random key kept in the instance folder."""
    if os.environ.get("PORTALKIT_SECRET_KEY"):
        return os.environ["PORTALKIT_SECRET_KEY"]
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_config(base_url: str, **changes: object) -> PortalConfig:
    config = PortalConfig(
        enabled=True,
        company_name="Green Acres Landscaping",
        base_url=base_url,
        domain="greenacres",
        sender_email=os.environ.get("PORTALKIT_SENDER_EMAIL", "portal@greenacres.example"),
        convenience_fee_percent="3.00",  # the demo company registered a card surcharge; the library's default is none
        time_zone="America/Chicago",
        job_notification_emails={
            "Maintenance": ["ops@greenacres.example"],
            "Irrigation repair": ["irrigation@greenacres.example"],
            "Tree care": ["ops@greenacres.example"],
            "*": ["owner@greenacres.example"],
        },
        bcrypt_rounds=int(os.environ.get("PORTALKIT_BCRYPT_ROUNDS", "12")),
        branding=Branding(
            title="Green Acres Customer Portal",
            page_text="See your invoices, proposals and issues.",
            nav_bar_colour="#2E5E3A",
            button_colour="#2E6B31",
            dashboard_text="Questions? Call us at 555-0100.",
        ),
    )
    return attrs.evolve(config, **changes)


def processor() -> Any:
    """Stripe when the ``STRIPE_*`` settings are in the environment (the adapter's README; with
    ``STRIPE_API_BASE`` for localstripe), the fake processor otherwise."""
    if not os.environ.get("STRIPE_API_KEY"):
        return FakeProcessor()
    from portalkit_stripe.plugin import processor_from_environment

    return processor_from_environment()


def text_messenger() -> Any:
    """Twilio when the ``TWILIO_*`` settings are in the environment (the adapter's README), else
    texts written to ./instance/texts."""
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        from portalkit_twilio.plugin import messenger_from_environment

        return messenger_from_environment()
    return DemoTextMessenger(INSTANCE / "texts")


def build_portal(
    db_url: str | None = None,
    *,
    base_url: str | None = None,
    secret: str | None = None,
    storage: Any = None,
    seeded: bool = True,
    dispatch_inline: bool = True,
    **config_changes: object,
) -> Portal:
    """A seeded demo portal on ``storage``, or on ``db_url`` (default: SQLite in ./instance),
    mail written to ./instance/mail, files in ./instance/files, the fake payment processor (with
    the staff's "Let the test processor answer now", ``demo.py``).
    ``dispatch_inline=False`` leaves delivery to a worker (production)."""
    INSTANCE.mkdir(parents=True, exist_ok=True)
    if storage is None:
        db_url = db_url or os.environ.get("PORTALKIT_DB_URL") or f"sqlite:///{INSTANCE / 'portal.sqlite3'}"
        storage = SqlStorage(db_url)
    base_url = base_url or os.environ.get("PORTALKIT_BASE_URL", "http://127.0.0.1:5000/portal")
    payments = processor()
    adapters = AdapterPlugin(
        storage=storage,
        mailer=DemoMailer(INSTANCE / "mail"),
        processor=payments,
        file_store=LocalFileStore(INSTANCE / "files"),
        texts=text_messenger(),
    )
    plugins: list[Any] = [adapters, *([DemoPages()] if settles_on_demand(payments) else [])]
    portal = Portal(
        demo_config(base_url, **config_changes),
        secret_key=secret or secret_key(),
        plugins=plugins,
        dispatch_inline=dispatch_inline,
    )
    if seeded:
        seed(portal, STAFF_EMAIL)
    return portal


def production_portal() -> Portal:
    """The portal as a deployment runs it (docs/deploy.md): everything from the environment
    (``PORTALKIT_DB_URL``, ``PORTALKIT_SECRET_KEY``, ``PORTALKIT_BASE_URL``, ``STRIPE_*``...),
    mail and events delivered by the worker (``python -m portalkit.worker --factory
    examples.common.host:production_portal``); the demo data only with ``PORTALKIT_SEED=1``."""
    return build_portal(seeded=os.environ.get("PORTALKIT_SEED") == "1", dispatch_inline=False)
