"""Sign-in links (issue 15, item 4): mailed, single use, 15 minutes, throttled like resets, the
same answer for every address, and a company may turn them off."""

from __future__ import annotations

import re
import threading

import attrs
import pytest

from portalkit.accounts import LOGIN_LINK_ANSWER
from portalkit.errors import AccountSuspended, ExpiredToken, InvalidToken, PermissionDenied, TooManyAttempts


def link_token(world, address: str) -> str:
    mail = [m for m in world.mailer.outbox if address in m.to][-1]
    return re.search(r"/sign-in#([\w.\-]+)", mail.text).group(1)


def test_sign_in_link_works_once_and_voids_older_links(enrolled):
    acc = enrolled.portal.accounts
    assert acc.request_login_link("Alice@Example.com") == LOGIN_LINK_ANSWER
    older = link_token(enrolled, "alice@example.com")
    acc.request_login_link("alice@example.com")
    token = link_token(enrolled, "alice@example.com")
    assert acc.check_login_link(token).id == enrolled.alice.id
    session = acc.login_with_link(token)
    assert acc.authenticate(session.token).id == enrolled.alice.id
    for used in (token, older):  # the link is spent, and so is every older one
        with pytest.raises(InvalidToken):
            acc.login_with_link(used)


def test_sign_in_link_expires_after_15_minutes(enrolled):
    acc = enrolled.portal.accounts
    acc.request_login_link("alice@example.com")
    token = link_token(enrolled, "alice@example.com")
    enrolled.clock.advance(minutes=16)
    with pytest.raises(ExpiredToken):
        acc.login_with_link(token)


def test_sign_in_link_answers_alike_for_every_address(enrolled):
    d, acc = enrolled.portal.directory, enrolled.portal.accounts
    d.add_contact(enrolled.staff, enrolled.customer.id, "Nia", "New", "nia@example.com")
    enrolled.mailer.outbox.clear()
    answers = {acc.request_login_link(e) for e in ("alice@example.com", "nia@example.com", "ghost@x.io")}
    assert answers == {LOGIN_LINK_ANSWER}
    assert ["/sign-in#" in m.text for m in enrolled.mailer.outbox] == [True, False, False]


def test_sign_in_links_are_throttled_and_can_be_turned_off(enrolled):
    acc, portal = enrolled.portal.accounts, enrolled.portal
    for _ in range(3):
        acc.request_login_link("alice@example.com", "203.0.113.5")
    with pytest.raises(TooManyAttempts):
        acc.request_login_link("alice@example.com", "203.0.113.5")
    token = link_token(enrolled, "alice@example.com")
    portal.update_config(enrolled.staff, attrs.evolve(portal.config, login_links_enabled=False))
    with pytest.raises(PermissionDenied):
        acc.request_login_link("bob@example.com")
    with pytest.raises(InvalidToken):  # links mailed before stop working too
        acc.login_with_link(token)


def test_a_suspended_contact_cannot_use_a_sign_in_link(enrolled):
    acc = enrolled.portal.accounts
    acc.request_login_link("alice@example.com")
    token = link_token(enrolled, "alice@example.com")
    enrolled.portal.directory.suspend(enrolled.staff, enrolled.alice.id, "On hold")
    with pytest.raises(AccountSuspended):
        acc.login_with_link(token)


def test_two_tabs_racing_on_one_link_get_one_session(enrolled):
    acc = enrolled.portal.accounts
    acc.request_login_link("alice@example.com")
    token = link_token(enrolled, "alice@example.com")
    outcomes, start = [], threading.Barrier(6)

    def use() -> None:
        start.wait()
        try:
            acc.login_with_link(token)
            outcomes.append("in")
        except InvalidToken:
            outcomes.append("spent")

    threads = [threading.Thread(target=use) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["in"] + ["spent"] * 5
