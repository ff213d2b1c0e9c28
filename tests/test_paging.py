"""Keyset pagination (issue 13): every page in order, nothing twice, nothing skipped, at any size."""

from datetime import date, timedelta

import pytest
from conftest import build_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit import InvoiceFilter, NotFound, ValidationError
from portalkit.models import Invoice


def all_pages(fetch, limit):
    seen, after = [], None
    while True:
        page = fetch(after=after, limit=limit)
        assert len(page) <= limit
        seen += list(page)
        if page.next_after is None:
            return seen
        after = page.next_after


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60), st.booleans()), max_size=25), st.integers(1, 7))
def test_pay_1_paging_through_invoices_shows_each_once_in_order(rows, limit):
    w = build_world()
    w.alice = w.enrol(w.alice)
    for n, (day, net, paid) in enumerate(rows):
        w.portal.invoices.add(
            w.staff,
            w.prop.id,
            f"I-{n % 3}",
            "10.00",
            date(2026, 1, 1) + timedelta(days=day),
            net_days=net,
            amount_due="0.00" if paid else None,
        )
    stored = w.portal.storage.find(Invoice)
    for which, keep, key, reverse in (
        (InvoiceFilter.OPEN, lambda i: i.paid_on is None, lambda i: (i.due_date, i.number, i.id), False),
        (InvoiceFilter.ALL_PAID, lambda i: i.paid_on is not None, lambda i: (i.paid_on, i.number, i.id), True),
    ):
        expected = [i.id for i in sorted(filter(keep, stored), key=key, reverse=reverse)]
        shown = all_pages(lambda **kw: w.portal.invoices.list(w.alice, w.prop.id, which, **kw), limit)
        assert [r.invoice.id for r in shown] == expected


def test_paging_of_staff_lists(world):
    w = world
    for n, first in enumerate(["Pat", "Kim", "Ada", "Lou", "Max", "Sol", "Ivy"]):
        w.portal.directory.add_contact(w.staff, w.customer.id, first, ["Lee", "Ng", "Ito"][n % 3], f"p{n}@example.com")
    contacts = all_pages(lambda **kw: w.portal.directory.contacts(w.staff, **kw), 2)
    assert [(c.last_name, c.first_name) for c in contacts] == sorted((c.last_name, c.first_name) for c in contacts)
    assert len(contacts) == len({c.id for c in contacts}) == 10


def test_a_bad_page_position_or_size_is_refused(enrolled):
    w = enrolled
    with pytest.raises(NotFound):
        w.portal.invoices.list(w.alice, w.prop.id, after="no-such-invoice")
    with pytest.raises(NotFound):
        w.portal.invoices.list(w.alice, w.prop.id, after="../../x")
    for bad in (0, 201, "10", 2.5, True):
        with pytest.raises(ValidationError):
            w.portal.issues.list(w.alice, w.prop.id, limit=bad)
