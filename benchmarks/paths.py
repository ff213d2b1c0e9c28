"""Issue 25's benchmarks: every row of its table measured against its floor in the same run.

Each step returns a dict; a row's figure is the median of interleaved rounds (the measured path
and its floor alternate, so drift on a shared machine hits both alike) with the spread of the
rounds (their lowest and highest ratio). ``run.py`` calls these steps; ``--quick`` passes small
sizes and one or two rounds, so every step runs in CI and none of them rots.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark-secret-key-0123456789"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


# -- measuring ----------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def timed_calls(fn: Callable[[], Any], calls: int, stat: float = 95) -> float:
    """The ``stat`` percentile, in ms, of ``calls`` calls of ``fn`` (after two warm-up calls)."""
    fn(), fn()
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return percentile(times, stat) * 1000


def interleaved(fns: dict[str, Callable[[], Any]], rounds: int, calls: int, stat: float = 95) -> dict[str, list[float]]:
    """Per name, the ``stat`` percentile (ms) of ``calls`` calls in each of ``rounds`` rounds;
    within a round every function runs in turn."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            out[name].append(timed_calls(fn, calls, stat))
    return out


def ratio(
    measured: list[float], floor: list[float], target: float | None = None, higher_is_better: bool = False
) -> dict:
    """The median of the rounds' ratios, their spread and the medians themselves."""
    ratios = [m / f for m, f in zip(measured, floor) if f]
    out: dict[str, Any] = {
        "ratio": round(statistics.median(ratios), 2),
        "spread": [round(min(ratios), 2), round(max(ratios), 2)],
        "measured": round(statistics.median(measured), 3),
        "floor": round(statistics.median(floor), 3),
    }
    if target is not None:
        out["target"] = target
        out["meets"] = out["ratio"] >= target if higher_is_better else out["ratio"] <= target
    return out


def make_portal(storage: Any, company: str = "default", **config: Any) -> Any:
    from portalkit import Portal, PortalConfig
    from portalkit.adapters.memory import FrozenClock, MemoryFileStore, MemoryMailer
    from portalkit.adapters.payments import FakeProcessor
    from portalkit.plugins import AdapterPlugin

    cfg = PortalConfig(
        enabled=True,
        bcrypt_rounds=4,
        company_name="Bench Landscaping",
        company_id=company,
        sender_email="portal@bench.test",
        **config,
    )
    adapters = AdapterPlugin(
        storage=storage,
        mailer=MemoryMailer(),
        clock=FrozenClock(NOW),
        processor=FakeProcessor(),
        file_store=MemoryFileStore(),
    )
    return Portal(cfg, secret_key=SECRET, plugins=[adapters], dispatch_inline=False)


# -- a company's data -------------------------------------------------------------------------
def fill_company(storage: Any, company: str, n: int) -> dict:
    """A company with ``n`` contacts, reports, issues, invoices (one in five open), outbox
    messages and a tenth as many proposals and customers, on one property of an enrolled primary
    contact (the customer lists) and the company at large (the staff lists)."""
    from portalkit.models import (
        Contact,
        Customer,
        Invoice,
        Issue,
        IssueStatus,
        OutboxMessage,
        PortalStatus,
        Property,
        Proposal,
        ProposalStatus,
        Report,
        ReportKind,
    )

    portal = make_portal(storage, company)
    staff = portal.directory.create_first_admin(f"boss@{company}.bench.test", "Boss")
    customers = [Customer(name=f"Customer {k:06d}", company_id=company) for k in range(max(1, n // 10))]
    contact = Contact(
        customer_id=customers[0].id,
        first_name="Pri",
        last_name="Mary",
        email=f"p@{company}.bench.test",
        portal_status=PortalStatus.ENROLLED,
        account_wide=True,
        company_id=company,
    )
    prop = Property(customer_id=customers[0].id, name="Main", primary_contact_id=contact.id, company_id=company)
    batch: list = [*customers, contact, prop]
    statuses = list(PortalStatus)

    def flush(force: bool = False) -> None:
        if len(batch) >= 20000 or (force and batch):
            storage.insert_many(batch)
            batch.clear()

    for k in range(n):
        paid = k % 5 != 0
        batch.append(
            Contact(
                customer_id=customers[k % len(customers)].id,
                first_name=f"F{k % 97}",
                last_name=f"L{(k * 7919) % n:06d}",
                email=f"c{k}@{company}.bench.test",
                portal_status=statuses[k % 3],
                company_id=company,
            )
        )
        batch.append(
            Invoice(
                number=f"G{k:06d}",
                property_id=prop.id,
                amount=Decimal("120.00"),
                amount_due=Decimal("0.00") if paid else Decimal("120.00"),
                net_days=k % 60,
                invoice_date=date(2026, 1, 1) + timedelta(days=k % 300),
                paid_on=date(2026, 1, 1) + timedelta(days=k % 300) if paid else None,
                company_id=company,
            )
        )
        batch.append(
            Issue(
                number=k + 1,
                property_id=prop.id,
                subject="s",
                created_at=NOW,
                last_updated=NOW - timedelta(minutes=k),
                status=IssueStatus.OPEN if k % 5 == 0 else IssueStatus.CLOSED,
                company_id=company,
            )
        )
        batch.append(
            Report(
                property_id=prop.id,
                kind=ReportKind.INSPECTION if k % 2 else ReportKind.SERVICE,
                title="r",
                performed_on=date(2026, 1, 1) + timedelta(days=k % 300),
                filename="r.pdf",
                file_key="k",
                size=1,
                company_id=company,
            )
        )
        batch.append(
            OutboxMessage(
                dedup_key=f"m{k}",
                kind="event",
                payload={},
                created_at=NOW - timedelta(seconds=k),
                status=("pending", "sent", "dead")[k % 3],
                company_id=company,
            )
        )
        if k % 10 == 0:
            batch.append(
                Proposal(
                    number=f"P{k:06d}",
                    property_id=prop.id,
                    description="d",
                    status=ProposalStatus.DELIVERED,
                    estimated_start=date(2026, 12, 1) + timedelta(days=k % 90),
                    company_id=company,
                )
            )
        flush()
    flush(True)
    return {"portal": portal, "staff": staff, "contact": contact, "prop": prop}


def _analyze(storage: Any) -> None:
    with storage.engine.connect() as conn:  # statistics, as autovacuum (or sqlite_stat1) would have them
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _deep_cursor(page: Callable[[str | None], Any]) -> str | None:
    """The cursor of a list's last full page (walked once, before timing)."""
    after, last = None, None
    while True:
        found = page(after)
        if not found.next_after:
            return last
        last, after = after, found.next_after


# -- rows 4-7: lists --------------------------------------------------------------------------------
def bench_lists(url: str, big: int, small: int, rounds: int, calls: int) -> dict:
    """Two companies in one database, ``big`` and ``small`` rows of each kind:

    - staff contacts and reports (and the other staff lists), first page, big vs small company;
    - the small company's deep (last) page vs its first page, next to the big one;
    - every customer list vs hand-written SQL of the same filter, order and LIMIT;
    - all paid invoices and open proposals, big vs small property (growth)."""
    import sqlalchemy as sa

    from portalkit.adapters.sql import SqlStorage
    from portalkit.billing import InvoiceFilter
    from portalkit.issues import IssueFilter
    from portalkit.proposals import ProposalFilter

    storage = SqlStorage(url)
    storage.truncate_all()
    places = {"big": fill_company(storage, "big", big), "small": fill_company(storage, "small", small)}
    _analyze(storage)

    def staff_lists(c: dict) -> dict:
        p, staff = c["portal"], c["staff"]
        return {
            "staff contacts": lambda after=None: p.directory.contacts(staff, after=after),
            "staff reports": lambda after=None: p.reports.staff_reports(staff, after=after),
            "staff issues": lambda after=None: p.issues.staff_issues(staff, after=after),
            "staff outbox": lambda after=None: p.outbox.messages("pending", after=after),
            "staff proposals": lambda after=None: p.proposals.staff_proposals(staff, after=after),
        }

    def customer_lists(c: dict) -> dict:
        p, contact, prop = c["portal"], c["contact"], c["prop"]
        return {
            "open invoices": lambda: p.invoices.list(contact, prop.id),
            "paid invoices, last 6 months": lambda: p.invoices.list(contact, prop.id, InvoiceFilter.PAID_LAST_6_MONTHS),
            "all paid invoices": lambda: p.invoices.list(contact, prop.id, InvoiceFilter.ALL_PAID),
            "open proposals": lambda: p.proposals.list(contact, prop.id),
            "work-in-process proposals": lambda: p.proposals.list(contact, prop.id, ProposalFilter.WORK_IN_PROCESS),
            "open issues": lambda: p.issues.list(contact, prop.id),
            "closed issues": lambda: p.issues.list(contact, prop.id, IssueFilter.CLOSED),
            "reports": lambda: p.reports.list(contact, prop.id),
        }

    since = NOW.date() - timedelta(days=183)
    window = places["big"]["portal"].config.proposal_window_days
    from portalkit.adapters.sql import MAPPINGS
    from portalkit.models import Invoice, Issue, Proposal, Report

    prop_id = places["big"]["prop"].id

    def select(cls: type, *conditions: Any, order: tuple[str, ...], descending: bool = False) -> Any:
        t = MAPPINGS[cls].table
        columns = [t.c[k] for k in (*order, "id")]
        return (
            sa.select(t)
            .where(t.c.company_id == "big", t.c.property_id == prop_id, *conditions)
            .order_by(*(c.desc() if descending else c.asc() for c in columns))
            .limit(51)
        )

    inv, pro, iss, rep = (MAPPINGS[c].table for c in (Invoice, Proposal, Issue, Report))
    # SQLite's planner reads ``paid_on IS NULL`` as a rare value once ANALYZE ran, and sorts the
    # company's paid invoices: the floor carries the same hint the storage writes (likely(...)).
    open_invoices = sa.func.likely(inv.c.paid_on.is_(None)) if storage.dialect == "sqlite" else inv.c.paid_on.is_(None)
    hand_written = {  # the same filter, order and LIMIT in SQLAlchemy Core: one statement, rows as the types read them
        "open invoices": select(Invoice, inv.c.archived.is_(False), open_invoices, order=("due_date", "number")),
        "paid invoices, last 6 months": select(
            Invoice, inv.c.archived.is_(False), inv.c.paid_on >= since, order=("paid_on", "number"), descending=True
        ),
        "all paid invoices": select(
            Invoice, inv.c.archived.is_(False), inv.c.paid_on.is_not(None), order=("paid_on", "number"), descending=True
        ),
        "open proposals": select(
            Proposal,
            pro.c.archived.is_(False),
            pro.c.status.in_(["approved", "delivered"]),
            pro.c.estimated_start >= NOW.date() - timedelta(days=window),
            order=("estimated_start", "number"),
        ),
        "work-in-process proposals": select(
            Proposal, pro.c.archived.is_(False), pro.c.status == "in_production", order=("estimated_start", "number")
        ),
        "open issues": select(Issue, iss.c.status == "open", order=("last_updated", "number"), descending=True),
        "closed issues": select(Issue, iss.c.status == "closed", order=("last_updated", "number"), descending=True),
        "reports": select(
            Report,
            rep.c.archived.is_(False),
            rep.c.kind.in_(["inspection_report", "service_report"]),
            order=("performed_on",),
            descending=True,
        ),
    }

    def floor(name: str) -> Callable[[], Any]:
        statement = hand_written[name]

        def run() -> Any:
            with storage.engine.connect() as conn:
                return conn.execute(statement).all()

        return run

    out: dict[str, Any] = {"rows_big_company": big, "rows_small_company": small, "rounds": rounds, "calls": calls}
    # staff lists: first page of the big company vs the small one
    big_staff, small_staff = staff_lists(places["big"]), staff_lists(places["small"])
    fns = {
        f"{name} | {size}": (lists[name])
        for name in big_staff
        for size, lists in (("big", big_staff), ("small", small_staff))
    }
    found = interleaved(fns, rounds, calls)
    out["staff_first_page_big_vs_small"] = {
        name: ratio(found[f"{name} | big"], found[f"{name} | small"], 1.5) for name in big_staff
    }
    # the small company's deep page vs its first page, the big company in the same tables
    deep = {}
    for name in ("staff contacts", "staff outbox", "staff issues", "staff reports"):
        cursor = _deep_cursor(small_staff[name])
        page = small_staff[name]
        deep[f"{name} | deep"] = lambda page=page, cursor=cursor: page(cursor)
        deep[f"{name} | first"] = page
    found = interleaved(deep, rounds, calls)
    out["small_company_deep_vs_first_page"] = {
        name: ratio(found[f"{name} | deep"], found[f"{name} | first"], 1.5)
        for name in ("staff contacts", "staff outbox", "staff issues", "staff reports")
    }
    # customer lists vs hand-written SQL (the big company's property)
    lists_big = customer_lists(places["big"])
    fns = {}
    for name in hand_written:
        fns[f"{name} | list"] = lists_big[name]
        fns[f"{name} | sql"] = floor(name)
    found = interleaved(fns, rounds, calls)
    out["customer_list_vs_hand_written_sql"] = {
        name: ratio(found[f"{name} | list"], found[f"{name} | sql"], 2.0) for name in hand_written
    }
    big_portal = places["big"]["portal"]
    with big_portal.page_scope():  # as in a page: the settings and the contact's properties read once, one connection
        _ = big_portal.settings.current
        found = interleaved(fns, rounds, calls)
    out["customer_list_in_a_page_vs_hand_written_sql"] = {
        name: ratio(found[f"{name} | list"], found[f"{name} | sql"], 2.0) for name in hand_written
    }
    lists_small = customer_lists(places["small"])
    fns = {
        f"{name} | {size}": lists[name]
        for name in ("all paid invoices", "open proposals", "open invoices", "open issues")
        for size, lists in (("big", lists_big), ("small", lists_small))
    }
    found = interleaved(fns, rounds, calls)
    out["customer_list_big_vs_small_property"] = {
        name: ratio(found[f"{name} | big"], found[f"{name} | small"], 1.5)
        for name in ("all paid invoices", "open proposals", "open invoices", "open issues")
    }
    storage.statements = 0
    lists_big["open invoices"]()
    out["statements_per_customer_list"] = storage.statements
    storage.truncate_all()
    storage.dispose()
    return out


# -- row 2: the dashboard's statements ---------------------------------------------------------------
def _dashboard(storage: Any, invoices: int, company: str = "default") -> tuple[Any, Any, Any, Callable[[], str]]:
    """A company with a signed-in contact whose property has ``invoices`` invoices; returns the
    portal, its administrator, the property and a function rendering the contact's dashboard through the page code
    the hosts run."""
    from portalkit.models import Invoice
    from portalkit.web import PageRequest, PortalWeb
    from portalkit.web.customer import TOKEN

    portal = make_portal(storage, company)
    staff = portal.directory.create_first_admin(f"boss@{company}.bench.test", "Boss")
    customer = portal.directory.add_customer(staff, "Customer")
    prop = portal.directory.add_property(staff, customer.id, "Main")
    email = f"dash@{company}.bench.test"
    contact = portal.directory.add_contact(staff, customer.id, "Ab", "Cd", email, property_ids=(prop.id,))
    portal.directory.set_primary_contact(staff, prop.id, contact.id)
    portal.invitations.send(staff, [contact.id])
    token = portal.invitations.link_for(portal.directory.contact(contact.id)).split("#", 1)[1]
    portal.accounts.sign_up(token, "garden-2026", "garden-2026")
    storage.insert_many(
        [
            Invoice(
                number=f"INV-{k:05d}",
                property_id=prop.id,
                amount=Decimal("120.00"),
                amount_due=Decimal("120.00") if k % 3 else Decimal("0.00"),
                paid_on=None if k % 3 else date(2026, 2, 1),
                invoice_date=date(2026, 1, 1) + timedelta(days=k % 200),
                company_id=company,
            )
            for k in range(invoices)
        ]
    )
    session = portal.accounts.login(email, "garden-2026")
    web = PortalWeb(portal)

    def page() -> str:
        req = PageRequest(method="GET", session={TOKEN: session.token})
        with portal.settings.pinned():
            result = web.handle("dashboard", req)
            return web.render(
                result,
                req,
                url=lambda e, **p: "/portal/" + e + ("?" + urllib.parse.urlencode(p) if p else ""),
                static=lambda name: "/portal/static/" + name,
                csrf_field=lambda: "",
            )

    return portal, staff, prop, page


def bench_dashboard_statements(url: str, invoices: int) -> dict:
    """SQL statements of one logged-in dashboard page (handler and render), through the page
    code the hosts run, and where the time goes (a profile's share of money, dates, URLs and
    gettext)."""
    import cProfile
    import pstats

    from sqlalchemy import event

    from portalkit.adapters.sql import SqlStorage

    storage = SqlStorage(url)
    storage.truncate_all()
    _portal, _staff, _prop, page = _dashboard(storage, invoices)
    seen: list[str] = []

    def count(_c: Any, _cu: Any, statement: str, *_a: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(" ".join(statement.split())[:90])

    html = page()
    assert "INV-00001" in html
    event.listen(storage.engine, "before_cursor_execute", count)
    page()
    event.remove(storage.engine, "before_cursor_execute", count)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(50):
        page()
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = max(v[3] for v in stats.values())

    def share(file: str, *names: str) -> float:
        """The share of the page's time spent in these functions of ``file`` (cumulative)."""
        return round(
            100 * sum(v[3] for (path, _line, fn), v in stats.items() if path.endswith(file) and fn in names) / total, 1
        )

    storage.truncate_all()
    storage.dispose()
    return {
        "invoices": invoices,
        "statements": len(seen),
        "target": 3,
        "meets": len(seen) <= 3,
        "statement_list": seen,
        "profile_share_percent": {
            "money": share("portalkit/i18n.py", "money"),
            "dates": share("portalkit/i18n.py", "day", "short_day", "moment"),
            "gettext": share("portalkit/i18n.py", "gettext", "ngettext", "pgettext"),
            "url building": share("portalkit/web/site.py", "fast", "static_file"),
            "templates (render)": share("jinja2/environment.py", "render"),
        },
    }


def bench_dashboard_visits(url: str, visits: int, rounds: int, calls: int) -> dict:
    """Issue 26: the dashboard of a property with a job and ``visits`` visits (the next one in
    the summary, the rest on the Jobs page) vs the same dashboard of a company without jobs, in
    one database, interleaved. Target: within 1.2× (the visits summary is one bounded read)."""
    from portalkit.adapters.sql import SqlStorage

    storage = SqlStorage(url)
    storage.truncate_all()
    portal, staff, prop, with_visits = _dashboard(storage, 60, "visits")
    *_other, without = _dashboard(storage, 60, "novisits")
    job = portal.jobs.add_job(staff, prop.id, "J-1", "Weekly mowing", job_type="Maintenance")
    start = NOW + timedelta(days=1)
    for k in range(visits):
        portal.jobs.schedule_visit(staff, job.id, start + timedelta(days=k), start + timedelta(days=k, hours=2))
    assert "Weekly mowing" in with_visits()
    found = interleaved({"with": with_visits, "without": without}, rounds, calls)
    storage.truncate_all()
    storage.dispose()
    return {"visits": visits, **ratio(found["with"], found["without"], target=1.2)}


# -- row 8: the outbox with a backlog ------------------------------------------------------------
def bench_outbox_backlog(url: str, backlog: int, small: int, rounds: int) -> dict:
    """``dispatch(limit=100)`` of a company whose outbox holds ``backlog`` pending messages vs one
    holding ``small``, in one database, topped up before every round."""
    from portalkit.adapters.sql import SqlStorage
    from portalkit.models import OutboxMessage

    storage = SqlStorage(url)
    storage.truncate_all()
    portals = {"backlog": make_portal(storage, "deep"), "short": make_portal(storage, "shallow")}
    counter = {"n": 0}

    def top_up(portal: Any, n: int) -> None:
        batch = []
        for _ in range(n):
            counter["n"] += 1
            batch.append(
                OutboxMessage(
                    dedup_key=f"b{counter['n']}",
                    kind="event",
                    payload={"name": "none"},
                    created_at=NOW + timedelta(microseconds=counter["n"]),
                    company_id=portal.settings.company_id,
                )
            )
            if len(batch) >= 20000:
                storage.insert_many(batch)
                batch = []
        storage.insert_many(batch)

    top_up(portals["backlog"], backlog)
    top_up(portals["short"], small)
    _analyze(storage)
    for portal in portals.values():
        portal.outbox._emit = lambda _event: None
        portal.outbox._deliver = lambda _message: None  # delivery itself is the SMTP row's business
    times: dict[str, list[float]] = {"backlog": [], "short": []}
    for _ in range(rounds):
        for name, portal in portals.items():
            t = time.perf_counter()
            delivered = portal.outbox.dispatch(limit=100)
            times[name].append((time.perf_counter() - t) * 1000)
            assert delivered == min(100, small) if name == "short" else delivered == 100
            top_up(portal, delivered)
    out = {
        "backlog": backlog,
        "short_queue": small,
        "batch": 100,
        "backlog_vs_short": ratio(times["backlog"], times["short"], 1.5),
    }
    storage.truncate_all()
    storage.dispose()
    return out


# -- rows 9-10: bulk invitation and sync, memory measured in a child process ------------------------
_CHILD = textwrap.dedent("""
    import gc, json, os, sys, time
    sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
    from paths import make_portal, NOW
    from portalkit.adapters.sql import SqlStorage

    def rss():
        fields = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
        return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024

    storage = SqlStorage({url!r})
    storage.truncate_all()
    portal = make_portal(storage)
    {setup}
    gc.collect()
    before, _peak = rss()
    try:
        open("/proc/self/clear_refs", "w").write("5")  # the peak from here on
    except OSError:
        pass
    storage.statements = 0
    t = time.perf_counter()
    {work}
    seconds = time.perf_counter() - t
    _now, peak = rss()
    print(json.dumps({{"seconds": round(seconds, 2), "rss_before_mib": before, "peak_mib": peak,
                      "growth_mib": peak - before, "sql_statements": storage.statements, **extra}}))
    storage.truncate_all()
""")


def _child(url: str, setup: str, work: str) -> dict:
    code = _CHILD.format(
        root=str(ROOT),
        bench=str(Path(__file__).parent),
        url=url,
        setup=textwrap.dedent(setup).strip(),
        work=textwrap.dedent(work).strip(),
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=3600,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p)},
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_bulk_invite(url: str, n: int, chunk: int) -> dict:
    """``invitations.send_all`` of ``n`` contacts (chunks of ``chunk``) in a child process: its
    seconds, statements and peak memory growth; and a second run with the same id sends nothing."""
    setup = f"""
        from portalkit.models import Contact
        staff = portal.directory.create_first_admin("m@bench.test", "M")
        customer = portal.directory.add_customer(staff, "C")
        ids = []
        for start in range(0, {n}, 5000):
            batch = [Contact(customer_id=customer.id, first_name="Ab", last_name="Cd", email=f"c{{k}}@bench.test")
                     for k in range(start, min({n}, start + 5000))]
            storage.insert_many(batch)
            ids += [c.id for c in batch]
        del batch
    """
    work = f"""
        result = portal.invitations.send_all(staff, ids, run_id="bench", chunk_size={chunk})
        again = portal.invitations.send_all(staff, ids, run_id="bench", chunk_size={chunk})
        extra = {{"sent": len(result.sent), "sent_again": len(again.sent)}}
    """
    found = _child(url, setup, work)
    assert found["sent"] == n and found["sent_again"] == 0
    return {
        "contacts": n,
        "chunk": chunk,
        **found,
        "per_contact_ms": round(found["seconds"] / n * 1000, 3),
        "target_growth_mib": 64,
        "meets_memory": found["growth_mib"] <= 64,
    }


def bench_sync_memory(url: str, sizes: list[int], chunk: int) -> dict:
    """``sync.apply_chunked`` of ``n`` new invoices streamed from a generator, for each size:
    peak memory growth (flat means the same at every size) and seconds."""
    out: dict[str, Any] = {"chunk": chunk}
    for n in sizes:
        setup = """
            from datetime import date
            from portalkit.sync import HostContact, HostCustomer, HostInvoice, HostProperty, SyncBatch
        """
        work = f"""
            def invoices():
                for j in range({n}):
                    yield HostInvoice(external_id=f"IN-{{j}}", property="PR", number=f"S{{j}}", amount="100.00",
                                      amount_due="100.00", invoice_date=date(2026, 1, 1))
            totals = portal.sync.apply_chunked(SyncBatch(
                customers=[HostCustomer(external_id="CU", name="Sync HOA")],
                properties=[HostProperty(external_id="PR", customer="CU", name="Park", primary_contact="CO")],
                contacts=[HostContact(external_id="CO", customer="CU", first_name="Sy", last_name="Nc",
                                      email="sync@bench.test", properties=("PR",))],
                invoices=invoices()), chunk_size={chunk})
            extra = {{"created": totals.created.get("invoices", 0)}}
        """
        found = _child(url, setup, work)
        assert found["created"] == n
        out[str(n)] = found
    first, last = str(sizes[0]), str(sizes[-1])
    out["growth_mib_largest_vs_smallest"] = [out[first]["growth_mib"], out[last]["growth_mib"]]
    out["meets_flat"] = out[last]["growth_mib"] <= max(2 * out[first]["growth_mib"], out[first]["growth_mib"] + 16)
    return out


def bench_sync_speed(url: str, n: int, rounds: int) -> dict:
    """A first sync of ``n`` invoices (``apply``, and ``apply_chunked``) vs a raw UPSERT of the same
    rows (``INSERT ... ON CONFLICT (company_id, external_id) DO UPDATE``, one executemany);
    interleaved rounds, each with new host ids."""
    from sqlalchemy.dialects import postgresql, sqlite

    from portalkit.adapters.sql import MAPPINGS, SqlStorage
    from portalkit.models import Invoice, Property
    from portalkit.sync import HostContact, HostCustomer, HostInvoice, HostProperty, SyncBatch

    storage = SqlStorage(url)
    storage.truncate_all()
    portal = make_portal(storage)
    portal.sync.apply(
        SyncBatch(
            customers=[HostCustomer(external_id="CU", name="Sync HOA")],
            properties=[HostProperty(external_id="PR", customer="CU", name="Park")],
            contacts=[
                HostContact(
                    external_id="CO",
                    customer="CU",
                    first_name="Sy",
                    last_name="Nc",
                    email="sync@bench.test",
                    properties=("PR",),
                )
            ],
        )
    )
    prop_id = storage.find(Property, external_id="PR")[0].id
    table = MAPPINGS[Invoice].table
    module = postgresql if storage.dialect == "postgresql" else sqlite
    upsert = module.insert(table)
    upsert = upsert.on_conflict_do_update(
        index_elements=["company_id", "external_id"],
        set_={c: upsert.excluded[c] for c in ("number", "amount", "amount_due", "invoice_date", "due_date")},
    )

    def hosts(prefix: str) -> list:
        return [
            HostInvoice(
                external_id=f"{prefix}-{j}",
                property="PR",
                number=f"S{j}",
                amount="100.00",
                amount_due="100.00",
                invoice_date=date(2026, 1, 1),
            )
            for j in range(n)
        ]

    def raw(prefix: str) -> None:
        data = hosts(prefix)
        t = time.perf_counter()
        rows = [
            {
                "id": os.urandom(16).hex(),
                "number": h.number,
                "property_id": prop_id,
                "billing_contact_id": None,
                "amount": Decimal(h.amount),
                "amount_due": Decimal(h.amount_due),
                "invoice_date": h.invoice_date,
                "net_days": h.net_days,
                "due_date": h.invoice_date + timedelta(days=h.net_days),
                "pending_amount": Decimal("0.00"),
                "paid_on": None,
                "terms": h.terms,
                "proposal_id": None,
                "deposit_credit": Decimal("0.00"),
                "external_id": h.external_id,
                "archived": False,
                "company_id": "default",
                "version": 0,
            }
            for h in data
        ]
        with storage.engine.begin() as conn:
            conn.execute(upsert, rows)
        times["raw upsert"].append(time.perf_counter() - t)

    def through(name: str, prefix: str) -> None:
        data = hosts(prefix)
        t = time.perf_counter()
        if name == "apply":
            portal.sync.apply(SyncBatch(invoices=data))
        else:
            portal.sync.apply_chunked(SyncBatch(invoices=data))
        times[name].append(time.perf_counter() - t)

    times: dict[str, list[float]] = {"apply": [], "apply_chunked": [], "raw upsert": []}
    through("apply", "warm-a"), through("apply_chunked", "warm-c"), raw("warm-r")  # caches warm, then measured
    times = {name: [] for name in times}
    for r in range(rounds):
        through("apply", f"A{r}")
        through("apply_chunked", f"C{r}")
        raw(f"R{r}")
    t = time.perf_counter()
    portal.sync.apply(SyncBatch(invoices=hosts("A0")))
    unchanged = time.perf_counter() - t
    out = {
        "invoices": n,
        "rounds": rounds,
        "apply_vs_raw_upsert": ratio(times["apply"], times["raw upsert"], 2.0),
        "apply_chunked_vs_raw_upsert": ratio(times["apply_chunked"], times["raw upsert"], 2.0),
        "unchanged_again_s": round(unchanged, 3),
    }
    storage.truncate_all()
    storage.dispose()
    return out


# -- row 11: the statement PDF ---------------------------------------------------------------------
def bench_statement_pdf(url: str, n: int, rounds: int) -> dict:
    """The statement PDF of a property with ``n`` invoices (the renderer, on the statement read
    once) vs fpdf2 writing the same rows with ``cell()``; and the whole ``statements.pdf``."""
    from fpdf import FPDF

    from portalkit.adapters.sql import SqlStorage
    from portalkit.models import Contact, Customer, Invoice, PortalStatus, Property

    storage = SqlStorage(url)
    storage.truncate_all()
    portal = make_portal(storage)
    customer = storage.insert(Customer(name="C"))
    contact = Contact(
        customer_id=customer.id,
        first_name="Ab",
        last_name="Cd",
        email="pdf@bench.test",
        portal_status=PortalStatus.ENROLLED,
        account_wide=True,
    )
    prop = Property(customer_id=customer.id, name="Main", primary_contact_id=contact.id)
    storage.insert_many([contact, prop])
    storage.insert_many(
        [
            Invoice(
                number=f"INV-{k:05d}",
                property_id=prop.id,
                amount=Decimal("120.00") + k,
                amount_due=Decimal("120.00") + k,
                invoice_date=date(2026, 1, 1) + timedelta(days=k % 300),
            )
            for k in range(n)
        ]
    )
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    statement = portal.statements.statement(contact, start, end)
    rows = [(str(e.on), e.description, str(e.amount)) for part in statement.properties for e in part.entries]
    assert len(rows) == n

    def renderer() -> bytes:
        return portal.documents.statement(statement)

    def floor() -> bytes:
        pdf = FPDF(format="letter")
        pdf.set_auto_page_break(True, margin=20)
        pdf.add_page()
        pdf.set_font("helvetica", "", 9.5)
        for on, text, amount in rows:
            pdf.cell(32, 7, on)
            pdf.cell(115, 7, text)
            pdf.cell(32, 7, amount, align="R", new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())

    times: dict[str, list[float]] = {"renderer": [], "fpdf2 cell()": []}
    for _ in range(rounds):
        for name, fn in (("renderer", renderer), ("fpdf2 cell()", floor)):
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    t = time.perf_counter()
    portal.statements.pdf(contact, start, end)
    whole = time.perf_counter() - t
    storage.truncate_all()
    storage.dispose()
    return {
        "invoices": n,
        "rounds": rounds,
        "renderer_vs_fpdf2_cells": ratio(times["renderer"], times["fpdf2 cell()"], 2.0),
        "whole_statements_pdf_s": round(whole, 3),
    }


# -- rows 1 and 3: the hosts under gunicorn and wrk ------------------------------------------------------
_DASHBOARD_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RPS %f\\nP50 %f\\nP95 %f\\nERRORS %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
_LOGIN_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; busy = 0; other = 0 end
wrk.method = "POST"
wrk.body = BODY
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = COOKIE
function response(status, headers, body)
  if status == 303 then ok = ok + 1 elseif status == 429 then busy = busy + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local o, b, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("busy"); x = x + t:get("other") end
  io.write(string.format("LOGINS %d\\nBUSY %d\\nOTHER %d\\n", o, b, x))
end
"""

_FLASK_APP = """
import os
from examples.common.host import build_portal
from examples.flask_host import create_app
portal = build_portal(os.environ["BENCH_DB_URL"], base_url="http://127.0.0.1:{port}/portal", seeded=False,
                      dispatch_inline=False)
portal.accounts.logins_per_client = 10 ** 9  # the storm comes from many clients (one address here)
app = create_app(portal, secure_cookies=False)
"""
_DJANGO_SETTINGS = """
import os
from examples.django_host.settings import *  # noqa: F401,F403
from examples.django_host.settings import DATABASES
url = os.environ["BENCH_DB_URL"]
if url.startswith("postgresql"):
    import sqlalchemy
    u = sqlalchemy.make_url(url)
    DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "NAME": u.database, "USER": u.username,
                            "PASSWORD": u.password or "", "HOST": u.host, "PORT": u.port or 5432,
                            "CONN_MAX_AGE": 60}}}}
else:
    DATABASES = {{"default": {{**DATABASES["default"], "NAME": url.removeprefix("sqlite:///")}}}}
ALLOWED_HOSTS = ["*"]
"""
_DJANGO_WSGI = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_django_settings")
from django.core.wsgi import get_wsgi_application
application = get_wsgi_application()
from portalkit.contrib.django.conf import get_portal
get_portal().accounts.logins_per_client = 10 ** 9  # the storm comes from many clients (one address here)
"""
_SETUP = """
import os, sys
host = sys.argv[1]
if host == "django":
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from portalkit.contrib.django.conf import get_portal
    from portalkit.contrib.django.storage import DjangoStorage
    DjangoStorage().truncate_all()
    portal = get_portal()
else:
    from portalkit.adapters.sql import SqlStorage
    from examples.common.host import build_portal
    SqlStorage(os.environ["BENCH_DB_URL"]).truncate_all()
    portal = build_portal(os.environ["BENCH_DB_URL"], seeded=False, dispatch_inline=False)
from examples.common.host import STAFF_EMAIL, secret_key
from examples.common.seed import seed
secret_key("flask-session.key")  # made once, before the workers start: all of them sign sessions alike
seed(portal, STAFF_EMAIL)
c = portal.directory.contact_by_email("alice@example.com")
portal.invitations.send_as_company([c.id])
t = portal.invitations.link_for(portal.directory.contact(c.id)).split("#", 1)[1]
portal.accounts.sign_up(t, "garden-2026", "garden-2026")
print("ready")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wrk(url: str, seconds: float, connections: int, script: str, headers: dict[str, str] | None = None) -> dict:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    done = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60)
    values = dict(re.findall(r"^([A-Z0-9]+) ([0-9.]+)$", done.stdout, re.M))
    if "RPS" not in values and "LOGINS" not in values:
        raise RuntimeError(f"wrk said: {done.stdout[-500:]} {done.stderr[-500:]}")
    return {k: float(v) for k, v in values.items()}


def bench_web(host: str, db_url: str, seconds: float, rounds: int, workers: int = 4) -> dict:
    """The ``host`` reference app (flask or django) under gunicorn (``workers`` sync workers),
    driven by wrk on 8 connections:

    - the logged-in dashboard vs the host's own hello page ("/"), interleaved;
    - the dashboard alone vs the dashboard while logins (bcrypt cost 12, successful ones) arrive on
      8 more connections: throughput ratio and p95 ratio."""
    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed"}
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return {"skipped": "gunicorn is not installed"}
    tmp = Path(tempfile.mkdtemp(prefix=f"portalkit-web-{host}-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    if db_url == "sqlite":
        db_url = f"sqlite:///{tmp}/{host}.sqlite3"
    elif host == "django":  # Django's tables and migrations in a database of their own, new each run
        import sqlalchemy as sa

        server_url = sa.make_url(db_url)
        name = f"{server_url.database}_djbench"
        admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        db_url = server_url.set(database=name).render_as_string(hide_password=False)
    env = {
        **os.environ,
        "PORTALKIT_INSTANCE": str(tmp),
        "PORTALKIT_BCRYPT_ROUNDS": "12",
        "BENCH_DB_URL": db_url,
        "PYTHONPATH": os.pathsep.join(p for p in (str(tmp), os.environ.get("PYTHONPATH"), str(ROOT)) if p),
        "PORTALKIT_INSECURE_COOKIES": "1",
        "PORTALKIT_DEMO_PROCESSOR": "0",
        "PORTALKIT_BASE_URL": f"{base}/portal",
        "PORTALKIT_PASSWORD_LOCK_DIR": str(tmp / "password-slots"),
    }
    if host == "django":
        (tmp / "bench_django_settings.py").write_text(_DJANGO_SETTINGS.format())
        (tmp / "bench_django_wsgi.py").write_text(_DJANGO_WSGI)
        env["DJANGO_SETTINGS_MODULE"] = "bench_django_settings"
        app = "bench_django_wsgi:application"
    else:
        (tmp / "bench_flask_app.py").write_text(_FLASK_APP.format(port=port))
        app = "bench_flask_app:app"
    setup = subprocess.run(
        [sys.executable, "-c", _SETUP, host], env=env, cwd=tmp, capture_output=True, text=True, timeout=600
    )
    if "ready" not in setup.stdout:
        raise RuntimeError(setup.stderr[-3000:])
    # the server's log goes to a file: a pipe nobody reads fills up with Django's "Too Many
    # Requests" warnings (one per 429 of the login storm) and then blocks every worker that logs
    server_log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=server_log,
        start_new_session=True,
    )
    try:
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        html = ""
        for _ in range(150):
            try:
                html = opener.open(base + "/portal/login", timeout=5).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        field, token = re.search(r'name="(csrf_token|csrfmiddlewaretoken)" value="([^"]+)"', html).groups()
        form = urllib.parse.urlencode({field: token, "email": "alice@example.com", "password": "garden-2026"})
        login_cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        opener.open(
            urllib.request.Request(base + "/portal/login", form.encode(), headers={"Referer": base + "/portal/login"}),
            timeout=30,
        ).read()
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        check = urllib.request.Request(base + "/portal/dashboard", headers={"Cookie": cookie})
        assert "INV-1001" in urllib.request.urlopen(check, timeout=10).read().decode()
        dash_lua, login_lua = tmp / "dashboard.lua", tmp / "login.lua"
        dash_lua.write_text(_DASHBOARD_LUA)
        login_lua.write_text(f"BODY = {json.dumps(form)}\nCOOKIE = {json.dumps(login_cookie)}\n" + _LOGIN_LUA)
        page: dict[str, list[float]] = {"dashboard": [], "hello": []}
        for _ in range(rounds):
            page["dashboard"].append(
                _wrk(base + "/portal/dashboard", seconds, 8, str(dash_lua), {"Cookie": cookie})["RPS"]
            )
            page["hello"].append(_wrk(base + "/", seconds, 8, str(dash_lua))["RPS"])
        storm: dict[str, list[float]] = {
            "alone_rps": [],
            "storm_rps": [],
            "alone_p95": [],
            "storm_p95": [],
            "alone_p50": [],
            "storm_p50": [],
        }
        logins: dict[str, float] = {"LOGINS": 0, "BUSY": 0, "OTHER": 0}
        for _ in range(rounds):
            alone = _wrk(base + "/portal/dashboard", seconds, 8, str(dash_lua), {"Cookie": cookie})
            stormer = subprocess.Popen(
                [
                    "wrk",
                    "-t1",
                    "-c8",
                    f"-d{seconds + 1}s",
                    "--timeout",
                    "10s",
                    "-s",
                    str(login_lua),
                    base + "/portal/login",
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            time.sleep(0.5)
            during = _wrk(base + "/portal/dashboard", seconds, 8, str(dash_lua), {"Cookie": cookie})
            said = stormer.communicate(timeout=seconds + 60)[0]
            for key, value in re.findall(r"^(LOGINS|BUSY|OTHER) ([0-9]+)$", said, re.M):
                logins[key] += float(value)
            for name, found in (("alone", alone), ("storm", during)):
                storm[f"{name}_rps"].append(found["RPS"])
                storm[f"{name}_p95"].append(found["P95"])
                storm[f"{name}_p50"].append(found["P50"])
        return {
            "host": host,
            "database": "postgresql" if db_url.startswith("postgresql") else "sqlite",
            "server": f"gunicorn -w {workers} -k sync",
            "wrk": "-t1 -c8",
            "seconds_each": seconds,
            "rounds": rounds,
            "dashboard_vs_hello": ratio(page["dashboard"], page["hello"], 0.35, higher_is_better=True),
            "dashboard_during_login_storm": ratio(storm["storm_rps"], storm["alone_rps"], 0.5, higher_is_better=True),
            "dashboard_p95_during_storm": ratio(storm["storm_p95"], storm["alone_p95"], 3.0),
            "dashboard_p50_ms": [
                round(statistics.median(storm["alone_p50"]), 1),
                round(statistics.median(storm["storm_p50"]), 1),
            ],
            "storm_logins": {
                "signed_in": int(logins["LOGINS"]),
                "refused_429": int(logins["BUSY"]),
                "other": int(logins["OTHER"]),
            },
        }
    finally:
        server_log.close()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(tmp, ignore_errors=True)
