"""Jobs and visits (JOB-1..5) and notices (TXT-1..4), through ``portal.jobs`` and
``portal.phones``."""

from __future__ import annotations

from ...errors import NotFound
from ...i18n import _
from ...models import Contact
from ...notify import CONTACT_CHOICES, NOTICE_LABELS, POLICY, Channel
from ...web.http import FileResponse, file_response
from .. import shapes as s
from ..core import Call
from . import _out

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def list_jobs(call: Call) -> s.JobPage:
    q: s.ListQuery = call.query
    page = call.portal.jobs.jobs(call.me, q.property_id, after=q.after, limit=q.limit)
    return s.JobPage(items=[_out.job(j) for j in page], next_after=page.next_after)


def get_job(call: Call) -> s.JobDetail:
    """A job with its visits, shared files (VIS-7), proposal and the invoices the contact sees."""
    view = call.portal.jobs.job(call.me, call.params["id"])
    return s.JobDetail(
        job=_out.job(view.job),
        property=_out.prop(view.property),
        visits=[_out.visit(call, v, view.job) for v in view.visits],
        files=[_out.job_file(call, f) for f in view.files],
        proposal_id=view.proposal.id if view.proposal else None,
        invoices=[_out.invoice(call, i) for i in view.invoices],
        rated_visit_ids=sorted(view.rated),
    )


def job_file(call: Call) -> FileResponse:
    found, data = call.portal.jobs.file(call.me, call.params["file_id"])
    if found.job_id != call.params["id"]:
        raise NotFound(_("No such file."))
    return file_response(found.filename, found.content_type, data)


def list_visits(call: Call) -> s.VisitPage:
    q: s.VisitQuery = call.query
    page = call.activity.visits(call.me, q.property_id, upcoming=q.when == "upcoming", after=q.after, limit=q.limit)
    return s.VisitPage(items=[_out.visit_row(call, row) for row in page], next_after=page.next_after)


def visit_calendar(call: Call) -> FileResponse:
    """ "Add to calendar": the visit as an iCalendar file."""
    return FileResponse(
        call.portal.jobs.visit_calendar(call.me, call.params["id"]), CALENDAR_TYPE, "visit.ics", inline=False
    )


def request_change(call: Call) -> s.ChangeRequestOut:
    """JOB-3: ask to reschedule or cancel an upcoming visit; it stays as planned until staff act."""
    body: s.ChangeRequest = call.body
    found = call.portal.jobs.request_change(call.me, call.params["id"], body.kind, body.reason, body.preferred_times)
    return s.ChangeRequestOut(
        id=found.id,
        visit_id=found.visit_id,
        kind=found.kind,  # type: ignore[arg-type]
        created_at=s.when(found.created_at),
    )


def rate(call: Call) -> s.RatingOut:
    """JOB-4: a completed visit, once."""
    body: s.Rating = call.body
    found = call.portal.jobs.rate(call.me, call.params["id"], body.stars, body.comment)
    return s.RatingOut(
        id=found.id,
        visit_id=found.visit_id,
        stars=found.stars,
        comment=found.comment,
        created_at=s.when(found.created_at),
    )


def request_job(call: Call) -> s.JobRequestOut:
    """JOB-5: new work with photos (multipart ``photos``), for a contact allowed to ask."""
    body: s.NewJobRequest = call.body
    found = call.portal.jobs.request_job(
        call.me,
        body.property_id,
        body.job_type,
        body.description,
        body.preferred_dates,
        photos=call.uploads.get("photos", []),
    )
    return s.JobRequestOut(
        id=found.id, property_id=found.property_id, job_type=found.job_type, created_at=s.when(found.created_at)
    )


def calendar_link(call: Call) -> s.CalendarLink:
    return s.CalendarLink(url=call.portal.jobs.calendar_link(call.me))


def new_calendar_link(call: Call) -> s.CalendarLink:
    """A new private feed link; the old one stops working at once."""
    fresh = call.portal.jobs.revoke_calendar(call.me)
    return s.CalendarLink(url=call.portal.jobs.calendar_link(fresh))


# -- notices ---------------------------------------------------------------------------------------
def _offered(kind: str, texting: bool) -> bool:
    """As the notices page: a choice when the notice can be turned off, or may be texted."""
    rule = POLICY[kind]
    return rule.optional or (texting and Channel.TEXT in rule.channels)


def _notices(call: Call, contact: Contact) -> s.Notices:
    texting = call.portal.phones.available
    notifier = call.portal.notifier
    choices = [
        s.NoticeChoice(
            kind=kind,
            label=_(NOTICE_LABELS[kind]),
            optional=POLICY[kind].optional,
            channels=[c.value for c in POLICY[kind].channels],
            chosen=[c.value for c in notifier.channels(kind, contact)],
        )
        for kind in CONTACT_CHOICES
        if _offered(kind, texting)
    ]
    quiet = (
        s.QuietHours(from_hour=contact.quiet_hours[0], to_hour=contact.quiet_hours[1]) if contact.quiet_hours else None
    )
    return s.Notices(
        texting=texting,
        phone=contact.phone,
        phone_verified=contact.phone_verified,
        texts_stopped=contact.texts_stopped,
        quiet_hours=quiet,
        time_zone=contact.time_zone or call.portal.config.time_zone,
        notices=choices,
    )


def get_notices(call: Call) -> s.Notices:
    return _notices(call, call.me)


def update_notices(call: Call) -> s.Notices:
    """TXT-2, TXT-4: channels per notice (those offered), quiet hours, time zone."""
    body: s.NoticeChange = call.body
    phones = call.portal.phones
    chosen = {k: list(v) for k, v in body.notices.items() if k not in POLICY or _offered(k, phones.available)}
    quiet = (body.quiet_hours.from_hour, body.quiet_hours.to_hour) if body.quiet_hours else None
    return _notices(call, phones.set_preferences(call.me, chosen, quiet_hours=quiet, time_zone=body.time_zone))


def set_phone(call: Call) -> s.Notices:
    """TXT-1: a mobile number, used once confirmed by the code texted to it."""
    body: s.PhoneNumber = call.body
    return _notices(call, call.portal.phones.set_number(call.me, body.phone))


def verify_phone(call: Call) -> s.Notices:
    body: s.PhoneCode = call.body
    return _notices(call, call.portal.phones.verify(call.me, body.code))


def remove_phone(call: Call) -> s.Notices:
    return _notices(call, call.portal.phones.remove_number(call.me))
