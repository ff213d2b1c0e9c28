"""Who may sign in, and with what (issue 21, items 5, 7-10 and the smaller ones):

- ACC-8: an email change takes effect only when confirmed from the new address; the old address
  is told; every session and link of the contact ends — whoever asked, staff or the contact.
- ACC-9: only an active contact of an enabled portal signs in: not one the host deleted, not
  while the company has the portal turned off — by password, by link or by an open session.
- ACC-4: a new password also voids an unused sign-in link.
- Mailed links carry their token after "#": no URL a server logs holds a usable token.

Library tests run on memory, SQLite and PostgreSQL; host tests on Flask and Django.
"""

from __future__ import annotations

import re

import attrs
import pytest
from conftest import PASSWORD, build_world
from hosts import CUSTOMER_PASSWORD, PREFIX, STAFF_EMAIL, Browser, link_in_mail
from test_hosts import app, django_ready, enrol, portal, staff_browser  # noqa: F401 - fixtures and helpers

from portalkit.errors import (
    AuthenticationFailed,
    InvalidToken,
    NotFound,
    PortalDisabled,
    SessionExpired,
    TooManyAttempts,
    ValidationError,
)
from portalkit.models import Contact, HistoryKind, StaffUser
from portalkit.sync import HostContact, HostCustomer, HostProperty, SyncBatch

NEW = "alice.new@example.org"


def token_in(world, address: str, path: str) -> str:
    return re.search(rf"/{path}#([\w.\-]+)", world.mailer.to(address)[-1].text).group(1)


def sign_in_token(world, address="alice@example.com") -> str:
    world.portal.accounts.request_login_link(address)
    return token_in(world, address, "sign-in")


def reset_token(world, address="alice@example.com") -> str:
    world.portal.accounts.request_reset(address)
    return token_in(world, address, "reset-password")


# -- ACC-8: email changes ---------------------------------------------------------------------------
def test_acc_8_a_staff_change_of_email_waits_for_the_new_address_to_confirm(enrolled):
    """The takeover: staff with the contacts permission set the email to their own, then use
    forgot-password. Nothing reaches them until the new address confirms; the owner is told."""
    w = enrolled
    acc = w.portal.accounts
    session = acc.login("alice@example.com", PASSWORD)
    pending = w.portal.directory.change_email(w.staff, w.alice.id, "Mallory@Example.net")
    assert (pending.email, pending.pending_email) == ("alice@example.com", "mallory@example.net")
    assert acc.authenticate(session.token).id == w.alice.id  # nothing changed yet
    assert acc.login("alice@example.com", PASSWORD).contact.id == w.alice.id
    with pytest.raises(AuthenticationFailed):
        acc.login("mallory@example.net", PASSWORD)
    [notice] = w.mailer.to("alice@example.com")[-1:]
    assert "mallory@example.net" in notice.text and "Nothing changes unless" in notice.text
    [confirm] = w.mailer.to("mallory@example.net")
    assert "/confirm-email#" in confirm.text
    acc.request_reset("mallory@example.net")  # the attacker's forgot-password: no reset link for Alice
    assert all("/reset-password#" not in m.text for m in w.mailer.to("mallory@example.net"))
    acc.request_login_link("mallory@example.net")
    assert all("/sign-in#" not in m.text for m in w.mailer.to("mallory@example.net"))
    assert [e.kind for e in w.portal.directory.history(w.staff, w.alice.id)][-1] is HistoryKind.EMAIL_CHANGE_REQUESTED


def test_acc_8_confirming_ends_every_session_and_link_and_tells_the_old_address(enrolled):
    w = enrolled
    acc = w.portal.accounts
    session = acc.login("alice@example.com", PASSWORD)
    old_sign_in, old_reset = sign_in_token(w), reset_token(w)
    w.portal.directory.change_email(w.staff, w.alice.id, NEW)
    assert acc.check_email_change(token_in(w, NEW, "confirm-email")).pending_email == NEW
    changed = acc.confirm_email_change(token_in(w, NEW, "confirm-email"))
    assert (changed.email, changed.pending_email) == (NEW, None)
    with pytest.raises(SessionExpired):
        acc.authenticate(session.token)
    with pytest.raises(InvalidToken):
        acc.check_login_link(old_sign_in)
    with pytest.raises(InvalidToken):
        acc.check_reset_link(old_reset)
    with pytest.raises(InvalidToken):  # single use
        acc.confirm_email_change(token_in(w, NEW, "confirm-email"))
    assert acc.login(NEW, PASSWORD).contact.id == w.alice.id  # ACC-5: the same password
    with pytest.raises(AuthenticationFailed):
        acc.login("alice@example.com", PASSWORD)
    assert "every device was signed out" in w.mailer.to("alice@example.com")[-1].text


def test_acc_8_the_contact_changes_their_own_email_with_their_password(enrolled):
    w = enrolled
    acc = w.portal.accounts
    before = w.portal.storage.get(Contact, w.alice.id)
    sent = len(w.mailer.outbox)
    with pytest.raises(AuthenticationFailed):
        acc.request_email_change(w.alice, NEW, "not-my-password")
    assert w.portal.storage.get(Contact, w.alice.id) == before and len(w.mailer.outbox) == sent
    with pytest.raises(ValidationError):
        acc.request_email_change(w.alice, "bob@example.com", PASSWORD)  # another contact's
    assert w.portal.storage.get(Contact, w.alice.id) == before
    acc.request_email_change(w.alice, NEW, PASSWORD)
    acc.confirm_email_change(token_in(w, NEW, "confirm-email"))
    assert acc.login(NEW, PASSWORD).contact.id == w.alice.id


def test_acc_8_a_newer_request_voids_the_older_confirmation_link(enrolled):
    w = enrolled
    w.portal.directory.change_email(w.staff, w.alice.id, NEW)
    first = token_in(w, NEW, "confirm-email")
    w.portal.directory.change_email(w.staff, w.alice.id, "alice.other@example.org")
    with pytest.raises(InvalidToken):
        w.portal.accounts.confirm_email_change(first)
    assert w.portal.storage.get(Contact, w.alice.id).email == "alice@example.com"


def test_acc_8_a_contact_without_an_account_changes_at_once_and_older_invitations_die(world):
    w = world
    w.portal.invitations.send(w.staff, [w.alice.id])
    old_link = w.portal.invitations.link_for(w.portal.directory.contact(w.alice.id)).split("#", 1)[1]
    changed = w.portal.directory.change_email(w.staff, w.alice.id, NEW)
    assert (changed.email, changed.pending_email) == (NEW, None)
    with pytest.raises(InvalidToken):
        w.portal.accounts.sign_up(old_link, PASSWORD, PASSWORD)


def test_acc_8_hosts_staff_change_confirmed_from_the_new_address(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    contact = portal.directory.contact_by_email("alice@example.com")
    staff = staff_browser(app)
    r = staff.post(
        f"/staff/contacts/{contact.id}/details",
        {"first_name": "Alice", "last_name": "Green", "email": NEW, "language": "en"},
        page=f"/staff/contacts/{contact.id}",
    )
    assert r.status_code == 303
    assert "once confirmed" in staff.get(f"/staff/contacts/{contact.id}").get_data(as_text=True)
    assert alice.get("/dashboard").status_code == 200  # still signed in, still alice@example.com
    visitor = Browser(app)
    assert visitor.open_link(link_in_mail(portal, NEW, "confirm-email")).status_code == 303
    page = visitor.get("/confirm-email").get_data(as_text=True)
    assert NEW in page
    r = visitor.post("/confirm-email", {})
    assert r.status_code == 303 and r.location.startswith(PREFIX + "/login")
    assert alice.get("/dashboard").status_code == 303  # signed out everywhere
    assert Browser(app).post("/login", {"email": NEW, "password": CUSTOMER_PASSWORD}).status_code == 303


def test_acc_8_hosts_contact_changes_email_in_the_profile(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    r = alice.post("/profile", {"action": "email", "email": NEW, "email_password": "wrong-password-1"})
    assert r.status_code == 400 and portal.directory.contact_by_email("alice@example.com").pending_email is None
    r = alice.post("/profile", {"action": "email", "email": NEW, "email_password": CUSTOMER_PASSWORD})
    assert r.status_code == 303 and NEW in alice.get("/profile").get_data(as_text=True)
    assert portal.directory.contact_by_email("alice@example.com").pending_email == NEW


# -- ACC-9: who signs in ------------------------------------------------------------------------------
@pytest.fixture
def synced(storage):
    """A contact the host keeps in sync (by its id), enrolled, with a session and links out."""
    w = build_world(storage)
    w.portal.sync.apply(
        SyncBatch(
            customers=[HostCustomer(external_id="cu-1", name="Birch Lane")],
            properties=[HostProperty(external_id="site-1", customer="cu-1", name="Birch Lane 4")],
            contacts=[
                HostContact(
                    external_id="co-1",
                    customer="cu-1",
                    first_name="Dana",
                    last_name="Birch",
                    email="dana@example.com",
                    properties=("site-1",),
                )
            ],
        )
    )
    dana = w.portal.directory.contact_by_email("dana@example.com")
    w.enrol(dana)
    w.session = w.portal.accounts.login("dana@example.com", PASSWORD)
    w.sign_in = sign_in_token(w, "dana@example.com")
    w.reset = reset_token(w, "dana@example.com")
    return w


def test_acc_9_a_contact_the_host_deleted_cannot_sign_in_any_way(synced):
    w, acc = synced, synced.portal.accounts
    w.portal.sync.apply(SyncBatch(deleted={"contacts": ["co-1"]}))
    with pytest.raises(AuthenticationFailed):
        acc.login("dana@example.com", PASSWORD)
    with pytest.raises(SessionExpired):
        acc.authenticate(w.session.token)
    with pytest.raises(InvalidToken):
        acc.check_login_link(w.sign_in)
    with pytest.raises(InvalidToken):
        acc.login_with_link(w.sign_in)
    with pytest.raises(InvalidToken):
        acc.reset_password(w.reset, "another-pass-1", "another-pass-1")
    acc.request_login_link("dana@example.com")
    acc.request_reset("dana@example.com")
    assert all(
        "/sign-in#" not in m.text and "/reset-password#" not in m.text for m in w.mailer.to("dana@example.com")[-2:]
    )
    w.portal.sync.apply(
        SyncBatch(  # sent again: back, and signs in again
            customers=[HostCustomer(external_id="cu-1", name="Birch Lane")],
            properties=[HostProperty(external_id="site-1", customer="cu-1", name="Birch Lane 4")],
            contacts=[
                HostContact(
                    external_id="co-1",
                    customer="cu-1",
                    first_name="Dana",
                    last_name="Birch",
                    email="dana@example.com",
                    properties=("site-1",),
                )
            ],
        )
    )
    assert acc.login("dana@example.com", PASSWORD)


def test_acc_9_with_the_portal_turned_off_nobody_signs_in(synced):
    w, acc = synced, synced.portal.accounts
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, enabled=False))
    for attempt in (
        lambda: acc.login("dana@example.com", PASSWORD),
        lambda: acc.authenticate(w.session.token),
        lambda: acc.request_login_link("dana@example.com"),
        lambda: acc.check_login_link(w.sign_in),
        lambda: acc.login_with_link(w.sign_in),
        lambda: acc.request_reset("dana@example.com"),
        lambda: acc.check_reset_link(w.reset),
    ):
        with pytest.raises(PortalDisabled) as refused:
            attempt()
        assert refused.value.public_message == "The customer portal is not enabled."
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, enabled=True))
    assert acc.authenticate(w.session.token)


def test_acc_9_hosts_with_the_portal_turned_off_pages_say_so(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    [admin] = portal.storage.find(StaffUser, email=STAFF_EMAIL)
    portal.update_config(admin, attrs.evolve(portal.config, enabled=False))
    for page in (
        alice.get("/dashboard"),
        Browser(app).post("/login", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD}),
    ):
        assert page.status_code in (400, 401, 403) and "not enabled" in page.get_data(as_text=True)


# -- ACC-4: a new password voids sign-in links too ----------------------------------------------------
def test_acc_4_changing_the_password_voids_an_unused_sign_in_link(enrolled):
    w, acc = enrolled, enrolled.portal.accounts
    link = sign_in_token(w)
    acc.change_password(w.alice, PASSWORD, "fresh-garden-9", "fresh-garden-9")
    with pytest.raises(InvalidToken):
        acc.login_with_link(link)
    link = sign_in_token(w)
    acc.reset_password(reset_token(w), "other-garden-9", "other-garden-9")
    with pytest.raises(InvalidToken):
        acc.login_with_link(link)


# -- tokens never in a logged URL -----------------------------------------------------------------------
class LoggingBrowser(Browser):
    """A browser whose every request line is kept, as a server's access log keeps it."""

    requested: list[str] = []

    def get(self, path, headers=None):
        self.requested.append(self._path(path))
        return super().get(path, headers)

    def raw_post(self, path, data):
        self.requested.append(self._path(path))
        return super().raw_post(path, data)


def test_acc_3_hosts_no_mailed_token_is_ever_in_a_requested_url(app, portal):
    """Sign-up, reset, sign-in link and email confirmation, followed as a browser does: no
    request line (what an access log keeps) holds any token that was mailed."""
    LoggingBrowser.requested = []
    staff = staff_browser(app)
    contact = portal.directory.contact_by_email("alice@example.com")
    staff.post("/staff/invitations", {"contact": [contact.id]}, page="/staff")
    alice = LoggingBrowser(app)
    alice.open_link(link_in_mail(portal, "alice@example.com"))
    alice.post("/signup", {"password": CUSTOMER_PASSWORD, "confirm": CUSTOMER_PASSWORD})
    alice.post("/forgot-password", {"email": "alice@example.com"})
    alice.open_link(link_in_mail(portal, "alice@example.com", "reset-password"))
    alice.post("/reset-password", {"password": "new-garden-77", "confirm": "new-garden-77"})
    alice.post("/login/link", {"email": "alice@example.com"})
    alice.open_link(link_in_mail(portal, "alice@example.com", "sign-in"))
    alice.post("/sign-in", {})
    alice.post("/profile", {"action": "email", "email": NEW, "email_password": "new-garden-77"})
    alice.open_link(link_in_mail(portal, NEW, "confirm-email"))
    alice.post("/confirm-email", {})
    tokens = [m.group(1) for mail in portal.mailer.mails for m in re.finditer(r"#([\w.\-]{20,})", mail.text)]
    assert len(tokens) >= 4
    assert LoggingBrowser.requested
    leaked = [(t[:12], url) for t in tokens for url in LoggingBrowser.requested if t in url]
    assert leaked == []
    assert Browser(app).post("/login", {"email": NEW, "password": "new-garden-77"}).status_code == 303


def test_acc_3_hosts_a_link_in_the_old_form_is_never_used(app, portal):
    """A token in a path (as mails had it) may sit in a log: it is refused, not exchanged."""
    staff = staff_browser(app)
    contact = portal.directory.contact_by_email("alice@example.com")
    staff.post("/staff/invitations", {"contact": [contact.id]}, page="/staff")
    token = link_in_mail(portal, "alice@example.com").split("#", 1)[1]
    visitor = Browser(app)
    page = visitor.get(f"/signup/{token}")
    assert page.status_code == 410
    assert 'id="link-form"' in visitor.get("/signup").get_data(as_text=True)  # nothing kept in the session


# -- smaller findings -----------------------------------------------------------------------------
def test_acc_3_too_many_link_requests_say_so_not_failed_attempts(enrolled):
    w = enrolled
    for _ in range(w.portal.config.reset_max_requests):
        w.portal.accounts.request_login_link("alice@example.com")
    with pytest.raises(TooManyAttempts) as refused:
        w.portal.accounts.request_login_link("alice@example.com")
    assert "failed" not in refused.value.public_message and "links" in refused.value.public_message


def test_inv_8_history_of_another_companys_contact_is_not_found(storage):
    a = build_world(storage, company_id="acme")
    b = build_world(storage, company_id="bolt")
    with pytest.raises(NotFound):
        a.portal.directory.history(a.staff, b.alice.id)
    assert a.portal.directory.history(a.staff, a.alice.id) == []


def test_acc_7_a_regional_language_tag_is_accepted_everywhere(enrolled):
    """Sync took "es-MX"; the profile refused it. Both read it as Spanish now."""
    assert enrolled.portal.accounts.set_language(enrolled.alice, "es-MX").language == "es"
    assert enrolled.portal.directory.update_contact(enrolled.staff, enrolled.bob.id, language="es_US").language == "es"
    with pytest.raises(ValidationError):
        enrolled.portal.accounts.set_language(enrolled.alice, "xx-YY")


def test_acc_9_invitations_skip_a_contact_the_host_deleted(synced):
    w = synced
    w.portal.sync.apply(
        SyncBatch(
            contacts=[
                HostContact(
                    external_id="co-2", customer="cu-1", first_name="Eli", last_name="Birch", email="eli@example.com"
                )
            ]
        )
    )
    eli = w.portal.directory.contact_by_email("eli@example.com")
    w.portal.sync.apply(SyncBatch(deleted={"contacts": ["co-2"]}))
    result = w.portal.invitations.send(w.staff, [eli.id])
    assert result.sent == () and result.skipped[0].reason == "deleted"
    assert w.mailer.to("eli@example.com") == []


# -- staff sessions on Flask: server-side, permissions loaded on every request ---------------------------
def flask_staff(portal):
    from hosts import make_app

    app = make_app("flask", portal)
    return app, staff_browser(app)


def test_inv_2_flask_a_copied_staff_cookie_stops_working_at_logout(portal):
    app, staff = flask_staff(portal)
    thief = staff.clone(app)
    assert thief.get("/staff").status_code == 200
    assert staff.post("/staff/logout", {}, page="/staff").status_code == 303
    r = thief.get("/staff")
    assert r.status_code == 303 and r.location == PREFIX + "/staff/login"


def test_inv_2_flask_a_staff_user_the_host_removed_or_demoted_loses_access_at_once(portal):
    from portalkit import Role

    app, staff = flask_staff(portal)
    accounts = app[1].extensions["staff_accounts"]
    assert staff.get("/staff/branding").status_code == 200
    accounts.set_role(STAFF_EMAIL, Role.ACCOUNT_MANAGER)  # demoted in the host: no settings permission
    assert staff.get("/staff/branding").status_code == 403
    accounts.remove(STAFF_EMAIL)
    r = staff.get("/staff")
    assert r.status_code == 303 and r.location == PREFIX + "/staff/login"


def test_inv_2_flask_the_staff_cookie_holds_no_user_and_no_permissions(portal):
    import base64
    import json
    import zlib

    app, staff = flask_staff(portal)
    cookie = staff.session_cookie()
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    data = json.loads(zlib.decompress(raw) if cookie.startswith(".") else raw)
    assert set(data) <= {"portalkit_staff_session", "csrf_token", "portalkit_flash", "portalkit_language"}
    assert "manage_settings" not in json.dumps(data) and STAFF_EMAIL not in json.dumps(data)


def test_inv_2_flask_staff_loader_hosts_send_unsigned_staff_to_their_own_login(portal):
    from flask import Flask

    from portalkit.contrib.flask import PortalKit

    app = Flask(__name__)
    app.secret_key = "host-login-secret-0123456789abcdef"
    PortalKit(app, portal, staff_loader=lambda: None, staff_login_url="/accounts/login")
    r = app.test_client().get("/portal/staff/issues?status=open")
    assert r.status_code == 303 and r.location.startswith("/accounts/login?next=")
    assert "staff%2Fissues" in r.location


# -- smaller findings, continued --------------------------------------------------------------------
def test_vis_2_a_cursor_from_an_invoice_the_contact_cannot_see_is_not_found(enrolled):
    """Bob (linked, not primary) sees only invoices billed to him; an id of Alice's invoice as his
    cursor would answer with an empty page that reveals where it sorts. It is NotFound."""
    from conftest import invoice

    w = enrolled
    mine = [invoice(w, f"B-{n}", "10.00", billing=w.bob.id) for n in range(3)]
    hers = invoice(w, "A-1", "20.00")
    page = w.portal.invoices.list(w.bob, w.prop.id, limit=1)
    assert [r.invoice.id for r in page] == [mine[0].id] and page.next_after
    assert w.portal.invoices.list(w.bob, w.prop.id, after=page.next_after, limit=1)
    with pytest.raises(NotFound):
        w.portal.invoices.list(w.bob, w.prop.id, after=hers.id)


def test_acc_2_hosts_customer_login_rotates_the_csrf_secret(portal, django_ready):
    from hosts import make_app

    app = make_app("django", portal)
    enrol(app, portal, "alice@example.com")
    b = Browser(app)
    b.get("/login")
    before = b.client.cookies.get("csrftoken").value
    assert b.post("/login", {"email": "alice@example.com", "password": CUSTOMER_PASSWORD}).status_code == 303
    assert b.client.cookies.get("csrftoken").value != before


def test_inv_2_hosts_staff_reports_checks_the_permission_first(app, portal):
    from hosts import STAFF_PASSWORD, add_staff_user

    from portalkit import Permission

    add_staff_user(app, "clerk@greenacres.example", [Permission.MANAGE_ISSUES])
    clerk = Browser(app)
    clerk.post("/staff/login", {"email": "clerk@greenacres.example", "password": STAFF_PASSWORD})
    r = clerk.post("/staff/reports", {"performed_on": "not a date"}, page="/staff/issues")
    assert r.status_code == 403


def test_pay_6_hosts_refuse_webhooks_signed_with_the_secret_in_the_source(app, portal):
    """The fake processor's secret was a constant in its source and its references sequential:
    anyone could settle a payment. Now each process has its own random secret."""
    import json

    from portalkit.adapters.payments import FakeProcessor

    body = json.dumps({"id": "evt_forged", "kind": "succeeded", "ref": "ch_fake_000001", "payment_id": "x"}).encode()
    forged = FakeProcessor(webhook_secret="whsec_fake_0123456789").signature(body)
    if app[0] == "flask":
        r = (
            app[1]
            .test_client()
            .post(
                PREFIX + "/webhooks/processor",
                data=body,
                headers={"Fake-Signature": forged, "Content-Type": "application/json"},
            )
        )
        status = r.status_code
    else:
        from django.test import Client

        status = (
            Client()
            .post(PREFIX + "/webhooks/processor", body, content_type="application/json", HTTP_FAKE_SIGNATURE=forged)
            .status_code
        )
    assert status == 400
    assert portal.processor.signature(body) != forged
