"""Jobs and visits end to end in headless Chromium, on both reference hosts started as real servers,
with text messages through the Twilio adapter to the local Messages API server (issue 26): staff
schedule a visit → the contact sees it, adds it to the calendar, asks to reschedule → staff move
it → "on my way" arrives by text and by mail → the visit completes with a photo → the contact
rates it. Every new page is checked with axe-core at desktop and phone widths."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_browser_e2e import (  # noqa: F401
    CHROMEDRIVER,
    CHROMIUM,
    browser,
    check_page,
    customer_login,
    fill,
    navigate,
    sign_up,
    signup_link_from_mail_folder,
    staff_login,
    start_host,
    submit,
    text,
)

pytestmark = pytest.mark.browser
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("Debian chromium and chromium-driver are not installed", allow_module_level=True)
pytest.importorskip("portalkit_twilio", reason="the Twilio adapter is not installed (adapters/portalkit-twilio)")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters" / "portalkit-twilio" / "tests"))

from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from examples.common.seed import PHOTO  # noqa: E402

ZONE = ZoneInfo("America/Chicago")  # the demo company's
NUMBER = "+14155552671"


@pytest.fixture
def twilio():
    with FakeTwilio() as server:
        server.add_account(ACCOUNT_SID, AUTH_TOKEN, numbers=[FROM_NUMBER])
        yield server


@pytest.fixture(params=["flask", "django"])
def jobs_host(request, tmp_path, twilio, monkeypatch):
    for name, value in {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE": twilio.url,
    }.items():
        monkeypatch.setenv(name, value)
    proc, url = start_host(request.param, tmp_path)
    yield request.param, url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def set_value(driver, css: str, value: str) -> None:
    """A date or time input, whatever the browser's locale writes them as."""
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.CSS_SELECTOR, css), value)


def mails_to(folder: Path, address: str) -> list:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in message["To"]:
            found.append(message)
    return found


def texts_to(twilio, number: str) -> list[str]:
    return [body for to, body in twilio.received() if to == number]


def test_browser_visit_scheduled_moved_on_the_way_by_text_completed_and_rated(jobs_host, browser, twilio, tmp_path):
    kind, url = jobs_host
    d = browser
    shots = Path(os.environ.get("PORTALKIT_SCREENSHOTS", tmp_path)) / kind
    shots.mkdir(parents=True, exist_ok=True)
    tomorrow = (datetime.now(ZONE) + timedelta(days=1)).date()

    # Alice signs up and confirms her mobile number with the texted code
    staff_login(d, url)
    d.find_element(By.CSS_SELECTOR, "tr[data-email='alice@example.com'] input[name=contact]").click()
    submit(d, "#send-invites")
    link = signup_link_from_mail_folder(tmp_path / "mail", "alice@example.com")
    d.delete_all_cookies()
    sign_up(d, link)
    d.get(url + "/profile/notices")
    fill(d, "phone", "(415) 555-2671")
    submit(d, "#send-code")
    code = re.search(r"\b(\d{6})\b", texts_to(twilio, NUMBER)[-1]).group(1)
    fill(d, "code", code)
    submit(d, "#verify")
    assert "Your mobile number is confirmed." in text(d)
    check_page(d, "notices", shots)
    d.delete_all_cookies()

    # staff schedule a visit of the irrigation repair for tomorrow morning
    staff_login(d, url)
    d.get(url + "/staff/jobs")
    check_page(d, "staff-jobs", shots)
    navigate(d, d.find_element(By.LINK_TEXT, "#J-1041 Irrigation repair by the gate"))
    set_value(d, "#visit-date", tomorrow.isoformat())
    set_value(d, "#visit-start", "08:00")
    set_value(d, "#visit-end", "10:00")
    fill(d, "technicians", "Raj Patel")
    submit(d, "#schedule")
    assert "Visit scheduled" in text(d)
    check_page(d, "staff-job", shots)
    d.delete_all_cookies()

    # Alice sees it, adds it to her calendar, asks for another time
    customer_login(d, url, "alice@example.com")
    assert "Next visit" in d.find_element(By.ID, "next-visit").text  # the dashboard's summary
    check_page(d, "dashboard-next-visit", shots)
    navigate(d, d.find_element(By.ID, "nav-jobs"))
    assert "Irrigation repair by the gate" in d.find_element(By.ID, "upcoming").text
    check_page(d, "jobs", shots)
    navigate(d, d.find_element(By.CSS_SELECTOR, "#upcoming a.row-title[href*='/jobs/']"))
    check_page(d, "job", shots)
    ics = d.find_element(By.CSS_SELECTOR, "a[id^=ics-]").get_attribute("href")
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in d.get_cookies())
    with urllib.request.urlopen(urllib.request.Request(ics, headers={"Cookie": cookies}), timeout=10) as answer:
        assert answer.headers["Content-Type"].startswith("text/calendar") and b"BEGIN:VEVENT" in answer.read()
    visit_id = ics.rsplit("/visits/", 1)[1].split("/", 1)[0]
    navigate(d, d.find_element(By.ID, f"reschedule-{visit_id}"))
    check_page(d, "visit-change", shots)
    fill(d, "reason", "The gate is locked in the morning")
    fill(d, "preferred_times", "Any afternoon")
    submit(d, "#send-request")
    assert "Your request was sent" in text(d)
    d.delete_all_cookies()

    # staff see the request and move the visit to the afternoon
    staff_login(d, url)
    d.get(url + "/staff/visits")
    assert "The gate is locked in the morning" in d.find_element(By.ID, "visit-requests").text
    check_page(d, "staff-visits", shots)
    d.get(url + "/staff/jobs")
    navigate(d, d.find_element(By.LINK_TEXT, "#J-1041 Irrigation repair by the gate"))
    row = f"#visit-{visit_id}"
    d.find_element(By.CSS_SELECTOR, f"{row} summary").click()
    form = f"{row} form[action$='/move']"
    set_value(d, f"{form} input[name=date]", tomorrow.isoformat())
    set_value(d, f"{form} input[name=start]", "13:00")
    set_value(d, f"{form} input[name=end]", "15:00")
    submit(d, f"{form} button")
    assert "Visit moved" in text(d)
    assert any("moved to" in m["Subject"] for m in mails_to(tmp_path / "mail", "alice@example.com"))

    # on my way: by text (captured by the local Twilio) and by mail
    d.find_element(By.CSS_SELECTOR, f"{row} summary").click()
    fill(d, "minutes", "25", f"{row} form[action$='/on_the_way']")
    submit(d, f"#on-the-way-{visit_id}")
    assert any("on the way" in body for body in texts_to(twilio, NUMBER))
    assert any("on the way" in m["Subject"].lower() for m in mails_to(tmp_path / "mail", "alice@example.com"))

    # completed with a photo, shared
    d.find_element(By.CSS_SELECTOR, f"{row} summary").click()
    fill(d, "notes", "Replaced the valve by the gate.", f"#complete-{visit_id}")
    photo = tmp_path / "valve.png"
    photo.write_bytes(PHOTO)
    d.find_element(By.CSS_SELECTOR, f"#complete-{visit_id} input[name=photos]").send_keys(str(photo))
    submit(d, f"#complete-{visit_id} button")
    assert "Visit completed" in text(d)
    d.delete_all_cookies()

    # Alice reads the summary, sees the photo, rates the visit
    customer_login(d, url, "alice@example.com")
    d.get(url + "/jobs")
    navigate(d, d.find_element(By.CSS_SELECTOR, "#past a.row-title[href*='/jobs/']"))
    assert "Replaced the valve by the gate." in text(d)
    assert d.find_elements(By.CSS_SELECTOR, "#job-files a.file")
    d.find_element(By.CSS_SELECTOR, f"label[for=stars-{visit_id}-5]").click()
    fill(d, "comment", "Quick and tidy", f"#rate-{visit_id}")
    submit(d, f"#rate-{visit_id} button")
    assert "Thank you for your rating." in text(d)
    check_page(d, "job-rated", shots)
