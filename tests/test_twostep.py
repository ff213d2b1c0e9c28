"""A second step at sign-in (issue 27, rules MFA-1..7): passkeys (with a software authenticator
that signs as a real one does), authenticator apps (TOTP), recovery codes, the company's
requirement, and the attacks on each: replayed codes, answers and challenges, another contact's
or another company's passkey, a cloned authenticator, guessing, and a pending sign-in's marker
used after a cancel, a password change or its time. On memory, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import attrs
import pyotp
import pytest
from conftest import PASSWORD, SECRET, Adapters, build_world, make_config
from soft_authenticator import SoftAuthenticator, b64, unb64

from portalkit import Portal
from portalkit.errors import (
    AccountSuspended,
    AuthenticationFailed,
    InvalidToken,
    PermissionDenied,
    SecondStepRequired,
    SessionExpired,
    TooManyAttempts,
    ValidationError,
)
from portalkit.models import Access, AuthenticatorApp, Passkey, RecoveryCode, SignInStep

ORIGIN = "https://portal.greenacres.test"
IP = "203.0.113.9"


def pending_of(world, email="alice@example.com", password=PASSWORD, ip=IP) -> SecondStepRequired:
    with pytest.raises(SecondStepRequired) as raised:
        world.portal.accounts.login(email, password, ip)
    return raised.value


def add_passkey(world, contact, authenticator: SoftAuthenticator, name="Phone"):
    ceremony = world.portal.twostep.begin_passkey(contact, PASSWORD)
    return world.portal.twostep.add_passkey(contact, ceremony.marker, authenticator.create(ceremony.options), name)


def add_app(world, contact):
    twostep = world.portal.twostep
    setup = twostep.begin_app(contact)
    done = twostep.confirm_app(contact, pyotp.TOTP(setup.secret).at(world.clock.now()), PASSWORD)
    world.clock.advance(seconds=30)  # the confirming code is used up: the next one is a new step's
    return setup.secret, done


def code(world, secret: str, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(world.clock.now() + timedelta(seconds=30 * steps))


def subjects(world, email="alice@example.com") -> list[str]:
    return [m.subject for m in world.mailer.to(email)]


# -- MFA-1: passkeys ------------------------------------------------------------------------------------
def test_mfa_1_a_passkey_is_added_with_the_password_named_listed_and_removed(enrolled):
    w = enrolled
    twostep, auth = w.portal.twostep, SoftAuthenticator(ORIGIN)
    with pytest.raises(AuthenticationFailed):
        twostep.begin_passkey(w.alice, "wrong-password-1")
    ceremony = twostep.begin_passkey(w.alice, PASSWORD)
    options = json.loads(ceremony.options)
    assert options["rp"] == {"id": "portal.greenacres.test", "name": "Green Acres Landscaping"}
    assert options["authenticatorSelection"]["residentKey"] == "required"  # discoverable: signs in without an email
    assert unb64(options["user"]["id"]).decode() == w.alice.id and options["attestation"] == "none"
    done = twostep.add_passkey(w.alice, ceremony.marker, auth.create(ceremony.options), "Work laptop")
    assert done.passkey.name == "Work laptop" and len(done.recovery_codes) == 10
    w.clock.advance(minutes=1)
    second = add_passkey(w, w.alice, auth, "Phone")
    assert second.recovery_codes == ()  # codes come with the first second step only
    factors = twostep.factors(w.alice)
    assert [p.name for p in factors.passkeys] == ["Work laptop", "Phone"] and factors.any
    excluded = json.loads(twostep.begin_passkey(w.alice, PASSWORD).options)["excludeCredentials"]
    assert {e["id"] for e in excluded} == {p.credential_id for p in factors.passkeys}
    with pytest.raises(AuthenticationFailed):
        twostep.remove_passkey(w.alice, done.passkey.id, "wrong-password-1")
    with pytest.raises(ValidationError):
        twostep.remove_passkey(w.bob, done.passkey.id, PASSWORD)  # only one's own
    twostep.remove_passkey(w.alice, done.passkey.id, PASSWORD)
    assert [p.name for p in twostep.factors(w.alice).passkeys] == ["Phone"]
    twostep.remove_passkey(w.alice, second.passkey.id, PASSWORD)
    assert not twostep.factors(w.alice).any and w.portal.storage.find(RecoveryCode, contact_id=w.alice.id) == []
    assert w.portal.accounts.login("alice@example.com", PASSWORD, IP).contact.id == w.alice.id  # a password alone again


def test_mfa_1_a_passkey_alone_signs_in_only_with_the_person_verified(enrolled):
    w = enrolled
    twostep, auth = w.portal.twostep, SoftAuthenticator(ORIGIN)
    add_passkey(w, w.alice, auth)
    ceremony = twostep.begin_passkey_sign_in(IP)
    options = json.loads(ceremony.options)
    assert options["userVerification"] == "required" and options["allowCredentials"] == []  # usernameless
    session = twostep.sign_in_with_passkey(ceremony.marker, auth.get(ceremony.options), IP)
    assert w.portal.accounts.authenticate(session.token).id == w.alice.id
    stored = w.portal.storage.find(Passkey, contact_id=w.alice.id)[0]
    assert stored.sign_count == 1 and stored.last_used_at == w.clock.now()
    unverified = twostep.begin_passkey_sign_in(IP)  # a security key touched without its PIN
    with pytest.raises(AuthenticationFailed):
        twostep.sign_in_with_passkey(unverified.marker, auth.get(unverified.options, user_verified=False), IP)
    other_origin = twostep.begin_passkey_sign_in(IP)  # a phishing page's origin
    with pytest.raises(AuthenticationFailed):
        twostep.sign_in_with_passkey(
            other_origin.marker, auth.get(other_origin.options, origin="https://portal-greenacres.test"), IP
        )


def test_mfa_1_a_passkey_is_a_second_step_after_the_password_or_a_sign_in_link(enrolled):
    w = enrolled
    twostep, auth = w.portal.twostep, SoftAuthenticator(ORIGIN)
    add_passkey(w, w.alice, auth)
    pending = pending_of(w)
    assert not pending.enrol and twostep.pending(pending.pending).contact.id == w.alice.id
    options = json.loads(twostep.passkey_options(pending.pending))
    assert [c["id"] for c in options["allowCredentials"]] == [w.portal.storage.find(Passkey)[0].credential_id]
    session = twostep.verify_passkey(pending.pending, auth.get(options), IP)
    assert w.portal.accounts.authenticate(session.token).id == w.alice.id
    w.portal.accounts.request_login_link("alice@example.com")  # the mailed link is a first step too
    token = w.mailer.to("alice@example.com")[-1].text.split("/sign-in#")[1].split()[0]
    with pytest.raises(SecondStepRequired) as raised:
        w.portal.accounts.login_with_link(token)
    with pytest.raises(InvalidToken):
        w.portal.accounts.login_with_link(token)  # the link was used up all the same
    assert twostep.pending(raised.value.pending).contact.id == w.alice.id


# -- MFA-2: authenticator apps --------------------------------------------------------------------------
def test_mfa_2_an_app_is_set_up_from_a_qr_code_confirmed_by_a_first_code_then_asked_after_the_password(enrolled):
    w = enrolled
    twostep = w.portal.twostep
    setup = twostep.begin_app(w.alice)
    assert setup.qr.startswith("data:image/svg+xml") and setup.uri.startswith("otpauth://totp/")
    assert "issuer=Green%20Acres%20Landscaping" in setup.uri and len(setup.secret) == 32
    assert twostep.app_setup(w.alice) == setup  # shown again until confirmed
    assert w.portal.accounts.login("alice@example.com", PASSWORD, IP)  # not a second step until confirmed
    with pytest.raises(ValidationError):
        twostep.confirm_app(w.alice, "000000" if code(w, setup.secret) != "000000" else "111111", PASSWORD)
    with pytest.raises(AuthenticationFailed):
        twostep.confirm_app(w.alice, code(w, setup.secret), "wrong-password-1")
    done = twostep.confirm_app(w.alice, code(w, setup.secret), PASSWORD)
    assert len(done.recovery_codes) == 10 and twostep.factors(w.alice).app
    with pytest.raises(ValidationError):
        twostep.begin_app(w.alice)  # one app at a time
    w.clock.advance(seconds=30)
    pending = pending_of(w)
    with pytest.raises(ValidationError):
        twostep.verify_app_code(pending.pending, "12345", IP)
    session = twostep.verify_app_code(pending.pending, code(w, setup.secret), IP)
    assert w.portal.accounts.authenticate(session.token).id == w.alice.id


def test_mfa_2_a_code_counts_one_step_either_way_and_never_twice(enrolled):
    w = enrolled
    twostep = w.portal.twostep
    secret, _ = add_app(w, w.alice)
    w.clock.advance(seconds=60)  # two steps past the confirming code
    for steps, taken in ((-2, False), (2, False), (-1, True)):
        pending = pending_of(w).pending
        if taken:
            assert twostep.verify_app_code(pending, code(w, secret, steps), IP)
        else:
            with pytest.raises(ValidationError):
                twostep.verify_app_code(pending, code(w, secret, steps), IP)
            twostep.cancel(pending)
    replay = pending_of(w).pending
    with pytest.raises(ValidationError, match="used already"):
        twostep.verify_app_code(replay, code(w, secret, -1), IP)  # the very code again
    session = twostep.verify_app_code(replay, code(w, secret), IP)  # this step's is newer
    assert session.contact.id == w.alice.id
    with pytest.raises(ValidationError, match="used already"):
        twostep.verify_app_code(pending_of(w).pending, code(w, secret), IP)  # and not twice either
    w.clock.advance(seconds=30)
    assert twostep.verify_app_code(pending_of(w).pending, code(w, secret), IP)


def test_mfa_2_the_app_secret_is_stored_encrypted_and_bound_to_its_contact(enrolled):
    w = enrolled
    twostep, storage = w.portal.twostep, w.portal.storage
    secret, _ = add_app(w, w.alice)
    [app] = storage.find(AuthenticatorApp, contact_id=w.alice.id)
    assert secret not in app.secret and app.secret.startswith("v1.")
    bob_secret, _ = add_app(w, w.bob)
    [bobs] = storage.find(AuthenticatorApp, contact_id=w.bob.id)
    storage.update(attrs.evolve(bobs, secret=app.secret))  # Alice's sealed secret copied into Bob's row
    with pytest.raises(ValidationError, match="set up again"):
        twostep.verify_app_code(pending_of(w, "bob@example.com").pending, code(w, secret), IP)
    other = Portal(w.portal.config, secret_key=SECRET + "-rotated", plugins=[w.adapters])  # another secret key
    with pytest.raises(ValidationError, match="set up again"):
        other.twostep.verify_app_code(pending_of(attrs.evolve(w, portal=other)).pending, code(w, secret), IP)


# -- MFA-3: no session before the second step --------------------------------------------------------------
def test_mfa_3_the_password_alone_starts_no_session_only_a_marker(enrolled):
    w = enrolled
    from portalkit.models import LoginSession

    secret, _ = add_app(w, w.alice)
    before = len(w.portal.storage.find(LoginSession))
    pending = pending_of(w)
    assert len(w.portal.storage.find(LoginSession)) == before  # nothing to authenticate with
    with pytest.raises(SessionExpired):
        w.portal.accounts.authenticate(pending.pending)
    assert w.portal.storage.find(SignInStep)[0].purpose == "second_step"
    with pytest.raises(AuthenticationFailed):  # a wrong password still says only that
        w.portal.accounts.login("alice@example.com", "wrong-password-1", IP)
    assert w.portal.twostep.verify_app_code(pending.pending, code(w, secret), IP)
    assert len(w.portal.storage.find(LoginSession)) == before + 1 and w.portal.storage.find(SignInStep) == []


def test_mfa_3_a_marker_works_once_and_never_after_a_cancel_a_password_change_or_ten_minutes(enrolled):
    w = enrolled
    twostep = w.portal.twostep
    secret, _ = add_app(w, w.alice)
    used = pending_of(w).pending
    twostep.verify_app_code(used, code(w, secret), IP)
    w.clock.advance(seconds=30)
    with pytest.raises(InvalidToken):  # replayed after the sign-in it served (and after logout)
        twostep.verify_app_code(used, code(w, secret), IP)
    canceled = pending_of(w).pending
    twostep.cancel(canceled)  # "Cancel and sign out": every copy of the marker dies
    with pytest.raises(InvalidToken):
        twostep.verify_app_code(canceled, code(w, secret), IP)
    before_change = pending_of(w).pending
    w.portal.accounts.change_password(w.alice, PASSWORD, "new-garden-2027", "new-garden-2027")  # ACC-4
    with pytest.raises(InvalidToken):
        twostep.pending(before_change)
    late = pending_of(w, password="new-garden-2027").pending
    w.clock.advance(minutes=10, seconds=1)
    with pytest.raises(InvalidToken):
        twostep.verify_app_code(late, code(w, secret), IP)
    add_app(w, w.bob)
    bob_marker = pending_of(w, "bob@example.com").pending
    with pytest.raises(ValidationError):  # Bob's pending sign-in takes only Bob's codes
        twostep.verify_app_code(bob_marker, code(w, secret), IP)
    forged = bob_marker[:-3] + ("AAA" if not bob_marker.endswith("AAA") else "BBB")
    with pytest.raises(InvalidToken):
        twostep.pending(forged)


def test_mfa_3_suspension_logout_and_password_change_behave_as_today(enrolled):
    w = enrolled
    twostep = w.portal.twostep
    secret, _ = add_app(w, w.alice)
    marker = pending_of(w).pending
    w.portal.directory.suspend(w.staff, w.alice.id, "Unpaid invoices")
    with pytest.raises((AccountSuspended, InvalidToken)):  # ACC-6: the pending sign-in ends with it
        twostep.verify_app_code(marker, code(w, secret), IP)
    with pytest.raises(AccountSuspended):
        w.portal.accounts.login("alice@example.com", PASSWORD, IP)
    w.portal.directory.unsuspend(w.staff, w.alice.id)
    session = twostep.verify_app_code(pending_of(w).pending, code(w, secret), IP)
    w.portal.accounts.logout(session.token)
    with pytest.raises(SessionExpired):
        w.portal.accounts.authenticate(session.token)
    w.clock.advance(seconds=30)
    session = twostep.verify_app_code(pending_of(w).pending, code(w, secret), IP)
    w.portal.accounts.change_password(w.alice, PASSWORD, "new-garden-2027", "new-garden-2027")  # ACC-4
    with pytest.raises(SessionExpired):
        w.portal.accounts.authenticate(session.token)
    assert twostep.factors(w.alice).app  # a new password keeps the second step


# -- MFA-4: recovery codes ------------------------------------------------------------------------------
def test_mfa_4_recovery_codes_are_hashed_each_works_once_and_new_ones_void_the_old(enrolled):
    w = enrolled
    twostep, storage = w.portal.twostep, w.portal.storage
    _, done = add_app(w, w.alice)
    codes = done.recovery_codes
    assert len(set(codes)) == 10 and all(len(c) == 14 and c.count("-") == 2 for c in codes)
    stored = storage.find(RecoveryCode, contact_id=w.alice.id)
    assert len(stored) == 10 and not any(
        c.replace("-", "") in r.code_hash or c in r.code_hash for c in codes for r in stored
    )
    session = twostep.use_recovery_code(pending_of(w).pending, " " + codes[0].upper().replace("-", " ") + " ", IP)
    assert session.contact.id == w.alice.id and twostep.factors(w.alice).recovery_codes_left == 9
    assert (
        "A recovery code signed in" in subjects(w)[-1]
        and "9 recovery codes left" in w.mailer.to("alice@example.com")[-1].text
    )
    with pytest.raises(ValidationError):  # reused
        twostep.use_recovery_code(pending_of(w).pending, codes[0], IP)
    with pytest.raises(ValidationError):  # Bob's own code is no use for Alice
        bob_codes = add_app(w, w.bob)[1].recovery_codes
        twostep.use_recovery_code(pending_of(w).pending, bob_codes[0], IP)
    with pytest.raises(AuthenticationFailed):
        twostep.new_recovery_codes(w.alice, "wrong-password-1")
    fresh = twostep.new_recovery_codes(w.alice, PASSWORD)
    assert len(fresh) == 10 and twostep.factors(w.alice).recovery_codes_left == 10
    with pytest.raises(ValidationError):  # the older ones are void
        twostep.use_recovery_code(pending_of(w).pending, codes[1], IP)
    assert twostep.use_recovery_code(pending_of(w).pending, fresh[5], IP)
    with pytest.raises(ValidationError):  # no second step, no codes
        twostep.new_recovery_codes(w.stranger, PASSWORD)


# -- MFA-5: attacks ----------------------------------------------------------------------------------------
def test_mfa_5_guessing_codes_is_throttled_per_contact_and_per_client_address(enrolled):
    w = enrolled
    twostep = w.portal.twostep
    config = w.portal.config
    secret, done = add_app(w, w.alice)
    marker = pending_of(w).pending
    wrong = "000000" if code(w, secret) != "000000" else "111111"
    for _ in range(config.login_max_failures):
        with pytest.raises(ValidationError):
            twostep.verify_app_code(marker, wrong, IP)
    with pytest.raises(TooManyAttempts):  # even the right code now, from anywhere
        twostep.verify_app_code(marker, code(w, secret), "198.51.100.1")
    with pytest.raises(TooManyAttempts):  # and recovery codes share the limit
        twostep.use_recovery_code(marker, done.recovery_codes[0], "198.51.100.2")
    w.clock.advance(seconds=config.login_window_seconds + 1)
    assert twostep.verify_app_code(pending_of(w).pending, code(w, secret), IP)


def test_mfa_5_one_address_guessing_at_many_contacts_is_stopped_by_its_own_limit(storage):
    w = build_world(storage, login_max_failures=3, login_max_failures_per_ip=4)
    twostep = w.portal.twostep
    secrets_of = {}
    for contact in (w.alice, w.bob, w.stranger):
        secrets_of[contact.email] = add_app(w, w.enrol(contact))[0]
    markers = {email: pending_of(w, email, ip="192.0.2.50").pending for email in secrets_of}
    tries = [(email, k) for k in range(2) for email in markers]  # two wrong codes each: under each contact's 3
    outcomes = []
    for email, _k in tries:
        wrong = "000000" if code(w, secrets_of[email]) != "000000" else "111111"
        try:
            twostep.verify_app_code(markers[email], wrong, "192.0.2.50")
        except TooManyAttempts:
            outcomes.append("throttled")
        except ValidationError:
            outcomes.append("wrong")
    assert outcomes == ["wrong"] * 4 + ["throttled"] * 2
    assert twostep.verify_app_code(
        markers["alice@example.com"], code(w, secrets_of["alice@example.com"]), "198.51.100.7"
    )  # from elsewhere the contact still signs in


def test_mfa_5_a_replayed_passkey_answer_or_challenge_is_refused(enrolled):
    w = enrolled
    twostep, auth = w.portal.twostep, SoftAuthenticator(ORIGIN)
    add_passkey(w, w.alice, auth)
    ceremony = twostep.begin_passkey_sign_in(IP)
    answer = auth.get(ceremony.options)
    assert twostep.sign_in_with_passkey(ceremony.marker, answer, IP)
    with pytest.raises((InvalidToken, ValidationError)):  # the same answer again: its challenge is gone
        twostep.sign_in_with_passkey(ceremony.marker, answer, IP)
    marker = pending_of(w).pending
    options = twostep.passkey_options(marker)
    first = auth.get(options)
    stale = twostep.passkey_options(marker)  # a newer challenge replaces the older one
    with pytest.raises(AuthenticationFailed):
        twostep.verify_passkey(marker, first, IP)
    with pytest.raises(ValidationError):  # and each challenge is answered once, right or wrong
        twostep.verify_passkey(marker, auth.get(stale), IP)
    options = twostep.passkey_options(marker)
    assert twostep.verify_passkey(marker, auth.get(options), IP).contact.id == w.alice.id
    other = twostep.begin_passkey_sign_in(IP)  # a challenge issued to one visitor, answered for another's
    mine = twostep.begin_passkey_sign_in(IP)
    with pytest.raises(AuthenticationFailed):
        twostep.sign_in_with_passkey(mine.marker, auth.get(other.options), IP)


def test_mfa_5_another_contacts_passkey_is_not_their_second_step(enrolled):
    w = enrolled
    twostep = w.portal.twostep
    alice_key, bob_key = SoftAuthenticator(ORIGIN), SoftAuthenticator(ORIGIN)
    add_passkey(w, w.alice, alice_key)
    add_passkey(w, w.bob, bob_key)
    marker = pending_of(w).pending  # Alice's password; Bob's passkey
    options = json.loads(twostep.passkey_options(marker))
    with pytest.raises(AuthenticationFailed):
        twostep.verify_passkey(marker, bob_key.get({**options, "allowCredentials": []}), IP)
    ceremony = twostep.begin_passkey_sign_in(IP)  # Bob's passkey claiming to be Alice's user
    answer = json.loads(bob_key.get(ceremony.options))
    answer["response"]["userHandle"] = b64(w.alice.id.encode())
    with pytest.raises(AuthenticationFailed):
        twostep.sign_in_with_passkey(ceremony.marker, json.dumps(answer), IP)
    ceremony = twostep.begin_passkey_sign_in(IP)  # an add ceremony is not a sign-in, nor the other way
    with pytest.raises(InvalidToken):
        twostep.add_passkey(
            w.alice, ceremony.marker, alice_key.create(twostep.begin_passkey(w.alice, PASSWORD).options), "x"
        )
    bob_ceremony = twostep.begin_passkey(w.bob, PASSWORD)
    with pytest.raises(InvalidToken):  # Bob's ceremony cannot add a passkey to Alice
        twostep.add_passkey(w.alice, bob_ceremony.marker, alice_key.create(bob_ceremony.options), "x")


def test_mfa_5_a_passkey_of_another_company_signs_in_nobody(enrolled):
    w = enrolled
    south = Portal(
        make_config(company_id="south", company_name="South Lawns"),
        secret_key=SECRET,
        plugins=[Adapters(storage=w.portal.shared_storage, mailer=w.mailer)],
    )  # one storage, one address
    auth = SoftAuthenticator(ORIGIN)
    add_passkey(w, w.alice, auth)
    ceremony = south.twostep.begin_passkey_sign_in(IP)
    with pytest.raises(AuthenticationFailed):
        south.twostep.sign_in_with_passkey(ceremony.marker, auth.get(ceremony.options), IP)
    north = w.portal.twostep.begin_passkey_sign_in(IP)  # and a marker of one company is nothing to another
    with pytest.raises(InvalidToken):
        south.twostep.sign_in_with_passkey(north.marker, auth.get(north.options), IP)
    assert w.portal.twostep.sign_in_with_passkey(north.marker, auth.get(north.options), IP).contact.id == w.alice.id


def test_mfa_5_a_cloned_authenticator_is_caught_by_its_signature_counter(enrolled):
    w = enrolled
    twostep, auth = w.portal.twostep, SoftAuthenticator(ORIGIN)
    add_passkey(w, w.alice, auth)
    ceremony = twostep.begin_passkey_sign_in(IP)
    twostep.sign_in_with_passkey(ceremony.marker, auth.get(ceremony.options, count=7), IP)
    clone = twostep.begin_passkey_sign_in(IP)
    with pytest.raises(AuthenticationFailed):  # a copy of the key that has signed fewer times
        twostep.sign_in_with_passkey(clone.marker, auth.get(clone.options, count=5), IP)
    assert w.portal.storage.find(Passkey)[0].sign_count == 7


# -- MFA-6: the company's requirement --------------------------------------------------------------------------
def test_mfa_6_a_contact_who_pays_or_signs_sets_up_a_second_step_before_any_session(enrolled):
    w = enrolled
    twostep = w.portal.twostep
    w.portal.settings.replace(w.staff, attrs.evolve(w.portal.config, require_second_step=True))
    pending = pending_of(w)
    assert pending.enrol and twostep.pending(pending.pending).enrol
    with pytest.raises(ValidationError):
        twostep.finish_setup(pending.pending)  # not before one is set up
    setup = twostep.begin_app(w.alice)
    done = twostep.confirm_app(w.alice, code(w, setup.secret), pending=pending.pending)  # no password again
    assert len(done.recovery_codes) == 10
    session = twostep.finish_setup(pending.pending)
    assert w.portal.accounts.authenticate(session.token).id == w.alice.id
    with pytest.raises(InvalidToken):
        twostep.finish_setup(pending.pending)
    bobs = pending_of(w, "bob@example.com").pending
    with pytest.raises(InvalidToken):  # Alice's enrolment marker sets up nothing for Bob
        twostep.begin_passkey(w.bob, pending=pending_of(w).pending)
    assert twostep.pending(bobs).enrol
    readonly = w.portal.directory.contact_by_email("sam@example.com")
    w.portal.storage.update(attrs.evolve(readonly, access=Access(invoices=False, proposals=False)))
    assert w.portal.accounts.login("sam@example.com", PASSWORD, IP)  # who can neither pay nor sign: as before


def test_mfa_6_the_last_second_step_cannot_be_removed_while_the_company_requires_one(enrolled):
    w = enrolled
    twostep = w.portal.twostep
    auth = SoftAuthenticator(ORIGIN)
    add_app(w, w.alice)
    added = add_passkey(w, w.alice, auth)
    w.portal.settings.replace(w.staff, attrs.evolve(w.portal.config, require_second_step=True))
    twostep.remove_app(w.alice, PASSWORD)
    with pytest.raises(PermissionDenied):
        twostep.remove_passkey(w.alice, added.passkey.id, PASSWORD)
    assert len(twostep.factors(w.alice).passkeys) == 1
    twostep.reset(w.staff, w.alice.id)  # staff help a contact who lost everything
    assert not twostep.factors(w.alice).any
    assert pending_of(w).enrol  # who then sets one up again at the next sign-in
    with pytest.raises(PermissionDenied):
        twostep.reset(None, w.alice.id)


# -- MFA-7: every change is mailed -----------------------------------------------------------------------------
def test_mfa_7_every_change_and_every_recovery_code_used_is_mailed_to_the_contact(enrolled):
    w = enrolled
    twostep, auth = w.portal.twostep, SoftAuthenticator(ORIGIN)
    added = add_passkey(w, w.alice, auth, "Phone")
    _, app = add_app(w, w.alice)
    codes = twostep.new_recovery_codes(w.alice, PASSWORD)
    twostep.use_recovery_code(pending_of(w).pending, codes[0], IP)
    twostep.remove_passkey(w.alice, added.passkey.id, PASSWORD)
    twostep.remove_app(w.alice, PASSWORD)
    assert subjects(w)[-6:] == [
        "A passkey was added to your Green Acres Landscaping portal account",
        "An authenticator app was set up for your Green Acres Landscaping portal account",
        "New recovery codes for your Green Acres Landscaping portal account",
        "A recovery code signed in to your Green Acres Landscaping portal account",
        "A passkey was removed from your Green Acres Landscaping portal account",
        "The authenticator app was removed from your Green Acres Landscaping portal account",
    ]
    mails = w.mailer.to("alice@example.com")
    assert '"Phone"' in mails[-6].text and "recovery codes" in mails[-6].text  # the first one made the codes
    assert "password alone" in mails[-1].text  # the last one gone
    assert not any(c in m.text or c in m.html for m in mails for c in codes)  # no code is ever mailed
