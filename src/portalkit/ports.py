"""The adapter interfaces a host supplies through the pluggy hooks in :mod:`portalkit.hookspecs`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Iterable, Protocol, TypeVar, runtime_checkable

import attrs

from .inputs import one_line

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class Mail:
    """One outgoing message. ``html`` is optional; ``text`` is always there. The subject is
    always one line: every line break or control character in it becomes a space (INV-5)."""

    to: tuple[str, ...]
    subject: str = attrs.field(converter=one_line)
    text: str
    html: str | None = None
    sender: str | None = None
    reply_to: str | None = None
    message_id: str | None = None


@runtime_checkable
class Storage(Protocol):
    """Record storage. Every portal operation runs inside one ``transaction()``.

    - ``transaction()`` nests: an inner one joins the outer; the outermost commits or rolls
      back everything.
    - ``insert`` refuses a duplicate id or unique value with :class:`portalkit.errors.Conflict`.
    - ``update`` is compare-and-swap on ``version``: it stores ``record`` with ``version + 1``
      only if the stored version equals ``record.version``, else raises ``Conflict``.
    - ``find`` filters on equality of scalar fields.
    - ``get_many`` returns the records found, by id; ``insert_many`` inserts a batch and,
      with ``skip_existing``, silently skips records whose id or unique value is taken;
      ``update_many`` is ``update`` for a batch of one type: all of them, or ``Conflict``;
      ``delete_many`` removes the records of those ids that exist.
    """

    def transaction(self) -> AbstractContextManager[None]: ...
    def get(self, cls: type[T], id: str) -> T | None: ...
    def get_many(self, cls: type[T], ids: Iterable[str]) -> dict[str, T]: ...
    def find(self, cls: type[T], **where: Any) -> list[T]: ...
    def insert(self, record: T) -> T: ...
    def insert_many(self, records: Iterable[Any], *, skip_existing: bool = False) -> None: ...
    def update(self, record: T) -> T: ...
    def update_many(self, records: list[T]) -> list[T]: ...
    def delete_many(self, cls: type, ids: Iterable[str]) -> None: ...


@runtime_checkable
class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


@runtime_checkable
class PdfRenderer(Protocol):
    def render_invoice(self, invoice: Any, context: dict[str, Any]) -> bytes: ...
    def render_proposal(self, proposal: Any, context: dict[str, Any]) -> bytes: ...


@runtime_checkable
class PaymentProcessor(Protocol):
    """Takes a charge and answers later: the host calls ``portal.payments.settle`` when it does."""

    def submit(self, payment: Any, method: Any) -> str:
        """Start the charge; return the processor's reference. Raise to refuse it at once."""
        ...


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime: ...
