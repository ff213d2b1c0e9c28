"""End to end in headless Chromium, against both reference hosts started as real servers:
staff invites → customer signs up → logs in → pays an invoice → signs a proposal → opens an issue."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from hosts import CUSTOMER_PASSWORD, STAFF_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.browser
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("Debian chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_host(kind: str, tmp_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PORTALKIT_INSTANCE": str(tmp_path), "PORTALKIT_BCRYPT_ROUNDS": "4",
           "PORTALKIT_STAFF_PASSWORD": STAFF_PASSWORD, "PORTALKIT_BASE_URL": url,
           "PORTALKIT_DB_URL": f"sqlite:///{tmp_path}/portal.sqlite3", "PYTHONPATH": str(ROOT)}
    if kind == "flask":
        cmd = [sys.executable, "-m", "examples.flask_host", "--port", str(port)]
    else:
        manage = str(ROOT / "examples" / "django_host" / "manage.py")
        subprocess.run([sys.executable, manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=120)
        cmd = [sys.executable, manage, "runserver", f"127.0.0.1:{port}", "--noreload"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/login", timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read())
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{kind} host did not start")


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chrome'}", "--window-size=1200,1000"):
        options.add_argument(arg)
    from selenium.webdriver.chrome.service import Service

    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture(params=["flask", "django"])
def host(request, tmp_path):
    proc, url = start_host(request.param, tmp_path)
    yield request.param, url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def fill(driver, name: str, value: str, form: str = "") -> None:
    el = driver.find_element(By.CSS_SELECTOR, f"{form} [name={name}]")
    el.clear()
    el.send_keys(value)


def navigate(driver, element) -> None:
    """Click something that loads a page, and wait until the new page replaced the old one."""
    from selenium.webdriver.support import expected_conditions

    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))


def submit(driver, css: str) -> None:
    navigate(driver, driver.find_element(By.CSS_SELECTOR, css))


def signup_link_from_mail_folder(folder: Path, address: str) -> str:
    """The sign-up link of the newest mail to ``address`` the demo wrote as an .eml file."""
    from email import message_from_bytes, policy

    for path in sorted(folder.glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in message["To"]:
            body = message.get_body(("plain",)).get_content()
            return re.search(r"http://\S+/signup/[\w.\-]+", body).group(0)
    raise AssertionError(f"no mail to {address} in {folder}")


def text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def test_browser_invite_signup_pay_sign_issue(host, browser, tmp_path):
    kind, url = host
    d = browser
    # staff: bulk invitation to Bob, then read the mail the portal sent
    d.get(url + "/staff/login")
    fill(d, "email", "manager@greenacres.example")
    fill(d, "password", STAFF_PASSWORD)
    submit(d, "#staff-login")
    assert "Contacts" in text(d)
    d.find_element(By.CSS_SELECTOR, "tr[data-email='bob@example.com'] input[name=contact]").click()
    d.find_element(By.CSS_SELECTOR, "tr[data-email='sam@example.com'] input[name=contact]").click()
    submit(d, "#send-invites")
    assert "Sent 2 invitation(s)." in text(d)
    d.get(url + "/staff/mail")  # staff see the invitation, never its personal link
    mail = d.find_element(By.CSS_SELECTOR, "article[data-to='bob@example.com'] pre").text
    assert "/signup/" not in mail and "personal link" in mail
    link = signup_link_from_mail_folder(tmp_path / "mail", "bob@example.com")
    d.delete_all_cookies()

    # customer: sign up, log in
    d.get(link)
    assert "Welcome, Bob Stone" in text(d)
    fill(d, "password", CUSTOMER_PASSWORD)
    fill(d, "confirm", CUSTOMER_PASSWORD)
    submit(d, "#submit-password")
    assert "You are signed up" in text(d)
    d.get(link)
    assert "already signed up" in text(d)
    d.get(url + "/login")
    fill(d, "email", "bob@example.com")
    fill(d, "password", CUSTOMER_PASSWORD)
    submit(d, "#login")
    assert "INV-1002" in d.find_element(By.ID, "invoices").text  # Bob is INV-1002's billing contact
    assert "INV-1001" not in d.find_element(By.ID, "invoices").text  # ...not the primary contact

    # pay: add a card, the fee shows for the card, not for ACH; then Pmt Pending
    d.get(url + "/payment-methods")
    fill(d, "number", "4242 4242 4242 4242", "#add-card")
    fill(d, "exp_month", "12", "#add-card")
    fill(d, "exp_year", "2031", "#add-card")
    submit(d, "#add-card button")
    fill(d, "ach", "011000015/123456789", "#add-ach")
    submit(d, "#add-ach button")
    assert "Visa ending 4242" in text(d) and "Bank account ending 6789" in text(d)
    d.get(url + "/dashboard")
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='INV-1002'] a.button"))
    fill(d, "amount", "100.00")
    Select(d.find_element(By.ID, "method")).select_by_visible_text("Visa ending 4242 (default)")
    assert d.find_element(By.ID, "fee").text == "3.00" and d.find_element(By.ID, "total").text == "103.00"
    Select(d.find_element(By.ID, "method")).select_by_visible_text("Bank account ending 6789")
    assert not d.find_element(By.ID, "fee").is_displayed()
    Select(d.find_element(By.ID, "method")).select_by_visible_text("Visa ending 4242 (default)")
    submit(d, "#pay")
    assert "submitted; it is pending" in text(d)
    row = d.find_element(By.CSS_SELECTOR, "tr[data-number='INV-1002']").text
    assert "Pay (Pmt Pending)" in row and "$100.00" in row
    shots = Path(os.environ.get("PORTALKIT_SCREENSHOTS", tmp_path))
    d.save_screenshot(str(shots / f"{kind}-dashboard.png"))

    # sign: select-and-sign with the signature pad
    navigate(d, d.find_element(By.ID, "tab-proposals"))
    navigate(d, d.find_element(By.CSS_SELECTOR, "tr[data-number='P-502'] a.button"))
    save = d.find_element(By.ID, "save-signature")
    assert not save.is_enabled()  # an empty signature cannot be saved
    d.save_screenshot(str(shots / f"{kind}-sign-empty.png"))
    d.find_element(By.CSS_SELECTOR, "input[name=service]").click()
    assert d.find_element(By.ID, "sign-total").text == "1,580.00"
    pad = d.find_element(By.ID, "signature-pad")
    ActionChains(d).move_to_element_with_offset(pad, -150, 0).click_and_hold().move_by_offset(60, 30) \
        .move_by_offset(80, -40).move_by_offset(60, 20).release().perform()
    assert save.is_enabled()
    navigate(d, save)
    assert "Proposal P-502 is signed" in text(d)
    assert "(signed)" in d.find_element(By.CSS_SELECTOR, "tr[data-number='P-502']").text

    # issue: create with a photo, then comment
    navigate(d, d.find_element(By.ID, "tab-issues"))
    submit(d, "#create-issue")
    fill(d, "subject", "Sprinkler head broken")
    Select(d.find_element(By.NAME, "priority")).select_by_visible_text("High")
    fill(d, "notes", "Near the front gate")
    photo = tmp_path / "leak.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    d.find_element(By.NAME, "files").send_keys(str(photo))
    submit(d, "#create")
    body = text(d)
    assert "Sprinkler head broken" in body and "Priority: High" in body and "leak.png" in body
    fill(d, "text", "It is flooding the path")
    submit(d, "#add-comment")
    assert "It is flooding the path" in d.find_element(By.ID, "comments").text
    d.save_screenshot(str(shots / f"{kind}-issue.png"))

    # staff: the payment settles through the processor, the status history shows the journey
    d.delete_all_cookies()
    d.get(url + "/staff/login")
    fill(d, "email", "manager@greenacres.example")
    fill(d, "password", STAFF_PASSWORD)
    submit(d, "#staff-login")
    d.get(url + "/staff/payments")
    submit(d, "#settle")
    assert "settled" in d.find_element(By.ID, "payments").text
