"""Both integrations (portalkit.contrib.flask and portalkit.contrib.django) mounted at /portal in
the reference hosts, through their frameworks' test clients: every screen, CSRF, IDOR, logout
revocation, session fixation, the host's own staff users."""

import hashlib
import os
import re
from decimal import Decimal

import pytest
from conftest import PNG_SIGNATURE
from hosts import (
    CUSTOMER_PASSWORD,
    PREFIX,
    STAFF_PASSWORD,
    Browser,
    File,
    add_staff_user,
    csrf_of,
    demo_portal,
    link_in_mail,
    make_app,
    path_of,
)

from examples.common.demo import SETTLE_PATH
from portalkit import Permission, Role
from portalkit.adapters.payments import card_token
from portalkit.models import (
    Attachment,
    Comment,
    Customer,
    Invoice,
    Issue,
    Payment,
    PaymentMethod,
    Property,
    Proposal,
    Report,
)


@pytest.fixture
def portal(request, tmp_path):
    """The Flask host's portal on SQLAlchemy; the Django host's in Django's own database."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("app") == "django":
        request.getfixturevalue("django_ready")
        from portalkit.contrib.django.storage import DjangoStorage

        storage = DjangoStorage()
        storage.truncate_all()
        return demo_portal(tmp_path, storage=storage)
    return demo_portal(tmp_path)


@pytest.fixture(scope="module")
def django_ready():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_host.settings")
    os.environ["PORTALKIT_STAFF_PASSWORD"] = STAFF_PASSWORD
    os.environ["PORTALKIT_BCRYPT_ROUNDS"] = "4"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@pytest.fixture(params=["flask", "django"])
def app(request, portal):
    if request.param == "django":
        request.getfixturevalue("django_ready")
    return make_app(request.param, portal)


def staff_browser(app, email="manager@greenacres.example"):
    b = Browser(app)
    r = b.post("/staff/login", {"email": email, "password": STAFF_PASSWORD})
    assert r.status_code == 303, r.get_data(as_text=True)
    return b


def enrol(app, portal, email):
    staff = staff_browser(app)
    contact = portal.directory.contact_by_email(email)
    r = staff.post("/staff/invitations", {"contact": [contact.id]}, page="/staff")
    assert r.status_code == 303
    link = link_in_mail(portal, email)
    b = Browser(app)
    r = b.open_link(link)  # ASVS 3.1.1: the token is posted, never in a URL, and kept in the session
    assert r.status_code == 303 and r.location == PREFIX + "/signup"
    page = b.get("/signup")
    assert page.status_code == 200 and "Choose your password" in page.get_data(as_text=True)
    assert "/signup#" not in page.get_data(as_text=True)
    r = b.post("/signup", {"password": CUSTOMER_PASSWORD, "confirm": CUSTOMER_PASSWORD})
    assert r.status_code == 303 and r.location == PREFIX + "/dashboard"  # issue 24: signing up signs in
    assert "You are signed up" in b.get("/dashboard").get_data(as_text=True)
    r = b.post("/login", {"email": email, "password": CUSTOMER_PASSWORD})
    assert r.status_code == 303 and r.location == PREFIX + "/dashboard"
    return b


def test_host_full_customer_journey(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    html = alice.get("/dashboard").get_data(as_text=True)
    assert "INV-1001" in html and "Oak Street Commons" in html and "Oak Street Pool" in html and "$1,250.00" in html
    inv = next(i for i in portal.storage.find(Invoice) if i.number == "INV-1001")
    pdf = alice.get(f"/invoices/{inv.id}/pdf")
    assert pdf.content_type == "application/pdf" and pdf.get_data().startswith(b"%PDF")
    r = alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    assert r.status_code == 303
    method = portal.storage.find(PaymentMethod)[0]
    pay_page = alice.get(f"/invoices/{inv.id}/pay").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', pay_page).group(1)
    r = alice.post(f"/invoices/{inv.id}/pay", {"method": method.id, "amount": "250.00", "key": key})
    assert r.status_code == 303
    html = alice.get("/dashboard").get_data(as_text=True)
    assert "Processing" in html and "$250.00 processing" in html  # issue 24: a status badge, not "Pmt Pending"
    assert "pending" in alice.get(f"/invoices/{inv.id}/pay").get_data(as_text=True).lower()
    proposal = next(p for p in portal.storage.find(Proposal) if p.number == "P-502")
    drip = next(s for s in proposal.services if s.name.startswith("Drip"))
    r = alice.post(f"/proposals/{proposal.id}/sign", {"signature": PNG_SIGNATURE, "service": [drip.id]})
    assert r.status_code == 303
    assert portal.storage.get(Proposal, proposal.id).signature.total == 1580
    shown = alice.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Drip line for beds" in shown and "chosen" in shown.lower()
    r = alice.get(f"/proposals/{proposal.id}/sign")  # signed: the pad is not offered again
    assert r.status_code == 303 and r.location == f"{PREFIX}/proposals/{proposal.id}"
    prop = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    r = alice.post(
        f"/issues/new?property={prop.id}",
        {
            "property": prop.id,
            "subject": "Sprinkler leak",
            "priority": "High",
            "notes": "by the gate",
            "files": [File("leak.png", b"\x89PNG photo", "image/png")],
        },
    )
    assert r.status_code == 303
    issue_path = r.location
    staff = staff_browser(app)
    [leak_file] = portal.storage.find(Attachment, issue_id=issue_path.rsplit("/", 1)[1])
    leak = staff.get(f"/staff/issues/{leak_file.issue_id}/files/{leak_file.id}")
    assert leak.status_code == 200 and leak.content_type == "image/png" and leak.get_data() == b"\x89PNG photo"
    assert "Sprinkler leak" in alice.get(issue_path).get_data(as_text=True)
    alice.post(issue_path + "/comments", {"text": "Still leaking"}, page=issue_path)
    assert "Still leaking" in alice.get(issue_path).get_data(as_text=True)


def test_host_is_mounted_under_a_prefix_next_to_the_hosts_own_pages(app, portal):
    kind, flask_app = app
    if kind == "flask":
        home = flask_app.test_client().get("/")
        body, status = home.get_data(as_text=True), home.status_code
    else:
        from django.test import Client

        home = Client().get("/")
        body, status = home.content.decode(), home.status_code
    assert status == 200 and "Green Acres Field Service" in body
    login = Browser(app).get("/login")
    assert login.status_code == 200 and f'action="{PREFIX}/login"' in login.get_data(as_text=True)
    assert f'href="{PREFIX}/static/portal.css"' in login.get_data(as_text=True)


def test_host_post_without_csrf_is_refused(app, portal):
    b = Browser(app)
    r = b.raw_post("/login", {"email": "alice@example.com", "password": "x"})
    assert r.status_code == (400 if app[0] == "flask" else 403)
    r = b.raw_post(
        "/login",
        {"email": "alice@example.com", "password": "x", csrf_of(b.get("/login").get_data(as_text=True))[0]: "forged"},
    )
    assert r.status_code == (400 if app[0] == "flask" else 403)


def test_host_logout_revokes_a_copied_session_cookie(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    thief = alice.clone(app[0:1] + app[1:])
    assert thief.get("/dashboard").status_code == 200
    r = alice.post("/logout", {}, page="/dashboard")
    assert r.status_code == 303 and r.location == PREFIX + "/login"
    r = thief.get("/dashboard")
    assert r.status_code == 303 and r.location == PREFIX + "/login"


def test_host_login_gives_a_new_session(app, portal):
    """No session fixation: the session that existed before login is not the one after it."""
    enrol(app, portal, "alice@example.com")
    b = Browser(app)
    b.get("/login")
    before = b.session_cookie()
    assert b.post("/login", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD}).status_code == 303
    assert b.session_cookie() != before
    if app[0] == "django":
        from django.contrib.sessions.models import Session

        assert not Session.objects.filter(session_key=before).exists()


def test_host_staff_login_gives_a_new_session_and_is_throttled(app, portal):
    b = Browser(app)
    b.get("/staff/login")
    before = b.session_cookie()
    staff_browser(app)  # a good login works
    for _ in range(5):
        r = b.post("/staff/login", {"email": "manager@greenacres.example", "password": "wrong-pass-1"})
        assert r.status_code == 401
    r = b.post("/staff/login", {"email": "manager@greenacres.example", "password": STAFF_PASSWORD})
    assert r.status_code == 401 and "Too many failed attempts" in r.get_data(as_text=True)
    assert b.session_cookie() == before or b.session_cookie() is None or app[0] == "flask"


def test_flask_staff_session_expires(portal, monkeypatch):
    from datetime import timedelta

    app = make_app("flask", portal)
    staff = staff_browser(app)
    assert staff.get("/staff").status_code == 200
    later = portal.clock.now() + timedelta(hours=8, seconds=1)
    monkeypatch.setattr(portal.clock, "now", lambda: later)
    r = staff.get("/staff")
    assert r.status_code == 303 and r.location == PREFIX + "/staff/login"


def test_django_staff_session_expires(portal, django_ready):
    app = make_app("django", portal)
    staff = staff_browser(app)
    assert staff.client.session.get_expiry_age() == 8 * 3600


def test_flask_cookie_flags(portal):
    _, app = make_app("flask", portal, secure_cookies=True)
    cookie = app.test_client().get(PREFIX + "/login").headers["Set-Cookie"]  # the CSRF secret starts a session
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_django_cookie_flags(portal, django_ready):
    from django.test import Client

    make_app("django", portal)
    client = Client()
    client.get(PREFIX + "/login")
    cookie = client.cookies["csrftoken"]
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert cookie["samesite"] == "Lax"


def test_host_login_is_rate_limited(app, portal):
    enrol(app, portal, "bob@example.com")
    b = Browser(app)
    for _ in range(5):
        assert b.post("/login", {"email": "bob@example.com", "password": "wrong-pass1"}).status_code == 401
    r = b.post("/login", {"email": "bob@example.com", "password": CUSTOMER_PASSWORD})
    assert r.status_code == 401 and "Too many failed attempts" in r.get_data(as_text=True)


def test_host_no_stack_trace_for_bad_input(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    for path in (
        "/invoices/zzz/pay",
        "/proposals/../etc",
        "/dashboard?property=<script>",
        "/issues/new?property=nope",
        "/static/../../etc/passwd",
    ):
        r = alice.get(path)
        assert r.status_code in (200, 404) and "Traceback" not in r.get_data(as_text=True)


def test_host_every_foreign_id_is_unreachable(app, portal):
    """Sam (another customer) tries every record id in every URL: all 404, nothing changes."""
    alice = enrol(app, portal, "alice@example.com")
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    prop = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    alice.post(f"/issues/new?property={prop.id}", {"property": prop.id, "subject": "Private issue"})
    sam = enrol(app, portal, "sam@example.com")
    storage = portal.storage
    sams = portal.directory.contact_by_email("sam@example.com")
    visible_props = {p.id for p in portal.visibility.properties(sams)}
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
    gets += [f"/issues/new?property={i}" for i in foreign["property"]] + [
        f"/issues/{i}/files/0" for i in foreign["issue"]
    ]
    for path in gets:
        r = sam.get(path)
        assert r.status_code == 404, path
    for pid in foreign["property"]:
        html = sam.get(f"/dashboard?property={pid}").get_data(as_text=True)
        assert "Oak Street" not in html and "INV-1001" not in html
    name, token = csrf_of(sam.get("/dashboard").get_data(as_text=True))
    posts = [
        (f"/invoices/{i}/pay", {"method": m, "amount": "1.00", "key": "k"})
        for i in foreign["invoice"]
        for m in foreign["method"]
    ]
    posts += [(f"/proposals/{i}/sign", {"signature": PNG_SIGNATURE}) for i in foreign["proposal"]]
    posts += [(f"/issues/{i}/comments", {"text": "hi"}) for i in foreign["issue"]]
    posts += [
        ("/payment-methods", {"action": a, "method": m}) for a in ("default", "remove") for m in foreign["method"]
    ]
    for path, data in posts:
        r = sam.raw_post(path, {name: token, **data})
        assert r.status_code == 404, path
    assert all(m.removed is False for m in storage.find(PaymentMethod))
    assert sam.raw_post("/webhooks/processor", {}).status_code == 400  # unsigned: refused, nothing applied
    assert all(p.signature is None for p in storage.find(Proposal))
    assert all(i.pending_amount == 0 for i in storage.find(Invoice))


def test_host_staff_pages_need_a_staff_login(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    for path in ("/staff", "/staff/issues", "/staff/payments"):
        r = alice.get(path)
        assert r.status_code == 303 and r.location == PREFIX + "/staff/login"


def test_host_staff_status_history_and_filter(app, portal):
    enrol(app, portal, "alice@example.com")
    staff = staff_browser(app)
    alice = portal.directory.contact_by_email("alice@example.com")
    html = staff.get(f"/staff/contacts/{alice.id}").get_data(as_text=True)
    assert html.index("invitation sent") < html.index("link opened") < html.index("registered")
    html = staff.get("/staff?status=Enrolled").get_data(as_text=True)
    assert "alice@example.com" in html and "bob@example.com" not in html


def test_inv_7_host_says_who_was_invited_and_who_was_skipped(app, portal):
    enrol(app, portal, "alice@example.com")
    staff = staff_browser(app)
    ids = [portal.directory.contact_by_email(e).id for e in ("alice@example.com", "bob@example.com")]
    nora = next(c for c in portal.storage.find(type(portal.directory.contact(ids[0]))) if c.first_name == "Nora")
    staff.post("/staff/invitations", {"contact": ids + [nora.id]}, page="/staff")
    html = staff.get("/staff").get_data(as_text=True)
    assert "Invitation sent to 1 contact; 2 skipped: already enrolled, no email." in html
    assert "/signup#" not in html  # staff never see a contact's personal link


def test_host_issue_photos_are_served_to_the_owner_only(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    prop = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    r = alice.post(
        f"/issues/new?property={prop.id}",
        {
            "property": prop.id,
            "subject": "Leak",
            "files": [File("leak.png", png, "image/png"), File("<x>.txt", b"hello", "text/plain")],
        },
    )
    path = r.location
    leak, note = sorted(portal.storage.find(Attachment, issue_id=path.rsplit("/", 1)[1]), key=lambda a: a.position)
    assert f'src="{path}/files/{leak.id}"' in alice.get(path).get_data(as_text=True)
    photo = alice.get(f"{path}/files/{leak.id}")
    assert photo.get_data() == png and photo.content_type == "image/png"
    text = alice.get(f"{path}/files/{note.id}")
    assert text.content_type == "text/plain; charset=utf-8" and "attachment" in text.headers["Content-Disposition"]
    assert alice.get(path + "/files/0").status_code == 404
    sam = enrol(app, portal, "sam@example.com")
    assert sam.get(f"{path}/files/{leak.id}").status_code == 404


def test_host_forgot_and_reset_password(app, portal):
    enrol(app, portal, "alice@example.com")
    b = Browser(app)
    r = b.post("/forgot-password", {"email": "alice@example.com"})
    assert r.status_code == 303
    assert "If that email belongs to a portal account" in b.get("/login").get_data(as_text=True)
    link = link_in_mail(portal, "alice@example.com", "reset-password")
    r = b.open_link(link)
    assert r.status_code == 303 and r.location == PREFIX + "/reset-password"
    r = b.post("/reset-password", {"password": "new-garden-7", "confirm": "other-garden-7"})
    assert r.status_code == 400 and "do not match" in r.get_data(as_text=True)
    r = b.post("/reset-password", {"password": "new-garden-7", "confirm": "new-garden-7"})
    assert r.status_code == 303
    r = Browser(app).open_link(link)  # single use
    assert r.status_code == 400 and "already been used" in r.get_data(as_text=True)
    assert b.post("/login", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD}).status_code == 401
    assert b.post("/login", {"email": "alice@example.com", "password": "new-garden-7"}).status_code == 303


def test_host_profile_receipts_and_password_change_logs_out(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    other_device = Browser(app)
    other_device.post("/login", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD})
    assert alice.post("/profile", {"action": "names", "first_name": "A1", "last_name": "Green"}).status_code == 400
    alice.post("/profile", {"action": "names", "first_name": "Alicia", "last_name": "Green"})
    alice.post("/profile", {"action": "receipts", "receipts": "1"})
    assert portal.directory.contact_by_email("alice@example.com").receipts_opt_in
    r = alice.post(
        "/profile",
        {"action": "password", "current": CUSTOMER_PASSWORD, "password": "fresh-pass-9", "confirm": "fresh-pass-9"},
    )
    assert r.status_code == 303 and r.location == PREFIX + "/login"
    for device in (alice, other_device):
        r = device.get("/dashboard")
        assert r.status_code == 303 and r.location == PREFIX + "/login"


def test_host_property_switcher_and_filters(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    pool = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Pool")
    html = alice.get(f"/dashboard?property={pool.id}&view=invoices").get_data(as_text=True)
    table = html.split('id="invoices"')[1]  # the summary above it adds up every property (issue 24)
    assert "INV-1003" in table and "INV-1001" not in table
    commons = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    html = alice.get(f"/dashboard?property={commons.id}&view=invoices&filter=All+paid").get_data(as_text=True)
    table = html.split('id="invoices"')[1]
    assert "INV-0950" in table and "INV-1001" not in table
    html = alice.get(f"/dashboard?property={commons.id}&view=proposals&filter=Work-In-Process").get_data(as_text=True)
    assert "P-480" in html and "P-501" not in html and "Sign" not in html.split('id="proposals"')[1]


def test_host_staff_issue_workflow_and_quote_requests(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    prop = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    issue_path = alice.post(f"/issues/new?property={prop.id}", {"property": prop.id, "subject": "Dead shrub"}).location
    issue_id = issue_path.rsplit("/", 1)[1]
    staff = staff_browser(app)
    assert "Dead shrub" in staff.get("/staff/issues").get_data(as_text=True)
    page = f"/staff/issues/{issue_id}"
    staff.post(
        f"{page}/comment",
        {"text": "Crew notes: replace next week", "files": [File("plan.pdf", b"%PDF-1.4", "application/pdf")]},
        page=page,
    )
    staff.post(
        f"{page}/comment",
        {
            "text": "We will replace it on Tuesday",
            "public": "1",
            "files": [File("shrub.jpg", b"\xff\xd8\xff\xe0jpeg", "image/jpeg")],
        },
        page=page,
    )
    html = alice.get(issue_path).get_data(as_text=True)
    assert "We will replace it on Tuesday" in html and "Crew notes" not in html and "shrub.jpg" not in html
    public = next(c for c in portal.storage.find(Comment) if c.public and c.by_staff)
    staff.post(f"{page}/share", {"comment": public.id}, page=page)
    assert "shrub.jpg" in alice.get(issue_path).get_data(as_text=True)
    staff.post(f"{page}/close", {}, page=page)
    assert "Add Comment" not in alice.get(issue_path).get_data(as_text=True)
    # issue 14: staff open every file, shared or not, from the issue page
    notes = next(c for c in portal.storage.find(Comment) if not c.public and c.by_staff)
    [plan_file] = portal.storage.find(Attachment, issue_id=issue_id, comment_id=notes.id)
    assert f"/staff/issues/{issue_id}/files/{plan_file.id}" in staff.get(page).get_data(as_text=True)
    plan = staff.get(f"{page}/files/{plan_file.id}")
    assert plan.status_code == 200 and plan.content_type == "application/pdf" and plan.get_data() == b"%PDF-1.4"
    assert alice.get(f"/staff/issues/{issue_id}/files/{plan_file.id}").status_code in (302, 303)
    assert alice.get(f"/issues/{issue_id}/files/{plan_file.id}").status_code == 404  # not shared

    assert "Request a quote" not in alice.get(f"/dashboard?property={prop.id}&view=proposals").get_data(as_text=True)
    alice_id = portal.directory.contact_by_email("alice@example.com").id
    staff.post(
        f"/staff/contacts/{alice_id}/access",
        {"invoices": "1", "proposals": "1", "issues": "1", "quote_requests": "1"},
        page=f"/staff/contacts/{alice_id}",
    )
    assert "Request a quote" in alice.get(f"/dashboard?property={prop.id}&view=proposals").get_data(as_text=True)
    r = alice.post(f"/quotes/new?property={prop.id}", {"property": prop.id, "description": "Holiday lights on the oak"})
    assert r.status_code == 303
    assert "Holiday lights on the oak" in staff.get("/staff/quotes").get_data(as_text=True)


def test_brd_3_host_branding_preview_and_save(app, portal):
    staff = staff_browser(app)
    form = {
        "title": "Blue Sky Portal",
        "nav_bar_colour": "#0055AA",
        "button_colour": "#112233",
        "page_text": "Hello <b>",
        "dashboard_text": "",
        "show_invoices": "1",
        "show_proposals": "1",
        "enabled": "1",
        "electronic_payment_enabled": "1",
    }
    html = staff.post("/staff/branding", {**form, "action": "preview"}).get_data(as_text=True)
    assert "--nav: #0055AA" in html and "Blue Sky Portal" in html and "Hello &lt;b&gt;" in html
    assert portal.config.branding.nav_bar_colour != "#0055AA"  # not saved
    bad = staff.post("/staff/branding", {**form, "nav_bar_colour": "0055AA", "action": "preview"})
    assert bad.status_code == 400 and "hex colour" in bad.get_data(as_text=True)
    staff.post("/staff/branding", {**form, "action": "save"})
    assert portal.config.branding.nav_bar_colour == "#0055AA" and not portal.config.show_issues


def test_pay_5_host_company_without_partial_payments_shows_no_amount_and_refuses_a_part(app, portal):
    staff = staff_browser(app)
    page = staff.get("/staff/branding").get_data(as_text=True)
    assert re.search(r'name="partial_payments"[^>]*checked', page)  # on unless the company turns it off
    shown = {"show_invoices": "1", "show_proposals": "1", "show_issues": "1"}
    staff.post("/staff/branding", {"enabled": "1", "electronic_payment_enabled": "1", **shown, "action": "save"})
    assert portal.config.partial_payments is False
    alice = enrol(app, portal, "alice@example.com")
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    method = portal.storage.find(PaymentMethod)[0]
    inv = next(i for i in portal.storage.find(Invoice) if i.number == "INV-1001")
    pay_page = alice.get(f"/invoices/{inv.id}/pay").get_data(as_text=True)
    assert 'id="partial-hint"' not in pay_page
    assert re.search(rf'<input type="hidden" name="amount-{inv.id}"[^>]*value="1250.00"', pay_page)
    key = re.search(r'name="key" value="([^"]+)"', pay_page).group(1)
    refused = alice.post(f"/invoices/{inv.id}/pay", {"method": method.id, "amount": "250.00", "key": key})
    assert refused.status_code == 400 and "Pay the whole amount due, $1,250.00." in refused.get_data(as_text=True)
    assert portal.storage.find(Payment) == []


def test_brd_3_host_branding_save_needs_the_settings_permission(app, portal):
    add_staff_user(app, "clerk@greenacres.example", [Permission.MANAGE_ISSUES])
    clerk = staff_browser(app, "clerk@greenacres.example")
    assert clerk.get("/staff/branding").status_code == 403
    r = clerk.raw_post(
        "/staff/branding",
        {
            csrf_of(clerk.get("/staff/issues").get_data(as_text=True))[0]: csrf_of(
                clerk.get("/staff/issues").get_data(as_text=True)
            )[1],
            "action": "save",
            "title": "Hacked",
            "button_colour": "#000000",
        },
    )
    assert r.status_code == 403 and portal.config.branding.title != "Hacked"


def test_pay_6_host_settlement_needs_the_billing_permission(app, portal):
    """The demo's "Let the test processor answer now" is the reference hosts' own page
    (examples/common/demo.py), on the portal's staff sign-in and CSRF field: only staff with
    the billing permission make the fake processor answer; the portal's page takes no post."""
    alice = enrol(app, portal, "alice@example.com")
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    contact = portal.directory.contact_by_email("alice@example.com")
    inv = next(i for i in portal.storage.find(Invoice) if i.number == "INV-1001")
    payment = portal.payments.pay(contact, inv.id, portal.storage.find(PaymentMethod)[0].id, "100.00", "k1")
    add_staff_user(app, "clerk2@greenacres.example", [Permission.MANAGE_ISSUES])
    clerk = staff_browser(app, "clerk2@greenacres.example")
    name, token = csrf_of(clerk.get("/staff/issues").get_data(as_text=True))
    assert clerk.host_post(SETTLE_PATH, {name: token}).status_code == 403
    assert clerk.raw_post("/staff/payments", {name: token}).status_code == 405
    anonymous = Browser(app)
    name, token = csrf_of(anonymous.get("/login").get_data(as_text=True))
    assert path_of(anonymous.host_post(SETTLE_PATH, {name: token}).location) == PREFIX + "/staff/login"
    assert portal.storage.get(type(payment), payment.id).status.value == "processing"
    manager = staff_browser(app)
    page = manager.get("/staff/payments").get_data(as_text=True)
    assert 'id="settle"' in page and f'action="{SETTLE_PATH}"' in page
    assert manager.host_post(SETTLE_PATH, {}).status_code in (400, 403)  # no CSRF field
    r = manager.host_post(SETTLE_PATH, dict([csrf_of(page)]))
    assert r.status_code in (302, 303) and path_of(r.location) == PREFIX + "/staff/payments"
    assert "The processor answered 1 time(s)." in manager.get("/staff/payments").get_data(as_text=True)
    assert portal.storage.get(type(payment), payment.id).status.value == "settled"


def test_django_staff_permissions_come_from_django(portal, django_ready):
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    from portalkit.contrib.django.views import staff_user

    add_staff_user(("django", None), "perm@greenacres.example", [Permission.MANAGE_ISSUES])
    request = RequestFactory().get("/")
    request.user = User.objects.get(username="perm@greenacres.example")
    assert staff_user(request).permissions == frozenset({Permission.MANAGE_ISSUES})
    request.user = User.objects.get(username="manager")
    assert staff_user(request).permissions == frozenset(Permission)


def test_django_system_checks(django_ready):
    from django.core.checks import run_checks
    from django.test import override_settings

    from portalkit.contrib.django.conf import reset_portal

    expected = {
        "portalkit.E001": {},
        "portalkit.E002": {"PORTAL": "no.such.module.build"},
        "portalkit.E003": {"PORTAL": "test_hosts.portal_without_adapters"},
    }
    for check_id, value in expected.items():
        reset_portal()
        with override_settings(PORTALKIT=value):
            assert check_id in {m.id for m in run_checks()}
    reset_portal()


def portal_without_adapters():
    from portalkit import Portal, PortalConfig

    return Portal(PortalConfig(), secret_key="0123456789abcdef0123")


def test_django_worker_command_delivers_the_outbox(portal, django_ready):
    from django.core.management import call_command

    from portalkit.models import StaffUser

    make_app("django", portal)
    portal.dispatch_inline = False
    before = len(portal.mailer.mails)
    seeded_admin = portal.storage.find(StaffUser)[0]
    portal.invitations.send(seeded_admin, [portal.directory.contact_by_email("bob@example.com").id])
    assert len(portal.mailer.mails) == before
    call_command("portalkit_worker", "--once")
    assert len(portal.mailer.mails) == before + 1


def test_django_host_keeps_existing_loggers(django_ready):
    import logging

    from django.conf import settings

    assert settings.LOGGING["disable_existing_loggers"] is False
    assert not logging.getLogger("portalkit.web.site").disabled


def test_pay_6_host_webhook_endpoint_applies_only_signed_events(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    inv = next(i for i in portal.storage.find(Invoice) if i.number == "INV-1001")
    method = portal.storage.find(PaymentMethod)[0]
    payment = portal.payments.pay(
        portal.directory.contact_by_email("alice@example.com"), inv.id, method.id, "100.00", "key-1"
    )
    delivered = []

    def deliver(headers, body):  # the processor posting to the host's webhook URL
        b = Browser(app)
        client_post = b.client.post
        if app[0] == "flask":
            delivered.append(client_post(PREFIX + "/webhooks/processor", data=body, headers=dict(headers)).status_code)
        else:
            extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
            delivered.append(
                client_post(
                    PREFIX + "/webhooks/processor", data=body, content_type="application/json", **extra
                ).status_code
            )

    portal.processor.settle_due(deliver)
    assert delivered == [200]
    assert portal.storage.get(type(payment), payment.id).status.value == "settled"
    forged = Browser(app)
    if app[0] == "flask":
        r = forged.client.post(
            PREFIX + "/webhooks/processor", data=b'{"id": "x"}', headers={"Fake-Signature": "t=1,v1=0"}
        )
    else:
        r = forged.client.post(
            PREFIX + "/webhooks/processor",
            data=b'{"id": "x"}',
            content_type="application/json",
            HTTP_FAKE_SIGNATURE="t=1,v1=0",
        )
    assert r.status_code == 400


def test_pay_6_host_staff_refund_and_cancel(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    contact = portal.directory.contact_by_email("alice@example.com")
    method = portal.storage.find(PaymentMethod)[0]
    invoices = {i.number: i for i in portal.storage.find(Invoice)}
    paid = portal.payments.pay(contact, invoices["INV-1001"].id, method.id, "100.00", "k1")
    portal.processor.settle_due(portal.payments.handle_webhook)
    stuck = portal.payments.pay(contact, invoices["INV-1003"].id, method.id, "10.00", "k2")
    staff = staff_browser(app)
    staff.post(f"/staff/payments/{paid.id}/refund", {"amount": "40.00"}, page="/staff/payments")
    listing = staff.get("/staff/payments").get_data(as_text=True)
    assert "$40.00 of $100.00 is back with the customer" in listing
    assert "INV-1001" in listing and "Alice Green" in listing and method.label in listing
    assert portal.storage.get(Invoice, invoices["INV-1001"].id).amount_due == Decimal("1190.00")
    staff.post(f"/staff/payments/{stuck.id}/cancel", {}, page="/staff/payments")
    assert portal.storage.get(type(stuck), stuck.id).status.value in ("canceled", "settled")


def test_pro_6_host_staff_see_the_signature_and_win_the_proposal(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    proposal = next(p for p in portal.storage.find(Proposal) if p.number == "P-502")
    drip = next(s for s in proposal.services if s.name.startswith("Drip"))
    alice.post(f"/proposals/{proposal.id}/sign", {"signature": PNG_SIGNATURE, "service": [drip.id]})
    staff = staff_browser(app)
    listing = staff.get("/staff/proposals?status=Delivered").get_data(as_text=True)
    assert "P-502" in listing and "to win" in listing
    page = f"/staff/proposals/{proposal.id}"
    html = staff.get(page).get_data(as_text=True)
    assert "Alice Green" in html and "alice@example.com" in html and "Optional, chosen" in html
    assert "$1,580.00" in html and "From address" in html and "unchanged since signing" in html
    assert portal.storage.get(Proposal, proposal.id).signature.document_sha256
    image = staff.get(page + "/signature")
    assert image.content_type == "image/png" and image.get_data().startswith(b"\x89PNG")
    assert staff.get(page + "/pdf").get_data().startswith(b"%PDF")
    staff.post(page + "/status", {"status": "Won"}, page=page)
    assert portal.storage.get(Proposal, proposal.id).status.value == "won"
    assert "Proposal P-502 is now Won." in staff.get(page).get_data(as_text=True)
    assert alice.get(page).status_code in (302, 303) and alice.get(page + "/signature").status_code in (302, 303)


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.BRANCH_MANAGER])
def test_inv_2_host_default_roles_invite_and_hold_only_their_permissions(app, portal, role):
    add_staff_user(app, "rep@greenacres.example", role=role)
    rep = staff_browser(app, "rep@greenacres.example")
    alice = portal.directory.contact_by_email("alice@example.com")
    rep.post("/staff/invitations", {"contact": [alice.id]}, page="/staff")
    assert "Invitation sent to 1 contact." in rep.get("/staff").get_data(as_text=True)
    assert rep.get("/staff/branding").status_code == 403  # settings stay with system administrators
    assert rep.get("/staff/payments").status_code == (200 if role is Role.BRANCH_MANAGER else 403)


def _sign_up_from_mail(app, portal, email):
    b = Browser(app)
    b.open_link(link_in_mail(portal, email))
    b.post("/signup", {"password": CUSTOMER_PASSWORD, "confirm": CUSTOMER_PASSWORD})
    r = b.post("/login", {"email": email, "password": CUSTOMER_PASSWORD})
    assert r.status_code == 303 and r.location == PREFIX + "/dashboard"
    return b


def test_inv_9_host_staff_create_a_contact_with_invite_and_the_customer_signs_up(app, portal):
    staff = staff_browser(app)
    customers = staff.get("/staff/customers").get_data(as_text=True)
    oak = next(c for c in portal.storage.find(Customer) if c.name == "Oak Street HOA")
    new = f"/staff/customers/{oak.id}/contacts/new"
    assert new in customers
    commons = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    bad = staff.post(
        new, {"first_name": "Nia", "email": "not-an-email", "property": [commons.id], "invite": "1"}, page=new
    )
    assert bad.status_code == 400 and portal.directory.contact_by_email("not-an-email") is None
    r = staff.post(
        new,
        {
            "first_name": "Nia",
            "last_name": "Park",
            "email": "nia@example.com",
            "property": [commons.id],
            "invoices": "1",
            "issues": "1",
            "invite": "1",
        },
        page=new,
    )
    assert r.status_code == 303
    nia = portal.directory.contact_by_email("nia@example.com")
    assert nia.portal_status.value == "invited" and nia.property_ids == (commons.id,) and not nia.access.proposals
    assert "Nia Park added and invited." in staff.get(path_of(r.location)).get_data(as_text=True)
    customer = _sign_up_from_mail(app, portal, "nia@example.com")
    assert "Oak Street Commons" in customer.get("/dashboard").get_data(as_text=True)
    # ACC-5, ACC-8: staff change the email; once the new address confirms, the same password works with it
    page = f"/staff/contacts/{nia.id}"
    assert 'id="contact-language"' in staff.get(page).get_data(as_text=True)
    staff.post(
        page + "/details",
        {"first_name": "Nia", "last_name": "Park-Lee", "email": "nia.lee@example.com", "language": "es"},
        page=page,
    )
    assert portal.directory.contact(nia.id).pending_email == "nia.lee@example.com"
    confirming = Browser(app)
    confirming.open_link(link_in_mail(portal, "nia.lee@example.com", "confirm-email"))
    confirming.post("/confirm-email", {})
    moved = portal.directory.contact(nia.id)
    assert (moved.email, moved.name, moved.language) == ("nia.lee@example.com", "Nia Park-Lee", "es")
    again = Browser(app)
    assert again.post("/login", {"email": "nia.lee@example.com", "password": CUSTOMER_PASSWORD}).status_code == 303
    # billing contact of the property: sees every invoice of it (VIS-2)
    staff.post(page + "/properties", {"property": [commons.id], "billing": [commons.id]}, page=page)
    assert portal.storage.get(Property, commons.id).billing_contact_id == nia.id
    assert "INV-1001" in again.get(f"/dashboard?property={commons.id}").get_data(as_text=True)
    staff.post(page + "/properties", {}, page=page)  # nothing ticked: unlinked everywhere
    unlinked = portal.directory.contact(nia.id)
    assert unlinked.property_ids == () and portal.storage.get(Property, commons.id).billing_contact_id is None


def test_pay_6_host_dashboard_tells_of_a_failed_payment(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    alice.post("/payment-methods", {"action": "add", "token": card_token("4000000000000002", 12, 2031)})
    contact = portal.directory.contact_by_email("alice@example.com")
    inv = next(i for i in portal.storage.find(Invoice) if i.number == "INV-1001")
    payment = portal.payments.pay(contact, inv.id, portal.storage.find(PaymentMethod)[0].id, "100.00", "k-fail")
    portal.processor.settle_due(portal.payments.handle_webhook)
    html = alice.get("/dashboard").get_data(as_text=True)
    assert f'id="payment-failed-{payment.id}"' in html and "did not go through (Card declined)" in html
    assert f"/invoices/{inv.id}/pay" in html


def _png(colour=(0, 85, 170)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(out, format="PNG")
    return out.getvalue()


def test_brd_1_host_settings_page_saves_everything_and_the_uploaded_logo(app, portal):
    staff = staff_browser(app)
    form = {
        "enabled": "1",
        "company_name": "Green Acres Landscaping",
        "domain": "portal.greenacres.example",
        "link_description": "Open your portal",
        "auto_invite_new_contacts": "1",
        "invite_notification_emails": "office@greenacres.example\nsales@greenacres.example",
        "invite_link_days": "14",
        "proposal_window_days": "45",
        "electronic_payment_enabled": "1",
        "convenience_fee_percent": "2.50",
        "show_invoices": "1",
        "show_issues": "1",
        "display_font": "Georgia, serif",
        "nav_bar_colour": "#224466",
        "title": "Green Acres",
    }
    logo = _png() + os.urandom(8)  # bytes no other test stored (the file store is shared)
    html = staff.post(
        "/staff/branding", {**form, "action": "preview", "logo": [File("logo.png", logo, "image/png")]}
    ).get_data(as_text=True)
    assert "data:image/png;base64," in html and "--font: Georgia, serif" in html
    assert not portal.config.branding.logo_key  # a preview saves nothing, not even the file
    assert portal.files.get(hashlib.sha256(logo).hexdigest()) is None
    token = re.search(r'name="logo_token" value="([^"]+)"', html).group(1)
    data = re.search(r'name="logo_data" value="([^"]+)"', html).group(1)
    staff.post("/staff/branding", {**form, "action": "save", "logo_token": token, "logo_data": data})
    config = portal.config
    assert (
        config.domain,
        config.link_description,
        config.auto_invite_new_contacts,
        config.proposal_window_days,
        config.invite_link_days,
        str(config.convenience_fee_percent),
        config.show_proposals,
    ) == ("portal.greenacres.example", "Open your portal", True, 45, 14, "2.50", False)
    assert config.invite_notification_emails == ("office@greenacres.example", "sales@greenacres.example")
    key = config.branding.logo_key
    login = Browser(app).get("/login")
    assert (
        f"/logo/{key}" in login.get_data(as_text=True)
        and "img-src 'self' data:;" in login.headers["Content-Security-Policy"]
    )
    served = Browser(app).get(f"/logo/{key}")
    assert served.status_code == 200 and served.content_type == "image/png" and served.get_data() == logo
    # only the current logo is served: never another file of the company by its key
    issue_file = portal.files.put(b"%PDF-1.4 private")
    assert Browser(app).get(f"/logo/{issue_file}").status_code == 404
    forged = staff.post("/staff/branding", {**form, "action": "save", "logo_token": issue_file})
    assert forged.status_code == 400 and portal.config.branding.logo_key == key
    not_image = staff.post(
        "/staff/branding", {**form, "action": "preview", "logo": [File("x.png", b"%PDF-1.4 not an image", "image/png")]}
    )
    assert not_image.status_code == 400 and "PNG, JPEG, GIF or WebP" in not_image.get_data(as_text=True)
    staff.post("/staff/branding", {**form, "action": "save", "remove_logo": "1"})
    assert portal.config.branding.logo_key == "" and Browser(app).get(f"/logo/{key}").status_code == 404
    staff.post("/staff/branding", {**form, "action": "save", "nav_logo_url": "https://cdn.greenacres.example/l.png"})
    csp = Browser(app).get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://cdn.greenacres.example;" in csp and "script-src" not in csp


def test_vis_3_host_staff_publish_a_report_and_the_customer_opens_it(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    staff = staff_browser(app)
    commons = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    pdf = b"%PDF-1.4\n% backflow test\n%%EOF\n"
    r = staff.post(
        "/staff/reports",
        {
            "property": commons.id,
            "kind": "Inspection report",
            "title": "Backflow test",
            "performed_on": "2026-03-02",
            "pdf": [File("backflow.pdf", pdf, "application/pdf")],
        },
        page="/staff/reports",
    )
    assert r.status_code == 303 and "Backflow test" in staff.get("/staff/reports").get_data(as_text=True)
    html = alice.get(f"/dashboard?property={commons.id}&view=reports").get_data(as_text=True)
    [report] = portal.storage.find(Report)
    assert "Backflow test" in html and f"/reports/{report.id}/pdf" in html
    assert alice.get(f"/reports/{report.id}/pdf").get_data() == pdf
    contact = portal.directory.contact_by_email("alice@example.com")
    staff.post(
        f"/staff/contacts/{contact.id}/access",
        {"invoices": "1", "service_reports": "1"},
        page=f"/staff/contacts/{contact.id}",
    )
    assert alice.get(f"/reports/{report.id}/pdf").status_code == 404  # VIS-3: the inspection flag is off
    bad = staff.post(
        "/staff/reports",
        {
            "property": commons.id,
            "kind": "Service report",
            "title": "x",
            "performed_on": "yesterday",
            "pdf": [File("a.pdf", pdf, "application/pdf")],
        },
        page="/staff/reports",
    )
    assert bad.status_code == 400 and len(portal.storage.find(Report)) == 1


def test_inv_6_host_resend_to_an_enrolled_suspended_contact_says_why_nothing_was_sent(app, portal):
    enrol(app, portal, "alice@example.com")
    staff = staff_browser(app)
    alice = portal.directory.contact_by_email("alice@example.com")
    page = f"/staff/contacts/{alice.id}"
    staff.post(page + "/suspend", {"note": "Account on hold"}, page=page)
    sent_before = len(portal.mailer.mails)
    staff.post(page + "/resend", {}, page=page)
    assert "No invitation sent; 1 skipped: already enrolled." in staff.get(page).get_data(as_text=True)
    assert len(portal.mailer.mails) == sent_before


def test_host_sign_in_link_from_mail_then_a_clean_url(app, portal):
    enrol(app, portal, "alice@example.com")
    b = Browser(app)
    assert "/login/link" in b.get("/login").get_data(as_text=True)
    b.post("/login/link", {"email": "alice@example.com"}, page="/login/link")
    assert "a sign-in link is on its way" in b.get("/login").get_data(as_text=True)
    link = link_in_mail(portal, "alice@example.com", kind="sign-in")
    scanner = Browser(app)  # a mail scanner that follows the link, script and all, signs nobody in
    assert scanner.open_link(link).status_code == 303 and scanner.get("/dashboard").status_code in (302, 303)
    r = b.open_link(link)
    assert r.status_code == 303 and r.location == PREFIX + "/sign-in"  # the token left the URL
    page = b.get("/sign-in").get_data(as_text=True)
    assert "Alice Green" in page and "/sign-in#" not in page
    r = b.post("/sign-in", {}, page="/sign-in")
    assert r.status_code == 303 and r.location == PREFIX + "/dashboard"
    assert "INV-1001" in b.get("/dashboard").get_data(as_text=True)
    assert "already been used" in Browser(app).open_link(link).get_data(as_text=True)


def test_host_account_statement_pdf(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    assert "/statement" in alice.get("/dashboard").get_data(as_text=True)
    assert "Download PDF" in alice.get("/statement").get_data(as_text=True)
    pdf = alice.get("/statement?start=2025-01-01&end=2027-12-31")
    assert pdf.content_type == "application/pdf" and pdf.get_data().startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    text = PdfReader(BytesIO(pdf.get_data())).pages[0].extract_text()
    assert "Invoice INV-1001" in text and "Oak Street Commons" in text
    assert alice.get("/statement?start=2030-01-01&end=2020-01-01").status_code == 400
    assert alice.get("/statement?start=soon&end=later").status_code == 400


def test_host_autopay_on_and_off_from_the_profile(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    assert "Save a payment method" in alice.get("/profile").get_data(as_text=True)
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    method = portal.storage.find(PaymentMethod)[0]
    refused = alice.post("/profile", {"action": "autopay_on", "method": method.id}, page="/profile")
    assert refused.status_code == 400 and "Tick the authorisation" in refused.get_data(as_text=True)
    alice.post("/profile", {"action": "autopay_on", "method": method.id, "agreed": "1"}, page="/profile")
    html = alice.get("/profile").get_data(as_text=True)
    assert "Autopay is on with Visa ending 4242" in html and "Green Acres" in html
    contact = portal.directory.contact_by_email("alice@example.com")
    consent = portal.autopay.consent(contact)
    assert consent.method_id == method.id and consent.ip_address
    alice.post("/profile", {"action": "autopay_off"}, page="/profile")
    assert portal.autopay.consent(contact) is None


def test_host_deposit_at_signing(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    proposal = next(p for p in portal.storage.find(Proposal) if p.number == "P-503")
    page = alice.get(f"/proposals/{proposal.id}/sign").get_data(as_text=True)
    assert "deposit of 20.00% of the total" in page and "Add a card or bank account" in page
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    method = portal.storage.find(PaymentMethod)[0]
    refused = alice.post(
        f"/proposals/{proposal.id}/sign", {"signature": PNG_SIGNATURE}, page=f"/proposals/{proposal.id}/sign"
    )
    assert refused.status_code == 400 and "deposit of $270.00" in refused.get_data(as_text=True)
    r = alice.post(f"/proposals/{proposal.id}/sign", {"signature": PNG_SIGNATURE, "deposit_method": method.id})
    assert r.status_code == 303
    assert "Your deposit of $270.00 is being charged." in alice.get(path_of(r.location)).get_data(as_text=True)
    deposit = portal.storage.get(Invoice, portal.storage.get(Proposal, proposal.id).deposit_invoice_id)
    assert deposit.number == "P-503-DEPOSIT" and deposit.pending_amount == Decimal("270.00")
