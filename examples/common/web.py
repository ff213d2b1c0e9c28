"""Framework-neutral web types shared by the portal's pages and the hosts that serve them."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path
from typing import Any, Mapping, MutableMapping

import attrs

from portalkit import Attachment
from portalkit.adapters.smtp import SmtpMailer
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
    """The demo's mail: each message is written to ``folder`` as an ``.eml`` file (the way
    Django's file e-mail backend does), for the person running the demo to open, and the last
    ones are kept for the staff Mail page, which hides personal links."""

    def __init__(self, folder: Path | None = None, keep: int = 500):
        self.mails: list = []
        self.keep = keep
        self.folder = folder
        self._count = itertools.count(1)
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def send(self, mail) -> None:
        self.mails = (self.mails + [mail])[-self.keep:]
        if self.folder is not None:
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(self._count):05d}.eml"
            (self.folder / name).write_bytes(SmtpMailer("localhost").build(mail).as_bytes())


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
