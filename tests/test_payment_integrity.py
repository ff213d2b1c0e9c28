"""Money moves only under what it relies on: autopay under a consent still standing when the
charge is written (PAY-9), processor events applied once per company (PAY-6), and a refused
payment method leaving nothing behind (PAY-4). On memory, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from conftest import build_world, invoice

from portalkit.adapters.payments import bank_token, card_token
from portalkit.errors import ValidationError
from portalkit.models import AutopayConsent, Contact, Invoice, Payment, PaymentStatus

VISA = "4242 4242 4242 4242"


@pytest.fixture
def autopaying(enrolled):
    """Alice pays Oak Street Commons' invoices by autopay; one is due today."""
    w = enrolled
    w.card = w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2031))
    w.portal.autopay.enable(w.alice, w.card.id, "203.0.113.7", agreed=True)
    w.inv = invoice(w, "INV-A", "80.00")
    w.clock.set(w.clock.now().replace(year=2026, month=2, day=10))  # past the due date
    return w


def test_pay_9_autopay_does_not_charge_once_the_contact_turned_it_off_during_the_run(autopaying, monkeypatch):
    """The worker read the consents; the contact turns autopay off before the charge is written."""
    w = autopaying
    due = w.portal.autopay._due

    def turned_off_meanwhile(contact, consent, today):
        found = due(contact, consent, today)
        w.portal.autopay.disable(w.portal.directory.contact(w.alice.id))  # the profile's "turn off", now
        return found

    monkeypatch.setattr(w.portal.autopay, "_due", turned_off_meanwhile)
    assert w.portal.autopay.run() == 0
    assert w.portal.storage.find(Payment) == []
    assert w.adapters.processor.submitted == []
    assert w.portal.storage.get(Invoice, w.inv.id).amount_due == Decimal("80.00")


def test_pay_9_autopay_charges_while_the_consent_stands(autopaying):
    w = autopaying
    assert w.portal.autopay.run() == 1
    [payment] = w.portal.storage.find(Payment)
    assert payment.autopay_attempt == 1 and len(w.adapters.processor.submitted) == 1


def test_pay_9_a_consent_revoked_in_another_transaction_conflicts_with_the_charge(autopaying):
    """The charge writes the consent (compare-and-swap): a revocation made from a copy read before
    it loses and is retried, so it can never be lost, and the charge never runs on a stale read."""
    w = autopaying
    [consent] = w.portal.storage.find(AutopayConsent, revoked_at=None)
    w.portal.payments.charge_automatically(w.alice, w.inv, consent, 1)
    assert w.portal.storage.get(AutopayConsent, consent.id).version == consent.version + 1
    w.portal.autopay.disable(w.alice)
    assert w.portal.storage.find(AutopayConsent, revoked_at=None) == []


def two_companies(storage):
    a = build_world(storage, company_id="acme")
    b = build_world(storage, company_id="bolt")
    for w in (a, b):
        w.alice = w.enrol(w.alice)
        w.inv = invoice(w, "INV-1", "100.00")
        w.ach = w.portal.payments.add_method(w.alice, bank_token("011000015", "123456789"))
    return a, b


def test_pay_6_processed_events_are_kept_per_company(storage):
    """Two companies on one storage each receive an event with the same id: both apply."""
    a, b = two_companies(storage)
    for w in (a, b):
        payment = w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "100.00", "key-1")
        body = json.dumps(
            {"id": "evt_same", "kind": "succeeded", "ref": payment.processor_ref, "payment_id": payment.id}
        ).encode()
        w.portal.payments.handle_webhook({"Fake-Signature": w.adapters.processor.signature(body)}, body)
        assert w.portal.storage.get(Payment, payment.id).status is PaymentStatus.SETTLED
        assert w.portal.storage.get(Invoice, w.inv.id).amount_due == 0
        # and a redelivery to the same company is still ignored
        assert w.portal.payments.handle_webhook({"Fake-Signature": w.adapters.processor.signature(body)}, body) is None


@pytest.mark.parametrize("token", ["tok_garbage", card_token(VISA, 1, 2020)])
def test_pay_4_a_refused_payment_method_changes_nothing(enrolled, token):
    """A token the processor does not know, or an expired card: no customer at the processor,
    nothing on the contact, no method."""
    w = enrolled
    before = w.portal.storage.get(Contact, w.alice.id)
    with pytest.raises(ValidationError) as refused:
        w.portal.payments.add_method(w.alice, token)
    assert refused.value.public_message
    assert w.adapters.processor.customers == {}
    assert w.portal.storage.get(Contact, w.alice.id) == before
    assert w.portal.payments.methods(w.alice) == []
    w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2031))  # a good one then works
    assert len(w.adapters.processor.customers) == 1
    assert w.portal.storage.get(Contact, w.alice.id).processor_customer in w.adapters.processor.customers


def test_pay_9_the_consent_is_never_charged_before_its_invoice_is_due(autopaying):
    w = autopaying
    w.clock.set(w.clock.now().replace(year=2026, month=1, day=6))
    assert w.portal.autopay.run(today=date(2026, 1, 6)) == 0
    assert w.portal.autopay.run(today=w.inv.due_date - timedelta(days=1)) == 0
