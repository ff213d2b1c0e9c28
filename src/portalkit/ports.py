"""The adapter interfaces a host supplies through the pluggy hooks in :mod:`portalkit.hookspecs`."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar, runtime_checkable

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


def _as_tuple(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(values)


@attrs.frozen
class In:
    """A query condition: the field's value is one of ``values``."""

    values: tuple[Any, ...] = attrs.field(converter=_as_tuple)


@attrs.frozen
class AtLeast:
    """A query condition: the field's value is ``value`` or more."""

    value: Any


@attrs.frozen
class Not:
    """A query condition: the field's value is not ``value`` (``Not(None)``: it has a value)."""

    value: Any


Condition = In | AtLeast | Not


def condition_kind(value: Any) -> str:
    """The kind of a ``where`` value (a condition, ``None`` or a plain value): what a storage's
    cached query shape is keyed on."""
    if isinstance(value, In):
        return "in"
    if isinstance(value, AtLeast):
        return "at_least"
    if isinstance(value, Not):
        return "not_null" if value.value is None else "not"
    return "null" if value is None else "eq"


def satisfies(value: Any, wanted: Any) -> bool:
    """Whether a stored ``value`` meets one ``find`` condition as SQL applies it: ``In``,
    ``AtLeast`` and ``Not`` never match a missing value; ``None`` is IS NULL."""
    if isinstance(wanted, In):
        return value in wanted.values
    if isinstance(wanted, AtLeast):
        return value is not None and value >= wanted.value
    if isinstance(wanted, Not):
        return value is not None and value != wanted.value
    return bool(value == wanted)


@runtime_checkable
class Storage(Protocol):
    """Record storage. Every portal operation runs inside one ``transaction()``.

    - ``transaction()`` nests: an inner one joins the outer; the outermost commits or rolls
      back everything.
    - ``insert`` refuses a duplicate id or unique value with :class:`portalkit.errors.Conflict`.
    - ``update`` is compare-and-swap on ``version``: it stores ``record`` with ``version + 1``
      only if the stored version equals ``record.version``, else raises ``Conflict``.
    - ``find`` filters on scalar fields: a plain value is equality (``None``: IS NULL), or one
      of the conditions ``In``, ``AtLeast`` and ``Not``.
    - ``page`` is ``find`` ordered by ``order`` and then ``id`` (all ascending, or all
      descending), starting after the record ``after`` and returning at most ``limit``
      records: keyset pagination, so a page costs the same at any depth.
    - ``get_many`` returns the records found, by id; ``insert_many`` inserts a batch and,
      with ``skip_existing``, silently skips records whose id or unique value is taken;
      ``update_many`` is ``update`` for a batch of one type: all of them, or ``Conflict``;
      ``delete_many`` removes the records of those ids that exist.

    A storage may also offer ``reading()``: a context in which reads outside transactions share
    one connection (``portalkit.adapters.sql.SqlStorage`` does); ``reading(storage)`` opens it
    where there is one.
    """

    def transaction(self) -> AbstractContextManager[None]: ...
    def get(self, cls: type[T], id: str) -> T | None: ...
    def get_many(self, cls: type[T], ids: Iterable[str]) -> dict[str, T]: ...
    def find(self, cls: type[T], **where: Any) -> list[T]: ...
    def page(
        self,
        cls: type[T],
        *,
        order: Sequence[str],
        limit: int,
        descending: bool = False,
        after: T | None = None,
        **where: Any,
    ) -> list[T]: ...
    def insert(self, record: T) -> T: ...
    def insert_many(self, records: Iterable[Any], *, skip_existing: bool = False) -> None: ...
    def update(self, record: T) -> T: ...
    def update_many(self, records: list[T]) -> list[T]: ...
    def delete_many(self, cls: type, ids: Iterable[str]) -> None: ...


@attrs.frozen
class Ref:
    """In ``expect``: the id held in ``field`` of the record expected at ``index`` (a login
    session's contact, an invoice's property)."""

    index: int
    field: str


def expect(storage: object, wanted: Sequence[tuple[type, str | Ref]]) -> AbstractContextManager[None]:
    """``with expect(storage, wanted):`` tells a storage which records by id (or by a ``Ref`` to
    an earlier one's field) the ``with`` block is about to ``get``, where it can read them
    together: the first ``get`` of any of them reads them all in one statement, and each later
    ``get`` of one of them takes the record read then, once; what is not taken is forgotten when
    the block ends. A storage that cannot is not told (each is read by its own ``get``). Nothing
    is read unless one of them is asked for, so a caller may expect what it might not need."""
    told = getattr(storage, "expect", None)
    return told(list(wanted)) if told is not None and wanted else nullcontext()


def reading(storage: object) -> AbstractContextManager[None]:
    """``storage.reading()`` where the storage offers it (a block's reads on one connection),
    else nothing."""
    opened = getattr(storage, "reading", None)
    return opened() if opened is not None else nullcontext()


@runtime_checkable
class FileStore(Protocol):
    """Bytes of uploaded files (attachments, signatures, logos, reports), kept apart from records.

    Content-addressed within a namespace (the company): ``put`` returns the key (the SHA-256 of
    the bytes) and storing the same bytes twice keeps one copy; ``get`` returns the bytes or
    ``None``. Records hold the key only, so no list ever loads file bytes.
    """

    def put(self, namespace: str, data: bytes) -> str: ...
    def get(self, namespace: str, key: str) -> bytes | None: ...


@runtime_checkable
class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


@runtime_checkable
class PdfRenderer(Protocol):
    def render_invoice(self, invoice: Any, context: dict[str, Any]) -> bytes: ...
    def render_proposal(self, proposal: Any, context: dict[str, Any]) -> bytes: ...
    def render_statement(self, statement: Any, context: dict[str, Any]) -> bytes: ...


class ChargeStatus(enum.Enum):
    """What the processor says of a charge (Stripe's PaymentIntent statuses, simplified)."""

    REQUIRES_ACTION = "requires_action"  # 3-D Secure: finished by the customer in the browser
    PROCESSING = "processing"  # bank debits take days
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@attrs.frozen(kw_only=True)
class MethodDetails:
    """A payment method as the processor tokenized it: never a card or account number."""

    token: str
    kind: str  # "card" or "ach"
    last4: str
    brand: str = ""  # "visa", ... for cards; the bank's name for ACH
    exp_month: int | None = None
    exp_year: int | None = None
    funding: str = ""  # "credit", "debit" or "prepaid" for cards


@attrs.frozen(kw_only=True)
class ChargeRequest:
    """One charge. ``idempotency_key`` is the payment's own: a retried call charges once."""

    payment_id: str
    amount: Decimal  # what the customer pays, fee included
    currency: str
    customer_ref: str
    method_token: str
    idempotency_key: str
    description: str = ""


@attrs.frozen(kw_only=True)
class ChargeOutcome:
    ref: str
    status: ChargeStatus
    failure_reason: str = ""
    action_secret: str = ""  # for REQUIRES_ACTION: the client secret the browser confirms with


@attrs.frozen(kw_only=True)
class ProcessorEvent:
    """A verified webhook. ``id`` is the processor's event id (events are applied once each);
    ``payment_id`` is portalkit's, from the charge's metadata, so an event that arrives before
    the charge call returned still finds its payment."""

    id: str
    kind: str  # "succeeded", "failed", "canceled", "requires_action", "refunded", "returned", "disputed", "dispute_won"
    ref: str
    payment_id: str = ""
    amount: Decimal | None = None  # "refunded": all the charge has refunded so far (cumulative)
    reason: str = ""  # failure reason or ACH return code (R01 ...)
    # "refunded": the idempotency keys of every refund the charge has made so far, when the
    # processor can say (the portal then matches each pending refund exactly)
    refund_keys: tuple[str, ...] | None = None


@runtime_checkable
class PaymentProcessor(Protocol):
    """Takes payments without portalkit ever seeing a card or account number (PCI DSS SAQ-A):
    the customer's browser gives the numbers to the processor's hosted fields, which hand back a
    token; portalkit stores only the token and what the processor says about it.

    ``customer(contact_id, email, existing)`` returns the processor's customer for a contact;
    ``start_setup(customer_ref)`` a client secret for the hosted fields; ``describe`` reads a
    token without changing anything (``ValueError`` for one the processor does not know), so a
    refused method creates no customer; ``attach`` turns a token into a stored method; ``charge``, ``refund`` (full or partial) and ``retrieve`` (for
    reconciliation) act on charges; ``refund`` raises ``ValueError`` when the processor refuses
    (more than the charge has left, say), and one idempotency key refunds once; ``cancel`` stops a charge that has not collected (and
    answers with its state, which may be "succeeded" after all); ``parse_webhook`` verifies a webhook's signature and
    returns its event, or raises ``portalkit.errors.InvalidWebhook``. ``hosted_fields`` tells
    the pages which payment form to show.
    """

    name: str

    def customer(self, contact_id: str, email: str | None, existing: str | None) -> str: ...
    def start_setup(self, customer_ref: str) -> str: ...
    def describe(self, token: str) -> MethodDetails: ...
    def attach(self, customer_ref: str, token: str) -> MethodDetails: ...
    def detach(self, token: str) -> None: ...
    def charge(self, request: ChargeRequest) -> ChargeOutcome: ...
    def refund(self, ref: str, amount: Decimal, idempotency_key: str) -> None: ...
    def cancel(self, ref: str) -> ChargeOutcome: ...
    def retrieve(self, ref: str) -> ChargeOutcome: ...
    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProcessorEvent: ...
    def hosted_fields(self) -> Mapping[str, str]: ...


@attrs.frozen(kw_only=True)
class TextMessage:
    """One outgoing text message (SMS) to a verified mobile number in E.164 (``+15555550100``)."""

    to: str
    body: str


@attrs.frozen(kw_only=True)
class InboundText:
    """A text message a contact sent back (a verified provider webhook): ``STOP``, ``START``..."""

    sender: str  # E.164
    body: str
    provider_id: str = ""


@runtime_checkable
class TextMessenger(Protocol):
    """Sends text messages through a provider (Twilio, ...) and reads its inbound webhook.

    ``send`` returns the provider's message id, or raises ``ValueError`` when the provider
    refuses the message (a number that cannot receive texts, an opted-out number);
    ``parse_inbound(url, headers, form)`` verifies the provider's signature over the webhook's
    URL and form (``portalkit.errors.InvalidWebhook`` otherwise) and returns the message.
    """

    name: str

    def send(self, message: TextMessage) -> str: ...
    def parse_inbound(self, url: str, headers: Mapping[str, str], form: Mapping[str, str]) -> InboundText: ...


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime: ...
