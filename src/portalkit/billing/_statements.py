"""Account statements (issue 15): what a contact was billed and paid over a period, property by
property — opening balance, invoices, payments, refunds and returns, closing balance.

The portal knows its own payments to the day. Payments and credits the company recorded in its
own system show as one line per invoice ("recorded by the company"), dated when the invoice was
paid (or at its date while it is still open), so every balance matches the invoices' amounts due.
Several refunds of one payment show as one line, on the day of the last. A tip paid with a payment
is shown with it (``Entry.tip``), never in the balance; the contact's payment plans are listed with
their next instalment and what is left (``Statement.plans``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .._core.visibility import Section, Visibility, invoice_visible
from ..errors import ValidationError
from ..i18n import _
from ..models import Contact, Invoice, Payment, PaymentStatus, Property
from ..ports import In, Storage
from ..settings import Settings
from ._documents import Documents

if TYPE_CHECKING:
    from ._plans import PaymentPlans, PlanSummary

MAX_DAYS = 3 * 366


@attrs.frozen
class Entry:
    on: date
    description: str
    amount: Decimal  # positive: owed more (an invoice, a refund, a return); negative: paid
    tip: Decimal = Decimal("0.00")  # paid with a payment, on top of it: never part of a balance


@attrs.frozen
class PropertyStatement:
    place: Property
    opening: Decimal
    entries: tuple[Entry, ...]

    @property
    def closing(self) -> Decimal:
        return self.opening + sum((e.amount for e in self.entries), Decimal("0.00"))


@attrs.frozen
class Statement:
    contact: Contact
    start: date
    end: date
    properties: tuple[PropertyStatement, ...]
    plans: tuple[PlanSummary, ...] = ()  # the contact's payment plans open now or ended in the period

    @property
    def closing(self) -> Decimal:
        return sum((p.closing for p in self.properties), Decimal("0.00"))


class Statements:
    def __init__(self, storage: Storage, settings: Settings, visibility: Visibility, documents: Documents):
        self._storage, self._settings, self._visibility, self._documents = storage, settings, visibility, documents
        self.plans: PaymentPlans | None = None  # set by the Portal: the statement lists the contact's plans

    def statement(self, contact: Contact, start: date, end: date) -> Statement:
        """The statement of every property whose invoices the contact sees (VIS-2) for
        ``start``..``end`` (both included, at most three years)."""
        if not isinstance(start, date) or not isinstance(end, date) or start > end:
            raise ValidationError(_("Choose a period: a start date on or before its end date."), field="start")
        if (end - start).days > MAX_DAYS:
            raise ValidationError(_("A statement covers at most three years."), field="start")
        with self._settings.pinned():
            self._visibility.require_section(contact, Section.INVOICES)
            config = self._settings.current
            props = {p.id: p for p in self._visibility.properties(contact)}
            found = self._storage.find(Invoice, property_id=In(list(props)), archived=False) if props else []
            invoices = [
                i for i in found if i.invoice_date <= end and invoice_visible(contact, i, props[i.property_id], config)
            ]
        payments = self._storage.find(Payment, invoice_id=In([i.id for i in invoices])) if invoices else []
        parts = [
            self._property(prop, [i for i in invoices if i.property_id == prop.id], payments, start, end)
            for prop in props.values()
            if any(i.property_id == prop.id for i in invoices)
        ]
        return Statement(contact, start, end, tuple(parts), self._plans(contact, start, end))

    def _plans(self, contact: Contact, start: date, end: date) -> tuple[PlanSummary, ...]:
        """The contact's payment plans offered by ``end`` and open now or ended in the period."""
        if self.plans is None:
            return ()
        from ._plans import PlanSummary

        views = self.plans.for_contact(contact, include_ended=True)
        return tuple(
            PlanSummary.of(v)
            for v in views
            if v.plan.created_at.date() <= end
            and (v.open or (v.plan.ended_at is not None and v.plan.ended_at.date() >= start))
        )

    def pdf(self, contact: Contact, start: date, end: date) -> bytes:
        return self._documents.statement(self.statement(contact, start, end))

    @staticmethod
    def _property(
        prop: Property, invoices: list[Invoice], payments: list[Payment], start: date, end: date
    ) -> PropertyStatement:
        entries = sorted((e for e in _entries(invoices, payments) if e.on <= end), key=lambda e: e.on)
        opening = sum((e.amount for e in entries if e.on < start), Decimal("0.00"))
        return PropertyStatement(prop, opening, tuple(e for e in entries if e.on >= start))


def _entries(invoices: Iterable[Invoice], payments: Iterable[Payment]) -> Iterable[Entry]:
    by_invoice: dict[str, list[Payment]] = {}
    for p in payments:
        by_invoice.setdefault(p.invoice_id, []).append(p)
    for invoice in invoices:
        number = {"number": invoice.number}
        yield Entry(invoice.invoice_date, _("Invoice %(number)s") % number, invoice.amount)
        net = Decimal("0.00")
        for p in by_invoice.get(invoice.id, ()):
            if p.settled_at is None:
                continue
            text = (
                _("Payment plan instalment on invoice %(number)s")
                if p.instalment_id
                else _("Payment on invoice %(number)s")
            )
            yield Entry(p.settled_at.date(), text % number, -p.amount, p.tip)
            net += p.amount
            returned = p.status is PaymentStatus.RETURNED
            back = p.amount if returned else p.refunded_amount
            if back and p.reversed_at is not None:
                text = _("Payment returned on invoice %(number)s") if returned else _("Refund on invoice %(number)s")
                yield Entry(p.reversed_at.date(), text % number, back)
                net -= back
        if invoice.deposit_credit:
            yield Entry(
                invoice.invoice_date, _("Deposit taken off invoice %(number)s") % number, -invoice.deposit_credit
            )
            net += invoice.deposit_credit
        other = invoice.amount - invoice.amount_due - net  # what the company recorded itself
        if other:
            yield Entry(
                invoice.paid_on or invoice.invoice_date,
                _("Payments and credits recorded by the company on invoice %(number)s") % number,
                -other,
            )


__all__ = ["Entry", "PropertyStatement", "Statement", "Statements"]
