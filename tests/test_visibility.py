from datetime import date

import attrs
import pytest
from conftest import build_world, invoice, make_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit import Access, PortalStatus, Section
from portalkit._core.visibility import invoice_visible, property_visible
from portalkit.errors import NotFound, PermissionDenied
from portalkit.models import Contact, Invoice, Property


def test_vis_1_nothing_until_enrolled_and_linked(world):
    assert world.portal.visibility.properties(world.alice) == []  # not enrolled
    d = world.portal.directory
    loner = d.add_contact(world.staff, world.customer.id, "Lou", "Loner", "lou@example.com")
    loner = world.enrol(loner)
    assert world.portal.visibility.properties(loner) == []
    d.link_property(world.staff, loner.id, world.prop.id)
    assert [p.id for p in world.portal.visibility.properties(d.contact(loner.id))] == [world.prop.id]


def test_vis_1_account_link_shows_all_properties(enrolled):
    d = enrolled.portal.directory
    acct = d.add_contact(enrolled.staff, enrolled.customer.id, "Ann", "Account", "ann@example.com", account_wide=True)
    acct = enrolled.enrol(acct)
    names = [p.name for p in enrolled.portal.visibility.properties(acct)]
    assert names == ["Oak Street Commons", "Oak Street Pool"]


def test_vis_2_invoice_only_to_primary_and_billing_contact(enrolled):
    w = enrolled
    inv = invoice(w)
    billed_to_bob = invoice(w, "INV-2", billing=w.bob.id)
    inv_list = lambda c: [r.invoice.number for r in w.portal.invoices.list(c, w.prop.id)]  # noqa: E731
    assert inv_list(w.alice) == ["INV-1", "INV-2"]
    assert inv_list(w.bob) == ["INV-2"]
    with pytest.raises(NotFound):
        w.portal.invoices.get(w.bob, inv.id)
    with pytest.raises(NotFound):
        w.portal.invoices.get(w.stranger, billed_to_bob.id)
    with pytest.raises(NotFound):
        w.portal.invoices.list(w.stranger, w.prop.id)


def test_vis_3_access_flags(enrolled):
    w = enrolled
    invoice(w)
    w.portal.directory.update_contact(w.staff, w.alice.id, access=Access(invoices=False))
    alice = w.portal.directory.contact(w.alice.id)
    with pytest.raises(PermissionDenied):
        w.portal.invoices.list(alice, w.prop.id)
    assert Section.INVOICES not in w.portal.visibility.dashboard_sections(alice)


def test_vis_4_config_toggles_hide_views_and_dashboard_opens_on_invoices(enrolled):
    w = enrolled
    assert w.portal.visibility.dashboard_sections(w.alice) == [
        Section.INVOICES,
        Section.PROPOSALS,
        Section.ISSUES,
        Section.REPORTS,
    ]
    assert w.portal.config.default_view == "invoices"
    w.portal.update_config(
        w.staff, attrs.evolve(w.portal.config, show_invoices=False, show_issues=False, show_reports=False)
    )
    assert w.portal.visibility.dashboard_sections(w.alice) == [Section.PROPOSALS]
    assert w.portal.config.default_view == "proposals"
    with pytest.raises(PermissionDenied):
        w.portal.invoices.list(w.alice, w.prop.id)


def test_vis_5_multi_property_switching_is_per_property(enrolled):
    w = enrolled
    d = w.portal.directory
    d.link_property(w.staff, w.alice.id, w.other_prop.id, primary=True)
    alice = d.contact(w.alice.id)
    invoice(w, "INV-A")
    w.portal.invoices.add(w.staff, w.other_prop.id, "INV-B", "75.00", date(2026, 1, 2))
    assert [p.name for p in w.portal.visibility.properties(alice)] == ["Oak Street Commons", "Oak Street Pool"]
    assert [r.invoice.number for r in w.portal.invoices.list(alice, w.prop.id)] == ["INV-A"]
    assert [r.invoice.number for r in w.portal.invoices.list(alice, w.other_prop.id)] == ["INV-B"]
    with pytest.raises(NotFound):
        w.portal.invoices.list(w.bob, w.other_prop.id)


def test_vis_6_main_contact_only_scope(enrolled):
    w = enrolled
    p = w.portal.proposals
    mine = p.add(w.staff, w.prop.id, "P-1", "Spring cleanup", date(2026, 2, 1), main_contact_id=w.bob.id)
    theirs = p.add(w.staff, w.prop.id, "P-2", "Tree work", date(2026, 2, 1), main_contact_id=w.alice.id)
    w.portal.directory.update_contact(w.staff, w.bob.id, main_contact_only=True)
    bob = w.portal.directory.contact(w.bob.id)
    assert [r.proposal.number for r in p.list(bob, w.prop.id)] == ["P-1"]
    with pytest.raises(NotFound):
        p.get(bob, theirs.id)
    assert p.get(bob, mine.id).number == "P-1"


def test_suspended_contact_sees_nothing(enrolled):
    w = enrolled
    invoice(w)
    w.portal.directory.suspend(w.staff, w.alice.id, "hold")
    alice = w.portal.directory.contact(w.alice.id)
    assert w.portal.visibility.properties(alice) == []
    with pytest.raises((NotFound, PermissionDenied)):
        w.portal.invoices.list(alice, w.prop.id)


# -- property tests: no contact ever sees an invoice it should not ----------------------------

ids = st.sampled_from(["c1", "c2", "c3", "c4"])
customers = st.sampled_from(["cust-a", "cust-b"])
props = st.sampled_from(["p1", "p2", "p3"])


@st.composite
def worlds(draw):
    properties = {
        pid: Property(id=pid, customer_id=draw(customers), name=pid, primary_contact_id=draw(st.none() | ids))
        for pid in ["p1", "p2", "p3"]
    }
    contacts = {
        cid: Contact(
            id=cid,
            customer_id=draw(customers),
            first_name="Ab",
            last_name="C",
            property_ids=tuple(draw(st.lists(props, max_size=3, unique=True))),
            account_wide=draw(st.booleans()),
            access=Access(invoices=draw(st.booleans())),
            portal_status=draw(st.sampled_from(list(PortalStatus))),
            suspended=draw(st.booleans()),
        )
        for cid in ["c1", "c2", "c3", "c4"]
    }
    invoices = [
        Invoice(
            number=str(n),
            property_id=draw(props),
            billing_contact_id=draw(st.none() | ids),
            amount=1,
            amount_due=1,
            invoice_date=date(2026, 1, 1),
        )
        for n in range(draw(st.integers(0, 6)))
    ]
    return properties, contacts, invoices


@given(worlds(), st.booleans())
def test_vis_2_property_no_contact_sees_another_propertys_invoice(world, show_invoices):
    properties, contacts, invoices = world
    config = make_config(show_invoices=show_invoices)
    for contact in contacts.values():
        for inv in invoices:
            prop = properties[inv.property_id]
            if invoice_visible(contact, inv, prop, config):
                assert contact.id in (prop.primary_contact_id, inv.billing_contact_id)
                assert prop.customer_id == contact.customer_id
                assert contact.portal_status is PortalStatus.ENROLLED and not contact.suspended
                assert contact.access.invoices and show_invoices
                assert property_visible(contact, prop)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["alice", "bob", "stranger"]),
            st.sampled_from(["prop", "other_prop"]),
            st.sampled_from(["alice", "bob", "stranger", None]),
        ),
        max_size=6,
    )
)
def test_vis_2_property_through_the_portal_every_invoice_id(specs):
    w = build_world()
    for who in ("alice", "bob", "stranger"):
        setattr(w, who, w.enrol(getattr(w, who)))
    made = []
    for n, (_, where, billing) in enumerate(specs):
        prop = getattr(w, where)
        made.append(
            w.portal.invoices.add(
                w.staff,
                prop.id,
                f"N{n}",
                "10.00",
                date(2026, 1, 1),
                billing_contact_id=getattr(w, billing).id if billing else None,
            )
        )
    for who in ("alice", "bob", "stranger"):
        contact = getattr(w, who)
        for inv in made:
            prop = w.portal.storage.get(Property, inv.property_id)
            allowed = contact.id in (prop.primary_contact_id, inv.billing_contact_id) and property_visible(
                contact, prop
            )
            try:
                w.portal.invoices.get(contact, inv.id)
                seen = True
            except NotFound:
                seen = False
            assert seen == allowed
