"""portalkit benchmarks: ``python benchmarks/run.py [--quick] [--postgres] [--json out.json]``.

Each figure comes with a naive baseline measured in the same process where one exists, and is
reported as a ratio, since absolute times drift on shared machines. ``--quick`` runs small sizes
(CI runs it) and checks correctness (zero double payments, no bcrypt on the invitation path,
a constant number of SQL statements per dashboard call), not speed targets.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bcrypt  # noqa: E402

from portalkit import Portal, PortalConfig  # noqa: E402
from portalkit.adapters.payments import bank_token, card_token
from portalkit import passwords  # noqa: E402
from portalkit.adapters.memory import FrozenClock, MemoryFileStore, MemoryMailer  # noqa: E402
from portalkit.adapters.payments import FakeProcessor  # noqa: E402
from portalkit.plugins import AdapterPlugin  # noqa: E402
from portalkit.adapters.sql import SqlStorage  # noqa: E402
from portalkit.errors import PortalError  # noqa: E402
from portalkit.models import (Contact, Customer, Invoice, Issue, IssueStatus, OutboxMessage, Payment, PaymentStatus,  # noqa: E402
                              PortalStatus, Property, Proposal, ProposalStatus)

SECRET = "benchmark-secret-key-0123456789"


def make_portal(url: str, mailer: object = None, **config) -> tuple[Portal, SqlStorage]:
    storage = SqlStorage(url)
    storage.truncate_all()
    cfg = PortalConfig(enabled=True, bcrypt_rounds=4, company_name="Bench Landscaping", **config)
    adapters = AdapterPlugin(storage=storage, mailer=mailer or MemoryMailer(), clock=FrozenClock(),
                             processor=FakeProcessor(), file_store=MemoryFileStore())
    return Portal(cfg, secret_key=SECRET, plugins=[adapters], dispatch_inline=False), storage


def paying_contact(portal: Portal, storage: SqlStorage, email: str) -> tuple[Contact, Property, Any]:
    """An enrolled contact who is the primary contact of one property and has a saved card."""
    customer = storage.insert(Customer(name="C"))
    contact = Contact(customer_id=customer.id, first_name="Ab", last_name="Cd", email=email,
                      portal_status=PortalStatus.ENROLLED, account_wide=True)
    prop = Property(customer_id=customer.id, name="P", primary_contact_id=contact.id)
    storage.insert_many([contact, prop])
    card = portal.payments.add_method(contact, card_token("4242424242424242", 12, 2035))
    return storage.get(Contact, contact.id), prop, card


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


@contextmanager
def counting_bcrypt():
    calls = {"n": 0}
    originals = bcrypt.hashpw, bcrypt.checkpw

    def hashpw(*a):
        calls["n"] += 1
        return originals[0](*a)

    def checkpw(*a):
        calls["n"] += 1
        return originals[1](*a)

    bcrypt.hashpw, bcrypt.checkpw = hashpw, checkpw
    try:
        yield calls
    finally:
        bcrypt.hashpw, bcrypt.checkpw = originals


# -- 1. bulk invitation --------------------------------------------------------------------------
def bench_bulk_invite(url: str, n: int, baseline_n: int) -> dict:
    portal, storage = make_portal(url)
    staff = portal.directory.create_first_admin("m@bench.test", "M")
    customer = portal.directory.add_customer(staff, "C")
    contacts = [Contact(customer_id=customer.id, first_name="Ab", last_name="Cd", email=f"c{i}@bench.test") for i in range(n + baseline_n)]
    storage.insert_many(contacts)
    bulk_ids, one_by_one = [c.id for c in contacts[:n]], [c.id for c in contacts[n:]]
    storage.statements = 0
    with counting_bcrypt() as calls:
        t = time.perf_counter()
        result = portal.invitations.send(staff, bulk_ids)
        bulk = time.perf_counter() - t
    statements = storage.statements
    t = time.perf_counter()
    for cid in one_by_one:
        portal.invitations.send(staff, [cid])
    naive = (time.perf_counter() - t) / baseline_n
    queued = len(storage.find(OutboxMessage, kind="mail"))
    assert len(result.sent) == n and calls["n"] == 0 and queued == n + baseline_n
    return {"contacts": n, "seconds": round(bulk, 3), "per_contact_ms": round(bulk / n * 1000, 3),
            "sql_statements": statements, "bcrypt_calls": calls["n"], "outbox_mails": n,
            "naive_one_by_one_per_contact_ms": round(naive * 1000, 3), "speedup_vs_naive": round(naive * n / bulk, 1)}


# -- 2. dashboard --------------------------------------------------------------------------------
def bench_dashboard(url: str, n_props: int, n_invoices: int, n_other: int, rounds: int) -> dict:
    portal, storage = make_portal(url)
    customer = storage.insert(Customer(name="C"))
    contact = Contact(customer_id=customer.id, first_name="Ab", last_name="Cd", email="dash@bench.test",
                      portal_status=PortalStatus.ENROLLED, account_wide=True)
    props = [Property(customer_id=customer.id, name=f"Property {i:02d}", primary_contact_id=contact.id) for i in range(n_props)]
    now = datetime.now(timezone.utc)
    records: list = [contact, *props]
    for p in props:
        for j in range(n_invoices):
            paid = j % 5 != 0  # one in five open
            records.append(Invoice(number=f"{p.name}-{j}", property_id=p.id, amount=Decimal("120.00"),
                                   amount_due=Decimal("0.00") if paid else Decimal("120.00"),
                                   invoice_date=date(2026, 1, 1), paid_on=date(2026, 2, 1) if paid else None))
    for k in range(n_other):
        p = props[k % n_props]
        records.append(Proposal(number=f"P{k}", property_id=p.id, description="d", status=ProposalStatus.DELIVERED,
                                estimated_start=date(2026, 6, 1)))
        records.append(Issue(number=k + 1, property_id=p.id, subject="s", created_at=now, last_updated=now))
    storage.insert_many(records)
    target = props[len(props) // 2]

    def naive() -> list:  # every invoice of the contact, filtered in Python
        visible = {p.id for p in portal.visibility.properties(contact)}
        return sorted((i for i in storage.find(Invoice) if i.property_id in visible and i.property_id == target.id
                       and i.amount_due > 0), key=lambda i: (i.due_date, i.number))

    def timed(fn, n: int) -> tuple[list[float], int, int]:
        fn(), fn()  # warm caches
        times = []
        storage.statements = 0
        gc.collect()
        for _ in range(n):
            t = time.perf_counter()
            rows = fn()
            times.append(time.perf_counter() - t)
        return times, storage.statements // n, len(rows)

    fast, statements, rows = timed(lambda: portal.invoices.list(contact, target.id), rounds)
    slow, naive_statements, naive_rows = timed(naive, max(5, rounds // 20))
    assert rows == naive_rows == n_invoices // 5
    with storage.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM pk_invoice WHERE property_id = ? AND paid_on IS NULL", (target.id,)
        ).all() if storage.dialect == "sqlite" else conn.exec_driver_sql(
            "EXPLAIN SELECT * FROM pk_invoice WHERE property_id = %(p)s AND paid_on IS NULL", {"p": target.id}).all()
    return {"properties": n_props, "invoices_per_property": n_invoices, "open_rows": rows,
            "p50_ms": round(statistics.median(fast) * 1000, 3), "p95_ms": round(percentile(fast, 95) * 1000, 3),
            "sql_statements_per_call": statements, "naive_p50_ms": round(statistics.median(slow) * 1000, 3),
            "naive_sql_statements": naive_statements, "speedup_vs_naive": round(statistics.median(slow) / statistics.median(fast), 1),
            "query_plan": [" ".join(str(c) for c in row) for row in plan]}


# -- 3. concurrent payments ----------------------------------------------------------------------
def bench_payments(url: str, attempts: int, invoices: int, threads: int) -> dict:
    portal, storage = make_portal(url)
    contact, prop, card = paying_contact(portal, storage, "pay@bench.test")
    invs = [Invoice(number=f"I{i}", property_id=prop.id, amount=Decimal("500.00"), amount_due=Decimal("500.00"),
                    invoice_date=date(2026, 1, 1)) for i in range(invoices)]
    storage.insert_many(invs)
    rng = random.Random(7)
    plan = [(rng.choice(invs).id, f"attempt-{k}") for k in range(attempts)]
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def attempt(job):
        inv_id, key = job
        try:
            status = portal.payments.pay(contact, inv_id, card.id, "100.00", key).status.value
        except PortalError as exc:
            status = type(exc).__name__
        with lock:
            outcomes[status] = outcomes.get(status, 0) + 1

    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(attempt, plan))
    elapsed = time.perf_counter() - t
    payments = storage.find(Payment)
    per_invoice: dict[str, int] = {}
    for p in payments:
        if p.status is PaymentStatus.PROCESSING:
            per_invoice[p.invoice_id] = per_invoice.get(p.invoice_id, 0) + 1
    double = sum(1 for v in per_invoice.values() if v > 1)
    pending_ok = all(storage.get(Invoice, i.id).pending_amount == Decimal("100.00") * per_invoice.get(i.id, 0) for i in invs)
    assert double == 0 and pending_ok
    # baseline: the same number of attempts, one thread, fresh invoices
    portal2, storage2 = make_portal(url)
    storage2.insert_many([contact, prop, *[Invoice(number=i.number, property_id=prop.id, amount=i.amount, amount_due=i.amount,
                                                   invoice_date=i.invoice_date, id=i.id) for i in invs]])
    card2 = portal2.payments.add_method(contact, card_token("4242424242424242", 12, 2035))
    t = time.perf_counter()
    for inv_id, key in plan:
        try:
            portal2.payments.pay(contact, inv_id, card2.id, "100.00", key)
        except PortalError:
            pass
    serial = time.perf_counter() - t
    return {"attempts": attempts, "invoices": invoices, "threads": threads, "seconds": round(elapsed, 3),
            "attempts_per_second": round(attempts / elapsed, 1), "outcomes": outcomes, "double_payments": double,
            "single_thread_attempts_per_second": round(attempts / serial, 1),
            "ratio_vs_single_thread": round(serial / elapsed, 2)}


# -- 3b. the pay path against its floor -----------------------------------------------------------
def bench_pay_path(url: str, n: int, rounds: int) -> dict:
    """``pay()`` (processor in memory) against a hand-written SQL doing the same writes: insert the
    payment and compare-and-swap the invoice's pending amount in one transaction, then record the
    processor's answer on the payment. Interleaved rounds; the ratio of medians is the figure."""
    import sqlalchemy as sa

    from portalkit.adapters.sql import MAPPINGS

    portal, storage = make_portal(url)
    contact, prop, card = paying_contact(portal, storage, "path@bench.test")
    payments_t, invoices_t = MAPPINGS[Payment].table, MAPPINGS[Invoice].table

    def fresh_invoices() -> list:
        invs = [Invoice(number=f"F{k}", property_id=prop.id, amount=Decimal("500.00"), amount_due=Decimal("500.00"),
                        invoice_date=date(2026, 1, 1)) for k in range(n)]
        storage.insert_many(invs)
        return invs

    def through_portal() -> float:
        invs = fresh_invoices()
        t = time.perf_counter()
        for inv in invs:
            portal.payments.pay(contact, inv.id, card.id, "100.00", f"path-{inv.id}")
        return (time.perf_counter() - t) / n

    def floor() -> float:
        invs = fresh_invoices()
        now = datetime.now(timezone.utc)
        t = time.perf_counter()
        with storage.engine.connect() as conn:
            for inv in invs:
                with conn.begin():
                    pay = Payment(invoice_id=inv.id, contact_id=contact.id, method_id=card.id, method_kind=card.kind,
                                  amount=Decimal("100.00"), fee=Decimal("3.00"), idempotency_key=f"floor-{inv.id}",
                                  created_at=now)
                    conn.execute(payments_t.insert(), MAPPINGS[Payment].to_row(pay))
                    done = conn.execute(invoices_t.update().where(invoices_t.c.id == inv.id, invoices_t.c.version == 0)
                                        .values(pending_amount=Decimal("100.00"), version=1)).rowcount
                    assert done == 1
                with conn.begin():
                    conn.execute(payments_t.update().where(payments_t.c.id == pay.id, payments_t.c.version == 0)
                                 .values(status="processing", processor_ref="ch_floor", version=1))
        return (time.perf_counter() - t) / n

    portal_times, floor_times = [], []
    for _ in range(rounds):  # interleaved, so drift hits both alike
        portal_times.append(through_portal())
        floor_times.append(floor())
    storage.statements = 0
    through_portal()
    statements = storage.statements / n
    ratio = statistics.median(portal_times) / statistics.median(floor_times)
    return {"payments_per_round": n, "rounds": rounds, "pay_ms": round(statistics.median(portal_times) * 1000, 3),
            "floor_ms": round(statistics.median(floor_times) * 1000, 3), "ratio_vs_floor": round(ratio, 2),
            "sql_statements_per_pay": round(statements, 1), "floor_sql_statements": 3}


# -- 3c. pay() with an outbox backlog -------------------------------------------------------------
def bench_pay_backlog(url: str, backlog: int, n: int) -> dict:
    """``pay()`` with inline delivery, with and without a backlog of pending outbox messages: the
    operation delivers only what it wrote, so the backlog (the worker's job) must not slow it."""
    def p95_of_pays(with_backlog: int) -> float:
        portal, storage = make_portal(url)
        portal.dispatch_inline = True  # each pay() delivers its own messages; the backlog is not its job
        contact, prop, card = paying_contact(portal, storage, "backlog@bench.test")
        now = datetime.now(timezone.utc)
        storage.insert_many([OutboxMessage(dedup_key=f"old-{k}", kind="event", payload={}, created_at=now)
                             for k in range(with_backlog)])
        invs = [Invoice(number=f"B{k}", property_id=prop.id, amount=Decimal("500.00"), amount_due=Decimal("500.00"),
                        invoice_date=date(2026, 1, 1)) for k in range(n)]
        storage.insert_many(invs)
        times = []
        for inv in invs:
            t = time.perf_counter()
            portal.payments.pay(contact, inv.id, card.id, "100.00", f"bk-{inv.id}")
            times.append(time.perf_counter() - t)
        return percentile(times, 95)

    without, with_backlog = p95_of_pays(0), p95_of_pays(backlog)
    return {"backlog_messages": backlog, "pays": n, "p95_ms_without_backlog": round(without * 1000, 3),
            "p95_ms_with_backlog": round(with_backlog * 1000, 3), "ratio": round(with_backlog / without, 2)}


# -- 3d. outbox + SMTP against raw smtplib ----------------------------------------------------------
def bench_smtp(url: str, n: int) -> dict:
    """``n`` mails through the outbox and ``SmtpMailer`` (one kept connection, batched claims) to a
    local aiosmtpd server, against raw smtplib sending the same messages on one connection."""
    import smtplib
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    from portalkit import Mail
    from portalkit.adapters.smtp import SmtpMailer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailer = SmtpMailer("127.0.0.1", port, default_sender="portal@bench.test")
        portal, storage = make_portal(url, mailer=mailer)
        portal.dispatch_inline = False
        mails = [Mail(to=(f"c{k}@bench.test",), subject=f"Receipt {k}", text="Thank you for your payment.\n" * 20)
                 for k in range(n)]
        with storage.transaction():
            portal.outbox.queue([portal.outbox.mail_message(m, f"bench-smtp-{k}") for k, m in enumerate(mails)])
        t = time.perf_counter()
        delivered = portal.outbox.dispatch()
        through_outbox = time.perf_counter() - t
        mailer.close()
        messages = [mailer.build(m) for m in mails]
        t = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as client:
            for message in messages:
                client.send_message(message)
        raw = time.perf_counter() - t
    finally:
        controller.stop()
    assert delivered == n
    return {"mails": n, "outbox_seconds": round(through_outbox, 3), "raw_smtplib_seconds": round(raw, 3),
            "ratio_vs_raw": round(through_outbox / raw, 2), "smtp_connections": mailer.connections}


# -- 4. passwords --------------------------------------------------------------------------------
def bench_bcrypt(rounds_list: list[int], n: int) -> dict:
    out = {}
    for rounds in rounds_list:
        hashed = passwords.hash_password("garden-2026", rounds)
        t = time.perf_counter()
        for _ in range(n):
            passwords.verify("garden-2026", hashed, rounds)
        out[f"cost_{rounds}_ms_per_login"] = round((time.perf_counter() - t) / n * 1000, 2)
    out["default_cost"] = PortalConfig().bcrypt_rounds
    out["test_cost"] = 4
    return out


# -- 5. Flask host under load --------------------------------------------------------------------
def bench_flask(seconds: int) -> dict:
    wrk = shutil.which("wrk")
    if not wrk:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    import socket
    import urllib.parse
    import urllib.request
    from http.cookiejar import CookieJar

    tmp = Path(tempfile.mkdtemp(prefix="portalkit-bench-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/portal"
    env = {**os.environ, "PORTALKIT_INSTANCE": str(tmp), "PORTALKIT_BCRYPT_ROUNDS": "4", "PYTHONPATH": str(ROOT),
           "PORTALKIT_DB_URL": f"sqlite:///{tmp}/portal.sqlite3"}
    code = ("import sys; from examples.common.host import build_portal; from examples.flask_host import create_app;"
            "from werkzeug.serving import make_server;"
            f"portal = build_portal(base_url='{url}');"
            "c = portal.directory.contact_by_email('alice@example.com');"
            "portal.invitations.send_as_company([c.id]);"
            "t = portal.invitations.link_for(portal.directory.contact(c.id)).split('#', 1)[1];"
            "portal.accounts.sign_up(t, 'garden-2026', 'garden-2026');"
            f"make_server('127.0.0.1', {port}, create_app(portal, secure_cookies=False), threaded=True).serve_forever()")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        for _ in range(100):
            try:
                html = opener.open(url + "/login", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        import re

        csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        opener.open(url + "/login", urllib.parse.urlencode({"csrf_token": csrf, "email": "alice@example.com",
                                                            "password": "garden-2026"}).encode(), timeout=5).read()
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

        def run(path: str, with_cookie: bool) -> float:
            cmd = [wrk, "-t2", "-c8", f"-d{seconds}s", "--timeout", "5s"]
            if with_cookie:
                cmd += ["-H", f"Cookie: {cookie}"]
            result = subprocess.run(cmd + [url + path], capture_output=True, text=True, timeout=seconds + 30)
            line = next(l for l in result.stdout.splitlines() if l.startswith("Requests/sec"))
            return float(line.split()[1])

        check = urllib.request.Request(url + "/dashboard", headers={"Cookie": cookie})
        assert "INV-1001" in urllib.request.urlopen(check, timeout=5).read().decode()
        dashboard = run("/dashboard", True)
        static = run("/static/portal.css", False)
        return {"tool": "wrk -t2 -c8", "seconds_each": seconds, "dashboard_requests_per_second": dashboard,
                "static_file_requests_per_second": static, "dashboard_vs_static_ratio": round(dashboard / static, 2)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)



# -- 7. lists flat in data size (issues 13 and 16) -------------------------------------------------
def _p95_ms(fn, n: int) -> float:
    fn(), fn()  # warm caches
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return percentile(times, 95) * 1000


def _one_property_with(storage: SqlStorage, portal: Portal, n: int) -> tuple[Contact, Property, Any]:
    """One enrolled primary contact's property holding ``n`` invoices (one in five open), ``n`` issues
    (one in five open) and ``n // 10`` proposals."""
    contact, prop, _ = paying_contact(portal, storage, f"grow{n}@bench.test")
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    batch: list = []
    for j in range(n):
        paid = j % 5 != 0
        batch.append(Invoice(number=f"G{j:06d}", property_id=prop.id, amount=Decimal("120.00"),
                             amount_due=Decimal("0.00") if paid else Decimal("120.00"), net_days=j % 60,
                             invoice_date=date(2026, 1, 1) + timedelta(days=j % 300),
                             paid_on=date(2026, 1, 1) + timedelta(days=j % 330) if paid else None))
        batch.append(Issue(number=j + 1, property_id=prop.id, subject="s", created_at=now,
                           last_updated=now - timedelta(minutes=j), status=IssueStatus.OPEN if j % 5 == 0 else
                           IssueStatus.CLOSED))
        if j % 10 == 0:
            batch.append(Proposal(number=f"P{j:06d}", property_id=prop.id, description="d",
                                  status=ProposalStatus.DELIVERED, estimated_start=date(2026, 12, 1)))
        if len(batch) >= 20000:
            storage.insert_many(batch)
            batch = []
    storage.insert_many(batch)
    return contact, prop, None


def bench_list_growth(url: str, sizes: list[int], rounds: int) -> dict:
    """Every list a customer or staff user sees, for a property of each size, all in one database
    and measured in interleaved rounds (5 rounds of ``rounds`` calls; the median of the rounds'
    p95); growth from the smallest size to the largest (flat is 1.0), and the same first page in
    hand-written SQL as the floor."""
    import sqlalchemy as sa

    from portalkit.adapters.sql import MAPPINGS
    from portalkit.invoices import InvoiceFilter
    from portalkit.issues import IssueFilter

    table = MAPPINGS[Invoice].table
    portal, storage = make_portal(url)
    staff = portal.directory.create_first_admin("boss@bench.test", "Boss")
    places = {n: _one_property_with(storage, portal, n)[:2] for n in sizes}
    with storage.engine.connect() as conn:  # statistics, as autovacuum (or sqlite_stat1) would have them
        conn.exec_driver_sql("ANALYZE")
        conn.commit()

    def lists(contact: Contact, prop: Property) -> dict:
        query = (sa.select(table).where(table.c.company_id == "default", table.c.property_id == prop.id,
                                        table.c.paid_on.is_(None), table.c.archived.is_(False))
                 .order_by(table.c.due_date, table.c.number, table.c.id).limit(51))

        def floor() -> list:
            with storage.engine.connect() as conn:
                return conn.execute(query).all()

        return {
            "dashboard (open invoices)": lambda: (portal.visibility.properties(contact),
                                                  portal.visibility.dashboard_sections(contact),
                                                  portal.invoices.list(contact, prop.id)),
            "open invoices": lambda: portal.invoices.list(contact, prop.id),
            "paid invoices, last 6 months": lambda: portal.invoices.list(contact, prop.id,
                                                                          InvoiceFilter.PAID_LAST_6_MONTHS),
            "all paid invoices": lambda: portal.invoices.list(contact, prop.id, InvoiceFilter.ALL_PAID),
            "open proposals": lambda: portal.proposals.list(contact, prop.id),
            "open issues": lambda: portal.issues.list(contact, prop.id),
            "closed issues": lambda: portal.issues.list(contact, prop.id, IssueFilter.CLOSED),
            "floor: open invoices page in SQL": floor,
        }

    calls = {n: lists(*places[n]) for n in sizes}
    samples: dict = {name: {n: [] for n in sizes} for name in calls[sizes[0]]}
    for _ in range(5):
        for name in samples:
            for n in sizes:
                samples[name][n].append(_p95_ms(calls[n][name], rounds))
    out: dict = {"sizes": sizes, "rounds": f"5 x {rounds}", "p95_ms": {
        name: {n: round(statistics.median(v[n]), 3) for n in sizes} for name, v in samples.items()}}
    small, large = sizes[0], sizes[-1]
    out["growth"] = {name: round(v[large] / v[small], 2) for name, v in out["p95_ms"].items()}
    floor_row = out["p95_ms"]["floor: open invoices page in SQL"]
    out["open_invoices_vs_floor"] = {n: round(out["p95_ms"]["open invoices"][n] / floor_row[n], 2) for n in sizes}
    contact, prop = places[large]
    storage.statements = 0
    portal.invoices.list(contact, prop.id)
    out["statements_per_list"] = storage.statements
    return out


# -- 8. host sync ---------------------------------------------------------------------------------
def bench_sync(url: str, n: int) -> dict:
    """``portal.sync.apply`` of ``n`` invoices in one call: first (all new), again (nothing
    changed) and with 1 % changed; against inserting the same records with ``insert_many``."""
    from portalkit.sync import HostContact, HostCustomer, HostInvoice, HostProperty, SyncBatch

    portal, storage = make_portal(url)
    portal.dispatch_inline = False

    def batch(changed: int = 0) -> SyncBatch:
        return SyncBatch(
            customers=[HostCustomer(external_id="CU", name="Sync HOA")],
            properties=[HostProperty(external_id="PR", customer="CU", name="Sync Park", primary_contact="CO")],
            contacts=[HostContact(external_id="CO", customer="CU", first_name="Sy", last_name="Nc",
                                  email="sync@bench.test", properties=("PR",))],
            invoices=[HostInvoice(external_id=f"IN-{j}", property="PR", number=f"S{j}", amount="100.00",
                                  amount_due="50.00" if j < changed else "100.00", invoice_date=date(2026, 1, 1))
                      for j in range(n)])

    first_batch, same, some = batch(), batch(), batch(changed=n // 100)
    t = time.perf_counter()
    report = portal.sync.apply(first_batch)
    first = time.perf_counter() - t
    t = time.perf_counter()
    again = portal.sync.apply(same)
    unchanged = time.perf_counter() - t
    t = time.perf_counter()
    partly = portal.sync.apply(some)
    changed = time.perf_counter() - t
    assert len(report["invoices"].created) == n and not again.changed and len(partly["invoices"].updated) == n // 100
    prop_id = storage.find(Property, external_id="PR")[0].id
    records = [Invoice(number=f"F{j}", property_id=prop_id, amount=Decimal("100.00"), amount_due=Decimal("100.00"),
                       invoice_date=date(2026, 1, 1), external_id=f"FL-{j}") for j in range(n)]
    t = time.perf_counter()
    with storage.transaction():
        storage.insert_many(records)
    floor = time.perf_counter() - t
    return {"invoices": n, "first_sync_s": round(first, 3), "unchanged_sync_s": round(unchanged, 3),
            "one_percent_changed_s": round(changed, 3), "insert_many_floor_s": round(floor, 3),
            "first_sync_vs_floor": round(first / floor, 2)}


# -- 9. attachments out of the rows (issue 16, item 5) ------------------------------------------------
def bench_attachments(url: str, issues: int, files: int, size: int, rounds: int) -> dict:
    """The issues list and dashboard of a property whose ``issues`` issues carry ``files``
    attachments of ``size`` bytes each, against a property whose issues have none: one database,
    the file store on disk, interleaved rounds (the median of 5 rounds' p95)."""
    import attrs

    from portalkit import Upload
    from portalkit.adapters.files import LocalFileStore

    store_dir = Path(tempfile.mkdtemp(prefix="portalkit-files-"))
    storage = SqlStorage(url)
    storage.truncate_all()
    adapters = AdapterPlugin(storage=storage, mailer=MemoryMailer(), clock=FrozenClock(), processor=FakeProcessor(),
                             file_store=LocalFileStore(store_dir))
    portal = Portal(PortalConfig(enabled=True, bcrypt_rounds=4), secret_key=SECRET, plugins=[adapters],
                    dispatch_inline=False)
    staff = portal.directory.create_first_admin("files@bench.test", "Files")
    portal.update_config(staff, attrs.evolve(portal.config, max_issue_upload_bytes=10 ** 10,
                                             max_contact_upload_bytes=10 ** 12, max_issue_attachments=files))
    places = {}
    for label, per_issue in (("without", 0), ("with", files)):
        contact, prop, _ = paying_contact(portal, storage, f"files-{label}@bench.test")
        for k in range(issues):
            uploads = [Upload(filename=f"{m}.png", data=b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8))
                       for m in range(per_issue)]
            portal.issues.create(contact, prop.id, f"Issue {k}", attachments=uploads)
        places[label] = (contact, prop)
    views = {
        "issues_list": lambda c, p: portal.issues.list(c, p.id),
        "dashboard": lambda c, p: (portal.visibility.properties(c), portal.visibility.dashboard_sections(c),
                                   portal.issues.list(c, p.id)),
    }
    samples: dict = {(view, label): [] for view in views for label in places}
    for _ in range(5):
        for view, fn in views.items():
            for label, (contact, prop) in places.items():
                samples[(view, label)].append(_p95_ms(lambda: fn(contact, prop), rounds))
    shutil.rmtree(store_dir, ignore_errors=True)
    p95 = {f"{view}_{label}_p95_ms": round(statistics.median(v), 3) for (view, label), v in samples.items()}
    return {"issues": issues, "files_per_issue": files, "file_bytes": size, **p95,
            **{f"{view}_ratio": round(p95[f"{view}_with_p95_ms"] / p95[f"{view}_without_p95_ms"], 2) for view in views}}


def machine() -> dict:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version, "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, correctness only (CI)")
    parser.add_argument("--postgres", action="store_true", help="also run the storage benchmarks on PostgreSQL")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--only", help="run only these steps (comma-separated, e.g. outbox_smtp,pay_path)")
    args = parser.parse_args()
    q = args.quick
    tmp = Path(tempfile.mkdtemp(prefix="portalkit-bench-"))
    urls = {"sqlite": f"sqlite:///{tmp}/bench.sqlite3"}
    results: dict = {"machine": machine(), "mode": "quick" if q else "full"}
    pg = None
    if args.postgres:
        from portalkit.testing.postgres import NoPostgres, postgres_url

        try:
            pg = postgres_url()
            urls["postgres"] = pg.__enter__()
        except NoPostgres as exc:
            results["postgres"] = f"skipped: {exc}"
    failed = []

    only = set(args.only.split(",")) if args.only else None

    def step(key: str, fn, *fn_args) -> None:
        if only is not None and not any(key == o or key.endswith("_" + o) for o in only):
            return
        print(f"{key} ...", flush=True)
        try:
            results[key] = fn(*fn_args)
        except Exception as exc:  # report and go on; the run fails at the end
            results[key] = {"error": f"{type(exc).__name__}: {exc}"}
            failed.append(key)

    try:
        for name, url in urls.items():
            step(f"{name}_bulk_invite", bench_bulk_invite, url, 1000 if q else 10000, 50 if q else 300)
            step(f"{name}_dashboard", bench_dashboard, url, 10 if q else 50, 50 if q else 200, 20 if q else 100, 50 if q else 500)
            step(f"{name}_payments", bench_payments, url, 200 if q else 1000, 20 if q else 100, 8)
            step(f"{name}_pay_path", bench_pay_path, url, 20 if q else 200, 3 if q else 7)
            step(f"{name}_pay_with_backlog", bench_pay_backlog, url, 500 if q else 10000, 20 if q else 200)
            step(f"{name}_outbox_smtp", bench_smtp, url, 100 if q else 1000)
            step(f"{name}_list_growth", bench_list_growth, url, [100, 1000] if q else [1000, 100000], 20 if q else 200)
            step(f"{name}_sync", bench_sync, url, 500 if q else 10000)
            step(f"{name}_attachments", bench_attachments, url, 5 if q else 50, 2 if q else 5,
                 10_000 if q else 1024 * 1024, 20 if q else 200)
        step("bcrypt", bench_bcrypt, [4] if q else [4, 10, 12], 3 if q else 10)
        step("flask_dashboard_load", bench_flask, 2 if q else 10)
    finally:
        if pg is not None:
            pg.__exit__(None, None, None)
        shutil.rmtree(tmp, ignore_errors=True)
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    if failed:
        print("benchmarks failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
