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


ROWS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60), st.booleans()), max_size=25)


def _pages_of_invoices_show_each_once_in_order(w, rows, limit):
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


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(ROWS, st.integers(1, 7))
def test_pay_1_paging_through_invoices_shows_each_once_in_order(rows, limit):
    _pages_of_invoices_show_each_once_in_order(build_world(), rows, limit)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(ROWS, st.integers(1, 7))
def test_pay_1_paging_on_postgresql_seeking_each_cursor_by_its_id_shows_each_once_in_order(pg_storage, rows, limit):
    """On PostgreSQL a deep page reads its cursor's position in the page's own statement
    (``SqlStorage.seek_page``, issue 25): the same pages as reading the cursor first."""
    pg_storage.truncate_all()
    _pages_of_invoices_show_each_once_in_order(build_world(pg_storage), rows, limit)


def test_vis_2_a_deep_page_is_one_read_and_a_cursor_of_another_company_or_list_is_not_found(world):
    """A cursor is an id of a record of the same list: another company's record, or one of this
    company outside the list, is ``NotFound``; the list's last record as a cursor is an empty
    last page. On PostgreSQL a deep page is one statement (the cursor's position read in it)."""
    w = world
    w.alice = w.enrol(w.alice)
    mine = [w.portal.invoices.add(w.staff, w.prop.id, f"A-{n}", "10.00", date(2026, 1, 1 + n)) for n in range(3)]
    paid = w.portal.invoices.add(w.staff, w.prop.id, "P-1", "10.00", date(2026, 1, 9), amount_due="0.00")
    other = build_world(w.portal.storage.shared, company_id="other-company")
    foreign = other.portal.invoices.add(other.staff, other.prop.id, "A-9", "10.00", date(2026, 1, 1))
    shared = w.portal.storage.shared
    counted = getattr(shared, "statements", 0)
    first = w.portal.invoices.list(w.alice, w.prop.id, limit=1)
    assert [r.invoice.id for r in first] == [mine[0].id]
    counted, first_reads = getattr(shared, "statements", 0), getattr(shared, "statements", 0) - counted
    second = w.portal.invoices.list(w.alice, w.prop.id, after=first.next_after, limit=1)
    if getattr(shared, "dialect", None) == "postgresql":  # the page's read, no read of its cursor before it
        assert shared.statements - counted == first_reads
    assert [r.invoice.id for r in second] == [mine[1].id]
    last = w.portal.invoices.list(w.alice, w.prop.id, after=mine[2].id, limit=1)
    assert list(last) == [] and last.next_after is None
    for cursor in (foreign.id, paid.id, "no-such-invoice"):
        with pytest.raises(NotFound):
            w.portal.invoices.list(w.alice, w.prop.id, after=cursor, limit=1)


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


def test_a_cursor_is_found_only_in_its_list_whatever_the_order_and_conditions(world):
    """The cursor's own row is read under the list's conditions: with no order keys, an id of
    another company or no record's id seeks nothing (and ``fetch`` says ``NotFound``); a record
    whose value is missing matches no ``Not``, as SQL says (``ports.satisfies``)."""
    from portalkit._core.paging import fetch, matches
    from portalkit.models import Contact
    from portalkit.ports import Not

    w = world
    storage = w.portal.storage
    other = build_world(storage.shared, company_id="other-company")
    for cursor in (other.alice.id, "0", "zzzz"):
        with pytest.raises(NotFound):
            fetch(storage, Contact, order=(), after=cursor, limit=5)
    assert [c.id for c in fetch(storage, Contact, order=(), after=w.alice.id, limit=50)] == sorted(
        c.id for c in storage.find(Contact) if c.id > w.alice.id
    )
    paid = w.portal.invoices.add(w.staff, w.prop.id, "P-1", "10.00", date(2026, 1, 9), amount_due="0.00")
    unpaid = w.portal.invoices.add(w.staff, w.prop.id, "U-1", "10.00", date(2026, 1, 9))
    assert matches(paid, {"paid_on": Not(date(1999, 1, 1))})
    assert not matches(unpaid, {"paid_on": Not(date(1999, 1, 1))})
    with pytest.raises(NotFound):
        fetch(storage, Invoice, order=("number",), after=unpaid.id, limit=5, paid_on=Not(date(1999, 1, 1)))
