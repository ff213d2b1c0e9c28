"""Typed events: what the portal tells the host after a change has committed.

Each event is a frozen attrs class with a stable ``name``; every one carries ``company_id`` and
an ``event_id`` that is the same on every delivery of the same event, so a host that must act
exactly once drops repeats. Events travel through the transactional outbox and reach hosts
through the ``portalkit_event(event)`` hook. Amounts are Decimal, ids are strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import attrs


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event."""

    name: ClassVar[str] = ""
    event_id: str
    company_id: str
    # the host's own ids (``portal.sync``) of the records this event names, by field:
    # {"invoice_id": "INV-2026-0042", "contact_id": "C-17"}; records the host never synced are absent
    external_ids: dict[str, str] = attrs.field(factory=dict)

    def external(self, field: str) -> str | None:
        """The host's id of the record in ``field`` (``event.external("invoice_id")``), if it has one."""
        return self.external_ids.get(field)


def external_ids(**records: object) -> dict[str, str]:
    """``external_ids(invoice=invoice, contact=contact)`` -> ``{"invoice_id": ..., "contact_id": ...}``."""
    found = {f"{name}_id": getattr(record, "external_id", None) for name, record in records.items()}
    return {field: value for field, value in found.items() if value}


@attrs.frozen(kw_only=True)
class InvitationSent(Event):
    """A contact was invited (INV-3); ``sent_by`` is the staff email, or None for automatic invitations."""

    name: ClassVar[str] = "invitation.sent"
    contact_id: str
    sent_by: str | None


@attrs.frozen(kw_only=True)
class ContactEnrolled(Event):
    """A contact signed up from an invitation (INV-8)."""

    name: ClassVar[str] = "contact.enrolled"
    contact_id: str


@attrs.frozen(kw_only=True)
class PaymentEvent(Event):
    """What every payment event carries."""

    payment_id: str
    invoice_id: str
    contact_id: str
    amount: Decimal
    fee: Decimal
    processor_ref: str
    tip: Decimal = Decimal("0.00")  # paid with it, on top of ``amount`` and ``fee``; never lowers the amount due
    instalment_id: str | None = None  # the payment plan instalment it pays, if any


@attrs.frozen(kw_only=True)
class PaymentSettled(PaymentEvent):
    """The processor settled a payment; the invoice's amount due went down (PAY-6)."""

    name: ClassVar[str] = "payment.settled"
    amount_due: Decimal


@attrs.frozen(kw_only=True)
class PaymentFailed(PaymentEvent):
    """The processor refused or declined a payment; no balance changed (PAY-6)."""

    name: ClassVar[str] = "payment.failed"
    reason: str


@attrs.frozen(kw_only=True)
class PaymentRefunded(PaymentEvent):
    """A settled payment was refunded (``amount`` is this refund, in full or in part), by staff
    (``refunded_by`` their email) or at the processor (``"processor"``); it is due again."""

    name: ClassVar[str] = "payment.refunded"
    refunded_by: str
    amount_due: Decimal


@attrs.frozen(kw_only=True)
class PaymentCanceled(PaymentEvent):
    """Staff canceled a stuck payment, or the customer abandoned 3-D Secure; no balance changed."""

    name: ClassVar[str] = "payment.canceled"
    reason: str


@attrs.frozen(kw_only=True)
class PaymentReturned(PaymentEvent):
    """A settled bank payment came back (ACH return such as R01) or a dispute was lost: the
    amount is due again and the receipt no longer stands."""

    name: ClassVar[str] = "payment.returned"
    reason: str
    amount_due: Decimal


@attrs.frozen(kw_only=True)
class PaymentDisputed(PaymentEvent):
    """The cardholder disputed a settled payment with their bank."""

    name: ClassVar[str] = "payment.disputed"


@attrs.frozen(kw_only=True)
class ProposalSigned(Event):
    """A contact signed a proposal (PRO-3..5)."""

    name: ClassVar[str] = "proposal.signed"
    proposal_id: str
    property_id: str
    contact_id: str
    total: Decimal
    selected_service_ids: tuple[str, ...]


@attrs.frozen(kw_only=True)
class IssueCreated(Event):
    """A contact opened an issue (ISS-2)."""

    name: ClassVar[str] = "issue.created"
    issue_id: str
    property_id: str
    contact_id: str


@attrs.frozen(kw_only=True)
class IssueCommented(Event):
    """A comment was added to an issue, by the customer or by staff (ISS-4, ISS-5); its
    ``external_ids`` name the issue's property."""

    name: ClassVar[str] = "issue.commented"
    issue_id: str
    comment_id: str
    by_staff: bool
    public: bool


@attrs.frozen(kw_only=True)
class QuoteRequested(Event):
    """A contact asked for new work (PRO-7)."""

    name: ClassVar[str] = "quote.requested"
    quote_request_id: str
    property_id: str
    contact_id: str


@attrs.frozen(kw_only=True)
class VisitChanged(Event):
    """Staff changed a visit in the portal (scheduled, moved, on the way, started, completed,
    canceled: ``status``), so the host's schedule follows."""

    name: ClassVar[str] = "visit.changed"
    visit_id: str
    job_id: str
    status: str
    starts_at: str  # ISO 8601, UTC
    ends_at: str


@attrs.frozen(kw_only=True)
class VisitChangeRequested(Event):
    """A contact asked to reschedule or cancel a visit (``kind``), with a reason and the times
    they prefer; staff answer by moving it."""

    name: ClassVar[str] = "visit.change_requested"
    visit_request_id: str
    visit_id: str
    contact_id: str
    kind: str
    reason: str
    preferred_times: str


@attrs.frozen(kw_only=True)
class VisitRated(Event):
    """A contact rated a completed visit (1 to 5 stars)."""

    name: ClassVar[str] = "visit.rated"
    visit_id: str
    contact_id: str
    stars: int
    comment: str


@attrs.frozen(kw_only=True)
class JobRequested(Event):
    """A contact asked for new work from the portal."""

    name: ClassVar[str] = "job.requested"
    job_request_id: str
    property_id: str
    contact_id: str
    job_type: str
    description: str


@attrs.frozen(kw_only=True)
class PaymentPlanChanged(Event):
    """A payment plan was offered, accepted, revoked by the customer, completed, stopped by a
    missed instalment or canceled (``status``); ``remaining`` is what its unpaid instalments
    still add up to, ``next_due_on`` (ISO date) and ``next_amount`` the next instalment's."""

    name: ClassVar[str] = "payment_plan.changed"
    plan_id: str
    invoice_id: str
    contact_id: str
    status: str
    amount: Decimal
    remaining: Decimal
    next_due_on: str | None = None
    next_amount: Decimal | None = None


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        InvitationSent,
        ContactEnrolled,
        PaymentSettled,
        PaymentFailed,
        PaymentRefunded,
        PaymentCanceled,
        PaymentReturned,
        PaymentDisputed,
        ProposalSigned,
        IssueCreated,
        IssueCommented,
        QuoteRequested,
        VisitChanged,
        VisitChangeRequested,
        VisitRated,
        JobRequested,
        PaymentPlanChanged,
    )
}
