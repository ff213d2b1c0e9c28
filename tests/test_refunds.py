"""PAY-8: refunds never add up to more than was paid, one request refunds once, and what the
portal records is what the processor refunded — under parallel requests, retries, events that
arrive before the call returns, and refunds made in the processor's own dashboard.

Every test runs on memory, SQLite and PostgreSQL (the ``storage`` fixture); the threads are real.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from conftest import build_world, invoice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from storages import KINDS, make_storage

from portalkit.adapters.payments import bank_token
from portalkit.errors import InvalidTransition, PortalError, RefundRefused, ValidationError
from portalkit.models import Invoice, Payment, PaymentStatus, Refund, RefundStatus
from portalkit.ports import ProcessorEvent

ACH = ("011000015", "123456789")  # no fee: the charge is the payment's amount


def settled_payment(w, amount="1250.00", invoice_amount="1250.00"):
    """An ACH payment of ``amount`` on a new invoice, settled by the processor's webhook."""
    w.inv = invoice(w, "INV-R", invoice_amount)
    method = w.portal.payments.add_method(w.alice, bank_token(*ACH))
    payment = w.portal.payments.pay(w.alice, w.inv.id, method.id, amount, "pay-1")
    deliver(w)
    payment = w.portal.storage.get(Payment, payment.id)
    assert payment.status is PaymentStatus.SETTLED
    return payment


def deliver(w):
    return w.adapters.processor.settle_due(w.portal.payments.handle_webhook)


def books(w, payment_id):
    """(payment, invoice, refunds) as stored now."""
    payment = w.portal.storage.get(Payment, payment_id)
    return (
        payment,
        w.portal.storage.get(Invoice, payment.invoice_id),
        w.portal.storage.find(Refund, payment_id=payment_id),
    )


def assert_books_agree(w, payment_id, *, drained=True):
    """What PAY-8 promises: never past the payment; the portal's record is the processor's."""
    payment, inv, refunds = books(w, payment_id)
    succeeded = sum((r.amount for r in refunds if r.status is RefundStatus.SUCCEEDED), Decimal("0.00"))
    pending = sum((r.amount for r in refunds if r.status is RefundStatus.PENDING), Decimal("0.00"))
    assert payment.refunded_amount == succeeded <= payment.amount
    assert payment.refunding_amount == pending
    assert payment.refunded_amount + payment.refunding_amount <= payment.amount
    assert inv.amount_due == inv.amount - payment.amount + payment.refunded_amount <= inv.amount
    if drained:
        assert pending == 0
        assert payment.refunded_amount == w.adapters.processor.refunded(payment.processor_ref)
    expected = (
        PaymentStatus.SETTLED
        if not payment.refunded_amount
        else PaymentStatus.REFUNDED
        if payment.refunded_amount == payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    assert payment.status is expected


@pytest.fixture
def w(enrolled):
    return enrolled


@pytest.fixture(params=KINDS)
def new_storage(request, tmp_path):
    """A factory of empty storages of one kind: one per hypothesis example."""
    count = iter(range(1_000_000))

    def make():
        if request.param == "sqlite":
            from portalkit.adapters.sql import SqlStorage

            return SqlStorage(f"sqlite:///{tmp_path}/portal-{next(count)}.sqlite3")
        return make_storage(request.param, request)

    return make


def run_at_once(functions):
    barrier = threading.Barrier(len(functions))
    results: list[object] = [None] * len(functions)

    def run(i, function):
        barrier.wait()
        try:
            results[i] = function()
        except PortalError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return results


def test_pay_8_parallel_refunds_never_add_up_to_more_than_was_paid(w):
    """The attack: 10 refunds of 700.00 + i cents at once on a 1,250.00 payment. One fits."""
    payment = settled_payment(w)
    results = run_at_once(
        [lambda i=i: w.portal.payments.refund(w.staff, payment.id, f"700.{i:02d}") for i in range(10)]
    )
    accepted = [r for r in results if isinstance(r, Payment)]
    assert len(accepted) == 1, results
    assert all(isinstance(r, ValidationError) for r in results if not isinstance(r, Payment))
    deliver(w)
    assert_books_agree(w, payment.id)
    assert books(w, payment.id)[0].refunded_amount < Decimal("701.00")


def test_pay_8_the_same_refund_request_twice_is_one_refund(w):
    """A double click: two posts of one form (one request key), one after the other and at once."""
    payment = settled_payment(w, "640.00", "640.00")
    first = w.portal.payments.refund(w.staff, payment.id, "300.00", request_key="form-1")
    again = w.portal.payments.refund(w.staff, payment.id, "300.00", request_key="form-1")
    assert first.refunded_amount == again.refunded_amount == Decimal("300.00")
    run_at_once([lambda: w.portal.payments.refund(w.staff, payment.id, "300.00", request_key="form-2")] * 4)
    deliver(w)
    assert_books_agree(w, payment.id)
    assert books(w, payment.id)[0].refunded_amount == Decimal("600.00")
    assert len(books(w, payment.id)[2]) == 2


def test_pay_8_two_requests_of_the_same_amount_are_two_refunds_each_its_own_key(w):
    """The processor got one idempotency key for both (``refund:<id>:300.00``) and refunded once
    while the portal recorded both; now each request is its own refund at the processor."""
    payment = settled_payment(w, "640.00", "640.00")
    w.portal.payments.refund(w.staff, payment.id, "300.00")
    w.portal.payments.refund(w.staff, payment.id, "300.00")
    deliver(w)
    assert w.adapters.processor.refunded(payment.processor_ref) == Decimal("600.00")
    assert_books_agree(w, payment.id)
    with pytest.raises(ValidationError):
        w.portal.payments.refund(w.staff, payment.id, "300.00")
    assert_books_agree(w, payment.id)


def test_pay_8_a_refunded_event_is_capped_at_what_was_paid(w):
    """A verified event saying 5,000.00 was refunded on a 95.00 payment records 95.00."""
    payment = settled_payment(w, "95.00", "95.00")
    w.portal.payments.apply_event(
        ProcessorEvent(
            id="evt_big", kind="refunded", ref=payment.processor_ref, payment_id=payment.id, amount=Decimal("5000.00")
        )
    )
    paid, inv, refunds = books(w, payment.id)
    assert paid.refunded_amount == Decimal("95.00") and paid.status is PaymentStatus.REFUNDED
    assert inv.amount_due == Decimal("95.00") == inv.amount
    assert [r.amount for r in refunds] == [Decimal("95.00")]


def test_pay_8_an_event_that_arrives_before_the_call_returns_is_recorded_once(w):
    """The processor's webhook reports the refund while the portal still waits for its answer."""
    payment = settled_payment(w)
    processor = w.adapters.processor
    real_refund = processor.refund

    def refund_and_deliver_first(ref, amount, key):
        real_refund(ref, amount, key)
        deliver(w)  # the "refunded" event is applied before refund() returns

    processor.refund = refund_and_deliver_first
    after = w.portal.payments.refund(w.staff, payment.id, "200.00")
    assert after.refunded_amount == Decimal("200.00")
    assert_books_agree(w, payment.id)
    [refund] = books(w, payment.id)[2]
    assert refund.requested_by == w.staff.email and refund.status is RefundStatus.SUCCEEDED


def test_pay_8_a_refund_made_in_the_processors_dashboard_is_recorded_from_its_event(w):
    payment = settled_payment(w)
    w.adapters.processor.refund_outside(payment.processor_ref, Decimal("50.00"))
    deliver(w)
    [refund] = books(w, payment.id)[2]
    assert (refund.amount, refund.requested_by) == (Decimal("50.00"), "processor")
    assert_books_agree(w, payment.id)
    w.portal.payments.refund(w.staff, payment.id)  # the rest
    assert books(w, payment.id)[0].refunded_amount == Decimal("1250.00")
    deliver(w)
    assert_books_agree(w, payment.id)


def test_pay_8_a_refund_the_processor_refuses_changes_nothing(w):
    """The portal thinks 1,250.00 is refundable, the processor (refunded in its dashboard, event
    not here yet) has 250.00 left: the portal's request is refused and its reservation returned."""
    payment = settled_payment(w)
    w.adapters.processor.refund_outside(payment.processor_ref, Decimal("1000.00"))
    mails, events = len(w.mailer.outbox), len(w.portal.storage.find(__import__("portalkit").models.OutboxMessage))
    with pytest.raises(RefundRefused) as refused:
        w.portal.payments.refund(w.staff, payment.id, "300.00")
    assert refused.value.public_message
    paid, inv, [refund] = books(w, payment.id)
    assert (paid.refunded_amount, paid.refunding_amount, paid.status) == (0, 0, PaymentStatus.SETTLED)
    assert inv.amount_due == 0 and refund.status is RefundStatus.FAILED
    assert len(w.mailer.outbox) == mails
    assert len(w.portal.storage.find(__import__("portalkit").models.OutboxMessage)) == events
    deliver(w)  # now the dashboard refund's event arrives
    assert_books_agree(w, payment.id)


def test_pay_8_only_a_collected_payment_is_refunded(w):
    w.inv = invoice(w, "INV-P", "100.00")
    method = w.portal.payments.add_method(w.alice, bank_token(*ACH))
    payment = w.portal.payments.pay(w.alice, w.inv.id, method.id, "100.00", "pay-p")
    with pytest.raises(InvalidTransition):
        w.portal.payments.refund(w.staff, payment.id, "10.00")
    assert w.portal.storage.find(Refund) == []


class RefundMachine(RuleBasedStateMachine):
    """Any interleaving of staff refunds (new and repeated requests), dashboard refunds,
    processor events (delivered at any time, twice) and refused refunds keeps PAY-8."""

    def __init__(self):
        super().__init__()
        self.w = build_world()
        self.w.alice = self.w.enrol(self.w.alice)
        self.payment = settled_payment(self.w, "300.00", "300.00")
        self.keys: list[str] = []
        self.delivered: list[tuple[dict, bytes]] = []

    def _deliver(self, headers, body):
        self.delivered.append((headers, body))
        self.w.portal.payments.handle_webhook(headers, body)

    @rule(cents=st.integers(min_value=-100, max_value=35_000), reuse=st.booleans())
    def staff_refund(self, cents, reuse):
        key = self.keys[-1] if reuse and self.keys else f"request-{len(self.keys)}"
        self.keys.append(key)
        try:
            self.w.portal.payments.refund(self.w.staff, self.payment.id, Decimal(cents) / 100, request_key=key)
        except (ValidationError, InvalidTransition):
            pass

    @rule(cents=st.integers(min_value=1, max_value=30_000))
    def dashboard_refund(self, cents):
        try:
            self.w.adapters.processor.refund_outside(self.payment.processor_ref, Decimal(cents) / 100)
        except ValueError:
            pass  # more than the charge has left: the processor refuses

    @rule()
    def processor_sends_its_events(self):
        self.w.adapters.processor.settle_due(self._deliver)

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def processor_sends_an_event_again(self, data):
        self.w.portal.payments.handle_webhook(*data.draw(st.sampled_from(self.delivered)))

    @invariant()
    def never_more_than_paid(self):
        assert_books_agree(self.w, self.payment.id, drained=False)

    def teardown(self):
        self.w.adapters.processor.settle_due(self._deliver)
        assert_books_agree(self.w, self.payment.id)


TestRefundMachine = RefundMachine.TestCase
TestRefundMachine.settings = settings(
    max_examples=40, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    requests=st.lists(
        st.tuples(st.integers(min_value=1, max_value=1300), st.sampled_from("abcd")), min_size=2, max_size=8
    ),
    dashboard=st.lists(st.integers(min_value=1, max_value=700), max_size=2),
)
def test_pay_8_threads_refunding_retrying_and_delivering_events_at_once_keep_the_books(
    new_storage, requests, dashboard
):
    """Threads on the real storage: staff refunds (some sharing a request key: retries), the
    processor's own refunds and its webhooks, all at once; afterwards the portal has recorded
    exactly what the processor refunded, never more than the payment."""
    w = build_world(new_storage())
    w.alice = w.enrol(w.alice)
    payment = settled_payment(w)
    processor = w.adapters.processor

    def outside(dollars):
        try:
            processor.refund_outside(payment.processor_ref, Decimal(dollars))
        except ValueError:
            pass

    work = [
        lambda d=d, k=k: w.portal.payments.refund(w.staff, payment.id, Decimal(d), request_key=k) for d, k in requests
    ]
    work += [lambda d=d: outside(d) for d in dashboard]
    work += [lambda: deliver(w)] * 2
    for result in run_at_once(work):
        assert result is None or isinstance(result, (Payment, int, ValidationError, RefundRefused)), result
    deliver(w)
    assert_books_agree(w, payment.id)
