"""Issue 24's flows in headless Chromium on both reference hosts: sign-up that signs in, paying
several invoices at once with a new card added on the pay page and a partial amount, the fee
shown before a credit card is charged, a signature typed instead of drawn; every customer and
staff page checked by axe-core (no violation of any impact, desktop and phone) with a light and
a dark brand palette; every mail rendered in the browser."""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from hosts import CUSTOMER_PASSWORD
from test_browser_e2e import (  # noqa: F401
    By,
    Select,
    axe_problems,
    browser,
    check_page,
    choose,
    customer_login,
    draw_signature,
    fill,
    host,
    navigate,
    open_mailed_link,
    sign_up,
    signup_link_from_mail_folder,
    staff_login,
    submit,
    text,
    type_into,
)

pytestmark = pytest.mark.browser
# A mail is shown inside the mail client's own page, which has the main landmark and the heading.
MAIL_CLIENT_RULES = ("landmark-one-main", "page-has-heading-one", "region")

DARK = {
    "background_colour": "#0F172A",
    "border_colour": "#334155",
    "nav_bar_colour": "#020617",
    "nav_text_colour": "#E2E8F0",
    "button_colour": "#38BDF8",
    "button_text_colour": "#0F172A",
    "dashboard_text_colour": "#E2E8F0",
}
LIGHT = {
    "background_colour": "#FAFAF7",
    "border_colour": "#D0D5DD",
    "nav_bar_colour": "#FDE68A",
    "nav_text_colour": "#FFFFFF",
    "button_colour": "#FACC15",
    "button_text_colour": "#FFFFFF",
    "dashboard_text_colour": "#6B7280",
}  # pale pairs on purpose: the portal makes them readable


def invite(d, url: str, tmp_path: Path, *emails: str) -> None:
    staff_login(d, url)
    for email in emails:
        d.find_element(By.CSS_SELECTOR, f"tr[data-email='{email}'] input[name=contact]").click()
    submit(d, "#send-invites")
    d.delete_all_cookies()


def new_card(d, number: str, funding: str) -> None:
    choose(d, "methods-to-pay", "new card")
    type_into(d, "card-number", number)
    type_into(d, "card-exp-month", "12")
    type_into(d, "card-exp-year", "2031")
    Select(d.find_element(By.ID, "card-funding")).select_by_value(funding)


def payments_in(kind: str, tmp_path: Path) -> list[tuple[str, Decimal, Decimal, str]]:
    """(idempotency key, amount, fee, invoice number) of every payment in the host's database
    (SqlStorage's tables in Flask's, the Django ORM's own in Django's)."""
    file, prefix = ("portal.sqlite3", "pk_") if kind == "flask" else ("django.sqlite3", "portalkit_")
    with sqlite3.connect(tmp_path / file) as db:
        rows = db.execute(
            f"SELECT p.idempotency_key, p.amount, p.fee, i.number FROM {prefix}payment p "
            f"JOIN {prefix}invoice i ON i.id = p.invoice_id ORDER BY i.number"
        ).fetchall()
    return [(key, Decimal(str(amount)), Decimal(str(fee)), number) for key, amount, fee, number in rows]


def test_browser_signup_signs_in_then_pays_several_invoices_with_a_new_card_and_signs_by_typing(
    host, browser, tmp_path
):
    kind, url = host
    d = browser
    invite(d, url, tmp_path, "alice@example.com")
    sign_up(d, signup_link_from_mail_folder(tmp_path / "mail", "alice@example.com"))
    assert d.current_url.startswith(url + "/dashboard") and "Hello, Alice" in text(d)  # signed in at once
    assert d.find_element(By.ID, "balance").text == "$1,655.50"  # INV-1001, INV-1002 (Commons), INV-1003 (Pool)

    # "Pay now": every open invoice of the property chosen; INV-1001 paid in part; a new debit card (no fee)
    navigate(d, d.find_element(By.ID, "pay-now"))
    boxes = {b.get_attribute("data-number"): b for b in d.find_elements(By.CSS_SELECTOR, "input[name=invoice]")}
    assert set(boxes) == {"INV-1001", "INV-1002"} and all(b.is_selected() for b in boxes.values())
    amount = d.find_element(By.ID, "amount-" + boxes["INV-1001"].get_attribute("value"))
    amount.clear()
    amount.send_keys("250.00")
    new_card(d, "4000 0566 5566 5556", "debit")
    assert d.find_element(By.ID, "subtotal").text == "$560.50" and d.find_element(By.ID, "count").text == "(2)"
    check_page(d, "pay-new-card")
    submit(d, "#pay")
    assert d.find_element(By.ID, "receipt-total").text == "$560.50"
    receipt = d.find_element(By.ID, "receipt-lines").text
    assert "INV-1001" in receipt and "$250.00" in receipt and "INV-1002" in receipt and "$310.50" in receipt
    check_page(d, "receipt-several")
    paid = payments_in(kind, tmp_path)
    assert [(a, f, n) for _k, a, f, n in paid] == [
        (Decimal("250.00"), Decimal("0.00"), "INV-1001"),
        (Decimal("310.50"), Decimal("0.00"), "INV-1002"),
    ]
    form_keys = {key.rsplit(":", 1)[0] for key, *_ in paid}
    assert len(form_keys) == 1 and len({key for key, *_ in paid}) == 2  # one form key, one payment key per invoice

    # a new credit card on the other property: the fee is shown before anything is charged
    d.get(url + "/dashboard")
    navigate(d, d.find_element(By.ID, "tab-invoices"))
    Select(d.find_element(By.ID, "property")).select_by_visible_text("Oak Street Pool")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='INV-1003'] a.button"))
    new_card(d, "4242 4242 4242 4242", "credit")
    submit(d, "#pay")
    assert "is a credit card" in d.find_element(By.ID, "method-notice").text and len(payments_in(kind, tmp_path)) == 2
    assert d.find_element(By.ID, "fee").text == "$2.85" and d.find_element(By.ID, "total").text == "$97.85"
    check_page(d, "pay-fee-check")
    submit(d, "#pay")
    assert d.find_element(By.ID, "receipt-total").text == "$97.85"

    # a proposal signed by typing the name (WCAG 2.2's alternative to drawing)
    d.get(url + "/dashboard?view=proposals")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='P-501'] a.button"))
    choose(d, "sign-form", "Type your name")
    assert d.find_element(By.ID, "type-panel").is_displayed() and not d.find_element(By.ID, "draw-panel").is_displayed()
    d.find_element(By.ID, "typed-name").send_keys("Alice Green")
    assert d.find_element(By.ID, "typed-preview").text == "Alice Green"
    d.find_element(By.ID, "sign-proposal").click()  # the consent box is not ticked yet: refused on the page
    assert "Tick the box" in d.find_element(By.ID, "sign-error").text
    check_page(d, "sign-typed")
    d.find_element(By.ID, "consent").click()
    submit(d, "#sign-proposal")
    assert "Proposal P-501 is signed" in text(d) and "Signed by Alice Green" in text(d)
    assert d.find_element(By.ID, "signed-pdf").get_attribute("href").endswith("/pdf")
    d.delete_all_cookies()
    staff_login(d, url)
    d.get(url + "/staff/proposals")
    navigate(d, d.find_element(By.XPATH, "//tr[td[contains(., 'P-501')]]//a"))
    assert d.execute_script("const i = document.querySelector('#signature img'); return i.complete && i.naturalWidth")


def press(d, css: str) -> None:
    """Click a button that loads a page, scrolled to the middle of the window first (the
    settings page's buttons sit in a sticky column)."""
    d.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", css)
    submit(d, css)


def set_palette(d, url: str, colours: dict[str, str]) -> None:
    """Staff choose the colours with the settings page's colour inputs and save them."""
    staff_login(d, url)
    d.get(url + "/staff/branding")
    for name, value in colours.items():
        d.execute_script("document.getElementById(arguments[0]).value = arguments[1];", f"f-{name}", value.lower())
    press(d, "#preview")
    warnings = d.find_element(By.ID, "contrast").text
    if colours is LIGHT:  # white on pale yellow cannot be read: the preview says so, and what it shows instead
        assert "Navigation text on the navigation bar" in warnings and "Button text on the button colour" in warnings
    check_page(d, "staff-branding-preview")
    press(d, "#save")
    assert "Settings saved" in text(d)


@pytest.mark.parametrize(("host", "palette"), [("flask", "light"), ("django", "dark")], indirect=["host"])
def test_browser_every_page_passes_axe_on_each_host_in_a_light_or_a_dark_palette(host, browser, tmp_path, palette):
    """Every customer and staff page, in the company's colours: pale ones a designer might pick
    (white text on yellow) on the Flask host, a dark theme on the Django host. axe-core (colour
    contrast included) finds nothing. Each host walks every page once: the pages are the same
    package's templates on both, and the palette changes only their colours."""
    kind, url = host
    d = browser
    set_palette(d, url, LIGHT if palette == "light" else DARK)
    d.get(url + "/staff")
    d.find_element(By.CSS_SELECTOR, "tr[data-email='alice@example.com'] input[name=contact]").click()
    submit(d, "#send-invites")
    staff_pages = [
        "/staff",
        "/staff/customers",
        "/staff/issues",
        "/staff/proposals",
        "/staff/quotes",
        "/staff/payments",
        "/staff/reports",
        "/staff/branding",
    ]
    for page in staff_pages:
        d.get(url + page)
        check_page(d, f"{palette}{page}")
    navigate(d, d.find_element(By.XPATH, "//a[contains(., 'Customers')]"))
    navigate(d, d.find_element(By.XPATH, "//tr[td[text()='Oak Street HOA']]//a"))
    check_page(d, f"{palette}-staff-contact-new")
    d.get(url + "/staff")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-email='alice@example.com'] a[href*='/staff/contacts/']"))
    check_page(d, f"{palette}-staff-contact")
    link = signup_link_from_mail_folder(tmp_path / "mail", "alice@example.com")
    d.delete_all_cookies()
    for page in ("/login", "/forgot-password", "/login/link", "/signup"):
        d.get(url + page)
        check_page(d, f"{palette}{page}")
    d.get(url + "/staff/login")
    check_page(d, f"{palette}-staff-login")

    open_mailed_link(d, link)
    check_page(d, f"{palette}-signup-form")
    fill(d, "password", "short")
    fill(d, "confirm", "short")
    submit(d, "#submit-password")
    check_page(d, f"{palette}-signup-refused")  # the error summary
    fill(d, "password", CUSTOMER_PASSWORD)
    fill(d, "confirm", CUSTOMER_PASSWORD)
    submit(d, "#submit-password")
    check_page(d, f"{palette}-dashboard-welcome")
    for view in ("invoices", "proposals", "issues", "reports"):
        navigate(d, d.find_element(By.ID, f"tab-{view}"))
        check_page(d, f"{palette}-dashboard-{view}")
    d.get(url + "/payment-methods")
    check_page(d, f"{palette}-payment-methods-empty")
    d.get(url + "/dashboard")
    navigate(d, d.find_element(By.ID, "pay-now"))
    choose(d, "methods-to-pay", "new card")
    check_page(d, f"{palette}-pay")
    type_into(d, "card-number", "4000 0566 5566 5556")
    type_into(d, "card-exp-month", "12")
    type_into(d, "card-exp-year", "2031")
    Select(d.find_element(By.ID, "card-funding")).select_by_value("debit")
    submit(d, "#pay")
    check_page(d, f"{palette}-receipt")
    d.get(url + "/payment-methods")
    check_page(d, f"{palette}-payment-methods")
    d.find_element(By.XPATH, "//summary[contains(., 'Remove')]").click()
    check_page(d, f"{palette}-payment-methods-confirm-remove")
    d.get(url + "/dashboard?view=proposals")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='P-502'] a:not(.button)"))
    check_page(d, f"{palette}-proposal")
    navigate(d, d.find_element(By.ID, "review-and-sign"))
    check_page(d, f"{palette}-sign")
    choose(d, "sign-form", "Type your name")
    d.find_element(By.ID, "typed-name").send_keys("Alice Green")
    d.find_element(By.ID, "consent").click()
    submit(d, "#sign-proposal")
    check_page(d, f"{palette}-proposal-signed")
    d.get(url + "/dashboard?view=proposals")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='P-503'] a.button"))
    check_page(d, f"{palette}-sign-deposit")
    d.get(url + "/dashboard?view=issues")
    navigate(d, d.find_element(By.ID, "create-issue"))
    check_page(d, f"{palette}-issue-new")
    fill(d, "subject", "Gate latch broken")
    submit(d, "#create")
    fill(d, "text", "It swings open in the wind")
    submit(d, "#add-comment")
    check_page(d, f"{palette}-issue")
    for page in ("/statement", "/profile", "/invoices/nope/pay"):
        d.get(url + page)
        check_page(d, f"{palette}{page}")


def test_browser_every_mail_renders_with_its_button_and_passes_axe(browser, tmp_path):
    """Every mail's HTML in the browser: the company's name or logo on top, a button for the
    call to action where there is one, and no axe-core violation."""
    from hosts import demo_portal
    from test_languages import _mail_samples

    portal = demo_portal(tmp_path)
    buttons = {"password_reset", "login_link", "email_change_confirm", "payment_failed", "payment_returned"}
    for name, context in _mail_samples().items():
        mail = portal.mails.render(name, ("alice@example.com",), **context)
        page = tmp_path / f"{name}.html"
        page.write_text(mail.html)
        browser.get(page.as_uri())
        found = axe_problems(browser, skip=MAIL_CLIENT_RULES)
        assert found == [], (name, found)
        shown = browser.find_element(By.TAG_NAME, "body").text
        assert portal.config.company_name in shown, name
        if name in buttons:
            cta = browser.find_element(By.CSS_SELECTOR, "td[style*='background'] > a")
            assert cta.size["height"] >= 40 and cta.text.strip(), name
        assert re.sub(r"\s+", " ", mail.text).strip(), name  # the plain-text part is there too
