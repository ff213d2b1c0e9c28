"""Payment plans (issue 27, PLN-1..8): the split rule and the dates (property tests), offering and
setting up a plan, the recorded consent, revoking it, the worker charging each instalment on its
date in the company's time zone with retries, a missed instalment told to the contact and staff,
money moving only while what it relies on still holds (threads racing on memory, SQLite and
PostgreSQL), statements and events, and the plan's state machine under any interleaving
(hypothesis). Processes racing on one database are in test_plans_concurrency.py; the pages in
test_plans_pages.py."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from conftest import build_world, invoice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from portalkit import PaymentSettled, hookimpl
from portalkit.adapters.payments import bank_token, card_token
from portalkit.billing import PLAN_TRANSITIONS, digest, schedule, split
from portalkit.errors import InvalidTransition, NotFound, PaymentPending, PermissionDenied, ValidationError
from portalkit.events import PaymentPlanChanged
from portalkit.models import Instalment, InstalmentStatus, Invoice, Payment, PaymentPlan, PlanConsent, PlanStatus

VISA = "4242 4242 4242 4242"
DECLINED = "4000000000000002"
I, P = InstalmentStatus, PlanStatus


def settle(w):
    return w.adapters.processor.settle_due(w.portal.payments.handle_webhook)


def accept(w, plan, method, contact=None):
    contact = contact or w.alice
    text = w.portal.plans.consent_for(contact, plan.id, method.id)
    return w.portal.plans.accept(
        contact,
        plan.id,
        method.id,
        agreed=True,
        shown=digest(text),
        ip_address="203.0.113.7",
        user_agent="Test Browser/1.0",
    )


def instalments(w, plan):
    return sorted(w.portal.storage.find(Instalment, plan_id=plan.id), key=lambda i: i.number)


@pytest.fixture
def planning(enrolled):
    """Alice, primary contact of Oak Street Commons, with a card and a $300.01 invoice; today is
    2026-01-15 (UTC noon) and the company's time zone UTC."""
    w = enrolled
    w.card = w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2031, "debit"))
    w.inv = invoice(w, "INV-P", "300.01")
    w.today = w.portal.plans.today()
    return w


def lower(w, amount_due):
    """The host changes the invoice's amount due (a payment or credit in its own system)."""
    with w.portal.unit_of_work():
        w.portal.storage.update(attrs.evolve(w.portal.storage.get(Invoice, w.inv.id), amount_due=Decimal(amount_due)))


def offered(w, count=3, first=None, interval="monthly"):
    return w.portal.plans.offer(w.staff, w.inv.id, count, first or w.today, interval)


# -- PLN-1: the split and the dates ------------------------------------------------------------------
@given(cents=st.integers(min_value=2, max_value=10**11), count=st.integers(min_value=2, max_value=36))
def test_pln_1_the_split_adds_up_to_the_cent_with_no_zero_or_negative_instalment(cents, count):
    total = Decimal(cents) / 100
    if cents < count:
        with pytest.raises(ValidationError):
            split(total, count)
        return
    amounts = split(total, count)
    assert len(amounts) == count and sum(amounts) == total
    assert all(a > 0 and a == a.quantize(Decimal("0.01")) for a in amounts)
    assert amounts[0] >= amounts[1] and len(set(amounts[1:])) == 1  # the left-over cents on the first
    assert amounts[0] - amounts[1] < Decimal(count) / 100


def test_pln_1_the_rule_puts_the_remainder_cents_on_the_first_instalment():
    assert split(Decimal("100.00"), 3) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert split(Decimal("300.01"), 3) == [Decimal("100.01"), Decimal("100.00"), Decimal("100.00")]
    assert split(Decimal("0.05"), 5) == [Decimal("0.01")] * 5
    with pytest.raises(ValidationError):
        split(Decimal("0.04"), 5)  # a zero instalment is never made


@given(
    first=st.dates(min_value=date(2020, 1, 1), max_value=date(2090, 12, 31)),
    count=st.integers(min_value=2, max_value=36),
    interval=st.sampled_from(["weekly", "biweekly", "monthly"]),
)
def test_pln_1_dates_are_strictly_ordered_and_a_month_keeps_its_day(first, count, interval):
    days = schedule(first, count, interval)
    assert len(days) == count and days[0] == first
    assert all(a < b for a, b in zip(days, days[1:]))
    if interval == "monthly":
        assert all(d.day == first.day or (d.day < first.day and (d + timedelta(days=1)).day == 1) for d in days)
        assert all((b.year * 12 + b.month) - (a.year * 12 + a.month) == 1 for a, b in zip(days, days[1:]))
    else:
        assert {(b - a).days for a, b in zip(days, days[1:])} == {7 if interval == "weekly" else 14}


def test_pln_1_the_31st_becomes_each_months_last_day():
    assert schedule(date(2026, 1, 31), 4, "monthly") == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


# -- PLN-2: offering and setting up ---------------------------------------------------------------------
def test_pln_2_staff_offer_with_the_billing_permission_an_open_invoice_once(planning):
    w = planning
    clerk = attrs.evolve(w.staff, permissions=frozenset())
    with pytest.raises(PermissionDenied):
        w.portal.plans.offer(clerk, w.inv.id, 3, w.today)
    with pytest.raises(ValidationError):
        w.portal.plans.offer(w.staff, w.inv.id, 3, w.today - timedelta(days=1))  # the first date is not past
    with pytest.raises(ValidationError):
        w.portal.plans.offer(w.staff, w.inv.id, 1, w.today)
    plan = offered(w)
    assert (plan.status, plan.amount, plan.contact_id, plan.offered_by) == (
        P.OFFERED,
        Decimal("300.01"),
        w.alice.id,
        w.staff.email,
    )
    assert [(i.number, i.due_on, i.amount) for i in instalments(w, plan)] == [
        (1, date(2026, 1, 15), Decimal("100.01")),
        (2, date(2026, 2, 15), Decimal("100.00")),
        (3, date(2026, 3, 15), Decimal("100.00")),
    ]
    with pytest.raises(InvalidTransition):
        offered(w)  # one plan at a time on an invoice
    offer_mail = w.mailer.to("alice@example.com")[-1]
    assert (
        "payment plan" in offer_mail.subject and "$100.01" in offer_mail.text and f"/plans/{plan.id}" in offer_mail.text
    )
    paid = invoice(w, "INV-PAID", "50.00", amount_due="0.00")
    with pytest.raises(InvalidTransition):
        w.portal.plans.offer(w.staff, paid.id, 2, w.today)
    pending = invoice(w, "INV-PEND", "80.00")
    w.portal.payments.pay(w.alice, pending.id, w.card.id, "10.00", "k-pend")
    with pytest.raises(PaymentPending):
        w.portal.plans.offer(w.staff, pending.id, 2, w.today)
    with pytest.raises(ValidationError):
        w.portal.plans.offer(w.staff, invoice(w, "INV-X", "90.00").id, 2, w.today, contact_id=w.stranger.id)


def test_pln_2_customers_set_up_their_own_plan_only_where_the_company_allows_it(planning):
    w = planning
    assert w.portal.config.plans_customer_choice is False  # off by default
    with pytest.raises(PermissionDenied):
        w.portal.plans.propose(w.alice, w.inv.id, 3, w.today)
    w.portal.update_config(
        w.staff,
        attrs.evolve(
            w.portal.config, plans_customer_choice=True, plan_max_instalments=4, plan_min_instalment=Decimal("80.00")
        ),
    )
    with pytest.raises(ValidationError):
        w.portal.plans.propose(w.alice, w.inv.id, 5, w.today)  # more than the company allows
    with pytest.raises(ValidationError):
        w.portal.plans.propose(w.alice, w.inv.id, 4, w.today)  # $75.00 payments: under the smallest allowed
    with pytest.raises(ValidationError):
        w.portal.plans.propose(w.alice, w.inv.id, 2, w.today + timedelta(days=31))
    with pytest.raises(NotFound):
        w.portal.plans.propose(w.stranger, w.inv.id, 2, w.today)
    first = w.portal.plans.propose(w.alice, w.inv.id, 3, w.today)
    assert first.offered_by == "customer" and first.status is P.OFFERED
    second = w.portal.plans.propose(w.alice, w.inv.id, 2, w.today + timedelta(days=3))  # replaces her own
    assert w.portal.storage.get(PaymentPlan, first.id).status is P.CANCELED
    assert [i.amount for i in instalments(w, second)] == [Decimal("150.01"), Decimal("150.00")]
    assert not [m for m in w.mailer.outbox if "payment plan for invoice" in m.subject]  # nobody offered it to her


# -- PLN-3: the consent ---------------------------------------------------------------------------------
def test_pln_3_the_consent_records_what_when_which_method_the_words_the_contact_time_and_address(planning):
    w = planning
    credit = w.portal.payments.add_method(w.alice, card_token("5555555555554444", 12, 2031, "credit"))
    plan = offered(w)
    text = w.portal.plans.consent_for(w.alice, plan.id, credit.id)
    for words in (
        "Mastercard ending 4444",
        "$100.01 on January 15, 2026",
        "$100.00 on March 15, 2026",
        "INV-P",
        "$300.01 in all",
        "convenience fee of 3.00 percent",
        "$9.00 in all",
        "revoke this authorisation at any time",
        "tried again 3 and 7 days later",
    ):
        assert words in text, words
    with pytest.raises(ValidationError):
        w.portal.plans.accept(w.alice, plan.id, credit.id, agreed=False, shown=digest(text))
    with pytest.raises(ValidationError):  # the page showed another method's words
        w.portal.plans.accept(
            w.alice,
            plan.id,
            credit.id,
            agreed=True,
            shown=digest(w.portal.plans.consent_for(w.alice, plan.id, w.card.id)),
        )
    with pytest.raises(NotFound):
        w.portal.plans.accept(w.bob, plan.id, credit.id, agreed=True, shown=digest(text))
    assert w.portal.storage.find(PlanConsent) == [] and w.portal.storage.get(PaymentPlan, plan.id).status is P.OFFERED
    w.clock.advance(minutes=5)
    accepted = w.portal.plans.accept(
        w.alice,
        plan.id,
        credit.id,
        agreed=True,
        shown=digest(text),
        ip_address="203.0.113.7",
        user_agent="Test Browser/1.0",
    )
    [consent] = w.portal.storage.find(PlanConsent)
    assert accepted.status is P.ACTIVE and accepted.accepted_at == w.clock.now()
    assert (
        consent.contact_id,
        consent.method_id,
        consent.method_label,
        consent.consent_text,
        consent.accepted_at,
        consent.ip_address,
        consent.user_agent,
        consent.revoked_at,
    ) == (w.alice.id, credit.id, "Mastercard ending 4444", text, w.clock.now(), "203.0.113.7", "Test Browser/1.0", None)
    copy = w.mailer.to("alice@example.com")[-1]
    assert "your authorisation" in copy.subject and text in copy.text  # a copy of what she agreed to


def test_pln_3_a_bank_account_is_authorised_in_the_words_of_a_debit_authorisation(planning):
    w = planning
    ach = w.portal.payments.add_method(w.alice, bank_token("011000015", "123456789"))
    plan = offered(w, count=2)
    text = w.portal.plans.consent_for(w.alice, plan.id, ach.id)
    for words in (
        "to debit my bank account, Test Bank ending 6789, electronically",
        "2 payments",
        "$150.01 on January 15, 2026",
        "until the last payment is made or I revoke it",
        "revoking stops every debit not yet made",
    ):
        assert words in text, words
    assert "fee" not in text  # never a fee on a bank account
    spanish = w.portal.accounts.set_language(w.alice, "es")
    from portalkit import i18n

    with i18n.override("es"):  # what her pages show her, in her language
        assert "15 de enero de 2026" in w.portal.plans.consent_for(spanish, plan.id, ach.id)


def test_pln_3_accepting_is_refused_once_the_invoice_changed_or_the_offer_expired(planning):
    w = planning
    plan = offered(w)
    lower(w, "290.01")  # the office recorded a payment in its own system
    with pytest.raises(InvalidTransition):
        accept(w, plan, w.card)
    lower(w, "300.01")
    w.clock.advance(days=1)
    with pytest.raises(InvalidTransition):
        accept(w, plan, w.card)  # its first payment was due yesterday: ask for a new offer
    assert w.portal.storage.find(PlanConsent) == []


# -- PLN-4: revoking ------------------------------------------------------------------------------------
def test_pln_4_revoking_stops_every_charge_not_yet_made_and_staff_are_told(planning):
    w = planning
    plan = offered(w)
    accept(w, plan, w.card)
    assert w.portal.plans.run() == 1
    settle(w)
    ended = w.portal.plans.revoke(w.alice, plan.id)
    assert ended.status is P.REVOKED and ended.end_reason == "revoked by the customer"
    assert [i.status for i in instalments(w, plan)] == [I.PAID, I.CANCELED, I.CANCELED]
    [consent] = w.portal.storage.find(PlanConsent)
    assert consent.revoked_at == w.clock.now()
    for days in (31, 59, 60, 90):
        assert w.portal.plans.run(today=w.today + timedelta(days=days)) == 0
    assert len(w.portal.storage.find(Payment)) == 1
    assert w.portal.storage.get(Invoice, w.inv.id).amount_due == Decimal("200.00")
    staff_mail = w.mailer.to("owner@greenacres.test")[-1]
    assert "Payment plan ended" in staff_mail.subject and "revoked by the customer" in staff_mail.text
    with pytest.raises(InvalidTransition):
        w.portal.plans.revoke(w.alice, plan.id)


def test_pln_4_declining_an_offer_and_removing_the_method_end_the_plan(planning):
    w = planning
    plan = offered(w)
    assert w.portal.plans.revoke(w.alice, plan.id).status is P.CANCELED  # declined: it was never running
    again = offered(w)
    accept(w, again, w.card)
    w.portal.payments.remove_method(w.alice, w.card.id)  # the authorised method is gone: so is the authorisation
    assert w.portal.plans.run() == 0
    assert w.portal.storage.get(PaymentPlan, again.id).status is P.REVOKED
    assert w.portal.storage.find(Payment) == []


def test_pln_4_a_revocation_racing_a_charge_conflicts_and_never_loses(planning):
    """The charge writes the consent and the instalment (compare-and-swap): a revocation made
    from a copy read before it loses the race and is retried, so it always ends the plan."""
    w = planning
    plan = offered(w)
    accept(w, plan, w.card)
    [consent] = w.portal.storage.find(PlanConsent)
    assert w.portal.plans.run() == 1
    assert w.portal.storage.get(PlanConsent, consent.id).version == consent.version + 1
    assert w.portal.plans.revoke(w.alice, plan.id).status is P.REVOKED
    settle(w)  # the charge in flight finishes: it was made while the consent stood
    assert [i.status for i in instalments(w, plan)] == [I.PAID, I.CANCELED, I.CANCELED]


# -- PLN-5: the worker, dates, retries, a missed instalment ----------------------------------------------
def test_pln_5_the_worker_charges_each_instalment_on_its_date_in_the_companys_time_zone(storage):
    w = build_world(storage, time_zone="America/Chicago")
    w.alice = w.enrol(w.alice)
    w.card = w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2031, "debit"))
    w.inv = invoice(w, "INV-TZ", "90.00")
    w.clock.set(datetime(2026, 1, 15, 3, 0, tzinfo=UTC))  # 21:00 on January 14 in Chicago
    assert w.portal.plans.today() == date(2026, 1, 14)
    plan = w.portal.plans.offer(w.staff, w.inv.id, 3, date(2026, 1, 15), "weekly")
    accept(w, plan, w.card)
    assert w.portal.plans.run() == 0  # January 15 has not begun in Chicago
    w.clock.set(datetime(2026, 1, 15, 6, 1, tzinfo=UTC))  # 00:01 in Chicago
    assert w.portal.plans.run() == 1 and w.portal.plans.run() == 0  # once
    [payment] = w.portal.storage.find(Payment)
    assert (payment.amount, payment.fee, payment.tip, payment.idempotency_key, payment.contact_id) == (
        Decimal("30.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        f"plan:{instalments(w, plan)[0].id}:1",
        w.alice.id,
    )
    settle(w)
    w.clock.set(datetime(2026, 1, 22, 5, 59, tzinfo=UTC))
    assert w.portal.plans.run() == 0
    w.clock.set(datetime(2026, 1, 22, 6, 0, tzinfo=UTC))
    assert w.portal.plans.run() == 1
    settle(w)
    w.clock.set(datetime(2026, 1, 29, 12, 0, tzinfo=UTC))
    assert w.portal.plans.run() == 1
    settle(w)
    done = w.portal.storage.get(PaymentPlan, plan.id)
    assert done.status is P.COMPLETED and w.portal.storage.get(Invoice, w.inv.id).amount_due == 0
    assert [i.status for i in instalments(w, plan)] == [I.PAID] * 3


def test_pln_5_a_failed_instalment_is_retried_like_autopay_then_missed_and_told(planning):
    w = planning
    bad = w.portal.payments.add_method(w.alice, card_token(DECLINED, 12, 2031, "debit"))
    plan = offered(w)
    accept(w, plan, bad)
    for day, charged in ((0, 1), (1, 0), (2, 0), (3, 1), (5, 0), (7, 1)):  # autopay_retry_days (0, 3, 7)
        assert w.portal.plans.run(today=w.today + timedelta(days=day)) == charged, day
        settle(w)
    first = instalments(w, plan)[0]
    assert (first.status, first.attempts) == (I.MISSED, 3)
    ended = w.portal.storage.get(PaymentPlan, plan.id)
    assert ended.status is P.MISSED and "instalment 1 was missed" in ended.end_reason
    assert [i.status for i in instalments(w, plan)] == [I.MISSED, I.CANCELED, I.CANCELED]
    assert w.portal.plans.run(today=w.today + timedelta(days=40)) == 0  # the plan charges nothing more
    assert len(w.portal.storage.find(Payment)) == 3 and w.portal.storage.get(Invoice, w.inv.id).amount_due == Decimal(
        "300.01"
    )
    [told] = [m for m in w.mailer.to("alice@example.com") if "was missed" in m.subject]
    assert "was missed" in told.subject and "Payment 1 of 3" in told.text and "Card declined" in told.text
    [staff] = [m for m in w.mailer.to("owner@greenacres.test") if "instalment missed" in m.subject]
    assert "instalment missed" in staff.subject and "Alice Green" in staff.text


def test_pln_5_an_expired_card_misses_the_instalment_at_once(planning):
    w = planning
    soon = w.portal.payments.add_method(w.alice, card_token(VISA, 1, 2026))
    plan = offered(w, count=2, first=w.today + timedelta(days=20))
    accept(w, plan, soon)
    assert w.portal.plans.run(today=date(2026, 2, 4)) == 0
    assert w.portal.storage.get(PaymentPlan, plan.id).status is P.MISSED
    assert "The card has expired." in w.mailer.to("alice@example.com")[-1].text


def test_pln_5_autopay_leaves_an_invoice_a_plan_pays_alone(planning):
    w = planning
    w.portal.autopay.enable(w.alice, w.card.id, agreed=True)
    due = w.portal.invoices.add(w.staff, w.prop.id, "INV-AP", "120.00", w.today, net_days=0)
    w.inv = due
    plan = offered(w, count=2, first=w.today + timedelta(days=10))
    accept(w, plan, w.card)
    assert w.portal.autopay.run(today=w.today) == 0  # the plan pays it, in instalments
    assert w.portal.storage.find(Payment) == []


# -- PLN-6: money moves only while what it relies on holds; workers charge once ----------------------------
def test_pln_6_a_paid_or_lowered_invoice_ends_the_plan_instead_of_charging(planning):
    w = planning
    plan = offered(w, count=2)
    accept(w, plan, w.card)
    w.portal.plans.run()
    settle(w)
    w.portal.payments.pay(w.alice, w.inv.id, w.card.id, "150.00", "k-rest")  # she pays the rest herself
    assert w.portal.plans.run(today=w.today + timedelta(days=31)) == 0  # the payment is still in flight: it waits
    assert w.portal.storage.get(PaymentPlan, plan.id).status is P.ACTIVE
    settle(w)
    assert w.portal.plans.run(today=w.today + timedelta(days=31)) == 0
    done = w.portal.storage.get(PaymentPlan, plan.id)
    assert done.status is P.COMPLETED and done.end_reason == "the invoice was paid"
    assert len(w.portal.storage.find(Payment)) == 2
    w.inv = invoice(w, "INV-LOW", "100.00")
    other = offered(w, count=2)
    accept(w, other, w.card)
    lower(w, "20.00")
    assert w.portal.plans.run() == 0
    assert w.portal.storage.get(PaymentPlan, other.id).status is P.CANCELED
    assert len(w.portal.storage.find(Payment)) == 2  # nothing charged past what is due


def test_pln_6_threads_running_the_worker_at_once_charge_an_instalment_once(storage):
    w = build_world(storage)
    w.alice = w.enrol(w.alice)
    w.card = w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2031, "debit"))
    w.inv = invoice(w, "INV-T", "99.99")
    w.today = w.portal.plans.today()
    plan = offered(w)
    accept(w, plan, w.card)
    barrier, started, errors = threading.Barrier(8), [], []

    def worker():
        try:
            barrier.wait()
            started.append(w.portal.plans.run())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert len(w.portal.storage.find(Payment)) == 1 and len(w.adapters.processor.submitted) == 1
    first = instalments(w, plan)[0]
    assert (first.status, first.attempts) == (I.CHARGING, 1)
    assert w.portal.storage.get(Invoice, w.inv.id).pending_amount == Decimal("33.33")


def test_pln_6_a_revocation_racing_workers_in_threads_leaves_at_most_the_charge_made_before_it(storage):
    w = build_world(storage)
    w.alice = w.enrol(w.alice)
    w.card = w.portal.payments.add_method(w.alice, card_token(VISA, 12, 2031, "debit"))
    w.inv = invoice(w, "INV-R", "60.00")
    w.today = w.portal.plans.today()
    plan = offered(w, count=2)
    accept(w, plan, w.card)
    barrier = threading.Barrier(5)

    def run():
        barrier.wait()
        w.portal.plans.run()

    def revoke():
        barrier.wait()
        w.portal.plans.revoke(w.alice, plan.id)

    threads = [threading.Thread(target=run) for _ in range(4)] + [threading.Thread(target=revoke)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert w.portal.storage.get(PaymentPlan, plan.id).status is P.REVOKED
    payments = w.portal.storage.find(Payment)
    statuses = [i.status for i in instalments(w, plan)]
    assert len(payments) <= 1 and len(w.adapters.processor.submitted) == len(payments)
    assert statuses == ([I.CHARGING, I.CANCELED] if payments else [I.CANCELED, I.CANCELED])
    assert w.portal.plans.run(today=w.today + timedelta(days=40)) == 0


# -- PLN-7: statements, the host's events ---------------------------------------------------------------
def test_pln_7_the_statement_lists_the_plan_its_next_payment_and_what_is_left(planning):
    w = planning
    plan = offered(w)
    accept(w, plan, w.card)
    w.portal.plans.run()
    settle(w)
    statement = w.portal.statements.statement(w.alice, date(2026, 1, 1), date(2026, 1, 31))
    [summary] = statement.plans
    assert (
        summary.invoice_number,
        summary.status,
        summary.paid_count,
        summary.count,
        summary.left,
        summary.next_due_on,
        summary.next_amount,
    ) == ("INV-P", P.ACTIVE, 1, 3, Decimal("200.00"), date(2026, 2, 15), Decimal("100.00"))
    [part] = statement.properties
    assert any(
        e.description == "Payment plan instalment on invoice INV-P" and e.amount == Decimal("-100.01")
        for e in part.entries
    )
    pdf = w.portal.statements.pdf(w.alice, date(2026, 1, 1), date(2026, 1, 31))
    assert pdf.startswith(b"%PDF")
    assert w.portal.statements.statement(w.bob, date(2026, 1, 1), date(2026, 1, 31)).plans == ()  # not Bob's


def test_pln_7_the_host_hears_of_every_plan_change_and_of_instalment_payments(planning):
    w = planning
    heard = []

    class Listener:
        @hookimpl
        def portalkit_event(self, event):
            heard.append(event)

    w.portal.plugins.register(Listener())
    plan = offered(w)
    accept(w, plan, w.card)
    w.portal.plans.run()
    settle(w)
    w.portal.plans.revoke(w.alice, plan.id)
    changes = [(e.status, e.remaining, e.next_due_on) for e in heard if isinstance(e, PaymentPlanChanged)]
    assert changes == [
        ("offered", Decimal("300.01"), "2026-01-15"),
        ("active", Decimal("300.01"), "2026-01-15"),
        ("revoked", Decimal("0.00"), None),
    ]
    [settled] = [e for e in heard if isinstance(e, PaymentSettled)]
    assert settled.instalment_id == instalments(w, plan)[0].id and settled.amount_due == Decimal("200.00")


# -- PLN-8: the state machine under any interleaving ------------------------------------------------------
class PlanMachine(RuleBasedStateMachine):
    """Offers, acceptances, revocations, staff cancels, worker runs on any day, settlements,
    declines and manual payments in any order: the plan moves only as its table says, never
    charges after it ended, never collects more than it was for, and each instalment is charged
    at most once per attempt."""

    def __init__(self):
        super().__init__()
        self.w = build_world()
        self.w.alice = self.w.enrol(self.w.alice)
        self.good = self.w.portal.payments.add_method(self.w.alice, card_token(VISA, 12, 2031, "debit"))
        self.bad = self.w.portal.payments.add_method(self.w.alice, card_token(DECLINED, 12, 2031, "debit"))
        self.w.inv = invoice(self.w, "INV-M", "250.00")
        self.today = self.w.portal.plans.today()
        self.day = 0
        self.plan = None
        self.seen: dict[str, list[PlanStatus]] = {}
        self.ended_with: dict[str, set[str]] = {}  # a plan's payments when it ended
        self.n = self.runs = 0

    def _payments_of(self, plan_id):
        ids = {i.id for i in self.w.portal.storage.find(Instalment, plan_id=plan_id)}
        return {p.id for p in self.w.portal.storage.find(Payment) if p.instalment_id in ids}

    def _record(self):
        for plan in self.w.portal.storage.find(PaymentPlan):
            history = self.seen.setdefault(plan.id, [])
            if not history or history[-1] is not plan.status:
                history.append(plan.status)
            if plan.status not in (P.OFFERED, P.ACTIVE) and plan.id not in self.ended_with:
                self.ended_with[plan.id] = self._payments_of(plan.id)

    @initialize(count=st.integers(min_value=2, max_value=5), declines=st.booleans())
    def a_running_plan(self, count, declines):
        self.plan = self.w.portal.plans.offer(self.w.staff, self.w.inv.id, count, self.today, "weekly")
        accept(self.w, self.plan, self.bad if declines else self.good)
        self._record()

    @rule(count=st.integers(min_value=2, max_value=5), later=st.integers(min_value=0, max_value=3))
    def offer(self, count, later):
        try:
            self.plan = self.w.portal.plans.offer(
                self.w.staff, self.w.inv.id, count, self.today + timedelta(days=self.day + later), "weekly"
            )
        except (InvalidTransition, ValidationError):
            pass
        self._record()

    @precondition(lambda self: self.plan is not None)
    @rule(declines=st.booleans())
    def accept(self, declines):
        method = self.bad if declines else self.good
        self.w.clock.set(
            datetime.combine(self.today + timedelta(days=self.day), datetime.min.time(), tzinfo=UTC)
            + timedelta(hours=12)
        )
        try:
            accept(self.w, self.plan, method)
        except (InvalidTransition, ValidationError, PaymentPending):
            pass
        self._record()

    @precondition(lambda self: self.plan is not None and self.runs >= 2)  # ends plans, after some running
    @rule()
    def revoke(self):
        try:
            self.w.portal.plans.revoke(self.w.alice, self.plan.id)
        except InvalidTransition:
            pass
        self._record()

    @precondition(lambda self: self.plan is not None and self.runs >= 3)
    @rule()
    def staff_cancel(self):
        try:
            self.w.portal.plans.cancel(self.w.staff, self.plan.id)
        except InvalidTransition:
            pass
        self._record()

    @rule(days=st.integers(min_value=0, max_value=8), answered_first=st.booleans())
    def worker(self, days, answered_first):
        if answered_first:  # the processor's webhooks came in before this run
            settle(self.w)
        self.day += days
        self.runs += 1
        self.w.portal.plans.run(today=self.today + timedelta(days=self.day))
        self._record()

    @rule()
    def processor_answers(self):
        settle(self.w)
        self._record()

    @rule(amount=st.sampled_from(["5.00", "50.00", "250.00"]))
    def pays_by_hand(self, amount):
        self.n += 1
        try:
            self.w.portal.payments.pay(self.w.alice, self.w.inv.id, self.good.id, amount, f"hand-{self.n}")
        except (ValidationError, InvalidTransition):
            pass
        self._record()

    @invariant()
    def moves_follow_the_table(self):
        for history in self.seen.values():
            assert all(b in PLAN_TRANSITIONS[a] for a, b in zip(history, history[1:])), history

    @invariant()
    def never_more_than_the_plan_and_never_after_it_ended(self):
        storage = self.w.portal.storage
        for plan in storage.find(PaymentPlan):
            rows = storage.find(Instalment, plan_id=plan.id)
            assert sum(i.amount for i in rows) == plan.amount
            paid = sum((i.amount for i in rows if i.status is I.PAID), Decimal("0.00"))
            assert paid <= plan.amount
            keys = [f"plan:{i.id}:{n}" for i in rows for n in range(1, i.attempts + 1)]
            charges = [p for p in storage.find(Payment) if p.instalment_id in {i.id for i in rows}]
            assert sorted(p.idempotency_key for p in charges) == sorted(keys)  # one payment per attempt
            if plan.status is P.OFFERED:
                assert not charges
            if plan.status not in (P.OFFERED, P.ACTIVE):
                assert not any(i.status is I.SCHEDULED for i in rows)
        assert storage.get(Invoice, self.w.inv.id).amount_due >= 0

    @invariant()
    def no_charge_after_the_plan_ended(self):
        for plan_id, payments in self.ended_with.items():
            assert self._payments_of(plan_id) == payments, plan_id
        assert len(self.w.adapters.processor.submitted) == len(self.w.portal.storage.find(Payment))


def test_pln_8_any_interleaving_of_operations_keeps_every_plan_within_its_table():
    run_state_machine_as_test(
        PlanMachine,
        settings=settings(
            max_examples=100, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )


def test_pln_8_the_plan_state_machine_refuses_every_move_its_table_does_not_list(planning):
    w = planning
    plan = offered(w, count=2)
    with pytest.raises(InvalidTransition):
        w.portal.plans.cancel(w.staff, w.portal.plans.cancel(w.staff, plan.id).id)  # canceled is final
    again = offered(w, count=2)
    accept(w, again, w.card)
    for _ in range(2):
        w.portal.plans.run(today=w.today + timedelta(days=40))
        settle(w)
    assert w.portal.storage.get(PaymentPlan, again.id).status is P.COMPLETED
    for move in (
        lambda: w.portal.plans.revoke(w.alice, again.id),
        lambda: w.portal.plans.cancel(w.staff, again.id),
        lambda: accept(w, again, w.card),
    ):
        with pytest.raises(InvalidTransition):
            move()
