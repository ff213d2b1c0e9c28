"""Tips at payment (issue 27, TIP-1..5), on memory, SQLite and PostgreSQL: off by default; the
suggested percents and a custom amount; the card fee on the invoice amount only, never on the
tip; the tip charged with the payment but never lowering the invoice's amount due; the host's
payment events, the receipt mail and the statement showing it as its own amount; bad tips
refused with a public message and nothing changed. The pay page's tip is in test_plans_pages.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest
from conftest import invoice
from hypothesis import given
from hypothesis import strategies as st
from test_bad_input import snapshot

from portalkit import PaymentSettled, hookimpl
from portalkit.adapters.payments import card_token
from portalkit.billing import checked, from_choice, suggestions
from portalkit.config import PortalConfig
from portalkit.errors import ValidationError
from portalkit.models import Invoice, Payment

VISA = "4242 4242 4242 4242"


@pytest.fixture
def tipping(enrolled):
    """Tips on (10/15/20 percent suggested); Alice with a credit card (3 % fee) and a $100 invoice."""
    w = enrolled
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, tips_enabled=True))
    w.card = w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2031, "credit"))
    w.inv = invoice(w, "INV-T", "100.00")
    return w


def settle(w):
    w.adapters.processor.settle_due(w.portal.payments.handle_webhook)


def test_tip_1_tips_are_off_by_default_and_a_tip_is_refused_then(enrolled):
    w = enrolled
    assert PortalConfig().tips_enabled is False and PortalConfig().tip_percents == (
        Decimal("10"),
        Decimal("15"),
        Decimal("20"),
    )
    card = w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2031))
    inv = invoice(w, "INV-OFF", "100.00")
    before = snapshot(w)
    with pytest.raises(ValidationError) as refused:
        w.portal.payments.pay(w.alice, inv.id, card.id, "100.00", "k-1", tip="5.00")
    assert refused.value.public_message == "Tips are not taken here." and refused.value.field == "tip"
    assert snapshot(w) == before
    assert w.portal.payments.pay(w.alice, inv.id, card.id, "100.00", "k-2", tip="0").tip == 0  # no tip is fine


def test_tip_2_the_fee_is_on_the_invoice_amount_never_on_the_tip(tipping):
    w = tipping
    payment = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k-1", tip="15.00")
    assert (payment.amount, payment.fee, payment.tip, payment.total) == (
        Decimal("100.00"),
        Decimal("3.00"),
        Decimal("15.00"),
        Decimal("118.00"),
    )
    charge = w.adapters.processor._charges[payment.processor_ref]
    assert charge["amount"] == Decimal("118.00")  # one charge: amount, fee and tip


def test_tip_2_suggested_percents_are_of_the_invoices_paid_and_the_tip_rides_with_the_first(tipping):
    w = tipping
    other = invoice(w, "INV-T2", "50.10")
    config = w.portal.config
    assert suggestions(Decimal("150.10"), config) == [
        ("10", Decimal("15.01")),
        ("15", Decimal("22.52")),
        ("20", Decimal("30.02")),
    ]
    tip = from_choice("15", "", Decimal("150.10"), config)
    done = w.portal.payments.pay_many(
        w.alice, [(w.inv.id, "100.00"), (other.id, "50.10")], w.card.id, "form-1", tip=tip
    )
    assert [(p.amount, p.fee, p.tip) for p in done] == [
        (Decimal("100.00"), Decimal("3.00"), Decimal("22.52")),
        (Decimal("50.10"), Decimal("1.50"), Decimal("0.00")),
    ]
    again = w.portal.payments.pay_many(
        w.alice, [(w.inv.id, "100.00"), (other.id, "50.10")], w.card.id, "form-1", tip=tip
    )
    assert [p.id for p in again] == [p.id for p in done] and len(w.adapters.processor.submitted) == 2  # replayed


def test_tip_3_a_tip_never_lowers_the_amount_due_and_the_host_hears_it_as_its_own_amount(tipping):
    w = tipping
    heard = []

    class Listener:
        @hookimpl
        def portalkit_event(self, event):
            heard.append(event)

    w.portal.plugins.register(Listener())
    w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "40.00", "k-1", tip="20.00")  # the largest: half of $40
    settle(w)
    assert w.portal.storage.get(Invoice, w.inv.id).amount_due == Decimal("60.00")  # lowered by the amount only
    [settled] = [e for e in heard if isinstance(e, PaymentSettled)]
    assert (settled.amount, settled.fee, settled.tip, settled.amount_due) == (
        Decimal("40.00"),
        Decimal("1.20"),
        Decimal("20.00"),
        Decimal("60.00"),
    )


@pytest.mark.parametrize("tip", ["-1.00", "1.234", "abc", "1e3", 1.5, "  ", "50.01", "1,000,000.00", Decimal("NaN")])
def test_tip_4_a_bad_tip_is_a_validation_error_and_changes_nothing(tipping, tip):
    w = tipping
    before = snapshot(w)
    if tip == "  ":  # an empty field is no tip
        assert w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k-empty", tip=tip).tip == 0
        return
    with pytest.raises(ValidationError) as refused:
        w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k-1", tip=tip)
    assert refused.value.field == "tip" and refused.value.public_message
    assert snapshot(w) == before


def test_tip_4_the_cap_is_a_percent_of_the_amount_paid_and_a_choice_not_offered_is_refused(tipping):
    w = tipping
    config = w.portal.config
    assert checked("50.00", Decimal("100.00"), config) == Decimal("50.00")  # tip_max_percent 50 by default
    with pytest.raises(ValidationError):
        checked("50.01", Decimal("100.00"), config)
    with pytest.raises(ValidationError):
        from_choice("25", "", Decimal("100.00"), config)  # not one of the suggested percents
    with pytest.raises(ValidationError):
        from_choice("custom", "-3", Decimal("100.00"), config)
    assert from_choice("none", "999", Decimal("100.00"), config) == 0
    with pytest.raises(ValidationError):
        attrs.evolve(config, tip_percents=("-5",))
    with pytest.raises(ValidationError):
        attrs.evolve(config, tip_percents=(1.5,))  # a float is refused, as for fees


@given(
    base=st.decimals(min_value="0.01", max_value="99999999.99", places=2),
    percent=st.sampled_from(["10", "12.5", "15", "18", "20"]),
)
def test_tip_4_a_suggested_tip_is_never_negative_never_above_the_cap_and_exact_to_the_cent(base, percent):
    config = PortalConfig(tips_enabled=True, tip_percents=(Decimal(percent),))
    tip = from_choice(percent, "", base, config)
    assert Decimal("0.00") <= tip <= base * Decimal("0.5") + Decimal("0.005")
    assert tip == tip.quantize(Decimal("0.01")) and abs(tip - base * Decimal(percent) / 100) <= Decimal("0.005")


def test_tip_5_the_receipt_and_the_statement_show_the_tip_apart(tipping):
    w = tipping
    w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k-1", tip="12.00")
    settle(w)
    receipt = [m for m in w.mailer.to("alice@example.com") if "Receipt" in m.subject][-1]
    assert "Tip: $12.00" in receipt.text and "Total charged: $115.00" in receipt.text
    assert ">Tip<" in receipt.html and "$12.00" in receipt.html
    statement = w.portal.statements.statement(w.alice, date(2026, 1, 1), date(2026, 1, 31))
    [entry] = [e for part in statement.properties for e in part.entries if e.amount < 0]
    assert (entry.amount, entry.tip) == (Decimal("-100.00"), Decimal("12.00"))
    assert statement.closing == 0  # the tip is no part of the balance
    pdf = w.portal.statements.pdf(w.alice, date(2026, 1, 1), date(2026, 1, 31))
    assert pdf.startswith(b"%PDF")
    [payment] = w.portal.storage.find(Payment)
    assert payment.tip == Decimal("12.00") and payment.amount == Decimal("100.00")
