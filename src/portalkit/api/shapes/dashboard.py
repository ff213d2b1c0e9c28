"""The dashboard: what the contact owes and what is next, across their properties (VIS-1..5)."""

from __future__ import annotations

import attrs

from .account import Me, PropertyOut, Section
from .billing import FailureOut, InvoiceOut, PaymentOut
from .common import Id, Money
from .work import VisitOut


@attrs.frozen(kw_only=True)
class Summary:
    """The open invoices the contact sees (VIS-2) on all their properties: the balance, what is
    overdue, what is being processed, the next one due and the one "Pay now" opens. ``more``:
    a property has more open invoices than the 200 added up."""

    balance: Money
    overdue: Money
    overdue_count: int
    processing: Money
    open_count: int
    more: bool
    next_due: InvoiceOut | None
    pay_invoice_id: Id | None


@attrs.frozen(kw_only=True)
class Dashboard:
    contact: Me
    properties: list[PropertyOut]
    sections: list[Section]
    payments_enabled: bool
    summary: Summary | None
    failures: list[FailureOut]
    recent_payments: list[PaymentOut]
    next_visit: VisitOut | None
