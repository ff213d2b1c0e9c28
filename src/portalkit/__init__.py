"""portalkit: an embeddable, framework-agnostic customer portal core for field-service apps.

Everything a host touches is importable from here; the submodules are the implementation.
"""

from importlib.metadata import PackageNotFoundError, version

from .accounts import Session
from .plugins import AdapterPlugin
from .config import Branding, PortalConfig
from .errors import (AccountSuspended, AlreadySignedUp, AuthenticationFailed, ConfigurationError, Conflict,
                     ExpiredToken, InvalidToken, InvalidTransition, MissingPortalLinkError, NotFound, PaymentPending,
                     PaymentsDisabled, PermissionDenied, PortalDisabled, PortalError, SessionExpired, StorageError,
                     TemplateError, TooManyAttempts, UnknownTokenError, ValidationError)
from .events import (ContactEnrolled, Event, InvitationSent, IssueCommented, IssueCreated, PaymentEvent, PaymentFailed,
                     PaymentRefunded, PaymentSettled, ProposalSigned, QuoteRequested)
from .files import Upload
from .hookspecs import hookimpl
from .invitations import BulkResult, Skipped
from .invoices import InvoiceFilter, InvoiceRow, LineItem
from .issues import IssueFilter
from .models import (Access, Attachment, Comment, Contact, Customer, Invoice, InvoiceLine, Issue, IssueStatus,
                     MethodKind, Payment, PaymentMethod, PaymentStatus, Permission, PortalStatus, Priority, Property,
                     Proposal, ProposalStatus, QuoteRequest, Report, ReportKind, Role, Service, SettingsRevision,
                     Signature, StaffUser, StatusEvent)
from .payments import Quote
from .permissions import ROLE_PERMISSIONS
from .portal import Portal
from .ports import AtLeast, Clock, FileStore, In, Mail, Mailer, Not, PaymentProcessor, PdfRenderer, Storage
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
    "Branding",
    "BulkResult",
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
    "In",
    "InvalidToken",
    "InvalidTransition",
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
    "MethodKind",
    "MissingPortalLinkError",
    "Not",
    "NotFound",
    "Payment",
    "PaymentEvent",
    "PaymentFailed",
    "PaymentMethod",
    "PaymentPending",
    "PaymentProcessor",
    "PaymentRefunded",
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
    "TemplateError",
    "TooManyAttempts",
    "UnknownTokenError",
    "Upload",
    "ValidationError",
    "__version__",
    "hookimpl",
]
