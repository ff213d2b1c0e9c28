"""Invoice lists and views (PAY-1..3) and the staff side that issues invoices."""

from __future__ import annotations

import builtins
import enum
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs

from .. import inputs, money
from .._core.paging import DEFAULT_LIMIT, Page, fetch, page_of
from .._core.permissions import require
from .._core.uow import UnitOfWork
from .._core.visibility import Section, Visibility, invoice_visible
from ..config import PortalConfig
from ..directory._directory import lookup
from ..errors import ValidationError
from ..i18n import N_, _
from ..models import Contact, Invoice, InvoiceLine, Permission, Property, Proposal, StaffUser
from ..ports import AtLeast, Clock, In, Not, Storage
from ..settings import Settings
from ._deposits import credit_deposit
from ._documents import Documents

PAID_RECENTLY_DAYS = 183  # "Paid in last 6 months"
SUMMARY_LIMIT = 200  # open invoices the dashboard's summary adds up, of each kind (``Invoices.summary``)
MAX_LINES = 500
MAX_TERMS = 4000


@attrs.frozen(kw_only=True)
class LineItem:
    """A line of an invoice as the host gives it (``invoices.add``, ``HostInvoice.lines``);
    ``amount`` defaults to quantity times unit price."""

    description: str
    unit_price: object
    quantity: object = 1
    amount: object | None = None


def checked_lines(items: object) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """``(description, quantity, unit price, amount)`` of each ``LineItem``, checked."""
    found = inputs.items(items, "lines")
    if len(found) > MAX_LINES or not all(isinstance(i, LineItem) for i in found):
        raise ValidationError(_("Lines are at most %(count)d LineItems.") % {"count": MAX_LINES}, field="lines")
    out = []
    for item in found:
        quantity = money.parse(item.quantity, field="quantity")
        price = money.parse(item.unit_price, field="unit_price")
        amount = (quantity * price).quantize(money.CENT) if item.amount is None else money.parse(item.amount)
        out.append(
            (inputs.text(item.description, "description", max_length=1000, multiline=True), quantity, price, amount)
        )
    return out


def replace_lines(
    storage: Storage,
    invoice: Invoice,
    lines: list[tuple[str, Decimal, Decimal, Decimal]],
    current: Sequence[InvoiceLine] = (),
) -> bool:
    """Make ``invoice``'s stored lines ``lines`` (``current``: what is stored); True if they changed."""
    ordered = sorted(current, key=lambda line: line.position)
    if [(c.description, c.quantity, c.unit_price, c.amount) for c in ordered] == lines:
        return False
    storage.delete_many(InvoiceLine, [c.id for c in ordered])
    storage.insert_many(
        [
            InvoiceLine(invoice_id=invoice.id, position=n, description=d, quantity=q, unit_price=p, amount=a)
            for n, (d, q, p, a) in enumerate(lines)
        ]
    )
    return True


class InvoiceFilter(enum.Enum):
    OPEN = N_("Open")
    PAID_LAST_6_MONTHS = N_("Paid in last 6 months")
    ALL_PAID = N_("All paid")


@attrs.frozen
class InvoiceRow:
    """One row of the Invoices view (PAY-2) with the actions it offers (PAY-3; View is always offered)."""

    invoice: Invoice
    can_pay: bool
    pay_label: str


def invoice_row(invoice: Invoice, payments_enabled: bool) -> InvoiceRow:
    """PAY-3: Pay on open invoices when electronic payment is on; "Pay (Pmt Pending)", disabled,
    while a payment is in flight."""
    label = _("Pay (Pmt Pending)") if invoice.payment_pending else _("Pay")
    return InvoiceRow(invoice, invoice.is_open and payments_enabled and not invoice.payment_pending, label)


@attrs.frozen
class Summary:
    """What the contact owes across their properties, as the dashboard shows it: the balance,
    what is overdue, the next due invoice, what is processing, and the invoice "Pay now" opens
    (``pay``, with its property; ``None`` while electronic payment is off or nothing can be paid)."""

    balance: Decimal
    overdue: Decimal
    overdue_count: int
    next: Invoice | None
    count: int
    more: bool  # more than ``SUMMARY_LIMIT`` open invoices of a kind: the first ones are added up
    processing: Decimal
    pay: Invoice | None
    pay_property: Property | None


@attrs.frozen
class _OpenRead:
    """The contact's open invoices as ``Invoices._read_open`` read them (by due date, number and
    id, each kind's page), and the properties whose page stopped at ``SUMMARY_LIMIT``."""

    found: list[Invoice]
    cut_short: frozenset[str]


class Invoices:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        visibility: Visibility,
        documents: Documents,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._visibility, self._documents = visibility, documents

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
        lines: Iterable[LineItem] = (),
        terms: str = "",
        proposal_id: str | None = None,
    ) -> Invoice:
        """Staff (``MANAGE_BILLING``): issue an invoice on a property, with its lines and terms;
        the first invoice of a proposal (``proposal_id``) takes its paid deposit off."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        number = inputs.text(number, "number")
        value = money.parse(amount)
        due = value if amount_due is None else money.parse(amount_due, field="amount_due")
        if value <= 0 or not (0 <= due <= value):
            raise ValidationError(_("An invoice amount is positive and its amount due between 0 and it."))
        net_days = inputs.integer(net_days, "net_days", minimum=0, maximum=3650)
        if not isinstance(invoice_date, date):
            raise ValidationError(_("The invoice date must be a date."), field="invoice_date")
        billing_contact_id = inputs.optional_identifier(billing_contact_id, "billing_contact_id")
        proposal_id = inputs.optional_identifier(proposal_id, "proposal_id")
        checked = checked_lines(lines)
        terms = inputs.text(terms, "terms", max_length=MAX_TERMS, multiline=True, required=False)
        with self._uow():
            lookup(self._storage, Property, property_id)
            if billing_contact_id:
                lookup(self._storage, Contact, billing_contact_id)
            if proposal_id:
                lookup(self._storage, Proposal, proposal_id)
            invoice = self._storage.insert(
                credit_deposit(
                    self._storage,
                    Invoice(
                        number=number,
                        property_id=property_id,
                        billing_contact_id=billing_contact_id,
                        amount=value,
                        amount_due=due,
                        invoice_date=invoice_date,
                        net_days=net_days,
                        paid_on=invoice_date if due == 0 else None,
                        terms=terms,
                        proposal_id=proposal_id,
                    ),
                )
            )
            replace_lines(self._storage, invoice, checked)
            return invoice

    def list(
        self,
        contact: Contact,
        property_id: str,
        which: InvoiceFilter = InvoiceFilter.OPEN,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[InvoiceRow]:
        """PAY-1: Open (by due date), Paid in last 6 months or All paid (latest paid first), for
        one property; one page of it (``paging``)."""
        with self._settings.pinned():
            prop = self._visibility.require_list(contact, Section.INVOICES, property_id)
            which = inputs.member(which, InvoiceFilter, "filter")
            where: dict[str, Any] = {"property_id": prop.id, "archived": False}
            if contact.id not in (prop.primary_contact_id, prop.billing_contact_id):
                where["billing_contact_id"] = contact.id  # VIS-2: otherwise only what is billed to them
            payable = self._settings.current.electronic_payment_enabled
            if which is InvoiceFilter.OPEN:  # open invoices are exactly those without a paid date
                return fetch(
                    self._storage,
                    Invoice,
                    order=("due_date", "number"),
                    after=after,
                    limit=limit,
                    row=lambda i: invoice_row(i, payable),
                    paid_on=None,
                    **where,
                )
            since = self._clock.now().date() - timedelta(days=PAID_RECENTLY_DAYS)
            paid = AtLeast(since) if which is InvoiceFilter.PAID_LAST_6_MONTHS else Not(None)
            return fetch(
                self._storage,
                Invoice,
                order=("paid_on", "number"),
                descending=True,
                after=after,
                limit=limit,
                row=lambda i: invoice_row(i, payable),
                paid_on=paid,
                **where,
            )

    def get(self, contact: Contact, invoice_id: str) -> Invoice:
        return self._visibility.require_invoice(contact, invoice_id)[0]

    def summary(
        self, contact: Contact, *, property_id: str | None = None, properties: Sequence[Property] | None = None
    ) -> Summary:
        """The dashboard's summary (PAY-1, VIS-2) of the open invoices the contact sees on every
        property they see (VIS-5): every invoice of a property they are the primary or billing
        contact of, else those billed to them, by due date, at most ``SUMMARY_LIMIT`` of each
        kind. "Pay now" opens the first one not already being paid, of ``property_id`` (the
        property the page shows) if it has one. ``properties``: the contact's, when the page has
        read them (``visibility.properties``)."""
        config = self._settings.current
        props = self._visibility.properties(contact) if properties is None else list(properties)
        return self._summary(contact, props, self._read_open(contact, props), property_id, config)

    def overview(
        self,
        contact: Contact,
        property_id: str,
        which: InvoiceFilter = InvoiceFilter.OPEN,
        *,
        after: str | None = None,
        properties: Sequence[Property] | None = None,
    ) -> tuple[Summary, Page[InvoiceRow]]:
        """``(summary(...), list(...))``: the dashboard's summary and its list of one property's
        invoices. The open invoices are read once when the list is their first page (the
        summary's read holds all of that property's, and the list is the same rows in the same
        order), else the list is read as ``list`` reads it (issue 25)."""
        with self._settings.pinned():
            config = self._settings.current
            props = self._visibility.properties(contact) if properties is None else list(properties)
            read = self._read_open(contact, props)
            summary = self._summary(contact, props, read, property_id, config)
            which = inputs.member(which, InvoiceFilter, "filter")
            first = after is None and which is InvoiceFilter.OPEN
            rows = self._first_open_page(contact, property_id, props, read, config) if first else None
            if rows is None:
                rows = self.list(contact, property_id, which, after=after)
            return summary, rows

    def _first_open_page(
        self,
        contact: Contact,
        property_id: str,
        props: Sequence[Property],
        read: _OpenRead,
        config: PortalConfig,
    ) -> Page[InvoiceRow] | None:
        """``list(contact, property_id)``'s first page from the summary's read, if that read
        holds every open invoice of the property the list would show (else ``None``)."""
        self._visibility.require_section(contact, Section.INVOICES)
        prop = self._visibility.require_property(contact, property_id)
        if prop.id in read.cut_short or prop not in props:  # not read whole, or not read at all
            return None
        payable = config.electronic_payment_enabled
        rows = [i for i in read.found if i.property_id == prop.id]  # in the list's order already
        return page_of(rows, DEFAULT_LIMIT, lambda i: invoice_row(i, payable))

    def _summary(
        self,
        contact: Contact,
        props: Sequence[Property],
        read: _OpenRead,
        property_id: str | None,
        config: PortalConfig,
    ) -> Summary:
        invoices, more = self._visible_open(contact, props, read, config), bool(read.cut_short)
        today = self._clock.now().date()
        overdue = [i for i in invoices if i.due_date < today]
        upcoming = [i for i in invoices if i.due_date >= today]
        payable = [i for i in invoices if not i.payment_pending]
        target = next((i for i in payable if i.property_id == property_id), payable[0] if payable else None)
        return Summary(
            balance=sum((i.amount_due for i in invoices), Decimal("0.00")),
            overdue=sum((i.amount_due for i in overdue), Decimal("0.00")),
            overdue_count=len(overdue),
            next=upcoming[0] if upcoming else None,
            count=len(invoices),
            more=more,
            processing=sum((i.pending_amount for i in invoices), Decimal("0.00")),
            pay=target if config.electronic_payment_enabled else None,
            pay_property=next((p for p in props if target and p.id == target.property_id), None),
        )

    def _read_open(self, contact: Contact, properties: Sequence[Property]) -> _OpenRead:
        """The contact's open invoices on ``properties`` (VIS-2): all of a property's where they
        are its primary or billing contact, else those billed to them; at most ``SUMMARY_LIMIT``
        of each kind, two bounded reads in the indexes' order (due date, number, id)."""
        own = [p.id for p in properties if contact.id in (p.primary_contact_id, p.billing_contact_id)]
        others = [p.id for p in properties if p.id not in own]
        found: builtins.list[Invoice] = []
        cut_short: set[str] = set()
        kinds: tuple[tuple[builtins.list[str], dict[str, Any]], ...] = (
            (own, {}),
            (others, {"billing_contact_id": contact.id}),
        )
        for ids, where in kinds:
            if ids:
                page = self._storage.page(
                    Invoice,
                    order=("due_date", "number"),
                    limit=SUMMARY_LIMIT + 1,
                    property_id=In(ids),
                    paid_on=None,
                    archived=False,
                    **where,
                )
                if len(page) > SUMMARY_LIMIT:
                    cut_short.update(ids)
                found += page[:SUMMARY_LIMIT]
        return _OpenRead(found, frozenset(cut_short))

    @staticmethod
    def _visible_open(
        contact: Contact, properties: Sequence[Property], read: _OpenRead, config: PortalConfig
    ) -> builtins.list[Invoice]:
        """Of what ``_read_open`` read, the invoices the summary adds up, by due date."""
        by_id = {p.id: p for p in properties}
        shown = [
            i
            for i in read.found
            if i.property_id in by_id and i.is_open and invoice_visible(contact, i, by_id[i.property_id], config)
        ]
        return sorted(shown, key=lambda i: (i.due_date, i.number))

    def lines(self, contact: Contact, invoice_id: str) -> builtins.list[InvoiceLine]:
        """The invoice's lines, in order."""
        return self._lines(self.get(contact, invoice_id))

    def _lines(self, invoice: Invoice) -> builtins.list[InvoiceLine]:
        return sorted(self._storage.find(InvoiceLine, invoice_id=invoice.id), key=lambda line: line.position)

    def pdf(self, contact: Contact, invoice_id: str) -> bytes:
        """PAY-3: the invoice as a PDF, always offered: its lines, terms and the company's look."""
        invoice, prop = self._visibility.require_invoice(contact, invoice_id)
        return self._documents.invoice(invoice, prop, self._lines(invoice))
