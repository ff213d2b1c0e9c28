"""Both reference hosts through their frameworks' test clients: every screen, CSRF, and id isolation."""

import io
import os
import re
import tempfile
from urllib.parse import urlparse

import attrs
import pytest

from examples.flask_host import create_app
from portalkit.models import Comment, Invoice, Issue, PaymentMethod, Permission, Proposal, Property, StaffUser

from conftest import PNG_SIGNATURE
from hosts import CUSTOMER_PASSWORD, STAFF_PASSWORD, csrf_of, demo_site, link_in_mail


@attrs.frozen
class File:
    name: str
    data: bytes
    type: str


@attrs.frozen
class Page:
    status_code: int
    data: bytes
    headers: dict
    content_type: str

    def get_data(self, as_text=False):
        return self.data.decode() if as_text else self.data


def _convert(data: dict, one) -> dict:
    return {k: [one(x) for x in v] if isinstance(v, list) else one(v) for k, v in data.items()}


class Browser:
    """One visitor of a host (Flask or Django test client) that carries the CSRF token like a page would."""

    def __init__(self, app):
        self.kind, flask_app = app
        if self.kind == "flask":
            self.client = flask_app.test_client()
        else:
            from django.test import Client

            self.client = Client()

    def _page(self, r) -> Page:
        if self.kind == "flask":
            return Page(r.status_code, r.get_data(), dict(r.headers), r.content_type)
        return Page(r.status_code, r.content, dict(r.headers), r["Content-Type"])

    def get(self, path):
        return self._page(self.client.get(path))

    def raw_post(self, path, data):
        if self.kind == "flask":
            data = _convert(data, lambda v: (io.BytesIO(v.data), v.name, v.type) if isinstance(v, File) else v)
            return self._page(self.client.post(path, data=data))
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = _convert(data, lambda v: SimpleUploadedFile(v.name, v.data, v.type) if isinstance(v, File) else v)
        return self._page(self.client.post(path, data))

    def post(self, path, data=None, page=None):
        html = self.get(page or path).get_data(as_text=True)
        return self.raw_post(path, {"csrf": csrf_of(html), **(data or {})})


@pytest.fixture
def site(tmp_path):
    return demo_site(tmp_path)


@pytest.fixture(scope="module")
def django_ready():
    os.environ.setdefault("PORTALKIT_INSTANCE", tempfile.mkdtemp(prefix="portalkit-django-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_host.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@pytest.fixture(params=["flask", "django"])
def app(request, site):
    if request.param == "flask":
        return "flask", create_app(site, secure_cookies=False)
    request.getfixturevalue("django_ready")
    from examples.django_host import views

    views.use_site(site)
    return "django", None


def staff_browser(app):
    b = Browser(app)
    r = b.post("/staff/login", {"email": "manager@greenacres.example", "password": STAFF_PASSWORD})
    assert r.status_code == 303
    return b


def enrol(app, site, email):
    staff = staff_browser(app)
    contact = site.portal.directory.contact_by_email(email)
    r = staff.post("/staff/invitations", {"contact": [contact.id]}, page="/staff")
    assert r.status_code == 303
    link = urlparse(link_in_mail(site, email)).path
    b = Browser(app)
    r = b.get(link)  # ASVS 3.1.1: the token is exchanged for the session, then out of the URL
    assert r.status_code == 303 and r.headers["Location"] == "/signup"
    page = b.get("/signup")
    assert page.status_code == 200 and "Choose your password" in page.get_data(as_text=True)
    assert "/signup/" not in page.get_data(as_text=True)
    r = b.post("/signup", {"password": CUSTOMER_PASSWORD, "confirm": CUSTOMER_PASSWORD})
    assert "You are signed up" in r.get_data(as_text=True)
    r = b.post("/login", {"email": email, "password": CUSTOMER_PASSWORD})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard"
    return b


def test_host_full_customer_journey(app, site):
    alice = enrol(app, site, "alice@example.com")
    html = alice.get("/dashboard").get_data(as_text=True)
    assert "INV-1001" in html and "Oak Street Commons" in html and "Oak Street Pool" in html
    inv = next(i for i in site.portal.storage.find(Invoice) if i.number == "INV-1001")
    pdf = alice.get(f"/invoices/{inv.id}/pdf")
    assert pdf.content_type == "application/pdf" and pdf.get_data().startswith(b"%PDF")
    r = alice.post("/payment-methods", {"action": "add_card", "number": "4242424242424242", "exp_month": "12", "exp_year": "2031"})
    assert r.status_code == 303
    method = site.portal.storage.find(PaymentMethod)[0]
    pay_page = alice.get(f"/invoices/{inv.id}/pay").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', pay_page).group(1)
    r = alice.post(f"/invoices/{inv.id}/pay", {"method": method.id, "amount": "250.00", "key": key})
    assert r.status_code == 303
    html = alice.get("/dashboard").get_data(as_text=True)
    assert "Pay (Pmt Pending)" in html and "$250.00" in html
    proposal = next(p for p in site.portal.storage.find(Proposal) if p.number == "P-502")
    drip = next(s for s in proposal.services if s.name.startswith("Drip"))
    r = alice.post(f"/proposals/{proposal.id}/sign", {"signature": PNG_SIGNATURE, "service": [drip.id]})
    assert r.status_code == 303
    assert site.portal.storage.get(Proposal, proposal.id).signature.total == 1580
    prop = next(p for p in site.portal.storage.find(Property) if p.name == "Oak Street Commons")
    r = alice.post(f"/issues/new?property={prop.id}", {"property": prop.id, "subject": "Sprinkler leak", "priority": "High",
                                                        "notes": "by the gate", "files": [File("leak.png", b"\x89PNG photo", "image/png")]})
    assert r.status_code == 303
    issue_path = r.headers["Location"]
    assert "Sprinkler leak" in alice.get(issue_path).get_data(as_text=True)
    r = alice.post(issue_path + "/comments", {"text": "Still leaking"}, page=issue_path)
    assert "Still leaking" in alice.get(issue_path).get_data(as_text=True)


def test_host_post_without_csrf_is_refused(app, site):
    b = Browser(app)
    r = b.raw_post("/login", {"email": "alice@example.com", "password": "x"})
    assert r.status_code == 403 and "form has expired" in r.get_data(as_text=True)


def test_flask_cookie_flags(site):
    app = create_app(site)  # production defaults
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_django_cookie_flags(site, django_ready):
    from django.test import Client

    from examples.django_host import views

    views.use_site(site)
    cookie = Client().get("/login").cookies["portal_session"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"


def test_host_login_is_rate_limited(app, site):
    enrol(app, site, "bob@example.com")
    b = Browser(app)
    for _ in range(5):
        assert b.post("/login", {"email": "bob@example.com", "password": "wrong-pass1"}).status_code == 401
    r = b.post("/login", {"email": "bob@example.com", "password": CUSTOMER_PASSWORD})
    assert r.status_code == 401 and "Too many failed attempts" in r.get_data(as_text=True)


def test_host_no_stack_trace_for_bad_input(app, site):
    alice = enrol(app, site, "alice@example.com")
    for path in ("/invoices/zzz/pay", "/proposals/../etc", "/dashboard?property=<script>", "/issues/new?property=nope"):
        r = alice.get(path)
        assert r.status_code in (200, 404) and "Traceback" not in r.get_data(as_text=True)


def test_host_every_foreign_id_is_unreachable(app, site):
    """Sam (another customer) tries every record id in every URL: all 404, nothing changes."""
    alice = enrol(app, site, "alice@example.com")
    alice.post("/payment-methods", {"action": "add_card", "number": "4242424242424242", "exp_month": "12", "exp_year": "2031"})
    prop = next(p for p in site.portal.storage.find(Property) if p.name == "Oak Street Commons")
    alice.post(f"/issues/new?property={prop.id}", {"property": prop.id, "subject": "Private issue"})
    sam = enrol(app, site, "sam@example.com")
    storage = site.portal.storage
    sams = site.portal.directory.contact_by_email("sam@example.com")
    visible_props = {p.id for p in site.portal.visibility.properties(sams)}
    foreign = {
        "invoice": [i.id for i in storage.find(Invoice) if i.property_id not in visible_props],
        "proposal": [p.id for p in storage.find(Proposal) if p.property_id not in visible_props],
        "issue": [i.id for i in storage.find(Issue)],
        "method": [m.id for m in storage.find(PaymentMethod)],
        "property": [p.id for p in storage.find(Property) if p.id not in visible_props],
    }
    assert all(foreign.values())
    gets = [f"/invoices/{i}/pdf" for i in foreign["invoice"]] + [f"/invoices/{i}/pay" for i in foreign["invoice"]]
    gets += [f"/proposals/{i}" for i in foreign["proposal"]] + [f"/proposals/{i}/pdf" for i in foreign["proposal"]]
    gets += [f"/proposals/{i}/sign" for i in foreign["proposal"]] + [f"/issues/{i}" for i in foreign["issue"]]
    gets += [f"/issues/new?property={i}" for i in foreign["property"]]
    for path in gets:
        r = sam.get(path)
        assert r.status_code == 404, path
    for pid in foreign["property"]:
        html = sam.get(f"/dashboard?property={pid}").get_data(as_text=True)
        assert "Oak Street" not in html and "INV-1001" not in html
    csrf = csrf_of(sam.get("/dashboard").get_data(as_text=True))
    posts = [(f"/invoices/{i}/pay", {"method": m, "amount": "1.00", "key": "k"}) for i in foreign["invoice"] for m in foreign["method"]]
    posts += [(f"/proposals/{i}/sign", {"signature": PNG_SIGNATURE}) for i in foreign["proposal"]]
    posts += [(f"/issues/{i}/comments", {"text": "hi"}) for i in foreign["issue"]]
    posts += [("/payment-methods", {"action": a, "method": m}) for a in ("default", "remove") for m in foreign["method"]]
    for path, data in posts:
        r = sam.raw_post(path, {"csrf": csrf, **data})
        assert r.status_code == 404, path
    assert all(m.removed is False for m in storage.find(PaymentMethod))
    assert all(p.signature is None for p in storage.find(Proposal))
    assert all(i.pending_amount == 0 for i in storage.find(Invoice))


def test_host_staff_pages_need_staff_login(app, site):
    alice = enrol(app, site, "alice@example.com")
    for path in ("/staff", "/staff/mail", "/staff/payments"):
        r = alice.get(path)
        assert r.status_code == 303 and r.headers["Location"] == "/staff/login"


def test_host_staff_status_history_and_filter(app, site):
    enrol(app, site, "alice@example.com")
    staff = staff_browser(app)
    alice = site.portal.directory.contact_by_email("alice@example.com")
    html = staff.get(f"/staff/contacts/{alice.id}").get_data(as_text=True)
    assert html.index("invitation sent") < html.index("link opened") < html.index("registered")
    html = staff.get("/staff?status=Enrolled").get_data(as_text=True)
    assert "alice@example.com" in html and "bob@example.com" not in html


def test_host_issue_photos_are_served_to_the_owner_only(app, site):
    alice = enrol(app, site, "alice@example.com")
    prop = next(p for p in site.portal.storage.find(Property) if p.name == "Oak Street Commons")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    r = alice.post(f"/issues/new?property={prop.id}", {"property": prop.id, "subject": "Leak",
                                                        "files": [File("leak.png", png, "image/png"),
                                                                  File("<x>.txt", b"hello", "text/plain")]})
    path = r.headers["Location"]
    assert f'src="{path}/files/0"' in alice.get(path).get_data(as_text=True)
    photo = alice.get(path + "/files/0")
    assert photo.get_data() == png and photo.content_type == "image/png"
    text = alice.get(path + "/files/1")
    assert text.content_type == "application/octet-stream" and "attachment" in text.headers["Content-Disposition"]
    assert alice.get(path + "/files/2").status_code == 404
    sam = enrol(app, site, "sam@example.com")
    assert sam.get(path + "/files/0").status_code == 404


def test_host_forgot_and_reset_password(app, site):
    enrol(app, site, "alice@example.com")
    b = Browser(app)
    r = b.post("/forgot-password", {"email": "alice@example.com"})
    assert r.status_code == 303
    assert "If that email belongs to a portal account" in b.get("/login").get_data(as_text=True)
    link = urlparse(link_in_mail(site, "alice@example.com", "reset-password")).path
    r = b.get(link)
    assert r.status_code == 303 and r.headers["Location"] == "/reset-password"
    r = b.post("/reset-password", {"password": "new-garden-7", "confirm": "other-garden-7"})
    assert r.status_code == 400 and "do not match" in r.get_data(as_text=True)
    r = b.post("/reset-password", {"password": "new-garden-7", "confirm": "new-garden-7"})
    assert r.status_code == 303
    r = b.get(link)  # single use
    assert r.status_code == 400 and "already been used" in r.get_data(as_text=True)
    assert b.post("/login", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD}).status_code == 401
    assert b.post("/login", {"email": "alice@example.com", "password": "new-garden-7"}).status_code == 303


def test_host_profile_receipts_and_password_change_logs_out(app, site):
    alice = enrol(app, site, "alice@example.com")
    other_device = Browser(app)
    other_device.post("/login", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD})
    assert alice.post("/profile", {"action": "names", "first_name": "A1", "last_name": "Green"}).status_code == 400
    alice.post("/profile", {"action": "names", "first_name": "Alicia", "last_name": "Green"})
    alice.post("/profile", {"action": "receipts", "receipts": "1"})
    assert site.portal.directory.contact_by_email("alice@example.com").receipts_opt_in
    r = alice.post("/profile", {"action": "password", "current": CUSTOMER_PASSWORD, "password": "fresh-pass-9",
                                "confirm": "fresh-pass-9"})
    assert r.status_code == 303 and r.headers["Location"] == "/login"
    for device in (alice, other_device):
        r = device.get("/dashboard")
        assert r.status_code == 303 and r.headers["Location"] == "/login"


def test_host_property_switcher_and_filters(app, site):
    alice = enrol(app, site, "alice@example.com")
    pool = next(p for p in site.portal.storage.find(Property) if p.name == "Oak Street Pool")
    html = alice.get(f"/dashboard?property={pool.id}&view=invoices").get_data(as_text=True)
    assert "INV-1003" in html and "INV-1001" not in html
    commons = next(p for p in site.portal.storage.find(Property) if p.name == "Oak Street Commons")
    html = alice.get(f"/dashboard?property={commons.id}&view=invoices&filter=All+paid").get_data(as_text=True)
    assert "INV-0950" in html and "INV-1001" not in html
    html = alice.get(f"/dashboard?property={commons.id}&view=proposals&filter=Work-In-Process").get_data(as_text=True)
    assert "P-480" in html and "P-501" not in html and "Sign" not in html.split('id="proposals"')[1]


def test_host_staff_issue_workflow_and_quote_requests(app, site):
    alice = enrol(app, site, "alice@example.com")
    prop = next(p for p in site.portal.storage.find(Property) if p.name == "Oak Street Commons")
    issue_path = alice.post(f"/issues/new?property={prop.id}", {"property": prop.id, "subject": "Dead shrub"}).headers["Location"]
    issue_id = issue_path.rsplit("/", 1)[1]
    staff = staff_browser(app)
    assert "Dead shrub" in staff.get("/staff/issues").get_data(as_text=True)
    page = f"/staff/issues/{issue_id}"
    staff.post(f"{page}/comment", {"text": "Crew notes: replace next week", "files": [File("plan.pdf", b"%PDF-1.4", "application/pdf")]},
               page=page)
    staff.post(f"{page}/comment", {"text": "We will replace it on Tuesday", "public": "1",
                                   "files": [File("shrub.jpg", b"\xff\xd8jpeg", "image/jpeg")]}, page=page)
    html = alice.get(issue_path).get_data(as_text=True)
    assert "We will replace it on Tuesday" in html and "Crew notes" not in html and "shrub.jpg" not in html
    public = next(c for c in site.portal.storage.find(Comment) if c.public and c.by_staff)
    staff.post(f"{page}/share", {"comment": public.id}, page=page)
    assert "shrub.jpg" in alice.get(issue_path).get_data(as_text=True)
    staff.post(f"{page}/close", {}, page=page)
    assert "Add Comment" not in alice.get(issue_path).get_data(as_text=True)

    assert "Request a quote" not in alice.get(f"/dashboard?property={prop.id}&view=proposals").get_data(as_text=True)
    alice_id = site.portal.directory.contact_by_email("alice@example.com").id
    staff.post(f"/staff/contacts/{alice_id}/access", {"invoices": "1", "proposals": "1", "issues": "1",
                                                     "quote_requests": "1"}, page=f"/staff/contacts/{alice_id}")
    assert "Request a quote" in alice.get(f"/dashboard?property={prop.id}&view=proposals").get_data(as_text=True)
    r = alice.post(f"/quotes/new?property={prop.id}", {"property": prop.id, "description": "Holiday lights on the oak"})
    assert r.status_code == 303
    assert "Holiday lights on the oak" in staff.get("/staff/quotes").get_data(as_text=True)


def limited_staff_browser(app, site, permissions=()):
    admin = site.portal.storage.find(StaffUser, email="manager@greenacres.example")[0]
    site.portal.directory.add_staff(admin, "clerk@greenacres.example", "Casey Clerk", permissions=permissions)
    b = Browser(app)
    assert b.post("/staff/login", {"email": "clerk@greenacres.example", "password": STAFF_PASSWORD}).status_code == 303
    return b


def test_brd_3_host_branding_save_needs_the_settings_permission(app, site):
    clerk = limited_staff_browser(app, site, [Permission.MANAGE_ISSUES])
    r = clerk.post("/staff/branding", {"action": "save", "title": "Hacked", "button_colour": "#000000"})
    assert r.status_code == 403 and site.portal.config.branding.title != "Hacked"


def test_pay_6_host_settlement_needs_the_billing_permission(app, site):
    clerk = limited_staff_browser(app, site, [Permission.MANAGE_ISSUES])
    assert clerk.post("/staff/payments", {}).status_code == 403


def test_acc_3_host_staff_never_see_sign_up_or_reset_links(app, site):
    enrol(app, site, "alice@example.com")
    Browser(app).post("/forgot-password", {"email": "alice@example.com"})
    html = staff_browser(app).get("/staff/mail").get_data(as_text=True)
    assert "/signup/" not in html and "/reset-password/" not in html and "personal link" in html


def test_django_host_keeps_existing_loggers(django_ready):
    import logging

    from django.conf import settings

    assert settings.LOGGING["disable_existing_loggers"] is False
    assert not logging.getLogger("examples.common.site").disabled
