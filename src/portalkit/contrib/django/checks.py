"""System checks (``manage.py check``): PORTALKIT set, the portal buildable, cookies safe."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from ...errors import ConfigurationError
from .conf import get_portal, options


@register(Tags.security, "portalkit")
def check_portalkit(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not options().get("PORTAL"):
        return [
            Error(
                'settings.PORTALKIT = {"PORTAL": "..."} is not set',
                hint='Point it at a callable returning a portalkit.Portal, e.g. "myapp.portal.build" '
                '(or "portalkit.testing.make_portal" to try things out).',
                id="portalkit.E001",
            )
        ]
    try:
        get_portal()
    except ImportError as exc:
        return [Error(f'PORTALKIT["PORTAL"] cannot be imported: {exc}', id="portalkit.E002")]
    except ConfigurationError as exc:
        return [
            Error(
                f"The portal is not set up correctly: {exc}",
                hint="A storage, mailer and payment processor plugin and a secret of 16+ characters "
                "are required; see docs/hooks.md.",
                id="portalkit.E003",
            )
        ]
    problems: list[CheckMessage] = []
    if "django.middleware.csrf.CsrfViewMiddleware" not in settings.MIDDLEWARE:
        problems.append(Error("portalkit's pages need django.middleware.csrf.CsrfViewMiddleware", id="portalkit.E004"))
    if not settings.DEBUG and not settings.SESSION_COOKIE_SECURE:
        problems.append(
            Warning("SESSION_COOKIE_SECURE is off: portal sessions would travel over plain HTTP", id="portalkit.W001")
        )
    problems += _sqlite_writers_queue()
    return problems


def _sqlite_writers_queue() -> list[CheckMessage]:
    """DjangoStorage on SQLite needs writers to take the lock up front, as SqlStorage does."""
    from .storage import DjangoStorage

    storage = getattr(get_portal(), "shared_storage", None)
    if not isinstance(storage, DjangoStorage):
        return []
    database = settings.DATABASES[storage.using]
    if "sqlite" in database["ENGINE"] and database.get("OPTIONS", {}).get("transaction_mode") != "IMMEDIATE":
        return [
            Warning(
                "DjangoStorage on SQLite: concurrent portal writes fail with 'database is locked'",
                hint='Add "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30} to the database.',
                id="portalkit.W002",
            )
        ]
    return []
