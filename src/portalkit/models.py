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

from .i18n import N_



DEFAULT_COMPANY = "default"


def new_id() -> str:
    return uuid.uuid4().hex


def _id_field() -> Any:
    return attrs.field(factory=new_id)


class PortalStatus(enum.Enum):
    NOT_ENROLLED = "Not Enrolled"
    INVITED = "Invited"
    ENROLLED = "Enrolled"


class HistoryKind(enum.Enum):
    INVITATION_SENT = "invitation sent"
    LINK_OPENED = "link opened"
    REGISTERED = "registered"
    SUSPENDED = "suspended"
    UNSUSPENDED = "unsuspended"
    PASSWORD_CHANGED = "password changed"
    EMAIL_CHANGE_REQUESTED = "email change requested"
    EMAIL_CHANGED = "email changed"


class Permission(enum.Enum):
    SEND_PORTAL_INVITATION = "send_portal_invitation"
    MANAGE_CONTACTS = "manage_contacts"
    MANAGE_BILLING = "manage_billing"
    MANAGE_PROPOSALS = "manage_proposals"
    MANAGE_ISSUES = "manage_issues"
    MANAGE_SETTINGS = "manage_settings"
    MANAGE_STAFF = "manage_staff"
    MANAGE_REPORTS = "manage_reports"


class Role(enum.Enum):
    """The default staff roles (the Aspire manual's); each one a set of permissions
    (``permissions.ROLE_PERMISSIONS``). Every one may send portal invitations (INV-2)."""

    SYSTEM_ADMINISTRATOR = "System Administrator"
    BRANCH_ADMINISTRATOR = "Branch Administrator"
    BRANCH_MANAGER = "Branch Manager"
    ACCOUNT_MANAGER = "Account Manager"


class ReportKind(enum.Enum):
    """The documents of a visit (Inspect Point): each behind its own access flag (VIS-3)."""

    INSPECTION = N_("Inspection report")
    SERVICE = N_("Service report")


class ProposalStatus(enum.Enum):
    APPROVED = N_("Approved")
    DELIVERED = N_("Delivered")
    IN_PRODUCTION = N_("In Production")
    WON = N_("Won")
    COMPLETE = N_("Complete")
    LOST = N_("Lost")


class PaymentStatus(enum.Enum):
    """See the state machine in ``portalkit.payments`` and docs/payments.md."""

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


class Priority(enum.Enum):
    HIGH = N_("High")
    MEDIUM = N_("Medium")
    LOW = N_("Low")


class IssueStatus(enum.Enum):
    OPEN = "Open"
    CLOSED = "Closed"


@attrs.frozen(kw_only=True)
class Access:
    """Per-contact access flags (VIS-3)."""

    invoices: bool = True
    proposals: bool = True
    issues: bool = True
    inspection_reports: bool = True
    service_reports: bool = True
    quote_requests: bool = False


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
        default=attrs.Factory(lambda i: i.invoice_date + timedelta(days=i.net_days), takes_self=True))
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
    company_id: str = DEFAULT_COMPANY
    version: int = 0

    @property
    def total(self) -> Decimal:
        return self.amount + self.fee


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
    outcome: str = "received"
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
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    status: str = "pending"
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
    Proposal,
    Comment,
    Issue,
    Attachment,
    Report,
    QuoteRequest,
    Counter,
    LoginThrottle,
    LoginSession,
    StaffSession,
    ProcessedEvent,
    WebhookEvent,
    StoredSettings,
    SettingsRevision,
    OutboxMessage,
)

# Records the host owns and keeps in sync by its own ids (``portal.sync``).
HOST_RECORD_TYPES: tuple[type, ...] = (StaffUser, Customer, Property, Contact, Invoice, Proposal)

# Storage hints: fields that queries filter on, and groups of fields whose values are unique
# together (a group with a None in it is not checked). Every record has a company: queries
# always filter on it, and a value is unique within one company.
INDEXED: dict[type, tuple[tuple[str, ...], ...]] = {
    Contact: (("customer_id",), ("portal_status", "last_name", "first_name")),
    Customer: (("name",),),
    Property: (("customer_id",),),
    StatusEvent: (("contact_id",),),
    # the open and paid lists of a property, in the order they are shown (keyset pages)
    Invoice: (("property_id", "paid_on", "due_date", "number"), ("billing_contact_id",)),
    InvoiceLine: (("invoice_id", "position"),),
    PaymentMethod: (("contact_id",),),
    AutopayConsent: (("contact_id",), ("revoked_at",)),
    Payment: (("invoice_id",), ("processor_ref",), ("status",), ("contact_id",), ("created_at",)),
    Refund: (("payment_id", "status"),),
    Proposal: (("property_id", "estimated_start", "number"), ("status", "estimated_start", "number"),
               ("estimated_start", "number")),
    Comment: (("issue_id", "at"),),
    Attachment: (("issue_id", "comment_id", "position"),),
    Issue: (("property_id", "status", "last_updated", "number"), ("status", "last_updated", "number")),
    Report: (("property_id", "performed_on"),),
    QuoteRequest: (("handled",),),
    LoginSession: (("contact_id",),),
    StaffSession: (("staff_id",),),
    WebhookEvent: (("outcome", "received_at"), ("received_at",)),
    SettingsRevision: (("revision",),),
    OutboxMessage: (("status", "created_at"),),
}
# Partial indexes: (columns, the field that is NULL in every row indexed). The open invoices of a
# property in due order: PostgreSQL cannot walk an index in order past an IS NULL condition.
NULL_INDEXED: dict[type, tuple[tuple[tuple[str, ...], str], ...]] = {
    Invoice: ((("property_id", "due_date", "number", "id"), "paid_on"),),
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
    Payment: (("company_id", "idempotency_key"),),
    Refund: (("company_id", "request_key"),),
    OutboxMessage: (("company_id", "dedup_key"),),
}
