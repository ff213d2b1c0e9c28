"""``Jobs``: the work the company does at a customer's property, its visits, the photos staff
share, and the customer's say (issue 26).

The host feeds jobs and visits by its ids (``portal.sync``: ``HostJob``, ``HostVisit``) and
announces changes with typed calls (``portal.jobs.host``); staff do the same on the staff pages
(``MANAGE_JOBS``). Customers see the jobs of their properties behind the Jobs access flag, all of
the customer's or only those they are the main contact of (VIS-6); files only once shared
(VIS-7); each visit as an iCalendar file and all of them in a private, revocable feed; they ask
to reschedule or cancel a visit, rate a completed one and ask for new work. Every notice goes
through ``notify`` (mail and text message, by each contact's choice); every customer action
reaches the host as an event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

from .. import inputs
from .._core.files import Files, Upload, sniff
from .._core.paging import DEFAULT_LIMIT, Page, fetch
from .._core.permissions import require
from .._core.throttle import Throttle
from .._core.tokens import CALENDAR, TokenSigner
from .._core.uow import UnitOfWork
from .._core.visibility import Section, Visibility, invoice_visible, job_visible, report_kinds
from ..directory._directory import lookup
from ..errors import Conflict, InvalidToken, InvalidTransition, NotFound, PermissionDenied, ValidationError
from ..events import JobRequested, VisitChanged, VisitChangeRequested, VisitRated, external_ids
from ..i18n import _
from ..models import (
    Contact,
    Customer,
    Invoice,
    Job,
    JobFile,
    JobRequest,
    JobStatus,
    Permission,
    Property,
    Proposal,
    Report,
    StaffUser,
    Technician,
    Visit,
    VisitRating,
    VisitRequest,
    VisitRequestKind,
    VisitStatus,
)
from ..notify import Notifier
from ..notify._outbox import Outbox
from ..ports import AtLeast, In, Storage
from ..settings import Settings
from ._calendar import calendar_of

MAX_TEXT = 2000
OPEN_VISITS = frozenset({VisitStatus.SCHEDULED, VisitStatus.ON_THE_WAY, VisitStatus.IN_PROGRESS})
REQUEST_KINDS = tuple(VisitRequestKind)
REQUESTS_PER_HOUR = 5  # a contact's reschedule, cancel and new-work requests: each one mails staff
MAX_NAME = 100  # a technician's display name
FEED_LIFETIME = timedelta(days=3650)  # a feed lives until revoked (its nonce moves on)
FEED_PAST = timedelta(days=90)
VISIT_PAGE = 50  # visits read at a time for a contact's lists


@attrs.frozen
class VisitRow:
    """A visit as a list shows it, with its job."""

    visit: Visit
    job: Job


@attrs.frozen
class JobView:
    """A job page: the job, its property, its visits (earliest first), the files staff shared,
    the linked proposal and the invoices the contact may see, and the contact's own ratings."""

    job: Job
    property: Property
    visits: tuple[Visit, ...]
    files: tuple[JobFile, ...]
    proposal: Proposal | None
    invoices: tuple[Invoice, ...]
    reports: tuple[Report, ...]  # on this job, of the kinds the contact may see (VIS-3)
    rated: frozenset[str]  # visit ids this contact rated


@attrs.frozen
class StaffVisit:
    """A visit as the staff's day list shows it."""

    visit: Visit
    job: Job
    property: Property


@attrs.frozen
class StaffJob:
    job: Job
    property: Property | None
    customer: Customer | None


@attrs.frozen
class StaffJobView:
    """The staff's job page: every visit and every file, shared or not."""

    job: Job
    property: Property | None
    visits: tuple[Visit, ...]
    files: tuple[JobFile, ...]


@attrs.frozen
class CustomerSaid:
    """A request or rating with the contact who made it, and the visit or property it is about."""

    said: VisitRequest | JobRequest | VisitRating
    contact: Contact | None
    visit: Visit | None = None
    property: Property | None = None


class Jobs:
    def __init__(
        self,
        storage: Storage,
        clock: Any,
        uow: UnitOfWork,
        settings: Settings,
        visibility: Visibility,
        outbox: Outbox,
        notifier: Notifier,
        files: Files,
        signer: TokenSigner,
        throttle: Throttle,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._visibility, self._outbox, self._notifier = visibility, outbox, notifier
        self._files, self._signer, self._throttle = files, signer, throttle
        self.host = HostJobs(self)

    # -- customers ------------------------------------------------------------------------------
    def jobs(
        self, contact: Contact, property_id: str, *, after: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> Page[Job]:
        """The property's jobs the contact may see (VIS-6), newest first; one page."""
        with self._settings.pinned():  # the settings read once; the checks and the page on one connection
            self._visibility.require_section(contact, Section.JOBS)
            prop = self._visibility.require_property(contact, property_id)
            where: dict[str, Any] = {"property_id": prop.id, "archived": False}
            if contact.main_contact_only:
                where["main_contact_id"] = contact.id
            return fetch(self._storage, Job, order=("created_at",), descending=True, after=after, limit=limit, **where)

    def visits(
        self,
        contact: Contact,
        property_id: str | None = None,
        *,
        upcoming: bool = True,
        limit: int = 10,
        properties: Iterable[Property] | None = None,
    ) -> list[VisitRow]:
        """The contact's upcoming (earliest first) or past (latest first) visits, of one property
        or all theirs: the dashboard's "next visit" and the Jobs view's lists. ``properties``:
        the contact's (``visibility.properties``), when the caller has read them already."""
        with self._settings.pinned():  # the settings read once; every read on one connection
            return self._visits(contact, property_id, upcoming, limit, properties)

    def _visits(
        self,
        contact: Contact,
        property_id: str | None,
        upcoming: bool,
        limit: int,
        properties: Iterable[Property] | None,
    ) -> list[VisitRow]:
        config = self._settings.current
        if not self._visibility.section_shown(contact, Section.JOBS):
            return []
        seen = self._visibility.properties(contact) if properties is None else properties
        props = {p.id: p for p in seen if property_id is None or p.id == property_id}
        if not props:
            return []
        wanted = inputs.integer(limit, "limit", minimum=1, maximum=200)
        now = self._clock.now()
        where: dict[str, Any] = {"property_id": In(list(props)), "archived": False}
        if upcoming:  # a visit under way started at most a day ago
            where["starts_at"] = AtLeast(now - timedelta(days=1))
        rows: list[VisitRow] = []
        last: Visit | None = None
        size = min(VISIT_PAGE, wanted + 2)  # the dashboard's few: read a few, not a whole page
        while len(rows) < wanted:  # bounded pages through the (company, property, starts_at) index
            batch = self._storage.page(
                Visit, order=("starts_at",), limit=size, descending=not upcoming, after=last, **where
            )
            found = [v for v in batch if (v.ends_at >= now and v.status in OPEN_VISITS) == upcoming]
            jobs = self._storage.get_many(Job, {v.job_id for v in found})
            rows += [
                VisitRow(v, jobs[v.job_id])
                for v in found
                if v.job_id in jobs and job_visible(contact, jobs[v.job_id], props[v.property_id], Section.JOBS, config)
            ]
            if len(batch) < size:
                break
            last, size = batch[-1], VISIT_PAGE
        return rows[:wanted]

    def job(self, contact: Contact, job_id: str) -> JobView:
        """A job the contact may see, with what its page shows; ``NotFound`` otherwise."""
        job, prop = self._visibility.require_job(contact, Job, job_id, Section.JOBS)
        config = self._settings.current
        visits = sorted(self._storage.find(Visit, job_id=job.id, archived=False), key=lambda v: v.starts_at)
        files = sorted(self._storage.find(JobFile, job_id=job.id, shared=True), key=lambda f: f.added_at)
        proposal = self._storage.get(Proposal, job.proposal_id) if job.proposal_id else None
        if proposal is not None and not job_visible(contact, proposal, prop, Section.PROPOSALS, config):
            proposal = None
        invoices = tuple(
            i
            for i in self._storage.get_many(Invoice, job.invoice_ids).values()
            if invoice_visible(contact, i, prop, config)
        )
        rated = frozenset(
            r.visit_id
            for r in self._storage.find(VisitRating, contact_id=contact.id, visit_id=In([v.id for v in visits]))
        )
        kinds = report_kinds(contact) if self._visibility.section_shown(contact, Section.REPORTS) else frozenset()
        reports = tuple(
            sorted(
                (r for r in self._storage.find(Report, job_id=job.id, archived=False) if r.kind in kinds),
                key=lambda r: r.performed_on,
                reverse=True,
            )
        )
        return JobView(job, prop, tuple(visits), tuple(files), proposal, invoices, reports, rated)

    def file(self, contact: Contact, file_id: str) -> tuple[JobFile, bytes]:
        """A file staff shared on a job the contact sees (VIS-7); ``NotFound`` otherwise."""
        found = self._storage.get(JobFile, file_id) if inputs.is_identifier(file_id) else None
        if found is None or not found.shared:
            raise NotFound(_("No such file."))
        self._visibility.require_job(contact, Job, found.job_id, Section.JOBS)
        data = self._files.get(found.file_key)
        if data is None:
            raise NotFound(_("This file is no longer available."))
        return found, data

    def visit(self, contact: Contact, visit_id: str) -> VisitRow:
        """A visit the contact may see, with its job; ``NotFound`` otherwise."""
        visit, job, _prop = self._own_visit(contact, visit_id)
        return VisitRow(visit, job)

    def technician_photo(self, contact: Contact, visit_id: str, index: int) -> tuple[bytes, str]:
        """The photo of a visit's ``index``-th technician (the host gave it), with its type."""
        visit, _job, _prop = self._own_visit(contact, visit_id)
        crew = visit.technicians
        key = crew[index].photo_key if isinstance(index, int) and 0 <= index < len(crew) else ""
        data = self._files.get(key) if key else None
        if data is None:
            raise NotFound(_("No such photo."))
        return data, sniff(data)

    def visit_calendar(self, contact: Contact, visit_id: str) -> bytes:
        """ "Add to calendar": the visit as an iCalendar file (text/calendar)."""
        visit, job, prop = self._own_visit(contact, visit_id)
        return calendar_of([(visit, job, prop)], self._settings.current, self._clock.now())

    def calendar_link(self, contact: Contact) -> str:
        """The contact's private calendar feed (every visit they can see, subscribed to from a
        calendar app); ``revoke_calendar`` makes it stop working."""
        self._visibility.require_section(contact, Section.JOBS)
        fresh = lookup(self._storage, Contact, contact.id)
        token = self._signer.sign(CALENDAR, fresh.id, fresh.calendar_nonce)
        return f"{self._settings.current.portal_url}/calendar/{token}.ics"

    def revoke_calendar(self, contact: Contact) -> Contact:
        """A new feed link; the old one stops working (a leaked link is revoked this way)."""
        with self._uow():
            fresh = lookup(self._storage, Contact, contact.id)
            return self._storage.update(attrs.evolve(fresh, calendar_nonce=fresh.calendar_nonce + 1))

    def calendar_feed(self, token: str) -> bytes:
        """The feed behind a calendar link: the contact's visits from 90 days ago on."""
        try:
            contact_id, nonce = self._signer.verify(CALENDAR, token, FEED_LIFETIME)
        except InvalidToken:
            contact_id, nonce = "", None
        contact = self._storage.get(Contact, contact_id) if contact_id else None
        if contact is None or contact.calendar_nonce != nonce:
            raise NotFound(_("This calendar link was replaced; copy the new one from your portal."))
        config = self._settings.current
        if not config.enabled or not self._visibility.section_shown(contact, Section.JOBS):
            raise NotFound(_("This calendar link was replaced; copy the new one from your portal."))
        props = {p.id: p for p in self._visibility.properties(contact)}
        since = self._clock.now() - FEED_PAST
        visits = (
            [
                v
                for v in self._storage.find(
                    Visit, property_id=In(list(props)), archived=False, starts_at=AtLeast(since)
                )
            ]
            if props
            else []
        )
        jobs = self._storage.get_many(Job, {v.job_id for v in visits})
        shown = [
            (v, jobs[v.job_id], props[v.property_id])
            for v in visits
            if v.job_id in jobs and job_visible(contact, jobs[v.job_id], props[v.property_id], Section.JOBS, config)
        ]
        return calendar_of(shown, config, self._clock.now())

    def request_change(
        self, contact: Contact, visit_id: str, kind: str, reason: str, preferred_times: str = ""
    ) -> VisitRequest:
        """Ask to reschedule or cancel an upcoming visit: staff hear of it, and the host (an event)."""
        if kind not in REQUEST_KINDS:
            raise ValidationError(_("Choose to reschedule or to cancel the visit."), field="kind")
        reason = inputs.text(reason, "reason", max_length=MAX_TEXT, multiline=True)
        preferred_times = inputs.text(
            preferred_times, "preferred_times", max_length=500, multiline=True, required=False
        )
        visit, job, prop = self._own_visit(contact, visit_id)
        if visit.status is not VisitStatus.SCHEDULED or visit.starts_at <= self._clock.now():
            raise InvalidTransition(_("Only a visit still to come can be moved or canceled here; please call us."))
        if self._storage.find(VisitRequest, visit_id=visit.id, contact_id=contact.id, handled=False):
            raise InvalidTransition(_("You already asked about this visit; we will answer soon."))
        self._throttle.reserve(f"job-requests:{contact.id}", REQUESTS_PER_HOUR, 3600)
        with self._uow():
            request = self._storage.insert(
                VisitRequest(
                    visit_id=visit.id,
                    contact_id=contact.id,
                    kind=kind,
                    reason=reason,
                    preferred_times=preferred_times,
                    created_at=self._clock.now(),
                )
            )
            self._outbox.event(
                VisitChangeRequested(
                    event_id=f"visit-request:{request.id}",
                    company_id=self._settings.company_id,
                    visit_request_id=request.id,
                    visit_id=visit.id,
                    contact_id=contact.id,
                    kind=kind,
                    reason=reason,
                    preferred_times=preferred_times,
                    external_ids=external_ids(visit=visit, contact=contact),
                )
            )
            self._notifier.tell(
                "visit_request",
                key=request.id,
                contact=contact,
                request=request,
                visit=visit,
                job=job,
                property=prop,
                zone=self._zone(),
                link=f"{self._settings.current.portal_url}/staff/visits",
            )
            return request

    def rate(self, contact: Contact, visit_id: str, stars: object, comment: str = "") -> VisitRating:
        """A one-click rating (1 to 5) of a completed visit, once per contact; staff hear of it."""
        stars = inputs.integer(stars, "stars", minimum=1, maximum=5)
        comment = inputs.text(comment, "comment", max_length=MAX_TEXT, multiline=True, required=False)
        visit, job, prop = self._own_visit(contact, visit_id)
        if visit.status is not VisitStatus.COMPLETED:
            raise InvalidTransition(_("A visit can be rated once it is completed."))
        try:
            return self._rate_once(contact, visit, job, prop, stars, comment)
        except Conflict:  # a rating of the same visit by the same contact won the race (unique)
            raise InvalidTransition(_("You already rated this visit. Thank you!")) from None

    def _rate_once(
        self, contact: Contact, visit: Visit, job: Job, prop: Property, stars: int, comment: str
    ) -> VisitRating:
        with self._uow():
            if self._storage.find(VisitRating, visit_id=visit.id, contact_id=contact.id):
                raise InvalidTransition(_("You already rated this visit. Thank you!"))
            rating = self._storage.insert(
                VisitRating(
                    visit_id=visit.id, contact_id=contact.id, stars=stars, comment=comment, created_at=self._clock.now()
                )
            )
            self._outbox.event(
                VisitRated(
                    event_id=f"visit-rating:{rating.id}",
                    company_id=self._settings.company_id,
                    visit_id=visit.id,
                    contact_id=contact.id,
                    stars=stars,
                    comment=comment,
                    external_ids=external_ids(visit=visit, contact=contact),
                )
            )
            self._notifier.tell(
                "visit_rated",
                key=rating.id,
                contact=contact,
                rating=rating,
                visit=visit,
                job=job,
                property=prop,
                zone=self._zone(),
            )
            return rating

    def request_job(
        self,
        contact: Contact,
        property_id: str,
        job_type: str,
        description: str,
        preferred_dates: str = "",
        photos: Iterable[Upload] = (),
    ) -> JobRequest:
        """New work asked for from the portal (the ``job_requests`` access flag): it reaches
        the job-notification list of its type, the account owner, and the host (an event)."""
        self._visibility.require_section(contact, Section.JOBS)
        if not contact.access.job_requests:
            raise PermissionDenied(_("Asking for new work is not available to you; please call us."))
        prop = self._visibility.require_property(contact, property_id)
        job_type = inputs.text(job_type, "job_type", max_length=100)
        description = inputs.text(description, "description", max_length=MAX_TEXT, multiline=True)
        preferred_dates = inputs.text(
            preferred_dates, "preferred_dates", max_length=500, multiline=True, required=False
        )
        checked = self._files.check(photos, self._settings.current.max_issue_attachments)
        if any(not kind.startswith("image/") for _upload, kind in checked):
            raise ValidationError(_("Attach photos (PNG, JPEG, GIF or WebP)."), field="photos")
        self._throttle.reserve(f"job-requests:{contact.id}", REQUESTS_PER_HOUR, 3600)
        keys = tuple(self._files.put(upload.data) for upload, _kind in checked)
        with self._uow():
            self._files.count_bytes(contact.id, sum(len(upload.data) for upload, _kind in checked))
            request = self._storage.insert(
                JobRequest(
                    contact_id=contact.id,
                    property_id=prop.id,
                    job_type=job_type,
                    description=description,
                    preferred_dates=preferred_dates,
                    file_keys=keys,
                    created_at=self._clock.now(),
                )
            )
            self._outbox.event(
                JobRequested(
                    event_id=f"job-request:{request.id}",
                    company_id=self._settings.company_id,
                    job_request_id=request.id,
                    property_id=prop.id,
                    contact_id=contact.id,
                    job_type=job_type,
                    description=description,
                    external_ids=external_ids(property=prop, contact=contact),
                )
            )
            self._notifier.tell(
                "job_requested", key=request.id, contact=contact, request=request, property=prop, job_type=job_type
            )
            return request

    def _own_visit(self, contact: Contact, visit_id: str) -> tuple[Visit, Job, Property]:
        visit = self._storage.get(Visit, visit_id) if inputs.is_identifier(visit_id) else None
        if visit is None or visit.archived:
            raise NotFound(_("No such visit."))
        job, prop = self._visibility.require_job(contact, Job, visit.job_id, Section.JOBS)
        return visit, job, prop

    # -- staff ----------------------------------------------------------------------------------
    def add_job(
        self,
        staff: StaffUser,
        property_id: str,
        number: str,
        title: str,
        *,
        job_type: str = "",
        description: str = "",
        main_contact_id: str | None = None,
        proposal_id: str | None = None,
        invoice_ids: Iterable[str] = (),
    ) -> Job:
        """``MANAGE_JOBS``: a job on a property (hosts usually sync theirs instead)."""
        self._require(staff)
        with self._uow():
            prop = lookup(self._storage, Property, property_id)
            job = Job(
                number=inputs.text(number, "number", max_length=100),
                property_id=prop.id,
                title=inputs.text(title, "title", max_length=200),
                job_type=inputs.text(job_type, "job_type", max_length=100, required=False),
                description=inputs.text(
                    description, "description", max_length=MAX_TEXT, multiline=True, required=False
                ),
                main_contact_id=self._customer_contact(prop, main_contact_id),
                proposal_id=lookup(self._storage, Proposal, proposal_id).id if proposal_id else None,
                invoice_ids=tuple(
                    lookup(self._storage, Invoice, i).id for i in inputs.identifiers(invoice_ids, "invoice_ids")
                ),
                created_at=self._clock.now(),
            )
            return self._storage.insert(job)

    def set_job_status(self, staff: StaffUser, job_id: str, status: JobStatus) -> Job:
        self._require(staff)
        status = inputs.member(status, JobStatus, "status")
        with self._uow():
            job = lookup(self._storage, Job, job_id)
            return self._storage.update(attrs.evolve(job, status=status))

    def schedule_visit(
        self,
        staff: StaffUser,
        job_id: str,
        starts_at: datetime,
        ends_at: datetime,
        technicians: Iterable[Technician] = (),
    ) -> Visit:
        """``MANAGE_JOBS``: a visit with its arrival window; the job's contact is told."""
        self._require(staff)
        starts_at, ends_at = _window(starts_at, ends_at)
        crew = checked_crew(technicians)
        with self._uow():
            job = lookup(self._storage, Job, job_id)
            visit = self._storage.insert(
                Visit(
                    job_id=job.id, property_id=job.property_id, starts_at=starts_at, ends_at=ends_at, technicians=crew
                )
            )
            self._announce(visit, job, "visit_scheduled")
            return visit

    def move_visit(self, staff: StaffUser, visit_id: str, starts_at: datetime, ends_at: datetime) -> Visit:
        """``MANAGE_JOBS``: a new arrival window; the contact is told, open requests are answered."""
        self._require(staff)
        return self._move(visit_id, *_window(starts_at, ends_at))

    def cancel_visit(self, staff: StaffUser, visit_id: str) -> Visit:
        self._require(staff)
        return self._step(visit_id, VisitStatus.CANCELED, "visit_changed")

    def on_the_way(self, staff: StaffUser, visit_id: str, eta: datetime) -> Visit:
        """``MANAGE_JOBS``: the technician left; the contact hears it (by text, by default) with
        the arrival estimate."""
        self._require(staff)
        return self._step(visit_id, VisitStatus.ON_THE_WAY, "visit_on_the_way", eta=_aware(eta, "eta"))

    def start_visit(self, staff: StaffUser, visit_id: str) -> Visit:
        self._require(staff)
        return self._step(visit_id, VisitStatus.IN_PROGRESS, None)

    def complete_visit(
        self,
        staff: StaffUser,
        visit_id: str,
        notes: str = "",
        photos: Iterable[Upload] = (),
        *,
        share_photos: bool = True,
    ) -> Visit:
        """``MANAGE_JOBS``: the visit is done; its summary and photos (shared unless told
        otherwise) reach the contact, who can rate it."""
        self._require(staff)
        return self._complete(visit_id, notes, photos, share_photos)

    def add_files(
        self,
        staff: StaffUser,
        job_id: str,
        uploads: Iterable[Upload],
        *,
        visit_id: str | None = None,
        shared: bool = False,
    ) -> tuple[JobFile, ...]:
        """``MANAGE_JOBS``: photos or files on a job, hidden from the portal until shared (VIS-7)."""
        self._require(staff)
        job = lookup(self._storage, Job, job_id)
        checked = self._files.check(uploads, 20)
        with self._uow():
            return self._save_files(job, checked, visit_id, inputs.flag(shared, "shared"))

    def share_file(self, staff: StaffUser, file_id: str, shared: bool) -> JobFile:
        self._require(staff)
        with self._uow():
            found = lookup(self._storage, JobFile, file_id)
            return self._storage.update(attrs.evolve(found, shared=inputs.flag(shared, "shared")))

    def staff_visits(
        self,
        staff: StaffUser,
        *,
        day: date | None = None,
        technician: str = "",
        status: VisitStatus | None = None,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[StaffVisit]:
        """``MANAGE_JOBS``: visits by arrival, of one day (the company's), one technician, one
        status; each with its job and property."""
        self._require(staff)
        if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
            raise ValidationError(_("A day is written 2026-05-31."), field="day")
        technician = inputs.text(technician, "technician", max_length=MAX_NAME, required=False)
        where: dict[str, Any] = {"archived": False}
        start = datetime.min.replace(tzinfo=UTC)
        if status is not None:
            where["status"] = inputs.member(status, VisitStatus, "status")
        if day is not None:
            start = datetime.combine(day, datetime.min.time(), tzinfo=_zone_of(self._zone()))
            where["starts_at"] = AtLeast(start.astimezone(UTC))
        page = fetch(self._storage, Visit, order=("starts_at",), after=after, limit=limit, **where)
        kept, more = tuple(page), page.next_after
        if day is not None or technician:
            end = start.astimezone(UTC) + timedelta(days=1) if day is not None else None
            wanted = technician.strip().lower()
            kept = tuple(
                v
                for v in page
                if (end is None or v.starts_at < end)
                and (not wanted or any(t.name.lower() == wanted for t in v.technicians))
            )
            more = page.next_after if end is None or (page and page[-1].starts_at < end) else None
        jobs = self._storage.get_many(Job, {v.job_id for v in kept})
        props = self._storage.get_many(Property, {v.property_id for v in kept})
        return Page(
            tuple(
                StaffVisit(v, jobs[v.job_id], props[v.property_id])
                for v in kept
                if v.job_id in jobs and v.property_id in props
            ),
            more,
        )

    def staff_jobs(
        self, staff: StaffUser, status: JobStatus | None = None, *, after: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> Page[StaffJob]:
        """``MANAGE_JOBS``: jobs, newest first, each with its property and customer."""
        self._require(staff)
        where: dict[str, Any] = {} if status is None else {"status": inputs.member(status, JobStatus, "status")}
        page = fetch(self._storage, Job, order=("created_at",), descending=True, after=after, limit=limit, **where)
        props = self._storage.get_many(Property, {j.property_id for j in page})
        customers = self._storage.get_many(Customer, {p.customer_id for p in props.values()})
        return Page(
            tuple(
                StaffJob(
                    j,
                    props.get(j.property_id),
                    customers.get(props[j.property_id].customer_id) if j.property_id in props else None,
                )
                for j in page
            ),
            page.next_after,
        )

    def staff_job(self, staff: StaffUser, job_id: str) -> StaffJobView:
        """``MANAGE_JOBS``: a job with its property, every visit and every file (shared or not)."""
        self._require(staff)
        job = lookup(self._storage, Job, job_id)
        return StaffJobView(
            job,
            self._storage.get(Property, job.property_id),
            tuple(sorted(self._storage.find(Visit, job_id=job.id), key=lambda v: v.starts_at)),
            tuple(sorted(self._storage.find(JobFile, job_id=job.id), key=lambda f: f.added_at)),
        )

    def staff_file(self, staff: StaffUser, file_id: str) -> tuple[JobFile, bytes]:
        self._require(staff)
        found = lookup(self._storage, JobFile, file_id)
        data = self._files.get(found.file_key)
        if data is None:
            raise NotFound(_("This file is no longer available."))
        return found, data

    def visit_requests(
        self, staff: StaffUser, *, handled: bool = False, limit: int = DEFAULT_LIMIT
    ) -> list[CustomerSaid]:
        """``MANAGE_JOBS``: reschedule and cancel requests, oldest first, with who asked and the visit."""
        self._require(staff)
        found: Page[VisitRequest] = fetch(
            self._storage,
            VisitRequest,
            order=("created_at",),
            after=None,
            limit=limit,
            handled=inputs.flag(handled, "handled"),
        )
        visits = self._storage.get_many(Visit, {r.visit_id for r in found})
        return self._said(found, visits=visits)

    def handle_request(self, staff: StaffUser, request_id: str) -> VisitRequest:
        self._require(staff)
        with self._uow():
            request = lookup(self._storage, VisitRequest, request_id)
            return self._storage.update(attrs.evolve(request, handled=True))

    def ratings(self, staff: StaffUser, *, limit: int = 20) -> list[CustomerSaid]:
        """``MANAGE_JOBS``: the latest ratings, newest first, with who rated."""
        self._require(staff)
        return self._said(
            fetch(self._storage, VisitRating, order=("created_at",), descending=True, after=None, limit=limit)
        )

    def job_requests(
        self, staff: StaffUser, *, handled: bool = False, limit: int = DEFAULT_LIMIT
    ) -> list[CustomerSaid]:
        """``MANAGE_JOBS``: new work asked for, oldest first, with who asked and the property."""
        self._require(staff)
        found: Page[JobRequest] = fetch(
            self._storage,
            JobRequest,
            order=("created_at",),
            after=None,
            limit=limit,
            handled=inputs.flag(handled, "handled"),
        )
        return self._said(found, props=self._storage.get_many(Property, {r.property_id for r in found}))

    def handle_job_request(self, staff: StaffUser, request_id: str) -> JobRequest:
        self._require(staff)
        with self._uow():
            request = lookup(self._storage, JobRequest, request_id)
            return self._storage.update(attrs.evolve(request, handled=True))

    def _said(
        self,
        records: Iterable[Any],
        *,
        visits: dict[str, Visit] | None = None,
        props: dict[str, Property] | None = None,
    ) -> list[CustomerSaid]:
        records = list(records)
        contacts = self._storage.get_many(Contact, {r.contact_id for r in records})
        return [
            CustomerSaid(
                r,
                contacts.get(r.contact_id),
                (visits or {}).get(getattr(r, "visit_id", "")),
                (props or {}).get(getattr(r, "property_id", "")),
            )
            for r in records
        ]

    # -- shared by staff and host ----------------------------------------------------------------
    def _move(self, visit_id: str, starts_at: datetime, ends_at: datetime) -> Visit:
        with self._uow():
            visit = lookup(self._storage, Visit, visit_id)
            if visit.status not in OPEN_VISITS:
                raise InvalidTransition(_("A %(status)s visit cannot be moved.") % {"status": visit.status.value})
            moved = self._storage.update(
                attrs.evolve(visit, starts_at=starts_at, ends_at=ends_at, status=VisitStatus.SCHEDULED, eta=None)
            )
            for request in self._storage.find(VisitRequest, visit_id=visit.id, handled=False):
                self._storage.update(attrs.evolve(request, handled=True))
            self._announce(moved, lookup(self._storage, Job, moved.job_id), "visit_changed")
            return moved

    def _step(self, visit_id: str, to: VisitStatus, notice: str | None, **changes: Any) -> Visit:
        with self._uow():
            visit = lookup(self._storage, Visit, visit_id)
            if visit.status not in OPEN_VISITS:
                raise InvalidTransition(_("A %(status)s visit cannot change now.") % {"status": visit.status.value})
            done = self._storage.update(attrs.evolve(visit, status=to, **changes))
            self._announce(done, lookup(self._storage, Job, done.job_id), notice)
            return done

    def _complete(self, visit_id: str, notes: str, photos: Iterable[Upload], share: bool) -> Visit:
        notes = inputs.text(notes, "notes", max_length=MAX_TEXT, multiline=True, required=False)
        checked = self._files.check(photos, 20)
        with self._uow():
            visit = lookup(self._storage, Visit, visit_id)
            if visit.status not in OPEN_VISITS:
                raise InvalidTransition(_("A %(status)s visit cannot change now.") % {"status": visit.status.value})
            job = lookup(self._storage, Job, visit.job_id)
            saved = self._save_files(job, checked, visit.id, inputs.flag(share, "share_photos"))
            done = self._storage.update(
                attrs.evolve(
                    visit, status=VisitStatus.COMPLETED, completion_notes=notes, completed_at=self._clock.now()
                )
            )
            self._announce(done, job, "visit_completed", photos=sum(1 for f in saved if f.shared))
            return done

    def _save_files(
        self, job: Job, checked: list[tuple[Upload, str]], visit_id: str | None, shared: bool
    ) -> tuple[JobFile, ...]:
        if visit_id is not None:
            visit = lookup(self._storage, Visit, visit_id)
            if visit.job_id != job.id:
                raise ValidationError(_("That visit is of another job."), field="visit_id")
        saved = tuple(
            JobFile(
                job_id=job.id,
                visit_id=visit_id,
                filename=upload.filename,
                content_type=kind,
                file_key=self._files.put(upload.data),
                size=len(upload.data),
                shared=shared,
                added_at=self._clock.now(),
            )
            for upload, kind in checked
        )
        self._storage.insert_many(saved)
        return saved

    def _announce(self, visit: Visit, job: Job, notice: str | None, **facts: Any) -> None:
        """Inside a unit of work: the host hears of the change; the job's contact is told."""
        self._outbox.event(
            VisitChanged(
                event_id=f"visit:{visit.id}:{visit.version}",
                company_id=self._settings.company_id,
                visit_id=visit.id,
                job_id=job.id,
                status=visit.status.value,
                starts_at=visit.starts_at.isoformat(),
                ends_at=visit.ends_at.isoformat(),
                external_ids=external_ids(visit=visit, job=job),
            )
        )
        if notice is None:
            return
        contact = self._job_contact(job)
        if contact is None:
            return
        self._notifier.tell(
            notice,
            key=f"{visit.id}:{visit.version}",
            contact=contact,
            visit=visit,
            job=job,
            technicians=", ".join(t.name for t in visit.technicians),
            zone=contact.time_zone or self._zone(),
            link=f"{self._settings.current.portal_url}/jobs/{job.id}",
            **facts,
        )

    def _job_contact(self, job: Job) -> Contact | None:
        """Who hears of a job's visits: its main contact, else the property's primary contact —
        while they are active and may see jobs."""
        prop = self._storage.get(Property, job.property_id)
        contact_id = job.main_contact_id or (prop.primary_contact_id if prop else None)
        contact = self._storage.get(Contact, contact_id) if contact_id else None
        if contact is None or prop is None or not job_visible(contact, job, prop, Section.JOBS, self._settings.current):
            return None
        return contact

    def _customer_contact(self, prop: Property, contact_id: str | None) -> str | None:
        if contact_id is None:
            return None
        contact = lookup(self._storage, Contact, contact_id)
        if contact.customer_id != prop.customer_id:
            raise ValidationError(_("That contact is another customer's."), field="main_contact_id")
        return contact.id

    def _require(self, staff: StaffUser) -> None:
        require(staff, Permission.MANAGE_JOBS, self._settings.company_id)

    def _zone(self) -> str:
        return self._settings.current.time_zone


class HostJobs:
    """The host's typed calls on visits it syncs, by its own ids (trusted, like ``sync``: no
    staff user): the same notices and rules as the staff pages."""

    def __init__(self, jobs: Jobs):
        self._jobs = jobs

    def _visit(self, external_id: str) -> Visit:
        found = self._jobs._storage.find(Visit, external_id=inputs.text(external_id, "external_id", max_length=200))
        if not found:
            raise NotFound(f"No visit with the host id {external_id!r}")
        return found[0]

    def technician_photo(self, photo: Upload) -> str:
        """Keep a technician's photo (PNG, JPEG, GIF or WebP); the key goes in
        ``Technician(name=..., photo_key=key)`` of the visits the host syncs."""
        [(checked, kind)] = self._jobs._files.check([photo], 1)
        if not kind.startswith("image/"):
            raise ValidationError(_("Attach photos (PNG, JPEG, GIF or WebP)."), field="photo")
        return self._jobs._files.put(checked.data)

    def scheduled(self, external_id: str) -> Visit:
        """Tell the contact of a visit the host synced (sync itself tells no one)."""
        visit = self._visit(external_id)
        with self._jobs._uow():
            self._jobs._announce(visit, lookup(self._jobs._storage, Job, visit.job_id), "visit_scheduled")
        return visit

    def moved(self, external_id: str, starts_at: datetime, ends_at: datetime) -> Visit:
        return self._jobs._move(self._visit(external_id).id, *_window(starts_at, ends_at))

    def on_the_way(self, external_id: str, eta: datetime) -> Visit:
        return self._jobs._step(
            self._visit(external_id).id, VisitStatus.ON_THE_WAY, "visit_on_the_way", eta=_aware(eta, "eta")
        )

    def started(self, external_id: str) -> Visit:
        return self._jobs._step(self._visit(external_id).id, VisitStatus.IN_PROGRESS, None)

    def completed(
        self, external_id: str, notes: str = "", photos: Iterable[Upload] = (), *, share_photos: bool = True
    ) -> Visit:
        return self._jobs._complete(self._visit(external_id).id, notes, photos, share_photos)

    def canceled(self, external_id: str) -> Visit:
        return self._jobs._step(self._visit(external_id).id, VisitStatus.CANCELED, "visit_changed")


def _aware(value: object, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(f"{field} must be a timezone-aware datetime", field=field)
    return value.astimezone(UTC)


def checked_crew(technicians: object) -> tuple[Technician, ...]:
    """Who comes on a visit: ``Technician`` records with a name of at most ``MAX_NAME`` characters."""
    crew = tuple(inputs.items(technicians, "technicians", max_count=20))
    if not all(isinstance(t, Technician) for t in crew):
        raise ValidationError("technicians must be Technicians", field="technicians")
    return tuple(
        attrs.evolve(
            t,
            name=inputs.text(t.name, "technicians", max_length=MAX_NAME),
            photo_key=inputs.text(t.photo_key, "technicians", max_length=200, required=False),
        )
        for t in crew
    )


def _window(starts_at: object, ends_at: object) -> tuple[datetime, datetime]:
    start, end = _aware(starts_at, "starts_at"), _aware(ends_at, "ends_at")
    if end <= start:
        raise ValidationError(_("The arrival window must end after it starts."), field="ends_at")
    return start, end


def _zone_of(name: str) -> Any:
    from .._core.local_time import zone

    return zone(name)
