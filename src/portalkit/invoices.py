"""Invoice lists and views (PAY-1..3) and the staff side that issues invoices."""

from __future__ import annotations

import enum
from datetime import date, timedelta
from typing import Any

import attrs

from . import inputs, money
from .directory import lookup
from .errors import ValidationError
from .models import Contact, Invoice, Permission, Property, StaffUser
from .permissions import require
from .paging import DEFAULT_LIMIT, Page, fetch
from .ports import AtLeast, Clock, Not, PdfRenderer, Storage
from .settings import Settings
from .uow import UnitOfWork
from .visibility import Section, Visibility

PAID_RECENTLY_DAYS = 183  # "Paid in last 6 months"


class InvoiceFilter(enum.Enum):
    OPEN = "Open"
    PAID_LAST_6_MONTHS = "Paid in last 6 months"
    ALL_PAID = "All paid"


@attrs.frozen
class InvoiceRow:
    """One row of the Invoices view (PAY-2) with the actions it offers (PAY-3; View is always offered)."""

    invoice: Invoice
    can_pay: bool
    pay_label: str


def invoice_row(invoice: Invoice, payments_enabled: bool) -> InvoiceRow:
    """PAY-3: Pay on open invoices when electronic payment is on; "Pay (Pmt Pending)", disabled,
    while a payment is in flight."""
    label = "Pay (Pmt Pending)" if invoice.payment_pending else "Pay"
    return InvoiceRow(invoice, invoice.is_open and payments_enabled and not invoice.payment_pending, label)


class Invoices:
    def __init__(self, storage: Storage, clock: Clock, uow: UnitOfWork, settings: Settings, visibility: Visibility,
                 pdf: PdfRenderer):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._visibility, self._pdf = visibility, pdf

    def add(
        self,
        staff: StaffUser,
        property_id: str,
        number: str,
        amount: object,
        invoice_date: date,
        *,
        net_days: int = 30,
        billing_contact_id: str | None = None,
        amount_due: object | None = None,
    ) -> Invoice:
        """Staff (``MANAGE_BILLING``): issue an invoice on a property."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        number = inputs.text(number, "number")
        value = money.parse(amount)
        due = value if amount_due is None else money.parse(amount_due, field="amount_due")
        if value <= 0 or not (0 <= due <= value):
            raise ValidationError("An invoice amount is positive and its amount due between 0 and it.")
        net_days = inputs.integer(net_days, "net_days", minimum=0, maximum=3650)
        if not isinstance(invoice_date, date):
            raise ValidationError("The invoice date must be a date.", field="invoice_date")
        billing_contact_id = inputs.optional_identifier(billing_contact_id, "billing_contact_id")
        with self._uow():
            lookup(self._storage, Property, property_id)
            if billing_contact_id:
                lookup(self._storage, Contact, billing_contact_id)
            return self._storage.insert(
                Invoice(number=number, property_id=property_id, billing_contact_id=billing_contact_id,
                        amount=value, amount_due=due, invoice_date=invoice_date, net_days=net_days,
                        paid_on=invoice_date if due == 0 else None)
            )

    def list(self, contact: Contact, property_id: str, which: InvoiceFilter = InvoiceFilter.OPEN, *,
             after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page[InvoiceRow]:
        """PAY-1: Open (by due date), Paid in last 6 months or All paid (latest paid first), for
        one property; one page of it (``paging``)."""
        with self._settings.pinned():
            vis = self._visibility
            vis.require_section(contact, Section.INVOICES)
            prop = vis.require_property(contact, property_id)
            which = inputs.member(which, InvoiceFilter, "filter")
            where: dict[str, Any] = {"property_id": prop.id, "archived": False}
            if prop.primary_contact_id != contact.id:
                where["billing_contact_id"] = contact.id  # VIS-2: otherwise only what is billed to them
            payable = self._settings.current.electronic_payment_enabled
            if which is InvoiceFilter.OPEN:  # open invoices are exactly those without a paid date
                return fetch(self._storage, Invoice, order=("due_date", "number"), after=after, limit=limit,
                             row=lambda i: invoice_row(i, payable), paid_on=None, **where)
            since = self._clock.now().date() - timedelta(days=PAID_RECENTLY_DAYS)
            paid = AtLeast(since) if which is InvoiceFilter.PAID_LAST_6_MONTHS else Not(None)
            return fetch(self._storage, Invoice, order=("paid_on", "number"), descending=True, after=after,
                         limit=limit, row=lambda i: invoice_row(i, payable), paid_on=paid, **where)

    def get(self, contact: Contact, invoice_id: str) -> Invoice:
        return self._visibility.require_invoice(contact, invoice_id)[0]

    def pdf(self, contact: Contact, invoice_id: str) -> bytes:
        """PAY-3: the invoice as a PDF, always offered."""
        invoice, prop = self._visibility.require_invoice(contact, invoice_id)
        return self._pdf.render_invoice(invoice, {"company_name": self._settings.current.company_name,
                                                  "property_name": prop.name})
