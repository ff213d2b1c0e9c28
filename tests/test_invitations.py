import attrs
import pytest
from conftest import PASSWORD, build_world

from portalkit import Permission, PortalStatus
from portalkit.errors import (
    AlreadySignedUp,
    ExpiredToken,
    InvalidToken,
    MissingPortalLinkError,
    NotFound,
    PermissionDenied,
    PortalDisabled,
    UnknownTokenError,
)
from portalkit.models import HistoryKind, StaffUser


def token_of(mail) -> str:
    import re

    return re.search(r"/signup#([\w.\-]+)", mail.text).group(1)


def test_inv_1_no_invitation_unless_portal_enabled():
    w = build_world(enabled=False)
    with pytest.raises(PortalDisabled):
        w.portal.invitations.send(w.staff, [w.alice.id])
    assert w.mailer.outbox == []


def test_inv_2_only_staff_with_permission_may_send(world):
    clerk = world.portal.directory.add_staff(
        world.staff, "clerk@greenacres.test", "Clerk", permissions=[Permission.MANAGE_ISSUES]
    )
    with pytest.raises(PermissionDenied):
        world.portal.invitations.send(clerk, [world.alice.id])
    assert world.mailer.outbox == []
    assert world.portal.directory.contact(world.alice.id).portal_status is PortalStatus.NOT_ENROLLED


def test_inv_3_bulk_send_one_expanded_mail_per_contact_from_sender(world):
    result = world.portal.invitations.send(world.staff, [world.alice.id, world.bob.id])
    assert result.sent == (world.alice.id, world.bob.id)
    [to_alice], [to_bob] = world.mailer.to("alice@example.com"), world.mailer.to("bob@example.com")
    assert to_alice.subject.startswith("Alice Green, you've been invited")
    assert "Hello Bob Stone" in to_bob.html and "Alice" not in to_bob.html
    # INV-3: from the sending staff user, on the company's address (a personal From is rejected by
    # mail providers); replies go to the staff user
    assert to_alice.sender == '"Morgan Manager (Green Acres Landscaping)" <portal@greenacres.test>'
    assert to_alice.reply_to == "manager@greenacres.test"
    assert token_of(to_alice) != token_of(to_bob)


def test_inv_4_subject_and_body_overridable_per_send(world):
    world.portal.invitations.send(
        world.staff,
        [world.alice.id],
        subject="Hi [ContactFirstName]",
        body="<p>[ContactName]: [CustomerPortalLink]</p>",
    )
    [mail] = world.mailer.outbox
    assert mail.subject == "Hi Alice"
    assert '<a href="https://portal.greenacres.test/signup#' in mail.html
    assert ">Sign up for the Customer Portal</a>" in mail.html


def test_inv_5_body_without_portal_link_is_refused(world):
    with pytest.raises(MissingPortalLinkError):
        world.portal.invitations.send(world.staff, [world.alice.id], body="Hello [ContactName]")
    assert world.mailer.outbox == []


def test_inv_5_unknown_token_is_an_error_not_dropped(world):
    with pytest.raises(UnknownTokenError) as err:
        world.portal.invitations.send(world.staff, [world.alice.id], body="[CustomerPortalLink] [Balance] [Foo]")
    assert err.value.tokens == ["Balance", "Foo"]


def test_inv_5_values_are_escaped_in_html_and_subject_has_no_line_break(world):
    d = world.portal.directory
    evil = d.add_contact(world.staff, world.customer.id, "Eve", "Smith", "eve@example.com")
    # names are validated, so force markup through the company name instead
    world.portal.update_config(
        world.staff, attrs.evolve(world.portal.config, company_name="<b>Acme</b>\r\nBcc: x@evil.test")
    )
    world.portal.invitations.send(world.staff, [evil.id])
    [mail] = world.mailer.outbox
    assert "<b>Acme</b>" not in mail.html and "&lt;b&gt;Acme&lt;/b&gt;" in mail.html
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_inv_5_staff_text_is_never_executed(world):
    """Only [Tokens] are replaced: Jinja syntax in staff text stays literal, whatever it says."""
    body = "{{ 7*7 }} {# gone? #} {% if true %}yes{% endif %} {{ ''.__class__.__mro__ }} [CustomerPortalLink]"
    world.portal.invitations.send(world.staff, [world.alice.id], subject="{{ 7*7 }} for [ContactName]", body=body)
    mail = world.mailer.outbox[-1]
    assert mail.subject == "{{ 7*7 }} for Alice Green"
    assert "{{ 7*7 }} {# gone? #} {% if true %}yes{% endif %} {{ ''.__class__.__mro__ }}" in mail.html


def test_inv_6_link_expires_after_30_days(world):
    world.portal.invitations.send(world.staff, [world.alice.id])
    token = token_of(world.mailer.outbox[-1])
    world.clock.advance(days=29, hours=23)
    assert world.portal.invitations.open(token).id == world.alice.id
    world.clock.advance(hours=2)
    with pytest.raises(ExpiredToken):
        world.portal.invitations.open(token)
    with pytest.raises(ExpiredToken):
        world.portal.accounts.sign_up(token, PASSWORD, PASSWORD)


def test_inv_6_link_lifetime_is_configurable():
    w = build_world(invite_link_days=2)
    w.portal.invitations.send(w.staff, [w.alice.id])
    w.clock.advance(days=3)
    with pytest.raises(ExpiredToken):
        w.portal.invitations.open(token_of(w.mailer.outbox[-1]))


def test_inv_6_resend_issues_new_link_and_voids_older(world):
    world.portal.invitations.send(world.staff, [world.alice.id])
    old = token_of(world.mailer.outbox[-1])
    world.portal.invitations.resend(world.staff, world.alice.id)
    new = token_of(world.mailer.outbox[-1])
    assert old != new
    with pytest.raises(InvalidToken):
        world.portal.accounts.sign_up(old, PASSWORD, PASSWORD)
    assert world.portal.accounts.sign_up(new, PASSWORD, PASSWORD).portal_status is PortalStatus.ENROLLED


def test_inv_6_tampered_link_is_refused(world):
    world.portal.invitations.send(world.staff, [world.alice.id])
    token = token_of(world.mailer.outbox[-1])
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x" + token, "", "not-a-token"):
        with pytest.raises(InvalidToken):
            world.portal.invitations.open(bad)


def test_inv_7_skips_no_email_enrolled_and_suspended(world):
    d = world.portal.directory
    no_mail = d.add_contact(world.staff, world.customer.id, "Nora", "Nomail")
    world.enrol(world.bob)
    suspended = d.add_contact(world.staff, world.customer.id, "Sue", "Pended", "sue@example.com")
    d.suspend(world.staff, suspended.id, "Account on hold")
    world.mailer.outbox.clear()
    result = world.portal.invitations.send(world.staff, [world.alice.id, no_mail.id, world.bob.id, suspended.id])
    assert result.sent == (world.alice.id,)
    assert {(s.contact_id, s.reason) for s in result.skipped} == {
        (no_mail.id, "no email"),
        (world.bob.id, "already enrolled"),
        (suspended.id, "suspended"),
    }
    assert [m.to for m in world.mailer.outbox] == [("alice@example.com",)]


def test_inv_7_unknown_contact_sends_nothing(world):
    with pytest.raises(NotFound):
        world.portal.invitations.send(world.staff, [world.alice.id, "no-such-contact"])
    assert world.mailer.outbox == []
    assert world.portal.directory.contact(world.alice.id).portal_status is PortalStatus.NOT_ENROLLED


def test_inv_8_status_and_history(world):
    d = world.portal.directory
    assert world.alice.portal_status is PortalStatus.NOT_ENROLLED
    world.portal.invitations.send(world.staff, [world.alice.id])
    assert d.contact(world.alice.id).portal_status is PortalStatus.INVITED
    token = token_of(world.mailer.outbox[-1])
    world.clock.advance(hours=1)
    world.portal.invitations.open(token)
    world.clock.advance(minutes=5)
    world.portal.accounts.sign_up(token, PASSWORD, PASSWORD)
    kinds = [e.kind for e in d.history(world.staff, world.alice.id)]
    assert kinds == [HistoryKind.INVITATION_SENT, HistoryKind.LINK_OPENED, HistoryKind.REGISTERED]
    times = [e.at for e in d.history(world.staff, world.alice.id)]
    assert times == sorted(times) and times[0] < times[-1]
    assert [c.id for c in d.contacts(world.staff, PortalStatus.ENROLLED)] == [world.alice.id]
    assert world.bob.id in [c.id for c in d.contacts(world.staff, PortalStatus.NOT_ENROLLED)]


def test_inv_9_auto_invite_new_contacts():
    w = build_world(auto_invite_new_contacts=True)
    c = w.portal.directory.contact(w.alice.id)
    assert c.portal_status is PortalStatus.INVITED
    assert w.mailer.to("alice@example.com")


def test_inv_9_invite_ticked_on_creation(world):
    c = world.portal.directory.add_contact(
        world.staff, world.customer.id, "Tia", "Tick", "tia@example.com", invite=True
    )
    assert c.portal_status is PortalStatus.INVITED and world.mailer.to("tia@example.com")


def test_inv_10_notification_list_hears_of_invites():
    w = build_world(invite_notification_emails=("office@greenacres.test",))
    w.portal.invitations.send(w.staff, [w.alice.id, w.bob.id])
    [notice] = w.mailer.to("office@greenacres.test")
    assert "Alice Green" in notice.text and "Bob Stone" in notice.text


def test_inv_11_link_after_signup_says_already_signed_up(world):
    world.portal.invitations.send(world.staff, [world.alice.id])
    token = token_of(world.mailer.outbox[-1])
    world.portal.accounts.sign_up(token, PASSWORD, PASSWORD)
    with pytest.raises(AlreadySignedUp) as err:
        world.portal.invitations.open(token)
    assert "log in" in err.value.public_message
    with pytest.raises(AlreadySignedUp):
        world.portal.accounts.sign_up(token, PASSWORD, PASSWORD)


def test_send_is_not_allowed_for_a_forged_staff_user(world):
    forged = StaffUser(email="x@y.co", name="X")
    with pytest.raises(PermissionDenied):
        world.portal.invitations.send(forged, [world.alice.id])


def test_inv_3_a_bulk_send_renders_each_mail_as_if_alone_and_in_its_language(world):
    """The bulk path fills one rendering per language with each contact's text: every mail is the
    mail a send to that contact alone makes (escaping included), in the contact's language."""
    import re

    portal = world.portal
    portal.accounts.set_language(world.bob, "es")
    odd = portal.directory.add_contact(world.staff, world.customer.id, "Zoë", "O'Brien", "zoe@example.com")
    portal.update_config(world.staff, attrs.evolve(portal.config, company_name="Acme <b>&</b> Sons"))
    people = [world.alice, world.bob, odd]
    portal.invitations.send(world.staff, [c.id for c in people])
    bulk = {c.email: world.mailer.to(c.email)[-1] for c in people}
    for contact in people:
        portal.invitations.send(world.staff, [contact.id])  # alone: rendered in full
    same = lambda text: re.sub(r"/signup#[\w.\-]+", "/signup#TOKEN", text)  # noqa: E731 (each send, a new link)
    for contact in people:
        alone = world.mailer.to(contact.email)[-1]
        mail = bulk[contact.email]
        assert (mail.subject, same(mail.text), same(mail.html)) == (alone.subject, same(alone.text), same(alone.html))
    assert 'lang="es"' in bulk["bob@example.com"].html and 'lang="en"' in bulk["alice@example.com"].html
    assert (
        "O&#39;Brien" in bulk["zoe@example.com"].html
        and "Acme &lt;b&gt;&amp;&lt;/b&gt; Sons" in bulk["zoe@example.com"].html
    )


def test_render_each_falls_back_to_full_renders_when_a_template_transforms_a_value(world, tmp_path):
    from portalkit.notify import MailTemplates

    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "invitation_subject.txt").write_text("{{ subject|upper }}")
    mails = MailTemplates(world.portal.settings, [tmp_path])
    batch = [
        ((f"{n}@example.com",), None, {"subject": f"hello {n}", "body_html": "x", "body_text": "y"})
        for n in ("ann", "ben", "cy")
    ]
    with world.portal.settings.pinned():
        rendered = mails.render_each("invitation", batch)
        plain = MailTemplates(world.portal.settings).render_each("invitation", batch)
    assert [m.subject for m in rendered] == ["HELLO ANN", "HELLO BEN", "HELLO CY"]
    assert [m.subject for m in plain] == ["hello ann", "hello ben", "hello cy"]
    assert [m.to for m in plain] == [("ann@example.com",), ("ben@example.com",), ("cy@example.com",)]
