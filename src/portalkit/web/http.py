"""What a page handler sees and returns; the framework glue translates both."""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

import attrs

from .._core.files import Upload, typed_filename
from ..models import Attachment, StaffUser


@attrs.frozen(kw_only=True)
class PageRequest:
    """One request, as the glue hands it over. ``session`` is the framework's own session;
    ``staff`` is the host's signed-in staff user mapped to portalkit permissions, if any;
    ``native`` is the framework's own request, for the glue's callbacks only."""

    method: str
    session: MutableMapping[str, Any]
    args: Mapping[str, str] = {}
    form: Mapping[str, list[str]] = {}
    files: Mapping[str, list[Upload]] = {}
    ip: str = ""
    staff: StaffUser | None = None
    headers: Mapping[str, str] = {}
    body: bytes = b""
    host_language: str = ""  # the host framework's choice for this visitor (Django's LocaleMiddleware)
    url: str = ""  # the full URL as requested (after the host's proxy handling): webhooks sign it
    native: Any = None

    def arg(self, name: str, default: str = "") -> str:
        return self.args.get(name, default) or default

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name) or [default]
        return values[0]

    def fields(self, name: str) -> list[str]:
        return list(self.form.get(name, []))

    def uploads(self, name: str) -> list[Upload]:
        return [u for u in self.files.get(name, []) if u.filename]


@attrs.frozen
class Page:
    """Render ``template`` with ``context`` (the glue adds the portal, branding, CSRF and URLs)."""

    template: str
    context: Mapping[str, Any] = {}
    status: int = 200


@attrs.frozen
class Redirect:
    """See other: the glue builds the URL of ``endpoint`` with ``params``.

    ``session`` tells the glue what a login or logout did: ``"rotate"`` gives the visitor a new
    session id (no fixation), ``"end"`` ends the framework session on the server.
    """

    endpoint: str
    params: Mapping[str, Any] = {}
    session: str | None = None


@attrs.frozen
class Reply:
    """A plain answer for a machine (a webhook's sender), not a page."""

    body: bytes
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"


@attrs.frozen
class FileResponse:
    data: bytes
    content_type: str
    filename: str
    inline: bool = True


Result = Page | Redirect | FileResponse | Reply

INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")
DOWNLOAD_TYPES = {"text/plain": "text/plain; charset=utf-8"}  # served as; any other type as bytes


def attachment_response(attachment: Attachment, data: bytes) -> FileResponse:
    """An issue's file: images and PDFs shown inline (their type was sniffed from their bytes),
    text downloaded as UTF-8 plain text, anything else downloaded as bytes. The name is reduced
    to safe ASCII characters and ends in an extension of the sniffed type (also for a file
    stored before names were typed: ``page.html`` of text is downloaded as ``page.html.txt``)."""
    return file_response(attachment.filename, attachment.content_type, data)


def file_response(filename: str, kind: str, data: bytes) -> FileResponse:
    """A stored file by its sniffed type ``kind``, as ``attachment_response`` serves an issue's."""
    inline = kind in INLINE_TYPES
    name = typed_filename(re.sub(r"[^\w.\-]", "_", filename, flags=re.ASCII), kind, max_length=100)
    return FileResponse(data, kind if inline else DOWNLOAD_TYPES.get(kind, "application/octet-stream"), name, inline)
