"""The second-step pages on both reference hosts (Flask and Django test clients, issue 27): the
profile's sign-in security page, the step after the password, setting one up where the company
requires it, a passkey alone on the login page (the software authenticator answers as the
browser's would), recovery codes, and copied cookies of a pending sign-in (rules MFA-*)."""

from __future__ import annotations

import html as htmllib
import json
import re
import time

import attrs
import pyotp
import test_hosts
from hosts import CUSTOMER_PASSWORD, PREFIX, Browser
from soft_authenticator import SoftAuthenticator
from test_hosts import enrol, staff_browser

# test_hosts' fixtures, here by name (as attributes, so the tests' parameters shadow no import)
globals().update(app=test_hosts.app, portal=test_hosts.portal, django_ready=test_hosts.django_ready)

ORIGIN = "http://localhost"  # the demo portal's base_url is http://localhost/portal


def login(app, email="alice@example.com", password=CUSTOMER_PASSWORD) -> tuple[Browser, object]:
    b = Browser(app)
    return b, b.post("/login", {"email": email, "password": password})


def app_secret(page_html: str) -> str:
    return re.search(r'id="app-secret">([A-Z2-7 ]+)<', page_html).group(1).replace(" ", "")


def codes_on(page_html: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", page_html)


def set_up_app(b: Browser) -> tuple[str, list[str]]:
    r = b.post("/profile/security", {"action": "app"})
    assert r.status_code == 303 and r.location == PREFIX + "/profile/security/app"
    page = b.get("/profile/security/app").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and 'autocomplete="one-time-code"' in page
    secret = app_secret(page)
    done = b.post("/profile/security/app", {"code": pyotp.TOTP(secret).now(), "password": CUSTOMER_PASSWORD})
    assert done.status_code == 200, done.get_data(as_text=True)
    return secret, codes_on(done.get_data(as_text=True))


def next_code(secret: str) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30)


def json_post(b: Browser, path: str, data: dict, page: str | None = None) -> dict:
    r = b.post(path, data, page=page or path)
    assert r.content_type.startswith("application/json"), (r.status_code, r.get_data(as_text=True)[:300])
    return {"status": r.status_code, **json.loads(r.get_data(as_text=True))}


def test_mfa_2_host_an_app_set_up_in_the_profile_is_asked_for_after_the_password(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    profile = alice.get("/profile").get_data(as_text=True)
    assert f'href="{PREFIX}/profile/security"' in profile
    security = alice.get("/profile/security").get_data(as_text=True)
    assert "Sign-in security" in security and f'src="{PREFIX}/static/passkeys.js"' in security
    secret, codes = set_up_app(alice)
    assert len(codes) == 10
    assert "An authenticator app was set up" in portal.mailer.mails[-1].subject
    alice.post("/logout", {}, page="/dashboard")

    b, r = login(app)
    assert r.status_code == 303 and r.location == PREFIX + "/login/second-step"
    assert b.get("/dashboard").location == PREFIX + "/login"  # the password alone opened nothing
    step = b.get("/login/second-step")
    assert step.status_code == 200 and "Code from your authenticator app" in step.get_data(as_text=True)
    wrong = b.post("/login/second-step", {"action": "app", "code": "12345"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.get_data(as_text=True)
    now = next_code(secret)  # the confirming code (this 30 seconds') is used up: the next one is taken
    r = b.post("/login/second-step", {"action": "app", "code": now})
    assert r.status_code == 303 and r.location == PREFIX + "/dashboard"
    assert b.get("/dashboard").status_code == 200

    again, _ = login(app)  # the same code, replayed in another browser within its 30 seconds
    replay = again.post("/login/second-step", {"action": "app", "code": now})
    assert replay.status_code == 400 and "used already" in replay.get_data(as_text=True)
    assert again.get("/dashboard").location == PREFIX + "/login"


def test_mfa_3_host_a_copied_cookie_of_a_pending_sign_in_dies_with_it(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    secret, codes = set_up_app(alice)
    alice.post("/logout", {}, page="/dashboard")
    owner, _ = login(app)
    thief = owner.clone(app)  # the whole cookie jar, marker included, before the second step
    assert (
        owner.post(
            "/login/second-step",
            {"action": "recovery", "recovery_code": codes[0]},
            page="/login/second-step?use=recovery",
        ).status_code
        == 303
    )
    stolen = (
        thief.post(
            "/login/second-step",
            {"action": "recovery", "recovery_code": codes[1]},
            page="/login/second-step?use=recovery",
        )
        if thief.get("/login/second-step").status_code == 200
        else thief.get("/login/second-step")
    )
    assert stolen.status_code in (400, 403) and "This sign-in has ended" in stolen.get_data(as_text=True)
    assert thief.get("/dashboard").location == PREFIX + "/login"

    owner.post("/logout", {}, page="/dashboard")
    owner, _ = login(app)
    thief = owner.clone(app)
    r = owner.post("/login/second-step", {"action": "cancel"})
    assert r.status_code == 303 and r.location.startswith(PREFIX + "/login")
    assert "This sign-in has ended" in thief.get("/login/second-step").get_data(as_text=True)
    assert owner.get("/dashboard").location == PREFIX + "/login"


def test_mfa_1_host_a_passkey_added_in_the_profile_signs_in_alone_and_as_a_second_step(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    auth = SoftAuthenticator(ORIGIN)
    refused = json_post(alice, "/profile/security", {"action": "passkey_options", "password": "wrong-pass-1"})
    assert refused["status"] == 400 and "password is not correct" in refused["error"]
    options = json_post(alice, "/profile/security", {"action": "passkey_options", "password": CUSTOMER_PASSWORD})
    assert options["rp"]["id"] == "localhost" and options["status"] == 200
    added = alice.post(
        "/profile/security", {"action": "passkey", "name": "Alice's phone", "credential": auth.create(options)}
    )
    assert added.status_code == 200 and len(codes_on(added.get_data(as_text=True))) == 10  # the first: codes
    security = htmllib.unescape(alice.get("/profile/security").get_data(as_text=True))
    assert "Alice's phone" in security and "10 recovery codes left" in security
    alice.post("/logout", {}, page="/dashboard")

    visitor = Browser(app)
    page = visitor.get("/login").get_data(as_text=True)
    assert 'autocomplete="username webauthn"' in page and 'id="passkey-login"' in page
    assert "<script>" not in page  # the CSP allows no inline script: the ceremony is static/passkeys.js
    options = json_post(visitor, "/login/passkey", {"action": "options"}, page="/login")
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    r = visitor.post("/login/passkey", {"action": "sign_in", "credential": auth.get(options)}, page="/login")
    assert r.status_code == 303 and r.location == PREFIX + "/dashboard"
    assert visitor.get("/dashboard").status_code == 200
    replayed = Browser(app)
    replayed.get("/login")
    r = replayed.post("/login/passkey", {"action": "sign_in", "credential": auth.get(options)}, page="/login")
    assert r.status_code in (400, 401) and replayed.get("/dashboard").location == PREFIX + "/login"

    b, r = login(app)
    assert r.location == PREFIX + "/login/second-step"
    assert 'id="passkey-step"' in b.get("/login/second-step").get_data(as_text=True)
    options = json_post(b, "/login/second-step", {"action": "passkey_options"})
    r = b.post("/login/second-step", {"action": "passkey", "credential": auth.get(options)})
    assert r.status_code == 303 and r.location == PREFIX + "/dashboard"


def test_mfa_6_host_a_required_second_step_is_set_up_right_after_the_password(app, portal):
    enrol(app, portal, "alice@example.com")
    portal.settings.replace(_staff(portal), attrs.evolve(portal.config, require_second_step=True))
    b, r = login(app)
    assert r.status_code == 303 and r.location == PREFIX + "/login/second-step/setup"
    assert b.get("/dashboard").location == PREFIX + "/login"
    page = b.get("/login/second-step/setup").get_data(as_text=True)
    assert "Add a second step" in page and 'id="add-passkey"' in page and 'id="start-app"' in page
    r = b.post("/login/second-step/setup", {"action": "app_start"})
    assert r.status_code == 303 and r.location == PREFIX + "/login/second-step/setup?use=app"
    secret = app_secret(b.get(r.location).get_data(as_text=True))
    done = b.post(
        "/login/second-step/setup",
        {"action": "app", "code": pyotp.TOTP(secret).now()},
        page="/login/second-step/setup?use=app",
    )
    assert done.status_code == 200 and len(codes_on(done.get_data(as_text=True))) == 10
    assert b.get("/dashboard").location == PREFIX + "/login"  # not until the codes were seen
    r = b.post("/login/second-step/setup", {"action": "finish"})
    assert r.status_code == 303 and r.location == PREFIX + "/dashboard"
    assert b.get("/dashboard").status_code == 200
    refused = b.post("/profile/security", {"action": "remove_app", "password": CUSTOMER_PASSWORD})
    assert refused.status_code == 400 and "requires a second step" in refused.get_data(as_text=True), re.findall(
        r"role=\"alert\".{0,300}", refused.get_data(as_text=True)
    )


def test_mfa_4_host_a_recovery_code_signs_in_once(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    _, codes = set_up_app(alice)
    alice.post("/logout", {}, page="/dashboard")
    for expected in (303, 400):
        b, _ = login(app)
        page = b.get("/login/second-step?use=recovery").get_data(as_text=True)
        assert 'name="recovery_code"' in page
        r = b.post(
            "/login/second-step",
            {"action": "recovery", "recovery_code": codes[3]},
            page="/login/second-step?use=recovery",
        )
        assert r.status_code == expected
    assert "A recovery code signed in" in [m for m in portal.mailer.mails if "alice@example.com" in m.to][-1].subject


def _staff(of):
    from portalkit.models import StaffUser

    return next(s for s in of.storage.find(StaffUser) if s.email == "manager@greenacres.example")


def test_mfa_6_host_staff_remove_the_second_steps_of_a_contact_who_lost_them(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    set_up_app(alice)
    contact = portal.directory.contact_by_email("alice@example.com")
    staff = staff_browser(app)
    page = staff.get(f"/staff/contacts/{contact.id}").get_data(as_text=True)
    assert 'id="reset-second-step"' in page
    r = staff.post(f"/staff/contacts/{contact.id}/reset_second_step", {}, page=f"/staff/contacts/{contact.id}")
    assert r.status_code == 303 and not portal.twostep.factors(contact).any
    assert "recovery code of Alice" in staff.get(r.location).get_data(as_text=True)
    assert "second steps of your" in [m for m in portal.mailer.mails if "alice@example.com" in m.to][-1].subject
    assert 'id="reset-second-step"' not in staff.get(f"/staff/contacts/{contact.id}").get_data(as_text=True)
    b, r = login(app)
    assert r.location == PREFIX + "/dashboard"  # the password alone again


def test_mfa_3_host_the_second_step_speaks_the_contacts_language(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    alice.post("/profile", {"action": "language", "language": "es"})
    set_up_app(alice)
    b, r = login(app)
    page = b.get("/login/second-step").get_data(as_text=True)
    assert '<html lang="es">' in page


def test_mfa_pages_say_every_word_through_gettext(tmp_path, monkeypatch):
    """Each second-step page, under a pseudo-translation: whatever shows outside ⟦…⟧ is data."""
    from hosts import demo_portal, make_app
    from test_languages import Pseudo, VisibleText, untranslated_words, words_of_the_data

    from portalkit import i18n

    monkeypatch.setattr(i18n, "translations", lambda language: Pseudo())
    portal = demo_portal(tmp_path)
    host = make_app("flask", portal)
    alice = enrol(host, portal, "alice@example.com")
    pages = {"security (none)": alice.get("/profile/security")}
    alice.post("/profile/security", {"action": "app"})
    pages["app setup"] = alice.get("/profile/security/app")
    secret = app_secret(pages["app setup"].get_data(as_text=True))
    pages["app refused"] = alice.post("/profile/security/app", {"code": "12", "password": CUSTOMER_PASSWORD})
    pages["codes"] = alice.post(
        "/profile/security/app", {"code": pyotp.TOTP(secret).now(), "password": CUSTOMER_PASSWORD}
    )
    auth = SoftAuthenticator(ORIGIN)
    options = json_post(alice, "/profile/security", {"action": "passkey_options", "password": CUSTOMER_PASSWORD})
    alice.post("/profile/security", {"action": "passkey", "name": "Laptop", "credential": auth.create(options)})
    pages["security (both)"] = alice.get("/profile/security")
    pages["profile"] = alice.get("/profile")
    visitor, _ = login(host)
    pages["second step"] = visitor.get("/login/second-step")
    pages["second step refused"] = visitor.post("/login/second-step", {"action": "app", "code": "1"})
    pages["recovery"] = visitor.get("/login/second-step?use=recovery")
    enrol(host, portal, "bob@example.com")  # who has no second step when the company starts requiring one
    portal.settings.replace(_staff(portal), attrs.evolve(portal.config, require_second_step=True))
    bob, _ = login(host, "bob@example.com")
    pages["setup"] = bob.get("/login/second-step/setup")
    bob.post("/login/second-step/setup", {"action": "app_start"})
    pages["setup app"] = bob.get("/login/second-step/setup?use=app")
    shown = re.findall(r'id="app-secret">([A-Z2-7 ]+)<', pages["setup app"].get_data(as_text=True))
    data = words_of_the_data(tmp_path / "host.sqlite3", portal.config) | {"laptop"}
    data |= {
        w.lower()
        for text in [" ".join(secret[k : k + 4] for k in range(0, len(secret), 4)), *shown]
        for w in re.findall(r"[^\W\d_]+", text)
    }  # the keys to type: data
    data |= {w for code in codes_on(pages["codes"].get_data(as_text=True)) for w in re.findall(r"[^\W\d_]+", code)}
    found = {}
    for name, page in pages.items():
        assert page.status_code in (200, 400), name
        parser = VisibleText()
        parser.feed(page.get_data(as_text=True))
        words = untranslated_words(parser.chunks, data)
        if words:
            found[name] = sorted(words)
    assert found == {}, found
