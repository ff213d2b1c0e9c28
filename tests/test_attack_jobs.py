"""Attacks on jobs, visits, text-message notices and the calendar feed (issue 26): IDOR on every
id, VIS-6 and the access flags on every path, the calendar token, the texts webhook, phone
verification, quiet hours, notice choices, staff permissions, CSRF, stored XSS and iCalendar
injection, uploads, floods, races, bad input and sync; each one a defense (the twelve defects this
file first found are fixed: the code's tries counted, requests limited, uploads charged, one
rating per visit, mobile numbers only, codes limited per number, STOP per number, replies applied
once and read whole, the feed ends with an email change, typed errors, masked tokens in logs)."""

from __future__ import annotations

import base64
import re
import threading
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from conftest import PASSWORD, PNG_SIGNATURE, build_world

from portalkit import Permission, Upload
from portalkit.adapters.memory import MemoryStorage
from portalkit.adapters.texts import MemoryTextMessenger
from portalkit.errors import (
    Conflict,
    InvalidToken,
    InvalidTransition,
    InvalidWebhook,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationError,
)
from portalkit.models import (
    Contact,
    Job,
    JobFile,
    JobRequest,
    OutboxMessage,
    Technician,
    Visit,
    VisitRating,
    VisitRequest,
    VisitStatus,
)
from portalkit.sync import HostJob, HostVisit, SyncBatch

PHOTO = base64.b64decode(PNG_SIGNATURE.split(",", 1)[1])
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NUMBER = "+14155552671"
OTHER_NUMBER = "+14155550199"
TOMORROW_9 = datetime(2026, 1, 16, 15, 0, tzinfo=UTC)  # 9 AM in Chicago
WEBHOOK = "https://portal.greenacres.test/webhooks/texts"


def _site(w):
    """Alice (primary contact of Oak Street Commons), Bob (linked, "main contact only"), Sam
    (another customer's), a job with a visit tomorrow, a completed visit with a shared photo."""
    w.alice, w.bob, w.stranger = (w.enrol(c) for c in (w.alice, w.bob, w.stranger))
    w.portal.directory.update_contact(w.staff, w.bob.id, main_contact_only=True)
    w.bob = w.portal.directory.contact(w.bob.id)
    jobs = w.portal.jobs
    w.job = jobs.add_job(w.staff, w.prop.id, "J-100", "Spring clean-up", job_type="Maintenance")
    w.visit = jobs.schedule_visit(
        w.staff, w.job.id, TOMORROW_9, TOMORROW_9 + timedelta(hours=2), [Technician(name="Tess Tech")]
    )
    w.done = jobs.schedule_visit(
        w.staff, w.job.id, TOMORROW_9 - timedelta(days=7), TOMORROW_9 - timedelta(days=7, hours=-2)
    )
    w.clock.set(TOMORROW_9 - timedelta(days=7, hours=-3))
    jobs.complete_visit(w.staff, w.done.id, "Mowed", [Upload(filename="after.png", data=PHOTO)])
    w.clock.set(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    [w.photo] = w.portal.storage.find(JobFile, job_id=w.job.id)
    key = jobs.host.technician_photo(Upload(filename="tess.png", data=PHOTO))
    store = w.portal.storage
    store.update(attrs.evolve(store.get(Visit, w.visit.id), technicians=(Technician(name="Tess Tech", photo_key=key),)))
    w.other_job = jobs.add_job(w.staff, w.stranger_prop_id, "J-900", "Maple pruning")
    w.other_visit = jobs.schedule_visit(w.staff, w.other_job.id, TOMORROW_9, TOMORROW_9 + timedelta(hours=1))
    [w.other_photo] = jobs.add_files(w.staff, w.other_job.id, [Upload(filename="m.png", data=PHOTO)], shared=True)
    return w


def make_site(storage=None, **config):
    w = build_world(storage, texts=MemoryTextMessenger(), time_zone="America/Chicago", **config)
    w.stranger_prop_id = w.stranger.property_ids[0]
    return _site(w)


@pytest.fixture
def site(storage):
    return make_site(storage)


@pytest.fixture
def mem():
    return make_site()


def fresh(w, contact):
    return w.portal.directory.contact(contact.id)


def code_of(w, number=NUMBER) -> str:
    return re.search(r"\b(\d{6})\b", w.adapters.texts.to(number)[-1].body).group(1)


def feed_token(w, contact) -> str:
    return w.portal.jobs.calendar_link(contact).rsplit("/", 1)[1].removesuffix(".ics")


def staff_mails(w):
    return [m for m in w.mailer.outbox if "owner@greenacres.test" in m.to]


# -- IDOR and VIS-6 / VIS-3 on every customer entry point ---------------------------------------------
def _every_customer_read(w, contact, visit_id, job_id, file_id):
    jobs = w.portal.jobs
    return {
        "job": lambda: jobs.job(contact, job_id),
        "file": lambda: jobs.file(contact, file_id),
        "visit": lambda: jobs.visit(contact, visit_id),
        "visit_calendar": lambda: jobs.visit_calendar(contact, visit_id),
        "technician_photo": lambda: jobs.technician_photo(contact, visit_id, 0),
        "request_change": lambda: jobs.request_change(contact, visit_id, "cancel", "not mine"),
        "rate": lambda: jobs.rate(contact, visit_id, 1, "bad"),
    }


def test_job_1_another_customers_contact_reaches_no_job_visit_file_photo_or_action(site):
    w = site
    before = (len(w.portal.storage.find(VisitRequest)), len(w.portal.storage.find(VisitRating)))
    for visit_id in (w.visit.id, w.done.id):
        for attempt in _every_customer_read(w, w.stranger, visit_id, w.job.id, w.photo.id).values():
            with pytest.raises(NotFound):
                attempt()
    seen = [r.visit.id for up in (True, False) for r in w.portal.jobs.visits(w.stranger, upcoming=up)]
    assert seen == [w.other_visit.id]
    with pytest.raises(NotFound):
        w.portal.jobs.jobs(w.stranger, w.prop.id)
    assert (len(w.portal.storage.find(VisitRequest)), len(w.portal.storage.find(VisitRating))) == before
    # and the other way round: Alice reaches nothing of Sam's
    for attempt in _every_customer_read(w, w.alice, w.other_visit.id, w.other_job.id, w.other_photo.id).values():
        with pytest.raises(NotFound):
            attempt()


def test_vis_6_main_contact_only_contact_reaches_nothing_of_a_job_they_are_not_main_contact_of(site):
    w = site
    for visit_id in (w.visit.id, w.done.id):
        for attempt in _every_customer_read(w, w.bob, visit_id, w.job.id, w.photo.id).values():
            with pytest.raises(NotFound):
                attempt()
    assert w.portal.jobs.visits(w.bob) == [] and list(w.portal.jobs.jobs(w.bob, w.prop.id)) == []
    token = feed_token(w, w.bob)
    from icalendar import Calendar

    assert Calendar.from_ical(w.portal.jobs.calendar_feed(token)).walk("VEVENT") == []


def test_vis_3_without_the_jobs_flag_every_path_is_closed_including_the_feed(mem):
    w = mem
    token = feed_token(w, w.alice)
    w.portal.directory.update_contact(
        w.staff, w.alice.id, access=attrs.evolve(w.alice.access, jobs=False, job_requests=True)
    )
    alice = fresh(w, w.alice)
    for attempt in _every_customer_read(w, alice, w.visit.id, w.job.id, w.photo.id).values():
        with pytest.raises(NotFound):
            attempt()
    with pytest.raises(PermissionDenied):
        w.portal.jobs.calendar_link(alice)
    with pytest.raises(PermissionDenied):
        w.portal.jobs.request_job(alice, w.prop.id, "Irrigation", "leak")
    with pytest.raises(NotFound):
        w.portal.jobs.calendar_feed(token)
    assert w.portal.jobs.visits(alice) == []


def test_vis_7_a_file_is_only_reached_once_shared_and_only_through_its_own_job(mem):
    w = mem
    [hidden] = w.portal.jobs.add_files(w.staff, w.job.id, [Upload(filename="private.png", data=PHOTO)])
    with pytest.raises(NotFound):
        w.portal.jobs.file(w.alice, hidden.id)
    for bad in ("", "../x", None, 5, "a" * 500, hidden.id + "'--"):
        with pytest.raises(NotFound):
            w.portal.jobs.file(w.alice, bad)


def test_job_4_new_work_cannot_be_asked_for_on_another_customers_property(mem):
    w = mem
    w.portal.directory.update_contact(w.staff, w.alice.id, access=attrs.evolve(w.alice.access, job_requests=True))
    alice = fresh(w, w.alice)
    with pytest.raises(NotFound):
        w.portal.jobs.request_job(alice, w.stranger_prop_id, "Irrigation", "leak")
    assert w.portal.storage.find(JobRequest) == []


# -- JOB-2: the calendar feed ------------------------------------------------------------------------
def test_job_2_a_forged_or_foreign_purpose_token_opens_no_feed(mem):
    from portalkit._core.tokens import CALENDAR, LOGIN_LINK, RESET, SESSION, TokenSigner

    w = mem
    token = feed_token(w, w.alice)
    forged = TokenSigner("another-secret-0123456789", w.clock).sign(CALENDAR, w.alice.id, 0)
    other_purposes = [w.portal.signer.sign(p, w.alice.id, 0) for p in (SESSION, RESET, LOGIN_LINK)]
    for bad in [forged, *other_purposes, token + "x", token.upper(), "", "x" * 5000, token.replace(".", "", 1)]:
        with pytest.raises(NotFound):
            w.portal.jobs.calendar_feed(bad)
    w.portal.jobs.revoke_calendar(w.alice)
    with pytest.raises(NotFound):
        w.portal.jobs.calendar_feed(token)
    assert b"BEGIN:VEVENT" in w.portal.jobs.calendar_feed(feed_token(w, w.alice))


def test_job_2_the_feed_stops_for_a_suspended_deleted_or_unlinked_contact_and_a_disabled_portal(mem):
    w = mem
    token = feed_token(w, w.alice)
    assert w.portal.jobs.calendar_feed(token).count(b"BEGIN:VEVENT") == 2
    w.portal.directory.suspend(w.staff, w.alice.id, "unpaid")
    with pytest.raises(NotFound):
        w.portal.jobs.calendar_feed(token)
    w.portal.directory.unsuspend(w.staff, w.alice.id)
    assert w.portal.jobs.calendar_feed(token).count(b"BEGIN:VEVENT") == 2
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, enabled=False))
    with pytest.raises(NotFound):
        w.portal.jobs.calendar_feed(token)
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, enabled=True))
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, show_jobs=False))
    with pytest.raises(NotFound):
        w.portal.jobs.calendar_feed(token)
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, show_jobs=True))
    # Bob's feed: unlinking his property empties it
    w.portal.directory.update_contact(w.staff, w.bob.id, main_contact_only=False)
    bob_token = feed_token(w, fresh(w, w.bob))
    assert w.portal.jobs.calendar_feed(bob_token).count(b"BEGIN:VEVENT") == 2
    w.portal.directory.unlink_property(w.staff, w.bob.id, w.prop.id)
    assert b"BEGIN:VEVENT" not in w.portal.jobs.calendar_feed(bob_token)
    store = w.portal.storage  # the host deletes Alice
    store.update(attrs.evolve(store.get(Contact, w.alice.id), archived=True))
    with pytest.raises(NotFound):
        w.portal.jobs.calendar_feed(token)


def test_job_2_a_feed_token_of_one_company_opens_nothing_at_another_on_the_same_database():
    shared, texts = MemoryStorage(), MemoryTextMessenger()
    north = build_world(shared, texts=texts, company_id="north")
    south = build_world(shared, texts=texts, company_id="south")
    north.stranger_prop_id = north.stranger.property_ids[0]
    _site(north)
    token = feed_token(north, north.alice)
    assert b"BEGIN:VEVENT" in north.portal.jobs.calendar_feed(token)
    with pytest.raises(NotFound):  # same secret key, same database: still another company's contact
        south.portal.jobs.calendar_feed(token)
    with pytest.raises(NotFound):
        south.portal.jobs.job(south.enrol(south.alice), north.job.id)


def test_acc_8_confirming_an_email_change_ends_the_calendar_feed_too(mem):
    w = mem
    token = feed_token(w, w.alice)
    w.portal.accounts.request_email_change(w.alice, "alice.new@example.org", PASSWORD)
    link = re.search(r"/confirm-email#([\w.\-]+)", w.mailer.to("alice.new@example.org")[-1].text).group(1)
    w.portal.accounts.confirm_email_change(link)
    with pytest.raises(NotFound):
        w.portal.jobs.calendar_feed(token)


# -- JOB-2: iCalendar injection ------------------------------------------------------------------------
def test_job_2_ics_injection_through_titles_names_and_technicians_stays_inside_its_property(mem):
    from icalendar import Calendar

    w = mem
    evil = "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:pwned\rATTENDEE:mailto:evil@x.test\nDTSTART:19700101T000000Z"
    job = w.portal.jobs.add_job(w.staff, w.prop.id, "J-7", evil[:200], description=evil)
    visit = w.portal.jobs.schedule_visit(
        w.staff,
        job.id,
        TOMORROW_9,
        TOMORROW_9 + timedelta(hours=1),
        [Technician(name=evil), Technician(name="a;b,c\\d")],
    )
    raw = w.portal.jobs.visit_calendar(w.alice, visit.id)
    lines = raw.split(b"\r\n")
    assert lines.count(b"BEGIN:VEVENT") == 1 and not [x for x in lines if x.startswith((b"ATTENDEE", b"SUMMARY:pwned"))]
    assert not re.search(rb"[^\r]\n|\r[^\n]", raw)  # only CRLF line ends
    [event] = Calendar.from_ical(raw).walk("VEVENT")
    assert event.decoded("DTSTART") == TOMORROW_9 and "ATTENDEE" not in event
    feed = w.portal.jobs.calendar_feed(feed_token(w, w.alice))
    assert feed.split(b"\r\n").count(b"BEGIN:VEVENT") == 3 and b"\r\nSUMMARY:pwned" not in feed


# -- JOB-3: requests, ratings, floods, races -------------------------------------------------------------
def test_job_3_a_contact_cannot_flood_staff_with_reschedule_requests(mem):
    w = mem
    before = len(staff_mails(w))
    for n in range(25):
        try:
            w.portal.jobs.request_change(w.alice, w.visit.id, "reschedule", f"request {n}")
        except (ValidationError, InvalidTransition, TooManyAttempts):
            pass
    assert len(staff_mails(w)) - before <= 5


def test_job_4_a_contact_cannot_flood_the_job_lists_with_new_work_requests(mem):
    w = mem
    w.portal.update_config(
        w.staff, attrs.evolve(w.portal.config, job_notification_emails={"*": ("office@greenacres.test",)})
    )
    w.portal.directory.update_contact(w.staff, w.alice.id, access=attrs.evolve(w.alice.access, job_requests=True))
    alice = fresh(w, w.alice)
    for n in range(25):
        try:
            w.portal.jobs.request_job(alice, w.prop.id, "Irrigation", f"leak {n}")
        except (ValidationError, TooManyAttempts):
            pass
    assert len(w.mailer.to("office@greenacres.test")) <= 5


def test_job_4_new_work_photos_count_against_the_contacts_upload_quota(mem):
    w = mem
    w.portal.update_config(w.staff, attrs.evolve(w.portal.config, max_contact_upload_bytes=len(PHOTO) * 3))
    w.portal.directory.update_contact(w.staff, w.alice.id, access=attrs.evolve(w.alice.access, job_requests=True))
    alice = fresh(w, w.alice)
    stored = 0
    for n in range(4):
        try:
            w.portal.jobs.request_job(
                alice,
                w.prop.id,
                "Irrigation",
                f"leak {n}",
                photos=[Upload(filename=f"p{i}.png", data=PHOTO) for i in range(2)],
            )
            stored += 2
        except ValidationError:
            pass
    assert stored * len(PHOTO) <= len(PHOTO) * 3


def test_job_4_new_work_photos_must_be_images_few_and_small(mem):
    w = mem
    w.portal.directory.update_contact(w.staff, w.alice.id, access=attrs.evolve(w.alice.access, job_requests=True))
    alice = fresh(w, w.alice)
    config = w.portal.config
    attempts = [
        [Upload(filename="x.png", data=PDF)],  # a PDF named .png
        [Upload(filename="x.html", data=b"<script>alert(1)</script>")],
        [Upload(filename="x.png", data=b"")],
        [Upload(filename=f"{i}.png", data=PHOTO) for i in range(config.max_issue_attachments + 1)],
        [Upload(filename="big.png", data=PHOTO + b"\0" * config.max_attachment_bytes)],
        ["not an upload"],
    ]
    for photos in attempts:
        with pytest.raises(ValidationError):
            w.portal.jobs.request_job(alice, w.prop.id, "Irrigation", "leak", photos=photos)
    assert w.portal.storage.find(JobRequest) == []
    assert not any("New work" in m.subject for m in w.mailer.outbox)


def test_job_3_a_visit_is_rated_once_only_when_completed_and_only_from_1_to_5(mem):
    w = mem
    for stars in (0, 6, -1, "5", 4.5, True, None):
        with pytest.raises(ValidationError):
            w.portal.jobs.rate(w.alice, w.done.id, stars)
    with pytest.raises(InvalidTransition):
        w.portal.jobs.rate(w.alice, w.visit.id, 5)
    w.portal.jobs.rate(w.alice, w.done.id, 5, "great")
    with pytest.raises(InvalidTransition):
        w.portal.jobs.rate(w.alice, w.done.id, 1, "changed my mind")
    assert [r.stars for r in w.portal.storage.find(VisitRating)] == [5]
    with pytest.raises(InvalidTransition):  # a visit past, canceled or done cannot be moved from the portal
        w.portal.jobs.request_change(w.alice, w.done.id, "cancel", "x")


def _race(storage_method_owner, cls, monkeypatch, attr="find"):
    """Make two threads meet after both read ``cls`` inside their transactions."""
    barrier = threading.Barrier(2, timeout=10)
    original = getattr(storage_method_owner, attr)
    met = threading.local()

    def meeting(wanted_cls, *args, **kw):
        result = original(wanted_cls, *args, **kw)
        if wanted_cls is cls and threading.current_thread().name.startswith("racer") and not getattr(met, "done", 0):
            met.done = 1  # each racer waits once, after its first read
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
        return result

    monkeypatch.setattr(storage_method_owner, attr, meeting)


def _run_two(*calls):
    results: list[object] = [None, None]

    def run(n, call):
        try:
            results[n] = call()
        except Exception as exc:
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n, c), name=f"racer-{n}") for n, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_job_3_two_concurrent_ratings_of_one_visit_keep_one_on_postgres(request, monkeypatch):
    from storages import make_storage

    w = make_site(make_storage("postgres", request))
    _race(w.portal.jobs._storage, VisitRating, monkeypatch)
    _run_two(
        lambda: w.portal.jobs.rate(w.alice, w.done.id, 5, "one"),
        lambda: w.portal.jobs.rate(w.alice, w.done.id, 1, "two"),
    )
    assert len(w.portal.storage.find(VisitRating, visit_id=w.done.id)) == 1


def test_job_3_moving_a_visit_while_it_completes_lets_exactly_one_win_on_postgres(request, monkeypatch):
    from storages import make_storage

    w = make_site(make_storage("postgres", request))
    _race(w.portal.jobs._storage, Visit, monkeypatch, attr="get")
    later = TOMORROW_9 + timedelta(days=2)
    results = _run_two(
        lambda: w.portal.jobs.complete_visit(w.staff, w.visit.id, "done"),
        lambda: w.portal.jobs.move_visit(w.staff, w.visit.id, later, later + timedelta(hours=1)),
    )
    won = [r for r in results if isinstance(r, Visit)]
    assert len(won) == 1 and all(isinstance(r, (Conflict, Visit)) for r in results), results
    final = w.portal.storage.get(Visit, w.visit.id)
    assert final.status is won[0].status and final.starts_at == won[0].starts_at


# -- TXT-1: phone verification ------------------------------------------------------------------------------
def test_txt_1_wrong_codes_are_counted_and_the_code_dies_after_five(site):
    w = site
    w.portal.phones.set_number(w.alice, NUMBER)
    code = code_of(w)
    wrong = [f"{n:06d}" for n in range(10) if f"{n:06d}" != code][:6]
    for guess in wrong[:5]:
        with pytest.raises(ValidationError):
            w.portal.phones.verify(w.alice, guess)
    assert w.portal.storage.get(Contact, w.alice.id).phone_code_attempts == 5
    with pytest.raises(InvalidToken):  # the right code after five wrong ones: too late
        w.portal.phones.verify(w.alice, code)
    assert not w.portal.storage.get(Contact, w.alice.id).phone_verified


def test_txt_1_a_code_works_once_for_its_own_number_and_its_own_contact_within_ten_minutes(mem, monkeypatch):
    from portalkit.directory import _phones as phones

    w = mem
    codes = iter([111111, 222222, 333333, 444444])
    monkeypatch.setattr(phones.secrets, "randbelow", lambda n: next(codes))
    w.portal.phones.set_number(w.alice, NUMBER)  # 111111
    w.portal.phones.set_number(w.bob, OTHER_NUMBER)  # 222222
    with pytest.raises(ValidationError):  # Alice's code is not Bob's
        w.portal.phones.verify(w.bob, "111111")
    w.portal.phones.set_number(w.alice, OTHER_NUMBER)  # 333333: a new number voids the code sent to the old one
    with pytest.raises(ValidationError):
        w.portal.phones.verify(w.alice, "111111")
    w.clock.advance(minutes=11)
    with pytest.raises(InvalidToken):
        w.portal.phones.verify(w.alice, "333333")
    w.portal.phones.set_number(w.alice, NUMBER)  # 444444
    assert w.portal.phones.verify(w.alice, " 444-444 ").phone_verified
    with pytest.raises(InvalidToken):  # used once
        w.portal.phones.verify(w.alice, "444444")
    assert not fresh(w, w.bob).phone_verified


def test_txt_1_one_contact_gets_at_most_three_codes_an_hour(mem):
    w = mem
    for _ in range(3):
        w.portal.phones.set_number(w.alice, NUMBER)
    with pytest.raises(TooManyAttempts):
        w.portal.phones.set_number(w.alice, NUMBER)
    assert len(w.adapters.texts.to(NUMBER)) == 3


def test_txt_1_one_number_gets_at_most_three_codes_an_hour_whoever_asks(mem):
    w = mem
    for contact in (w.alice, w.bob, w.stranger):
        for _ in range(3):
            try:
                w.portal.phones.set_number(contact, NUMBER)
            except TooManyAttempts:
                pass
    assert len(w.adapters.texts.to(NUMBER)) <= 3


def test_txt_1_a_premium_rate_number_is_refused(mem):
    w = mem
    with pytest.raises(ValidationError):
        w.portal.phones.set_number(w.alice, "+1 900 555 0123")


def test_txt_1_odd_numbers_are_refused_or_kept_in_e164(mem):
    from portalkit.directory import e164

    w = mem
    assert e164("(415) 555-2671") == NUMBER and e164("+1.415.555.2671") == NUMBER
    for bad in (
        "",
        "12345",
        "+1 415 555 2671 9999999999999999",
        "415555267１" * 3,
        "+0 415 555 2671",
        "tel:911",
        "911",
        "+1 555 555 0123<script>",
        "+44 7700 900123",
        "\n+14155552671\nBcc: x",
        14155552671,
        None,
        "+" + "9" * 40,
    ):
        with pytest.raises(ValidationError):
            w.portal.phones.set_number(w.alice, bad)
    assert w.adapters.texts.sent == [] and fresh(w, w.alice).phone is None


# -- TXT-3: the texts webhook -----------------------------------------------------------------------------
def test_txt_3_unsigned_forged_and_misaddressed_replies_change_nothing(mem):
    w = mem
    w.portal.phones.set_number(w.alice, NUMBER)
    w.portal.phones.verify(w.alice, code_of(w))
    texts = w.adapters.texts
    headers, form = texts.inbound(WEBHOOK, NUMBER, "STOP")
    for h, f, url in [
        ({}, form, WEBHOOK),
        ({"X-Memory-Signature": "0" * 64}, form, WEBHOOK),
        (headers, {**form, "From": OTHER_NUMBER}, WEBHOOK),
        (headers, form, WEBHOOK + "?x=1"),
        (headers, form, "https://evil.test/webhooks/texts"),
        (MemoryTextMessenger().inbound(WEBHOOK, NUMBER, "STOP")[0], form, WEBHOOK),
    ]:
        with pytest.raises(InvalidWebhook):
            w.portal.phones.inbound(url, h, f)
    assert not fresh(w, w.alice).texts_stopped
    w.portal.phones.inbound(WEBHOOK, *texts.inbound(WEBHOOK, NUMBER, "  stop  "))
    assert fresh(w, w.alice).texts_stopped


def test_txt_3_stop_from_a_shared_number_stops_both_contacts_but_not_another_companys():
    shared, texts = MemoryStorage(), MemoryTextMessenger()
    north = build_world(shared, texts=texts, company_id="north")
    south = build_world(shared, texts=texts, company_id="south")
    people = []
    for w in (north, south):
        for c in (w.alice, w.bob):
            c = w.enrol(c)
            w.portal.phones.set_number(c, NUMBER)
            people.append((w, w.portal.phones.verify(c, code_of(w))))
    north.portal.phones.inbound(WEBHOOK, *texts.inbound(WEBHOOK, NUMBER, "STOP"))
    assert [fresh(w, c).texts_stopped for w, c in people] == [True, True, False, False]


def test_txt_3_huge_odd_or_empty_replies_change_nothing_and_do_not_fail(mem):
    w = mem
    w.portal.phones.set_number(w.alice, NUMBER)
    w.portal.phones.verify(w.alice, code_of(w))
    texts = w.adapters.texts
    for body in ("", "   ", "\x00STOP", "ＳＴＯＰ", "S\u0301TOP", "stop" * 100_000, "Stopp", "STOP." * 0 + "nope"):
        try:
            w.portal.phones.inbound(WEBHOOK, *texts.inbound(WEBHOOK, NUMBER, body))
        except InvalidWebhook:
            pass
    assert not fresh(w, w.alice).texts_stopped


def test_txt_3_a_replayed_start_does_not_undo_a_later_stop(mem):
    w = mem
    w.portal.phones.set_number(w.alice, NUMBER)
    w.portal.phones.verify(w.alice, code_of(w))
    texts = w.adapters.texts
    start = texts.inbound(WEBHOOK, NUMBER, "START")
    w.portal.phones.inbound(WEBHOOK, *start)
    w.portal.phones.inbound(WEBHOOK, *texts.inbound(WEBHOOK, NUMBER, "STOP"))
    try:
        w.portal.phones.inbound(WEBHOOK, *start)  # captured earlier, posted again
    except InvalidWebhook:
        pass
    assert fresh(w, w.alice).texts_stopped


def test_txt_3_a_reply_that_says_stop_after_yes_does_not_resume_texts(mem):
    w = mem
    w.portal.phones.set_number(w.alice, NUMBER)
    w.portal.phones.verify(w.alice, code_of(w))
    texts = w.adapters.texts
    w.portal.phones.inbound(WEBHOOK, *texts.inbound(WEBHOOK, NUMBER, "STOP"))
    w.portal.phones.inbound(WEBHOOK, *texts.inbound(WEBHOOK, NUMBER, "Yes stop texting me"))
    assert fresh(w, w.alice).texts_stopped


def test_txt_3_after_stop_no_text_goes_to_that_number_not_even_a_code_another_contact_asks_for(mem):
    w = mem
    w.portal.phones.set_number(w.alice, NUMBER)
    w.portal.phones.verify(w.alice, code_of(w))
    texts = w.adapters.texts
    w.portal.phones.inbound(WEBHOOK, *texts.inbound(WEBHOOK, NUMBER, "STOP"))
    sent = len(texts.to(NUMBER))
    try:
        w.portal.phones.set_number(w.bob, NUMBER)  # someone else types the number that opted out
    except (ValidationError, PermissionDenied):
        pass
    assert len(texts.to(NUMBER)) == sent


def test_txt_3_without_a_messenger_the_webhook_is_refused():
    w = build_world()
    with pytest.raises(InvalidWebhook):
        w.portal.phones.inbound(WEBHOOK, {}, {"From": NUMBER, "Body": "START"})
    with pytest.raises(PermissionDenied):
        w.portal.phones.set_number(w.enrol(w.alice), NUMBER)


# -- TXT-2: notice choices -----------------------------------------------------------------------------------
def test_txt_2_account_notices_cannot_be_turned_off_nor_given_unknown_channels(mem):
    w = mem
    before = fresh(w, w.alice)
    for notices in (
        {"password_reset": []},
        {"password_reset": ["text"]},
        {"payment_receipt": []},
        {"invitation": ["mail"]},
        {"visit_changed": ["sms"]},
        {"visit_changed": ["MAIL"]},
        {"visit_changed": "mail"},
        {"visit_changed": [None]},
        {"nonsense": ["mail"]},
        {("visit_changed",): ["mail"]},
        {"visit_changed": {"mail": 1}},
        {"phone_code": []},
    ):
        with pytest.raises(ValidationError):
            w.portal.phones.set_preferences(before, notices)
    assert fresh(w, w.alice) == before
    chosen = w.portal.phones.set_preferences(before, {"payment_receipt": ["text"]})  # no number: mail instead
    assert w.portal.notifier.channels("payment_receipt", chosen) == [
        w.portal.notifier.channels("password_reset", chosen)[0]
    ]


def test_txt_4_bad_shapes_of_preferences_are_validation_errors(mem):
    w = mem
    for kwargs in (
        dict(notices={}, quiet_hours=(1, 2, 3)),
        dict(notices={}, quiet_hours=(1,)),
        dict(notices={}, quiet_hours=5),
        dict(notices=[("visit_changed", [])]),
    ):
        with pytest.raises(ValidationError):
            w.portal.phones.set_preferences(w.alice, **kwargs)


def test_txt_4_time_zones_are_checked_and_quiet_hours_hold_across_dst(mem):
    w = mem
    for zone in (
        "Mars/Olympus",
        "../../etc/passwd",
        "/etc/localtime",
        "x" * 100,
        "America/Chicago/../../../etc/passwd",
        "US/Eastern\\",
        ["UTC"],
    ):
        with pytest.raises(ValidationError):
            w.portal.phones.set_preferences(w.alice, {}, time_zone=zone)
    notifier = w.portal.notifier
    ny = lambda start, end: attrs.evolve(w.alice, quiet_hours=(start, end), time_zone="America/New_York")  # noqa: E731
    utc = UTC
    # spring forward (2026-03-08, 2:00 EST -> 3:00 EDT): quiet until 2 ends at 3:00 EDT = 07:00 UTC
    assert notifier.after_quiet_hours(ny(22, 2), datetime(2026, 3, 8, 6, 30, tzinfo=utc)) == datetime(
        2026, 3, 8, 7, 0, tzinfo=utc
    )
    assert notifier.after_quiet_hours(ny(1, 3), datetime(2026, 3, 8, 6, 30, tzinfo=utc)) == datetime(
        2026, 3, 8, 7, 0, tzinfo=utc
    )
    # fall back (2026-11-01, 2:00 EDT -> 1:00 EST): both 1 AM hours are quiet, it ends at 2:00 EST
    for now in (datetime(2026, 11, 1, 5, 30, tzinfo=utc), datetime(2026, 11, 1, 6, 30, tzinfo=utc)):
        assert notifier.after_quiet_hours(ny(22, 2), now) == datetime(2026, 11, 1, 7, 0, tzinfo=utc)
    assert notifier.after_quiet_hours(ny(8, 8), datetime(2026, 11, 1, 13, 0, tzinfo=utc)) is None
    broken = attrs.evolve(w.alice, quiet_hours=(0, 23), time_zone="Not/AZone")  # stored badly by a host: UTC
    assert notifier.after_quiet_hours(broken, datetime(2026, 1, 1, 12, 0, tzinfo=utc)) == datetime(
        2026, 1, 1, 23, 0, tzinfo=utc
    )


def test_txt_4_quiet_hours_hold_the_on_the_way_text_for_the_contact_not_the_mail(mem):
    w = mem
    w.portal.phones.set_number(w.alice, NUMBER)
    w.portal.phones.verify(w.alice, code_of(w))
    w.portal.phones.set_preferences(fresh(w, w.alice), {}, quiet_hours=(21, 8), time_zone="Pacific/Kiritimati")
    w.clock.set(datetime(2026, 1, 16, 8, 0, tzinfo=UTC))  # 22:00 at UTC+14
    sent = len(w.adapters.texts.to(NUMBER))
    w.portal.jobs.on_the_way(w.staff, w.visit.id, TOMORROW_9)
    assert len(w.adapters.texts.to(NUMBER)) == sent
    [held] = [m for m in w.portal.storage.find(OutboxMessage, kind="text") if m.status == "pending"]
    assert held.next_attempt_at == datetime(2026, 1, 16, 18, 0, tzinfo=UTC)  # 08:00 at UTC+14


# -- JOB-5: staff permissions and sync ----------------------------------------------------------------------
def test_job_5_every_staff_call_needs_manage_jobs_and_a_real_staff_user(mem):
    w = mem
    clerk = w.portal.directory.add_staff(
        w.staff, "clerk@greenacres.test", "Casey Clerk", [Permission.MANAGE_ISSUES, Permission.MANAGE_CONTACTS]
    )
    look_alike = attrs.evolve(w.staff, company_id="south")
    request = w.portal.jobs.request_change(w.alice, w.visit.id, "cancel", "x")
    later = TOMORROW_9 + timedelta(days=1)
    jobs = w.portal.jobs
    for who in (clerk, None, look_alike, "manager@greenacres.test"):
        for call in (
            lambda: jobs.add_job(who, w.prop.id, "J-9", "x"),
            lambda: jobs.set_job_status(who, w.job.id, w.job.status),
            lambda: jobs.schedule_visit(who, w.job.id, later, later + timedelta(hours=1)),
            lambda: jobs.move_visit(who, w.visit.id, later, later + timedelta(hours=1)),
            lambda: jobs.cancel_visit(who, w.visit.id),
            lambda: jobs.on_the_way(who, w.visit.id, later),
            lambda: jobs.start_visit(who, w.visit.id),
            lambda: jobs.complete_visit(who, w.visit.id),
            lambda: jobs.add_files(who, w.job.id, [Upload(filename="a.png", data=PHOTO)]),
            lambda: jobs.share_file(who, w.photo.id, False),
            lambda: jobs.staff_visits(who),
            lambda: jobs.staff_jobs(who),
            lambda: jobs.staff_job(who, w.job.id),
            lambda: jobs.staff_file(who, w.photo.id),
            lambda: jobs.visit_requests(who),
            lambda: jobs.handle_request(who, request.id),
            lambda: jobs.ratings(who),
            lambda: jobs.job_requests(who),
            lambda: jobs.handle_job_request(who, request.id),
        ):
            with pytest.raises((PermissionDenied, ValidationError)):
                call()
    assert w.portal.storage.get(Visit, w.visit.id).status is VisitStatus.SCHEDULED
    assert not w.portal.storage.get(VisitRequest, request.id).handled
    assert w.portal.storage.get(JobFile, w.photo.id).shared


def test_job_5_staff_can_reach_no_record_of_another_company():
    shared = MemoryStorage()
    north = build_world(shared, texts=MemoryTextMessenger(), company_id="north")
    north.stranger_prop_id = north.stranger.property_ids[0]
    _site(north)
    south = build_world(shared, company_id="south")
    jobs, later = south.portal.jobs, TOMORROW_9 + timedelta(days=1)
    for call in (
        lambda: jobs.staff_job(south.staff, north.job.id),
        lambda: jobs.staff_file(south.staff, north.photo.id),
        lambda: jobs.move_visit(south.staff, north.visit.id, later, later + timedelta(hours=1)),
        lambda: jobs.share_file(south.staff, north.photo.id, False),
        lambda: jobs.add_job(south.staff, north.prop.id, "J", "x"),
        lambda: jobs.schedule_visit(south.staff, north.job.id, later, later + timedelta(hours=1)),
    ):
        with pytest.raises(NotFound):
            call()
    assert list(jobs.staff_jobs(south.staff)) == [] and list(jobs.staff_visits(south.staff)) == []


def test_job_5_sync_cannot_point_a_job_at_another_customers_records_nor_a_visit_at_another_companys_job():
    shared = MemoryStorage()
    north = build_world(shared, company_id="north")
    south = build_world(shared, company_id="south")
    alice = north.enrol(north.alice)
    north.portal.sync.apply(
        SyncBatch(
            jobs=[HostJob(external_id="nj-1", property=_host_id(north, north.prop), number="NJ-1", title="North job")]
        )
    )
    with pytest.raises(ValidationError):  # the job's external id is north's only
        south.portal.sync.apply(
            SyncBatch(
                visits=[
                    HostVisit(
                        external_id="sv-1", job="nj-1", starts_at=TOMORROW_9, ends_at=TOMORROW_9 + timedelta(hours=1)
                    )
                ]
            )
        )
    # a job of Alice's property linked to Sam's proposal and invoice shows Alice neither
    sam_prop = north.portal.storage.get(type(north.prop), north.stranger.property_ids[0])
    proposal = north.portal.proposals.add(
        north.staff,
        sam_prop.id,
        "P-9",
        "Sam's secret quote",
        TOMORROW_9.date(),
        services=[("Pruning", "900.00", False)],
    )
    invoice = north.portal.invoices.add(north.staff, sam_prop.id, "INV-SAM", "777.00", TOMORROW_9.date())
    north.portal.sync.apply(
        SyncBatch(
            jobs=[
                HostJob(
                    external_id="nj-2",
                    property=_host_id(north, north.prop),
                    number="NJ-2",
                    title="Linked",
                    proposal=_host_id(north, proposal),
                    invoices=(_host_id(north, invoice),),
                )
            ]
        )
    )
    [job] = north.portal.storage.find(Job, external_id="nj-2")
    view = north.portal.jobs.job(alice, job.id)
    assert view.proposal is None and view.invoices == ()
    with pytest.raises(ValidationError):  # a main contact of another customer
        north.portal.sync.apply(
            SyncBatch(
                jobs=[
                    HostJob(
                        external_id="nj-3",
                        property=_host_id(north, north.prop),
                        number="NJ-3",
                        title="x",
                        main_contact=_host_id(north, north.stranger),
                    )
                ]
            )
        )


def _host_id(w, record):
    """Give ``record`` a host id (``ext-<id>``) so sync can refer to it."""
    store = w.portal.storage
    current = store.get(type(record), record.id)
    if current.external_id is None:
        store.update(attrs.evolve(current, external_id="ext-" + record.id))
    return "ext-" + record.id


# -- bad input to services: typed errors, nothing changed -------------------------------------------------
def test_bad_input_staff_visit_filters_are_validation_errors(mem):
    w = mem
    for kwargs in (dict(day="2026-01-16"), dict(technician=5)):
        with pytest.raises(ValidationError):
            w.portal.jobs.staff_visits(w.staff, **kwargs)


def test_bad_input_technician_names_are_checked_text(mem):
    w = mem
    later = TOMORROW_9 + timedelta(days=3)
    for crew in ([Technician(name=None)], [Technician(name=5)], [Technician(name="x" * 100_000)]):
        with pytest.raises(ValidationError):
            w.portal.jobs.schedule_visit(w.staff, w.job.id, later, later + timedelta(hours=1), crew)


def test_bad_input_to_customer_calls_is_typed_and_changes_nothing(mem):
    w = mem
    jobs = w.portal.jobs
    before = (len(w.portal.storage.find(VisitRequest)), len(w.mailer.outbox))
    for call in (
        lambda: jobs.request_change(w.alice, w.visit.id, "cancel", None),
        lambda: jobs.request_change(w.alice, w.visit.id, ["cancel"], "x"),
        lambda: jobs.request_change(w.alice, w.visit.id, "cancel", "x" * 2001),
        lambda: jobs.request_change(w.alice, w.visit.id, "cancel", "x", preferred_times=5),
        lambda: jobs.visits(w.alice, limit="5"),
        lambda: jobs.jobs(w.alice, w.prop.id, limit=10**9),
        lambda: jobs.rate(w.alice, w.done.id, 5, comment=["x"]),
    ):
        with pytest.raises(ValidationError):
            call()
    for call in (
        lambda: jobs.technician_photo(w.alice, w.visit.id, "0"),
        lambda: jobs.technician_photo(w.alice, w.visit.id, 10**20),
        lambda: jobs.job(w.alice, None),
        lambda: jobs.visit(w.alice, {"id": w.visit.id}),
    ):
        with pytest.raises(NotFound):
            call()
    assert (len(w.portal.storage.find(VisitRequest)), len(w.mailer.outbox)) == before


# ====================================================================================================
# Through both reference hosts (Flask and Django test clients), on the demo's seeded jobs
# ====================================================================================================
from hosts import Browser, File, add_staff_user, csrf_of  # noqa: E402
from test_hosts import app, django_ready, enrol, portal, staff_browser  # noqa: E402,F401 - fixtures

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
RAW = ("<script>alert(1)", "<img src=x onerror")


def _seeded(portal, number):
    [job] = portal.storage.find(Job, number=number)
    visits = sorted(portal.storage.find(Visit, job_id=job.id), key=lambda v: v.starts_at)
    return job, visits


def _staff_of(portal):
    from portalkit.models import StaffUser

    return portal.storage.find(StaffUser)[0]


def _contact(portal, email):
    return portal.directory.contact_by_email(email)


def test_host_csrf_every_jobs_and_notices_post_needs_the_token(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    mowing, visits = _seeded(portal, "J-1040")
    done, upcoming = visits[0], visits[1]
    commons = mowing.property_id
    before = _contact(portal, "alice@example.com")
    staff = staff_browser(app)
    portal.directory.update_contact(_staff_of(portal), before.id, access=attrs.evolve(before.access, job_requests=True))
    posts = [
        (alice, "/calendar/new-link", {}),
        (alice, f"/visits/{upcoming.id}/change", {"kind": "cancel", "reason": "x"}),
        (alice, f"/visits/{done.id}/rating", {"stars": "1"}),
        (alice, f"/jobs/new?property={commons}", {"property": commons, "job_type": "x", "description": "y"}),
        (alice, "/profile/notices", {"action": "preferences", "quiet": "1", "quiet_from": "0", "quiet_to": "23"}),
        (staff, f"/staff/jobs/{mowing.id}/status", {"status": "canceled"}),
        (staff, f"/staff/visits/{upcoming.id}/cancel", {}),
        (staff, "/staff/jobs/notification-lists", {"lists": "*: evil@example.com"}),
    ]
    refused = 400 if app[0] == "flask" else 403
    for browser, path, data in posts:
        assert browser.raw_post(path, data).status_code == refused, path
        assert browser.raw_post(path, {"csrf_token": "x", "csrfmiddlewaretoken": "x", **data}).status_code == refused
    after = _contact(portal, "alice@example.com")
    assert (after.calendar_nonce, after.quiet_hours) == (before.calendar_nonce, before.quiet_hours)
    assert portal.storage.find(VisitRequest) == [] and portal.storage.find(VisitRating) == []
    assert (
        portal.storage.find(JobRequest) == [] and portal.storage.get(Visit, upcoming.id).status is VisitStatus.SCHEDULED
    )
    assert portal.storage.get(Job, mowing.id).status is mowing.status and "evil@example.com" not in str(
        portal.config.job_notification_emails
    )


def test_host_every_job_visit_file_and_photo_url_of_another_customer_is_not_found(app, portal):
    enrol(app, portal, "alice@example.com")
    sam = enrol(app, portal, "sam@example.com")
    mowing, visits = _seeded(portal, "J-1040")
    done, upcoming = visits[0], visits[1]
    [photo] = portal.storage.find(JobFile, job_id=mowing.id)
    store = portal.storage
    key = portal.jobs.host.technician_photo(Upload(filename="t.png", data=PHOTO))
    store.update(attrs.evolve(store.get(Visit, upcoming.id), technicians=(Technician(name="Tess", photo_key=key),)))
    pruning, _visits = _seeded(portal, "J-2001")
    gets = [
        f"/jobs/{mowing.id}",
        f"/jobs/{mowing.id}/files/{photo.id}",
        f"/jobs/{pruning.id}/files/{photo.id}",
        f"/visits/{upcoming.id}/calendar.ics",
        f"/visits/{done.id}/calendar.ics",
        f"/visits/{upcoming.id}/technicians/0/photo",
        f"/visits/{upcoming.id}/change",
        f"/jobs?property={mowing.property_id}",
        f"/jobs/new?property={mowing.property_id}",
    ]
    for path in gets:
        assert sam.get(path).status_code == 404, path
    assert sam.get(f"/jobs/{pruning.id}").status_code == 200
    name, token = csrf_of(sam.get("/jobs").get_data(as_text=True))
    for path, data in [
        (f"/visits/{upcoming.id}/change", {"kind": "cancel", "reason": "mine now"}),
        (f"/visits/{done.id}/rating", {"stars": "1", "comment": "bad"}),
        (
            f"/jobs/new?property={mowing.property_id}",
            {"property": mowing.property_id, "job_type": "x", "description": "y"},
        ),
    ]:
        assert sam.raw_post(path, {name: token, **data}).status_code == 404, path
    assert portal.storage.find(VisitRequest) == [] and portal.storage.find(VisitRating) == []
    # Alice: a file of one of her jobs through another of her jobs' URL is not served either
    alice = Browser(app)
    alice.post("/login", {"email": "alice@example.com", "password": "garden-2026"})
    repair, _ = _seeded(portal, "J-1041")
    assert alice.get(f"/jobs/{repair.id}/files/{photo.id}").status_code in (400, 404)
    assert alice.get(f"/jobs/{mowing.id}/files/{photo.id}").status_code == 200


def test_host_vis_6_main_contact_only_and_the_jobs_flag_close_every_page_and_the_feed(app, portal):
    staff = _staff_of(portal)
    bob_contact = _contact(portal, "bob@example.com")
    portal.directory.update_contact(staff, bob_contact.id, main_contact_only=True)
    bob = enrol(app, portal, "bob@example.com")
    alice = enrol(app, portal, "alice@example.com")
    mowing, visits = _seeded(portal, "J-1040")
    [photo] = portal.storage.find(JobFile, job_id=mowing.id)
    for path in (
        f"/jobs/{mowing.id}",
        f"/jobs/{mowing.id}/files/{photo.id}",
        f"/visits/{visits[1].id}/calendar.ics",
        f"/visits/{visits[1].id}/change",
        f"/visits/{visits[1].id}/technicians/0/photo",
    ):
        assert bob.get(path).status_code == 404, path
    page = bob.get("/jobs").get_data(as_text=True) + bob.get("/dashboard").get_data(as_text=True)
    assert "Weekly mowing" not in page and "Irrigation repair" not in page
    link = re.search(r'id="calendar-link" value="([^"]+)"', bob.get("/jobs").get_data(as_text=True)).group(1)
    feed = Browser(app).get(link.split("/portal", 1)[1])
    assert feed.status_code == 200 and b"BEGIN:VEVENT" not in feed.data
    # Alice loses the jobs flag: pages, dashboard and her feed close at once
    link = re.search(r'id="calendar-link" value="([^"]+)"', alice.get("/jobs").get_data(as_text=True)).group(1)
    path = link.split("/portal", 1)[1]
    assert Browser(app).get(path).status_code == 200
    contact = _contact(portal, "alice@example.com")
    portal.directory.update_contact(staff, contact.id, access=attrs.evolve(contact.access, jobs=False))
    assert Browser(app).get(path).status_code == 404
    assert alice.get(f"/jobs/{mowing.id}").status_code == 404
    assert alice.get("/jobs").status_code in (403, 404)
    assert "Weekly mowing" not in alice.get("/dashboard").get_data(as_text=True)


def test_host_staff_without_manage_jobs_reach_no_jobs_page_or_action(app, portal):
    add_staff_user(app, "clerk@greenacres.example", [Permission.MANAGE_ISSUES, Permission.MANAGE_CONTACTS])
    clerk = staff_browser(app, "clerk@greenacres.example")
    mowing, visits = _seeded(portal, "J-1040")
    [photo] = portal.storage.find(JobFile, job_id=mowing.id)
    for path in (
        "/staff/visits",
        "/staff/jobs",
        f"/staff/jobs/{mowing.id}",
        f"/staff/jobs/{mowing.id}/files/{photo.id}",
    ):
        assert clerk.get(path).status_code == 403, path
    name, token = csrf_of(clerk.get("/staff").get_data(as_text=True))
    for path, data in [
        (f"/staff/visits/{visits[1].id}/cancel", {}),
        (f"/staff/visits/{visits[1].id}/on_the_way", {}),
        (f"/staff/jobs/{mowing.id}/status", {"status": "canceled"}),
        (f"/staff/jobs/{mowing.id}/unshare", {"file": photo.id}),
        (f"/staff/jobs/{mowing.id}/files", {"files": File("x.png", PHOTO, "image/png"), "shared": "1"}),
        (f"/staff/requests/{visits[1].id}/visit", {}),
        ("/staff/jobs/notification-lists", {"lists": "*: evil@example.com"}),
    ]:
        assert clerk.raw_post(path, {name: token, **data}).status_code == 403, path
    assert portal.storage.get(Visit, visits[1].id).status is VisitStatus.SCHEDULED
    assert portal.storage.get(JobFile, photo.id).shared and len(portal.storage.find(JobFile, job_id=mowing.id)) == 1
    assert "evil@example.com" not in str(portal.config.job_notification_emails)


def test_host_stored_xss_in_jobs_pages_and_mails_is_escaped(app, portal):
    staff = _staff_of(portal)
    contact = _contact(portal, "alice@example.com")
    portal.directory.update_contact(staff, contact.id, access=attrs.evolve(contact.access, job_requests=True))
    alice = enrol(app, portal, "alice@example.com")
    mowing, visits = _seeded(portal, "J-1040")
    evil = portal.jobs.add_job(staff, mowing.property_id, "J-<b>1", XSS, job_type=XSS[:100], description=XSS)
    visit = portal.jobs.schedule_visit(staff, evil.id, visits[1].starts_at, visits[1].ends_at, [Technician(name=XSS)])
    assert (
        alice.post(
            f"/visits/{visit.id}/change",
            {"kind": "reschedule", "reason": XSS, "preferred_times": XSS},
            page=f"/visits/{visit.id}/change",
        ).status_code
        == 303
    )
    assert (
        alice.post(
            f"/visits/{visits[0].id}/rating", {"stars": "2", "comment": XSS}, page=f"/jobs/{mowing.id}"
        ).status_code
        == 303
    )
    assert (
        alice.post(
            f"/jobs/new?property={mowing.property_id}",
            {"property": mowing.property_id, "job_type": XSS[:100], "description": XSS, "preferred_dates": XSS},
            page=f"/jobs/new?property={mowing.property_id}",
        ).status_code
        == 303
    )
    staff_pages = staff_browser(app)
    assert (
        staff_pages.post(
            f"/staff/visits/{visits[1].id}/complete", {"notes": XSS, "share": "1"}, page=f"/staff/jobs/{mowing.id}"
        ).status_code
        == 303
    )
    pages = {
        path: alice.get(path).get_data(as_text=True)
        for path in ("/jobs", f"/jobs/{evil.id}", f"/jobs/{mowing.id}", "/dashboard", f"/visits/{visit.id}/change")
    }
    pages.update(
        {
            path: staff_pages.get(path).get_data(as_text=True)
            for path in (
                "/staff/visits",
                f"/staff/visits?day={visit.starts_at.date().isoformat()}",
                "/staff/jobs",
                f"/staff/jobs/{evil.id}",
                f"/staff/jobs/{mowing.id}",
            )
        }
    )
    for path, html in pages.items():
        assert "&lt;script&gt;alert(1)" in html, path  # shown, as text
        assert not any(raw in html for raw in RAW), path
    mails = [m for m in portal.mailer.mails if m.html]
    assert mails and not any(raw in m.html for m in mails for raw in RAW)
    assert all("\n" not in m.subject for m in portal.mailer.mails)


def test_host_a_completion_file_that_is_html_is_served_as_a_plain_text_attachment(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    mowing, visits = _seeded(portal, "J-1040")
    staff = staff_browser(app)
    assert (
        staff.post(
            f"/staff/visits/{visits[1].id}/complete",
            {"notes": "done", "share": "1", "photos": File("photo.html", b"<script>alert(1)</script>", "image/png")},
            page=f"/staff/jobs/{mowing.id}",
        ).status_code
        == 303
    )
    [html] = [f for f in portal.storage.find(JobFile, job_id=mowing.id) if f.filename.startswith("photo")]
    assert html.filename.endswith(".txt") and html.content_type.startswith("text/plain")
    answer = alice.get(f"/jobs/{mowing.id}/files/{html.id}")
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
    assert answer.headers.get("Content-Disposition", "").startswith("attachment")
    assert answer.headers.get("X-Content-Type-Options") == "nosniff"


def test_host_the_texts_webhook_refuses_huge_unsigned_and_oddly_encoded_posts(app, portal):
    kind, flask_app = app
    if kind == "flask":
        client = flask_app.test_client()
        post = lambda body, ctype="application/x-www-form-urlencoded", **h: client.post(  # noqa: E731
            "/portal/webhooks/texts", data=body, content_type=ctype, headers=h
        )
    else:
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        post = lambda body, ctype="application/x-www-form-urlencoded", **h: client.post(  # noqa: E731
            "/portal/webhooks/texts", body, ctype, **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in h.items()}
        )
    huge = post(b"From=%2B14155552671&Body=STOP&x=" + b"a" * (2 * 1024 * 1024))
    assert huge.status_code == 413
    for body, ctype in [
        (b"From=%2B14155552671&Body=STOP", "application/x-www-form-urlencoded"),
        ("From=+14155552671&Body=ST\xd6P".encode("latin-1"), "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00S\x00T\x00O\x00P", "application/octet-stream"),
        (b'{"From": "+14155552671", "Body": "STOP"}', "application/json"),
        (b'--x\r\nContent-Disposition: form-data; name="Body"\r\n\r\nSTOP\r\n--x--', "multipart/form-data; boundary=x"),
    ]:
        answer = post(body, ctype, **{"X-Memory-Signature": "0" * 64, "X-Twilio-Signature": "AAAA"})
        assert answer.status_code == 400, (body, answer.status_code)
    assert not any(c.texts_stopped for c in portal.storage.find(Contact))


def test_host_the_calendar_token_is_in_no_log_line_and_the_feed_is_not_cached(app, portal, caplog):
    alice = enrol(app, portal, "alice@example.com")
    link = re.search(r'id="calendar-link" value="([^"]+)"', alice.get("/jobs").get_data(as_text=True)).group(1)
    path = link.split("/portal", 1)[1]
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    ok = Browser(app).get(path)
    assert ok.status_code == 200 and "no-store" in ok.headers.get("Cache-Control", "")
    assert ok.headers.get("Referrer-Policy") == "same-origin"
    original = portal.jobs.calendar_feed

    def broken(t):
        raise RuntimeError(f"storage down while reading feed {t}")

    caplog.set_level("DEBUG", logger="portalkit")
    portal.jobs.calendar_feed = broken
    try:
        answer = Browser(app).get(path)
    except Exception:
        answer = None
    finally:
        portal.jobs.calendar_feed = original
    assert answer is None or (answer.status_code == 500 and token.encode() not in answer.data)
    # portalkit's own log line names the page, never its URL (Django's django.request logger writes the URL of
    # any 4xx/5xx answer, token included: a host-side limit of a secret in a URL, see the report)
    ours = [r for r in caplog.records if r.name.startswith("portalkit")]
    assert ours and not any(token in r.getMessage() for r in ours)


def test_host_txt_1_guessing_the_texted_code_on_the_notices_page_is_stopped(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    assert alice.post("/profile/notices", {"action": "number", "phone": "(415) 555-2671"}).status_code == 303
    code = re.search(r"\b(\d{6})\b", portal.texts.to(NUMBER)[-1].body).group(1)
    name, token = csrf_of(alice.get("/profile/notices").get_data(as_text=True))
    for guess in [f"{n:06d}" for n in range(12) if f"{n:06d}" != code][:10]:
        alice.raw_post("/profile/notices", {name: token, "action": "verify", "code": guess})
    alice.raw_post("/profile/notices", {name: token, "action": "verify", "code": code})
    assert not _contact(portal, "alice@example.com").phone_verified


def test_host_notices_page_refuses_unknown_channels_and_turning_off_account_notices(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    before = _contact(portal, "alice@example.com")
    for data in (
        {"action": "preferences", "notice-visit_changed": "sms"},
        {"action": "preferences", "quiet": "1", "quiet_from": "25", "quiet_to": "7"},
        {"action": "preferences", "quiet": "1", "quiet_from": "x", "quiet_to": "7"},
        {"action": "preferences", "time_zone": "../../etc/passwd"},
        {"action": "number", "phone": "+1 900 555 0123<script>"},
        {"action": "launch"},
    ):
        answer = alice.post("/profile/notices", data)
        assert answer.status_code == 400, data
        assert "<script>" not in answer.get_data(as_text=True).replace("<script src", "")
    assert _contact(portal, "alice@example.com") == before


# -- the JSON API: the same scope as the pages -----------------------------------------------------------
@pytest.fixture(params=["flask", "django"])
def api_host(request, tmp_path):
    from api_support import build_host

    return build_host(request.param, request, tmp_path)


def test_api_vis_6_and_the_jobs_flag_hold_on_every_jobs_operation(api_host):
    from api_support import enrol_contact, sign_in

    app, portal = api_host
    staff = _staff_of(portal)
    bob = enrol_contact(portal, "bob@example.com")
    portal.directory.update_contact(
        staff, bob.id, main_contact_only=True, access=attrs.evolve(bob.access, job_requests=True)
    )
    api = sign_in(app, "bob@example.com")
    mowing, visits = _seeded(portal, "J-1040")
    [photo] = portal.storage.find(JobFile, job_id=mowing.id)
    for path in (f"/jobs/{mowing.id}", f"/jobs/{mowing.id}/files/{photo.id}", f"/visits/{visits[1].id}/calendar.ics"):
        assert api.get(path).status == 404, path
    assert api.post(f"/visits/{visits[1].id}/change-requests", {"kind": "cancel", "reason": "x"}).status == 404
    assert api.post(f"/visits/{visits[0].id}/rating", {"stars": 1}).status == 404
    listed = (
        api.get("/visits", query={"when": "upcoming"}).json()["items"]
        + api.get("/visits", query={"when": "past"}).json()["items"]
    )
    assert listed == [] and api.get("/jobs", query={"property_id": mowing.property_id}).json()["items"] == []
    feed = Browser(app).get(api.get("/calendar-link").json()["url"].split("/portal", 1)[1])
    assert feed.status_code == 200 and b"BEGIN:VEVENT" not in feed.data
    portal.directory.update_contact(staff, bob.id, access=attrs.evolve(bob.access, jobs=False, job_requests=True))
    assert api.get("/calendar-link").status == 403 and api.get("/visits").status == 403
    assert api.post(
        "/job-requests", {"property_id": mowing.property_id, "job_type": "x", "description": "y"}
    ).status in (403, 404)
    assert portal.storage.find(VisitRequest) == [] and portal.storage.find(VisitRating) == []
    assert portal.storage.find(JobRequest) == []


def test_api_txt_1_guessing_the_code_through_the_api_is_stopped(api_host):
    from api_support import enrol_contact, sign_in

    app, portal = api_host
    enrol_contact(portal, "alice@example.com")
    api = sign_in(app, "alice@example.com")
    assert api.post("/notices/phone", {"phone": NUMBER}).status == 200
    code = re.search(r"\b(\d{6})\b", portal.texts.to(NUMBER)[-1].body).group(1)
    for guess in [f"{n:06d}" for n in range(12) if f"{n:06d}" != code][:8]:
        assert api.post("/notices/phone/verify", {"code": guess}, check=False).status in (400, 409, 422, 429)
    api.post("/notices/phone/verify", {"code": code}, check=False)
    assert not _contact(portal, "alice@example.com").phone_verified


# -- the Twilio adapter: what Twilio signs can be posted again ---------------------------------------------
@pytest.fixture
def twilio(monkeypatch):
    import sys
    from pathlib import Path

    pytest.importorskip("portalkit_twilio", reason="the Twilio adapter is not installed")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters" / "portalkit-twilio" / "tests"))
    from fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio

    with FakeTwilio() as server:
        server.add_account(ACCOUNT_SID, AUTH_TOKEN, numbers=[FROM_NUMBER])
        for name, value in {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE": server.url,
        }.items():
            monkeypatch.setenv(name, value)
        yield server, AUTH_TOKEN, FROM_NUMBER, ACCOUNT_SID


def _twilio_post(client, auth_token, form, url="http://localhost/portal/webhooks/texts"):
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(auth_token).compute_signature(url, form)
    return client.post("/portal/webhooks/texts", data=form, headers={"X-Twilio-Signature": signature})


def test_twilio_a_replayed_start_does_not_undo_a_newer_stop(twilio, tmp_path):
    from hosts import demo_portal, make_app

    server, auth_token, from_number, account_sid = twilio
    portal = demo_portal(tmp_path)
    app = make_app("flask", portal)
    alice = enrol(app, portal, "alice@example.com")
    alice.post("/profile/notices", {"action": "number", "phone": NUMBER})
    code = re.search(r"\b(\d{6})\b", [b for to, b in server.received() if to == NUMBER][-1]).group(1)
    assert alice.post("/profile/notices", {"action": "verify", "code": code}).status_code == 303
    client = app[1].test_client()
    base = {"From": NUMBER, "To": from_number, "AccountSid": account_sid}
    start = {**base, "Body": "START", "MessageSid": "SM" + "1" * 32}
    assert _twilio_post(client, auth_token, start).status_code == 200
    assert _twilio_post(client, auth_token, {**base, "Body": "STOP", "MessageSid": "SM" + "2" * 32}).status_code == 200
    assert _contact(portal, "alice@example.com").texts_stopped
    _twilio_post(client, auth_token, start)  # the same signed request, again
    assert _contact(portal, "alice@example.com").texts_stopped


def test_twilio_forged_unsigned_or_resigned_for_another_url_replies_are_refused(twilio, tmp_path):
    from hosts import demo_portal, make_app

    server, auth_token, from_number, account_sid = twilio
    portal = demo_portal(tmp_path)
    app = make_app("flask", portal)
    client = app[1].test_client()
    form = {"From": NUMBER, "To": from_number, "AccountSid": account_sid, "Body": "STOP", "MessageSid": "SM" + "3" * 32}
    assert client.post("/portal/webhooks/texts", data=form).status_code == 400
    assert _twilio_post(client, "0" * 32, form).status_code == 400  # another account's token
    assert _twilio_post(client, auth_token, form, url="http://localhost/portal/other").status_code == 400
    assert (
        client.post("/portal/webhooks/texts?bodySHA256=x", data=form, headers={"X-Twilio-Signature": "x"}).status_code
        == 400
    )
    assert _twilio_post(client, auth_token, {**form, "From": ""}).status_code == 400


def test_host_flask_a_staff_user_who_loses_manage_jobs_loses_the_jobs_pages_at_once(tmp_path):
    from hosts import demo_portal, make_app

    portal = demo_portal(tmp_path)
    app = make_app("flask", portal)
    staff = staff_browser(app)
    mowing, visits = _seeded(portal, "J-1040")
    assert staff.get("/staff/visits").status_code == 200
    name, token = csrf_of(staff.get(f"/staff/jobs/{mowing.id}").get_data(as_text=True))
    accounts = app[1].extensions["staff_accounts"]._accounts
    for email, (hashed, user) in list(accounts.items()):  # the host takes the permission away
        accounts[email] = (hashed, attrs.evolve(user, permissions=user.permissions - {Permission.MANAGE_JOBS}))
    assert staff.get("/staff/visits").status_code == 403
    assert staff.raw_post(f"/staff/visits/{visits[1].id}/cancel", {name: token}).status_code == 403
    assert portal.storage.get(Visit, visits[1].id).status is VisitStatus.SCHEDULED
