"""Many companies in one storage: nothing ever crosses from one company's portal to another's.

A hypothesis property over random data for two companies sharing one storage, one file store
and one payment processor account (the worst case): no read, list, token, session, file,
webhook or staff action of one company ever reaches the other's records.
"""

import re
from datetime import date

import pytest
from conftest import PASSWORD, build_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit import (
    InvoiceFilter,
    IssueFilter,
    IssueStatus,
    NotFound,
    PermissionDenied,
    PortalError,
    PortalStatus,
    ProposalFilter,
    ProposalStatus,
    Upload,
)
from portalkit.adapters.memory import MemoryFileStore, MemoryStorage
from portalkit.adapters.payments import FakeProcessor, card_token
from portalkit.models import Comment, Invoice, Issue, Payment, Proposal

PHOTO = Upload(filename="gate.png", data=b"\x89PNG\r\n\x1a\n" + b"gate" * 10, content_type="image/png")

operation = st.tuples(st.sampled_from(["invoice", "issue", "proposal", "payment", "comment"]), st.booleans())


def run(world, ops):
    """Do ``ops`` in one company's portal; return every id it made, by kind."""
    portal, made = world.portal, {"invoice": [], "issue": [], "proposal": [], "payment": [], "comment": []}
    card = portal.payments.add_method(world.alice, card_token("4242424242424242", 12, 2031))
    for n, (kind, flag) in enumerate(ops):
        if kind in ("invoice", "payment"):  # a payment pays an invoice of its own
            inv = portal.invoices.add(
                world.staff,
                world.prop.id,
                f"I-{n}",
                "100.00",
                date(2026, 1, 5),
                billing_contact_id=world.bob.id if flag else None,
            )
            made["invoice"].append(inv.id)
        if kind == "payment":
            made["payment"].append(portal.payments.pay(world.alice, made["invoice"][-1], card.id, "10.00", f"k{n}").id)
        elif kind == "issue" or (kind == "comment" and not made["issue"]):
            made["issue"].append(
                portal.issues.create(world.alice, world.prop.id, f"Issue {n}", attachments=[PHOTO] if flag else []).id
            )
        if kind == "comment":
            made["comment"].append(portal.issues.comment(world.alice, made["issue"][-1], "More", [PHOTO]).id)
        elif kind == "proposal":
            made["proposal"].append(
                portal.proposals.add(world.staff, world.prop.id, f"P-{n}", "Mulch", date(2026, 1, 20)).id
            )
    return made


def two_companies(storage):
    files, processor = MemoryFileStore(), FakeProcessor()
    worlds = [
        build_world(storage, company_id=company, file_store=files, processor=processor)
        for company in ("north", "south")
    ]
    for w in worlds:
        w.alice, w.bob = w.enrol(w.alice), w.enrol(w.bob)
    return worlds


def refused(call) -> bool:
    try:
        call()
    except (NotFound, PermissionDenied, PortalError):
        return True
    return False


def check_apart(mine, theirs, their_ids):
    """Nothing of ``theirs`` is reachable through ``mine``."""
    portal, alice, staff = mine.portal, mine.alice, mine.staff
    for invoice_id in their_ids["invoice"]:
        assert refused(lambda: portal.invoices.get(alice, invoice_id))
        assert refused(lambda: portal.invoices.pdf(alice, invoice_id))
    for issue_id in their_ids["issue"]:
        assert refused(lambda: portal.issues.get(alice, issue_id))
        assert refused(lambda: portal.issues.attachments(alice, issue_id))
        assert refused(lambda: portal.issues.staff_comments(staff, issue_id))
        assert refused(lambda: portal.issues.set_status(staff, issue_id, IssueStatus.CLOSED))
        files = theirs.portal.issues.staff_attachments(theirs.staff, issue_id)
        for file_id in (f.id for group in files.values() for f in group):
            assert refused(lambda: portal.issues.attachment(alice, issue_id, file_id))
            assert refused(lambda: portal.issues.staff_attachment(staff, issue_id, file_id))
    for proposal_id in their_ids["proposal"]:
        assert refused(lambda: portal.proposals.get(alice, proposal_id))
        assert refused(lambda: portal.proposals.set_status(staff, proposal_id, ProposalStatus.WON))
    for payment_id in their_ids["payment"]:
        assert refused(lambda: portal.payments.own_payment(alice, payment_id))
        assert refused(lambda: portal.payments.refund(staff, payment_id))
    assert refused(lambda: portal.invoices.list(alice, theirs.prop.id))
    assert refused(lambda: portal.directory.contact(theirs.alice.id))
    # their staff user, tokens and sessions are nothing here
    assert refused(lambda: portal.issues.staff_issues(theirs.staff))
    assert refused(lambda: portal.accounts.authenticate(theirs.session))
    assert refused(lambda: portal.accounts.check_reset_link(theirs.reset_token))
    # my lists hold only my records
    everything = set().union(*their_ids.values())
    shown = [r.invoice.id for f in InvoiceFilter for r in portal.invoices.list(alice, mine.prop.id, f)]
    shown += [i.id for f in IssueFilter for i in portal.issues.list(alice, mine.prop.id, f)]
    shown += [r.proposal.id for f in ProposalFilter for r in portal.proposals.list(alice, mine.prop.id, f)]
    shown += [p.id for p in portal.payments.staff_payments(staff)] + [i.id for i in portal.issues.staff_issues(staff)]
    shown += [c.id for s in PortalStatus for c in portal.directory.contacts(staff, s)]
    assert not everything & set(shown)
    for cls in (Invoice, Issue, Proposal, Payment, Comment):
        assert all(r.company_id == mine.portal.settings.company_id for r in portal.storage.find(cls))


def isolation_property(storage_factory, examples):
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(operation, max_size=6), st.lists(operation, max_size=6))
    def prop(north_ops, south_ops):
        north, south = two_companies(storage_factory())
        ids = {"north": run(north, north_ops), "south": run(south, south_ops)}
        for w in (north, south):
            w.session = w.portal.accounts.login(w.alice.email, PASSWORD).token
            w.portal.accounts.request_reset(w.alice.email)
            w.reset_token = re.search(r"/reset-password#(\S+)", w.mailer.to(w.alice.email)[-1].text).group(1)
        # the processor's webhooks for both companies reach the north portal only: south's stay unapplied
        north.adapters.processor.settle_due(north.portal.payments.handle_webhook)
        for payment_id in ids["south"]["payment"]:
            assert south.portal.storage.get(Payment, payment_id).status.value == "processing"
        check_apart(north, south, ids["south"])
        check_apart(south, north, ids["north"])

    return prop


def test_no_read_list_token_session_file_or_webhook_crosses_companies_memory():
    isolation_property(MemoryStorage, 25)()


def test_no_read_list_token_session_file_or_webhook_crosses_companies_sql(tmp_path_factory):
    from portalkit.adapters.sql import SqlStorage

    def fresh():
        return SqlStorage(f"sqlite:///{tmp_path_factory.mktemp('tenancy')}/portal.sqlite3")

    isolation_property(fresh, 6)()


def test_no_read_list_token_session_file_or_webhook_crosses_companies_postgres(pg_storage):
    def fresh():
        pg_storage.truncate_all()
        return pg_storage

    isolation_property(fresh, 4)()


def test_same_email_may_be_a_contact_of_two_companies(storage):
    north, south = two_companies(storage)
    assert north.alice.email == south.alice.email and north.alice.id != south.alice.id
    session = north.portal.accounts.login(north.alice.email, PASSWORD)
    assert session.contact.id == north.alice.id and session.contact.company_id == "north"


def test_a_staff_user_of_one_company_cannot_act_on_another(storage):
    north, south = two_companies(storage)
    with pytest.raises(PermissionDenied):
        south.portal.invoices.add(north.staff, south.prop.id, "X", "10.00", date(2026, 1, 5))
    with pytest.raises(PermissionDenied):
        south.portal.update_config(north.staff, south.portal.config)
