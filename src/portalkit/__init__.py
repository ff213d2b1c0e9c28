"""portalkit: an embeddable, framework-agnostic customer portal core for field-service apps.

Everything a host touches is importable from here; the submodules are the implementation.
"""

from importlib.metadata import PackageNotFoundError, version

from .accounts import Session
from .plugins import AdapterPlugin
from .config import Branding, PortalConfig
from . import sync
from .errors import (AccountSuspended, AlreadySignedUp, AuthenticationFailed, AutopayRevoked, ConfigurationError,
                     Conflict, ExpiredToken, InvalidToken, InvalidTransition, InvalidWebhook, MissingPortalLinkError,
                     NotFound, PaymentPending, PaymentsDisabled, PermissionDenied, PortalDisabled, PortalError,
                     RefundRefused, SessionExpired, StorageError, TemplateError, TooManyAttempts, UnknownTokenError,
                     ValidationError)
from .events import (ContactEnrolled, Event, InvitationSent, IssueCommented, IssueCreated, PaymentCanceled,
                     PaymentDisputed, PaymentEvent, PaymentFailed, PaymentRefunded, PaymentReturned, PaymentSettled,
                     ProposalSigned, QuoteRequested)
from .files import Upload
from .hookspecs import hookimpl
from .invitations import BulkResult, Skipped
from .invoices import InvoiceFilter, InvoiceRow, LineItem
from .issues import IssueFilter
from .models import (Access, Attachment, Comment, Contact, Customer, Invoice, InvoiceLine, Issue, IssueStatus,
                     MethodKind, Payment, PaymentMethod, PaymentStatus, Permission, PortalStatus, Priority, Property,
                     Proposal, ProposalStatus, QuoteRequest, Refund, RefundStatus, Report, ReportKind, Role, Service,
                     SettingsRevision, Signature, StaffUser, StatusEvent, WebhookEvent)
from .payments import Quote
from .permissions import ROLE_PERMISSIONS
from .portal import Portal
from .ports import (AtLeast, ChargeOutcome, ChargeRequest, ChargeStatus, Clock, FileStore, In, Mail, Mailer,
                    MethodDetails, Not, PaymentProcessor, PdfRenderer, ProcessorEvent, Storage)
from .sync import HostContact, HostCustomer, HostInvoice, HostProperty, HostProposal, HostStaff, SyncBatch, SyncReport
from .proposals import ProposalFilter, ProposalRow
from .visibility import Section
from .warnings import PortalkitDeprecationWarning

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
    "ConfigurationError",
    "Conflict",
    "Contact",
    "ContactEnrolled",
    "Customer",
    "Event",
    "ExpiredToken",
    "FileStore",
    "HostContact",
    "HostCustomer",
    "HostInvoice",
    "HostProperty",
    "HostProposal",
    "HostStaff",
    "In",
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
    "Payment",
    "PaymentCanceled",
    "PaymentDisputed",
    "PaymentEvent",
    "PaymentFailed",
    "PaymentMethod",
    "PaymentPending",
    "PaymentProcessor",
    "PaymentRefunded",
    "PaymentReturned",
    "PaymentSettled",
    "PaymentStatus",
    "PaymentsDisabled",
    "PdfRenderer",
    "Permission",
    "PermissionDenied",
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
    "Section",
    "Service",
    "Session",
    "SessionExpired",
    "SettingsRevision",
    "Signature",
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
    "WebhookEvent",
    "__version__",
    "hookimpl",
    "sync",
]
