"""A newcomer follows README and the embedding docs (issue 23): the project's wheel installed in a
fresh virtual environment (dependencies from this interpreter, as tests/test_wheel.py does), then
in an empty folder

- a new Flask app written from the ``# file:`` blocks of docs/embedding-flask.md — its own staff
  users, its own records in its own database — run as that page says: ``python seed.py``,
  ``flask --app app portal-sync``, the app (through Flask's test client) and
  ``python -m portalkit.worker --factory myportal:build --once`` for mail, events and autopay,
  with mail through SMTP to a local server;
- a new Django project made by ``django-admin startproject``, with the lines at the top of
  docs/embedding-django.md and the ``# file:`` blocks of that page and of docs/embedding.md (the
  signal recipe): ``makemigrations``, ``migrate``, ``createsuperuser``, the site (Django's test
  client) and ``manage.py portalkit_worker --once``.

Each goes through staff sign-in, an invitation mailed by the worker, sign-up from its link (the
token after "#", posted by the page), login, the dashboard, a card payment whose settlement the
worker tells the app's books by the app's own invoice id, and autopay charging the next invoice
that comes due. Paying through Stripe against localstripe is the adapter's README test's
(adapters/portalkit-stripe/tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest
from test_doc_blocks import ROOT, blocks, project_files

# The pages each app is built from (test_doc_blocks checks that every ``# file:`` block is in one).
PROJECT_PAGES = {"flask": ("docs/embedding-flask.md",), "django": ("docs/embedding-django.md", "docs/embedding.md")}
OWNER_PASSWORD = "olive-owner-2026"


@pytest.fixture(scope="module")
def python(tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel of this checkout installed (not the source tree)."""
    where = tmp_path_factory.mktemp("newcomer-venv")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(where / "dist"),
        ],
        check=True,
        timeout=300,
        cwd=where,
    )
    [wheel] = (where / "dist").glob("fieldportalkit-*.whl")
    venv.create(where / "venv", with_pip=False, system_site_packages=True)
    python = where / "venv" / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        timeout=300,
    )
    return python


def environment(**extra: str) -> dict[str, str]:
    """A newcomer's shell: nothing of this checkout on the path, the settings the pages ask for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTALKIT_", "STRIPE_", "DJANGO_", "PYTHON"))}
    env.update(PORTALKIT_SECRET_KEY="newcomer-secret-" + "k" * 40, **extra)
    return env


def run(python: Path, args: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> str:
    done = subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(args)[:200]}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout + done.stderr


def write_files(folder: Path, *pages: str) -> list[str]:
    written = []
    for block in project_files(*pages):
        path = folder / block.path
        path.parent.mkdir(parents=True, exist_ok=True)
        code = block.code.split("\n", 1)[1]  # without the "# file:" line
        if block.append:
            path.write_text(path.read_text() + "\n\n" + code)
        else:
            path.write_text(code)
        written.append(block.path)
    return written


# What the driver scripts share: a browser on a test client (cookies, the page's CSRF field), the
# worker run as the page says, and the mailed link followed as a browser does.
COMMON = '''
import re, subprocess, sys
from datetime import date
from pathlib import Path

import portalkit
assert Path(portalkit.__file__).resolve().is_relative_to(Path(sys.prefix).resolve()), portalkit.__file__
from portalkit.adapters.payments import card_token

PASSWORD = "birch-lane-2026"


def worker(*command):
    done = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    print("worker:", done.stdout.strip())
    return done.stdout + done.stderr


class Browser:
    def __init__(self, client, field):
        self.client, self.field = client, field

    def get(self, path):
        return self.client.get(path, **self.extra)

    def post(self, path, data, page=None):
        html = self.text(self.get(page or path))
        token = re.search(r'name="%s" value="([^"]+)"' % self.field, html).group(1)
        return self.client.post(path, data={self.field: token, **data}, **self.extra)

    def open_link(self, link):
        """A mailed link: the page (no token in its URL) whose script posts the token after "#"."""
        path, token = link.split("#")
        path = "/portal" + path.split("/portal", 1)[1]
        assert 'id="link-form"' in self.text(self.get(path))
        return self.post(path, {"link_token": token})


def journey(staff, customer, again, portal, contact_id, invoice_id, new_invoice, run_worker, mailed_link):
    """Staff invite; the worker mails; sign-up, login, dashboard; a card payment told to the books;
    autopay charges the next invoice that comes due."""
    r = staff.post("/portal/staff/login", {"email": "olive@greenacres.example", "password": OWNER_PASSWORD})
    assert r.status_code == 303, r.status_code
    r = staff.post("/portal/staff/invitations", {"contact": [contact_id]}, page="/portal/staff")
    assert r.status_code == 303, r.status_code
    out = run_worker()
    assert re.search(r"delivered [1-9]\\d* message", out), out  # the invitation (and its event for the host)
    link = mailed_link()
    assert customer.open_link(link).status_code == 303
    r = customer.post("/portal/signup", {"password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 303, r.status_code
    r = again.post("/portal/login", {"email": "dana@example.com", "password": PASSWORD})
    assert r.status_code == 303, r.status_code
    html = again.text(again.get("/portal/dashboard"))
    assert "2026-0001" in html and "$120.00" in html and "Birch Lane Park" in html
    r = again.post("/portal/payment-methods", {"action": "add", "token": card_token("4242 4242 4242 4242", 12, 2031)})
    assert r.status_code == 303, r.status_code
    [method] = portal.payments.methods(portal.directory.contact(contact_id))
    pay = f"/portal/invoices/{invoice_id}/pay"
    key = re.search(r'name="key" value="([^"]+)"', again.text(again.get(pay))).group(1)
    r = again.post(pay, {"method": method.id, "amount": "120.00", "key": key}, page=pay)
    assert r.status_code == 303, r.status_code
    assert portal.processor.settle_due(portal.webhooks.receive) == 1  # the processor's webhook
    out = run_worker()  # the receipt, and payment.settled for the app's books
    assert re.search(r"delivered [1-9]\\d* message", out), out
    r = again.post("/portal/profile", {"action": "autopay_on", "method": method.id, "agreed": "1"})
    assert r.status_code == 303, r.status_code
    new_invoice()  # the app bills again: due today
    out = run_worker()
    assert "started 1 automatic payment(s)" in out, out
    return out
'''

FLASK_DRIVER = (
    COMMON
    + """
import os, socket
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Inbox:
    messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
smtp = Controller(Inbox(), hostname="127.0.0.1", port=port)
smtp.start()
os.environ.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_STARTTLS="0")

import books
from app import app, portal
from portalkit import Invoice


class FlaskBrowser(Browser):
    extra = {"base_url": "https://localhost"}  # the session cookie is Secure

    @staticmethod
    def text(response):
        return response.get_data(as_text=True)


def mailed_link():
    [mail] = Inbox.messages
    assert mail["To"] == "dana@example.com" and "portal@greenacres.example" in mail["From"], (mail["To"], mail["From"])
    assert mail["Reply-To"] == "olive@greenacres.example"
    return re.search(r"https?://\\S+/signup#[\\w.-]+", mail.get_body(("plain",)).get_content()).group(0)


def new_invoice():
    books.add("invoice", id="inv-2", site="site-1", number="2026-0002", total="80.00", issued=date.today(), net_days=0)
    assert "invoices: 1 new" in app.test_cli_runner().invoke(args=["portal-sync"]).output


browsers = [FlaskBrowser(app.test_client(), "csrf_token") for _ in range(3)]
out = journey(*browsers, portal, portal.directory.contact_by_host_id("co-1").id,
              portal.directory.by_host_id(Invoice, "inv-1").id, new_invoice,
              lambda: worker("-m", "portalkit.worker", "--factory", "myportal:build", "--once"), mailed_link)
assert books.balance("inv-1") == 0, books.rows("payment")  # the books heard of the payment, by "inv-1"
assert portal.directory.by_host_id(Invoice, "inv-1").amount_due == 0  # and the next sync said so
assert any(m["Subject"].startswith("Receipt") and m["To"] == "dana@example.com" for m in Inbox.messages)
smtp.stop()
print("flask app: ok")
"""
)


def test_a_new_flask_app_from_the_docs(python, tmp_path):
    folder = tmp_path / "greenacres"
    folder.mkdir()
    assert write_files(folder, *PROJECT_PAGES["flask"]) == ["books.py", "myportal.py", "app.py", "seed.py"]
    env = environment(FLASK_SECRET_KEY="flask-" + "s" * 40, OWNER_PASSWORD=OWNER_PASSWORD)
    run(python, ["seed.py"], folder, env)
    assert "invoices: 1 new" in run(python, ["-m", "flask", "--app", "app", "portal-sync"], folder, env)
    out = run(python, ["-c", FLASK_DRIVER.replace("OWNER_PASSWORD", repr(OWNER_PASSWORD))], folder, env)
    assert "flask app: ok" in out


DJANGO_DRIVER = (
    COMMON
    + """
import django
django.setup()
from django.db import transaction
from django.test import Client
from django.test.utils import setup_test_environment

setup_test_environment()  # the test client's host name (the worker, another process, sends the mail)

from billing.models import Contact, Customer, Invoice, Payment, Site
from portalkit import Invoice as PortalInvoice
from portalkit.contrib.django.conf import get_portal

with transaction.atomic():  # as the project's own screens would, in one transaction
    birch = Customer.objects.create(name="Birch Lane HOA")
    dana = Contact.objects.create(customer=birch, first_name="Dana", last_name="Birch", email="dana@example.com")
    park = Site.objects.create(customer=birch, name="Birch Lane Park", contact=dana)
    first = Invoice.objects.create(site=park, number="2026-0001", total="120.00", balance="120.00",
                                   issued_on=date(2026, 11, 2))
portal = get_portal()
assert portal.directory.by_host_id(PortalInvoice, str(first.pk)).number == "2026-0001"  # synced on commit


class DjangoBrowser(Browser):
    extra = {}

    def __init__(self):
        super().__init__(Client(enforce_csrf_checks=True), "csrfmiddlewaretoken")

    @staticmethod
    def text(response):
        return response.content.decode()


def mailed_link():
    from email import message_from_bytes, policy

    found = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in Path("sent-mail").glob("*.log")]
    [mail] = [m for m in found if m["To"] == "dana@example.com"]
    assert "portal@greenacres.example" in mail["From"] and mail["Reply-To"] == "olive@greenacres.example"
    return re.search(r"https?://\\S+/signup#[\\w.-]+", mail.get_body(("plain",)).get_content()).group(0)


def new_invoice():
    Invoice.objects.create(site=park, number="2026-0002", total="80.00", balance="80.00", issued_on=date.today(),
                           terms_days=0)


out = journey(DjangoBrowser(), DjangoBrowser(), DjangoBrowser(), portal, portal.directory.contact_by_host_id(str(dana.pk)).id,
              portal.directory.by_host_id(PortalInvoice, str(first.pk)).id, new_invoice,
              lambda: worker("manage.py", "portalkit_worker", "--once"), mailed_link)
first.refresh_from_db()
assert first.balance == 0 and Payment.objects.get().invoice_id == first.pk  # Books recorded it, by the pk
assert portal.directory.by_host_id(PortalInvoice, str(first.pk)).amount_due == 0  # and the signal sent it back
print("django project: ok")
"""
)


def test_a_new_django_project_from_the_docs(python, tmp_path):
    folder = tmp_path / "greenacres"
    folder.mkdir()
    env = environment(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", DJANGO_SUPERUSER_PASSWORD=OWNER_PASSWORD
    )
    run(python, ["-m", "django", "startproject", "greenacres", "."], folder, env)
    run(python, ["manage.py", "startapp", "billing"], folder, env)
    [quickstart] = [b for b in blocks(ROOT / PROJECT_PAGES["django"][0]) if b.kind == "needs"][:1]
    settings_part, urls_part = quickstart.code.split("# urls.py")
    for name, part in (("settings.py", settings_part), ("urls.py", urls_part)):
        path = folder / "greenacres" / name
        path.write_text(path.read_text() + "\n\n" + part)
    assert write_files(folder, *PROJECT_PAGES["django"]) == [
        "greenacres/settings.py",
        "greenacres/portal.py",
        "billing/models.py",
        "billing/apps.py",
        "billing/signals.py",
    ]
    run(python, ["manage.py", "makemigrations", "billing"], folder, env)
    run(python, ["manage.py", "migrate"], folder, env)
    run(
        python,
        ["manage.py", "createsuperuser", "--noinput", "--username", "olive", "--email", "olive@greenacres.example"],
        folder,
        env,
    )
    script = textwrap.dedent(DJANGO_DRIVER).replace("OWNER_PASSWORD", repr(OWNER_PASSWORD))
    out = run(python, ["-c", script], folder, {**env, "DJANGO_SETTINGS_MODULE": "greenacres.settings"})
    assert "django project: ok" in out
