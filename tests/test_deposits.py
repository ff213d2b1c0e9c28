"""Deposits at signing (issue 15, item 2)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from conftest import PNG_SIGNATURE

from portalkit import PaymentStatus, ProposalStatus
from portalkit.adapters.payments import card_token
from portalkit.errors import ValidationError
from portalkit.models import Invoice, Payment, Proposal
from portalkit.sync import HostInvoice, HostProposal


def settle(w):
    w.adapters.processor.settle_due(w.portal.payments.handle_webhook)


@pytest.fixture
def deposit(enrolled):
    w = enrolled
    start = w.clock.now().date() + timedelta(days=10)
    w.proposal = w.portal.proposals.add(
        w.staff,
        w.prop.id,
        "P-700",
        "Irrigation",
        start,
        services=[("Install", "1000.00", False), ("Drip line", "500.00", True)],
        deposit="10",
        deposit_percent=True,
    )
    w.card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    return w


def test_a_deposit_is_charged_when_signing_and_comes_off_the_first_invoice(deposit):
    w = deposit
    drip = next(s for s in w.proposal.services if s.optional)
    with pytest.raises(ValidationError, match=r"deposit of \$150.00"):
        w.portal.proposals.sign(w.alice, w.proposal.id, PNG_SIGNATURE, "10.0.0.1", [drip.id])
    assert w.portal.storage.get(Proposal, w.proposal.id).signature is None  # nothing signed
    signed = w.portal.proposals.sign(
        w.alice, w.proposal.id, PNG_SIGNATURE, "10.0.0.1", [drip.id], deposit_method_id=w.card.id
    )
    billed = w.portal.storage.get(Invoice, signed.deposit_invoice_id)
    assert (billed.number, billed.amount, billed.billing_contact_id) == ("P-700-DEPOSIT", Decimal("150.00"), w.alice.id)
    [charge] = w.portal.storage.find(Payment, invoice_id=billed.id)
    assert charge.status is PaymentStatus.PROCESSING and charge.idempotency_key == f"deposit:{signed.id}"
    settle(w)
    assert w.portal.storage.get(Invoice, billed.id).amount_due == 0
    first = w.portal.invoices.add(w.staff, w.prop.id, "INV-700", "1500.00", date(2026, 4, 1), proposal_id=signed.id)
    assert (first.deposit_credit, first.amount_due) == (Decimal("150.00"), Decimal("1350.00"))
    second = w.portal.invoices.add(w.staff, w.prop.id, "INV-701", "100.00", date(2026, 5, 1), proposal_id=signed.id)
    assert (second.deposit_credit, second.amount_due) == (Decimal("0.00"), Decimal("100.00"))


def test_a_declined_deposit_leaves_the_proposal_signed_and_its_invoice_open(deposit):
    w = deposit
    declined = w.portal.payments.add_method(w.alice, card_token("4000000000000002", 12, 2031))
    signed = w.portal.proposals.sign(w.alice, w.proposal.id, PNG_SIGNATURE, "10.0.0.1", deposit_method_id=declined.id)
    settle(w)
    billed = w.portal.storage.get(Invoice, signed.deposit_invoice_id)
    assert signed.signature and billed.amount_due == Decimal("100.00")  # 10 % of $1,000
    assert [(inv.id, inv.number) for _, inv in w.portal.payments.failures(w.alice)] == [(billed.id, billed.number)]
    first = w.portal.invoices.add(w.staff, w.prop.id, "INV-700", "1000.00", date(2026, 4, 1), proposal_id=signed.id)
    assert first.deposit_credit == 0  # nothing paid, nothing taken off


def test_a_fixed_deposit_never_exceeds_the_total_and_the_host_keeps_it_off(enrolled):
    w = enrolled
    start = w.clock.now().date() + timedelta(days=10)
    proposal = w.portal.proposals.add(
        w.staff, w.prop.id, "P-9", "Mulch", start, services=[("Mulch", "400.00", False)], deposit="900.00"
    )
    card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    signed = w.portal.proposals.sign(w.alice, proposal.id, PNG_SIGNATURE, "10.0.0.1", deposit_method_id=card.id)
    assert w.portal.storage.get(Invoice, signed.deposit_invoice_id).amount == Decimal("400.00")
    settle(w)
    with pytest.raises(ValidationError):
        w.portal.proposals.add(w.staff, w.prop.id, "P-10", "x", start, deposit="120", deposit_percent=True)


def test_sync_proposals_carry_deposits_and_invoices_keep_the_deposit_off(world):
    import attrs
    from test_sync import DAY, host_batch

    from portalkit import Service

    w = world
    start = w.clock.now().date() + timedelta(days=10)
    proposals = [
        HostProposal(
            external_id="PP-1",
            property="PR-1",
            number="HP-1",
            description="Spring mulch",
            status=ProposalStatus.APPROVED,
            estimated_start=start,
            deposit="50.00",
            services=(Service(name="Mulch", price=Decimal("400.00")),),
        )
    ]
    w.portal.sync.apply(host_batch(0, proposals=proposals))
    [proposal] = w.portal.storage.find(Proposal, external_id="PP-1")
    dana = w.enrol(w.portal.directory.contact_by_email("dana@example.com"))
    card = w.portal.payments.add_method(dana, card_token("4242424242424242", 12, 2031))
    w.portal.proposals.sign(dana, proposal.id, PNG_SIGNATURE, "10.0.0.1", deposit_method_id=card.id)
    settle(w)
    first = HostInvoice(
        external_id="IN-P",
        property="PR-1",
        number="H-P",
        amount="400.00",
        amount_due="400.00",
        invoice_date=DAY,
        proposal="PP-1",
    )
    w.portal.sync.apply(attrs.evolve(host_batch(0, proposals=proposals), invoices=[first]))
    [invoice] = w.portal.storage.find(Invoice, external_id="IN-P")
    assert (invoice.deposit_credit, invoice.amount_due) == (Decimal("50.00"), Decimal("350.00"))
    changed = attrs.evolve(first, amount="410.00", amount_due="410.00")
    w.portal.sync.apply(attrs.evolve(host_batch(0, proposals=proposals), invoices=[changed]))
    [invoice] = w.portal.storage.find(Invoice, external_id="IN-P")
    assert invoice.amount_due == Decimal("360.00")  # the host's change, with the deposit still off


def test_the_statement_shows_the_deposit_paid_and_taken_off(deposit):
    w = deposit
    signed = w.portal.proposals.sign(w.alice, w.proposal.id, PNG_SIGNATURE, "10.0.0.1", deposit_method_id=w.card.id)
    settle(w)
    today = w.clock.now().date()
    w.portal.invoices.add(w.staff, w.prop.id, "INV-700", "1000.00", today, proposal_id=signed.id)
    [part] = w.portal.statements.statement(w.alice, today, today).properties
    assert ("Deposit taken off invoice INV-700", Decimal("-100.00")) in [
        (e.description, e.amount) for e in part.entries
    ]
    assert part.closing == Decimal("900.00")  # billed 1,100 in all, paid 100, owes 900
