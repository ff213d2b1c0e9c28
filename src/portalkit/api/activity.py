"""What the API's dashboard and visit lists put together from the services (API-5): the
summary of what a contact owes and their visits as keyset pages. A contact's payments are
``portal.payments.contact_payments``.

Each only calls services, so their rules hold: the summary from ``portal.invoices`` (VIS-2), visits
from ``portal.jobs.visits`` (VIS-6).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .._core.paging import MAX_LIMIT, Page, limit_of
from .._core.visibility import Section
from ..billing._invoices import SUMMARY_LIMIT, InvoiceFilter
from ..errors import NotFound
from ..i18n import _
from ..jobs import VisitRow
from ..models import Contact, Invoice

if TYPE_CHECKING:
    from ..portal import Portal


@attrs.frozen
class Owed:
    """What the contact owes: the open invoices (by due date) and whether some were left out."""

    invoices: tuple[Invoice, ...]
    more: bool
    today: date

    @property
    def balance(self) -> Decimal:
        return sum((i.amount_due for i in self.invoices), Decimal("0.00"))

    @property
    def overdue(self) -> tuple[Invoice, ...]:
        return tuple(i for i in self.invoices if i.due_date < self.today)

    @property
    def processing(self) -> Decimal:
        return sum((i.pending_amount for i in self.invoices), Decimal("0.00"))


class Activity:
    def __init__(self, portal: Portal):
        self._portal = portal

    def owed(self, contact: Contact) -> Owed:
        """The open invoices of every property the contact sees, through ``portal.invoices``."""
        portal = self._portal
        found: list[Invoice] = []
        more = False
        for prop in portal.visibility.properties(contact):
            page = portal.invoices.list(contact, prop.id, InvoiceFilter.OPEN, limit=SUMMARY_LIMIT)
            found += [row.invoice for row in page]
            more = more or page.next_after is not None
        found.sort(key=lambda i: (i.due_date, i.number))
        return Owed(tuple(found), more, portal.clock.now().date())

    def visits(
        self, contact: Contact, property_id: str | None, *, upcoming: bool, after: str | None = None, limit: object = 50
    ) -> Page[VisitRow]:
        """Upcoming (earliest first) or past (latest first) visits as pages over the first 200
        of ``portal.jobs.visits``; ``after`` is a visit id of that list."""
        portal = self._portal
        portal.visibility.require_section(contact, Section.JOBS)
        if property_id is not None:
            portal.visibility.require_property(contact, property_id)
        size = limit_of(limit)
        rows = portal.jobs.visits(contact, property_id, upcoming=upcoming, limit=MAX_LIMIT)
        start = 0
        if after is not None:
            start = next((n + 1 for n, row in enumerate(rows) if row.visit.id == after), -1)
            if start < 0:
                raise NotFound(_("This page of the list is no longer there; start from the first page."))
        shown = rows[start : start + size]
        following = shown[-1].visit.id if start + size < len(rows) and shown else None
        return Page(tuple(shown), following)
