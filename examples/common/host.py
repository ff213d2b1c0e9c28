"""Builds the demo portal both reference hosts serve: SQLite by default, demo data, fake processor."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import attrs

from portalkit import Branding, Portal, PortalConfig
from portalkit.adapters.payments import FakeProcessor
from portalkit.plugins import AdapterPlugin
from portalkit.adapters.sql import SqlStorage

from .seed import STAFF_EMAIL, seed
from .site import DemoMailer, PortalSite

INSTANCE = Path(os.environ.get("PORTALKIT_INSTANCE", Path.cwd() / "instance"))
DEFAULT_STAFF_PASSWORD = "staff-demo-2026"


def _secret_key() -> str:
    if os.environ.get("PORTALKIT_SECRET_KEY"):
        return os.environ["PORTALKIT_SECRET_KEY"]
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_config(base_url: str, **changes) -> PortalConfig:
    config = PortalConfig(
        enabled=True,
        company_name="Green Acres Landscaping",
        base_url=base_url,
        domain="greenacres",
        bcrypt_rounds=int(os.environ.get("PORTALKIT_BCRYPT_ROUNDS", "12")),
        branding=Branding(title="Green Acres Customer Portal", page_text="See your invoices, proposals and issues.",
                          nav_bar_colour="#2E5E3A", button_colour="#3C8D40",
                          dashboard_text="Questions? Call us at 555-0100."),
    )
    return attrs.evolve(config, **changes)


def build_site(db_url: str | None = None, *, base_url: str = "http://127.0.0.1:5000", secret_key: str | None = None,
               staff_password: str | None = None, **config_changes) -> PortalSite:
    """A seeded portal site on ``db_url`` (default: SQLite file in ./instance)."""
    if db_url is None:
        INSTANCE.mkdir(parents=True, exist_ok=True)
        db_url = os.environ.get("PORTALKIT_DB_URL", f"sqlite:///{INSTANCE / 'portal.sqlite3'}")
    adapters = AdapterPlugin(storage=SqlStorage(db_url), mailer=DemoMailer(INSTANCE / "mail"), processor=FakeProcessor())
    secret_key = secret_key or _secret_key()
    portal = Portal(demo_config(base_url, **config_changes), secret_key=secret_key, plugins=[adapters])
    seed(portal)
    password = staff_password or os.environ.get("PORTALKIT_STAFF_PASSWORD", DEFAULT_STAFF_PASSWORD)
    return PortalSite(portal, staff_password=password, mailer=adapters.mailer, secret_key=secret_key)


def banner(url: str, site: PortalSite) -> str:
    return (f"portalkit demo on {url}\n  customers: {url}/login (sign up from the invitation mail)\n"
            f"  staff:     {url}/staff/login as {STAFF_EMAIL} / {site.staff_password}\n"
            f"  mail:      {INSTANCE / 'mail'} (one .eml file per message)\n"
            f"  database:  {site.portal.storage.url}")
