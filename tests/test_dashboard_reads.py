"""The dashboard reads what it shows once (issue 25): ``Invoices.overview`` is the summary and the
invoice list, ``Payments.activity`` the failure notices and the recent payments, each from one
read where it can. Whatever the invoices, payments, contact and filter, each gives exactly what
the two calls it replaces give (PAY-1, VIS-2)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from conftest import build_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from portalkit import InvoiceFilter
from portalkit.billing import _invoices, _payments
from portalkit.models import MethodKind, Payment, PaymentStatus

S = PaymentStatus
INVOICES = st.lists(
    st.tuples(st.integers(0, 90), st.sampled_from([None, "alice", "bob"]), st.booleans(), st.booleans()),
    max_size=70,
)


def _add_invoices(w, rows) -> None:
    billed = {"alice": w.alice.id, "bob": w.bob.id, None: None}
    for n, (day, billing, paid, other) in enumerate(rows):
        w.portal.invoices.add(
            w.staff,
            w.other_prop.id if other else w.prop.id,
            f"I-{n % 7}",
            "10.00",
            date(2026, 1, 1) + timedelta(days=day),
            billing_contact_id=billed[billing],
            amount_due="0.00" if paid else None,
        )


def _world(storage=None, *, linked_to_both=True):
    w = build_world(storage)
    if linked_to_both:  # alice: the primary contact of one, linked to the other too
        w.portal.directory.link_property(w.staff, w.alice.id, w.other_prop.id)
    w.alice, w.bob = w.enrol(w.alice), w.enrol(w.bob)
    return w


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(INVOICES, st.sampled_from(["alice", "bob"]), st.sampled_from(list(InvoiceFilter)), st.integers(1, 80))
def test_pay_1_vis_2_the_overview_is_the_summary_and_the_list(rows, who, which, summary_limit):
    w = _world()
    _add_invoices(w, rows)
    contact = w.portal.directory.contact(getattr(w, who).id)
    with mock.patch.object(_invoices, "SUMMARY_LIMIT", summary_limit):  # the summary cut short too
        for prop in (w.prop, w.other_prop):
            if prop.id not in {p.id for p in w.portal.visibility.properties(contact)}:
                continue
            summary, rows_shown = w.portal.invoices.overview(contact, prop.id, which)
            assert summary == w.portal.invoices.summary(contact, property_id=prop.id)
            listed = w.portal.invoices.list(contact, prop.id, which)
            assert rows_shown == listed and rows_shown.next_after == listed.next_after
            if listed.next_after:  # the next page is the list's next page
                later = w.portal.invoices.overview(contact, prop.id, which, after=listed.next_after)[1]
                assert later == w.portal.invoices.list(contact, prop.id, which, after=listed.next_after)


PAYMENTS = st.lists(
    st.tuples(
        st.integers(0, 60),  # days ago
        st.sampled_from([S.FAILED, S.RETURNED, S.SETTLED, S.PROCESSING]),
        st.integers(0, 2),  # which invoice
        st.booleans(),  # alice's (else bob's, on the same invoices)
    ),
    max_size=45,
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(PAYMENTS, st.integers(1, 8))
def test_pay_the_activity_is_the_failures_and_the_recent_payments(payments, limit):
    w = _world()
    invoices = [
        w.portal.invoices.add(w.staff, w.prop.id, f"P-{k}", "100.00", date(2026, 1, 1), billing_contact_id=w.bob.id)
        for k in range(3)
    ]
    now = w.clock.now()
    w.portal.storage.insert_many(
        [
            Payment(
                invoice_id=invoices[k].id,
                contact_id=w.alice.id if alices else w.bob.id,
                method_id="m",
                method_kind=MethodKind.CARD,
                amount=Decimal("10.00"),
                fee=Decimal("0.00"),
                idempotency_key=f"k{n}",
                status=status,
                created_at=now - timedelta(days=ago, minutes=n),
            )
            for n, (ago, status, k, alices) in enumerate(payments)
        ]
    )
    for contact in (w.alice, w.bob):
        failures, recent = w.portal.payments.activity(contact, limit=limit)
        assert failures == w.portal.payments.failures(contact)
        assert recent == w.portal.payments.recent(contact, limit=limit)


@pytest.mark.parametrize("storage", ["sqlite"], indirect=True)
def test_the_dashboards_invoice_view_reads_the_open_invoices_once(storage):
    """The summary and the first page of open invoices are one read of the invoices table, the
    failure notices and the recent payments one of the payments table; a full list (more
    than the summary adds up) still pages as the list does."""
    from portalkit.web import PageRequest, PortalWeb
    from portalkit.web.customer import TOKEN

    w = _world(storage, linked_to_both=False)
    _add_invoices(w, [(k % 40, None, k % 4 == 0, False) for k in range(120)])
    session = w.portal.accounts.login("alice@example.com", "garden-2026")
    web = PortalWeb(w.portal)
    seen: list[str] = []

    def count(_c, _cu, statement, *_a):
        seen.append(" ".join(statement.split()) + " ")

    event.listen(storage.engine, "before_cursor_execute", count)
    try:
        page = web.handle("dashboard", PageRequest(method="GET", session={TOKEN: session.token}))
    finally:
        event.remove(storage.engine, "before_cursor_execute", count)
    reads = [s for s in seen if s.startswith("SELECT")]
    assert sum(" FROM pk_invoice " in s for s in reads) == 1
    assert sum(" FROM pk_payment " in s for s in reads) == 1
    rows = page.context["rows"]
    assert len(rows) == 50 and rows == w.portal.invoices.list(w.alice, w.prop.id)
    summary, first = w.portal.invoices.overview(w.alice, w.prop.id, properties=[w.other_prop])
    assert first == w.portal.invoices.list(w.alice, w.prop.id)  # the property was not in the read
    with mock.patch.object(_invoices, "SUMMARY_LIMIT", 60):  # cut short: the list reads on its own
        summary, first = w.portal.invoices.overview(w.alice, w.prop.id)
        assert summary.more and first == w.portal.invoices.list(w.alice, w.prop.id)
    assert _payments.ACTIVITY_READ >= _payments.RECENT_LIMIT


def test_icon_takes_its_classes_as_the_macro_did():
    """Host templates written for the old macro call ``icon("x", class="...")``."""
    from jinja2 import Environment

    from portalkit.web.ui import icon

    env = Environment(autoescape=True)
    env.globals["icon"] = icon
    written = env.from_string('{{ icon("pin", class="icon--large") }}').render()
    assert written == icon("pin", "icon--large") and 'class="icon icon--large"' in written
    assert 'class="icon &lt;b&gt;"' in icon("pin", "<b>")
