"""portalkit: an embeddable, framework-agnostic customer portal core for field-service apps.

Everything a host touches is importable from here; the submodules are the implementation.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import sync
from ._core import moved as _moved
from ._core.files import Upload
from ._core.paging import Page
from ._core.permissions import ROLE_PERMISSIONS, require
from ._core.retry import retry_on_conflict
from ._core.serialization import from_primitive, to_primitive
from ._core.signatures import SignatureCheck
from ._core.tenancy import CompanyStorage
from ._core.theme import FONT_STACKS, Palette, contrast, contrast_warnings, luminance, mix, palette, readable
from ._core.visibility import Section
from ._core.warnings import PortalkitDeprecationWarning
from .accounts._accounts import Session
from .accounts._invitations import BulkResult, Skipped
from .billing._invoices import InvoiceFilter, InvoiceRow, LineItem
from .billing._payments import Quote
from .config import Branding, PortalConfig
from .errors import (
    AccountSuspended,
    AlreadySignedUp,
    AuthenticationFailed,
    AutopayRevoked,
    ConfigurationError,
    Conflict,
    ExpiredToken,
    InvalidToken,
    InvalidTransition,
    InvalidWebhook,
    MissingPortalLinkError,
    NotFound,
    PaymentPending,
    PaymentsDisabled,
    PermissionDenied,
    PortalDisabled,
    PortalError,
    RefundRefused,
    SecondStepRequired,
    SessionExpired,
    StorageError,
    TemplateError,
    TooManyAttempts,
    UnknownTokenError,
    ValidationError,
    database_error,
)
from .events import (
    ContactEnrolled,
    Event,
    InvitationSent,
    IssueCommented,
    IssueCreated,
    PaymentCanceled,
    PaymentDisputed,
    PaymentEvent,
    PaymentFailed,
    PaymentPlanChanged,
    PaymentRefunded,
    PaymentReturned,
    PaymentSettled,
    ProposalSigned,
    QuoteRequested,
)
from .hookspecs import hookimpl
from .issues._issues import IssueFilter
from .models import (
    Access,
    Attachment,
    Comment,
    Contact,
    Customer,
    Instalment,
    InstalmentStatus,
    Invoice,
    InvoiceLine,
    Issue,
    IssueStatus,
    MethodKind,
    OutboxKind,
    OutboxStatus,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    Permission,
    PlanConsent,
    PlanStatus,
    PortalStatus,
    Priority,
    Property,
    Proposal,
    ProposalStatus,
    QuoteRequest,
    Refund,
    RefundStatus,
    Report,
    ReportKind,
    Role,
    Service,
    SettingsRevision,
    Signature,
    StaffUser,
    StatusEvent,
    VisitRequestKind,
    WebhookEvent,
    WebhookOutcome,
)
from .plugins import AdapterPlugin
from .portal import Portal
from .ports import (
    AtLeast,
    ChargeOutcome,
    ChargeRequest,
    ChargeStatus,
    Clock,
    FileStore,
    In,
    Mail,
    Mailer,
    MethodDetails,
    Not,
    PaymentProcessor,
    PdfRenderer,
    ProcessorEvent,
    Storage,
)
from .proposals._proposals import ProposalFilter, ProposalRow
from .sync._sync import (
    HostContact,
    HostCustomer,
    HostInvoice,
    HostProperty,
    HostProposal,
    HostStaff,
    SyncBatch,
    SyncReport,
)

DISTRIBUTION = "fieldportalkit"  # the name to install: pip install fieldportalkit (import portalkit)

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Access",
    "AccountSuspended",
    "AdapterPlugin",
    "AlreadySignedUp",
    "AtLeast",
    "Attachment",
    "AuthenticationFailed",
    "AutopayRevoked",
    "Branding",
    "BulkResult",
    "ChargeOutcome",
    "ChargeRequest",
    "ChargeStatus",
    "Clock",
    "Comment",
    "CompanyStorage",
    "ConfigurationError",
    "Conflict",
    "Contact",
    "ContactEnrolled",
    "Customer",
    "Event",
    "ExpiredToken",
    "FONT_STACKS",
    "FileStore",
    "HostContact",
    "HostCustomer",
    "HostInvoice",
    "HostProperty",
    "HostProposal",
    "HostStaff",
    "In",
    "Instalment",
    "InstalmentStatus",
    "InvalidToken",
    "InvalidTransition",
    "InvalidWebhook",
    "InvitationSent",
    "Invoice",
    "InvoiceFilter",
    "InvoiceLine",
    "InvoiceRow",
    "Issue",
    "IssueCommented",
    "IssueCreated",
    "IssueFilter",
    "IssueStatus",
    "LineItem",
    "Mail",
    "Mailer",
    "MethodDetails",
    "MethodKind",
    "MissingPortalLinkError",
    "Not",
    "NotFound",
    "OutboxKind",
    "OutboxStatus",
    "Page",
    "Palette",
    "Payment",
    "PaymentCanceled",
    "PaymentDisputed",
    "PaymentEvent",
    "PaymentFailed",
    "PaymentMethod",
    "PaymentPending",
    "PaymentPlan",
    "PaymentPlanChanged",
    "PaymentProcessor",
    "PaymentRefunded",
    "PaymentReturned",
    "PaymentSettled",
    "PaymentStatus",
    "PaymentsDisabled",
    "PdfRenderer",
    "Permission",
    "PermissionDenied",
    "PlanConsent",
    "PlanStatus",
    "Portal",
    "PortalConfig",
    "PortalDisabled",
    "PortalError",
    "PortalStatus",
    "PortalkitDeprecationWarning",
    "Priority",
    "ProcessorEvent",
    "Property",
    "Proposal",
    "ProposalFilter",
    "ProposalRow",
    "ProposalSigned",
    "ProposalStatus",
    "Quote",
    "QuoteRequest",
    "QuoteRequested",
    "ROLE_PERMISSIONS",
    "Refund",
    "RefundRefused",
    "RefundStatus",
    "Report",
    "ReportKind",
    "Role",
    "SecondStepRequired",
    "Section",
    "Service",
    "Session",
    "SessionExpired",
    "SettingsRevision",
    "Signature",
    "SignatureCheck",
    "Skipped",
    "StaffUser",
    "StatusEvent",
    "Storage",
    "StorageError",
    "SyncBatch",
    "SyncReport",
    "TemplateError",
    "TooManyAttempts",
    "UnknownTokenError",
    "Upload",
    "ValidationError",
    "VisitRequestKind",
    "WebhookEvent",
    "WebhookOutcome",
    "__version__",
    "contrast",
    "contrast_warnings",
    "database_error",
    "from_primitive",
    "hookimpl",
    "luminance",
    "mix",
    "palette",
    "readable",
    "require",
    "retry_on_conflict",
    "sync",
    "to_primitive",
]

_moved.install()  # the modules moved into feature packages still import by their old names


def __getattr__(name: str) -> Any:
    """``portalkit.payments`` and the other moved modules as attributes of the package too, as
    when ``portal`` imported them all (deprecated: the import warns)."""
    if f"{__name__}.{name}" in _moved.MOVED:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
