"""Issue 27's journeys in headless Chromium on both reference hosts (Flask and Django, started as
real servers): staff offer a payment plan, the customer accepts it with the authorisation shown for
their card, and the worker (the hosts' own worker command, a process of its own) charges the first
instalment; a tip chosen among the suggested percents, the total following it before paying, then
on the receipt. Every new page is checked with axe-core at desktop and phone widths; with
``PORTALKIT_SCREENSHOTS=<folder>`` each is also shot at 1366 and 390 px. The same tip through the
Stripe adapter against localstripe is at the end (``LOCALSTRIPE_URL``)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
import test_browser_e2e
from hosts import CUSTOMER_PASSWORD, STAFF_PASSWORD
from test_browser_e2e import (
    ROOT,
    By,
    check_page,
    choose,
    customer_login,
    fill,
    navigate,
    open_mailed_link,
    signup_link_from_mail_folder,
    staff_login,
    submit,
    text,
    type_into,
)

browser, host = test_browser_e2e.browser, test_browser_e2e.host  # fixtures

pytestmark = pytest.mark.browser
LOCALSTRIPE = os.environ.get("LOCALSTRIPE_URL", "").rstrip("/")
WIDTHS = (1366, 390)


def shoot(d, name: str, kind: str) -> None:
    """The whole page at 1366 and 390 px wide, when ``PORTALKIT_SCREENSHOTS`` names a folder."""
    folder = os.environ.get("PORTALKIT_SCREENSHOTS")
    if not folder:
        return
    out = Path(folder) / kind
    out.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        d.set_window_size(width, 900)
        height = d.execute_script("return document.documentElement.scrollHeight")
        d.set_window_size(width, min(max(height + 140, 900), 6000))
        d.save_screenshot(str(out / f"{name}-{width}.png"))
    d.set_window_size(1200, 1000)


def look(d, name: str, kind: str) -> None:
    check_page(d, name)
    shoot(d, name, kind)


def sign_up_alice(d, url: str, instance: Path) -> None:
    staff_login(d, url)
    d.find_element(By.CSS_SELECTOR, "tr[data-email='alice@example.com'] input[name=contact]").click()
    submit(d, "#send-invites")
    d.delete_all_cookies()
    open_mailed_link(d, signup_link_from_mail_folder(instance / "mail", "alice@example.com"))
    fill(d, "password", CUSTOMER_PASSWORD)
    fill(d, "confirm", CUSTOMER_PASSWORD)
    submit(d, "#submit-password")
    assert d.current_url.startswith(url + "/dashboard")


def add_card(d, url: str, number: str = "4242 4242 4242 4242", funding: str = "debit") -> None:
    """A card through the fake processor's hosted fields on the payment-methods page."""
    from selenium.webdriver.support.ui import Select

    d.get(url + "/payment-methods")
    type_into(d, "card-number", number)
    type_into(d, "card-exp-month", "12")
    type_into(d, "card-exp-year", "2031")
    funding_field = d.find_elements(By.ID, "card-funding")
    if funding_field:
        Select(funding_field[0]).select_by_value(funding)
    submit(d, "#add-card button")


def staff_settings(d, url: str, **boxes: bool) -> None:
    """Staff tick (or untick) the plan and tip settings on the staff plans page and save."""
    staff_login(d, url)
    d.get(url + "/staff/plans")
    for box_id, on in boxes.items():
        box = d.find_element(By.ID, box_id)
        if box.is_selected() != on:
            box.click()
    submit(d, "#save-plan-settings")
    assert "Plan and tip settings saved." in text(d)


def run_worker(kind: str, url: str, instance: Path) -> str:
    """One round of the host's own worker, as a deployment runs it, in a process of its own."""
    env = {
        **os.environ,
        "PORTALKIT_INSTANCE": str(instance),
        "PORTALKIT_BCRYPT_ROUNDS": "4",
        "PORTALKIT_STAFF_PASSWORD": STAFF_PASSWORD,
        "PORTALKIT_BASE_URL": url,
        "PYTHONPATH": str(ROOT),
        "PORTALKIT_DB_URL": f"sqlite:///{instance}/portal.sqlite3",
        "PORTALKIT_DEMO_PROCESSOR": "0",
    }
    if kind == "flask":
        cmd = [
            sys.executable,
            "-m",
            "portalkit.worker",
            "--factory",
            "examples.common.host:production_portal",
            "--once",
        ]
    else:
        cmd = [sys.executable, str(ROOT / "examples" / "django_host" / "manage.py"), "portalkit_worker", "--once"]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def rows(kind: str, instance: Path, sql: str) -> list[tuple]:
    """Rows of the host's own database (SqlStorage's tables in Flask's, the Django ORM's in Django's)."""
    file, prefix = ("portal.sqlite3", "pk_") if kind == "flask" else ("django.sqlite3", "portalkit_")
    with sqlite3.connect(instance / file) as db:
        return db.execute(sql.replace("{p}", prefix)).fetchall()


def test_browser_plan_offered_accepted_and_its_first_instalment_charged_by_the_worker(host, browser, tmp_path):
    kind, url = host
    d = browser
    sign_up_alice(d, url, tmp_path)
    add_card(d, url)
    assert "Visa ending 4242" in text(d)
    d.delete_all_cookies()

    # staff: preview, then offer INV-1001 ($1,250.00) in 4 monthly payments from today
    staff_login(d, url)
    d.get(url + "/staff/plans")
    fill(d, "invoice", "INV-1001")
    fill(d, "count", "4")
    submit(d, "#offer-preview-button")
    preview = d.find_element(By.ID, "offer-preview").text
    assert "$312.50" in preview and "Invoice INV-1001, due in all $1,250.00" in preview.replace("\n", " ")
    look(d, "staff-plans-preview", kind)
    submit(d, "#offer-send")
    assert "Payment plan offered for invoice INV-1001" in text(d)
    look(d, "staff-plan-offered", kind)
    d.delete_all_cookies()

    # the customer: the dashboard asks her to review it; the plan page shows the schedule and the authorisation
    customer_login(d, url, "alice@example.com")
    navigate(d, d.find_element(By.XPATH, "//section[@id='plans']//a[contains(., 'Review and accept')]"))
    schedule = d.find_element(By.ID, "instalments").text
    assert schedule.count("$312.50") == 4 and "1 of 4" in schedule
    consent = d.find_element(By.ID, "consent-text").text
    assert "Visa ending 4242" in consent and "$1,250.00 in all" in consent and "revoke" in consent
    look(d, "plan-offered", kind)
    submit(d, "#plan-accept")  # the box is not ticked: refused, nothing accepted
    assert "Tick the authorisation" in text(d)
    d.find_element(By.ID, "plan-agree").click()
    submit(d, "#plan-accept")
    assert "Your payment plan is accepted" in text(d)
    look(d, "plan-accepted", kind)

    # the worker's round charges the instalment due today (in the company's time zone), once
    out = run_worker(kind, url, tmp_path)
    assert "1 plan instalment(s)" in out, out
    assert "0 plan instalment(s)" in run_worker(kind, url, tmp_path)
    [(key, amount, instalment)] = rows(kind, tmp_path, "SELECT idempotency_key, amount, instalment_id FROM {p}payment")
    assert key.startswith("plan:") and key.endswith(":1") and Decimal(str(amount)) == Decimal("312.50") and instalment
    d.refresh()
    first = d.find_element(By.CSS_SELECTOR, "#instalments tr[data-instalment='1']").text
    assert "Processing" in first and "$312.50" in first
    d.get(url + "/dashboard")
    plans = d.find_element(By.ID, "plans").text
    assert "$1,250.00" in plans and "left of" in plans
    look(d, "dashboard-plan", kind)
    d.get(url + "/statement")
    assert "INV-1001" in d.find_element(By.ID, "statement-plans").text
    look(d, "statement-plans", kind)


def test_browser_a_tip_chosen_among_the_suggestions_is_in_the_total_and_on_the_receipt(host, browser, tmp_path):
    kind, url = host
    d = browser
    staff_settings(d, url, **{"tips-enabled": True, "plans-customer-choice": True})
    look(d, "staff-plans-settings", kind)
    d.delete_all_cookies()
    sign_up_alice(d, url, tmp_path)
    add_card(d, url)
    d.get(url + "/dashboard?view=invoices")
    from selenium.webdriver.support.ui import Select

    Select(d.find_element(By.ID, "property")).select_by_visible_text("Oak Street Pool")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='INV-1003'] a.button"))  # $95.00
    assert d.find_element(By.ID, "total").text == "$95.00" and not d.find_element(By.ID, "tip-row").is_displayed()
    choose(d, "tip-choices", "15%")
    assert d.find_element(By.ID, "tip").text == "$14.25" and d.find_element(By.ID, "total").text == "$109.25"
    assert d.find_element(By.ID, "pay").text.endswith("Pay $109.25")
    choose(d, "tip-choices", "Other")
    fill(d, "tip_custom", "10")
    assert d.find_element(By.ID, "total").text == "$105.00"
    fill(d, "", "50.00", "#invoices-to-pay li:has(input[name=invoice]:checked) input.amount")
    choose(d, "tip-choices", "20%")  # of the amount paid, recomputed as it changes
    assert d.find_element(By.ID, "tip").text == "$10.00" and d.find_element(By.ID, "total").text == "$60.00"
    look(d, "pay-tip", kind)
    submit(d, "#pay")
    assert d.find_element(By.ID, "receipt-total").text == "$60.00"
    receipt = d.find_element(By.ID, "receipt-lines").text
    assert "Tip" in receipt and "$10.00" in receipt and "$50.00" in receipt
    look(d, "receipt-tip", kind)
    [(amount, fee, tip)] = rows(kind, tmp_path, "SELECT amount, fee, tip FROM {p}payment")
    assert [Decimal(str(v)) for v in (amount, fee, tip)] == [Decimal("50.00"), Decimal("0.00"), Decimal("10.00")]
    d.delete_all_cookies()
    staff_login(d, url)
    d.get(url + "/staff/payments")
    assert "+ $10.00 tip" in d.find_element(By.ID, "payments").text
    look(d, "staff-payments-tip", kind)
    d.delete_all_cookies()
    customer_login(d, url, "alice@example.com")

    # the customer's own plan, where the company allows it: the page to set it up
    d.get(url + "/dashboard?view=invoices")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='INV-1001'] a.button"))
    navigate(d, d.find_element(By.CSS_SELECTOR, "#plan-offer a"))
    assert "Pay in instalments" in text(d)
    look(d, "plan-new", kind)


# -- the same tip through the Stripe adapter, on localstripe -------------------------------------
@pytest.fixture
def stripe_host(tmp_path):
    if not LOCALSTRIPE:
        pytest.skip("LOCALSTRIPE_URL is not set (.ci/run starts localstripe)")
    from test_browser_stripe import run_stripe_host

    yield from run_stripe_host(tmp_path)


def test_browser_stripe_a_tip_is_charged_with_the_payment_and_never_under_the_fee(stripe_host, browser):
    from test_browser_stripe import add_card as add_stripe_card
    from test_browser_stripe import wait_for_text

    url, instance = stripe_host
    d = browser
    staff_settings(d, url, **{"tips-enabled": True})
    d.delete_all_cookies()
    sign_up_alice(d, url, instance)
    d.get(url + "/payment-methods")
    add_stripe_card(d, "4242424242424242")  # through Stripe Elements: a credit card, so the 3 % fee applies
    assert "Visa ending 4242" in wait_for_text(d, "Visa ending 4242")
    d.get(url + "/dashboard")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='INV-1001'] a.button"))
    fill(d, "", "100.00", "#invoices-to-pay li:has(input[name=invoice]:checked) input.amount")
    choose(d, "methods-to-pay", "Visa ending 4242")
    choose(d, "tip-choices", "Other")
    fill(d, "tip_custom", "7.50")
    assert d.find_element(By.ID, "fee").text == "$3.00" and d.find_element(By.ID, "total").text == "$110.50"
    look(d, "pay-tip-stripe", "stripe")
    submit(d, "#pay")
    assert "Payment received" in wait_for_text(d, "Payment received")
    assert d.find_element(By.ID, "receipt-total").text == "$110.50" and "Stripe" in text(d)
    [(ref, amount, fee, tip)] = rows("flask", instance, "SELECT processor_ref, amount, fee, tip FROM {p}payment")
    assert [Decimal(str(v)) for v in (amount, fee, tip)] == [Decimal("100.00"), Decimal("3.00"), Decimal("7.50")]
    request = urllib.request.Request(
        f"{LOCALSTRIPE}/v1/payment_intents/{ref}", headers={"Authorization": "Bearer sk_test_portalkit"}
    )
    intent = json.loads(urllib.request.urlopen(request, timeout=10).read())
    assert intent["amount"] == 11050 and intent["status"] == "succeeded"  # amount, fee and tip: one charge
    assert rows("flask", instance, "SELECT amount_due FROM {p}invoice WHERE number = 'INV-1001'") in (
        [("1150.00",)],
        [(Decimal("1150.00"),)],
        [(1150,)],
    )  # lowered by the amount only
