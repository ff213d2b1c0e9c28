"""Invoices, payments, payment methods and statements (PAY-1..7)."""

from __future__ import annotations

from typing import Literal

import attrs

from .common import Cursor, Day, Id, Limit, Money, Quantity, Time

PaymentStatusCode = Literal[
    "initiated",
    "requires_action",
    "processing",
    "settled",
    "failed",
    "canceled",
    "partially_refunded",
    "refunded",
    "returned",
    "disputed",
]


@attrs.frozen(kw_only=True)
class InvoiceOut:
    """PAY-2: an invoice as a list shows it; ``can_pay`` is PAY-3's Pay (false while a payment
    is in flight: ``payment_pending``)."""

    id: Id
    number: str
    property_id: Id
    amount: Money
    amount_due: Money
    pending_amount: Money
    invoice_date: Day
    due_date: Day
    paid_on: Day | None
    open: bool
    overdue: bool
    payment_pending: bool
    can_pay: bool
    pdf_url: str


@attrs.frozen(kw_only=True)
class InvoicePage:
    items: list[InvoiceOut]
    next_after: Cursor


@attrs.frozen(kw_only=True)
class LineOut:
    description: str
    quantity: Quantity
    unit_price: Money
    amount: Money


@attrs.frozen(kw_only=True)
class NextAction:
    """The customer's bank must confirm the payment (3-D Secure): give ``client_secret`` to the
    processor's script named in ``processor`` (Stripe: ``stripe.confirmCardPayment``), then
    POST ``refresh_url`` to hear how it went, as the pay page does."""

    type: Literal["confirm_payment"]
    client_secret: str
    processor: dict[str, str]
    refresh_url: str


@attrs.frozen(kw_only=True)
class PaymentOut:
    """A payment of the contact's on one invoice (PAY-6: pending until the processor settles it)."""

    id: Id
    invoice_id: Id
    invoice_number: str
    amount: Money
    fee: Money
    total: Money
    status: PaymentStatusCode
    method_id: Id
    method_kind: Literal["card", "ach"]
    created_at: Time
    settled_at: Time | None
    refunded_amount: Money
    failure_reason: str
    next_action: NextAction | None


@attrs.frozen(kw_only=True)
class PaymentPage:
    items: list[PaymentOut]
    next_after: Cursor


@attrs.frozen(kw_only=True)
class InvoiceDetail:
    """An invoice with its lines, terms and its payments (PAY-3: the PDF is always offered)."""

    invoice: InvoiceOut
    terms: str
    deposit_credit: Money
    lines: list[LineOut]
    payments: list[PaymentOut]


@attrs.frozen(kw_only=True)
class MethodOut:
    """PAY-4: a saved card or bank account, never its number; ``fee_applies``: PAY-5's
    convenience fee is added when paying with it."""

    id: Id
    kind: Literal["card", "ach"]
    label: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    funding: str
    is_default: bool
    fee_applies: bool


@attrs.frozen(kw_only=True)
class MethodList:
    items: list[MethodOut]
    fee_percent: Money


@attrs.frozen(kw_only=True)
class Setup:
    """What the payment-method page gets from ``payments.start_setup``: the processor's hosted
    fields (``processor``: its kind, script and key) and the setup's ``client_secret``. The card
    or bank numbers go from the app to the processor only; POST the token it returns to
    ``/payment-methods``. ``ach_mandate`` is the debit authorisation to show for bank accounts."""

    client_secret: str
    processor: dict[str, str]
    ach_mandate: str


@attrs.frozen(kw_only=True)
class NewMethod:
    """A token from the processor's hosted fields (never a card number)."""

    token: str
    make_default: bool = False


@attrs.frozen(kw_only=True)
class PayItem:
    invoice_id: Id
    amount: Money | None = None  # the amount due when left out


@attrs.frozen(kw_only=True)
class PayOrder:
    """Pay one or more invoices of the contact with one saved method (PAY-5, PAY-6): one payment
    per invoice. ``idempotency_key`` (8 to 64 characters, new for each attempt): sending the same
    order again returns the same payments and charges nothing twice."""

    invoices: list[PayItem]
    method_id: Id
    idempotency_key: str


@attrs.frozen(kw_only=True)
class QuoteOrder:
    invoices: list[PayItem]
    method_id: Id


@attrs.frozen(kw_only=True)
class QuoteLine:
    invoice_id: Id
    amount: Money
    fee: Money
    total: Money


@attrs.frozen(kw_only=True)
class QuoteOut:
    """PAY-5: what paying would charge, before it is charged."""

    items: list[QuoteLine]
    subtotal: Money
    fee: Money
    total: Money
    fee_percent: Money


@attrs.frozen(kw_only=True)
class PaymentGroup:
    """The payments of one order, in the order charged; charging stopped at the first that did
    not go through at once. ``next_action`` is that one's bank confirmation, if any."""

    payments: list[PaymentOut]
    next_action: NextAction | None


@attrs.frozen(kw_only=True)
class FailureOut:
    """A payment that failed or came back in the last 30 days on an invoice still open."""

    payment: PaymentOut
    invoice: InvoiceOut


@attrs.frozen(kw_only=True)
class EntryOut:
    on: Day
    description: str
    amount: Money


@attrs.frozen(kw_only=True)
class PropertyStatementOut:
    property_id: Id
    name: str
    opening: Money
    closing: Money
    entries: list[EntryOut]


@attrs.frozen(kw_only=True)
class StatementOut:
    start: Day
    end: Day
    closing: Money
    properties: list[PropertyStatementOut]
    pdf_url: str


@attrs.frozen(kw_only=True)
class InvoiceQuery:
    property_id: Id
    status: Literal["open", "paid_last_6_months", "all_paid"] = "open"
    after: Id | None = None
    limit: Limit = 50


@attrs.frozen(kw_only=True)
class StatementQuery:
    start: Day
    end: Day
