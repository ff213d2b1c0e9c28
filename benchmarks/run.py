"""portalkit benchmarks: ``python benchmarks/run.py [--quick] [--postgres] [--json out.json] [--only steps]``.

Every row of issue 25's table is measured against its floor in the same run (``paths.py``): the
measured path and its floor alternate in rounds, and a row's figure is the median of the rounds'
ratios with their spread (lowest, highest); ``meets`` says whether it reaches its target. The
web rows run the reference hosts under gunicorn and wrk; memory rows run in a child process and
read its peak RSS. ``--quick`` (CI) runs every step at small sizes, so none of them rots: it
checks that each runs and is correct (zero double payments, nothing sent twice, bounded
outbox reads), not the speed targets, which need the full sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bcrypt  # noqa: E402
import paths  # noqa: E402  (issue 25's steps)

from portalkit import (  # noqa: E402
    Portal,
    PortalConfig,
    passwords,
)
from portalkit.adapters.memory import FrozenClock, MemoryFileStore, MemoryMailer  # noqa: E402
from portalkit.adapters.payments import FakeProcessor, card_token  # noqa: E402
from portalkit.adapters.sql import SqlStorage  # noqa: E402
from portalkit.errors import PortalError  # noqa: E402
from portalkit.models import Contact, Customer, Invoice, OutboxMessage, Payment, PaymentStatus, PortalStatus, Property  # noqa: E402
from portalkit.plugins import AdapterPlugin  # noqa: E402

SECRET = "benchmark-secret-key-0123456789"


def make_portal(url: str, mailer: object = None, **config) -> tuple[Portal, SqlStorage]:
    storage = SqlStorage(url)
    storage.truncate_all()
    cfg = PortalConfig(
        enabled=True, bcrypt_rounds=4, company_name="Bench Landscaping", sender_email="portal@bench.test", **config
    )
    adapters = AdapterPlugin(
        storage=storage,
        mailer=mailer or MemoryMailer(),
        clock=FrozenClock(),
        processor=FakeProcessor(),
        file_store=MemoryFileStore(),
    )
    return Portal(cfg, secret_key=SECRET, plugins=[adapters], dispatch_inline=False), storage


def paying_contact(portal: Portal, storage: SqlStorage, email: str) -> tuple[Contact, Property, Any]:
    """An enrolled contact who is the primary contact of one property and has a saved card."""
    customer = storage.insert(Customer(name="C"))
    contact = Contact(
        customer_id=customer.id,
        first_name="Ab",
        last_name="Cd",
        email=email,
        portal_status=PortalStatus.ENROLLED,
        account_wide=True,
    )
    prop = Property(customer_id=customer.id, name="P", primary_contact_id=contact.id)
    storage.insert_many([contact, prop])
    card = portal.payments.add_method(contact, card_token("4242424242424242", 12, 2035))
    return storage.get(Contact, contact.id), prop, card


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


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


# -- 3. concurrent payments ----------------------------------------------------------------------
def bench_payments(url: str, attempts: int, invoices: int, threads: int) -> dict:
    portal, storage = make_portal(url)
    contact, prop, card = paying_contact(portal, storage, "pay@bench.test")
    invs = [
        Invoice(
            number=f"I{i}",
            property_id=prop.id,
            amount=Decimal("500.00"),
            amount_due=Decimal("500.00"),
            invoice_date=date(2026, 1, 1),
        )
        for i in range(invoices)
    ]
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
    pending_ok = all(
        storage.get(Invoice, i.id).pending_amount == Decimal("100.00") * per_invoice.get(i.id, 0) for i in invs
    )
    assert double == 0 and pending_ok
    # baseline: the same number of attempts, one thread, fresh invoices
    portal2, storage2 = make_portal(url)
    storage2.insert_many(
        [
            contact,
            prop,
            *[
                Invoice(
                    number=i.number,
                    property_id=prop.id,
                    amount=i.amount,
                    amount_due=i.amount,
                    invoice_date=i.invoice_date,
                    id=i.id,
                )
                for i in invs
            ],
        ]
    )
    card2 = portal2.payments.add_method(contact, card_token("4242424242424242", 12, 2035))
    t = time.perf_counter()
    for inv_id, key in plan:
        try:
            portal2.payments.pay(contact, inv_id, card2.id, "100.00", key)
        except PortalError:
            pass
    serial = time.perf_counter() - t
    return {
        "attempts": attempts,
        "invoices": invoices,
        "threads": threads,
        "seconds": round(elapsed, 3),
        "attempts_per_second": round(attempts / elapsed, 1),
        "outcomes": outcomes,
        "double_payments": double,
        "single_thread_attempts_per_second": round(attempts / serial, 1),
        "ratio_vs_single_thread": round(serial / elapsed, 2),
    }


# -- 3b. the pay path against its floor -----------------------------------------------------------
def bench_pay_path(url: str, n: int, rounds: int) -> dict:
    """``pay()`` (processor in memory) against a hand-written SQL doing the same writes: insert the
    payment and compare-and-swap the invoice's pending amount in one transaction, then record the
    processor's answer on the payment. Interleaved rounds; the ratio of medians is the figure."""

    from portalkit.adapters.sql import MAPPINGS

    portal, storage = make_portal(url)
    contact, prop, card = paying_contact(portal, storage, "path@bench.test")
    payments_t, invoices_t = MAPPINGS[Payment].table, MAPPINGS[Invoice].table

    def fresh_invoices() -> list:
        invs = [
            Invoice(
                number=f"F{k}",
                property_id=prop.id,
                amount=Decimal("500.00"),
                amount_due=Decimal("500.00"),
                invoice_date=date(2026, 1, 1),
            )
            for k in range(n)
        ]
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
        now = datetime.now(UTC)
        t = time.perf_counter()
        with storage.engine.connect() as conn:
            for inv in invs:
                with conn.begin():
                    pay = Payment(
                        invoice_id=inv.id,
                        contact_id=contact.id,
                        method_id=card.id,
                        method_kind=card.kind,
                        amount=Decimal("100.00"),
                        fee=Decimal("3.00"),
                        idempotency_key=f"floor-{inv.id}",
                        created_at=now,
                    )
                    conn.execute(payments_t.insert(), MAPPINGS[Payment].to_row(pay))
                    done = conn.execute(
                        invoices_t.update()
                        .where(invoices_t.c.id == inv.id, invoices_t.c.version == 0)
                        .values(pending_amount=Decimal("100.00"), version=1)
                    ).rowcount
                    assert done == 1
                with conn.begin():
                    conn.execute(
                        payments_t.update()
                        .where(payments_t.c.id == pay.id, payments_t.c.version == 0)
                        .values(status="processing", processor_ref="ch_floor", version=1)
                    )
        return (time.perf_counter() - t) / n

    portal_times, floor_times = [], []
    for _ in range(rounds):  # interleaved, so drift hits both alike
        portal_times.append(through_portal())
        floor_times.append(floor())
    storage.statements = 0
    through_portal()
    statements = storage.statements / n
    return {
        "payments_per_round": n,
        "rounds": rounds,
        "pay_vs_floor": paths.ratio(portal_times, floor_times, 2.0),
        "sql_statements_per_pay": round(statements, 1),
        "floor_sql_statements": 3,
    }


# -- 3c. pay() with an outbox backlog -------------------------------------------------------------
def bench_pay_backlog(url: str, backlog: int, n: int) -> dict:
    """``pay()`` with inline delivery, with and without a backlog of pending outbox messages: the
    operation delivers only what it wrote, so the backlog (the worker's job) must not slow it."""

    def p95_of_pays(with_backlog: int) -> float:
        portal, storage = make_portal(url)
        portal.dispatch_inline = True  # each pay() delivers its own messages; the backlog is not its job
        contact, prop, card = paying_contact(portal, storage, "backlog@bench.test")
        now = datetime.now(UTC)
        storage.insert_many(
            [OutboxMessage(dedup_key=f"old-{k}", kind="event", payload={}, created_at=now) for k in range(with_backlog)]
        )
        invs = [
            Invoice(
                number=f"B{k}",
                property_id=prop.id,
                amount=Decimal("500.00"),
                amount_due=Decimal("500.00"),
                invoice_date=date(2026, 1, 1),
            )
            for k in range(n)
        ]
        storage.insert_many(invs)
        times = []
        for inv in invs:
            t = time.perf_counter()
            portal.payments.pay(contact, inv.id, card.id, "100.00", f"bk-{inv.id}")
            times.append(time.perf_counter() - t)
        return percentile(times, 95)

    without, with_backlog = p95_of_pays(0), p95_of_pays(backlog)
    return {
        "backlog_messages": backlog,
        "pays": n,
        "p95_ms_without_backlog": round(without * 1000, 3),
        "p95_ms_with_backlog": round(with_backlog * 1000, 3),
        "ratio": round(with_backlog / without, 2),
    }


# -- 3d. outbox + SMTP against raw smtplib ----------------------------------------------------------
def bench_smtp(url: str, n: int, rounds: int = 3) -> dict:
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
        mails = [
            Mail(to=(f"c{k}@bench.test",), subject=f"Receipt {k}", text="Thank you for your payment.\n" * 20)
            for k in range(n)
        ]
        outbox_times, raw_times = [], []
        for r in range(rounds):  # interleaved: the outbox, then raw smtplib, each round
            with storage.transaction():
                portal.outbox.queue([portal.outbox.mail_message(m, f"bench-smtp-{r}-{k}") for k, m in enumerate(mails)])
            t = time.perf_counter()
            delivered = portal.outbox.dispatch()
            outbox_times.append(time.perf_counter() - t)
            assert delivered == n
            mailer.close()
            messages = [mailer.build(m) for m in mails]
            t = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as client:
                for message in messages:
                    client.send_message(message)
            raw_times.append(time.perf_counter() - t)
    finally:
        controller.stop()
    return {
        "mails": n,
        "rounds": rounds,
        "outbox_vs_raw_smtplib": paths.ratio(outbox_times, raw_times, 1.5),
        "smtp_connections": mailer.connections,
    }


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


# -- the p95 of a call ----------------------------------------------------------------------------
def _p95_ms(fn, n: int) -> float:
    fn(), fn()  # warm caches
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return percentile(times, 95) * 1000


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
    adapters = AdapterPlugin(
        storage=storage,
        mailer=MemoryMailer(),
        clock=FrozenClock(),
        processor=FakeProcessor(),
        file_store=LocalFileStore(store_dir),
    )
    portal = Portal(
        PortalConfig(enabled=True, bcrypt_rounds=4, sender_email="portal@bench.test"),
        secret_key=SECRET,
        plugins=[adapters],
        dispatch_inline=False,
    )
    staff = portal.directory.create_first_admin("files@bench.test", "Files")
    portal.update_config(
        staff,
        attrs.evolve(
            portal.config, max_issue_upload_bytes=10**10, max_contact_upload_bytes=10**12, max_issue_attachments=files
        ),
    )
    places = {}
    for label, per_issue in (("without", 0), ("with", files)):
        contact, prop, _ = paying_contact(portal, storage, f"files-{label}@bench.test")
        for k in range(issues):
            uploads = [
                Upload(filename=f"{m}.png", data=b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8)) for m in range(per_issue)
            ]
            portal.issues.create(contact, prop.id, f"Issue {k}", attachments=uploads)
        places[label] = (contact, prop)
    views = {
        "issues_list": lambda c, p: portal.issues.list(c, p.id),
        "dashboard": lambda c, p: (
            portal.visibility.properties(c),
            portal.visibility.dashboard_sections(c),
            portal.issues.list(c, p.id),
        ),
    }
    samples: dict = {(view, label): [] for view in views for label in places}
    for _ in range(5):
        for view, fn in views.items():
            for label, (contact, prop) in places.items():
                samples[(view, label)].append(
                    _p95_ms(lambda fn=fn, contact=contact, prop=prop: fn(contact, prop), rounds)
                )
    shutil.rmtree(store_dir, ignore_errors=True)
    p95 = {f"{view}_{label}_p95_ms": round(statistics.median(v), 3) for (view, label), v in samples.items()}
    return {
        "issues": issues,
        "files_per_issue": files,
        "file_bytes": size,
        **p95,
        **{f"{view}_ratio": round(p95[f"{view}_with_p95_ms"] / p95[f"{view}_without_p95_ms"], 2) for view in views},
    }


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


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
            # issue 25's table, row by row
            step(
                f"{name}_lists",
                paths.bench_lists,
                url,
                2000 if q else 100_000,
                200 if q else 1000,
                1 if q else 5,
                10 if q else 100,
            )
            step(f"{name}_dashboard_statements", paths.bench_dashboard_statements, url, 60 if q else 200)
            step(
                f"{name}_dashboard_visits",
                paths.bench_dashboard_visits,
                url,
                5 if q else 50,
                1 if q else 7,
                5 if q else 50,
            )
            step(f"{name}_outbox_backlog", paths.bench_outbox_backlog, url, 2000 if q else 20_000, 100, 2 if q else 15)
            step(f"{name}_bulk_invite", paths.bench_bulk_invite, url, 2000 if q else 100_000, 500 if q else 1000)
            step(f"{name}_sync_speed", paths.bench_sync_speed, url, 500 if q else 10_000, 1 if q else 3)
            step(
                f"{name}_sync_memory",
                paths.bench_sync_memory,
                url,
                [500, 2000] if q else [10_000, 100_000],
                500 if q else 1000,
            )
            step(f"{name}_statement_pdf", paths.bench_statement_pdf, url, 300 if q else 5000, 1 if q else 3)
            step(f"{name}_pay_path", bench_pay_path, url, 20 if q else 200, 2 if q else 7)
            step(f"{name}_outbox_smtp", bench_smtp, url, 100 if q else 1000, 1 if q else 3)
            # earlier issues' figures, still run so they do not rot
            step(f"{name}_payments", bench_payments, url, 200 if q else 1000, 20 if q else 100, 8)
            step(f"{name}_pay_with_backlog", bench_pay_backlog, url, 500 if q else 10000, 20 if q else 200)
            step(
                f"{name}_attachments",
                bench_attachments,
                url,
                5 if q else 50,
                2 if q else 5,
                10_000 if q else 1024 * 1024,
                20 if q else 200,
            )
        for host in ("flask", "django"):
            for name, url in urls.items():
                step(
                    f"web_{host}_{name}",
                    paths.bench_web,
                    host,
                    "sqlite" if name == "sqlite" else url,
                    2 if q else 10,
                    1 if q else 3,
                )
        step("bcrypt", bench_bcrypt, [4] if q else [4, 10, 12], 3 if q else 10)
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
