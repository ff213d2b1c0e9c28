"""``PORTALKIT["PORTAL"]``: the demo portal on SQLite with its seed data."""

import os

from portalkit import Portal

from ..common.host import build_portal


def build() -> Portal:
    return build_portal(base_url=os.environ.get("PORTALKIT_BASE_URL", "http://127.0.0.1:8000/portal"))
