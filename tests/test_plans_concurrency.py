"""Several worker processes, one database (SQLite and PostgreSQL): a payment plan's instalment is
charged once, whatever the number of workers running at the same moment, and a revocation racing
them leaves at most the charge written before it (PLN-6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from conftest import build_world, invoice

from portalkit.adapters.payments import card_token
from portalkit.adapters.sql import SqlStorage
from portalkit.billing import digest
from portalkit.models import Instalment, InstalmentStatus, Invoice, Payment, PaymentPlan, PlanStatus

WORKER = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {tests!r})
    from conftest import Adapters, make_config, SECRET
    from portalkit import Portal
    from portalkit.adapters.sql import SqlStorage
    from portalkit.errors import PortalError
    url, action, arg, start = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4])
    portal = Portal(make_config(), secret_key=SECRET, plugins=[Adapters(SqlStorage(url, migrate=False))])
    while time.time() < start:
        time.sleep(0.001)
    try:
        if action == "run":
            started = portal.plans.run()
            r = [started, len(portal.processor.submitted)]
        else:
            r = portal.plans.revoke(portal.directory.contact(arg["contact"]), arg["plan"]).status.value
    except PortalError as exc:
        r = type(exc).__name__
    print(json.dumps(r))
""").format(tests=os.path.dirname(__file__))


@pytest.fixture(params=["sqlite", "postgres"])
def shared(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/shared.sqlite3"
        storage = SqlStorage(url)
    else:
        storage = request.getfixturevalue("pg_storage")
        storage.truncate_all()
        url = storage.url
    w = build_world(storage)
    w.alice = w.enrol(w.alice)
    w.card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2031, "debit"))
    w.inv = invoice(w, "INV-C", "120.00")
    plan = w.portal.plans.offer(w.staff, w.inv.id, 3, w.portal.plans.today())
    text = w.portal.plans.consent_for(w.alice, plan.id, w.card.id)
    w.plan = w.portal.plans.accept(w.alice, plan.id, w.card.id, agreed=True, shown=digest(text))
    return url, w


def race(url, jobs):
    """Start each ``(action, arg)`` of ``jobs`` in its own process, all at the same moment."""
    start = time.time() + 3
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, action, json.dumps(arg), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for action, arg in jobs
    ]
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs


def test_pln_6_processes_running_the_worker_at_once_charge_an_instalment_once(shared):
    url, w = shared
    outcomes = race(url, [("run", {})] * 6)
    assert sum(submitted for _started, submitted in outcomes) == 1  # one charge reached a processor
    [payment] = w.portal.storage.find(Payment)
    assert payment.amount == 40 and payment.idempotency_key.endswith(":1")
    first = sorted(w.portal.storage.find(Instalment, plan_id=w.plan.id), key=lambda i: i.number)[0]
    assert (first.status, first.attempts) == (InstalmentStatus.CHARGING, 1)
    assert w.portal.storage.get(Invoice, w.inv.id).pending_amount == 40


def test_pln_6_a_revocation_racing_worker_processes_leaves_at_most_the_charge_before_it(shared):
    url, w = shared
    outcomes = race(url, [("run", {})] * 4 + [("revoke", {"contact": w.alice.id, "plan": w.plan.id})])
    assert outcomes[-1] == "revoked"
    charged = sum(submitted for _started, submitted in outcomes[:-1])
    payments = w.portal.storage.find(Payment)
    assert charged == len(payments) <= 1
    assert w.portal.storage.get(PaymentPlan, w.plan.id).status is PlanStatus.REVOKED
    statuses = [i.status for i in sorted(w.portal.storage.find(Instalment, plan_id=w.plan.id), key=lambda i: i.number)]
    assert (
        statuses
        == ([InstalmentStatus.CHARGING] if payments else [InstalmentStatus.CANCELED]) + [InstalmentStatus.CANCELED] * 2
    )
    assert race(url, [("run", {})] * 2) == [[0, 0], [0, 0]]  # nothing more, ever
