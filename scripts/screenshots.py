"""Screenshots of every customer page at 1366 and 390 px wide, the staff pages and every mail,
taken in headless Chromium from the Flask reference host with its demo data.

    python scripts/screenshots.py                  # into docs/screenshots/
    python scripts/screenshots.py --out /tmp/shots --palette dark --only dashboard,pay

Needs Debian's chromium and chromium-driver and selenium (as the browser tests do). The host
runs on a free port with a fresh SQLite database in a temporary folder; a customer signs up,
pays several invoices (one with a new card), signs a proposal with a typed name, reports an
issue with a photo and the office answers it, so every page has something to show. Each page is
captured whole (not just the window) as ``<name>-1366.png`` and ``<name>-390.png``; mails as
``mail-<name>.png``. The images the README and docs/languages.md show keep their names
(``flask/dashboard-phone.png`` ...).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

WIDTHS = (1366, 390)
STAFF_PASSWORD = "staff-pass-0123"
CUSTOMER_PASSWORD = "garden-2026"
PALETTES = {
    "light": {},
    "dark": {
        "background_colour": "#0F172A",
        "border_colour": "#334155",
        "nav_bar_colour": "#020617",
        "nav_text_colour": "#E2E8F0",
        "button_colour": "#38BDF8",
        "button_text_colour": "#0F172A",
        "dashboard_text_colour": "#E2E8F0",
    },
}
LEGACY = {  # images other pages link to: the README, docs/languages.md
    "flask/dashboard-desktop.png": "dashboard-1366.png",
    "flask/dashboard-phone.png": "dashboard-390.png",
    "flask/dashboard-es-phone.png": "dashboard-es-390.png",
    "flask/issue-desktop.png": "issue-1366.png",
    "flask/issue-phone.png": "issue-390.png",
    "flask/login-desktop.png": "login-1366.png",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_host(instance: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/portal"
    env = {
        **os.environ,
        "PORTALKIT_INSTANCE": str(instance),
        "PORTALKIT_BCRYPT_ROUNDS": "4",
        "PORTALKIT_STAFF_PASSWORD": STAFF_PASSWORD,
        "PORTALKIT_BASE_URL": url,
        "PORTALKIT_INSECURE_COOKIES": "1",
        "PORTALKIT_DB_URL": f"sqlite:///{instance}/portal.sqlite3",
        "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "examples.flask_host", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("SHOTS_DEBUG") else subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/login", timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the host did not start") from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the host did not start")


def demo_portal(instance: Path, url: str):
    """The same demo portal as the host's (its database), to add records the seed lacks."""
    os.environ["PORTALKIT_INSTANCE"] = str(instance)
    from examples.common.host import build_portal

    return build_portal(
        f"sqlite:///{instance}/portal.sqlite3",
        base_url=url,
        seeded=False,
        secret=(instance / "secret.key").read_text().strip(),
        bcrypt_rounds=4,
    )


def browser(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--font-render-hinting=none",
        f"--user-data-dir={profile}",
        "--window-size=1366,900",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    return driver


class Shooter:
    def __init__(self, out: Path, only: set[str]):
        self.out, self.only, self.taken = out, only, []

    def page(self, driver, name: str, widths=WIDTHS) -> None:
        """The whole page at each width (the viewport made as tall as the page)."""
        if self.only and name not in self.only:
            return
        for width in widths:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500},
            )
            time.sleep(0.15)
            height = driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)")
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": max(height, 600), "deviceScaleFactor": 1, "mobile": width < 500},
            )
            time.sleep(0.1)
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            path = self.out / f"{name}-{width}.png"
            path.write_bytes(base64.b64decode(shot["data"]))
            self.taken.append(path)
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def last_link(folder: Path, address: str, kind: str) -> str:
    for path in sorted(folder.glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in message["To"]:
            found = re.search(rf"http://\S+/{kind}#[\w.\-]+", message.get_body(("plain",)).get_content())
            if found:
                return found.group(0)
    raise RuntimeError(f"no {kind} mail to {address}")


def run(out: Path, palette: str, only: set[str]) -> list[Path]:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    work = Path(tempfile.mkdtemp(prefix="portalkit-shots-"))
    proc, url = start_host(work)
    shots = Shooter(out, only)
    customer, staff = browser(work / "chrome-customer"), browser(work / "chrome-staff")
    try:

        def go(d, path):
            d.get(url + path)

        def click(d, css):
            old = d.find_element(By.TAG_NAME, "html")
            d.find_element(By.CSS_SELECTOR, css).click()
            WebDriverWait(d, 15).until(lambda _d: _stale(old))

        def fill(d, name, value):
            el = d.find_element(By.NAME, name)
            el.clear()
            el.send_keys(value)

        def open_link(d, link):
            d.get("about:blank")
            d.get(link)
            WebDriverWait(d, 15).until(lambda _d: not _d.find_elements(By.ID, "link-form"))

        portal = demo_portal(work, url)
        from portalkit import Upload
        from portalkit.models import Contact, Property, Proposal, ReportKind, StaffUser

        admin = portal.storage.find(StaffUser)[0]  # the demo's first administrator: every permission
        commons = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
        today = date.today()
        portal.invoices.add(admin, commons.id, "INV-0990", "185.00", today - timedelta(days=45))  # overdue
        portal.reports.add(
            admin,
            commons.id,
            ReportKind.INSPECTION,
            "Spring backflow test",
            today - timedelta(days=3),
            Upload(filename="backflow.pdf", data=_pdf(), content_type="application/pdf"),
        )
        alice = next(c for c in portal.storage.find(Contact) if c.email == "alice@example.com")
        portal.directory.update_contact(
            admin, alice.id, access=attrs.evolve(alice.access, quote_requests=True, job_requests=True)
        )
        if PALETTES[palette]:
            from portalkit.config import updated

            portal.update_config(admin, updated(portal.config, branding=PALETTES[palette]))

        # anonymous pages
        for path, name in (
            ("/login", "login"),
            ("/forgot-password", "forgot-password"),
            ("/login/link", "login-link"),
            ("/signup", "link"),
        ):
            go(customer, path)
            shots.page(customer, name)

        # the office invites Alice and Bob
        go(staff, "/staff/login")
        fill(staff, "email", "manager@greenacres.example")
        fill(staff, "password", STAFF_PASSWORD)
        click(staff, "#staff-login")
        for email in ("alice@example.com", "bob@example.com"):
            staff.find_element(By.CSS_SELECTOR, f"tr[data-email='{email}'] input[name=contact]").click()
        click(staff, "#send-invites")
        shots.page(staff, "staff-contacts")

        # Alice signs up (and is signed in)
        open_link(customer, last_link(work / "mail", "alice@example.com", "signup"))
        shots.page(customer, "signup")
        fill(customer, "password", CUSTOMER_PASSWORD)
        fill(customer, "confirm", CUSTOMER_PASSWORD)
        click(customer, "#submit-password")
        shots.page(customer, "dashboard-welcome")
        go(customer, f"/dashboard?property={commons.id}")
        shots.page(customer, "dashboard")
        for view in ("proposals", "issues", "reports"):
            go(customer, f"/dashboard?property={commons.id}&view={view}")
            shots.page(customer, f"dashboard-{view}")

        # pay: several invoices, a new card inline, the fee shown before anything is charged
        go(customer, "/dashboard")
        click(customer, "#pay-now")
        shots.page(customer, "pay")
        customer.find_element(By.CSS_SELECTOR, "label[for=method-new-card]").click()
        customer.find_element(By.ID, "card-number").send_keys("4242 4242 4242 4242")
        customer.find_element(By.ID, "card-exp-month").send_keys("12")
        customer.find_element(By.ID, "card-exp-year").send_keys("2031")
        shots.page(customer, "pay-new-card")
        click(customer, "#pay")
        shots.page(customer, "pay-fee-check")
        click(customer, "#pay")
        shots.page(customer, "receipt")
        go(customer, "/payment-methods")
        shots.page(customer, "payment-methods")

        # sign a proposal with a typed name
        p502 = next(p for p in portal.storage.find(Proposal) if p.number == "P-502")
        go(customer, f"/proposals/{p502.id}")
        shots.page(customer, "proposal")
        go(customer, f"/proposals/{p502.id}/sign")
        shots.page(customer, "sign")
        customer.find_element(By.CSS_SELECTOR, "input[name=service]").click()
        customer.find_element(By.CSS_SELECTOR, "label[for=mode-type]").click()
        customer.find_element(By.ID, "typed-name").send_keys("Alice Green")
        customer.find_element(By.ID, "consent").click()
        shots.page(customer, "sign-typed")
        click(customer, "#sign-proposal")
        shots.page(customer, "proposal-signed")
        p503 = next(p for p in portal.storage.find(Proposal) if p.number == "P-503")
        go(customer, f"/proposals/{p503.id}/sign")
        pad = customer.find_element(By.ID, "signature-pad")
        ActionChains(customer).move_to_element_with_offset(pad, -150, 0).click_and_hold().move_by_offset(
            60, 30
        ).move_by_offset(80, -40).move_by_offset(60, 20).release().perform()
        shots.page(customer, "sign-deposit")

        # an issue with a photo, answered by the office
        go(customer, f"/issues/new?property={commons.id}")
        shots.page(customer, "issue-new")
        fill(customer, "subject", "Sprinkler head broken by the gate")
        Select(customer.find_element(By.NAME, "priority")).select_by_value("high")
        fill(customer, "notes", "Water runs onto the path every morning since Monday.")
        photo = work / "sprinkler.png"
        photo.write_bytes(_png())
        customer.find_element(By.NAME, "files").send_keys(str(photo))
        click(customer, "#create")
        issue_url = customer.current_url
        issue_id = issue_url.rsplit("/", 1)[1]
        go(staff, f"/staff/issues/{issue_id}")
        fill(staff, "text", "Thanks, Alice. Our crew will replace the head on Tuesday morning.")
        staff.find_element(By.NAME, "public").click()
        click(staff, "#staff-comment-form button")
        shots.page(staff, "staff-issue")
        customer.get(issue_url)
        fill(customer, "text", "Great, the gate code is 4521.")
        click(customer, "#add-comment")
        shots.page(customer, "issue")

        from portalkit.models import Job

        job = next(j for j in portal.storage.find(Job) if j.property_id == commons.id)
        for path, name in (
            (f"/quotes/new?property={commons.id}", "quote-new"),
            ("/statement", "statement"),
            ("/profile", "profile"),
            ("/invoices/nope/pay", "not-found"),
            ("/jobs", "jobs"),
            (f"/jobs/{job.id}", "job"),
            (f"/jobs/new?property={commons.id}", "job-new"),
            ("/profile/notices", "notices"),
        ):
            go(customer, path)
            shots.page(customer, name)

        # a sign-in link, a new email's confirmation
        customer.delete_all_cookies()
        go(customer, "/login/link")
        fill(customer, "email", "alice@example.com")
        click(customer, "#send-login-link")
        shots.page(customer, "login-flash")
        open_link(customer, last_link(work / "mail", "alice@example.com", "sign-in"))
        shots.page(customer, "sign-in")
        click(customer, "#sign-in")
        go(customer, "/profile")
        fill(customer, "email", "alice.green@example.com")
        fill(customer, "email_password", CUSTOMER_PASSWORD)
        click(customer, "#email-form button[name=action]")
        open_link(customer, last_link(work / "mail", "alice.green@example.com", "confirm-email"))
        shots.page(customer, "confirm-email")

        # Spanish
        go(customer, "/login?lang=es")
        fill(customer, "email", "alice@example.com")
        fill(customer, "password", CUSTOMER_PASSWORD)
        click(customer, "#login")
        go(customer, "/profile")
        Select(customer.find_element(By.ID, "language")).select_by_value("es")
        click(customer, "#save-details")
        go(customer, "/dashboard")
        shots.page(customer, "dashboard-es")

        # the staff pages
        for path, name in (
            ("/staff/customers", "staff-customers"),
            ("/staff/issues", "staff-issues"),
            ("/staff/proposals", "staff-proposals"),
            ("/staff/quotes", "staff-quotes"),
            ("/staff/payments", "staff-payments"),
            ("/staff/reports", "staff-reports"),
            ("/staff/branding", "staff-branding"),
            (f"/staff/contacts/{alice.id}", "staff-contact"),
            (f"/staff/proposals/{p502.id}", "staff-proposal"),
            ("/staff/visits", "staff-visits"),
            ("/staff/jobs", "staff-jobs"),
            (f"/staff/jobs/{job.id}", "staff-job"),
            ("/staff/plans", "staff-plans"),
        ):
            go(staff, path)
            shots.page(staff, name)
        staff.delete_all_cookies()
        go(staff, "/staff/login")
        shots.page(staff, "staff-login")

        # every mail, as a mail client shows it
        for name, html in mails(portal).items():
            page = work / f"mail-{name}.html"
            page.write_text(html)
            customer.get(page.as_uri())
            shots.page(customer, f"mail-{name}", widths=(640,))
    finally:
        customer.quit()
        staff.quit()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return shots.taken


def mails(portal) -> dict[str, str]:
    """Every mail's HTML, rendered with sample values."""
    from datetime import datetime
    from decimal import Decimal
    from types import SimpleNamespace as N

    from portalkit.models import Priority

    contact = N(name="Alice Green", first_name="Alice")
    invoice = N(number="INV-1001", amount_due=Decimal("950.00"))
    payment = N(
        amount=Decimal("300.00"),
        fee=Decimal("9.00"),
        tip=Decimal("0.00"),
        total=Decimal("309.00"),
        processor_ref="ch_3PkX29",
        failure_reason="Card declined",
    )
    issue = N(number=7, subject="Sprinkler head broken", notes="By the gate.", priority=Priority.HIGH)
    place = N(name="Oak Street Commons")
    body = (
        portal.config.invitation_texts()[1]
        .replace("[ContactName]", "Alice Green")
        .replace("[CompanyName]", portal.config.company_name)
        .replace("[LinkValidDays]", "30")
        .replace(
            "[CustomerPortalLink]",
            f'<a href="{portal.config.portal_url}/signup#token">Sign up for the Customer Portal</a>',
        )
    )
    samples = {
        "invitation": {
            "subject": "You're invited",
            "body_html": __import__("markupsafe").Markup(body),
            "body_text": "",
        },
        "invitation_notice": {"sender_name": "Morgan Manager", "names": ["Alice Green", "Bob Stone"]},
        "password_reset": {"contact": contact, "hours": 2, "link": "https://portal.example/reset"},
        "password_reset_no_account": {},
        "login_link": {"contact": contact, "minutes": 15, "link": "https://portal.example/sign-in"},
        "email_change_confirm": {
            "contact": contact,
            "hours": 24,
            "new_email": "alice.g@example.com",
            "link": "https://portal.example/confirm",
        },
        "email_change_notice": {"contact": contact, "new_email": "alice.g@example.com", "done": True},
        "receipts_on": {"contact": contact},
        "payment_receipt": {"contact": contact, "invoice": invoice, "payment": payment},
        "payment_failed": {"contact": contact, "invoice": invoice, "payment": payment},
        "payment_returned": {"contact": contact, "invoice": invoice, "payment": payment},
        "autopay_failed": {"contact": contact, "invoice": invoice, "payment": payment, "last_attempt": False},
        "proposal_signed": {
            "contact": contact,
            "proposal": N(number="P-502", description="Irrigation upgrade"),
            "property": place,
            "chosen": ["Drip line for beds"],
            "signature": N(signed_at=datetime(2026, 11, 30, 9, 30), ip_address="203.0.113.9", total=Decimal("1580.00")),
        },
        "issue_created": {"contact": contact, "issue": issue, "property": place},
        "issue_comment": {"contact": contact, "issue": issue, "property": place, "comment": N(text="Still leaking.")},
        "quote_request": {"contact": contact, "property": place, "request": N(description="Holiday lights on the oak")},
    }
    return {
        name: portal.mails.render(name, ("alice@example.com",), **context).html for name, context in samples.items()
    }


def _stale(element) -> bool:
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except WebDriverException:
        return True
    return False


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (120, 170, 90))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 200, 480, 320), fill=(150, 140, 120))
    draw.ellipse((200, 150, 260, 210), fill=(90, 90, 100))
    draw.line((230, 150, 200, 40), fill=(200, 230, 255), width=6)
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _pdf() -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", size=14)
    doc.cell(0, 10, "Backflow test: passed")
    return bytes(doc.output())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--palette", choices=sorted(PALETTES), default="light")
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    taken = run(args.out, args.palette, {n for n in args.only.split(",") if n})
    if args.out == ROOT / "docs" / "screenshots" and not args.only:
        for legacy, source in LEGACY.items():
            (args.out / legacy).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(args.out / source, args.out / legacy)
    print(f"{len(taken)} screenshots in {args.out}")


if __name__ == "__main__":
    main()
