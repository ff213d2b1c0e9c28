"""A second step at sign-in in headless Chromium, on both reference hosts started as real servers
(issue 27): with Chromium's virtual authenticator (the DevTools WebAuthn domain) a contact whose
company requires a second step creates a passkey right after signing up, saves the recovery
codes, then signs in with the passkey alone; another contact sets up an authenticator app from
the profile and signs in with the password and a code. Every new page is checked by axe-core at
desktop and phone widths and photographed at 1366 and 390 px (``PORTALKIT_SCREENSHOTS``).

The hosts run at http://localhost: WebAuthn needs a domain name (never an IP address) in a secure
context, which localhost is."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pyotp
import pytest
import test_browser_e2e
from hosts import CUSTOMER_PASSWORD
from test_browser_e2e import (
    CHROMEDRIVER,
    CHROMIUM,
    check_page,
    fill,
    navigate,
    open_mailed_link,
    signup_link_from_mail_folder,
    staff_login,
    start_host,
    submit,
    text,
)

globals()["browser"] = test_browser_e2e.browser  # its headless Chromium fixture, by name

pytestmark = pytest.mark.browser
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("Debian chromium and chromium-driver are not installed", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SIZES = {"desktop": (1366, 1000), "phone": (390, 1400)}


@pytest.fixture(params=["flask", "django"])
def local_host(request, tmp_path):
    proc, url = start_host(request.param, tmp_path, hostname="localhost")
    yield request.param, url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def virtual_authenticator(driver) -> str:
    """A platform authenticator that keeps passkeys and verifies its user (a fingerprint), with no
    prompt to click (DevTools' WebAuthn domain)."""
    driver.execute_cdp_cmd("WebAuthn.enable", {"enableUI": False})
    return driver.execute_cdp_cmd(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]


def presence(driver, authenticator: str, on: bool) -> None:
    """Whether the virtual authenticator finds its user there (touch, fingerprint) without waiting."""
    driver.execute_cdp_cmd("WebAuthn.setAutomaticPresenceSimulation", {"authenticatorId": authenticator, "enabled": on})


def shoot(driver, shots: Path, name: str) -> None:
    """The page at 1366 and 390 px wide, for the eye."""
    for label, size in SIZES.items():
        driver.set_window_size(*size)
        time.sleep(0.2)
        driver.save_screenshot(str(shots / f"{name}-{label}.png"))
    driver.set_window_size(1200, 1000)


def invite(driver, url: str, email: str) -> None:
    staff_login(driver, url)
    driver.find_element(By.CSS_SELECTOR, f"tr[data-email='{email}'] input[name=contact]").click()
    submit(driver, "#send-invites")
    driver.delete_all_cookies()


def wait_for_path(driver, path: str, seconds: int = 15) -> None:
    WebDriverWait(driver, seconds).until(lambda d: d.current_url.split("?")[0].endswith(path))


def test_browser_mfa_6_required_passkey_set_up_after_sign_up_then_signs_in_alone(local_host, browser, tmp_path):
    kind, url = local_host
    d = browser
    shots = Path(os.environ.get("PORTALKIT_SCREENSHOTS", tmp_path)) / kind
    shots.mkdir(parents=True, exist_ok=True)
    # staff: customers who pay or sign need a second step (the settings page's switch)
    staff_login(d, url)
    d.get(url + "/staff/branding")
    box = d.find_element(By.CSS_SELECTOR, "input[name=require_second_step]")
    assert not box.is_selected()
    box.click()
    submit(d, "#save")
    d.delete_all_cookies()
    invite(d, url, "alice@example.com")

    # Alice signs up: before the portal opens, a passkey (the virtual authenticator's fingerprint)
    authenticator = virtual_authenticator(d)
    open_mailed_link(d, signup_link_from_mail_folder(tmp_path / "mail", "alice@example.com"))
    fill(d, "password", CUSTOMER_PASSWORD)
    fill(d, "confirm", CUSTOMER_PASSWORD)
    submit(d, "#submit-password")
    wait_for_path(d, "/login/second-step/setup")
    assert "Add a second step" in text(d)
    check_page(d, "twostep-setup")
    shoot(d, shots, "twostep-setup")
    d.get(url + "/dashboard")
    assert d.current_url.startswith(url + "/login")  # no session before the second step
    d.get(url + "/login/second-step/setup")
    fill(d, "name", "Alice's laptop", "#add-passkey")
    submit(d, "#add-passkey-button")
    assert "Save your recovery codes" in text(d)
    codes = [c.text for c in d.find_elements(By.CSS_SELECTOR, "#recovery-codes code")]
    assert len(codes) == 10
    check_page(d, "twostep-codes")
    shoot(d, shots, "twostep-codes")
    submit(d, "#codes-saved")
    wait_for_path(d, "/dashboard")
    d.get(url + "/profile/security")
    assert "Alice's laptop" in d.find_element(By.ID, "passkey-list").text
    check_page(d, "twostep-security")
    shoot(d, shots, "twostep-security")

    # log out; the passkey alone signs her in (user verified by the authenticator): offered in the
    # email field's autofill (conditional UI: the virtual authenticator picks it at once)...
    submit(d, "#logout")
    d.get(url + "/login")
    wait_for_path(d, "/dashboard")
    assert "Alice" in text(d)
    # ...or by the button, while the autofill waits for a person who is not there yet
    submit(d, "#logout")
    presence(d, authenticator, False)
    d.get(url + "/login")
    button = d.find_element(By.ID, "passkey-login-button")
    WebDriverWait(d, 10).until(lambda drv: button.is_displayed())
    assert d.find_element(By.ID, "email").get_attribute("autocomplete") == "username webauthn"
    check_page(d, "login-passkey")
    shoot(d, shots, "login-passkey")
    presence(d, authenticator, True)  # the person is there when the button asks (the autofill asked before)
    button.click()
    wait_for_path(d, "/dashboard")

    # with her password she is asked for the passkey again, as the second step
    submit(d, "#logout")
    presence(d, authenticator, False)  # the autofill's request waits; she types her password instead
    d.get(url + "/login")
    fill(d, "email", "alice@example.com")
    fill(d, "password", CUSTOMER_PASSWORD)
    submit(d, "#login")
    wait_for_path(d, "/login/second-step")
    check_page(d, "twostep-verify-passkey")
    shoot(d, shots, "twostep-verify-passkey")
    presence(d, authenticator, True)
    submit(d, "#passkey-step-button")
    wait_for_path(d, "/dashboard")


def test_browser_mfa_2_authenticator_app_from_the_profile_then_password_and_code(local_host, browser, tmp_path):
    kind, url = local_host
    d = browser
    shots = Path(os.environ.get("PORTALKIT_SCREENSHOTS", tmp_path)) / kind
    shots.mkdir(parents=True, exist_ok=True)
    invite(d, url, "bob@example.com")
    open_mailed_link(d, signup_link_from_mail_folder(tmp_path / "mail", "bob@example.com"))
    fill(d, "password", CUSTOMER_PASSWORD)
    fill(d, "confirm", CUSTOMER_PASSWORD)
    submit(d, "#submit-password")
    wait_for_path(d, "/dashboard")
    d.get(url + "/profile")
    navigate(d, d.find_element(By.ID, "security-link"))
    assert "Sign-in security" in text(d)
    submit(d, "#start-app")
    wait_for_path(d, "/profile/security/app")
    secret = d.find_element(By.ID, "app-secret").text.replace(" ", "")
    assert d.find_element(By.ID, "app-qr").get_attribute("src").startswith("data:image/svg+xml")
    check_page(d, "twostep-app")
    shoot(d, shots, "twostep-app")
    fill(d, "code", pyotp.TOTP(secret).now(), "#app-confirm")
    fill(d, "password", CUSTOMER_PASSWORD, "#app-confirm")
    submit(d, "#confirm-app")
    assert len(d.find_elements(By.CSS_SELECTOR, "#recovery-codes code")) == 10
    navigate(d, d.find_element(By.ID, "codes-saved"))
    assert "Set up" in d.find_element(By.ID, "app").text

    submit(d, "#logout")
    d.get(url + "/login")
    fill(d, "email", "bob@example.com")
    fill(d, "password", CUSTOMER_PASSWORD)
    submit(d, "#login")
    wait_for_path(d, "/login/second-step")
    assert d.find_elements(By.ID, "passkey-step") == []  # Bob has no passkey: the code only
    check_page(d, "twostep-verify-app")
    shoot(d, shots, "twostep-verify-app")
    fill(d, "code", "000000" if pyotp.TOTP(secret).at(time.time() + 30) != "000000" else "111111")
    submit(d, "#verify-code")
    assert "That code is not right" in text(d)
    check_page(d, "twostep-verify-refused")
    fill(d, "code", pyotp.TOTP(secret).at(time.time() + 30))  # the setup used this 30 seconds' code
    submit(d, "#verify-code")
    wait_for_path(d, "/dashboard")
    submit(d, "#logout")
    d.get(url + "/login")
    fill(d, "email", "bob@example.com")
    fill(d, "password", CUSTOMER_PASSWORD)
    submit(d, "#login")
    navigate(d, d.find_element(By.ID, "use-recovery"))
    check_page(d, "twostep-recovery")
    shoot(d, shots, "twostep-recovery")
