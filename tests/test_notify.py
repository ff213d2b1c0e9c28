"""``notify``: one table says who hears of what, by which channel (TXT-2). The walk below sends
every notice of the table with every kind of recipient present and checks who got what against
the rule, computed here independently; another test checks that no service sends a message any
other way."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace as N

import attrs
import pytest
from conftest import build_world
from test_languages import _mail_samples

from portalkit.adapters.texts import MemoryTextMessenger
from portalkit.models import OutboxMessage
from portalkit.notify import CONTACT_CHOICES, MAIL_NAMES, NOTICE_LABELS, POLICY, Address, Channel, Who

SRC = Path(__file__).resolve().parents[1] / "src" / "portalkit"
NUMBER = "+14155552671"
ADDRESSES = {
    Who.ACCOUNT_OWNER: "owner@greenacres.test",
    Who.OPERATIONS_MANAGER: "ops@greenacres.test",
    Who.SALES_REP: "sales@greenacres.test",
    Who.INVITE_LIST: "invites@greenacres.test",
    Who.JOB_LIST: "irrigation@greenacres.test",
    Who.ADDRESS: "new@example.com",
}


@pytest.fixture
def world():
    w = build_world(
        texts=MemoryTextMessenger(),
        invite_notification_emails=(ADDRESSES[Who.INVITE_LIST],),
        job_notification_emails={"Irrigation repair": [ADDRESSES[Who.JOB_LIST]]},
    )
    store = w.portal.storage
    w.alice = store.update(attrs.evolve(w.alice, phone=NUMBER, phone_verified=True))  # the contact and the payer
    w.bob = store.update(attrs.evolve(w.bob, receipts_opt_in=True))  # a billing contact who opted in (PAY-7)
    return w


def test_txt_2_every_notice_has_its_templates_and_every_choice_a_label():
    assert set(POLICY) == set(MAIL_NAMES) | {"phone_code"}
    texts = SRC / "text_templates"
    for kind, rule in POLICY.items():
        assert rule.channels and set(rule.default) <= set(rule.channels), kind
        assert (Channel.TEXT in rule.channels) == (texts / f"{kind}.txt").is_file(), kind
        if rule.optional or len(rule.channels) > 1:
            assert kind in CONTACT_CHOICES and kind in NOTICE_LABELS, kind
        if Who.CONTACT not in rule.who and Who.PAYER not in rule.who and Who.RECEIPT_SUBSCRIBERS not in rule.who:
            assert rule.channels == (Channel.MAIL,), f"{kind}: staff and bare addresses are told by mail"


@pytest.mark.parametrize("kind", sorted(k for k in POLICY if k != "phone_code"))
def test_txt_2_policy_walk_each_notice_reaches_exactly_whom_its_rule_names(world, kind):
    w = world
    rule = POLICY[kind]
    invoice = N(number="INV-9", amount_due="10.00", property_id=w.prop.id, billing_contact_id=w.bob.id)
    facts = {
        **_mail_samples()[kind],
        "contact": w.alice,
        "property": w.prop,
        "invoice": invoice,
        "payment": N(**vars(_mail_samples()["payment_receipt"]["payment"]), contact_id=w.alice.id),
        "proposal": N(number="P-1", description="Mulch", sales_rep_email=ADDRESSES[Who.SALES_REP]),
        "address": Address(ADDRESSES[Who.ADDRESS]),
        "job_type": "Irrigation repair",
    }
    queued = w.portal.notifier.messages(kind, key="walk", **facts)

    mailed = {address for m in queued if m.kind == "mail" for address in m.payload["to"]}
    texted = {m.payload["to"] for m in queued if m.kind == "text"}
    expected_mail, expected_text = set(), set()
    for who in rule.who:
        if who in (Who.CONTACT, Who.PAYER):
            expected_mail |= {w.alice.email} if Channel.MAIL in rule.default else set()
            expected_text |= {NUMBER} if Channel.TEXT in rule.default else set()
        elif who is Who.RECEIPT_SUBSCRIBERS:
            expected_mail |= {w.bob.email}  # Alice did not opt in; Bob did
        else:
            expected_mail.add(ADDRESSES[who])
    assert (mailed, texted) == (expected_mail, expected_text)
    assert all(isinstance(m, OutboxMessage) and m.dedup_key.startswith(f"{kind}:walk") for m in queued)


def test_txt_2_a_contacts_choice_moves_a_notice_between_channels_and_never_loses_one(world):
    w = world
    facts = {**_mail_samples()["visit_on_the_way"], "contact": w.alice}
    chose_text = w.portal.storage.update(attrs.evolve(w.alice, notices={"visit_on_the_way": ["text"]}))
    assert {
        m.kind for m in w.portal.notifier.messages("visit_on_the_way", key="a", **{**facts, "contact": chose_text})
    } == {"text"}
    stopped = w.portal.storage.update(attrs.evolve(chose_text, texts_stopped=True))
    assert {
        m.kind for m in w.portal.notifier.messages("visit_on_the_way", key="b", **{**facts, "contact": stopped})
    } == {"mail"}  # a text was wanted but cannot go: mail instead
    none = w.portal.storage.update(attrs.evolve(stopped, texts_stopped=False, notices={"visit_on_the_way": []}))
    assert w.portal.notifier.messages("visit_on_the_way", key="c", **{**facts, "contact": none}) == []  # optional


# The modules that may build a message: notify renders them, the outbox delivers them.
SENDERS = {"notify", "outbox.py", "mails.py", "worker.py"}


def test_txt_2_every_outgoing_message_is_produced_by_notify():
    """No service renders a mail or queues one itself: every message goes through ``Notifier``."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.parts[0] in SENDERS or relative.name in SENDERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("render_each", "mail_message")
            ) or (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("render", "mail")
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr in ("_mails", "mails", "_outbox", "outbox")
            ):
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []
