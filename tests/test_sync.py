"""Host data sync by external id: create, update only what changed, archive, report; events back."""

from datetime import date
from decimal import Decimal

import attrs
import pytest
from conftest import build_world

from portalkit import InvoiceFilter, NotFound, PaymentSettled, ProposalStatus, ValidationError, hookimpl
from portalkit.adapters.payments import card_token
from portalkit.models import Contact, Invoice, Property
from portalkit.sync import HostContact, HostCustomer, HostInvoice, HostProperty, HostProposal, SyncBatch

DAY = date(2026, 1, 5)


def host_batch(invoices: int = 3, **changes) -> SyncBatch:
    batch = SyncBatch(
        customers=[HostCustomer(external_id="CU-1", name="Birch Lane HOA")],
        properties=[
            HostProperty(
                external_id="PR-1",
                customer="CU-1",
                name="Birch Lane Park",
                primary_contact="CO-1",
                account_owner_email="owner@greenacres.test",
            )
        ],
        contacts=[
            HostContact(
                external_id="CO-1",
                customer="CU-1",
                first_name="Dana",
                last_name="Birch",
                email="Dana@Example.com",
                properties=("PR-1",),
            ),
            HostContact(external_id="CO-2", customer="CU-1", first_name="Eli", last_name="Birch"),
        ],
        invoices=[
            HostInvoice(
                external_id=f"IN-{n}",
                property="PR-1",
                number=f"H-{n}",
                amount="100.00",
                amount_due="100.00",
                invoice_date=DAY,
                net_days=n,
            )
            for n in range(invoices)
        ],
        proposals=[
            HostProposal(
                external_id="PP-1",
                property="PR-1",
                number="HP-1",
                description="Spring mulch",
                status=ProposalStatus.DELIVERED,
                estimated_start=date(2026, 3, 1),
            )
        ],
    )
    return attrs.evolve(batch, **changes)


def by_external(portal, cls, external_id):
    [record] = portal.storage.find(cls, external_id=external_id)
    return record


def test_sync_creates_records_by_external_id_and_reports(world):
    report = world.portal.sync.apply(host_batch())
    assert report["invoices"].created == ("IN-0", "IN-1", "IN-2") and report["contacts"].created == ("CO-1", "CO-2")
    prop = by_external(world.portal, Property, "PR-1")
    dana = by_external(world.portal, Contact, "CO-1")
    assert prop.primary_contact_id == dana.id and dana.property_ids == (prop.id,) and dana.email == "dana@example.com"
    assert report["properties"].created == ("PR-1",) and report["properties"].updated == ()
    dana = world.enrol(dana)
    assert [r.invoice.number for r in world.portal.invoices.list(dana, prop.id)] == ["H-0", "H-1", "H-2"]


def test_sync_twice_changes_nothing_and_updates_only_what_changed(world):
    portal = world.portal
    portal.sync.apply(host_batch())
    again = portal.sync.apply(host_batch())
    assert not again.changed and again["invoices"].unchanged == 3 and again["properties"].unchanged == 1
    before = {i.external_id: i.version for i in portal.storage.find(Invoice)}
    batch = host_batch()
    changed = attrs.evolve(
        batch, invoices=[attrs.evolve(batch.invoices[1], amount_due="40.00", net_days=45), *batch.invoices[::2]]
    )
    report = portal.sync.apply(changed)
    assert report["invoices"].updated == ("IN-1",) and report["invoices"].unchanged == 2
    after = {i.external_id: i for i in portal.storage.find(Invoice)}
    assert after["IN-1"].version == before["IN-1"] + 1 and after["IN-0"].version == before["IN-0"]
    assert after["IN-1"].amount_due == Decimal("40.00") and after["IN-1"].due_date == date(2026, 2, 19)


def test_sync_archives_deleted_records_which_leave_the_portal_and_come_back(world):
    portal = world.portal
    portal.sync.apply(host_batch())
    dana = world.enrol(by_external(portal, Contact, "CO-1"))
    prop = by_external(portal, Property, "PR-1")
    gone = by_external(portal, Invoice, "IN-2")
    report = portal.sync.apply(SyncBatch(deleted={"invoices": ["IN-2"]}))
    assert report["invoices"].archived == ("IN-2",)
    assert [r.invoice.number for r in portal.invoices.list(dana, prop.id)] == ["H-0", "H-1"]
    with pytest.raises(NotFound):
        portal.invoices.get(dana, gone.id)
    assert portal.storage.get(Invoice, gone.id).archived  # kept, never deleted
    back = portal.sync.apply(host_batch())
    assert back["invoices"].updated == ("IN-2",) and len(portal.invoices.list(dana, prop.id)) == 3


def test_sync_complete_archives_what_the_host_no_longer_has(world):
    portal = world.portal
    portal.sync.apply(host_batch(invoices=4))
    staff_made = portal.invoices.add(world.staff, by_external(portal, Property, "PR-1").id, "LOCAL", "10.00", DAY)
    report = portal.sync.apply(host_batch(invoices=2, complete=frozenset({"invoices"})))
    assert report["invoices"].archived == ("IN-2", "IN-3") and report["invoices"].unchanged == 2
    assert not portal.storage.get(Invoice, staff_made.id).archived  # not the host's: left alone


def test_sync_bad_batch_is_refused_whole_and_writes_nothing(world):
    portal = world.portal
    batch = host_batch()
    broken = attrs.evolve(
        batch,
        invoices=[
            *batch.invoices,
            HostInvoice(
                external_id="IN-X", property="PR-404", number="X", amount="1.00", amount_due="1.00", invoice_date=DAY
            ),
        ],
    )
    with pytest.raises(ValidationError, match="PR-404"):
        portal.sync.apply(broken)
    for bad in (
        attrs.evolve(batch, invoices=[attrs.evolve(batch.invoices[0], amount_due="101.00")]),
        attrs.evolve(batch, invoices=[batch.invoices[0], batch.invoices[0]]),
        attrs.evolve(batch, deleted={"widgets": ["W-1"]}),
        attrs.evolve(batch, contacts=[attrs.evolve(c, email="same@example.com") for c in batch.contacts]),
        attrs.evolve(batch, customers=batch.invoices),
        attrs.evolve(batch, invoices="IN-1"),
        attrs.evolve(batch, deleted=["IN-1"]),
        attrs.evolve(batch, complete="invoices"),
    ):
        with pytest.raises(ValidationError):
            portal.sync.apply(bad)
    assert portal.storage.find(Invoice) == [] and portal.storage.find(Contact, external_id="CO-1") == []


def test_sync_keeps_the_balance_while_a_portal_payment_is_in_flight(world):
    portal = world.portal
    portal.sync.apply(host_batch(invoices=1))
    dana = world.enrol(by_external(portal, Contact, "CO-1"))
    inv = by_external(portal, Invoice, "IN-0")
    card = portal.payments.add_method(dana, card_token("4242424242424242", 12, 2031))
    portal.payments.pay(dana, inv.id, card.id, "60.00", "k-1")  # the fake processor settles later
    portal.sync.apply(host_batch(invoices=1))  # the host has not heard of it yet
    assert portal.storage.get(Invoice, inv.id).pending_amount == Decimal("60.00")
    assert portal.storage.get(Invoice, inv.id).amount_due == Decimal("100.00")


def test_events_carry_the_hosts_ids(world):
    heard = []

    class Listener:
        @hookimpl
        def portalkit_event(self, event):
            heard.append(event)

    portal = world.portal
    portal.plugins.register(Listener())
    portal.sync.apply(host_batch(invoices=1))
    dana = world.enrol(by_external(portal, Contact, "CO-1"))
    inv = by_external(portal, Invoice, "IN-0")
    card = portal.payments.add_method(dana, card_token("4242424242424242", 12, 2031))
    portal.payments.pay(dana, inv.id, card.id, "100.00", "k-1")
    world.adapters.processor.settle_due(portal.payments.handle_webhook)
    [settled] = [e for e in heard if isinstance(e, PaymentSettled)]
    assert settled.external("invoice_id") == "IN-0" and settled.invoice_id == inv.id
    enrolled = next(e for e in heard if e.name == "contact.enrolled")
    assert enrolled.external_ids == {"contact_id": "CO-1"}
    issue = portal.issues.create(dana, by_external(portal, Property, "PR-1").id, "Gate broken")
    created = next(e for e in heard if e.name == "issue.created" and e.issue_id == issue.id)
    assert created.external_ids == {"property_id": "PR-1", "contact_id": "CO-1"}
    portal.issues.comment(dana, issue.id, "Still broken")
    portal.issues.staff_comment(world.staff, issue.id, "Crew on Monday", public=True)
    commented = [e for e in heard if e.name == "issue.commented"]
    assert [e.external_ids for e in commented] == [{"property_id": "PR-1"}] * 2
    assert portal.invoices.list(dana, inv.property_id, InvoiceFilter.ALL_PAID)[0].invoice.id == inv.id


def test_two_companies_use_the_same_external_ids_apart(storage):
    one = build_world(storage, company_id="one")
    two = build_world(storage, company_id="two", company_name="Blue Sky Pools")
    one.portal.sync.apply(host_batch())
    report = two.portal.sync.apply(host_batch(invoices=1))
    assert report["invoices"].created == ("IN-0",) and report["customers"].created == ("CU-1",)
    assert len(one.portal.storage.find(Invoice)) == 3 and len(two.portal.storage.find(Invoice)) == 1


def test_sync_keeps_invoice_lines_and_terms(world):
    from portalkit import InvoiceLine, LineItem

    mowing = [
        LineItem(description="Mowing", quantity="4", unit_price="20.00"),
        LineItem(description="Edging", unit_price="20.00"),
    ]
    with_lines = [
        HostInvoice(
            external_id="IN-L",
            property="PR-1",
            number="H-L",
            amount="100.00",
            amount_due="100.00",
            invoice_date=DAY,
            terms="Net 30",
            lines=mowing,
        )
    ]
    report = world.portal.sync.apply(attrs.evolve(host_batch(0), invoices=with_lines))
    invoice = by_external(world.portal, Invoice, "IN-L")
    stored = sorted(world.portal.storage.find(InvoiceLine, invoice_id=invoice.id), key=lambda line: line.position)
    assert report["invoices"].created == ("IN-L",) and invoice.terms == "Net 30"
    assert [(line.description, line.amount) for line in stored] == [
        ("Mowing", Decimal("80.00")),
        ("Edging", Decimal("20.00")),
    ]
    assert world.portal.sync.apply(attrs.evolve(host_batch(0), invoices=with_lines))["invoices"].unchanged == 1
    kept = attrs.evolve(with_lines[0], lines=None)  # None: the lines stay as they are
    assert world.portal.sync.apply(attrs.evolve(host_batch(0), invoices=[kept]))["invoices"].unchanged == 1
    fewer = attrs.evolve(with_lines[0], lines=mowing[:1])
    assert world.portal.sync.apply(attrs.evolve(host_batch(0), invoices=[fewer]))["invoices"].updated == ("IN-L",)
    assert [line.description for line in world.portal.storage.find(InvoiceLine, invoice_id=invoice.id)] == ["Mowing"]
    bad = attrs.evolve(with_lines[0], lines=[LineItem(description="Oops", unit_price="-1")])
    with pytest.raises(ValidationError):
        world.portal.sync.apply(attrs.evolve(host_batch(0), invoices=[bad]))
    assert len(world.portal.storage.find(InvoiceLine, invoice_id=invoice.id)) == 1


def test_sync_carries_the_hosts_language_and_otherwise_keeps_the_contacts_choice(world):
    portal = world.portal
    batch = host_batch()
    portal.sync.apply(
        attrs.evolve(batch, contacts=[attrs.evolve(batch.contacts[0], language="es-MX"), batch.contacts[1]])
    )
    assert by_external(portal, Contact, "CO-1").language == "es"
    eli = by_external(portal, Contact, "CO-2")
    assert eli.language == "en"
    portal.accounts.set_language(eli, "es")
    portal.sync.apply(
        attrs.evolve(batch, contacts=[attrs.evolve(batch.contacts[0], language="es-MX"), batch.contacts[1]])
    )
    assert by_external(portal, Contact, "CO-2").language == "es"  # no language from the host: hers stays
    with pytest.raises(ValidationError) as refused:
        portal.sync.apply(attrs.evolve(batch, contacts=[attrs.evolve(batch.contacts[0], language="fr")]))
    assert refused.value.field == "language"
    assert by_external(portal, Contact, "CO-1").language == "es"


def two_customers(**changes) -> SyncBatch:
    """CU-1 with its property PR-1 and contact CO-1; CU-2 with PR-2 and CO-9."""
    base = host_batch(invoices=1)
    return attrs.evolve(
        base,
        customers=[*base.customers, HostCustomer(external_id="CU-2", name="Cedar Court")],
        properties=[*base.properties, HostProperty(external_id="PR-2", customer="CU-2", name="Cedar Court Lawn")],
        contacts=[
            *base.contacts,
            HostContact(
                external_id="CO-9",
                customer="CU-2",
                first_name="Finn",
                last_name="Cedar",
                email="finn@example.com",
                properties=("PR-2",),
            ),
        ],
        **changes,
    )


@pytest.mark.parametrize(
    "where", ["contact's property", "primary contact", "billing contact", "invoice billing", "proposal main contact"]
)
def test_sync_keeps_contacts_within_their_customer(world, where):
    """A contact of CU-2 is never linked to, nor made primary or billing contact of, CU-1's
    property or its documents (the staff pages refuse it; so does sync), and nothing is written."""
    batch = two_customers()
    cedar = batch.contacts[-1]
    if where == "contact's property":
        batch = attrs.evolve(batch, contacts=[*batch.contacts[:-1], attrs.evolve(cedar, properties=("PR-2", "PR-1"))])
    elif where in ("primary contact", "billing contact"):
        field = "primary_contact" if where == "primary contact" else "billing_contact"
        batch = attrs.evolve(
            batch, properties=[attrs.evolve(batch.properties[0], **{field: "CO-9"}), *batch.properties[1:]]
        )
    elif where == "invoice billing":
        batch = attrs.evolve(batch, invoices=[attrs.evolve(batch.invoices[0], billing_contact="CO-9")])
    else:
        batch = attrs.evolve(batch, proposals=[attrs.evolve(batch.proposals[0], main_contact="CO-9")])
    with pytest.raises(ValidationError) as refused:
        world.portal.sync.apply(batch)
    assert "another customer" in refused.value.public_message
    assert world.portal.storage.find(Property, external_id="PR-1") == []  # all or nothing


def test_sync_a_bad_record_is_named_by_kind_host_id_and_field(world):
    """In a batch of many, the refusal says which record and which field."""
    contacts = [
        HostContact(
            external_id=f"CO-{n}", customer="CU-1", first_name="Dana", last_name="Birch", email=f"dana{n}@example.com"
        )
        for n in range(100)
    ]
    contacts[57] = attrs.evolve(contacts[57], email="not an email")
    with pytest.raises(ValidationError) as refused:
        world.portal.sync.apply(host_batch(contacts=contacts, properties=[]))
    error = refused.value
    assert (error.kind, error.external_id, error.field) == ("contacts", "CO-57", "email")
    assert "contacts 'CO-57', email:" in error.public_message


def test_sync_an_email_another_contact_has_names_both(world):
    """An email clashing with a contact already here is not "two records of the batch"."""
    with pytest.raises(ValidationError) as refused:
        world.portal.sync.apply(
            host_batch(
                contacts=[
                    HostContact(
                        external_id="CO-7",
                        customer="CU-1",
                        first_name="Al",
                        last_name="Green",
                        email="ALICE@example.com",
                    )
                ],
                properties=[],
            )
        )
    error = refused.value
    assert (error.kind, error.external_id, error.field) == ("contacts", "CO-7", "email")
    assert "already belongs to a record staff added" in error.public_message
    world.portal.sync.apply(host_batch())
    twice = [
        HostContact(external_id=x, customer="CU-1", first_name="Al", last_name="Green", email="same@example.com")
        for x in ("CO-7", "CO-8")
    ]
    with pytest.raises(ValidationError) as refused:
        world.portal.sync.apply(host_batch(contacts=twice, properties=[]))
    assert refused.value.external_id == "CO-8" and "'CO-7'" in refused.value.public_message
    with pytest.raises(ValidationError) as refused:  # an existing synced contact's email
        world.portal.sync.apply(host_batch(contacts=[attrs.evolve(twice[0], email="dana@example.com")], properties=[]))
    assert "host id 'CO-1'" in refused.value.public_message


def test_sync_emails_may_move_between_contacts_of_one_batch(world):
    world.portal.sync.apply(host_batch())
    base = host_batch()
    moved = [
        attrs.evolve(base.contacts[0], email="dana.new@example.com"),
        attrs.evolve(base.contacts[1], email="dana@example.com"),
    ]
    world.portal.sync.apply(host_batch(contacts=moved))  # CO-1 gives the address up, CO-2 takes it
    assert by_external(world.portal, Contact, "CO-2").email == "dana@example.com"
