"""Defects found by attacking the library, each pinned by a test named after the rule it breaks.

Every test here failed before its fix (issue 9). The same classes are hunted elsewhere: the
property test in ``test_bad_input.py`` throws random bad input at every public mutation.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest
from conftest import PASSWORD, build_world, invoice, signature_png

from portalkit import Access, Permission, PortalConfig, ProposalStatus
from portalkit._core.retry import ATTEMPTS, retry_on_conflict
from portalkit.adapters.payments import card_token
from portalkit.config import Branding, updated
from portalkit.errors import (
    AlreadySignedUp,
    AuthenticationFailed,
    Conflict,
    ExpiredToken,
    PaymentsDisabled,
    PermissionDenied,
    PortalError,
    SessionExpired,
    TooManyAttempts,
    ValidationError,
)
from portalkit.models import Contact, Customer, PortalStatus
from portalkit.money import parse


def signup_token(world, contact):
    return world.portal.invitations.link_for(world.portal.directory.contact(contact.id)).split("#", 1)[1]


# -- ACC-2: the login throttle -----------------------------------------------------------------
def test_acc_2_throttle_stays_on_after_a_successful_login(enrolled):
    acc = enrolled.portal.accounts
    with pytest.raises(AuthenticationFailed):
        acc.login("alice@example.com", "wrong-pass-1")
    acc.login("alice@example.com", PASSWORD)  # clears the failures, must not switch the limit off
    for _ in range(5):
        with pytest.raises(AuthenticationFailed) as err:
            acc.login("alice@example.com", "wrong-pass-1")
        assert not isinstance(err.value, TooManyAttempts)
    with pytest.raises(TooManyAttempts):
        acc.login("alice@example.com", PASSWORD)


def test_acc_2_concurrent_guesses_are_all_counted(enrolled):
    """16 wrong guesses at once with a limit of 5: only 5 reach the password check."""
    acc, outcomes, start = enrolled.portal.accounts, [], threading.Barrier(16)

    def guess() -> None:
        start.wait()
        try:
            acc.login("alice@example.com", "wrong-pass-1")
        except TooManyAttempts:
            outcomes.append("throttled")
        except AuthenticationFailed:
            outcomes.append("checked")

    threads = [threading.Thread(target=guess) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("checked") == 5 and outcomes.count("throttled") == 11


def test_acc_2_lost_races_back_off_with_jitter_then_give_up_cleanly():
    """Writers that lost a race wait a random, growing time (so they do not collide in step
    again: the concurrent-guesses test lost five races in a row on PostgreSQL without it); after
    ``ATTEMPTS`` lost races the typed ``Conflict`` reaches the caller."""
    waits, calls = [], []

    def losing() -> None:
        calls.append(1)
        raise Conflict("LoginThrottle was changed concurrently")

    with pytest.raises(Conflict) as err:
        retry_on_conflict(losing, sleep=waits.append)
    assert len(calls) == ATTEMPTS and len(waits) == ATTEMPTS - 1
    assert all(0 <= w <= 0.1 for w in waits) and len(set(waits)) > 1
    assert err.value.public_message
    outcomes = iter([Conflict("x"), Conflict("x"), "done"])

    def wins_third() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert retry_on_conflict(wins_third, sleep=lambda _: None) == "done"


def test_acc_4_current_password_check_is_throttled(enrolled):
    acc, alice = enrolled.portal.accounts, enrolled.alice
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            acc.change_password(alice, "guess-pass-1", "fresh-pass-9", "fresh-pass-9")
    with pytest.raises(TooManyAttempts):
        acc.change_password(alice, PASSWORD, "fresh-pass-9", "fresh-pass-9")
    with pytest.raises(TooManyAttempts):  # the same account limit as logins
        acc.login("alice@example.com", PASSWORD)


def test_acc_3_forgot_password_is_rate_limited_per_address_and_client(enrolled):
    acc = enrolled.portal.accounts
    for _ in range(3):
        acc.request_reset("alice@example.com")
    with pytest.raises(TooManyAttempts):
        acc.request_reset("alice@example.com")
    for n in range(20):
        acc.request_reset(f"someone{n}@example.com", "203.0.113.9")
    with pytest.raises(TooManyAttempts):
        acc.request_reset("bob@example.com", "203.0.113.9")


def test_acc_3_forgot_password_does_the_same_work_for_unknown_emails(enrolled):
    """The same writes and one queued mail either way, so timing tells nothing."""
    acc, outbox = enrolled.portal.accounts, enrolled.mailer.outbox
    before = len(outbox)
    acc.request_reset("alice@example.com")
    acc.request_reset("nobody@example.com")
    assert len(outbox) == before + 2
    assert "/reset-password#" in outbox[-2].text and "/reset-password#" not in outbox[-1].text


def test_acc_1_a_password_past_72_bytes_never_matches(world):
    long_password = "garden-7" + "x" * 64  # exactly 72 bytes, bcrypt's limit
    world.portal.invitations.send(world.staff, [world.alice.id])
    world.portal.accounts.sign_up(signup_token(world, world.alice), long_password, long_password)
    assert world.portal.accounts.login("alice@example.com", long_password)
    with pytest.raises(AuthenticationFailed):
        world.portal.accounts.login("alice@example.com", long_password + "anything")


# -- INV-6, INV-11: links ------------------------------------------------------------------------
def test_inv_6_link_lifetime_is_exact_to_the_microsecond(world):
    world.clock.set(datetime(2026, 3, 1, 9, 0, 0, 750000, tzinfo=UTC))
    world.portal.invitations.send(world.staff, [world.alice.id])
    token = signup_token(world, world.alice)
    world.clock.advance(days=30)
    assert world.portal.invitations.open(token).id == world.alice.id
    world.clock.advance(microseconds=1)
    with pytest.raises(ExpiredToken):
        world.portal.invitations.open(token)


def test_acc_4_sessions_and_reset_links_expire_to_the_microsecond(enrolled):
    enrolled.clock.set(datetime(2026, 3, 1, 9, 0, 0, 750000, tzinfo=UTC))
    session = enrolled.portal.accounts.login("alice@example.com", PASSWORD)
    enrolled.clock.advance(hours=12)
    assert enrolled.portal.accounts.authenticate(session.token).id == enrolled.alice.id
    enrolled.clock.advance(microseconds=1)
    with pytest.raises(SessionExpired):
        enrolled.portal.accounts.authenticate(session.token)


def test_inv_11_an_old_link_of_an_enrolled_contact_says_already_signed_up(world):
    world.portal.invitations.send(world.staff, [world.alice.id])
    token = signup_token(world, world.alice)
    world.portal.accounts.sign_up(token, PASSWORD, PASSWORD)
    world.clock.advance(days=45)
    with pytest.raises(AlreadySignedUp):
        world.portal.invitations.open(token)
    with pytest.raises(AlreadySignedUp):
        world.portal.accounts.sign_up(token, PASSWORD, PASSWORD)


# -- INV-2 and the staff side: deny by default ---------------------------------------------------
def test_inv_2_every_staff_mutation_needs_a_staff_user_with_the_permission(world):
    w, d = world, world.portal.directory
    nobody = d.add_staff(w.staff, "nobody@greenacres.test", "No Body", permissions=())
    calls = {
        "add_customer": lambda s: d.add_customer(s, "Acme"),
        "add_property": lambda s: d.add_property(s, w.customer.id, "Back lot"),
        "add_contact": lambda s: d.add_contact(s, w.customer.id, "Nia", "New", "nia@example.com"),
        "update_contact": lambda s: d.update_contact(s, w.bob.id, access=Access(invoices=False)),
        "link_property": lambda s: d.link_property(s, w.bob.id, w.other_prop.id),
        "set_primary_contact": lambda s: d.set_primary_contact(s, w.other_prop.id, w.bob.id),
        "change_email": lambda s: d.change_email(s, w.bob.id, "bobby@example.com"),
        "suspend": lambda s: d.suspend(s, w.bob.id, "Unpaid"),
        "add_staff": lambda s: d.add_staff(s, "new@greenacres.test", "New Staff"),
        "invoices.add": lambda s: w.portal.invoices.add(s, w.prop.id, "INV-X", "10.00", date(2026, 1, 1)),
        "proposals.add": lambda s: w.portal.proposals.add(s, w.prop.id, "P-X", "Work", date(2026, 2, 1)),
        "update_config": lambda s: w.portal.update_config(s, attrs.evolve(w.portal.config, company_name="Evil")),
        "invitations.send": lambda s: w.portal.invitations.send(s, [w.bob.id]),
    }
    before = {cls: sorted(w.portal.storage.find(cls), key=lambda r: r.id) for cls in (Customer, Contact)}
    for name, call in calls.items():
        for who in (nobody, None, {"permissions": set(Permission)}):
            with pytest.raises(PermissionDenied):
                call(who)
    assert w.portal.config.company_name != "Evil"
    assert before == {cls: sorted(w.portal.storage.find(cls), key=lambda r: r.id) for cls in (Customer, Contact)}


def test_inv_2_staff_grant_only_permissions_they_hold(world):
    d = world.portal.directory
    manager = d.add_staff(world.staff, "lead@greenacres.test", "Lead", permissions={Permission.MANAGE_STAFF})
    with pytest.raises(PermissionDenied):
        d.add_staff(manager, "sneaky@greenacres.test", "Sneaky", permissions={Permission.MANAGE_BILLING})
    with pytest.raises(PermissionDenied):
        d.create_first_admin("second@greenacres.test", "Second Admin")


# -- VIS-3, VIS-6 ----------------------------------------------------------------------------------
def test_vis_3_payment_methods_need_the_invoices_flag_and_electronic_payment(enrolled):
    w, pay = enrolled, enrolled.portal.payments
    card = pay.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    w.portal.directory.update_contact(w.staff, w.alice.id, access=Access(invoices=False))
    alice = w.portal.directory.contact(w.alice.id)
    for call in (
        lambda: pay.methods(alice),
        lambda: pay.set_default(alice, card.id),
        lambda: pay.remove_method(alice, card.id),
    ):
        with pytest.raises(PermissionDenied):
            call()
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, electronic_payment_enabled=False))
    for call in (lambda: pay.methods(w.bob), lambda: pay.remove_method(w.alice, card.id)):
        with pytest.raises(PaymentsDisabled):
            call()
    assert not w.portal.storage.get(type(card), card.id).removed


def test_vis_6_main_contact_only_hides_jobs_without_a_main_contact(enrolled):
    w = enrolled
    p = w.portal.proposals
    p.add(w.staff, w.prop.id, "P-NOBODY", "Unassigned work", date(2026, 2, 1))
    mine = p.add(w.staff, w.prop.id, "P-BOB", "Bob's work", date(2026, 2, 1), main_contact_id=w.bob.id)
    w.portal.directory.update_contact(w.staff, w.bob.id, main_contact_only=True)
    bob = w.portal.directory.contact(w.bob.id)
    assert [r.proposal.id for r in p.list(bob, w.prop.id)] == [mine.id]


# -- PAY-4, PAY-5: money --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [("125.00", "125.00"), ("1,287.50", "1287.50"), ("$1,287.50", "1287.50"), ("0.5", "0.50"), ("12", "12.00")],
)
def test_pay_5_amounts_read_strictly(text, expected):
    assert parse(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "1,50",
        "1,5000.00",
        "12,34,567",
        "١٢٣",
        "１２３",
        "1e30",
        "1E+3",
        "NaN",
        "Infinity",
        "-5.00",
        "1.005",
        "12.",
        " ",
        "99999999999.00",
        "1_000",
    ],
)
def test_pay_5_ambiguous_or_foreign_amounts_are_refused(text):
    with pytest.raises(ValidationError):
        parse(text)


def test_pay_5_huge_decimals_are_a_validation_error():
    for value in (Decimal("1E+30"), Decimal("-1"), Decimal("sNaN"), 10**30):
        with pytest.raises(ValidationError):
            parse(value)


def test_pay_5_fee_percent_is_exact_and_never_a_float():
    with pytest.raises(ValidationError):
        PortalConfig(convenience_fee_percent=2.9)  # type: ignore[arg-type]
    config = PortalConfig(convenience_fee_percent="2.9")  # type: ignore[arg-type]
    assert config.convenience_fee_percent == Decimal("2.9")


def test_pay_5_fee_on_five_dollars_at_2_9_percent_is_15_cents(enrolled):
    w = enrolled
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, convenience_fee_percent=Decimal("2.9")))
    inv = invoice(w, amount="5.00")
    card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    assert w.portal.payments.quote(w.alice, inv.id, card.id, "5.00").fee == Decimal("0.15")


# -- INV-5: staff text is data ---------------------------------------------------------------------
def test_inv_5_subject_never_keeps_any_line_break(world):
    for brk in ("\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x1c", "\r\n", "\x00"):
        world.portal.invitations.send(
            world.staff, [world.alice.id], subject=f"Hello{brk}Bcc: x@evil.test [ContactName]"
        )
        subject = world.mailer.outbox[-1].subject
        assert subject.splitlines() == [subject] and "Bcc: x@evil.test" in subject


def test_inv_5_rendering_is_bounded(world):
    with pytest.raises(ValidationError):
        world.portal.invitations.send(world.staff, [world.alice.id], body="x" * 20_001 + "[CustomerPortalLink]")
    world.portal.invitations.send(world.staff, [world.alice.id], body="{{'x'*200000000}} [CustomerPortalLink]")
    html = world.mailer.outbox[-1].html
    assert "{{'x'*200000000}}" in html and len(html) < 10_000  # printed as text, never run


# -- INV-9 ------------------------------------------------------------------------------------------
def test_inv_9_auto_invite_with_the_portal_disabled_still_creates_the_contact():
    w = build_world(auto_invite_new_contacts=True)
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, enabled=False))
    nia = w.portal.directory.add_contact(w.staff, w.customer.id, "Nia", "New", "nia@example.com")
    assert nia.portal_status is PortalStatus.NOT_ENROLLED and w.portal.directory.contact(nia.id)


# -- PRO-4 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("background", [(0, 0, 0, 0), (255, 255, 255, 255), (255, 255, 255, 0)])
def test_pro_4_an_untouched_pad_is_not_a_signature(enrolled, background):
    w = enrolled
    proposal = w.portal.proposals.add(
        w.staff, w.prop.id, "P-1", "Work", date(2026, 2, 1), status=ProposalStatus.APPROVED
    )
    with pytest.raises(ValidationError):
        w.portal.proposals.sign(w.alice, proposal.id, signature_png(ink=False, background=background), "203.0.113.5")
    assert w.portal.storage.get(type(proposal), proposal.id).signature is None


# -- ACC-7: addresses -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address",
    [
        "a,attacker@evil.com",
        "a@b.com,c@d.com",
        "Eve <eve@x.com>",
        '"a,b"@x.com',
        "a@b.com\r\nBcc: c@d.com",
        "bob@localhost",
    ],
)
def test_acc_7_an_email_is_exactly_one_address(world, address):
    with pytest.raises(ValidationError):
        world.portal.directory.add_contact(world.staff, world.customer.id, "Eve", "Evil", address)


# -- BRD-1, BRD-2 ------------------------------------------------------------------------------------
def test_brd_1_button_and_dashboard_fonts_are_configurable():
    branding = Branding(button_font="Georgia, serif", dashboard_font="Verdana, sans-serif")
    assert (branding.button_font, branding.dashboard_font) == ("Georgia, serif", "Verdana, sans-serif")
    for bad in ("Arial; } body { display:none", "x" * 200, 12):
        with pytest.raises(ValidationError):
            updated(PortalConfig(), branding={"button_font": bad})


@pytest.mark.parametrize("colour", [None, 123, b"#FFFFFF", ["#FFF"]])
def test_brd_2_a_colour_that_is_not_text_is_a_validation_error(colour):
    with pytest.raises(ValidationError):
        updated(PortalConfig(), branding={"button_colour": colour})


# -- the outbox after commit ------------------------------------------------------------------------
def test_inline_delivery_failure_never_fails_a_committed_operation(enrolled, monkeypatch):
    def broken_dispatch(*_a, **_k):
        raise RuntimeError("mail relay exploded")

    monkeypatch.setattr(enrolled.portal.outbox, "dispatch", broken_dispatch)
    issue = enrolled.portal.issues.create(enrolled.alice, enrolled.prop.id, "Broken gate")
    assert enrolled.portal.storage.get(type(issue), issue.id) is not None


# -- typed errors for values of the wrong type ------------------------------------------------------
@pytest.mark.parametrize("bad", [None, 7, 3.5, b"bytes", ["list"]])
def test_public_calls_refuse_wrong_types_with_validation_errors(enrolled, bad):
    w, acc = enrolled, enrolled.portal.accounts
    calls = [
        lambda: acc.login(bad, PASSWORD),
        lambda: acc.login("alice@example.com", bad),
        lambda: acc.sign_up(bad, PASSWORD, PASSWORD),
        lambda: acc.reset_password(bad, PASSWORD, PASSWORD),
        lambda: acc.change_password(w.alice, PASSWORD, bad, bad),
        lambda: acc.update_profile(w.alice, bad, "Green"),
        lambda: w.portal.directory.add_contact(w.staff, w.customer.id, bad, "X"),
        lambda: w.portal.directory.suspend(w.staff, w.bob.id, bad),
        lambda: w.portal.issues.create(w.alice, w.prop.id, bad),
        lambda: w.portal.payments.add_method(w.alice, bad),
        lambda: w.portal.proposals.sign(w.alice, "x" * 32, bad, "203.0.113.5"),
        lambda: w.portal.issues.create(w.alice, w.prop.id, "Leak", attachments=[bad]),
    ]
    for call in calls:
        with pytest.raises(PortalError):
            call()
