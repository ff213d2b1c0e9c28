"""Uploaded files: checked, typed by their content, kept in the file store, referenced by records.

A host hands portalkit an :class:`Upload` (name, bytes, the type the browser claimed). Its type
is what its bytes are (``filetype``'s magic numbers; text is UTF-8 without control bytes), not
what the browser said, and must be one the company allows. Quotas: a file's size, the files of
one issue, and everything one contact ever uploaded. An :class:`Attachment` record keeps the
name, type, size and key; the bytes are read only when someone opens the file.

A stored name ends in an extension of the type the bytes are (:func:`typed_filename`): kept when
it already does (``photo.JPG`` for a JPEG), else the type's extension is added, so ``page.html``
holding text is kept as ``page.html.txt`` and a PNG named ``x.svg`` as ``x.svg.png``; no browser
or desktop opens a file as what its name claims rather than what it is.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
import filetype

from .. import inputs
from ..errors import NotFound, ValidationError
from ..i18n import _, ngettext
from ..models import Attachment, Counter
from ..ports import FileStore, Storage
from ..settings import Settings

MAX_FILENAME = 200
LOGO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_LOGO_BYTES = 2 * 1024 * 1024
EXTENSIONS: dict[str, tuple[str, ...]] = {  # by sniffed type; the first is added to a name that has none of them
    "text/plain": (".txt",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "application/octet-stream": (".bin",),
}


@attrs.frozen(kw_only=True)
class Upload:
    """A file as the host received it from a form."""

    filename: str
    data: bytes
    content_type: str = ""  # what the browser claimed; the bytes decide


def sniff(data: bytes) -> str:
    """The content type the bytes really are, or ``application/octet-stream``."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return str(kind.mime)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    printable = all(c.isprintable() or c in "\t\r\n\f" for c in text)
    return "text/plain" if printable else "application/octet-stream"


def extensions(content_type: str) -> tuple[str, ...]:
    """The file-name extensions of a sniffed type: ``EXTENSIONS``, else ``filetype``'s, else ``.bin``."""
    if content_type in EXTENSIONS:
        return EXTENSIONS[content_type]
    kind = filetype.get_type(mime=content_type)
    return (f".{kind.extension}",) if kind is not None else (".bin",)


def typed_filename(name: str, content_type: str, max_length: int = MAX_FILENAME) -> str:
    """``name`` ending in an extension of ``content_type`` (what the bytes are): kept when it
    does, else with the type's extension added (``page.html`` of text -> ``page.html.txt``); cut
    before the extension to stay within ``max_length``."""
    allowed = extensions(content_type)
    if name.lower().endswith(allowed) and len(name) <= max_length:
        return name
    return name[: max_length - len(allowed[0])] + allowed[0]


def safe_filename(value: object) -> str:
    """A file name without a path or a leading dot."""
    name = inputs.text(value, "filename", max_length=MAX_FILENAME).replace("/", "_").replace("\\", "_")
    return name.lstrip(".") or "file"


class Files:
    def __init__(self, store: FileStore, storage: Storage, settings: Settings):
        self._store, self._storage, self._settings = store, storage, settings

    @property
    def _namespace(self) -> str:
        return self._settings.current.company_id

    def check(self, uploads: Iterable[Upload], limit: int, *, room: int | None = None) -> list[tuple[Upload, str]]:
        """Each upload with its sniffed type, or ``ValidationError`` (nothing is stored)."""
        config = self._settings.current
        files = inputs.items(uploads, "attachments")
        if len(files) > limit:
            raise ValidationError(
                ngettext("Attach at most %(count)d file.", "Attach at most %(count)d files.", limit) % {"count": limit},
                field="attachments",
            )
        checked, total = [], 0
        for upload in files:
            if not isinstance(upload, Upload) or not isinstance(upload.data, bytes):
                raise ValidationError(_("Attachments must be files."), field="attachments")
            name = safe_filename(upload.filename)
            if not upload.data or len(upload.data) > config.max_attachment_bytes:
                raise ValidationError(
                    _("%(name)s: a file must be between 1 byte and %(megabytes)d MB.")
                    % {"name": name, "megabytes": config.max_attachment_bytes // (1024 * 1024)},
                    field="attachments",
                )
            kind = sniff(upload.data)
            if kind not in config.allowed_attachment_types:
                raise ValidationError(
                    _("%(name)s: files of this type cannot be attached.") % {"name": name}, field="attachments"
                )
            total += len(upload.data)
            checked.append((attrs.evolve(upload, filename=typed_filename(name, kind)), kind))
        if room is not None and total > room:
            raise ValidationError(
                _("These files are too large: there is room for %(kilobytes)d KB more.") % {"kilobytes": room // 1024},
                field="attachments",
            )
        return checked

    def save(
        self, checked: list[tuple[Upload, str]], issue_id: str, comment_id: str | None = None, *, shared: bool = True
    ) -> tuple[Attachment, ...]:
        """Write the bytes to the file store; the caller inserts the references it gets back
        (with the issue or comment, in its transaction)."""
        return tuple(
            Attachment(
                issue_id=issue_id,
                comment_id=comment_id,
                position=n,
                filename=u.filename,
                content_type=kind,
                file_key=self._store.put(self._namespace, u.data),
                size=len(u.data),
                shared=shared,
            )
            for n, (u, kind) in enumerate(checked)
        )

    def count_upload(self, uploader_id: str, attachments: tuple[Attachment, ...]) -> None:
        """Charge the files to the uploader's quota, inside the caller's transaction."""
        self.count_bytes(uploader_id, sum(a.size for a in attachments))

    def count_bytes(self, uploader_id: str, size: int) -> None:
        """Charge ``size`` bytes of uploads to the uploader's quota, inside the caller's transaction."""
        if not size:
            return
        key = f"{self._namespace}:uploaded:{uploader_id}"
        counter = self._storage.get(Counter, key) or self._storage.insert(Counter(id=key))
        if counter.value + size > self._settings.current.max_contact_upload_bytes:
            raise ValidationError(
                _("You have reached your upload limit; please contact us to send more files."), field="attachments"
            )
        self._storage.update(attrs.evolve(counter, value=counter.value + size))

    def read(self, attachment: Attachment) -> bytes:
        data = self._store.get(self._namespace, attachment.file_key)
        if data is None:
            raise NotFound(_("This file is no longer available."))
        return data

    @staticmethod
    def check_logo(data: object) -> bytes:
        """BRD-1: a logo is a PNG, JPEG, GIF or WebP image of at most 2 MB (nothing is stored)."""
        if not isinstance(data, bytes):
            raise ValidationError(_("The logo must be a file."), field="logo")
        if len(data) > MAX_LOGO_BYTES or sniff(data) not in LOGO_TYPES:
            raise ValidationError(_("The logo must be a PNG, JPEG, GIF or WebP image of at most 2 MB."), field="logo")
        return data

    def save_logo(self, upload: Upload) -> str:
        """BRD-1: the company's logo into the file store; its key."""
        if not isinstance(upload, Upload):
            raise ValidationError(_("The logo must be a file."), field="logo")
        return self.put(self.check_logo(upload.data))

    def logo(self, key: str) -> tuple[bytes, str]:
        """The logo stored under ``key`` and its type; ``NotFound`` unless it is the company's
        current logo."""
        if not key or key != self._settings.current.branding.logo_key:
            raise NotFound(_("No such logo."))
        data = self.get(key)
        if data is None:
            raise NotFound(_("No such logo."))
        return data, sniff(data)

    def put(self, data: bytes) -> str:
        """Bytes the portal made itself (a drawn signature), by key."""
        return self._store.put(self._namespace, data)

    def get(self, key: str) -> bytes | None:
        return self._store.get(self._namespace, key)
