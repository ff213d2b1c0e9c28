"""Text messages through the real Twilio adapter (``fieldportalkit-twilio``) and Twilio's own
library, against the adapter's local Messages API server, in the Flask reference host: a contact
confirms a mobile number with the texted code, hears "on the way" by text, replies STOP through
the webhook signed as Twilio signs it, and is texted no more (TXT-1, TXT-3)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("portalkit_twilio", reason="the Twilio adapter is not installed (adapters/portalkit-twilio)")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters" / "portalkit-twilio" / "tests"))

from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio
from hosts import Browser, demo_portal, make_app
from test_hosts import enrol, staff_browser
from twilio.request_validator import RequestValidator

from portalkit.models import Job, Visit

NUMBER = "+14155552671"
WEBHOOK = "http://localhost/portal/webhooks/texts"


@pytest.fixture
def twilio(monkeypatch):
    with FakeTwilio() as server:
        server.add_account(ACCOUNT_SID, AUTH_TOKEN, numbers=[FROM_NUMBER])
        for name, value in {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE": server.url,
        }.items():
            monkeypatch.setenv(name, value)
        yield server


def _texts_to(twilio, number):
    return [body for to, body in twilio.received() if to == number]


def test_txt_3_host_twilio_code_on_the_way_and_stop(twilio, tmp_path):
    portal = demo_portal(tmp_path)
    assert type(portal.texts).__name__ == "TwilioTextMessenger"
    app = make_app("flask", portal)
    alice = enrol(app, portal, "alice@example.com")
    assert alice.post("/profile/notices", {"action": "number", "phone": "(415) 555-2671"}).status_code == 303
    code = re.search(r"\b(\d{6})\b", _texts_to(twilio, NUMBER)[-1]).group(1)
    assert alice.post("/profile/notices", {"action": "verify", "code": code}).status_code == 303

    [job] = portal.storage.find(Job, number="J-1040")
    upcoming = sorted(portal.storage.find(Visit, job_id=job.id), key=lambda v: v.starts_at)[1]
    staff = staff_browser(app)
    assert (
        staff.post(
            f"/staff/visits/{upcoming.id}/on_the_way", {"minutes": "15"}, page=f"/staff/jobs/{job.id}"
        ).status_code
        == 303
    )
    assert any("on the way" in body for body in _texts_to(twilio, NUMBER))

    client = app[1].test_client()
    form = {"From": NUMBER, "To": FROM_NUMBER, "Body": "STOP", "MessageSid": "SM" + "1" * 32, "AccountSid": ACCOUNT_SID}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(WEBHOOK, form)
    forged = client.post(
        "/portal/webhooks/texts", data={**form, "Body": "START"}, headers={"X-Twilio-Signature": signature}
    )
    assert forged.status_code == 400
    answer = client.post("/portal/webhooks/texts", data=form, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200 and answer.content_type.startswith("text/xml")
    assert portal.directory.contact_by_email("alice@example.com").texts_stopped

    sent = len(twilio.received())
    staff.post(f"/staff/visits/{upcoming.id}/start", {}, page=f"/staff/jobs/{job.id}")
    staff.post(f"/staff/visits/{upcoming.id}/complete", {"notes": "Done", "share": "1"}, page=f"/staff/jobs/{job.id}")
    assert len(twilio.received()) == sent  # STOP: the completion notice went by mail only
    assert "Done" in [m for m in portal.mailer.mails if "alice@example.com" in m.to][-1].text
    assert Browser(app).get("/jobs").status_code in (302, 303)
