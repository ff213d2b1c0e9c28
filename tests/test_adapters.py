import socket
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from conftest import build_world
from pypdf import PdfReader

from portalkit import Mail, hookimpl
from portalkit.adapters.smtp import SmtpMailer
from portalkit.billing import LineItem
from portalkit.events import InvitationSent
from portalkit.models import OutboxMessage
from portalkit.notify import DEAD, PENDING, SENT


class Collector(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def test_smtp_mailer_delivers_to_a_real_smtp_server(smtp_server):
    controller, handler = smtp_server
    mailer = SmtpMailer("127.0.0.1", controller.port, default_sender="portal@greenacres.test")
    mailer.send(
        Mail(
            to=("alice@example.com",),
            subject="Héllo Alice",
            text="plain body",
            html="<p>html body</p>",
            message_id="invite:abc:1",
        )
    )
    [msg] = handler.messages
    from email.header import decode_header, make_header

    assert msg["To"] == "alice@example.com" and str(make_header(decode_header(msg["Subject"]))) == "Héllo Alice"
    from portalkit.adapters.smtp import message_id

    assert msg["Message-ID"] == message_id("invite:abc:1", "greenacres.test")
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart()}
    assert "plain body" in parts["text/plain"] and "<p>html body</p>" in parts["text/html"]


def test_invitation_over_real_smtp_end_to_end(smtp_server):
    controller, handler = smtp_server
    mailer = SmtpMailer("127.0.0.1", controller.port)

    class Plugin:
        @hookimpl
        def portalkit_mailer(self):
            return mailer

    from portalkit import Portal

    w = build_world()
    portal = Portal(w.portal.config, secret_key="another-secret-0123456789", plugins=[w.adapters, Plugin()])
    portal.invitations.send(w.staff, [w.alice.id])
    [msg] = handler.messages
    assert msg["From"] == '"Morgan Manager (Green Acres Landscaping)" <portal@greenacres.test>'
    assert msg["Reply-To"] == "manager@greenacres.test" and "Alice Green" in msg["Subject"]


def test_outbox_retries_with_backoff_and_loses_nothing_when_smtp_is_down():
    port = free_port()  # nothing listens here
    w = build_world(mailer=SmtpMailer("127.0.0.1", port, timeout=2))
    w.portal.invitations.send(w.staff, [w.alice.id])  # the change commits; delivery fails
    [msg] = w.portal.storage.find(OutboxMessage, kind="mail")
    assert (msg.status, msg.attempts) == (PENDING, 1) and msg.next_attempt_at > w.clock.now()
    assert w.portal.outbox.dispatch() == 0  # not due yet
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        w.clock.advance(seconds=3)
        assert w.portal.outbox.dispatch() == 1
        assert w.portal.outbox.dispatch() == 0  # never twice
    finally:
        controller.stop()
    assert len(handler.messages) == 1
    assert w.portal.storage.get(OutboxMessage, msg.id).status == SENT


def test_outbox_gives_up_after_max_attempts():
    class Broken:
        def send(self, mail):
            raise OSError("no route")

    w = build_world(mailer=Broken())
    w.portal.invitations.send(w.staff, [w.alice.id])
    for _ in range(10):
        w.clock.advance(hours=2)
        w.portal.outbox.dispatch()
    [msg] = w.portal.storage.find(OutboxMessage, kind="mail")
    assert msg.status == DEAD and msg.attempts == 8 and "no route" in msg.last_error


def test_outbox_dedup_key_queues_a_message_once():
    w = build_world()
    with w.portal.unit_of_work():
        w.portal.outbox.mail(Mail(to=("a@b.co",), subject="s", text="t"), "same-key")
        w.portal.outbox.mail(Mail(to=("a@b.co",), subject="s", text="t"), "same-key")
    assert len(w.mailer.outbox) == 1


def test_failed_operation_writes_no_mail():
    w = build_world()
    from portalkit.errors import NotFound

    with pytest.raises(NotFound):
        w.portal.invitations.send(w.staff, [w.alice.id, "missing"])
    assert w.portal.storage.find(OutboxMessage) == [] and w.mailer.outbox == []


def test_host_events_reach_plugins():
    heard = []

    class Listener:
        @hookimpl
        def portalkit_event(self, event):
            heard.append(event)

    w = build_world()
    w.portal.plugins.register(Listener())
    w.portal.invitations.send(w.staff, [w.alice.id])
    [event] = heard
    assert isinstance(event, InvitationSent) and event.name == "invitation.sent"
    assert (event.contact_id, event.sent_by, event.company_id) == (w.alice.id, w.staff.email, "default")


def test_invoice_pdf_opens_and_holds_number_and_amounts(enrolled):
    w = enrolled
    inv = w.portal.invoices.add(w.staff, w.prop.id, "INV-2026-0042", "1234.50", date(2026, 1, 5), amount_due="234.50")
    reader = PdfReader(BytesIO(w.portal.invoices.pdf(w.alice, inv.id)))
    text = reader.pages[0].extract_text()
    for expected in (
        "INV-2026-0042",
        "Invoice amount: $1,234.50",
        "Amount due: $234.50",
        "Oak Street Commons",
        "Green Acres Landscaping",
        "Due date: Feb 4, 2026",
    ):
        assert expected in text


def test_invoice_pdf_holds_its_lines_terms_and_branding_and_paginates(enrolled):
    w = enrolled
    lines = [LineItem(description=f"Mowing (week {n}) \\ ✓", quantity="1.5", unit_price="40.00") for n in range(80)]
    inv = w.portal.invoices.add(
        w.staff,
        w.prop.id,
        "INV-7",
        "4800.00",
        date(2026, 1, 5),
        lines=lines,
        terms="Net 30. A 1.5% monthly charge applies after the due date.",
    )
    reader = PdfReader(BytesIO(w.portal.invoices.pdf(w.alice, inv.id)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2 and "Mowing (week 79) \\ ?" in text and "$60.00" in text
    assert "A 1.5% monthly charge applies" in text and "Green Acres Landscaping" in text
    assert [(line.position, line.amount) for line in w.portal.invoices.lines(w.alice, inv.id)][-1] == (
        79,
        Decimal("60.00"),
    )


def test_outbox_worker_process_delivers_what_the_web_process_queued(tmp_path, smtp_server):
    import os
    import subprocess
    import sys

    from portalkit.adapters.sql import SqlStorage

    controller, handler = smtp_server
    url = f"sqlite:///{tmp_path}/worker.sqlite3"
    w = build_world(SqlStorage(url))
    w.portal.dispatch_inline = False
    w.portal.invitations.send(w.staff, [w.alice.id, w.bob.id])
    assert w.mailer.outbox == [] and len(w.portal.outbox.pending()) == 4  # 2 mails + 2 events
    env = {
        **os.environ,
        "WORKER_DB_URL": url,
        "WORKER_SMTP_PORT": str(controller.port),
        "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [sys.executable, "-m", "portalkit.worker", "--factory", "outbox_worker_factory:build", "--once"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(m["To"] for m in handler.messages) == ["alice@example.com", "bob@example.com"]
    assert "default: delivered 4 message(s)" in done.stdout  # --once says what it did
    assert "Warning" not in done.stderr and "warning" not in done.stderr  # no RuntimeWarning at start
    assert subprocess.run(cmd, env=env, capture_output=True, timeout=60).returncode == 0
    assert len(handler.messages) == 2  # a second run sends nothing again


def test_one_outbox_worker_serves_every_company(tmp_path, smtp_server):
    import os
    import subprocess
    import sys

    from portalkit.adapters.sql import SqlStorage

    controller, handler = smtp_server
    url = f"sqlite:///{tmp_path}/worker.sqlite3"
    storage = SqlStorage(url)
    for company in ("north", "south"):
        w = build_world(storage, company_id=company)
        w.portal.dispatch_inline = False
        w.portal.invitations.send(w.staff, [w.alice.id])
    env = {
        **os.environ,
        "WORKER_DB_URL": url,
        "WORKER_SMTP_PORT": str(controller.port),
        "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [sys.executable, "-m", "portalkit.worker", "--factory", "outbox_worker_factory:build_companies", "--once"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [m["To"] for m in handler.messages] == ["alice@example.com"] * 2
    assert "north: delivered 2" in done.stdout and "south: delivered 2" in done.stdout


def test_lost_database_surfaces_as_storage_error():
    from portalkit.adapters.sql import SqlStorage
    from portalkit.errors import StorageError
    from portalkit.models import Contact

    storage = SqlStorage(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none", migrate=False)
    with pytest.raises(StorageError) as err:
        storage.get(Contact, "x")
    assert err.value.public_message.startswith("The portal is temporarily unavailable")
    with pytest.raises(StorageError):
        with storage.transaction():
            pass


def test_outbox_message_claimed_by_a_crashed_dispatcher_is_sent_after_its_lease():
    import attrs

    from portalkit.notify import CLAIM_LEASE, SENDING

    w = build_world()
    w.portal.dispatch_inline = False
    w.portal.invitations.send(w.staff, [w.alice.id])
    [msg] = w.portal.storage.find(OutboxMessage, kind="mail")
    # a dispatcher claimed it, then died before sending
    w.portal.storage.update(attrs.evolve(msg, status=SENDING, next_attempt_at=w.clock.now() + CLAIM_LEASE))
    w.portal.outbox.dispatch()
    assert w.mailer.outbox == []  # still leased: nobody else sends it
    w.clock.advance(seconds=CLAIM_LEASE.total_seconds() + 1)
    w.portal.outbox.dispatch()
    w.portal.outbox.dispatch()
    assert len(w.mailer.outbox) == 1 and w.mailer.outbox[0].message_id == msg.dedup_key


def test_outbox_purge_keeps_recent_and_undelivered_messages():
    from datetime import timedelta

    w = build_world()
    w.portal.invitations.send(w.staff, [w.alice.id])  # delivered inline
    w.clock.advance(days=10)
    w.portal.dispatch_inline = False
    w.portal.invitations.send(w.staff, [w.bob.id])  # queued, not delivered
    assert w.portal.outbox.purge(timedelta(days=30)) == 0
    w.clock.advance(days=25)
    assert w.portal.outbox.purge(timedelta(days=30)) == 2  # alice's mail and event
    left = w.portal.storage.find(OutboxMessage)
    assert len(left) == 2 and all(m.status == PENDING for m in left)


def test_inline_delivery_sends_only_what_the_operation_wrote():
    """A backlog (the worker's job) never slows or joins an operation's own delivery."""
    w = build_world()
    w.portal.dispatch_inline = False
    w.portal.invitations.send(w.staff, [w.bob.id])  # left for the worker
    backlog = len(w.portal.outbox.pending())
    w.portal.dispatch_inline = True
    w.portal.invitations.send(w.staff, [w.alice.id])
    assert [m.to for m in w.mailer.outbox] == [("alice@example.com",)]
    assert len(w.portal.outbox.pending()) == backlog
    assert w.portal.outbox.dispatch() == backlog  # the worker delivers the rest
    assert {m.to for m in w.mailer.outbox} == {("alice@example.com",), ("bob@example.com",)}


def test_smtp_messages_encode_names_and_refuse_header_injection():
    from email import message_from_bytes, policy

    mailer = SmtpMailer("127.0.0.1", default_sender="Green Acres Ñ <portal@greenacres.test>")
    msg = mailer.build(
        Mail(
            to=("José Núñez <jose@example.com>",),
            subject="Recibo ✓",
            text="Gracias ñ\n",
            html="<p>ñ</p>",
            message_id="k",
        )
    )
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert (str(parsed["To"]), str(parsed["From"]), str(parsed["Subject"])) == (
        "José Núñez <jose@example.com>",
        "Green Acres Ñ <portal@greenacres.test>",
        "Recibo ✓",
    )
    assert parsed.get_body(("plain",)).get_content() == "Gracias ñ\n"
    with pytest.raises(ValueError):
        mailer.build(Mail(to=("a@b.co\r\nBcc: everyone@example.com",), subject="x", text="t"))


def test_both_storages_classify_database_errors_with_one_function():
    """Issue 22: ``errors.database_error`` is the one mapping of a driver's error, for
    ``SqlStorage`` and ``DjangoStorage`` alike: lost races are conflicts (retried), the rest a
    storage error naming only the driver's class, never its text."""
    import sqlite3

    import psycopg.errors

    from portalkit.errors import Conflict, StorageError, database_error

    assert type(database_error(sqlite3.IntegrityError("UNIQUE constraint failed: x"))) is Conflict
    assert type(database_error(psycopg.errors.UniqueViolation("dup"))) is Conflict
    assert type(database_error(psycopg.errors.SerializationFailure("x"))) is Conflict
    assert type(database_error(psycopg.errors.DeadlockDetected("x"))) is Conflict
    assert type(database_error(sqlite3.OperationalError("database is locked"))) is Conflict
    leak = database_error(sqlite3.OperationalError("no such column: secret-value"))
    assert type(leak) is StorageError and "secret-value" not in str(leak) and "OperationalError" in str(leak)
    for module in ("adapters/sql.py", "contrib/django/storage.py"):
        source = (Path(__file__).parent.parent / "src/portalkit" / module).read_text()
        assert "database_error(" in source and "could not serialize" not in source and "_raw_delete" not in source
