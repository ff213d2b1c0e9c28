"""Sessions, the contact and their profile, the dashboard's properties (ACC-*, VIS-*)."""

from __future__ import annotations

from typing import Literal

import attrs

from .common import Cursor, Id, Limit, Time

Section = Literal["invoices", "proposals", "issues", "reports", "jobs"]


@attrs.frozen(kw_only=True)
class Access:
    """What the contact may see and do (VIS-3, VIS-4; PRO-7; new work)."""

    sections: list[Section]
    payments: bool
    quote_requests: bool
    job_requests: bool


@attrs.frozen(kw_only=True)
class Me:
    """The signed-in contact."""

    id: Id
    first_name: str
    last_name: str
    name: str
    email: str | None
    pending_email: str | None
    language: str
    receipts: bool
    access: Access


@attrs.frozen(kw_only=True)
class Session:
    """A signed-in session. ``token`` is the bearer token (null for a cookie client, whose
    session is the framework's cookie); it stops working at logout, at a password change, or
    12 hours after it was issued (``expires_at``)."""

    token: str | None
    expires_at: Time
    contact: Me


@attrs.frozen(kw_only=True)
class CsrfToken:
    """For cookie clients: send ``token`` in the ``header`` header with every unsafe request."""

    token: str
    header: str


@attrs.frozen(kw_only=True)
class PropertyOut:
    id: Id
    name: str


@attrs.frozen(kw_only=True)
class Login:
    """``cookie``: true for a browser client that keeps the session in the framework's cookie
    (send the CSRF token); false (default) returns a bearer token."""

    email: str
    password: str
    cookie: bool = False


@attrs.frozen(kw_only=True)
class EmailOnly:
    email: str


@attrs.frozen(kw_only=True)
class LinkToken:
    """The token of a mailed sign-in link (after its ``#``), or the whole link as pasted."""

    token: str
    cookie: bool = False


@attrs.frozen(kw_only=True)
class ProfileChange:
    """Only the members sent change (ACC-7; language; PAY-7 receipts)."""

    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    receipts: bool | None = None


@attrs.frozen(kw_only=True)
class PasswordChange:
    """ACC-4: the current password, the new one typed twice; every session and token ends."""

    current: str
    password: str
    confirm: str


@attrs.frozen(kw_only=True)
class PageQuery:
    """One page of a list (API-5): ``after`` is the ``next_after`` of the page before."""

    after: Id | None = None
    limit: Limit = 50


__all__ = [
    "Access",
    "CsrfToken",
    "Cursor",
    "EmailOnly",
    "LinkToken",
    "Login",
    "Me",
    "PageQuery",
    "PasswordChange",
    "ProfileChange",
    "PropertyOut",
    "Section",
    "Session",
]
