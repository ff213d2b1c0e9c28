"""Contacts' accounts: sign-up, sign-in, passwords and sign-in links (``_accounts``), portal
invitations (``_invitations``, INV), changes of email (``_email_change``) and staff sessions
(``_staff_sessions``).

The names below are the package's public surface (each loaded from its private module
when first used); the modules themselves are private."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core.lazy import exports

if TYPE_CHECKING:
    from ._accounts import (
        LOGIN_LINK_ANSWER,
        LOGINS_PER_CLIENT,
        RESET_ANSWER,
        SESSION_LIFETIME,
        TOO_MANY_LINKS,
        Accounts,
        Session,
    )
    from ._email_change import (
        LINK_LIFETIME,
        EmailChanges,
    )
    from ._invitations import (
        CHUNK,
        BulkResult,
        Invitations,
        Skipped,
    )
    from ._staff_sessions import (
        StaffSessions,
    )

__all__ = [
    "Accounts",
    "BulkResult",
    "CHUNK",
    "EmailChanges",
    "Invitations",
    "LINK_LIFETIME",
    "LOGINS_PER_CLIENT",
    "LOGIN_LINK_ANSWER",
    "RESET_ANSWER",
    "SESSION_LIFETIME",
    "Session",
    "Skipped",
    "StaffSessions",
    "TOO_MANY_LINKS",
]

exports(
    __name__,
    {
        "Accounts": "_accounts",
        "LOGINS_PER_CLIENT": "_accounts",
        "LOGIN_LINK_ANSWER": "_accounts",
        "RESET_ANSWER": "_accounts",
        "SESSION_LIFETIME": "_accounts",
        "Session": "_accounts",
        "TOO_MANY_LINKS": "_accounts",
        "BulkResult": "_invitations",
        "CHUNK": "_invitations",
        "Invitations": "_invitations",
        "Skipped": "_invitations",
        "EmailChanges": "_email_change",
        "LINK_LIFETIME": "_email_change",
        "StaffSessions": "_staff_sessions",
    },
)
