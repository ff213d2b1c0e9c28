"""portalkit: an embeddable, framework-agnostic customer portal core for field-service apps."""

from .config import Branding, PortalConfig
from .hookspecs import hookimpl
from .invoices import InvoiceFilter
from .issues import IssueFilter
from .models import (
    Access,
    Attachment,
    Contact,
    Invoice,
    Issue,
    IssueStatus,
    MethodKind,
    Payment,
    PaymentStatus,
    Permission,
    PortalStatus,
    Priority,
    Proposal,
    ProposalStatus,
    StaffUser,
)
from .portal import Portal
from .ports import Mail
from .proposals import ProposalFilter
from .visibility import Section

__all__ = [
    "Access", "Attachment", "Branding", "Contact", "Invoice", "InvoiceFilter", "Issue", "IssueFilter",
    "IssueStatus", "Mail", "MethodKind", "Payment", "PaymentStatus", "Permission", "Portal", "PortalConfig",
    "PortalStatus", "Priority", "Proposal", "ProposalFilter", "ProposalStatus", "Section", "StaffUser", "hookimpl",
]
