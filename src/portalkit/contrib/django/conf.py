"""The host's portal, built once from ``settings.PORTALKIT["PORTAL"]``."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from ...portal import Portal

_lock = threading.Lock()
_portal: Portal | None = None


def options() -> dict[str, Any]:
    value = getattr(settings, "PORTALKIT", None)
    return dict(value) if isinstance(value, dict) else {}


def get_portal() -> Portal:
    """The portal ``PORTALKIT["PORTAL"]`` builds (a dotted path to a callable), built on first use."""
    global _portal
    with _lock:
        if _portal is None:
            factory = import_string(options()["PORTAL"])
            built = factory()
            if not isinstance(built, Portal):
                raise TypeError(f'PORTALKIT["PORTAL"] returned {type(built).__name__}, not a portalkit.Portal')
            _portal = built
        return _portal


def reset_portal() -> None:
    """Forget the built portal (tests that change ``PORTALKIT``)."""
    global _portal
    with _lock:
        _portal = None
