"""The Flask reference host on Stripe (localstripe and its mock Stripe.js) in headless Chromium:
a card added through Elements, paid at once; a 3-D Secure card confirmed in the bank's dialog; a
declined card refused; a new card added through Elements on the pay page itself (issue 24); a
refund by staff; signed webhooks delivered to the host's endpoint."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest
from hosts import CUSTOMER_PASSWORD, STAFF_PASSWORD
from test_browser_e2e import (  # noqa: F401 - browser is a fixture
    ROOT,
    By,
    browser,
    choose,
    fill,
    free_port,
    navigate,
    open_mailed_link,
    signup_link_from_mail_folder,
    staff_login,
    submit,
    text,
)

LOCALSTRIPE = os.environ.get("LOCALSTRIPE_URL", "").rstrip("/")
WEBHOOK_SECRET = "whsec_portalkit_browser_0123456789"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not LOCALSTRIPE, reason="LOCALSTRIPE_URL is not set (.ci/run starts localstripe)"),
]


@pytest.fixture
def stripe_host(tmp_path):
    yield from run_stripe_host(tmp_path)


def run_stripe_host(tmp_path):
    """The Flask host paying through localstripe, its webhook registered there; yields the
    portal's URL and the instance folder, and stops the host afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/portal"
    env = {
        **os.environ,
        "PORTALKIT_INSTANCE": str(tmp_path),
        "PORTALKIT_BCRYPT_ROUNDS": "4",
        "PORTALKIT_STAFF_PASSWORD": STAFF_PASSWORD,
        "PORTALKIT_BASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "PORTALKIT_DB_URL": f"sqlite:///{tmp_path}/portal.sqlite3",
        "STRIPE_API_KEY": "sk_test_portalkit",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_portalkit",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": LOCALSTRIPE,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "examples.flask_host", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(url + "/login", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    hook = urllib.request.Request(
        f"{LOCALSTRIPE}/_config/webhooks/portalkit",
        method="POST",
        data=json.dumps({"url": url + "/webhooks/processor", "secret": WEBHOOK_SECRET}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(hook, timeout=5).read()
    yield url, tmp_path
    proc.terminate()
    proc.wait(timeout=10)


def type_card(d, number: str) -> None:
    """Type a card into the (mock) Stripe Element."""
    for field, value in (
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "31"),
        ("cvc", "123"),
        ("postal_code", "12345"),
    ):
        d.find_element(By.CSS_SELECTOR, f"#card-element input[placeholder={field}]").send_keys(value)


def add_card(d, number: str) -> None:
    """Type a card into the (mock) Stripe Element and submit; 3-D Secure dialogs are confirmed."""
    type_card(d, number)
    d.find_element(By.ID, "add-card-button").click()


def wait_for_text(d, needle: str, seconds: float = 10) -> str:
    """The page's text once it contains ``needle`` (pages may be replaced while we look)."""
    from selenium.common.exceptions import WebDriverException

    deadline, body = time.time() + seconds, ""
    while time.time() < deadline:
        try:
            body = text(d)
        except WebDriverException:
            body = ""
        if needle in body:
            return body
        time.sleep(0.2)
    return body


def pay_invoice(d, url: str, number: str, amount: str, method: str) -> None:
    d.get(url + "/dashboard")
    navigate(d, d.find_element(By.CSS_SELECTOR, f"tr[data-number='{number}'] a.button"))
    fill(d, "", amount, "#invoices-to-pay li:has(input[name=invoice]:checked) input.amount")
    choose(d, "methods-to-pay", method)
    submit(d, "#pay")


def confirm_bank_dialog(d) -> None:
    d.find_element(By.XPATH, "//button[text()='Complete authentication']").click()


def test_browser_stripe_cards_three_d_secure_decline_refund_webhooks(stripe_host, browser):
    url, instance = stripe_host
    d = browser
    staff_login(d, url)
    d.find_element(By.CSS_SELECTOR, "tr[data-email='alice@example.com'] input[name=contact]").click()
    submit(d, "#send-invites")
    d.delete_all_cookies()
    open_mailed_link(d, signup_link_from_mail_folder(instance / "mail", "alice@example.com"))
    fill(d, "password", CUSTOMER_PASSWORD)
    fill(d, "confirm", CUSTOMER_PASSWORD)
    submit(d, "#submit-password")  # signed up and signed in

    # a card through Stripe Elements: the number goes to Stripe, the portal gets a PaymentMethod id
    d.get(url + "/payment-methods")
    add_card(d, "4242424242424242")
    assert "Visa ending 4242" in wait_for_text(d, "Visa ending 4242")
    # a declined card is refused by Stripe before the portal stores anything
    add_card(d, "4000000000000002")
    error = d.find_element(By.ID, "card-error")
    for _ in range(50):
        if error.is_displayed():
            break
        time.sleep(0.2)
    assert error.is_displayed() and "declined" in error.text.lower()
    # a 3-D Secure card: the bank's dialog during setup
    d.get(url + "/payment-methods")
    add_card(d, "4000002760003184")
    confirm_bank_dialog(d)
    assert "Visa ending 3184" in wait_for_text(d, "Visa ending 3184")

    # pay at once with 4242: the receipt, Stripe named
    pay_invoice(d, url, "INV-1001", "100.00", "Visa ending 4242")
    assert "Payment received" in text(d) and d.find_element(By.ID, "receipt-total").text == "$103.00"
    assert "Stripe" in text(d)
    # pay with the 3-D Secure card: the bank's dialog, then back to the portal's receipt
    pay_invoice(d, url, "INV-1002", "50.00", "Visa ending 3184")
    assert "Confirm your payment" in text(d)
    confirm_bank_dialog(d)
    assert "Payment received" in wait_for_text(d, "Payment received")
    assert d.find_element(By.ID, "receipt-total").text == "$51.50"
    # a new card typed into Stripe's field on the pay page itself: saved, its fee shown, then paid
    d.get(url + "/dashboard?view=invoices")
    d.find_element(By.ID, "property").send_keys("Oak Street Pool")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='INV-1003'] a.button"))
    choose(d, "methods-to-pay", "new card")
    type_card(d, "5555555555554444")
    d.find_element(By.ID, "pay").click()
    assert "ending 4444 is saved. It is a credit card" in wait_for_text(d, "is saved. It is a credit card")
    submit(d, "#pay")
    assert "Payment received" in text(d) and d.find_element(By.ID, "receipt-total").text == "$97.85"

    # staff refund part of the first payment through Stripe
    d.delete_all_cookies()
    staff_login(d, url)
    d.get(url + "/staff/payments")
    rows = d.find_elements(By.CSS_SELECTOR, "#payments tbody tr")
    first = next(r for r in rows if "$100.00" in r.text)
    first.find_element(By.XPATH, ".//summary[contains(., 'Refund')]").click()
    first.find_element(By.NAME, "amount").send_keys("25.00")
    navigate(d, first.find_element(By.XPATH, ".//button[text()='Refund']"))
    assert "$25.00 of $100.00 is back with the customer" in text(d)

    # localstripe delivered signed webhooks to the host's endpoint, which verified and applied them
    database = sqlite3.connect(instance / "portal.sqlite3")
    for _ in range(50):
        if database.execute("SELECT count(*) FROM pk_processed_event").fetchone()[0]:
            break
        time.sleep(0.2)
    assert database.execute("SELECT count(*) FROM pk_processed_event").fetchone()[0] >= 1
