"""What a customer reads for a status, method, priority, view or list filter, in the active language.

Every stored enum value is a stable code (``ProposalStatus.IN_PRODUCTION = "in_production"``);
its words live here, once, marked for the catalogue, so rewording one never touches stored rows.
"""

from __future__ import annotations

import enum

from ._core.visibility import SECTION_LABELS
from .i18n import N_, NP_, gettext, pgettext
from .models import (
    HistoryKind,
    InstalmentStatus,
    IssueStatus,
    JobStatus,
    MethodKind,
    PaymentMethod,
    PaymentStatus,
    PlanStatus,
    PortalStatus,
    Priority,
    ProposalStatus,
    ReportKind,
    Role,
    VisitStatus,
)

LABELS: dict[enum.Enum, str | tuple[str, str]] = {
    PortalStatus.NOT_ENROLLED: N_("Not Enrolled"),
    PortalStatus.INVITED: N_("Invited"),
    PortalStatus.ENROLLED: N_("Enrolled"),
    HistoryKind.INVITATION_SENT: N_("invitation sent"),
    HistoryKind.LINK_OPENED: N_("link opened"),
    HistoryKind.REGISTERED: N_("registered"),
    HistoryKind.SUSPENDED: N_("suspended"),
    HistoryKind.UNSUSPENDED: N_("unsuspended"),
    HistoryKind.PASSWORD_CHANGED: N_("password changed"),
    HistoryKind.EMAIL_CHANGE_REQUESTED: N_("email change requested"),
    HistoryKind.EMAIL_CHANGED: N_("email changed"),
    Role.SYSTEM_ADMINISTRATOR: N_("System Administrator"),
    Role.BRANCH_ADMINISTRATOR: N_("Branch Administrator"),
    Role.BRANCH_MANAGER: N_("Branch Manager"),
    Role.ACCOUNT_MANAGER: N_("Account Manager"),
    ReportKind.INSPECTION: N_("Inspection report"),
    ReportKind.SERVICE: N_("Service report"),
    ProposalStatus.APPROVED: N_("Approved"),
    ProposalStatus.DELIVERED: N_("Delivered"),
    ProposalStatus.IN_PRODUCTION: N_("In Production"),
    ProposalStatus.WON: N_("Won"),
    ProposalStatus.COMPLETE: N_("Complete"),
    ProposalStatus.LOST: N_("Lost"),
    Priority.HIGH: N_("High"),
    Priority.MEDIUM: N_("Medium"),
    Priority.LOW: N_("Low"),
    IssueStatus.OPEN: NP_("issue status", "Open"),
    IssueStatus.CLOSED: NP_("issue status", "Closed"),
    PaymentStatus.INITIATED: N_("started"),
    PaymentStatus.REQUIRES_ACTION: N_("waiting for your bank"),
    PaymentStatus.PROCESSING: N_("processing"),
    PaymentStatus.SETTLED: N_("settled"),
    PaymentStatus.FAILED: N_("failed"),
    PaymentStatus.CANCELED: N_("canceled"),
    PaymentStatus.PARTIALLY_REFUNDED: N_("partially refunded"),
    PaymentStatus.REFUNDED: N_("refunded"),
    PaymentStatus.RETURNED: N_("returned"),
    PaymentStatus.DISPUTED: N_("disputed"),
    MethodKind.CARD: N_("Card"),
    MethodKind.ACH: N_("Bank account"),
    VisitStatus.SCHEDULED: NP_("visit status", "Scheduled"),
    VisitStatus.ON_THE_WAY: N_("On the way"),
    VisitStatus.IN_PROGRESS: NP_("visit status", "In progress"),
    VisitStatus.COMPLETED: NP_("visit status", "Completed"),
    VisitStatus.CANCELED: NP_("visit status", "Canceled"),
    JobStatus.SCHEDULED: NP_("job status", "Scheduled"),
    JobStatus.IN_PROGRESS: NP_("job status", "In progress"),
    JobStatus.COMPLETED: NP_("job status", "Completed"),
    JobStatus.CANCELED: NP_("job status", "Canceled"),
    PlanStatus.OFFERED: NP_("payment plan status", "Offered"),
    PlanStatus.ACTIVE: NP_("payment plan status", "Active"),
    PlanStatus.COMPLETED: N_("Paid in full"),
    PlanStatus.REVOKED: N_("Revoked"),
    PlanStatus.MISSED: N_("Stopped: a payment was missed"),
    PlanStatus.CANCELED: NP_("payment plan status", "Canceled"),
    InstalmentStatus.SCHEDULED: NP_("instalment status", "Scheduled"),
    InstalmentStatus.CHARGING: NP_("instalment status", "Processing"),
    InstalmentStatus.PAID: N_("Paid"),
    InstalmentStatus.MISSED: N_("Missed"),
    InstalmentStatus.CANCELED: N_("Not charged"),
    **SECTION_LABELS,
}


def english(member: enum.Enum) -> str:
    """``member``'s label untranslated (a Django group's name, a log line)."""
    text = LABELS.get(member, str(member.value))
    return text[1] if isinstance(text, tuple) else text


def label(member: enum.Enum) -> str:
    """``member`` as a customer reads it in the active language."""
    text = LABELS.get(member, str(member.value))
    return pgettext(*text) if isinstance(text, tuple) else gettext(text)


def method_name(method: PaymentMethod) -> str:
    """ "Visa ending 4242", "Cuenta bancaria terminada en 6789": a saved method as the customer
    knows it (the processor's brand, else its kind)."""
    brand = method.brand.title() if method.kind is MethodKind.CARD and method.brand else method.brand
    return gettext("%(brand)s ending %(last4)s") % {"brand": brand or label(method.kind), "last4": method.last4}


__all__ = ["LABELS", "english", "label", "method_name"]
