"""Several worker processes, one database: one pending payment, one signature, one sign-up."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import PASSWORD, PNG_SIGNATURE, build_world, invoice

from portalkit.adapters.payments import card_token
from portalkit.adapters.sql import SqlStorage

WORKER = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {tests!r})
    from conftest import Adapters, make_config, SECRET
    from portalkit import Portal
    from portalkit.adapters.sql import SqlStorage
    from portalkit.errors import PortalError
    url, action, arg, start, n = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    portal = Portal(make_config(), secret_key=SECRET, plugins=[Adapters(SqlStorage(url, migrate=False))])
    contact = portal.directory.contact(arg["contact"]) if "contact" in arg else None
    while time.time() < start:
        time.sleep(0.001)
    try:
        if action == "pay":
            r = portal.payments.pay(contact, arg["invoice"], arg["method"], "100.00", "key-" + n).status.value
        elif action == "settings":
            r = portal.config.company_name + " " + str(portal.config.convenience_fee_percent)
        elif action == "sign":
            r = portal.proposals.sign(contact, arg["proposal"], {png!r}, "10.0.0." + n) and "signed"
        else:
            r = portal.accounts.sign_up(arg["token"], {pw!r}, {pw!r}) and "enrolled"
    except PortalError as exc:
        r = type(exc).__name__
    print(json.dumps(r))
""").format(tests=os.path.dirname(__file__), png=PNG_SIGNATURE, pw=PASSWORD)


@pytest.fixture(params=["sqlite", "postgres"])
def shared(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/shared.sqlite3"
        storage = SqlStorage(url)
    else:
        storage = request.getfixturevalue("pg_storage")
        storage.truncate_all()
        url = storage.url
    return url, build_world(storage)


def race(url, action, arg, workers=6):
    start = time.time() + 3
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, action, json.dumps(arg), str(start), str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(workers)
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return sorted(outs)


def test_processes_paying_one_invoice_make_one_pending_payment(shared):
    url, w = shared
    w.alice = w.enrol(w.alice)
    inv = invoice(w)
    card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2030))
    outcomes = race(url, "pay", {"contact": w.alice.id, "invoice": inv.id, "method": card.id})
    assert outcomes == ["PaymentPending"] * 5 + ["processing"]
    from portalkit.models import Invoice, Payment

    assert len(w.portal.storage.find(Payment)) == 1
    assert str(w.portal.storage.get(Invoice, inv.id).pending_amount) == "100.00"


def test_processes_signing_one_proposal_sign_it_once(shared):
    from datetime import date

    url, w = shared
    w.alice = w.enrol(w.alice)
    prop = w.portal.proposals.add(w.staff, w.prop.id, "P-1", "Cleanup", date(2026, 2, 1), sales_rep_email="rep@x.co")
    outcomes = race(url, "sign", {"contact": w.alice.id, "proposal": prop.id})
    assert outcomes == ["InvalidTransition"] * 5 + ["signed"]


def test_processes_accepting_one_invitation_enrol_once(shared):
    url, w = shared
    w.portal.invitations.send(w.staff, [w.alice.id])
    token = w.portal.invitations.link_for(w.portal.directory.contact(w.alice.id)).split("#", 1)[1]
    outcomes = race(url, "signup", {"token": token})
    assert outcomes == ["AlreadySignedUp"] * 5 + ["enrolled"]


def test_processes_see_saved_settings_on_their_next_request(shared):
    """Issue 13: settings are stored; a save in one process applies to every other's next call."""
    import attrs

    url, w = shared
    saved = attrs.evolve(w.portal.config, company_name="Green Acres & Sons", convenience_fee_percent="2.5")
    w.portal.update_config(w.staff, saved)
    assert race(url, "settings", {}, workers=3) == ["Green Acres & Sons 2.5"] * 3
