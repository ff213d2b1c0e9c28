"""The processor's webhooks, stored before they are processed (dj-stripe's way): every delivery
is a :class:`portalkit.models.WebhookEvent` — whether its signature verified, the event it
carried, and how applying it went — so staff (or a command) can see what the processor said and
process a failed one again once the cause is fixed. Applying stays ``Payments.apply_event``:
once per event, in any order.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs

from .._core.paging import DEFAULT_LIMIT, Page, fetch
from .._core.permissions import require
from .._core.serialization import from_primitive, to_primitive
from .._core.uow import UnitOfWork
from ..errors import InvalidWebhook, NotFound, ValidationError
from ..i18n import _
from ..models import Permission, StaffUser, WebhookEvent, WebhookOutcome
from ..ports import Clock, PaymentProcessor, ProcessorEvent, Storage
from ._payments import MAX_WEBHOOK_BYTES, Payments

log = logging.getLogger("portalkit.webhooks")  # its name before the move (issue 22): hosts filter and alert on it
RECEIVED, INVALID, APPLIED, IGNORED, ERROR = (
    WebhookOutcome.RECEIVED,
    WebhookOutcome.INVALID,
    WebhookOutcome.APPLIED,
    WebhookOutcome.IGNORED,
    WebhookOutcome.ERROR,
)
OUTCOMES = tuple(WebhookOutcome)
INVALID_BODY_KEPT = 2000  # characters of a body whose signature did not verify


class Webhooks:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        processor: PaymentProcessor,
        payments: Payments,
        company_id: str,
    ):
        self._storage, self._clock, self._uow = storage, clock, uow
        self._processor, self._payments, self._company_id = processor, payments, company_id

    def receive(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """Store a delivery, verify it (``InvalidWebhook`` otherwise, kept as ``invalid``) and
        apply its event; an error while applying is kept (``error``) and raised, so the
        processor delivers it again and staff see why."""
        if (
            not isinstance(headers, Mapping)
            or not isinstance(body, (bytes, bytearray))
            or len(body) > MAX_WEBHOOK_BYTES
        ):
            raise InvalidWebhook(_("a webhook is a mapping of headers and a body of at most 1 MB"))
        text = bytes(body).decode("utf-8", "replace")
        with self._uow():
            record = self._storage.insert(
                WebhookEvent(processor=self._processor.name, received_at=self._clock.now(), body=text)
            )
        try:
            event = self._processor.parse_webhook({str(k): str(v) for k, v in headers.items()}, bytes(body))
        except InvalidWebhook as exc:
            self._save(record, outcome=INVALID, exception=str(exc), body=text[:INVALID_BODY_KEPT])
            raise
        record = self._save(record, valid=True, event=to_primitive(event), event_id=event.id, kind=event.kind)
        return self._process(record, event)

    def _process(self, record: WebhookEvent, event: ProcessorEvent) -> WebhookEvent:
        try:
            payment = self._payments.apply_event(event)
        except Exception:
            self._save(
                record,
                outcome=ERROR,
                exception=traceback.format_exc()[-4000:],
                attempts=record.attempts + 1,
                processed_at=self._clock.now(),
            )
            raise
        return self._save(
            record,
            outcome=APPLIED if payment is not None else IGNORED,
            exception="",
            attempts=record.attempts + 1,
            processed_at=self._clock.now(),
        )

    def _save(self, record: WebhookEvent, **changes: object) -> WebhookEvent:
        with self._uow():
            current = self._storage.get(WebhookEvent, record.id) or record
            return self._storage.update(attrs.evolve(current, **changes))  # type: ignore[arg-type]

    # -- staff and commands ------------------------------------------------------------------------
    def events(
        self, staff: StaffUser, outcome: str | None = None, *, after: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> Page[WebhookEvent]:
        """``MANAGE_BILLING``: the deliveries, newest first, of one ``outcome`` or all; one page."""
        require(staff, Permission.MANAGE_BILLING, self._company_id)
        where: dict[str, Any] = {} if outcome is None else {"outcome": _outcome(outcome)}
        return fetch(
            self._storage, WebhookEvent, order=("received_at",), descending=True, after=after, limit=limit, **where
        )

    def reprocess(self, staff: StaffUser | None, event_id: str) -> WebhookEvent:
        """Apply a stored, verified delivery again (its signature was checked when it came; it
        cannot be checked again later, the timestamp has passed): ``MANAGE_BILLING``, or
        ``None`` from a host-side command. Applying is idempotent: a repeat changes nothing."""
        if staff is not None:
            require(staff, Permission.MANAGE_BILLING, self._company_id)
        record = self._storage.get(WebhookEvent, event_id)
        if record is None:
            raise NotFound(_("No such webhook event."))
        if not record.valid or record.event is None:
            raise ValidationError(_("Only a webhook whose signature verified can be processed again."))
        try:
            return self._process(record, from_primitive(record.event, ProcessorEvent))
        except Exception:
            log.warning("reprocessing webhook event %s failed again", record.id, exc_info=True)
            return self._storage.get(WebhookEvent, record.id) or record

    def reprocess_failed(self, staff: StaffUser | None = None) -> int:
        """Apply every stored delivery that failed again; how many now succeeded."""
        done = 0
        for record in self._storage.find(WebhookEvent, outcome=ERROR):
            done += self.reprocess(staff, record.id).outcome != ERROR
        return done

    def purge(self, older_than: timedelta = timedelta(days=30)) -> int:
        """Delete deliveries received longer ago than ``older_than`` (the worker runs this)."""
        cutoff = self._clock.now() - older_than
        with self._uow():
            old = [e.id for e in self._storage.find(WebhookEvent) if e.received_at < cutoff]
            self._storage.delete_many(WebhookEvent, old)
        return len(old)


def _outcome(value: object) -> str:
    if value not in OUTCOMES:
        raise ValidationError(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome")
    return str(value)
