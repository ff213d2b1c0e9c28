import re

import pytest
from conftest import PASSWORD

from portalkit import PortalStatus
from portalkit.accounts import RESET_ANSWER
from portalkit.errors import (
    AccountSuspended,
    AuthenticationFailed,
    ExpiredToken,
    InvalidToken,
    SessionExpired,
    TooManyAttempts,
    ValidationError,
)


def reset_token(world, email):
    return re.search(r"/reset-password#([\w.\-]+)", world.mailer.to(email)[-1].text).group(1)


def test_acc_1_password_typed_twice_and_rules_enforced(world):
    world.portal.invitations.send(world.staff, [world.alice.id])
    token = world.portal.invitations.link_for(world.portal.directory.contact(world.alice.id)).split("#", 1)[1]
    for pw, confirm in (
        ("garden-2026", "garden-2027"),
        ("short1", "short1"),
        ("onlyletters", "onlyletters"),
        ("x1" * 40, "x1" * 40),
    ):
        with pytest.raises(ValidationError):
            world.portal.accounts.sign_up(token, pw, confirm)
    assert world.portal.directory.contact(world.alice.id).portal_status is PortalStatus.INVITED
    assert world.portal.accounts.password_rules[0].startswith("At least 8 characters")
    contact = world.portal.accounts.sign_up(token, PASSWORD, PASSWORD)
    assert contact.password_hash.startswith("$2") and PASSWORD not in contact.password_hash


def test_acc_2_login_by_email_and_password(enrolled):
    session = enrolled.portal.accounts.login("ALICE@example.com ", PASSWORD)
    assert session.contact.id == enrolled.alice.id
    assert enrolled.portal.accounts.authenticate(session.token).id == enrolled.alice.id
    for email, pw in (("alice@example.com", "wrong-pass1"), ("nobody@example.com", PASSWORD), ("", "")):
        with pytest.raises(AuthenticationFailed) as err:
            enrolled.portal.accounts.login(email, pw)
        assert err.value.public_message == "The email or password is not correct."


def test_acc_2_not_enrolled_contact_cannot_log_in(world):
    with pytest.raises(AuthenticationFailed):
        world.portal.accounts.login("alice@example.com", PASSWORD)


def test_acc_2_login_is_rate_limited_per_email(enrolled):
    acc = enrolled.portal.accounts
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            acc.login("alice@example.com", "wrong-pass1")
    with pytest.raises(TooManyAttempts) as err:
        acc.login("alice@example.com", PASSWORD)  # even the right password waits
    assert err.value.retry_after_seconds > 0
    acc.login("bob@example.com", PASSWORD)  # others unaffected
    enrolled.clock.advance(minutes=16)
    assert acc.login("alice@example.com", PASSWORD).contact.id == enrolled.alice.id


def test_acc_2_login_is_rate_limited_per_client_address(storage):
    from conftest import build_world

    enrolled = build_world(storage, login_max_failures_per_ip=3)  # deploy-time: the host's code sets it
    enrolled.alice = enrolled.enrol(enrolled.alice)
    acc = enrolled.portal.accounts
    for n in range(3):  # password spraying: a different email each time, one address
        with pytest.raises(AuthenticationFailed):
            acc.login(f"guess{n}@example.com", "wrong-pass1", "203.0.113.7")
    with pytest.raises(TooManyAttempts):
        acc.login("alice@example.com", PASSWORD, "203.0.113.7")
    assert acc.login("alice@example.com", PASSWORD, "198.51.100.2").contact.id == enrolled.alice.id


def test_acc_3_reset_only_for_enrolled_same_answer_either_way(enrolled):
    d = enrolled.portal.directory
    pending = d.add_contact(enrolled.staff, enrolled.customer.id, "Nia", "New", "nia@example.com")
    enrolled.mailer.outbox.clear()
    answers = {
        enrolled.portal.accounts.request_reset(e) for e in ("alice@example.com", "nia@example.com", "ghost@x.io")
    }
    assert answers == {RESET_ANSWER}
    # same work either way: every address gets a mail, only the enrolled one a reset link
    assert [m.to for m in enrolled.mailer.outbox] == [("alice@example.com",), ("nia@example.com",), ("ghost@x.io",)]
    links = ["/reset-password#" in m.text for m in enrolled.mailer.outbox]
    assert links == [True, False, False]
    assert pending.portal_status is PortalStatus.NOT_ENROLLED


def test_acc_3_reset_link_is_single_use_and_expires(enrolled):
    acc = enrolled.portal.accounts
    acc.request_reset("alice@example.com")
    token = reset_token(enrolled, "alice@example.com")
    acc.reset_password(token, "new-pass-99", "new-pass-99")
    assert acc.login("alice@example.com", "new-pass-99")
    with pytest.raises(InvalidToken):
        acc.reset_password(token, "other-pass-1", "other-pass-1")
    acc.request_reset("alice@example.com")
    later = reset_token(enrolled, "alice@example.com")
    enrolled.clock.advance(hours=3)
    with pytest.raises(ExpiredToken):
        acc.reset_password(later, "other-pass-1", "other-pass-1")


def test_expired_login_sessions_are_purged(enrolled):
    acc = enrolled.portal.accounts
    old = acc.login("alice@example.com", "garden-2026")
    enrolled.clock.advance(hours=13)
    fresh = acc.login("bob@example.com", "garden-2026")
    assert acc.purge_sessions() == 1
    assert acc.authenticate(fresh.token).id == enrolled.bob.id
    with pytest.raises(SessionExpired):
        acc.authenticate(old.token)


def test_acc_4_changing_password_logs_out_everywhere(enrolled):
    acc = enrolled.portal.accounts
    phone, laptop = acc.login("alice@example.com", PASSWORD), acc.login("alice@example.com", PASSWORD)
    with pytest.raises(AuthenticationFailed):
        acc.change_password(phone.contact, "wrong-pass1", "fresh-pass-1", "fresh-pass-1")
    acc.change_password(phone.contact, PASSWORD, "fresh-pass-1", "fresh-pass-1")
    for s in (phone, laptop):
        with pytest.raises(SessionExpired):
            acc.authenticate(s.token)
    with pytest.raises(AuthenticationFailed):
        acc.login("alice@example.com", PASSWORD)
    assert acc.login("alice@example.com", "fresh-pass-1")


def test_acc_5_email_change_keeps_password(enrolled):
    enrolled.portal.directory.change_email(enrolled.staff, enrolled.alice.id, "Alice.Green@Example.org")
    enrolled.portal.accounts.confirm_email_change(email_change_token(enrolled, "alice.green@example.org"))
    assert enrolled.portal.accounts.login("alice.green@example.org", PASSWORD).contact.id == enrolled.alice.id
    with pytest.raises(AuthenticationFailed):
        enrolled.portal.accounts.login("alice@example.com", PASSWORD)
    with pytest.raises(ValidationError):
        enrolled.portal.directory.change_email(enrolled.staff, enrolled.bob.id, "alice.green@example.org")


def email_change_token(world, new_address: str) -> str:
    return re.search(r"/confirm-email#([\w.\-]+)", world.mailer.to(new_address)[-1].text).group(1)


def test_acc_6_suspended_contact_sees_note_and_unsuspend_restores(enrolled):
    acc, d = enrolled.portal.accounts, enrolled.portal.directory
    session = acc.login("alice@example.com", PASSWORD)
    d.suspend(enrolled.staff, enrolled.alice.id, "Please call our office about your account.")
    with pytest.raises(AccountSuspended) as err:
        acc.login("alice@example.com", PASSWORD)
    assert err.value.note == "Please call our office about your account."
    with pytest.raises(AuthenticationFailed):
        acc.authenticate(session.token)
    d.unsuspend(enrolled.staff, enrolled.alice.id)
    assert acc.login("alice@example.com", PASSWORD).contact.id == enrolled.alice.id


def test_acc_6_wrong_password_does_not_reveal_suspension(enrolled):
    enrolled.portal.directory.suspend(enrolled.staff, enrolled.alice.id, "secret note")
    with pytest.raises(AuthenticationFailed) as err:
        enrolled.portal.accounts.login("alice@example.com", "wrong-pass1")
    assert not isinstance(err.value, AccountSuspended)


@pytest.mark.parametrize(
    "first,last,ok",
    [
        ("Al", "G", True),
        ("A", "Green", False),
        ("Al3x", "Green", False),
        ("Alice", "Gr#en", False),
        ("José", "Núñez", True),
        ("Mary-Jane", "O'Neil", True),
        ("Al", "", False),
    ],
)
def test_acc_7_profile_names(enrolled, first, last, ok):
    if ok:
        assert enrolled.portal.accounts.update_profile(enrolled.alice, first, last).first_name == first
    else:
        with pytest.raises(ValidationError):
            enrolled.portal.accounts.update_profile(enrolled.alice, first, last)


def test_acc_7_invalid_email_refused(world):
    with pytest.raises(ValidationError) as err:
        world.portal.directory.add_contact(world.staff, world.customer.id, "Val", "Id", "not-an-email")
    assert err.value.public_message == "Enter a valid email."


def test_concurrent_double_signup_one_wins(world):
    import threading

    world.portal.invitations.send(world.staff, [world.alice.id])
    token = world.portal.invitations.link_for(world.portal.directory.contact(world.alice.id)).split("#", 1)[1]
    outcomes = []

    def attempt():
        try:
            world.portal.accounts.sign_up(token, PASSWORD, PASSWORD)
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["AlreadySignedUp"] * 3 + ["ok"]
