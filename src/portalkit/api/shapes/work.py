"""Proposals (PRO-*), issues (ISS-*), reports (VIS-3), jobs and visits (JOB-*), notices (TXT-*)."""

from __future__ import annotations

from typing import Literal

import attrs

from .account import PropertyOut
from .billing import InvoiceOut, PaymentOut
from .common import Cursor, Day, FileLink, Id, Limit, Money, Time

ProposalStatusCode = Literal["approved", "delivered", "in_production", "won", "complete", "lost"]
PriorityCode = Literal["high", "medium", "low"]
VisitStatusCode = Literal["scheduled", "on_the_way", "in_progress", "completed", "canceled"]
JobStatusCode = Literal["scheduled", "in_progress", "completed", "canceled"]


@attrs.frozen(kw_only=True)
class ProposalOut:
    """PRO-1's row: ``can_sign`` (PRO-2) and ``select_and_sign`` (PRO-3)."""

    id: Id
    number: str
    property_id: Id
    property_name: str
    description: str
    status: ProposalStatusCode
    estimated_start: Day
    cost: Money
    can_sign: bool
    select_and_sign: bool
    signed: bool
    pdf_url: str


@attrs.frozen(kw_only=True)
class ProposalPage:
    items: list[ProposalOut]
    next_after: Cursor


@attrs.frozen(kw_only=True)
class ServiceOut:
    id: Id
    name: str
    price: Money
    optional: bool
    chosen: bool


@attrs.frozen(kw_only=True)
class SignatureOut:
    signer_name: str
    signed_at: Time
    total: Money


@attrs.frozen(kw_only=True)
class ProposalDetail:
    """A proposal in full before signing: its services, the deposit due at signing (an amount,
    or ``deposit_percent`` of the chosen total) and the consent the signer agrees to."""

    proposal: ProposalOut
    services: list[ServiceOut]
    deposit: Money
    deposit_percent: bool
    deposit_invoice_id: Id | None
    consent_text: str
    signature: SignatureOut | None


@attrs.frozen(kw_only=True)
class SignOrder:
    """PRO-2..4: a drawn signature (a PNG data URL) or the signer's name typed; the chosen
    optional services; the consent ticked; the method paying a deposit, when one is due."""

    signature: str | None = None
    typed_name: str | None = None
    services: list[Id] = []
    consent: bool = False
    deposit_method_id: Id | None = None


@attrs.frozen(kw_only=True)
class SignResult:
    proposal: ProposalDetail
    deposit_payment: PaymentOut | None


@attrs.frozen(kw_only=True)
class IssueOut:
    id: Id
    number: int
    property_id: Id
    subject: str
    priority: PriorityCode
    status: Literal["open", "closed"]
    notes: str
    created_at: Time
    last_updated: Time


@attrs.frozen(kw_only=True)
class IssuePage:
    items: list[IssueOut]
    next_after: Cursor


@attrs.frozen(kw_only=True)
class CommentOut:
    """ISS-4: the contact's comments and the staff's public ones, with their shared files."""

    id: Id
    author_name: str
    by_staff: bool
    text: str
    at: Time
    files: list[FileLink]


@attrs.frozen(kw_only=True)
class IssueDetail:
    issue: IssueOut
    files: list[FileLink]
    comments: list[CommentOut]


@attrs.frozen(kw_only=True)
class NewIssue:
    """ISS-2 (as JSON, or as multipart/form-data with photos in ``files``)."""

    property_id: Id
    subject: str
    priority: PriorityCode = "medium"
    notes: str = ""


@attrs.frozen(kw_only=True)
class NewComment:
    """ISS-5 (as JSON, or as multipart/form-data with one attachment in ``file``)."""

    text: str


@attrs.frozen(kw_only=True)
class NewQuoteRequest:
    property_id: Id
    description: str


@attrs.frozen(kw_only=True)
class QuoteRequestOut:
    id: Id
    property_id: Id
    created_at: Time


@attrs.frozen(kw_only=True)
class ReportOut:
    id: Id
    property_id: Id
    kind: Literal["inspection", "service"]
    title: str
    performed_on: Day
    pdf_url: str


@attrs.frozen(kw_only=True)
class ReportPage:
    items: list[ReportOut]
    next_after: Cursor


@attrs.frozen(kw_only=True)
class JobOut:
    id: Id
    number: str
    property_id: Id
    title: str
    job_type: str
    status: JobStatusCode
    description: str
    created_at: Time


@attrs.frozen(kw_only=True)
class JobPage:
    items: list[JobOut]
    next_after: Cursor


@attrs.frozen(kw_only=True)
class VisitOut:
    """A visit's arrival window (UTC), who comes and how it went; ``can_change``: a reschedule
    or cancel request is possible (JOB-3); ``calendar_url``: the visit as an .ics file."""

    id: Id
    job_id: Id
    job_number: str
    job_title: str
    property_id: Id
    starts_at: Time
    ends_at: Time
    status: VisitStatusCode
    eta: Time | None
    technicians: list[str]
    completion_notes: str
    completed_at: Time | None
    can_change: bool
    calendar_url: str


@attrs.frozen(kw_only=True)
class VisitPage:
    items: list[VisitOut]
    next_after: Cursor


@attrs.frozen(kw_only=True)
class JobDetail:
    """A job with its visits, the files staff shared (VIS-7), the linked proposal and the
    invoices the contact may see, and the visits this contact rated."""

    job: JobOut
    property: PropertyOut
    visits: list[VisitOut]
    files: list[FileLink]
    proposal_id: Id | None
    invoices: list[InvoiceOut]
    rated_visit_ids: list[Id]


@attrs.frozen(kw_only=True)
class ChangeRequest:
    """JOB-3: ask to reschedule or cancel an upcoming visit."""

    kind: Literal["reschedule", "cancel"]
    reason: str
    preferred_times: str = ""


@attrs.frozen(kw_only=True)
class ChangeRequestOut:
    id: Id
    visit_id: Id
    kind: Literal["reschedule", "cancel"]
    created_at: Time


@attrs.frozen(kw_only=True)
class Rating:
    """JOB-4: 1 to 5 stars for a completed visit, once."""

    stars: int
    comment: str = ""


@attrs.frozen(kw_only=True)
class RatingOut:
    id: Id
    visit_id: Id
    stars: int
    comment: str
    created_at: Time


@attrs.frozen(kw_only=True)
class NewJobRequest:
    """JOB-5: new work (as JSON, or as multipart/form-data with photos in ``photos``)."""

    property_id: Id
    job_type: str
    description: str
    preferred_dates: str = ""


@attrs.frozen(kw_only=True)
class JobRequestOut:
    id: Id
    property_id: Id
    job_type: str
    created_at: Time


@attrs.frozen(kw_only=True)
class CalendarLink:
    """The contact's private calendar feed to subscribe to; replacing it ends the old one."""

    url: str


@attrs.frozen(kw_only=True)
class QuietHours:
    from_hour: int
    to_hour: int


@attrs.frozen(kw_only=True)
class NoticeChoice:
    """One notice with a choice to make: the channels it may use and those the contact chose."""

    kind: str
    label: str
    optional: bool
    channels: list[Literal["mail", "text"]]
    chosen: list[Literal["mail", "text"]]


@attrs.frozen(kw_only=True)
class Notices:
    """TXT-1..4: how the contact hears from the company."""

    texting: bool
    phone: str | None
    phone_verified: bool
    texts_stopped: bool
    quiet_hours: QuietHours | None
    time_zone: str
    notices: list[NoticeChoice]


@attrs.frozen(kw_only=True)
class NoticeChange:
    """Per notice, the channels wanted (``[]`` turns an optional one off); quiet hours or null;
    the contact's IANA time zone ('' is the company's)."""

    notices: dict[str, list[Literal["mail", "text"]]] = {}
    quiet_hours: QuietHours | None = None
    time_zone: str = ""


@attrs.frozen(kw_only=True)
class PhoneNumber:
    phone: str


@attrs.frozen(kw_only=True)
class PhoneCode:
    code: str


@attrs.frozen(kw_only=True)
class ListQuery:
    property_id: Id
    after: Id | None = None
    limit: Limit = 50


@attrs.frozen(kw_only=True)
class ProposalQuery:
    property_id: Id
    status: Literal["open", "work_in_process"] = "open"
    after: Id | None = None
    limit: Limit = 50


@attrs.frozen(kw_only=True)
class IssueQuery:
    property_id: Id
    status: Literal["open", "closed"] = "open"
    after: Id | None = None
    limit: Limit = 50


@attrs.frozen(kw_only=True)
class VisitQuery:
    """Upcoming visits earliest first, past ones latest first; of one property or all."""

    property_id: Id | None = None
    when: Literal["upcoming", "past"] = "upcoming"
    after: Id | None = None
    limit: Limit = 50
