"""Issue 24: the design system's colours hold their contrast for any branding, the staff settings
offer fonts from a list and warn about pairs that cannot be read, the staff menu shows only what
a role may use, and the small service additions the new flows need: paying several invoices in
one go (one payment per invoice, each with its own key), a typed-name signature, and a sign-up
that signs the contact in."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest
from conftest import PASSWORD, build_world, invoice

from portalkit import Branding, Permission
from portalkit._core.theme import FONT_STACKS, TEXT, UI, contrast, contrast_warnings, luminance, palette, readable
from portalkit.adapters.payments import card_token
from portalkit.errors import NotFound, PortalError, ValidationError
from portalkit.models import Invoice, Payment, PaymentStatus, ProposalStatus
from portalkit.proposals import check_signature_image, typed_signature_image

HEX = re.compile(r"#[0-9A-F]{6}")


def random_colour(rng: random.Random) -> str:
    return "#" + "".join(rng.choice("0123456789ABCDEF") for _ in range(6))


# -- colours --------------------------------------------------------------------------------------
def test_contrast_is_the_wcag_ratio():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert contrast("#2E7D32", "#2E7D32") == pytest.approx(1.0)
    assert luminance("#FFF") == pytest.approx(1.0)


def test_readable_moves_a_colour_only_as_far_as_it_must():
    assert readable("#222222", "#FFFFFF") == "#222222"  # already readable: unchanged
    fixed = readable("#FFFF00", "#FFFFFF")
    assert contrast(fixed, "#FFFFFF") >= TEXT and contrast(fixed, "#FFFFFF") < TEXT + 0.2  # just enough
    assert contrast(readable("#777777", ["#FFFFFF", "#F3F4F6"]), "#F3F4F6") >= TEXT


@pytest.mark.parametrize("seed", range(12))
def test_every_text_of_the_palette_reads_at_4_5_to_1_whatever_colours_staff_choose(seed):
    """1,000 random brandings (12 seeds): every text colour on each background it is shown on
    reaches 4.5:1, borders of controls and the focus ring 3:1 (WCAG 1.4.3, 1.4.11)."""
    rng = random.Random(seed)
    for _ in range(84):
        brand = Branding(
            **{
                name: random_colour(rng)
                for name in (
                    "background_colour",
                    "border_colour",
                    "nav_bar_colour",
                    "nav_text_colour",
                    "button_colour",
                    "button_text_colour",
                    "dashboard_text_colour",
                )
            }
        )
        p = palette(brand)
        grounds = (p.canvas, p.surface, p.sunken)
        for text in (p.text, p.muted, p.link, p.danger_ink):
            assert min(contrast(text, g) for g in grounds) >= TEXT - 0.01, (brand, text)
        assert contrast(p.nav_text, p.nav) >= TEXT - 0.01
        assert contrast(p.button_text, p.button) >= TEXT - 0.01
        assert contrast(p.button_hover_text, p.button_hover) >= TEXT - 0.01
        assert contrast(p.danger_text, p.danger) >= TEXT - 0.01
        for badge in p.badges.values():
            assert contrast(badge.text, badge.background) >= TEXT - 0.01
        assert contrast(p.control_border, p.surface) >= UI - 0.01
        assert min(contrast(p.focus, g) for g in grounds) >= UI - 0.01
        assert all(HEX.fullmatch(v.split(": ")[1].rstrip(";")) for v in p.css().splitlines())


def test_a_chosen_pair_that_cannot_be_read_is_named_with_what_is_shown_instead():
    assert contrast_warnings(Branding()) == []
    pale = Branding(
        nav_bar_colour="#FDE68A", nav_text_colour="#FFFFFF", button_colour="#FACC15", button_text_colour="#FFFFFF"
    )
    found = {w["what"]: w for w in contrast_warnings(pale)}
    assert set(found) == {
        "Navigation text on the navigation bar",
        "Button text on the button colour",
        "Links (the button colour) on the page background",
    }
    nav = found["Navigation text on the navigation bar"]
    assert nav["ratio"] < 4.5 <= nav["used_ratio"] and nav["used"] == palette(pale).nav_text


def test_text_of_the_wrong_lightness_is_turned_around_not_greyed():
    dark = palette(Branding(background_colour="#0F172A", dashboard_text_colour="#222222"))
    assert dark.dark and contrast(dark.text, dark.canvas) >= 12  # near white, not a grey at 4.5:1


def test_branding_offers_its_palette_and_every_font_stack_is_a_valid_setting():
    assert Branding().palette == palette(Branding())
    for _name, stack in FONT_STACKS:
        assert Branding(display_font=stack).display_font == stack
        assert '"' not in stack and "'" not in stack  # written into a <style> element as it is


# -- paying several invoices -----------------------------------------------------------------------
@pytest.fixture
def billing():
    w = build_world()
    w.alice = w.enrol(w.alice)
    w.one = invoice(w, "INV-1", "500.00")
    w.two = invoice(w, "INV-2", "120.00")
    w.card = w.portal.payments.add_method(w.alice, card_token("4242 4242 4242 4242", 12, 2031, "debit"))
    return w


def test_pay_many_makes_one_payment_per_invoice_each_with_its_own_key(billing):
    w = billing
    done = w.portal.payments.pay_many(w.alice, [(w.one.id, "200.00"), (w.two.id, "120.00")], w.card.id, "form-1")
    assert [(p.invoice_id, p.amount) for p in done] == [(w.one.id, Decimal("200.00")), (w.two.id, Decimal("120.00"))]
    assert {p.idempotency_key for p in done} == {f"form-1:{w.one.id}", f"form-1:{w.two.id}"}
    assert all(p.status is PaymentStatus.PROCESSING for p in done)
    pending = {i.number: i.pending_amount for i in w.portal.storage.find(Invoice)}
    assert pending == {"INV-1": Decimal("200.00"), "INV-2": Decimal("120.00")}  # each invoice's own block
    again = w.portal.payments.pay_many(w.alice, [(w.one.id, "200.00"), (w.two.id, "120.00")], w.card.id, "form-1")
    assert [p.id for p in again] == [p.id for p in done]  # the form sent twice: the same payments
    assert len(w.portal.storage.find(Payment)) == 2 and len(w.adapters.processor.submitted) == 2
    w.adapters.processor.settle_due(w.portal.payments.handle_webhook)
    due = {i.number: i.amount_due for i in w.portal.storage.find(Invoice)}
    assert due == {"INV-1": Decimal("300.00"), "INV-2": Decimal("0.00")}


def test_pay_many_checks_every_invoice_before_charging_any(billing):
    w = billing
    with pytest.raises(ValidationError) as refused:
        w.portal.payments.pay_many(w.alice, [(w.one.id, "100.00"), (w.two.id, "999.00")], w.card.id, "form-2")
    assert "INV-2" in refused.value.public_message and refused.value.field == f"amount-{w.two.id}"
    assert w.portal.storage.find(Payment) == [] and w.adapters.processor.submitted == []
    with pytest.raises(ValidationError):
        w.portal.payments.pay_many(w.alice, [], w.card.id, "form-3")
    with pytest.raises(NotFound):
        w.portal.payments.pay_many(w.alice, [("not-an-invoice", "1.00")], w.card.id, "form-4")


def test_pay_many_stops_at_the_first_charge_that_does_not_go_through(billing):
    w = billing
    refused = w.portal.payments.add_method(w.alice, card_token("4000 0000 0000 0119", 12, 2031))
    done = w.portal.payments.pay_many(w.alice, [(w.one.id, "500.00"), (w.two.id, "120.00")], refused.id, "form-5")
    assert [p.status for p in done] == [PaymentStatus.FAILED]  # INV-2 is not charged at all
    assert w.portal.storage.get(Invoice, w.two.id).pending_amount == 0 and len(w.portal.storage.find(Payment)) == 1


# -- signatures and sign-up ----------------------------------------------------------------------------
def test_a_typed_name_is_a_signature_with_the_same_audit_trail(billing):
    w = billing
    proposal = w.portal.proposals.add(
        w.staff,
        w.prop.id,
        "P-1",
        "Mulch",
        w.clock.now().date(),
        status=ProposalStatus.APPROVED,
        services=[("Mulch beds", "420.00", False)],
    )
    with pytest.raises(ValidationError) as empty:
        w.portal.proposals.sign(w.alice, proposal.id, "", "203.0.113.9", typed_name="  ")
    assert empty.value.field == "typed_name"
    signed = w.portal.proposals.sign(
        w.alice, proposal.id, "", "203.0.113.9", typed_name="Alice Green", user_agent="Firefox"
    )
    sig = signed.signature
    assert (sig.signer_name, sig.ip_address, sig.total, sig.user_agent) == (
        "Alice Green",
        "203.0.113.9",
        Decimal("420.00"),
        "Firefox",
    )
    image = w.portal.proposals.signature_image(w.staff, proposal.id)
    assert image.startswith(b"\x89PNG")
    import base64

    check_signature_image("data:image/png;base64," + base64.b64encode(image).decode())  # ink on it
    assert w.portal.proposals.verify_signature(w.staff, proposal.id).unchanged


def test_typed_signature_images_fit_long_and_accented_names():
    for name in ("Bo", "María José Fernández-Villalobos de la Cruz y Montenegro", "Zoë Ångström"):
        png = typed_signature_image(name)
        assert png.startswith(b"\x89PNG") and len(png) < 200_000
    with pytest.raises(ValidationError):
        typed_signature_image("x" * 101)


def test_sign_up_and_sign_in_returns_a_session_of_the_new_contact():
    w = build_world()
    w.portal.invitations.send(w.staff, [w.alice.id])
    token = w.portal.invitations.link_for(w.portal.directory.contact(w.alice.id)).split("#", 1)[1]
    session = w.portal.accounts.sign_up_and_sign_in(token, PASSWORD, PASSWORD)
    assert w.portal.accounts.authenticate(session.token).id == w.alice.id
    assert w.portal.accounts.login("alice@example.com", PASSWORD).contact.id == w.alice.id
    with pytest.raises(PortalError):  # the invitation is used up (AlreadySignedUp)
        w.portal.accounts.sign_up_and_sign_in(token, PASSWORD, PASSWORD)


# -- pages ---------------------------------------------------------------------------------------------
def test_host_staff_menu_shows_only_what_the_role_may_use(tmp_path):
    from hosts import STAFF_PASSWORD, Browser, add_staff_user, demo_portal, make_app

    portal = demo_portal(tmp_path)
    app = make_app("flask", portal)
    add_staff_user(app, "clerk@greenacres.example", [Permission.MANAGE_ISSUES])
    clerk = Browser(app)
    r = clerk.post("/staff/login", {"email": "clerk@greenacres.example", "password": STAFF_PASSWORD})
    assert r.status_code == 303
    landing = clerk.get("/staff")  # the contacts page is not theirs: the first one of the menu that is
    assert landing.status_code in (302, 303) and landing.location.endswith("/staff/issues")
    menu = re.search(
        r'<nav class="site-nav site-nav--staff".*?</nav>', clerk.get("/staff/issues").get_data(as_text=True), re.S
    ).group(0)
    assert "/staff/issues" in menu and all(
        page not in menu
        for page in ("/staff/payments", "/staff/branding", "/staff/reports", "/staff/proposals", "/staff/customers")
    )


def test_host_settings_choose_colours_with_a_colour_input_and_fonts_from_a_list(tmp_path):
    from hosts import demo_portal, make_app
    from test_hosts import staff_browser

    portal = demo_portal(tmp_path)
    staff = staff_browser(make_app("flask", portal))
    html = staff.get("/staff/branding").get_data(as_text=True)
    assert len(re.findall(r'<input type="color" name="\w+_colour"', html)) == 7
    assert len(re.findall(r'<select name="\w+_font"', html)) == 4 and "Georgia (serif)" in html
    stack = dict(FONT_STACKS)["Georgia (serif)"]
    pale = {"nav_bar_colour": "#fde68a", "nav_text_colour": "#ffffff", "display_font": stack, "action": "preview"}
    preview = staff.post("/staff/branding", pale).get_data(as_text=True)
    assert "Navigation text on the navigation bar" in preview and f"--font: {stack}" in preview
    nav_text = re.search(r"--nav-fg: (#[0-9A-F]{6});", preview).group(1)
    assert contrast(nav_text, "#FDE68A") >= TEXT  # the preview shows what the portal will show
