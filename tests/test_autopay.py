"""Autopay with consent (issue 15, item 3)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from portalkit import PaymentStatus
from portalkit.adapters.payments import card_token
from portalkit.errors import NotFound, ValidationError
from portalkit.models import AutopayConsent, Invoice, Payment

DECLINED = "4000000000000002"


def settle(w):
    w.adapters.processor.settle_due(w.portal.payments.handle_webhook)


@pytest.fixture
def due(enrolled):
    """Alice (the primary contact) with a card and an invoice due today; Bob's invoice too."""
    w = enrolled
    today = w.clock.now().date()
    w.card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    w.inv = w.portal.invoices.add(w.staff, w.prop.id, "INV-AUTO", "120.00", today - timedelta(days=30), net_days=30)
    w.bobs = w.portal.invoices.add(
        w.staff, w.prop.id, "INV-BOB", "40.00", today, net_days=0, billing_contact_id=w.bob.id
    )
    return w


def test_autopay_consent_is_recorded_as_given_and_revocable(due):
    w = due
    auto = w.portal.autopay
    with pytest.raises(ValidationError):
        auto.enable(w.alice, w.card.id, "198.51.100.4", agreed=False)
    with pytest.raises(NotFound):
        auto.enable(w.bob, w.card.id, agreed=True)  # someone else's card
    consent = auto.enable(w.alice, w.card.id, "198.51.100.4", agreed=True)
    assert (consent.method_id, consent.ip_address, consent.accepted_at) == (w.card.id, "198.51.100.4", w.clock.now())
    assert "Green Acres" in consent.consent_text and "[CompanyName]" not in consent.consent_text
    auto.disable(w.alice)
    assert auto.consent(w.alice) is None
    assert w.portal.storage.get(AutopayConsent, consent.id).revoked_at == w.clock.now()  # kept, revoked
    auto.enable(w.alice, w.card.id, agreed=True)
    w.portal.payments.remove_method(w.alice, w.card.id)
    assert auto.consent(w.alice) is None  # a removed card can pay nothing


def test_autopay_pays_invoices_on_their_due_date_once(due):
    w = due
    w.portal.autopay.enable(w.alice, w.card.id, agreed=True)
    assert w.portal.autopay.run() == 1  # INV-AUTO; not INV-BOB: billed to Bob, though Alice (primary) sees it
    [payment] = w.portal.storage.find(Payment, invoice_id=w.inv.id)
    assert (payment.amount, payment.autopay_attempt, payment.status) == (Decimal("120.00"), 1, PaymentStatus.PROCESSING)
    assert w.portal.autopay.run() == 0  # pending
    assert w.portal.storage.find(Payment, invoice_id=w.bobs.id) == []
    settle(w)
    assert w.portal.storage.get(Invoice, w.inv.id).amount_due == 0
    w.clock.advance(days=1)
    assert w.portal.autopay.run() == 0


def test_autopay_retries_on_its_days_and_tells_contact_and_staff(due):
    w = due
    bad = w.portal.payments.add_method(w.alice, card_token(DECLINED, 12, 2031))
    w.portal.autopay.enable(w.alice, bad.id, agreed=True)
    attempts = []
    for day in range(10):
        started = w.portal.autopay.run()
        settle(w)
        if started:
            attempts.append(day)
        w.clock.advance(days=1)
    assert attempts == [0, 3, 7]  # autopay_retry_days
    failed = w.portal.storage.find(Payment, invoice_id=w.inv.id)
    assert sorted(p.autopay_attempt for p in failed) == [1, 2, 3] and {p.status for p in failed} == {
        PaymentStatus.FAILED
    }
    w.portal.outbox.dispatch()
    to_alice = [m for m in w.mailer.outbox if m.to == ("alice@example.com",) and "INV-AUTO" in m.subject]
    to_staff = [m for m in w.mailer.outbox if m.to == ("owner@greenacres.test",) and "Autopay failed" in m.subject]
    assert len(to_alice) == 3 and len(to_staff) == 3
    assert "last attempt" in to_staff[-1].text and "tries again" in to_staff[0].text


def test_pay_9_an_invoice_already_overdue_when_autopay_is_turned_on_is_not_charged(due):
    """The consent says invoices that come due from today on; an older, overdue invoice is the
    contact's to pay (it was charged at once, surprising the contact)."""
    w = due
    overdue = w.portal.invoices.add(
        w.staff, w.prop.id, "INV-OLD", "55.00", w.clock.now().date() - timedelta(days=60), net_days=30
    )
    w.clock.advance(days=1)
    w.portal.autopay.enable(w.alice, w.card.id, agreed=True)
    w.portal.autopay.run()
    assert [p.invoice_id for p in w.portal.storage.find(Payment)] == []
    assert w.portal.storage.get(Invoice, overdue.id).amount_due == Decimal("55.00")
    later = w.portal.invoices.add(w.staff, w.prop.id, "INV-NEW", "30.00", w.clock.now().date(), net_days=0)
    assert w.portal.autopay.run() == 1
    assert [p.invoice_id for p in w.portal.storage.find(Payment)] == [later.id]


def test_pay_9_the_consent_says_what_is_charged_and_any_fee(due):
    import attrs

    w = due
    with_fee = w.portal.config.autopay_consent_text
    assert "from today on" in with_fee and "3.00 percent" in with_fee  # the tests' company charges a card fee
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, convenience_fee_percent="0.00"))
    assert "fee" not in w.portal.config.autopay_consent_text
    consent = w.portal.autopay.enable(w.alice, w.card.id, agreed=True)
    assert consent.consent_text == w.portal.config.autopay_consent_text
