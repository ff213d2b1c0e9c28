"""Jobs, visits and notices through both reference hosts (Flask and Django test clients), on the
demo's seeded jobs: the customer's Jobs view and job page, "add to calendar", the private feed and
its replacement, reschedule and cancel requests, ratings, new work with photos; a mobile number
confirmed by a texted code, notice choices, STOP through the signed webhook; the staff's visits
by day, jobs, on-the-way and completion, shared photos and requests (JOB-1..4, TXT-1, TXT-3)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from hosts import PREFIX, Browser, File
from test_hosts import app, django_ready, enrol, portal, staff_browser  # noqa: F401 - fixtures

from examples.common.seed import PHOTO as PNG
from portalkit.models import Job, JobRequest, Visit, VisitRating, VisitRequest, VisitStatus

ALICE = "alice@example.com"


def _job(portal, number):
    [job] = portal.storage.find(Job, number=number)
    return job


def _visits(portal, job):
    return sorted(portal.storage.find(Visit, job_id=job.id), key=lambda v: v.starts_at)


def test_job_1_host_customer_sees_jobs_visits_and_shared_photos(app, portal):
    alice = enrol(app, portal, ALICE)
    page = alice.get("/jobs").get_data(as_text=True)
    assert "Weekly mowing" in page and "Irrigation repair by the gate" in page
    assert "Tess Martinez" in page and "Tree pruning" not in page  # Maple Court is another customer's
    mowing = _job(portal, "J-1040")
    page = alice.get(f"/jobs/{mowing.id}").get_data(as_text=True)
    assert "the sprinkler by the gate is leaking" in page and "P-480" in page
    [photo] = re.findall(rf"{PREFIX}/jobs/{mowing.id}/files/(\w+)", page)[:1]
    shown = alice.get(f"/jobs/{mowing.id}/files/{photo}")
    assert shown.status_code == 200 and shown.content_type == "image/png"
    pruning = _job(portal, "J-2001")
    assert alice.get(f"/jobs/{pruning.id}").status_code == 404  # VIS: not her customer's job


def test_job_2_host_add_to_calendar_and_a_private_feed_that_can_be_replaced(app, portal):
    alice = enrol(app, portal, ALICE)
    mowing = _job(portal, "J-1040")
    upcoming = _visits(portal, mowing)[1]
    ics = alice.get(f"/visits/{upcoming.id}/calendar.ics")
    assert ics.status_code == 200 and ics.content_type.startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.data and b"Weekly mowing" in ics.data
    page = alice.get("/jobs").get_data(as_text=True)
    link = re.search(r'id="calendar-link" value="([^"]+)"', page).group(1)
    path = link.split("/portal", 1)[1]
    stranger = Browser(app)  # a calendar app: no session, the link is the key
    feed = stranger.get(path)
    assert feed.status_code == 200 and feed.data.count(b"BEGIN:VEVENT") == 4  # the Commons' and the Pool's visits
    assert alice.post("/calendar/new-link", {}, page="/jobs").status_code == 303
    assert stranger.get(path).status_code == 404
    assert stranger.get(path.replace(".ics", "x.ics")).status_code == 404


def test_job_3_host_reschedule_request_reaches_staff_and_moving_answers_it(app, portal):
    alice = enrol(app, portal, ALICE)
    mowing = _job(portal, "J-1040")
    upcoming = _visits(portal, mowing)[1]
    r = alice.post(
        f"/visits/{upcoming.id}/change",
        {"kind": "reschedule", "reason": "Gate locked that day", "preferred_times": "Any morning next week"},
    )
    assert r.status_code == 303
    assert any("Gate locked that day" in m.text for m in portal.mailer.mails if "owner@greenacres.example" in m.to)
    r = alice.post(f"/visits/{upcoming.id}/change", {"kind": "maybe", "reason": "x"})
    assert r.status_code == 400 and len(portal.storage.find(VisitRequest)) == 1
    staff = staff_browser(app)
    page = staff.get("/staff/visits").get_data(as_text=True)
    assert "Gate locked that day" in page and "Any morning next week" in page
    day = (upcoming.starts_at.astimezone(ZoneInfo(portal.config.time_zone)) + timedelta(days=1)).date()
    r = staff.post(
        f"/staff/visits/{upcoming.id}/move",
        {"date": day.isoformat(), "start": "10:00", "end": "12:00"},
        page=f"/staff/jobs/{mowing.id}",
    )
    assert r.status_code == 303
    moved = portal.storage.get(Visit, upcoming.id)
    assert moved.starts_at.astimezone(ZoneInfo(portal.config.time_zone)).hour == 10
    assert all(q.handled for q in portal.storage.find(VisitRequest))
    assert "moved to" in [m for m in portal.mailer.mails if ALICE in m.to][-1].subject


def test_job_3_host_rating_a_completed_visit_once(app, portal):
    alice = enrol(app, portal, ALICE)
    mowing = _job(portal, "J-1040")
    done = _visits(portal, mowing)[0]
    r = alice.post(
        f"/visits/{done.id}/rating", {"stars": "5", "comment": "Lawn looks great"}, page=f"/jobs/{mowing.id}"
    )
    assert r.status_code == 303
    assert alice.post(f"/visits/{done.id}/rating", {"stars": "1"}, page=f"/jobs/{mowing.id}").status_code == 303
    [rating] = portal.storage.find(VisitRating)
    assert rating.stars == 5
    assert "Thank you for your rating" in alice.get(f"/jobs/{mowing.id}").get_data(as_text=True)
    assert "Lawn looks great" in staff_browser(app).get("/staff/visits").get_data(as_text=True)


def test_job_4_host_asking_for_new_work_with_a_photo(app, portal):
    alice = enrol(app, portal, ALICE)
    commons = next(
        p
        for p in portal.visibility.properties(portal.directory.contact_by_email(ALICE))
        if p.name == "Oak Street Commons"
    )
    contact = portal.directory.contact_by_email(ALICE)
    assert alice.get(f"/jobs/new?property={commons.id}").status_code == 403  # the flag is off by default
    staff = staff_browser(app)
    r = staff.post(
        f"/staff/contacts/{contact.id}/access",
        {f: "1" for f in ("invoices", "proposals", "issues", "jobs", "job_requests")},
        page=f"/staff/contacts/{contact.id}",
    )
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
    page = alice.get(f"/jobs/new?property={commons.id}").get_data(as_text=True)
    assert "Irrigation repair" in page
    r = alice.post(
        f"/jobs/new?property={commons.id}",
        {
            "property": commons.id,
            "job_type": "Irrigation repair",
            "description": "Zone 3 does not come on",
            "photos": File("zone3.png", PNG, "image/png"),
        },
        page=f"/jobs/new?property={commons.id}",
    )
    assert r.status_code == 303
    [request] = portal.storage.find(JobRequest)
    assert len(request.file_keys) == 1
    told = [m for m in portal.mailer.mails if "irrigation@greenacres.example" in m.to]
    assert told and "Zone 3 does not come on" in told[-1].text
    assert "Zone 3 does not come on" in staff.get("/staff/visits").get_data(as_text=True)


def test_txt_1_host_a_mobile_number_confirmed_by_a_texted_code_then_on_the_way_by_text(app, portal):
    alice = enrol(app, portal, ALICE)
    r = alice.post("/profile/notices", {"action": "number", "phone": "(415) 555-2671"})
    assert r.status_code == 303
    [code_text] = portal.texts.to("+14155552671")
    code = re.search(r"\b(\d{6})\b", code_text.body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    assert alice.post("/profile/notices", {"action": "verify", "code": wrong}).status_code == 400
    assert alice.post("/profile/notices", {"action": "verify", "code": code}).status_code == 303
    page = alice.get("/profile/notices").get_data(as_text=True)
    assert "Confirmed" in page and "The technician is on the way" in page
    mowing = _job(portal, "J-1040")
    upcoming = _visits(portal, mowing)[1]
    staff = staff_browser(app)
    r = staff.post(f"/staff/visits/{upcoming.id}/on_the_way", {"minutes": "20"}, page=f"/staff/jobs/{mowing.id}")
    assert r.status_code == 303 and portal.storage.get(Visit, upcoming.id).status is VisitStatus.ON_THE_WAY
    texts = portal.texts.to("+14155552671")
    assert any("on the way" in t.body for t in texts)
    assert "On the way" in alice.get(f"/jobs/{mowing.id}").get_data(as_text=True)


def test_txt_3_host_stop_by_the_signed_webhook_stops_texts_and_a_forged_one_is_refused(app, portal):
    alice = enrol(app, portal, ALICE)
    alice.post("/profile/notices", {"action": "number", "phone": "+1 415 555 2671"})
    code = re.search(r"\b(\d{6})\b", portal.texts.to("+14155552671")[-1].body).group(1)
    alice.post("/profile/notices", {"action": "verify", "code": code})
    kind, flask_app = app
    url = "http://localhost/portal/webhooks/texts" if kind == "flask" else "http://testserver/portal/webhooks/texts"
    headers, form = portal.texts.inbound(url, "+14155552671", "STOP")
    if kind == "flask":
        client = flask_app.test_client()
        forged = client.post("/portal/webhooks/texts", data={**form, "Body": "START"}, headers=headers)
        answer = client.post("/portal/webhooks/texts", data=form, headers=headers)
    else:
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        posted = "application/x-www-form-urlencoded"  # as the provider posts
        forged = client.post("/portal/webhooks/texts", urlencode({**form, "Body": "START"}), posted, **meta)
        answer = client.post("/portal/webhooks/texts", urlencode(form), posted, **meta)
    assert forged.status_code == 400
    assert answer.status_code == 200
    assert portal.directory.contact_by_email(ALICE).texts_stopped
    assert "You replied STOP" in alice.get("/profile/notices").get_data(as_text=True)


def test_job_1_host_staff_visits_jobs_completion_and_sharing(app, portal):
    staff = staff_browser(app)
    zone = ZoneInfo(portal.config.time_zone)
    repair = _job(portal, "J-1041")
    [visit] = _visits(portal, repair)
    day = visit.starts_at.astimezone(zone).date().isoformat()
    page = staff.get(f"/staff/visits?day={day}").get_data(as_text=True)
    assert "Irrigation repair by the gate" in page and "Raj Patel" in page
    page = staff.get(f"/staff/visits?day={day}&technician=Tess+Martinez").get_data(as_text=True)
    assert "Irrigation repair by the gate" not in page
    assert "J-1041" in staff.get("/staff/jobs").get_data(as_text=True)
    r = staff.post(
        f"/staff/visits/{visit.id}/complete",
        {"notes": "Replaced the valve", "share": "1", "photos": File("valve.png", PNG, "image/png")},
        page=f"/staff/jobs/{repair.id}",
    )
    assert r.status_code == 303 and portal.storage.get(Visit, visit.id).status is VisitStatus.COMPLETED
    page = staff.get(f"/staff/jobs/{repair.id}").get_data(as_text=True)
    assert "valve.png" in page and "shown" in page
    r = staff.post(
        f"/staff/jobs/{repair.id}/schedule",
        {"date": datetime.now(zone).date().isoformat(), "start": "13:00", "end": "12:00"},
        page=f"/staff/jobs/{repair.id}",
    )
    assert r.status_code == 400 and len(_visits(portal, repair)) == 1  # the window ends before it starts


def test_job_1_host_jobs_pages_need_a_login(app, portal):
    anonymous = Browser(app)
    assert anonymous.get("/staff/visits").status_code in (302, 303)
    assert anonymous.get("/jobs").status_code in (302, 303)
