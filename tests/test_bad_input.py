"""Property: random bad input into any argument of any public mutation is refused with a typed
``PortalError`` and leaves storage, mail and the payment processor exactly as they were.

A value that happens to be valid may succeed; then nothing is asserted about the change. Failed
login and reset attempts are counted on purpose (the throttle, ASVS V2.2.1), so throttle rows are
left out of the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest
from conftest import PASSWORD, PNG_SIGNATURE, build_world, invoice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storages import make_storage

from portalkit import ProposalStatus, Upload
from portalkit.adapters.payments import card_token
from portalkit.config import updated
from portalkit.errors import PortalError
from portalkit.models import RECORD_TYPES, LoginThrottle

BAD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.text(alphabet="\x00\x0b\x0c\x85\u2028,;<>{}%$#@\\/١２²", max_size=12),
    st.binary(max_size=16),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just("x" * 100_000),
    st.just("{{ 7*7 }}"),
    st.just("a,attacker@evil.com"),
    st.just("1e30"),
    st.just("1,50"),
)


def operations(w) -> dict[str, Callable[[Any], Any]]:
    """Every public mutation, with one argument left open for the bad value."""
    p, acc, d = w.portal, w.portal.accounts, w.portal.directory
    inv, card, proposal, issue = w.inv, w.card, w.proposal, w.issue
    return {
        "login.email": lambda v: acc.login(v, PASSWORD),
        "login.password": lambda v: acc.login("alice@example.com", v),
        "login.ip": lambda v: acc.login("alice@example.com", "wrong-pass-1", v),
        "sign_up.token": lambda v: acc.sign_up(v, PASSWORD, PASSWORD),
        "request_reset.email": lambda v: acc.request_reset(v),
        "reset_password.token": lambda v: acc.reset_password(v, PASSWORD, PASSWORD),
        "change_password.new": lambda v: acc.change_password(w.alice, PASSWORD, v, v),
        "update_profile.first": lambda v: acc.update_profile(w.alice, v, "Green"),
        "set_receipts": lambda v: acc.set_receipts(w.alice, v),
        "add_customer.name": lambda v: d.add_customer(w.staff, v),
        "add_property.customer": lambda v: d.add_property(w.staff, v, "Lot"),
        "add_property.owner_email": lambda v: d.add_property(w.staff, w.customer.id, "Lot", account_owner_email=v),
        "add_contact.first": lambda v: d.add_contact(w.staff, w.customer.id, v, "New"),
        "add_contact.email": lambda v: d.add_contact(w.staff, w.customer.id, "Nia", "New", v),
        "add_contact.properties": lambda v: d.add_contact(w.staff, w.customer.id, "Nia", "New", property_ids=v),
        "add_contact.access": lambda v: d.add_contact(w.staff, w.customer.id, "Nia", "New", access=v),
        "add_contact.invite": lambda v: d.add_contact(
            w.staff, w.customer.id, "Nia", "New", "nia@example.com", invite=v
        ),
        "update_contact.access": lambda v: d.update_contact(w.staff, w.bob.id, access=v),
        "update_contact.scope": lambda v: d.update_contact(w.staff, w.bob.id, main_contact_only=v),
        "change_email": lambda v: d.change_email(w.staff, w.bob.id, v),
        "suspend.note": lambda v: d.suspend(w.staff, w.bob.id, v),
        "link_property": lambda v: d.link_property(w.staff, w.bob.id, v),
        "set_primary_contact": lambda v: d.set_primary_contact(w.staff, w.other_prop.id, v),
        "add_staff.email": lambda v: d.add_staff(w.staff, v, "New Staff"),
        "add_staff.permissions": lambda v: d.add_staff(w.staff, "new@greenacres.test", "New Staff", permissions=v),
        "invite.ids": lambda v: p.invitations.send(w.staff, v),
        "invite.subject": lambda v: p.invitations.send(w.staff, [w.bob.id], subject=v),
        "invite.body": lambda v: p.invitations.send(w.staff, [w.bob.id], body=v),
        "invoices.add.amount": lambda v: p.invoices.add(w.staff, w.prop.id, "INV-N", v, date(2026, 1, 1)),
        "invoices.add.number": lambda v: p.invoices.add(w.staff, w.prop.id, v, "10.00", date(2026, 1, 1)),
        "invoices.add.date": lambda v: p.invoices.add(w.staff, w.prop.id, "INV-N", "10.00", v),
        "invoices.add.net_days": lambda v: p.invoices.add(
            w.staff, w.prop.id, "INV-N", "10.00", date(2026, 1, 1), net_days=v
        ),
        "add_method.token": lambda v: p.payments.add_method(w.alice, v),
        "add_method.default": lambda v: p.payments.add_method(
            w.alice, card_token("4242424242424242", 12, 2031), make_default=v
        ),
        "set_default": lambda v: p.payments.set_default(w.alice, v),
        "remove_method": lambda v: p.payments.remove_method(w.alice, v),
        "pay.amount": lambda v: p.payments.pay(w.alice, inv.id, card.id, v, "key-amount"),
        "pay.invoice": lambda v: p.payments.pay(w.alice, v, card.id, "1.00", "key-invoice"),
        "pay.method": lambda v: p.payments.pay(w.alice, inv.id, v, "1.00", "key-method"),
        "pay.key": lambda v: p.payments.pay(w.alice, inv.id, card.id, "1.00", v),
        "webhook.body": lambda v: p.payments.handle_webhook({"Fake-Signature": "t=1,v1=x"}, v),
        "webhook.headers": lambda v: p.payments.handle_webhook(v, b"{}"),
        "refund": lambda v: p.payments.refund(w.staff, v),
        "refund.amount": lambda v: p.payments.refund(w.staff, w.inv.id, v),
        "cancel": lambda v: p.payments.cancel(w.staff, v),
        "proposals.add.services": lambda v: p.proposals.add(
            w.staff, w.prop.id, "P-N", "Work", date(2026, 2, 1), services=v
        ),
        "proposals.add.status": lambda v: p.proposals.add(
            w.staff, w.prop.id, "P-N", "Work", date(2026, 2, 1), status=v
        ),
        "proposals.set_status": lambda v: p.proposals.set_status(w.staff, proposal.id, v),
        "sign.image": lambda v: p.proposals.sign(w.alice, proposal.id, v, "203.0.113.5"),
        "sign.ip": lambda v: p.proposals.sign(w.alice, proposal.id, "data:image/png;base64,AAAA", v),
        "sign.services": lambda v: p.proposals.sign(w.alice, proposal.id, PNG_SIGNATURE, "203.0.113.5", v),
        "request_quote": lambda v: p.proposals.request_quote(w.alice, w.prop.id, v),
        "issues.create.subject": lambda v: p.issues.create(w.alice, w.prop.id, v),
        "issues.create.priority": lambda v: p.issues.create(w.alice, w.prop.id, "Leak", priority=v),
        "issues.create.notes": lambda v: p.issues.create(w.alice, w.prop.id, "Leak", notes=v),
        "issues.create.attachments": lambda v: p.issues.create(w.alice, w.prop.id, "Leak", attachments=v),
        "issues.comment": lambda v: p.issues.comment(w.alice, issue.id, v),
        "issues.staff_comment": lambda v: p.issues.staff_comment(w.staff, issue.id, "Noted", public=v),
        "issues.share_files": lambda v: p.issues.share_files(w.staff, v),
        "issues.set_status": lambda v: p.issues.set_status(w.staff, issue.id, v),
        "issues.attachment": lambda v: p.issues.attachment(w.alice, issue.id, v),
        "update_config": lambda v: p.update_config(w.staff, v),
        "branding.colour": lambda v: updated(p.config, branding={"button_colour": v}),
        "branding.font": lambda v: updated(p.config, branding={"dashboard_font": v}),
    }


def snapshot(w) -> tuple:
    rows = tuple(
        tuple(sorted((attrs.asdict(r) for r in w.portal.storage.find(cls)), key=lambda r: r["id"]))
        for cls in RECORD_TYPES
        if cls is not LoginThrottle
    )
    return rows, len(w.mailer.outbox), tuple(w.adapters.processor.submitted), w.portal.config


def prepared_world(storage):
    w = build_world(storage)
    for c in (w.alice, w.bob):
        w.enrol(c)
    w.alice, w.bob = (w.portal.directory.contact(c.id) for c in (w.alice, w.bob))
    w.inv = invoice(w)
    w.card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    w.proposal = w.portal.proposals.add(
        w.staff, w.prop.id, "P-1", "Work", date(2026, 2, 1), status=ProposalStatus.APPROVED
    )
    w.issue = w.portal.issues.create(
        w.alice, w.prop.id, "Leak", attachments=[Upload(filename="a.png", content_type="image/png", data=b"\x89PNG")]
    )
    w.portal.outbox.dispatch()
    return w


@pytest.mark.parametrize("kind,examples", [("memory", 1500), ("sqlite", 300)])
def test_refused_bad_input_is_typed_and_changes_nothing(kind, examples, request):
    w = prepared_world(make_storage(kind, request))
    ops = operations(w)

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(name=st.sampled_from(sorted(ops)), value=BAD_VALUES)
    def check(name: str, value: Any) -> None:
        before = snapshot(w)
        try:
            ops[name](value)
        except PortalError:
            assert snapshot(w) == before, f"{name}({value!r}) was refused but changed something"
        # any other exception fails the test: an untyped crash from a public call

    check()
