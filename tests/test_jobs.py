"""Jobs and visits (issue 26): what the company is doing at the customer's property, by the rules
VIS-6 (all the customer's jobs, or only the contact's), VIS-7 (files hidden until shared),
JOB-1..5 and TXT-1..4 (docs/rules.md). On memory, SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from conftest import PNG_SIGNATURE, build_world

from portalkit import Access, Upload
from portalkit.adapters.texts import MemoryTextMessenger
from portalkit.errors import InvalidTransition, InvalidWebhook, NotFound, PermissionDenied, ValidationError
from portalkit.events import JobRequested, VisitChanged, VisitChangeRequested, VisitRated
from portalkit.models import Contact, Job, JobStatus, OutboxMessage, Technician, Visit, VisitRequest, VisitStatus
from portalkit.sync import HostContact, HostCustomer, HostJob, HostProperty, HostVisit, SyncBatch

PHOTO = base64.b64decode(PNG_SIGNATURE.split(",", 1)[1])
NUMBER = "+14155552671"
TOMORROW_9 = datetime(2026, 1, 16, 15, 0, tzinfo=UTC)  # 9 AM in Chicago
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def site(storage):
    """Alice (primary contact of Oak Street Commons), Bob (linked, "main contact only"), a job
    with a scheduled visit tomorrow, texts through the in-memory messenger."""
    w = build_world(storage, texts=MemoryTextMessenger(), time_zone="America/Chicago")
    w.alice, w.bob, w.stranger = (w.enrol(c) for c in (w.alice, w.bob, w.stranger))
    w.portal.directory.update_contact(w.staff, w.bob.id, main_contact_only=True)
    w.bob = w.portal.directory.contact(w.bob.id)
    w.job = w.portal.jobs.add_job(w.staff, w.prop.id, "J-100", "Spring clean-up", job_type="Maintenance")
    w.visit = w.portal.jobs.schedule_visit(
        w.staff, w.job.id, TOMORROW_9, TOMORROW_9 + timedelta(hours=2), [Technician(name="Tess Tech")]
    )
    return w


def texts(w, number=NUMBER):
    return [m.body for m in w.adapters.texts.to(number)]


def verify_phone(w, contact, number=NUMBER):
    w.portal.phones.set_number(contact, number)
    [code_text] = w.adapters.texts.to(number)[-1:]
    code = "".join(ch for ch in code_text.body if ch.isdigit())[:6]
    return w.portal.phones.verify(contact, code)


# -- JOB-1: the customer's view --------------------------------------------------------------------
def test_job_1_the_primary_contact_sees_the_job_its_visits_and_the_next_visit(site):
    w = site
    [row] = w.portal.jobs.visits(w.alice)
    assert (row.job.number, row.visit.starts_at) == ("J-100", TOMORROW_9)
    assert [j.number for j in w.portal.jobs.jobs(w.alice, w.prop.id)] == ["J-100"]
    view = w.portal.jobs.job(w.alice, w.job.id)
    assert [v.id for v in view.visits] == [w.visit.id] and view.files == ()
    assert w.portal.jobs.visits(w.alice, upcoming=False) == []


def test_job_1_the_job_page_shows_its_reports_by_kind_and_the_technicians_photo(site):
    from portalkit.models import ReportKind

    w = site
    pdf = Upload(filename="inspection.pdf", content_type="application/pdf", data=PDF)
    seen = w.portal.reports.add(
        w.staff, w.prop.id, ReportKind.SERVICE, "Spring service", TOMORROW_9.date(), pdf, job_id=w.job.id
    )
    w.portal.reports.add(
        w.staff, w.prop.id, ReportKind.INSPECTION, "Backflow test", TOMORROW_9.date(), pdf, job_id=w.job.id
    )  # Alice's flags do not show inspection reports
    w.portal.directory.update_contact(
        w.staff, w.alice.id, access=attrs.evolve(w.alice.access, service_reports=True, inspection_reports=False)
    )
    alice = w.portal.directory.contact(w.alice.id)
    assert [r.id for r in w.portal.jobs.job(alice, w.job.id).reports] == [seen.id]
    other = w.portal.jobs.add_job(w.staff, w.other_prop.id, "J-9", "Pool")
    with pytest.raises(ValidationError):
        w.portal.reports.add(w.staff, w.prop.id, ReportKind.SERVICE, "Wrong", TOMORROW_9.date(), pdf, job_id=other.id)

    key = w.portal.jobs.host.technician_photo(Upload(filename="tess.png", content_type="image/png", data=PHOTO))
    store = w.portal.storage
    store.update(attrs.evolve(store.get(Visit, w.visit.id), technicians=(Technician(name="Tess Tech", photo_key=key),)))
    assert w.portal.jobs.technician_photo(alice, w.visit.id, 0) == (PHOTO, "image/png")
    for index in (1, -1):
        with pytest.raises(NotFound):
            w.portal.jobs.technician_photo(alice, w.visit.id, index)
    with pytest.raises(NotFound):
        w.portal.jobs.technician_photo(w.stranger, w.visit.id, 0)
    with pytest.raises(ValidationError):
        w.portal.jobs.host.technician_photo(Upload(filename="x.pdf", content_type="application/pdf", data=PDF))


def test_vis_6_a_main_contact_only_contact_sees_only_jobs_they_are_the_main_contact_of(site):
    w = site
    assert w.portal.jobs.jobs(w.bob, w.prop.id) == [] and w.portal.jobs.visits(w.bob) == []
    with pytest.raises(NotFound):
        w.portal.jobs.job(w.bob, w.job.id)
    mine = w.portal.jobs.add_job(w.staff, w.prop.id, "J-101", "Gutter", main_contact_id=w.bob.id)
    assert [j.id for j in w.portal.jobs.jobs(w.bob, w.prop.id)] == [mine.id]


def test_vis_3_jobs_sit_behind_their_own_access_flag(site):
    w = site
    w.portal.directory.update_contact(w.staff, w.alice.id, access=attrs.evolve(w.alice.access, jobs=False))
    alice = w.portal.directory.contact(w.alice.id)
    with pytest.raises(PermissionDenied):
        w.portal.jobs.jobs(alice, w.prop.id)
    with pytest.raises(NotFound):
        w.portal.jobs.job(alice, w.job.id)
    assert w.portal.jobs.visits(alice) == []


def test_job_1_another_customers_contact_reaches_nothing(site):
    w = site
    with pytest.raises(NotFound):
        w.portal.jobs.job(w.stranger, w.job.id)
    with pytest.raises(NotFound):
        w.portal.jobs.visit_calendar(w.stranger, w.visit.id)
    with pytest.raises(NotFound):
        w.portal.jobs.request_change(w.stranger, w.visit.id, "cancel", "Not mine")
    assert w.portal.jobs.visits(w.stranger) == []


def test_vis_7_job_photos_are_hidden_until_staff_share_them(site):
    w = site
    [photo] = w.portal.jobs.add_files(w.staff, w.job.id, [Upload(filename="before.png", data=PHOTO)])
    assert w.portal.jobs.job(w.alice, w.job.id).files == ()
    with pytest.raises(NotFound):
        w.portal.jobs.file(w.alice, photo.id)
    w.portal.jobs.share_file(w.staff, photo.id, True)
    [shown] = w.portal.jobs.job(w.alice, w.job.id).files
    assert shown.id == photo.id and w.portal.jobs.file(w.alice, photo.id)[1] == PHOTO


# -- JOB-2: add to calendar ---------------------------------------------------------------------------
def test_job_2_a_visit_is_an_icalendar_event_and_the_feed_is_private_and_revocable(site):
    from icalendar import Calendar

    w = site
    [event] = Calendar.from_ical(w.portal.jobs.visit_calendar(w.alice, w.visit.id)).walk("VEVENT")
    assert event["SUMMARY"] == "Green Acres Landscaping: Spring clean-up"
    assert event.decoded("DTSTART") == TOMORROW_9 and "Tess Tech" in str(event["DESCRIPTION"])
    link = w.portal.jobs.calendar_link(w.alice)
    token = link.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(Calendar.from_ical(w.portal.jobs.calendar_feed(token)).walk("VEVENT")) == 1
    w.portal.jobs.revoke_calendar(w.alice)
    with pytest.raises(NotFound):
        w.portal.jobs.calendar_feed(token)
    with pytest.raises(NotFound):  # a feed of another's token forged from this one's parts
        w.portal.jobs.calendar_feed(token[:-2] + "xx")


# -- JOB-3: the customer's say -----------------------------------------------------------------------
def test_job_3_a_request_to_reschedule_reaches_staff_and_the_host_and_moving_answers_it(site):
    w = site
    request = w.portal.jobs.request_change(w.alice, w.visit.id, "reschedule", "Gate locked Friday", "Mon AM")
    [staff_mail] = [m for m in w.mailer.to("owner@greenacres.test") if "New time asked" in m.subject]
    assert "Gate locked Friday" in staff_mail.text and "Mon AM" in staff_mail.text
    events = [m.payload for m in w.portal.storage.find(OutboxMessage, kind="event")]
    assert any(e["name"] == VisitChangeRequested.name for e in events)
    later = TOMORROW_9 + timedelta(days=3)
    moved = w.portal.jobs.move_visit(w.staff, w.visit.id, later, later + timedelta(hours=2))
    assert moved.starts_at == later and w.portal.storage.get(VisitRequest, request.id).handled
    assert "moved to" in w.mailer.to("alice@example.com")[-1].subject
    with pytest.raises(ValidationError):
        w.portal.jobs.request_change(w.alice, w.visit.id, "maybe", "x")
    w.clock.advance(days=10)  # a visit in the past cannot be moved from the portal
    with pytest.raises(InvalidTransition):
        w.portal.jobs.request_change(w.alice, w.visit.id, "cancel", "Too late")


def test_job_3_a_completed_visit_is_rated_once_and_staff_hear_of_it(site):
    w = site
    with pytest.raises(InvalidTransition):
        w.portal.jobs.rate(w.alice, w.visit.id, 5)
    w.portal.jobs.complete_visit(
        w.staff, w.visit.id, "Mowed, edged, blew the walks.", [Upload(filename="after.png", data=PHOTO)]
    )
    done = w.mailer.to("alice@example.com")[-1]
    assert "visit completed" in done.subject and "Mowed, edged" in done.text and "1 photo" in done.text
    assert len(w.portal.jobs.job(w.alice, w.job.id).files) == 1  # completion photos are shared
    with pytest.raises(ValidationError):
        w.portal.jobs.rate(w.alice, w.visit.id, 6)
    rating = w.portal.jobs.rate(w.alice, w.visit.id, 5, "Spotless")
    assert rating.stars == 5 and "5/5 from Alice Green" in w.mailer.to("owner@greenacres.test")[-1].subject
    with pytest.raises(InvalidTransition):
        w.portal.jobs.rate(w.alice, w.visit.id, 4)
    assert any(m.payload["name"] == VisitRated.name for m in w.portal.storage.find(OutboxMessage, kind="event"))


def test_job_4_new_work_asked_for_reaches_the_list_of_its_type(site):
    w = site
    w.portal.update_config(
        w.staff,
        attrs.evolve(
            w.portal.config,
            job_notification_emails={"Irrigation": ("irrigation@greenacres.test",), "*": ("office@greenacres.test",)},
        ),
    )
    with pytest.raises(PermissionDenied):
        w.portal.jobs.request_job(w.alice, w.prop.id, "Irrigation", "Leak by the gate")
    w.portal.directory.update_contact(w.staff, w.alice.id, access=attrs.evolve(w.alice.access, job_requests=True))
    alice = w.portal.directory.contact(w.alice.id)
    request = w.portal.jobs.request_job(
        alice, w.prop.id, "Irrigation", "Leak by the gate", "This week", [Upload(filename="leak.png", data=PHOTO)]
    )
    assert request.file_keys and w.mailer.to("irrigation@greenacres.test") and w.mailer.to("office@greenacres.test")
    assert [r.said.id for r in w.portal.jobs.job_requests(w.staff)] == [request.id]
    assert any(m.payload["name"] == JobRequested.name for m in w.portal.storage.find(OutboxMessage, kind="event"))
    with pytest.raises(NotFound):
        w.portal.jobs.request_job(alice, w.other_prop.id if False else "no-such-property", "Irrigation", "x")


# -- TXT: notices by mail and text message --------------------------------------------------------------
def test_txt_1_a_number_is_used_only_once_verified_by_a_code(site):
    w = site
    w.portal.phones.set_number(w.alice, "(415) 555-2671")
    alice = w.portal.directory.contact(w.alice.id)
    assert alice.phone == NUMBER and not alice.phone_verified
    [code_text] = texts(w)
    assert "your code is" in code_text
    w.portal.phones.set_preferences(alice, {"visit_on_the_way": ["text"]})
    w.portal.jobs.on_the_way(w.staff, w.visit.id, TOMORROW_9 + timedelta(minutes=30))
    assert texts(w) == [code_text]  # unverified: no notice by text; mail instead
    assert "is on the way" in w.mailer.to("alice@example.com")[-1].subject
    with pytest.raises(ValidationError):
        w.portal.phones.verify(alice, "000000" if "000000" not in code_text else "111111")
    assert verify_phone(w, alice).phone_verified


def test_txt_2_on_my_way_goes_by_text_and_mail_by_default_and_each_contact_chooses(site):
    w = site
    verify_phone(w, w.alice)
    w.portal.jobs.on_the_way(w.staff, w.visit.id, TOMORROW_9 + timedelta(minutes=30))
    assert "Tess Tech is on the way and should arrive around 9:30" in texts(w)[-1]
    assert "on the way" in w.mailer.to("alice@example.com")[-1].subject
    sent = len(texts(w))
    w.portal.phones.set_preferences(w.portal.directory.contact(w.alice.id), {"visit_changed": []})
    later = TOMORROW_9 + timedelta(days=1)
    w.portal.jobs.move_visit(w.staff, w.visit.id, later, later + timedelta(hours=1))
    assert len(texts(w)) == sent and "moved to" not in w.mailer.to("alice@example.com")[-1].subject
    with pytest.raises(ValidationError):  # an account notice cannot be turned off
        w.portal.phones.set_preferences(w.alice, {"password_reset": []})


def test_txt_3_stop_stops_every_text_to_that_number_and_start_starts_them(site):
    w = site
    verify_phone(w, w.alice)
    url = "https://portal.greenacres.test/webhooks/texts"
    headers, form = w.adapters.texts.inbound(url, NUMBER, "Stop")
    w.portal.phones.inbound(url, headers, form)
    assert w.portal.directory.contact(w.alice.id).texts_stopped
    count = len(texts(w))
    w.portal.jobs.on_the_way(w.staff, w.visit.id, TOMORROW_9)
    assert len(texts(w)) == count and "on the way" in w.mailer.to("alice@example.com")[-1].subject
    with pytest.raises(InvalidWebhook):
        w.portal.phones.inbound(url, {}, form)
    w.portal.phones.inbound(url, *w.adapters.texts.inbound(url, NUMBER, "START"))
    assert not w.portal.directory.contact(w.alice.id).texts_stopped


def test_txt_4_no_text_in_the_contacts_quiet_hours_it_waits_for_their_morning(site):
    w = site
    verify_phone(w, w.alice)
    alice = w.portal.phones.set_preferences(
        w.portal.directory.contact(w.alice.id), {}, quiet_hours=(21, 8), time_zone="America/Chicago"
    )
    w.clock.set(datetime(2026, 1, 16, 4, 0, tzinfo=UTC))  # 10 PM in Chicago
    count = len(texts(w))
    w.portal.jobs.on_the_way(w.staff, w.visit.id, TOMORROW_9)
    assert len(texts(w)) == count  # held back
    w.clock.set(datetime(2026, 1, 16, 14, 1, tzinfo=UTC))  # 8:01 AM in Chicago
    w.portal.outbox.dispatch()
    assert len(texts(w)) == count + 1
    assert alice.quiet_hours == (21, 8)


# -- JOB-5: the host feeds jobs and visits by its ids ------------------------------------------------
def test_job_5_sync_feeds_jobs_and_visits_by_the_hosts_ids_and_host_calls_announce_them(site):
    w = site
    w.portal.sync.apply(
        SyncBatch(
            customers=[HostCustomer(external_id="cu-1", name="Birch Lane")],
            properties=[
                HostProperty(external_id="site-1", customer="cu-1", name="Birch Lane 4", primary_contact="co-1")
            ],
            contacts=[
                HostContact(
                    external_id="co-1",
                    customer="cu-1",
                    first_name="Dana",
                    last_name="Birch",
                    email="dana@example.com",
                    properties=("site-1",),
                )
            ],
            jobs=[
                HostJob(
                    external_id="job-1",
                    property="site-1",
                    number="HJ-1",
                    title="Aeration",
                    job_type="Maintenance",
                    main_contact="co-1",
                )
            ],
            visits=[
                HostVisit(
                    external_id="visit-1",
                    job="job-1",
                    starts_at=TOMORROW_9,
                    ends_at=TOMORROW_9 + timedelta(hours=1),
                    technicians=(Technician(name="Ray"),),
                )
            ],
        )
    )
    dana = w.enrol(w.portal.directory.contact_by_host_id("co-1"))
    before = len(w.mailer.to("dana@example.com"))
    w.portal.jobs.host.scheduled("visit-1")
    assert len(w.mailer.to("dana@example.com")) == before + 1
    w.portal.jobs.host.on_the_way("visit-1", TOMORROW_9)
    [row] = w.portal.jobs.visits(dana)
    assert row.visit.status is VisitStatus.ON_THE_WAY and row.job.number == "HJ-1"
    with pytest.raises(ValidationError):  # a job's main contact of another customer is refused
        w.portal.sync.apply(
            SyncBatch(
                jobs=[HostJob(external_id="job-2", property="site-1", number="HJ-2", title="x", main_contact="co-9")],
                contacts=[HostContact(external_id="co-9", customer="cu-9", first_name="Zed", last_name="Z")],
                customers=[HostCustomer(external_id="cu-9", name="Other")],
            )
        )
    w.portal.sync.apply(SyncBatch(deleted={"visits": ["visit-1"]}))
    assert w.portal.jobs.visits(dana) == []
    events = [m.payload["name"] for m in w.portal.storage.find(OutboxMessage, kind="event")]
    assert VisitChanged.name in events


def test_job_5_staff_need_the_jobs_permission(site):
    from portalkit import Permission

    w = site
    clerk = w.portal.directory.add_staff(w.staff, "clerk@greenacres.test", "Casey Clerk", [Permission.MANAGE_ISSUES])
    for attempt in (
        lambda: w.portal.jobs.add_job(clerk, w.prop.id, "J-9", "x"),
        lambda: w.portal.jobs.on_the_way(clerk, w.visit.id, TOMORROW_9),
        lambda: w.portal.jobs.staff_visits(clerk),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert [v.visit.id for v in w.portal.jobs.staff_visits(w.staff)] == [w.visit.id]
    assert [v.visit.id for v in w.portal.jobs.staff_visits(w.staff, technician="tess tech")] == [w.visit.id]
    assert w.portal.jobs.staff_visits(w.staff, technician="Ray") == []
    assert w.portal.storage.get(Job, w.job.id).status is JobStatus.SCHEDULED
    assert isinstance(w.portal.storage.get(Contact, w.alice.id).access, Access)
    assert w.portal.storage.get(Visit, w.visit.id).technicians == (Technician(name="Tess Tech"),)
