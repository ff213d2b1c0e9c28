"""Framework-neutral web types shared by the portal's pages and the hosts that serve them."""

from __future__ import annotations

from typing import Any, Mapping, MutableMapping

import attrs

from portalkit import Attachment
from portalkit.errors import PermissionDenied, SessionExpired


@attrs.frozen(kw_only=True)
class Request:
    method: str
    path: str
    session: MutableMapping[str, Any]
    args: Mapping[str, str] = {}
    form: Mapping[str, list[str]] = {}
    files: Mapping[str, list[Attachment]] = {}  # uploaded files, by form field
    ip: str = "127.0.0.1"

    def arg(self, name: str, default: str = "") -> str:
        return self.args.get(name, default) or default

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name) or [default]
        return values[0]

    def fields(self, name: str) -> list[str]:
        return list(self.form.get(name, []))

    def uploads(self, name: str) -> list[Attachment]:
        return [u for u in self.files.get(name, []) if u.filename]


@attrs.frozen
class Response:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


class DemoMailer:
    """Keeps the last mails so the demo's staff can read them at /staff/mail."""

    def __init__(self, keep: int = 500):
        self.mails: list = []
        self.keep = keep

    def send(self, mail) -> None:
        self.mails = (self.mails + [mail])[-self.keep:]


def redirect(location: str) -> Response:
    return Response(status=303, headers=(("Location", location),))



class StaffLoginRequired(SessionExpired):
    """The page needs a staff login."""


class CsrfRejected(PermissionDenied):
    public_message = "Your form has expired. Please go back, reload the page and try again."


def choice(enum_cls, value: str, default: Any = "first") -> Any:
    for member in enum_cls:
        if member.value == value or member.name == value:
            return member
    return list(enum_cls)[0] if default == "first" else default


def to_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0
