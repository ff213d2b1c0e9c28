import threading
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import attrs
import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from portalkit import InvoiceFilter, MethodKind, PaymentStatus
from portalkit.errors import (InvalidTransition, NotFound, PaymentPending, PaymentsDisabled, PortalError,
                              ValidationError)
from portalkit.models import Invoice, Payment
from portalkit.payments import aba_checksum_ok, parse_ach

from conftest import invoice

VISA = "4242 4242 4242 4242"
DECLINED = "4000000000000002"
REFUSED = "4000000000000119"


@pytest.fixture
def billing(enrolled):
    w = enrolled
    w.inv = invoice(w, amount="500.00")
    w.card = w.portal.payments.add_card(w.alice, VISA, 12, 2030)
    w.ach = w.portal.payments.add_ach(w.alice, "011000015/123456789")
    return w


def settle(w):
    return w.adapters.processor.settle_due(w.portal.payments.settle)


def test_pay_1_lists_open_paid_recently_all_paid(enrolled):
    w = enrolled
    w.clock.set(w.clock.now().replace(year=2026, month=11, day=1))
    invoice(w, "OPEN", "100.00")
    w.portal.invoices.add(w.staff, w.prop.id, "RECENT", "50.00", date(2026, 9, 1), amount_due="0.00")
    w.portal.invoices.add(w.staff, w.prop.id, "OLD", "50.00", date(2025, 1, 1), amount_due="0.00")
    nums = lambda f: [r.invoice.number for r in w.portal.invoices.list(w.alice, w.prop.id, f)]  # noqa: E731
    assert nums(InvoiceFilter.OPEN) == ["OPEN"]
    assert nums(InvoiceFilter.PAID_LAST_6_MONTHS) == ["RECENT"]
    assert nums(InvoiceFilter.ALL_PAID) == ["OLD", "RECENT"]


def test_pay_2_row_fields_due_date_from_net_terms(enrolled):
    inv = enrolled.portal.invoices.add(enrolled.staff, enrolled.prop.id, "N45", "120.00", date(2026, 1, 10), net_days=45)
    [row] = enrolled.portal.invoices.list(enrolled.alice, enrolled.prop.id)
    assert row.invoice.due_date == date(2026, 2, 24)
    assert (row.invoice.number, row.invoice.amount_due, row.invoice.amount, row.invoice.pending_amount) == \
        ("N45", Decimal("120.00"), Decimal("120.00"), Decimal("0.00"))
    assert inv.due_date == date(2026, 2, 24)


def test_pay_3_pending_payment_disables_pay_and_blocks_double_pay(billing):
    w = billing
    p = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "200.00", "key-1")
    assert p.status is PaymentStatus.PENDING
    [row] = w.portal.invoices.list(w.alice, w.prop.id)
    assert row.pay_label == "Pay (Pmt Pending)" and not row.can_pay
    assert row.invoice.pending_amount == Decimal("200.00")
    with pytest.raises(PaymentPending):
        w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "100.00", "key-2")


def test_pay_3_pay_unavailable_when_electronic_payment_disabled(billing):
    w = billing
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, electronic_payment_enabled=False))
    [row] = w.portal.invoices.list(w.alice, w.prop.id)
    assert not row.can_pay
    with pytest.raises(PaymentsDisabled):
        w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "10.00", "k")


def test_pay_3_pdf_view_always_offered(billing):
    w = billing
    pdf = w.portal.invoices.pdf(w.alice, w.inv.id)
    assert pdf.startswith(b"%PDF")


def test_pay_4_ach_format_and_aba_checksum():
    assert parse_ach("011000015/123456789") == ("011000015", "123456789")
    assert aba_checksum_ok("021000021") and not aba_checksum_ok("021000022")
    for bad in ("011000015-123456789", "011000015/12345/6789", "01100001a/123456", "011000015 / 1234",
                "011000016/123456789", "011000015/"):
        with pytest.raises(ValidationError):
            parse_ach(bad)


def test_pay_4_expired_cards_not_listed_and_not_usable(billing):
    w = billing
    w.clock.set(w.clock.now().replace(year=2031, month=1))
    listed = w.portal.payments.methods(w.alice)
    assert [m.kind for m in listed] == [MethodKind.ACH]
    with pytest.raises(ValidationError):
        w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "10.00", "k")
    with pytest.raises(ValidationError):
        w.portal.payments.add_card(w.alice, VISA, 12, 2030)


def test_pay_4_one_default_method(billing):
    w = billing
    assert [m.is_default for m in w.portal.payments.methods(w.alice)] == [True, False]
    w.portal.payments.set_default(w.alice, w.ach.id)
    methods = w.portal.payments.methods(w.alice)
    assert methods[0].id == w.ach.id and [m.is_default for m in methods] == [True, False]


def test_pay_4_methods_are_private(billing):
    w = billing
    with pytest.raises(NotFound):
        w.portal.payments.remove_method(w.bob, w.card.id)
    assert w.portal.payments.methods(w.bob) == []


def test_pay_5_fee_on_cards_only(billing):
    w = billing
    q = w.portal.payments.quote(w.alice, w.inv.id, w.card.id, "100.00")
    assert (q.amount, q.fee, q.total) == (Decimal("100.00"), Decimal("3.00"), Decimal("103.00"))
    q = w.portal.payments.quote(w.alice, w.inv.id, w.ach.id, "100.00")
    assert (q.fee, q.total) == (Decimal("0.00"), Decimal("100.00"))


@pytest.mark.parametrize("amount", ["0", "-1", "500.01", "abc", "1.005", 10.5, "NaN"])
def test_pay_5_amount_above_zero_at_most_remaining(billing, amount):
    w = billing
    with pytest.raises(ValidationError):
        w.portal.payments.pay(w.alice, w.inv.id, w.card.id, amount, "k")
    assert w.portal.storage.get(Invoice, w.inv.id).pending_amount == 0
    assert w.portal.storage.find(Payment) == []


def test_pay_6_partial_payment_lowers_amount_due(billing):
    w = billing
    w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "200.00", "k1")
    assert settle(w) == 1
    inv = w.portal.storage.get(Invoice, w.inv.id)
    assert (inv.amount_due, inv.pending_amount) == (Decimal("300.00"), Decimal("0.00"))
    w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "300.00", "k2")
    settle(w)
    inv = w.portal.storage.get(Invoice, w.inv.id)
    assert inv.amount_due == 0 and inv.paid_on is not None
    assert w.portal.invoices.list(w.alice, w.prop.id) == []


def test_pay_6_failed_payment_lifts_block_changes_no_balance(billing):
    w = billing
    bad = w.portal.payments.add_card(w.alice, DECLINED, 1, 2029)
    w.portal.payments.pay(w.alice, w.inv.id, bad.id, "50.00", "k1")
    settle(w)
    inv = w.portal.storage.get(Invoice, w.inv.id)
    assert (inv.amount_due, inv.pending_amount) == (Decimal("500.00"), Decimal("0.00"))
    [p] = w.portal.payments.history(w.alice, w.inv.id)
    assert p.status is PaymentStatus.FAILED and p.failure_reason == "Card declined"
    assert w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "50.00", "k2").status is PaymentStatus.PENDING


def test_pay_6_processor_refusing_at_once_leaves_nothing_pending(billing):
    w = billing
    refused = w.portal.payments.add_card(w.alice, REFUSED, 1, 2029)
    p = w.portal.payments.pay(w.alice, w.inv.id, refused.id, "50.00", "k1")
    assert p.status is PaymentStatus.FAILED
    assert w.portal.storage.get(Invoice, w.inv.id).pending_amount == 0


def test_pay_6_settlement_applies_exactly_once(billing):
    w = billing
    p = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k1")
    for _ in range(3):
        w.portal.payments.settle(p.processor_ref, True)
    w.portal.payments.settle(p.processor_ref, False)  # a late contradicting webhook changes nothing
    inv = w.portal.storage.get(Invoice, w.inv.id)
    assert inv.amount_due == Decimal("400.00")
    with pytest.raises(NotFound):
        w.portal.payments.settle("unknown-ref", True)


def test_pay_7_receipts_for_opted_in_contacts(billing):
    w = billing
    w.portal.accounts.set_receipts(w.alice, True)
    assert w.mailer.to("alice@example.com")[-1].subject == "You will receive electronic payment receipts"
    p = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k1")
    settle(w)
    receipt = w.mailer.to("alice@example.com")[-1]
    assert receipt.subject == "Receipt: payment on invoice INV-1"
    assert "Amount paid: $100.00" in receipt.text and "Total charged: $103.00" in receipt.text
    settle(w)
    w.portal.payments.settle(p.processor_ref, True)
    assert len([m for m in w.mailer.to("alice@example.com") if m.subject.startswith("Receipt")]) == 1


def test_pay_7_no_receipt_without_opt_in(billing):
    w = billing
    w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k1")
    w.mailer.outbox.clear()
    settle(w)
    assert not [m for m in w.mailer.outbox if m.subject.startswith("Receipt")]


def test_idempotency_key_returns_the_same_payment(billing):
    w = billing
    a = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "same")
    b = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "same")
    assert a.id == b.id and len(w.portal.storage.find(Payment)) == 1


def test_concurrent_payments_one_pending_others_refused(billing):
    w = billing
    results, barrier = [], threading.Barrier(6)

    def attempt(i):
        barrier.wait()
        try:
            results.append(w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", f"k{i}").status)
        except PortalError as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(map(str, results)) == sorted(["PaymentPending"] * 5 + [str(PaymentStatus.PENDING)])
    assert w.portal.storage.get(Invoice, w.inv.id).pending_amount == Decimal("100.00")


def test_refund_restores_amount_due(billing):
    w = billing
    p = w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "100.00", "k1")
    settle(w)
    w.portal.payments.refund(w.staff, p.id)
    assert w.portal.storage.get(Invoice, w.inv.id).amount_due == Decimal("500.00")
    with pytest.raises(InvalidTransition):
        w.portal.payments.refund(w.staff, p.id)


class PaymentMachine(RuleBasedStateMachine):
    """Any interleaving of pays, settlements, declines and refunds keeps the books straight."""

    def __init__(self):
        super().__init__()
        from conftest import build_world as bw

        self.w = bw()
        self.w.alice = self.w.enrol(self.w.alice)
        self.inv = invoice(self.w, amount="300.00")
        self.card = self.w.portal.payments.add_card(self.w.alice, VISA, 1, 2030)
        self.bad = self.w.portal.payments.add_card(self.w.alice, DECLINED, 1, 2030)
        self.n = 0

    @rule(amount=st.decimals(min_value="-5", max_value="350", places=2), declined=st.booleans())
    def pay(self, amount, declined):
        self.n += 1
        method = self.bad if declined else self.card
        try:
            self.w.portal.payments.pay(self.w.alice, self.inv.id, method.id, amount, f"k{self.n}")
        except (ValidationError, InvalidTransition):
            pass

    @rule()
    def settle_all(self):
        settle(self.w)

    @rule(data=st.data())
    def refund(self, data):
        settled = [p for p in self.w.portal.storage.find(Payment) if p.status is PaymentStatus.SETTLED]
        if settled:
            self.w.portal.payments.refund(self.w.staff, data.draw(st.sampled_from(settled)).id)

    @invariant()
    def books_balance(self):
        inv = self.w.portal.storage.get(Invoice, self.inv.id)
        payments = self.w.portal.storage.find(Payment)
        settled = sum((p.amount for p in payments if p.status is PaymentStatus.SETTLED), Decimal(0))
        pending = [p for p in payments if p.status in (PaymentStatus.PENDING, PaymentStatus.INITIATED)]
        assert inv.amount_due == Decimal("300.00") - settled
        assert 0 <= inv.amount_due <= inv.amount
        assert len(pending) <= 1
        assert inv.pending_amount == sum((p.amount for p in pending), Decimal(0))
        for p in payments:
            assert p.fee == (Decimal(0) if p.method_kind is MethodKind.ACH else (p.amount * 3 / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


TestPaymentMachine = PaymentMachine.TestCase
TestPaymentMachine.settings = settings(max_examples=30, stateful_step_count=15, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])
