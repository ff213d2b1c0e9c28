"""Domain records. Frozen attrs classes: change one with ``attrs.evolve`` and store it back.

Every stored record has an ``id`` and a ``version``; storage bumps ``version`` on each update
and refuses an update made from a stale copy (optimistic locking).
"""

from __future__ import annotations

import enum
import secrets
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

DEFAULT_COMPANY = "default"


def new_id() -> str:
    return uuid.uuid4().hex


def _id_field() -> Any:
    return attrs.field(factory=new_id)


class Coded(enum.Enum):
    """An enum whose stored value is a stable code (``"not_enrolled"``, ``"in_production"``):
    what people read is its label (``portalkit.labels``, in their language), so a change of
    wording is never a data migration. The English label it was stored as before codes
    (``"Not Enrolled"``, ``"In Production"``) still names its member, for hosts and old rows."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            code = "_".join(value.strip().lower().split())
            for member in cls:
                if member.value == code:
                    return member
        return None


class PortalStatus(Coded):
    NOT_ENROLLED = "not_enrolled"
    INVITED = "invited"
    ENROLLED = "enrolled"


class HistoryKind(Coded):
    INVITATION_SENT = "invitation_sent"
    LINK_OPENED = "link_opened"
    REGISTERED = "registered"
    SUSPENDED = "suspended"
    UNSUSPENDED = "unsuspended"
    PASSWORD_CHANGED = "password_changed"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"


class Permission(enum.Enum):
    SEND_PORTAL_INVITATION = "send_portal_invitation"
    MANAGE_CONTACTS = "manage_contacts"
    MANAGE_BILLING = "manage_billing"
    MANAGE_PROPOSALS = "manage_proposals"
    MANAGE_ISSUES = "manage_issues"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_STAFF = "manage_staff"
    MANAGE_REPORTS = "manage_reports"
    MANAGE_JOBS = "manage_jobs"


class Role(Coded):
    """The default staff roles (the Aspire manual's); each one a set of permissions
    (``permissions.ROLE_PERMISSIONS``). Every one may send portal invitations (INV-2)."""

    SYSTEM_ADMINISTRATOR = "system_administrator"
    BRANCH_ADMINISTRATOR = "branch_administrator"
    BRANCH_MANAGER = "branch_manager"
    ACCOUNT_MANAGER = "account_manager"


class ReportKind(Coded):
    """The documents of a visit (Inspect Point): each behind its own access flag (VIS-3)."""

    INSPECTION = "inspection_report"
    SERVICE = "service_report"


class ProposalStatus(Coded):
    APPROVED = "approved"
    DELIVERED = "delivered"
    IN_PRODUCTION = "in_production"
    WON = "won"
    COMPLETE = "complete"
    LOST = "lost"


class PaymentStatus(enum.Enum):
    """See the state machine in ``portalkit.billing`` and docs/payments.md."""

    INITIATED = "initiated"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SETTLED = "settled"
    FAILED = "failed"
    CANCELED = "canceled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    RETURNED = "returned"
    DISPUTED = "disputed"


class MethodKind(enum.Enum):
    CARD = "card"
    ACH = "ach"


class Priority(Coded):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class IssueStatus(Coded):
    OPEN = "open"
    CLOSED = "closed"


@attrs.frozen(kw_only=True)
class Access:
    """Per-contact access flags (VIS-3)."""

    invoices: bool = True
    proposals: bool = True
    issues: bool = True
    inspection_reports: bool = True
    service_reports: bool = True
    quote_requests: bool = False
    jobs: bool = True  # jobs and visits of the contact's properties (VIS-6 decides which)
    job_requests: bool = False  # may ask for new work from the portal (Ascora's "create new Jobs")


@attrs.frozen(kw_only=True)
class StaffUser:
    id: str = _id_field()
    email: str
    name: str
    permissions: frozenset[Permission] = frozenset()
    role: Role | None = None  # the default role its permissions came from, if any
    external_id: str | None = None  # the host's own id for it (sync)
    archived: bool = False  # deleted in the host: gone from the portal, kept for what refers to it
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Customer:
    id: str = _id_field()
    name: str
    external_id: str | None = None  # the host's own id for it (sync)
    archived: bool = False  # deleted in the host: gone from the portal, kept for what refers to it
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Property:
    id: str = _id_field()
    customer_id: str
    name: str
    primary_contact_id: str | None = None
    billing_contact_id: str | None = None  # sees every invoice of the property, as the primary does (VIS-2)
    account_owner_email: str | None = None
    operations_manager_email: str | None = None
    external_id: str | None = None  # the host's own id for it (sync)
    archived: bool = False  # deleted in the host: gone from the portal, kept for what refers to it
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Contact:
    id: str = _id_field()
    customer_id: str
    first_name: str
    last_name: str
    email: str | None = None
    property_ids: tuple[str, ...] = ()
    account_wide: bool = False
    main_contact_only: bool = False
    access: Access = Access()
    portal_status: PortalStatus = PortalStatus.NOT_ENROLLED
    suspended: bool = False
    suspension_note: str = ""
    password_hash: str | None = None
    invite_nonce: int = 0
    credential_epoch: int = 0
    login_link_nonce: int = 0  # a sign-in link carries it; using one moves it on (single use)
    pending_email: str | None = None  # asked for, not yet confirmed from that address (ACC-5)
    email_change_nonce: int = 0  # a confirmation link carries it; a newer request or a confirmation moves it on
    # Text messages (notify): a mobile number in E.164, used only once verified by a code, never
    # after the contact replied STOP, never in their quiet hours (in their time zone).
    phone: str | None = None
    phone_verified: bool = False
    phone_code_hash: str | None = None  # the verification code sent, hashed; one at a time
    phone_code_sent_at: datetime | None = None
    phone_code_attempts: int = 0
    texts_stopped: bool = False  # the contact replied STOP (START turns texts on again)
    quiet_hours: tuple[int, int] | None = None  # (from hour, to hour), e.g. (21, 8): no texts then
    time_zone: str = ""  # IANA name ("America/Chicago"); "" is the company's
    notices: dict[str, list[str]] = attrs.field(factory=dict)  # notice kind -> channels chosen ("mail", "text")
    calendar_nonce: int = 0  # the private calendar feed's link carries it; moving it on revokes the link
    receipts_opt_in: bool = False
    language: str = "en"  # pages after login and the mails to the contact (``i18n.LANGUAGES``)
    processor_customer: str | None = None
    external_id: str | None = None  # the host's own id for it (sync)
    archived: bool = False  # deleted in the host: gone from the portal, kept for what refers to it
    company_id: str = DEFAULT_COMPANY
    version: int = 0

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def address(self) -> str:
        """The contact's email, for mail that must have one."""
        if not self.email:
            raise ValueError(f"contact {self.id} has no email")
        return self.email


@attrs.frozen(kw_only=True)
class StatusEvent:
    """One line of a contact's portal status history (INV-8)."""

    id: str = _id_field()
    contact_id: str
    kind: HistoryKind
    at: datetime
    detail: str = ""
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Invoice:
    id: str = _id_field()
    number: str
    property_id: str
    billing_contact_id: str | None = None
    amount: Decimal
    amount_due: Decimal
    invoice_date: date
    net_days: int = 30
    due_date: date = attrs.field(
        default=attrs.Factory(lambda i: i.invoice_date + timedelta(days=i.net_days), takes_self=True)
    )
    pending_amount: Decimal = Decimal("0.00")
    paid_on: date | None = None
    terms: str = ""  # the company's payment terms, printed on the PDF
    proposal_id: str | None = None  # the proposal it bills: its first invoice takes the paid deposit off
    deposit_credit: Decimal = Decimal("0.00")  # the deposit taken off this invoice's amount due
    external_id: str | None = None  # the host's own id for it (sync)
    archived: bool = False  # deleted in the host: gone from the portal, kept for what refers to it
    company_id: str = DEFAULT_COMPANY
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.amount_due > 0

    @property
    def payment_pending(self) -> bool:
        return self.pending_amount > 0


@attrs.frozen(kw_only=True)
class InvoiceLine:
    """One line of an invoice, in a table of its own: no invoice list reads them."""

    id: str = _id_field()
    invoice_id: str
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class PaymentMethod:
    """A saved card or bank account: the processor's token and what it told us, never a number."""

    id: str = _id_field()
    contact_id: str
    kind: MethodKind
    label: str
    last4: str
    token: str
    brand: str = ""
    exp_month: int | None = None
    exp_year: int | None = None
    funding: str = ""  # credit, debit or prepaid (cards)
    mandate: str = ""  # ACH: the debit authorisation the customer accepted, word for word (Nacha)
    mandate_accepted_at: datetime | None = None
    is_default: bool = False
    removed: bool = False
    company_id: str = DEFAULT_COMPANY
    version: int = 0

    def expired(self, today: date) -> bool:
        if self.kind is not MethodKind.CARD or self.exp_year is None or self.exp_month is None:
            return False
        return (self.exp_year, self.exp_month) < (today.year, today.month)


@attrs.frozen(kw_only=True)
class Payment:
    id: str = _id_field()
    invoice_id: str
    contact_id: str
    method_id: str
    method_kind: MethodKind
    amount: Decimal
    fee: Decimal
    idempotency_key: str
    status: PaymentStatus = PaymentStatus.INITIATED
    processor_ref: str = ""
    failure_reason: str = ""
    action_secret: str = ""
    refunded_amount: Decimal = Decimal("0.00")  # sent back and confirmed by the processor
    refunding_amount: Decimal = Decimal("0.00")  # reserved by refunds the processor has not answered yet
    created_at: datetime
    settled_at: datetime | None = None
    reversed_at: datetime | None = None  # when money last went back: a refund or a return
    autopay_attempt: int = 0  # 0: the contact paid; n: the n-th automatic attempt on the invoice
    tip: Decimal = Decimal("0.00")  # charged with the payment, never part of the invoice's amount (TIP-*)
    instalment_id: str | None = None  # the payment plan instalment it pays (PLN-*)
    company_id: str = DEFAULT_COMPANY
    version: int = 0

    @property
    def total(self) -> Decimal:
        """What the processor charges: the amount, the card fee (on the amount only) and the tip."""
        return self.amount + self.fee + self.tip


class RefundStatus(enum.Enum):
    PENDING = "pending"  # reserved on the payment, asked of the processor
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the processor refused it: the reservation is handed back


@attrs.frozen(kw_only=True)
class Refund:
    """Money sent back on a payment, a child of it (as Odoo's refund transactions): one per
    request, its amount reserved on the payment before the processor is asked, so refunds never
    add up to more than was paid. ``request_key`` is the requester's (a form's nonce): the same
    request twice is one refund. Refunds the processor reports that no request asked for (made
    in its dashboard) are recorded too, ``requested_by`` "processor"."""

    id: str = _id_field()
    payment_id: str
    amount: Decimal
    status: RefundStatus = RefundStatus.PENDING
    request_key: str | None = None
    requested_by: str
    created_at: datetime
    completed_at: datetime | None = None
    failure_reason: str = ""
    company_id: str = DEFAULT_COMPANY
    version: int = 0

    @property
    def processor_key(self) -> str:
        """The idempotency key the processor gets: one per refund, so a retry refunds once."""
        return f"refund:{self.id}"


@attrs.frozen(kw_only=True)
class AutopayConsent:
    """A contact's authorisation to pay new invoices with a saved method on their due date, as
    given: the words they agreed to, when and from where; revoked, it is kept (revoked_at)."""

    id: str = _id_field()
    contact_id: str
    method_id: str
    consent_text: str
    accepted_at: datetime
    ip_address: str = ""
    revoked_at: datetime | None = None
    company_id: str = DEFAULT_COMPANY
    version: int = 0


class PlanStatus(enum.Enum):
    """A payment plan's state (``portalkit.billing``, docs/payments.md):

    offered ──accept──▶ active ──every instalment paid──▶ completed
       │                  ├──customer revokes──▶ revoked
       │                  ├──an instalment missed (retries exhausted)──▶ missed
       └──▶ canceled ◀────┴──staff end it, or the invoice changed
    """

    OFFERED = "offered"
    ACTIVE = "active"
    COMPLETED = "completed"
    REVOKED = "revoked"
    MISSED = "missed"
    CANCELED = "canceled"


class InstalmentStatus(enum.Enum):
    SCHEDULED = "scheduled"  # charged on its date (in the company's time zone)
    CHARGING = "charging"  # a payment is with the processor
    PAID = "paid"
    MISSED = "missed"  # every attempt failed
    CANCELED = "canceled"  # the plan ended before it was charged


@attrs.frozen(kw_only=True)
class PaymentPlan:
    """An invoice's amount due split into instalments, offered by staff (or set up by the
    customer where the company allows it) to one contact, who accepts it with a recorded
    consent (``PlanConsent``) naming the method charged."""

    id: str = _id_field()
    invoice_id: str
    contact_id: str  # who may accept it, and whose method pays it
    amount: Decimal  # the invoice's amount due when it was offered: the instalments add up to it
    count: int
    interval: str  # "weekly", "biweekly" or "monthly"
    status: PlanStatus = PlanStatus.OFFERED
    offered_by: str  # a staff member's email, or "customer"
    created_at: datetime
    accepted_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str = ""
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Instalment:
    """One instalment of a plan: its number (1..count), the day it is charged, its amount to
    the cent, and how charging it went (``attempts`` made; each attempt's payment carries
    ``instalment_id``)."""

    id: str = _id_field()
    plan_id: str
    number: int
    due_on: date
    amount: Decimal
    status: InstalmentStatus = InstalmentStatus.SCHEDULED
    attempts: int = 0
    paid_at: datetime | None = None
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class PlanConsent:
    """A contact's authorisation to charge a plan's instalments with a saved method, as given:
    the words shown (what is charged, when, from which method; for a bank account, the debit
    authorisation), the method, when, from which address and browser; revoked, it is kept."""

    id: str = _id_field()
    plan_id: str
    contact_id: str
    method_id: str
    method_label: str  # the method as the consent named it ("Visa ending 4242")
    consent_text: str
    accepted_at: datetime
    ip_address: str = ""
    user_agent: str = ""
    revoked_at: datetime | None = None
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Service:
    id: str = _id_field()
    name: str
    price: Decimal
    optional: bool = False


@attrs.frozen(kw_only=True)
class Signature:
    image_key: str  # the PNG the signer drew, in the file store
    image_type: str = "image/png"
    signer_contact_id: str
    signer_name: str
    signed_at: datetime
    ip_address: str
    selected_service_ids: tuple[str, ...] = ()
    total: Decimal
    # the audit trail (issue 15): who, with what, agreeing to what, on which document
    signer_email: str = ""
    user_agent: str = ""
    consent_text: str = ""
    document_sha256: str = ""  # of the proposal as shown when signed (``proposals.document_sha256``)


@attrs.frozen(kw_only=True)
class Proposal:
    id: str = _id_field()
    number: str
    property_id: str
    description: str
    status: ProposalStatus
    estimated_start: date
    services: tuple[Service, ...] = ()
    sales_rep_email: str | None = None
    main_contact_id: str | None = None
    signature: Signature | None = None
    deposit: Decimal = Decimal("0.00")  # due at signing: an amount, or a percent of the chosen total
    deposit_percent: bool = False
    deposit_invoice_id: str | None = None  # the invoice the deposit was billed and paid on
    external_id: str | None = None  # the host's own id for it (sync)
    archived: bool = False  # deleted in the host: gone from the portal, kept for what refers to it
    company_id: str = DEFAULT_COMPANY
    version: int = 0

    @property
    def has_optional_services(self) -> bool:
        return any(s.optional for s in self.services)

    @property
    def cost(self) -> Decimal:
        return sum((s.price for s in self.services if not s.optional), Decimal("0.00"))


@attrs.frozen(kw_only=True)
class Attachment:
    """A file on an issue (``comment_id`` None) or on one of its comments: its name and a
    reference into the file store, never its bytes, in a table of its own so that no list of
    issues or comments reads them. Staff files stay hidden from the portal until shared (VIS-7)."""

    id: str = _id_field()
    issue_id: str
    comment_id: str | None = None
    position: int = 0  # the order it was attached in, within its issue or comment
    filename: str
    content_type: str
    file_key: str
    size: int
    shared: bool = True
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Comment:
    id: str = _id_field()
    issue_id: str
    author_name: str
    by_staff: bool
    text: str
    at: datetime
    public: bool = True
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Issue:
    id: str = _id_field()
    number: int
    property_id: str
    subject: str
    priority: Priority = Priority.MEDIUM
    notes: str = ""
    status: IssueStatus = IssueStatus.OPEN
    created_by_contact_id: str | None = None
    main_contact_id: str | None = None
    created_at: datetime
    last_updated: datetime
    attachment_bytes: int = 0  # of the issue's and its comments' files (the per-issue quota)
    company_id: str = DEFAULT_COMPANY
    version: int = 0


class JobStatus(enum.Enum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELED = "canceled"


class VisitStatus(enum.Enum):
    SCHEDULED = "scheduled"
    ON_THE_WAY = "on_the_way"  # the technician left ("on my way"), with an arrival estimate
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELED = "canceled"


class VisitRequestKind(enum.StrEnum):
    """What a contact asks of a visit. A ``StrEnum``: it equals its code (``== "cancel"``)."""

    RESCHEDULE = "reschedule"
    CANCEL = "cancel"


class OutboxKind(enum.StrEnum):
    """What an outbox message carries: a mail, a text message, or an event for the host."""

    MAIL = "mail"
    TEXT = "text"
    EVENT = "event"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher, until its lease ends
    SENT = "sent"
    DEAD = "dead"  # every attempt failed


class WebhookOutcome(enum.StrEnum):
    """Where a received processor webhook went."""

    RECEIVED = "received"
    INVALID = "invalid"  # its signature, timestamp or body did not verify
    APPLIED = "applied"
    IGNORED = "ignored"  # a repeat, or about no payment of this portal
    ERROR = "error"  # applying it failed: reprocessable


@attrs.frozen(kw_only=True)
class Job:
    """Work the company does at a property (Ascora's Jobs), made of visits; the host feeds it by
    its ids (``portal.sync``) and changes it with typed calls (``portal.jobs``)."""

    id: str = _id_field()
    number: str
    property_id: str
    title: str
    job_type: str = ""  # "Maintenance", "Irrigation repair"... (the job-notification lists are per type)
    status: JobStatus = JobStatus.SCHEDULED
    description: str = ""
    main_contact_id: str | None = None  # VIS-6: "main contact only" contacts see only their jobs
    proposal_id: str | None = None
    invoice_ids: tuple[str, ...] = ()
    created_at: datetime
    external_id: str | None = None
    archived: bool = False
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Technician:
    """Who comes: the display name and, optionally, a photo (a file store key)."""

    name: str
    photo_key: str = ""


@attrs.frozen(kw_only=True)
class Visit:
    """One trip to the property for a job: its arrival window, who comes, how it went."""

    id: str = _id_field()
    job_id: str
    property_id: str  # the job's, so a property's visits are one indexed read
    starts_at: datetime  # the arrival window
    ends_at: datetime
    technicians: tuple[Technician, ...] = ()
    status: VisitStatus = VisitStatus.SCHEDULED
    eta: datetime | None = None  # "on my way": when the technician expects to arrive
    completion_notes: str = ""
    completed_at: datetime | None = None
    external_id: str | None = None
    archived: bool = False
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class JobFile:
    """A photo or file of a job (or one of its visits); hidden from the portal until staff share
    it (VIS-7). Its bytes are in the file store."""

    id: str = _id_field()
    job_id: str
    visit_id: str | None = None
    filename: str
    content_type: str
    file_key: str
    size: int
    shared: bool = False
    added_at: datetime
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class VisitRequest:
    """A contact's request to reschedule or cancel a visit: reason and preferred times; staff
    (and the host, by its event) answer it by moving the visit."""

    id: str = _id_field()
    visit_id: str
    contact_id: str
    kind: VisitRequestKind = attrs.field(converter=VisitRequestKind)
    reason: str
    preferred_times: str = ""
    created_at: datetime
    handled: bool = False
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class VisitRating:
    """A contact's one-click rating (1-5) of a completed visit, with an optional comment."""

    id: str = _id_field()
    visit_id: str
    contact_id: str
    stars: int
    comment: str = ""
    created_at: datetime
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class JobRequest:
    """New work a contact asks for from the portal (Ascora's "create new Jobs")."""

    id: str = _id_field()
    contact_id: str
    property_id: str
    job_type: str
    description: str
    preferred_dates: str = ""
    file_keys: tuple[str, ...] = ()  # photos of the problem, in the file store
    created_at: datetime
    handled: bool = False
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Report:
    """An inspection or service report on a property (building): its PDF in the file store."""

    id: str = _id_field()
    property_id: str
    kind: ReportKind
    title: str
    performed_on: date
    filename: str
    file_key: str
    size: int
    external_id: str | None = None  # the host's own id for it: adding it again replaces it
    job_id: str | None = None  # the job it reports on: shown on the job's page too (issue 26)
    archived: bool = False
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class QuoteRequest:
    """New work a customer asks for from the portal (PRO-7)."""

    id: str = _id_field()
    contact_id: str
    property_id: str
    description: str
    created_at: datetime
    handled: bool = False
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class Counter:
    """A named sequence (issue numbers); its version makes increments race-free."""

    id: str
    value: int = 0
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class LoginThrottle:
    """Failed logins for one email within the current window."""

    id: str
    failures: int = 0
    window_start: datetime | None = None
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class ProcessedEvent:
    """A processor event already applied, so a redelivery is ignored. Its id is the company's,
    the processor's name and the processor's event id (``payments.processed_event_id``): two
    companies on one storage may receive events with the same id."""

    id: str
    payment_id: str
    kind: str
    received_at: datetime
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class WebhookEvent:
    """One webhook the processor sent, stored before it is processed (as dj-stripe keeps its
    ``WebhookEventTrigger``): whether it verified, the event it carried, and how processing
    went (``outcome``: received, invalid, applied, ignored — a repeat or no payment of this
    portal — or error, with the exception), so a failed one can be processed again."""

    id: str = _id_field()
    processor: str
    received_at: datetime
    body: str  # as received (decoded as UTF-8, at most 1 MB; invalid ones cut short)
    valid: bool = False
    event: dict[str, Any] | None = None  # the verified ProcessorEvent
    event_id: str = ""
    kind: str = ""
    outcome: WebhookOutcome = attrs.field(default=WebhookOutcome.RECEIVED, converter=WebhookOutcome)
    exception: str = ""
    attempts: int = 0
    processed_at: datetime | None = None
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class LoginSession:
    """One logged-in device of a contact. Logging out deletes it, so a copied session cookie
    stops working at once (ASVS 3.3.1); a password change or suspension ends them all."""

    id: str = attrs.field(factory=lambda: secrets.token_urlsafe(24))
    contact_id: str
    created_at: datetime
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class StaffSession:
    """One signed-in staff user of a host whose framework keeps no server-side session (Flask):
    the cookie holds only this id, so logging out (deleting it) ends every copy of the cookie,
    and the host's user and permissions are loaded again on every request."""

    id: str = attrs.field(factory=lambda: secrets.token_urlsafe(24))
    staff_id: str
    created_at: datetime
    company_id: str = DEFAULT_COMPANY
    version: int = 0


# -- a second step at sign-in (issue 27: portalkit.twostep) ------------------------------------------
@attrs.frozen(kw_only=True)
class Passkey:
    """A contact's passkey (a WebAuthn credential): it signs them in without a password, or is
    their second step after one. The authenticator keeps the private key; the portal keeps its
    public key (COSE, base64url) and the signature counter last seen."""

    id: str = _id_field()
    contact_id: str
    credential_id: str  # base64url, as the authenticator names it (unique within the company)
    public_key: str  # COSE_Key, base64url
    sign_count: int = 0
    name: str  # the contact's name for it ("Work laptop")
    transports: tuple[str, ...] = ()
    backed_up: bool = False  # a synced passkey (in a password manager or a platform's keychain)
    created_at: datetime
    last_used_at: datetime | None = None
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class AuthenticatorApp:
    """A contact's authenticator app (TOTP, RFC 6238): its secret, encrypted (``twostep``);
    unconfirmed until the contact types its first code. No code at or before ``last_step`` (a
    30-second time step) is accepted again."""

    id: str = _id_field()
    contact_id: str
    secret: str  # encrypted with a key derived from the portal's secret key
    confirmed_at: datetime | None = None
    last_step: int = 0
    created_at: datetime
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class RecoveryCode:
    """One of a contact's ten single-use recovery codes, hashed (never stored as typed)."""

    id: str = _id_field()
    contact_id: str
    code_hash: str
    created_at: datetime
    used_at: datetime | None = None
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class SignInStep:
    """A sign-in step or passkey ceremony under way: single use, minutes long, named only by a
    signed marker in the visitor's framework session. ``purpose``: ``second_step`` (the password
    was right, a second step is due), ``enrol`` (the password was right, a second step must be
    set up first), ``passkey_login`` (a sign-in with a passkey alone) or ``passkey_add``.
    ``challenge`` is the WebAuthn challenge issued for it (base64url), cleared when answered."""

    id: str = attrs.field(factory=lambda: secrets.token_urlsafe(24))
    purpose: str
    contact_id: str = ""  # "" until a passkey names its contact (passkey_login)
    challenge: str = ""
    created_at: datetime
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class StoredSettings:
    """A company's saved portal settings (BRD-1): one row per company, its ``revision`` the
    number of saves; every save also writes a :class:`SettingsRevision`."""

    id: str  # the company id
    config: dict[str, Any]
    revision: int = 0
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class SettingsRevision:
    """The audit line of one settings save: who, when, and which settings changed."""

    id: str = _id_field()
    revision: int
    staff_id: str
    staff_name: str
    at: datetime
    changed: tuple[str, ...]
    config: dict[str, Any]
    company_id: str = DEFAULT_COMPANY
    version: int = 0


@attrs.frozen(kw_only=True)
class OutboxMessage:
    """A mail or host event, written in the same transaction as the change that caused it."""

    id: str = _id_field()
    dedup_key: str
    kind: OutboxKind = attrs.field(converter=OutboxKind)
    payload: dict[str, Any]
    created_at: datetime
    status: OutboxStatus = attrs.field(default=OutboxStatus.PENDING, converter=OutboxStatus)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    sent_at: datetime | None = None
    company_id: str = DEFAULT_COMPANY
    version: int = 0


RECORD_TYPES: tuple[type, ...] = (
    StaffUser,
    Customer,
    Property,
    Contact,
    StatusEvent,
    Invoice,
    InvoiceLine,
    PaymentMethod,
    Payment,
    Refund,
    AutopayConsent,
    PaymentPlan,
    Instalment,
    PlanConsent,
    Proposal,
    Comment,
    Issue,
    Attachment,
    Report,
    Job,
    Visit,
    JobFile,
    VisitRequest,
    VisitRating,
    JobRequest,
    QuoteRequest,
    Counter,
    LoginThrottle,
    LoginSession,
    StaffSession,
    Passkey,
    AuthenticatorApp,
    RecoveryCode,
    SignInStep,
    ProcessedEvent,
    WebhookEvent,
    StoredSettings,
    SettingsRevision,
    OutboxMessage,
)

# Records the host owns and keeps in sync by its own ids (``portal.sync``).
HOST_RECORD_TYPES: tuple[type, ...] = (StaffUser, Customer, Property, Contact, Invoice, Proposal, Job, Visit)

# Storage hints: fields that queries filter on, and groups of fields whose values are unique
# together (a group with a None in it is not checked). Every record has a company: queries
# always filter on it, and a value is unique within one company.
#
# Every index leads with the company (a company's list never reads another company's rows),
# then the list's equality filters, then its keyset order and ``id`` (``Storage.page`` orders
# by ``order`` and then ``id``), so each page is one index range read in order: no sort, no
# scan, page 1,000 as cheap as page 1 (tests/test_query_plans.py checks every list's plan on
# SQLite and PostgreSQL).
_C = "company_id"
INDEXED: dict[type, tuple[tuple[str, ...], ...]] = {
    # staff contacts: all, of one customer, or in one portal status; by name
    Contact: (
        (_C, "phone"),  # a text message's reply (STOP) finds its contacts by number
        (_C, "archived", "last_name", "first_name", "id"),
        (_C, "customer_id", "archived", "last_name", "first_name", "id"),
        (_C, "portal_status", "archived", "last_name", "first_name", "id"),
    ),
    Customer: ((_C, "archived", "name", "id"),),
    Property: ((_C, "customer_id", "archived", "name"), (_C, "primary_contact_id"), (_C, "billing_contact_id")),
    StatusEvent: ((_C, "contact_id", "at"),),
    # the paid lists of a property, latest paid first: all of them, or those billed to one contact
    Invoice: (
        (_C, "property_id", "archived", "paid_on", "number", "id"),
        (_C, "billing_contact_id", "property_id", "archived", "paid_on", "number", "id"),
        (_C, "proposal_id"),
        (_C, "number"),
    ),  # staff find an invoice by its number (offering a payment plan)
    InvoiceLine: ((_C, "invoice_id", "position"),),
    PaymentMethod: ((_C, "contact_id"),),
    AutopayConsent: ((_C, "contact_id", "revoked_at"), (_C, "revoked_at")),
    # staff payments (newest first), a contact's recent payments, an invoice's, the processor's reference
    Payment: (
        (_C, "created_at", "id"),
        (_C, "contact_id", "created_at", "id"),
        (_C, "invoice_id", "created_at"),
        (_C, "processor_ref"),
        (_C, "status", "created_at"),
    ),
    Refund: ((_C, "payment_id", "status"), (_C, "status")),
    # payment plans: an invoice's, a contact's, the worker's active ones; their instalments in order
    PaymentPlan: ((_C, "invoice_id", "status"), (_C, "contact_id", "status"), (_C, "status", "created_at", "id")),
    Instalment: ((_C, "plan_id", "number"), (_C, "status", "due_on")),
    PlanConsent: ((_C, "plan_id", "revoked_at"),),
    # a property's proposals by start; staff's, all or in one status, latest start first
    Proposal: (
        (_C, "property_id", "archived", "estimated_start", "number", "id"),
        (_C, "archived", "estimated_start", "number", "id"),
        (_C, "status", "archived", "estimated_start", "number", "id"),
        (_C, "main_contact_id"),
    ),
    Comment: ((_C, "issue_id", "at"),),
    Attachment: ((_C, "issue_id", "comment_id", "position"),),
    # a property's issues and staff's work list, in one status, most recently updated first
    Issue: (
        (_C, "property_id", "status", "last_updated", "number", "id"),
        (_C, "status", "last_updated", "number", "id"),
    ),
    Report: (
        (_C, "property_id", "archived", "performed_on", "id"),
        (_C, "archived", "performed_on", "id"),
        (_C, "job_id"),
    ),
    QuoteRequest: ((_C, "handled", "created_at"),),
    # jobs and visits (issue 26): a property's, by date; staff's by status or day; replies by number
    Job: (
        (_C, "property_id", "archived", "created_at", "id"),
        (_C, "status", "created_at", "id"),
        (_C, "main_contact_id"),
    ),
    Visit: (
        (_C, "property_id", "archived", "starts_at", "id"),
        (_C, "job_id", "starts_at"),
        (_C, "starts_at", "id"),
        (_C, "status", "starts_at", "id"),
    ),
    JobFile: ((_C, "job_id", "added_at"),),
    VisitRequest: ((_C, "handled", "created_at"), (_C, "visit_id")),
    VisitRating: ((_C, "visit_id"), (_C, "created_at")),
    JobRequest: ((_C, "handled", "created_at"),),
    LoginSession: ((_C, "contact_id"),),
    StaffSession: ((_C, "staff_id"),),
    # a contact's second steps; sign-in steps by age (the worker purges old ones)
    Passkey: ((_C, "contact_id"),),
    AuthenticatorApp: ((_C, "contact_id"),),
    RecoveryCode: ((_C, "contact_id"),),
    SignInStep: ((_C, "created_at"),),
    WebhookEvent: ((_C, "received_at", "id"), (_C, "outcome", "received_at", "id")),
    SettingsRevision: ((_C, "revision", "id"),),
    # staff's outbox list (newest first) and the dispatcher's retries and stale claims (earliest due first)
    OutboxMessage: ((_C, "status", "created_at", "id"), (_C, "status", "next_attempt_at", "id")),
}
# Partial indexes: (columns, the field that is NULL in every row indexed). PostgreSQL cannot walk
# an index in order past an IS NULL condition, so the lists that filter on one get an index of
# only those rows: the open invoices of a property in due order (all, or those billed to one
# contact), and the outbox's new messages (never tried yet) in the order they were queued.
NULL_INDEXED: dict[type, tuple[tuple[tuple[str, ...], str], ...]] = {
    Invoice: (
        ((_C, "property_id", "archived", "due_date", "number", "id"), "paid_on"),
        ((_C, "billing_contact_id", "property_id", "archived", "due_date", "number", "id"), "paid_on"),
    ),
    OutboxMessage: (((_C, "status", "created_at", "id"), "next_attempt_at"),),
}
_EXTERNAL = ("company_id", "external_id")
UNIQUE: dict[type, tuple[tuple[str, ...], ...]] = {
    StaffUser: (("company_id", "email"), _EXTERNAL),
    Customer: (_EXTERNAL,),
    Property: (_EXTERNAL,),
    Contact: (("company_id", "email"), _EXTERNAL),
    Invoice: (_EXTERNAL,),
    Proposal: (_EXTERNAL,),
    Report: (_EXTERNAL,),
    Job: (_EXTERNAL,),
    Visit: (_EXTERNAL,),
    Payment: (("company_id", "idempotency_key"),),
    Refund: (("company_id", "request_key"),),
    Passkey: (("company_id", "credential_id"),),
    VisitRating: (("company_id", "visit_id", "contact_id"),),  # JOB-3: one rating per visit and contact,
    OutboxMessage: (("company_id", "dedup_key"),),
}
