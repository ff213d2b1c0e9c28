import threading
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import attrs
import pytest
from conftest import invoice
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from portalkit import InvoiceFilter, MethodKind, PaymentStatus
from portalkit.adapters.payments import bank_token, card_token
from portalkit.errors import InvalidTransition, NotFound, PaymentPending, PaymentsDisabled, PortalError, ValidationError
from portalkit.models import Invoice, Payment
from portalkit.ports import ChargeStatus, ProcessorEvent

VISA = "4242 4242 4242 4242"
DECLINED = "4000000000000002"
REFUSED = "4000000000000119"


@pytest.fixture
def billing(enrolled):
    w = enrolled
    w.inv = invoice(w, amount="500.00")
    w.card = w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2030))
    w.ach = w.portal.payments.add_method(w.alice, bank_token("011000015", "123456789"))
    return w


def settle(w):
    return w.adapters.processor.settle_due(w.portal.payments.handle_webhook)


def test_pay_1_lists_open_paid_recently_all_paid(enrolled):
    w = enrolled
    w.clock.set(w.clock.now().replace(year=2026, month=11, day=1))
    invoice(w, "OPEN", "100.00")
    w.portal.invoices.add(w.staff, w.prop.id, "RECENT", "50.00", date(2026, 9, 1), amount_due="0.00")
    w.portal.invoices.add(w.staff, w.prop.id, "OLD", "50.00", date(2025, 1, 1), amount_due="0.00")
    nums = lambda f: [r.invoice.number for r in w.portal.invoices.list(w.alice, w.prop.id, f)]  # noqa: E731
    assert nums(InvoiceFilter.OPEN) == ["OPEN"]
    assert nums(InvoiceFilter.PAID_LAST_6_MONTHS) == ["RECENT"]
    assert nums(InvoiceFilter.ALL_PAID) == ["RECENT", "OLD"]  # the latest paid first


def test_pay_2_row_fields_due_date_from_net_terms(enrolled):
    inv = enrolled.portal.invoices.add(
        enrolled.staff, enrolled.prop.id, "N45", "120.00", date(2026, 1, 10), net_days=45
    )
    [row] = enrolled.portal.invoices.list(enrolled.alice, enrolled.prop.id)
    assert row.invoice.due_date == date(2026, 2, 24)
    assert (row.invoice.number, row.invoice.amount_due, row.invoice.amount, row.invoice.pending_amount) == (
        "N45",
        Decimal("120.00"),
        Decimal("120.00"),
        Decimal("0.00"),
    )
    assert inv.due_date == date(2026, 2, 24)


def test_pay_3_pending_payment_disables_pay_and_blocks_double_pay(billing):
    w = billing
    p = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "200.00", "key-1")
    assert p.status is PaymentStatus.PROCESSING
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


def test_pay_4_methods_are_processor_tokens_never_numbers(billing):
    w = billing
    card, ach = w.card, w.ach
    assert (card.kind, card.label, card.last4, card.funding) == (MethodKind.CARD, "Visa ending 4242", "4242", "credit")
    assert (ach.kind, ach.label, ach.last4) == (MethodKind.ACH, "Test Bank ending 6789", "6789")
    assert ach.mandate == w.portal.config.ach_mandate_text and "Green Acres Landscaping" in ach.mandate
    assert ach.mandate_accepted_at == w.clock.now() and card.mandate == ""
    stored = repr(w.portal.storage.find(type(card)))
    assert "4242424242424242" not in stored and "123456789" not in stored
    with pytest.raises(ValidationError):
        w.portal.payments.add_method(w.alice, "4242424242424242")  # a number is no token


def test_no_core_api_takes_a_card_or_account_number():
    import inspect

    import portalkit.billing._payments as payments

    names = {
        p for _, f in inspect.getmembers(payments.Payments, inspect.isfunction) for p in inspect.signature(f).parameters
    }
    assert not names & {"number", "card_number", "account", "account_number", "routing", "entry", "cvc"}
    assert not hasattr(payments.Payments, "add_card") and not hasattr(payments.Payments, "add_ach")


def test_pay_4_expired_cards_not_listed_and_not_usable(billing):
    w = billing
    w.clock.set(w.clock.now().replace(year=2031, month=1))
    listed = w.portal.payments.methods(w.alice)
    assert [m.kind for m in listed] == [MethodKind.ACH]
    with pytest.raises(ValidationError):
        w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "10.00", "k")
    with pytest.raises(ValidationError):
        w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2030))


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


def test_pay_5_where_the_company_takes_no_partial_payments_a_customer_pays_the_whole_amount_due(billing):
    w = billing
    w.portal.settings.replace(w.staff, attrs.evolve(w.portal.config, partial_payments=False))
    other = invoice(w, "SECOND", "80.00")
    for refused in (
        lambda: w.portal.payments.quote(w.alice, w.inv.id, w.ach.id, "200.00"),
        lambda: w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "200.00", "k1"),
        lambda: w.portal.payments.pay_many(w.alice, [(other.id, "80.00"), (w.inv.id, "499.99")], w.ach.id, "f1"),
    ):
        with pytest.raises(ValidationError) as caught:
            refused()
        assert "$500.00" in caught.value.public_message
    assert (
        w.portal.storage.find(Payment) == [] and w.adapters.processor._charges == {}
    )  # nothing asked of the processor
    assert {i.pending_amount for i in w.portal.storage.find(Invoice)} == {Decimal("0.00")}
    paid = w.portal.payments.pay_many(w.alice, [(other.id, "80.00"), (w.inv.id, "500.00")], w.ach.id, "f2")
    assert [p.amount for p in paid] == [Decimal("80.00"), Decimal("500.00")]


def test_pay_5_partial_payments_are_on_unless_the_company_turns_them_off(billing):
    assert billing.portal.config.partial_payments is True
    assert billing.portal.payments.quote(billing.alice, billing.inv.id, billing.ach.id, "200.00").amount == Decimal(
        "200.00"
    )


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
    bad = w.portal.payments.add_method(w.alice, card_token(DECLINED, 1, 2029))
    w.portal.payments.pay(w.alice, w.inv.id, bad.id, "50.00", "k1")
    settle(w)
    inv = w.portal.storage.get(Invoice, w.inv.id)
    assert (inv.amount_due, inv.pending_amount) == (Decimal("500.00"), Decimal("0.00"))
    [p] = w.portal.payments.history(w.alice, w.inv.id)
    assert p.status is PaymentStatus.FAILED and p.failure_reason == "Card declined"
    assert w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "50.00", "k2").status is PaymentStatus.PROCESSING


def test_pay_6_a_failed_payment_is_told_by_mail_and_on_the_dashboard_until_paid_again(billing):
    w = billing
    bad = w.portal.payments.add_method(w.alice, card_token(DECLINED, 1, 2029))
    failed = w.portal.payments.pay(w.alice, w.inv.id, bad.id, "50.00", "k1")
    settle(w)
    w.portal.outbox.dispatch()
    assert any(m.to == ("alice@example.com",) and "payment" in m.subject.lower() for m in w.mailer.outbox)
    [(payment, invoice)] = w.portal.payments.failures(w.alice)
    assert (payment.id, invoice.id, payment.failure_reason) == (failed.id, w.inv.id, "Card declined")
    assert w.portal.payments.failures(w.bob) == []  # only the payer's own
    w.clock.advance(minutes=1)
    w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "50.00", "k2")
    assert w.portal.payments.failures(w.alice) == []
    w.clock.advance(days=31)
    assert w.portal.payments.failures(w.alice) == []


def test_pay_6_processor_refusing_at_once_leaves_nothing_pending(billing):
    w = billing
    refused = w.portal.payments.add_method(w.alice, card_token(REFUSED, 1, 2029))
    p = w.portal.payments.pay(w.alice, w.inv.id, refused.id, "50.00", "k1")
    assert p.status is PaymentStatus.FAILED
    assert w.portal.storage.get(Invoice, w.inv.id).pending_amount == 0


def event(p, kind, event_id, **more):
    return ProcessorEvent(id=event_id, kind=kind, ref=p.processor_ref, payment_id=p.id, **more)


def test_pay_6_each_processor_event_applies_exactly_once(billing):
    w = billing
    p = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k1")
    for _ in range(3):
        w.portal.payments.apply_event(event(p, "succeeded", "evt_1"))
    w.portal.payments.apply_event(event(p, "failed", "evt_2"))  # a late contradicting event changes nothing
    inv = w.portal.storage.get(Invoice, w.inv.id)
    assert (inv.amount_due, inv.pending_amount) == (Decimal("400.00"), Decimal("0.00"))
    assert w.portal.payments.apply_event(ProcessorEvent(id="evt_3", kind="succeeded", ref="ch_unknown")) is None


def test_pay_6_an_event_before_the_charge_call_returned_is_applied(billing):
    """The webhook can beat the charge call's answer: it finds the payment by its own id."""
    w = billing
    processor, payments = w.adapters.processor, w.portal.payments
    charge = processor.charge

    def racing_charge(request):
        outcome = charge(request)
        payments.apply_event(
            ProcessorEvent(id="evt_early", kind="succeeded", ref=outcome.ref, payment_id=request.payment_id)
        )
        return outcome  # still says "processing": the event already got further

    processor.charge = racing_charge
    p = payments.pay(w.alice, w.inv.id, w.ach.id, "100.00", "k1")
    assert p.status is PaymentStatus.SETTLED and p.processor_ref
    assert w.portal.storage.get(Invoice, w.inv.id).amount_due == Decimal("400.00")


def test_pay_5_no_overpaying_an_invoice_that_changed_meanwhile(billing, monkeypatch):
    """A settlement landing between pay()'s first amount check and its write cannot overpay: the
    amount is checked again against the fresh invoice inside the transaction that writes."""
    w = billing
    w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "400.00", "k1")
    settle(w)  # 100.00 is due now
    monkeypatch.setattr(w.portal.payments, "quote", lambda *args: None)  # as if checked before the settlement
    with pytest.raises(ValidationError):
        w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "400.00", "k2")
    inv = w.portal.storage.get(Invoice, w.inv.id)
    assert (inv.amount_due, inv.pending_amount) == (Decimal("100.00"), Decimal("0.00"))
    assert len(w.portal.storage.find(Payment)) == 1


def test_pay_6_three_d_secure_then_success(billing):
    w = billing
    secure = w.portal.payments.add_method(w.alice, card_token("4000002760003184", 12, 2031))
    p = w.portal.payments.pay(w.alice, w.inv.id, secure.id, "100.00", "k1")
    assert p.status is PaymentStatus.REQUIRES_ACTION and p.action_secret
    assert w.portal.storage.get(Invoice, w.inv.id).pending_amount == Decimal("100.00")
    w.adapters.processor.complete_action(p.processor_ref)
    settle(w)
    assert w.portal.storage.get(Payment, p.id).status is PaymentStatus.SETTLED


def test_pay_6_ach_return_makes_the_amount_due_again_and_tells_everyone(billing):
    w = billing
    w.portal.accounts.set_receipts(w.alice, True)
    p = w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "200.00", "k1")
    settle(w)
    assert w.portal.storage.get(Invoice, w.inv.id).amount_due == Decimal("300.00")
    w.adapters.processor.return_payment(p.processor_ref, "R01")
    settle(w)
    returned = w.portal.storage.get(Payment, p.id)
    assert returned.status is PaymentStatus.RETURNED and returned.failure_reason == "R01"
    assert w.portal.storage.get(Invoice, w.inv.id).amount_due == Decimal("500.00")
    assert "was returned" in w.mailer.to("alice@example.com")[-1].subject
    assert "was returned" in w.mailer.to("owner@greenacres.test")[-1].subject


def test_reconcile_applies_what_the_processor_knows_after_a_restart(billing):
    w = billing
    p = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k1")
    w.adapters.processor._events.clear()  # the webhook was lost (the host was down)
    w.adapters.processor.settle_due(lambda headers, body: None)
    assert w.portal.storage.get(Payment, p.id).status is PaymentStatus.PROCESSING
    assert w.portal.payments.reconcile() == 0  # too recent to ask about
    w.clock.advance(hours=1)
    assert w.portal.payments.reconcile() == 1
    assert w.portal.storage.get(Payment, p.id).status is PaymentStatus.SETTLED


def test_reconcile_replays_a_charge_that_never_answered(billing):
    w = billing
    processor = w.adapters.processor
    charge = processor.charge
    processor.charge = lambda request: (_ for _ in ()).throw(ConnectionError("processor unreachable"))
    p = w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "100.00", "k1")
    assert p.status is PaymentStatus.INITIATED and not p.processor_ref
    processor.charge = charge
    w.clock.advance(hours=1)
    w.portal.payments.reconcile()
    assert w.portal.storage.get(Payment, p.id).status is PaymentStatus.PROCESSING
    assert len(processor.submitted) == 1  # charged once


def test_staff_cancel_a_stuck_payment_but_never_a_collected_one(billing):
    w = billing
    p = w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "100.00", "k1")
    canceled = w.portal.payments.cancel(w.staff, p.id)
    assert canceled.status is PaymentStatus.CANCELED
    assert w.portal.storage.get(Invoice, w.inv.id).pending_amount == 0
    q = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k2")
    w.adapters.processor._charges[q.processor_ref]["status"] = ChargeStatus.SUCCEEDED  # collected meanwhile
    assert w.portal.payments.cancel(w.staff, q.id).status is PaymentStatus.SETTLED


def test_a_canceled_payment_is_canceled_at_the_processor_too(billing):
    """Staff cancel a payment waiting for 3-D Secure: the customer can no longer complete it."""
    w = billing
    secure = w.portal.payments.add_method(w.alice, card_token("4000002760003184", 12, 2031))
    p = w.portal.payments.pay(w.alice, w.inv.id, secure.id, "100.00", "k1")
    assert w.portal.payments.cancel(w.staff, p.id).status is PaymentStatus.CANCELED
    assert w.adapters.processor.retrieve(p.processor_ref).status is ChargeStatus.CANCELED


def test_webhooks_are_verified(billing):
    from portalkit.errors import InvalidWebhook

    w = billing
    p = w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k1")
    body = b'{"id": "evt_x", "kind": "succeeded", "ref": "%s", "payment_id": "%s"}' % (
        p.processor_ref.encode(),
        p.id.encode(),
    )
    good = w.adapters.processor.signature(body)
    for headers in (
        {},
        {"Fake-Signature": good.replace("v1=", "v1=0")},
        {"Fake-Signature": w.adapters.processor.signature(body, at=1)},
    ):
        with pytest.raises(InvalidWebhook):
            w.portal.payments.handle_webhook(headers, body)
    assert w.portal.storage.get(Payment, p.id).status is PaymentStatus.PROCESSING
    w.portal.payments.handle_webhook({"Fake-Signature": good}, body)
    assert w.portal.storage.get(Payment, p.id).status is PaymentStatus.SETTLED


def test_pay_5_fee_only_on_credit_cards_and_capped(billing):
    w = billing
    debit = w.portal.payments.add_method(w.alice, card_token("5555555555554444", 12, 2031, "debit"))
    assert w.portal.payments.quote(w.alice, w.inv.id, debit.id, "100.00").fee == 0
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, fee_on_debit=True))
    assert w.portal.payments.quote(w.alice, w.inv.id, debit.id, "100.00").fee == Decimal("3.00")
    with pytest.raises(ValidationError):
        attrs.evolve(w.portal.config, convenience_fee_percent=Decimal("3.5"))


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
    w.portal.payments.apply_event(event(p, "succeeded", "evt_again"))
    assert len([m for m in w.mailer.to("alice@example.com") if m.subject.startswith("Receipt")]) == 1


def test_pay_7_no_receipt_without_opt_in_when_the_company_turned_payer_receipts_off(billing):
    w = billing
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, payer_receipts=False))
    w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k1")
    w.mailer.outbox.clear()
    settle(w)
    assert not [m for m in w.mailer.outbox if m.subject.startswith("Receipt")]


def test_pay_7_the_payer_gets_a_receipt_by_default_and_opted_in_contacts_too(billing):
    """Safe default (issue 23): every settled payment mails the contact who paid, opted in or not;
    the property's other contacts get one when they opted in (PAY-7)."""
    w = billing
    w.portal.directory.set_billing_contact(w.staff, w.prop.id, w.bob.id)
    w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "100.00", "k1")
    settle(w)
    assert [m.subject for m in w.mailer.to("alice@example.com") if m.subject.startswith("Receipt")] == [
        "Receipt: payment on invoice INV-1"
    ]
    assert not [m for m in w.mailer.to("bob@example.com") if m.subject.startswith("Receipt")]
    receipt = w.mailer.to("alice@example.com")[-1]
    assert receipt.sender == "Green Acres Landscaping <portal@greenacres.test>"


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
    assert sorted(map(str, results)) == sorted(["PaymentPending"] * 5 + [str(PaymentStatus.PROCESSING)])
    assert w.portal.storage.get(Invoice, w.inv.id).pending_amount == Decimal("100.00")


def test_refund_restores_amount_due(billing):
    w = billing
    p = w.portal.payments.pay(w.alice, w.inv.id, w.ach.id, "100.00", "k1")
    settle(w)
    w.portal.payments.refund(w.staff, p.id, "30.00")
    assert w.portal.storage.get(Payment, p.id).status is PaymentStatus.PARTIALLY_REFUNDED
    assert w.portal.storage.get(Invoice, w.inv.id).amount_due == Decimal("430.00")
    settle(w)  # the processor's own "refunded" event changes nothing more
    w.portal.payments.refund(w.staff, p.id)
    assert w.portal.storage.get(Payment, p.id).status is PaymentStatus.REFUNDED
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
        self.card = self.w.portal.payments.add_method(self.w.alice, card_token(VISA, 1, 2030))
        self.bad = self.w.portal.payments.add_method(self.w.alice, card_token(DECLINED, 1, 2030))
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
            settle(self.w)  # the processor's refund event must not refund twice

    @invariant()
    def books_balance(self):
        inv = self.w.portal.storage.get(Invoice, self.inv.id)
        payments = self.w.portal.storage.find(Payment)
        settled = sum((p.amount for p in payments if p.status is PaymentStatus.SETTLED), Decimal(0))
        pending = [p for p in payments if p.status in (PaymentStatus.PROCESSING, PaymentStatus.INITIATED)]
        refunded = sum((p.refunded_amount for p in payments), Decimal(0))
        settled += sum((p.amount for p in payments if p.status is PaymentStatus.REFUNDED), Decimal(0)) - refunded
        assert inv.amount_due == Decimal("300.00") - settled
        assert 0 <= inv.amount_due <= inv.amount
        assert len(pending) <= 1
        assert inv.pending_amount == sum((p.amount for p in pending), Decimal(0))
        for p in payments:
            assert p.fee == (
                Decimal(0)
                if p.method_kind is MethodKind.ACH
                else (p.amount * 3 / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            )


TestPaymentMachine = PaymentMachine.TestCase
TestPaymentMachine.settings = settings(
    max_examples=30, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
