"""The pages of jobs and visits (issue 26) and of a contact's notices: the customer's Jobs
view, job page, "add to calendar", calendar feed, reschedule and cancel requests, ratings and new
work; their notice choices, mobile number and quiet hours; the text-message provider's webhook;
and the staff's visits by day, technician and status, jobs, shared photos, requests and ratings.
Every page only calls ``portal.jobs`` and ``portal.phones`` (rules JOB-*, TXT-*)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from .. import inputs
from .._core.permissions import require
from ..config import updated
from ..errors import InvalidTransition, InvalidWebhook, PermissionDenied, ValidationError
from ..i18n import _
from ..models import Contact, JobStatus, Permission, StaffUser, Technician, VisitStatus
from ..notify import CONTACT_CHOICES, NOTICE_LABELS, POLICY, Channel
from .customer import flash
from .forms import choice
from .http import FileResponse, Page, PageRequest, Redirect, Reply, Result, file_response

if TYPE_CHECKING:
    from ..portal import Portal

CALENDAR_TYPE = "text/calendar; charset=utf-8"
EMPTY_REPLY = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'  # "nothing to answer" (TwiML)


class JobPages:
    """Mixed into ``PortalWeb`` beside ``CustomerPages`` and ``StaffPages``."""

    portal: Portal
    if TYPE_CHECKING:

        def contact(self, req: PageRequest) -> Contact: ...  # CustomerPages'
        def staff(self, req: PageRequest) -> StaffUser: ...  # StaffPages'

    # -- customers: jobs and visits ---------------------------------------------------------------
    def jobs(self, req: PageRequest) -> Result:
        """The Jobs view of one property: upcoming and past visits, its jobs, the calendar link."""
        contact = self.contact(req)
        jobs = self.portal.jobs
        properties = self.portal.visibility.properties(contact)
        picked = req.arg("property")
        prop = (
            self.portal.visibility.require_property(contact, picked)
            if picked
            else (properties[0] if properties else None)
        )
        page = jobs.jobs(contact, prop.id, after=req.arg("after") or None) if prop else None
        return Page(
            "jobs.html",
            {
                "contact": contact,
                "active": "jobs",
                "properties": properties,
                "prop": prop,
                "jobs": page or [],
                "upcoming": jobs.visits(contact, prop.id, upcoming=True, limit=20, properties=properties)
                if prop
                else [],
                "past": jobs.visits(contact, prop.id, upcoming=False, limit=10, properties=properties) if prop else [],
                "calendar_link": jobs.calendar_link(contact) if prop else "",
                "can_request": bool(prop) and contact.access.job_requests,
                "now": self.portal.clock.now(),
                "paged": bool(req.arg("after")),
            },
        )

    def job(self, req: PageRequest, id: str) -> Result:
        contact = self.contact(req)
        view = self.portal.jobs.job(contact, id)
        return Page(
            "job.html",
            {"contact": contact, "active": "jobs", "view": view, "job": view.job, "now": self.portal.clock.now()},
        )

    def job_file(self, req: PageRequest, id: str, file_id: str) -> Result:
        """A photo or file staff shared on the job (VIS-7)."""
        found, data = self.portal.jobs.file(self.contact(req), file_id)
        if found.job_id != id:
            raise ValidationError(_("No such file."))
        return file_response(found.filename, found.content_type, data)

    def technician_photo(self, req: PageRequest, id: str, n: int) -> Result:
        """The photo of who is coming, as the host gave it."""
        data, kind = self.portal.jobs.technician_photo(self.contact(req), id, n)
        return file_response("technician", kind, data)

    def visit_calendar(self, req: PageRequest, id: str) -> Result:
        """ "Add to calendar": the visit as an .ics file."""
        return FileResponse(
            self.portal.jobs.visit_calendar(self.contact(req), id), CALENDAR_TYPE, "visit.ics", inline=False
        )

    def calendar_feed(self, req: PageRequest, token: str) -> Result:
        """The private feed a calendar app subscribes to; no session (the signed link is the key)."""
        return FileResponse(self.portal.jobs.calendar_feed(token), CALENDAR_TYPE, "visits.ics")

    def new_calendar_link(self, req: PageRequest) -> Result:
        """A new feed link; the old one stops working at once."""
        contact = self.contact(req)
        self.portal.jobs.revoke_calendar(contact)
        flash(req, _("Your calendar link was replaced. Subscribe again with the new one; the old one no longer works."))
        return Redirect("jobs", {"property": req.field("property")} if req.field("property") else {})

    def visit_change(self, req: PageRequest, id: str) -> Result:
        """Ask to reschedule or cancel an upcoming visit (JOB-3)."""
        contact = self.contact(req)
        visit = self.portal.jobs.visit(contact, id)
        ctx = {
            "contact": contact,
            "active": "jobs",
            "visit": visit.visit,
            "job": visit.job,
            "kind": req.arg("kind") or req.field("kind") or "reschedule",
        }
        if req.method == "GET":
            return Page("visit_change.html", ctx)
        try:
            self.portal.jobs.request_change(
                contact, id, req.field("kind"), req.field("reason"), req.field("preferred_times")
            )
        except (ValidationError, InvalidTransition) as exc:
            return Page(
                "visit_change.html",
                {
                    **ctx,
                    "error": exc.public_message,
                    "reason": req.field("reason"),
                    "preferred_times": req.field("preferred_times"),
                },
                400,
            )
        flash(
            req,
            _("Your request was sent. We will confirm the new time; until then the visit stays as planned.")
            if req.field("kind") == "reschedule"
            else _("Your request was sent. We will confirm the cancellation; until then the visit stays as planned."),
        )
        return Redirect("job", {"id": visit.job.id})

    def rate_visit(self, req: PageRequest, id: str) -> Result:
        """One-click rating of a completed visit (JOB-4)."""
        contact = self.contact(req)
        visit = self.portal.jobs.visit(contact, id)
        try:
            self.portal.jobs.rate(contact, id, _stars(req.field("stars")), req.field("comment"))
        except (ValidationError, InvalidTransition) as exc:
            flash(req, exc.public_message)
        else:
            flash(req, _("Thank you for your rating."))
        return Redirect("job", {"id": visit.job.id})

    def new_job(self, req: PageRequest) -> Result:
        """Ask for new work, with photos (JOB-5)."""
        contact = self.contact(req)
        prop = self.portal.visibility.require_property(contact, req.arg("property") or req.field("property"))
        if not contact.access.job_requests:
            raise PermissionDenied(_("Asking for new work is not available to you; please call us."))
        types = [t for t in self.portal.config.job_notification_emails if t != "*"]
        ctx = {"contact": contact, "active": "jobs", "prop": prop, "types": types}
        if req.method == "GET":
            return Page("job_new.html", ctx)
        try:
            self.portal.jobs.request_job(
                contact,
                prop.id,
                req.field("job_type"),
                req.field("description"),
                req.field("preferred_dates"),
                photos=req.uploads("photos"),
            )
        except ValidationError as exc:
            return Page(
                "job_new.html",
                {
                    **ctx,
                    "error": exc.public_message,
                    "job_type": req.field("job_type"),
                    "description": req.field("description"),
                    "preferred_dates": req.field("preferred_dates"),
                },
                400,
            )
        flash(req, _("Thank you. Your request was sent to our team; we will be in touch to schedule it."))
        return Redirect("jobs", {"property": prop.id})

    # -- customers: notices, mobile number, quiet hours -------------------------------------------
    def notices(self, req: PageRequest) -> Result:
        """How the contact hears from the company: per notice mail, text or both (where the
        policy allows), a verified mobile number, quiet hours (TXT-1..4)."""
        contact = self.contact(req)
        phones = self.portal.phones
        if req.method == "POST":
            action = req.field("action")
            try:
                if action == "number":
                    contact = phones.set_number(contact, req.field("phone"))
                    flash(
                        req,
                        _("We texted a code to %(number)s. Enter it below to confirm the number.")
                        % {"number": contact.phone},
                    )
                elif action == "verify":
                    phones.verify(contact, req.field("code"))
                    flash(req, _("Your mobile number is confirmed."))
                elif action == "remove":
                    phones.remove_number(contact)
                    flash(req, _("Your mobile number was removed; we will no longer text you."))
                elif action == "preferences":
                    chosen = {kind: req.fields(f"notice-{kind}") for kind in CONTACT_CHOICES}
                    quiet = (req.field("quiet_from"), req.field("quiet_to")) if req.field("quiet") else None
                    phones.set_preferences(
                        contact,
                        {k: v for k, v in chosen.items() if _offered(k, phones.available)},
                        quiet_hours=_hours(quiet),
                        time_zone=req.field("time_zone"),
                    )
                    flash(req, _("Your notice settings are saved."))
                else:
                    raise ValidationError(_("Unknown action."))
            except (ValidationError, InvalidTransition, PermissionDenied) as exc:
                return Page("notices.html", {**self._notices(self.contact(req)), "error": exc.public_message}, 400)
            return Redirect("notices")
        return Page("notices.html", self._notices(contact))

    def _notices(self, contact: Contact) -> dict[str, Any]:
        texting = self.portal.phones.available
        choices = [
            (kind, POLICY[kind], self.portal.notifier.channels(kind, contact))
            for kind in CONTACT_CHOICES
            if _offered(kind, texting)
        ]
        return {
            "contact": contact,
            "active": "profile",
            "texting": texting,
            "choices": choices,
            "mail": Channel.MAIL,
            "text": Channel.TEXT,
            "hours": range(24),
            "labels": NOTICE_LABELS,
            "zone": contact.time_zone or self.portal.config.time_zone,
        }

    def text_webhook(self, req: PageRequest) -> Result:
        """Replies to the company's texts (the provider's signed webhook): STOP and START."""
        form = {k: v[0] for k, v in req.form.items() if v} or dict(parse_qsl(req.body.decode("utf-8", "replace")))
        try:
            self.portal.phones.inbound(req.url, req.headers, form)
        except InvalidWebhook:
            return Reply(b"signature does not verify", 400)
        return Reply(EMPTY_REPLY, content_type="text/xml; charset=utf-8")

    # -- staff ------------------------------------------------------------------------------------
    def staff_visits(self, req: PageRequest) -> Result:
        """Visits by day (the company's time zone), technician and status; the customers' open
        requests, new-work requests and latest ratings beside them."""
        staff = self._staff_jobs(req)
        today = self.portal.clock.now().astimezone(ZoneInfo(self.portal.config.time_zone)).date()
        day = _day(req.arg("day")) if req.arg("day") else today
        status = choice(VisitStatus, req.arg("status"), None)
        jobs = self.portal.jobs
        return Page(
            "staff_visits.html",
            {
                "active": "staff_visits",
                "day": day,
                "today": today,
                "previous": day - timedelta(days=1),
                "next": day + timedelta(days=1),
                "statuses": list(VisitStatus),
                "status_filter": status,
                "technician": req.arg("technician"),
                "paged": bool(req.arg("after")),
                "visits": jobs.staff_visits(
                    staff, day=day, technician=req.arg("technician"), status=status, after=req.arg("after") or None
                ),
                "requests": jobs.visit_requests(staff),
                "job_requests": jobs.job_requests(staff),
                "ratings": jobs.ratings(staff, limit=10),
            },
        )

    def staff_jobs(self, req: PageRequest) -> Result:
        staff = self._staff_jobs(req)
        status = choice(JobStatus, req.arg("status"), None)
        return Page(
            "staff_jobs.html",
            {
                "active": "staff_jobs",
                "jobs": self.portal.jobs.staff_jobs(staff, status, after=req.arg("after") or None),
                "statuses": list(JobStatus),
                "status_filter": status,
                "lists": self.portal.config.job_notification_emails,
                "can_settings": Permission.MANAGE_SETTINGS in staff.permissions,
                "paged": bool(req.arg("after")),
            },
        )

    def staff_job_lists(self, req: PageRequest) -> Result:
        """The job-notification lists: who hears of a new-work request, by job type."""
        staff = require(self.staff(req), Permission.MANAGE_SETTINGS, self.portal.settings.company_id)
        lists: dict[str, list[str]] = {}
        for line in req.field("lists").splitlines():
            kind, _sep, emails = line.partition(":")
            if kind.strip() and emails.strip():
                lists[kind.strip()] = [e.strip() for e in emails.replace(";", ",").split(",") if e.strip()]
        try:
            self.portal.settings.replace(staff, updated(self.portal.config, job_notification_emails=lists))
        except ValidationError as exc:
            flash(req, exc.public_message)
        else:
            flash(req, "Job-notification lists saved.")
        return Redirect("staff_jobs")

    def staff_job(self, req: PageRequest, id: str) -> Result:
        view = self.portal.jobs.staff_job(self._staff_jobs(req), id)
        return Page(
            "staff_job.html",
            {
                "active": "staff_jobs",
                "job": view.job,
                "visits": view.visits,
                "files": view.files,
                "prop": view.property,
                "statuses": list(JobStatus),
            },
        )

    def staff_job_file(self, req: PageRequest, id: str, file_id: str) -> Result:
        found, data = self.portal.jobs.staff_file(self._staff_jobs(req), file_id)
        if found.job_id != id:
            raise ValidationError(_("No such file."))
        return file_response(found.filename, found.content_type, data)

    def staff_job_action(self, req: PageRequest, id: str, action: str) -> Result:
        staff = self._staff_jobs(req)
        jobs = self.portal.jobs
        zone = ZoneInfo(self.portal.config.time_zone)
        if action == "schedule":
            starts, ends = _window(req, zone)
            crew = tuple(Technician(name=n.strip()) for n in req.field("technicians").split(",") if n.strip())
            jobs.schedule_visit(staff, id, starts, ends, crew)
            flash(req, "Visit scheduled; the customer was told.")
        elif action == "files":
            added = jobs.add_files(staff, id, req.uploads("files"), shared=bool(req.field("shared")))
            flash(
                req,
                f"{len(added)} file{'' if len(added) == 1 else 's'} added"
                + (" and shown in the portal." if req.field("shared") else "; share them to show them in the portal."),
            )
        elif action in ("share", "unshare"):
            jobs.share_file(staff, req.field("file"), action == "share")
            flash(
                req, "The file is shown in the portal." if action == "share" else "The file is hidden from the portal."
            )
        elif action == "status":
            status = choice(JobStatus, req.field("status"), None)
            if status is None:
                raise ValidationError(_("Choose a status."))
            jobs.set_job_status(staff, id, status)
            flash(req, "Job status saved.")
        else:
            _unknown()
        return Redirect("staff_job", {"id": id})

    def staff_visit_action(self, req: PageRequest, id: str, action: str) -> Result:
        staff = self._staff_jobs(req)
        jobs = self.portal.jobs
        zone = ZoneInfo(self.portal.config.time_zone)
        if action == "on_the_way":
            minutes = inputs.integer(_int(req.field("minutes") or "30"), "minutes", minimum=0, maximum=24 * 60)
            visit = jobs.on_the_way(staff, id, self.portal.clock.now() + timedelta(minutes=minutes))
            flash(req, "The customer was told the technician is on the way.")
        elif action == "start":
            visit = jobs.start_visit(staff, id)
            flash(req, "Visit started.")
        elif action == "complete":
            visit = jobs.complete_visit(
                staff, id, req.field("notes"), req.uploads("photos"), share_photos=bool(req.field("share"))
            )
            flash(req, "Visit completed; the customer can see the summary and rate it.")
        elif action == "move":
            visit = jobs.move_visit(staff, id, *_window(req, zone))
            flash(req, "Visit moved; the customer was told.")
        elif action == "cancel":
            visit = jobs.cancel_visit(staff, id)
            flash(req, "Visit canceled; the customer was told.")
        else:
            _unknown()
        return Redirect("staff_job", {"id": visit.job_id})

    def staff_request_action(self, req: PageRequest, id: str, action: str) -> Result:
        """Mark a reschedule or cancel request, or a new-work request, as handled."""
        staff = self._staff_jobs(req)
        if action == "visit":
            self.portal.jobs.handle_request(staff, id)
        elif action == "job":
            self.portal.jobs.handle_job_request(staff, id)
        else:
            _unknown()
        flash(req, "Marked as handled.")
        return Redirect("staff_visits")

    def _staff_jobs(self, req: PageRequest) -> StaffUser:
        return require(self.staff(req), Permission.MANAGE_JOBS, self.portal.settings.company_id)


# -- form values --------------------------------------------------------------------------------
def _offered(kind: str, texting: bool) -> bool:
    """A notice's choice is shown when it can be turned off, or texting is on and it may be texted."""
    rule = POLICY[kind]
    return rule.optional or (texting and Channel.TEXT in rule.channels)


def _stars(value: str) -> int:
    return inputs.integer(_int(value), "stars", minimum=1, maximum=5)


def _int(value: str) -> object:
    return int(value) if value.strip().isdigit() else value


def _hours(pair: tuple[str, str] | None) -> tuple[int, int] | None:
    if pair is None:
        return None
    return (
        inputs.integer(_int(pair[0]), "quiet_hours", minimum=0, maximum=23),
        inputs.integer(_int(pair[1]), "quiet_hours", minimum=0, maximum=23),
    )


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(_("A day is written 2026-05-31."), field="day") from None


def _window(req: PageRequest, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A visit's arrival window from ``date``, ``start`` and ``end`` (local times, HH:MM)."""
    day = _day(req.field("date"))
    try:
        starts = datetime.combine(day, datetime.strptime(req.field("start"), "%H:%M").time(), tzinfo=zone)
        ends = datetime.combine(day, datetime.strptime(req.field("end"), "%H:%M").time(), tzinfo=zone)
    except ValueError:
        raise ValidationError(_("Times are written 09:30."), field="start") from None
    return starts.astimezone(UTC), ends.astimezone(UTC)


def _unknown() -> Any:
    raise ValidationError(_("Unknown action."))
