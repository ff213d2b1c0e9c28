"""Account statements (issue 15, item 6): opening balance, invoices, payments, refunds, returns
and closing balance per property, for the invoices the contact sees (VIS-2)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from conftest import invoice
from pypdf import PdfReader

from portalkit.adapters.payments import card_token
from portalkit.errors import PermissionDenied, ValidationError


def settle(w):
    w.adapters.processor.settle_due(w.portal.payments.handle_webhook)


@pytest.fixture
def ledger(enrolled):
    """Alice: an old invoice paid in the portal before the period, one in the period partly paid
    and partly refunded, one the company marked paid in its own system."""
    w = enrolled
    pay = w.portal.payments
    card = pay.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    today = w.clock.now().date()
    old = w.portal.invoices.add(w.staff, w.prop.id, "INV-OLD", "300.00", today - timedelta(days=60))
    pay.pay(w.alice, old.id, card.id, "300.00", "k-old")
    settle(w)
    w.clock.advance(days=40)  # the period starts here
    w.start = w.clock.now().date()
    new = w.portal.invoices.add(w.staff, w.prop.id, "INV-NEW", "500.00", w.start)
    paid = pay.pay(w.alice, new.id, card.id, "200.00", "k-new")
    settle(w)
    w.clock.advance(days=2)
    pay.refund(w.staff, paid.id, "50.00")
    w.portal.invoices.add(w.staff, w.prop.id, "INV-HOST", "80.00", w.start, amount_due="0.00")
    w.end = w.clock.now().date()
    return w


def test_statement_balances_add_up_per_property(ledger):
    w = ledger
    s = w.portal.statements.statement(w.alice, w.start, w.end)
    [part] = s.properties
    assert part.opening == Decimal("0.00")  # INV-OLD billed and paid before the period
    assert sorted((e.description, e.amount) for e in part.entries) == sorted(
        [
            ("Invoice INV-NEW", Decimal("500.00")),
            ("Invoice INV-HOST", Decimal("80.00")),
            ("Payments and credits recorded by the company on invoice INV-HOST", Decimal("-80.00")),
            ("Payment on invoice INV-NEW", Decimal("-200.00")),
            ("Refund on invoice INV-NEW", Decimal("50.00")),
        ]
    )
    assert [e.on for e in part.entries] == sorted(e.on for e in part.entries)
    assert part.closing == s.closing == Decimal("350.00")
    due = sum(r.invoice.amount_due for r in w.portal.invoices.list(w.alice, w.prop.id))
    assert due == part.closing  # the closing balance is what is due on the invoices


def test_statement_opening_balance_carries_what_was_owed_before(ledger):
    w = ledger
    later = w.portal.statements.statement(w.alice, w.end + timedelta(days=1), w.end + timedelta(days=30))
    [part] = later.properties
    assert (part.opening, part.entries, part.closing) == (Decimal("350.00"), (), Decimal("350.00"))


def test_statement_shows_only_invoices_the_contact_sees(ledger):
    w = ledger
    bob = w.portal.directory.contact(w.bob.id)  # linked, not primary, billed nothing
    assert w.portal.statements.statement(bob, w.start, w.end).properties == ()
    invoice(w, "INV-BOB", "40.00", billing=w.bob.id)
    [part] = w.portal.statements.statement(bob, date(2026, 1, 1), w.end).properties
    assert [e.description for e in part.entries] == ["Invoice INV-BOB"] and part.closing == Decimal("40.00")


def test_statement_pdf_and_bad_periods(ledger):
    w = ledger
    text = PdfReader(BytesIO(w.portal.statements.pdf(w.alice, w.start, w.end))).pages[0].extract_text()
    assert "Oak Street Commons" in text and "Opening balance" in text and "Refund on invoice INV-NEW" in text
    assert "Balance due: $350.00" in text and "-$200.00" in text
    with pytest.raises(ValidationError):
        w.portal.statements.statement(w.alice, w.end, w.start)
    with pytest.raises(ValidationError):
        w.portal.statements.statement(w.alice, date(2020, 1, 1), date(2026, 1, 1))
    alice = w.portal.directory.update_contact(w.staff, w.alice.id, access=type(w.alice.access)(invoices=False))
    with pytest.raises(PermissionDenied):
        w.portal.statements.statement(alice, w.start, w.end)
