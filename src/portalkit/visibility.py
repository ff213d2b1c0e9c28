"""Who sees what (VIS-1..6). Pure rules first, then the storage-backed lookups that use them.

Every customer-facing read goes through ``Visibility.require_*`` so one contact can never reach
another's records by guessing ids: an id the contact may not see is ``NotFound``, exactly as
an id that does not exist.
"""

from __future__ import annotations

import enum
from typing import TypeVar

from . import inputs
from .config import PortalConfig
from .errors import NotFound, PermissionDenied
from .i18n import N_, _
from .models import Contact, Invoice, Issue, PortalStatus, Property, Proposal, ReportKind
from .ports import Storage
from .settings import Settings

J = TypeVar("J", Proposal, Issue)
R = TypeVar("R")


class Section(enum.Enum):
    INVOICES = "invoices"
    PROPOSALS = "proposals"
    ISSUES = "issues"
    REPORTS = "reports"


SECTION_LABELS: dict[enum.Enum, str] = {Section.INVOICES: N_("Invoices"), Section.PROPOSALS: N_("Proposals"),
                                      Section.ISSUES: N_("Issues"), Section.REPORTS: N_("Reports")}
_NOT_FOUND: dict[Section, str] = {Section.INVOICES: N_("No such invoice."), Section.PROPOSALS: N_("No such proposal."),
                                  Section.ISSUES: N_("No such issue."), Section.REPORTS: N_("No such report.")}


def report_kinds(contact: Contact) -> frozenset[ReportKind]:
    """VIS-3: the kinds of report the contact's access flags let them see."""
    flags = {ReportKind.INSPECTION: contact.access.inspection_reports, ReportKind.SERVICE: contact.access.service_reports}
    return frozenset(kind for kind, allowed in flags.items() if allowed)


def active(contact: Contact) -> bool:
    return contact.portal_status is PortalStatus.ENROLLED and not contact.suspended and not contact.archived


def section_visible(contact: Contact, section: Section, config: PortalConfig) -> bool:
    """VIS-3 and VIS-4: the contact's access flag and the config's show toggle."""
    shown = {
        Section.INVOICES: config.show_invoices and contact.access.invoices,
        Section.PROPOSALS: config.show_proposals and contact.access.proposals,
        Section.ISSUES: config.show_issues and contact.access.issues,
        Section.REPORTS: config.show_reports and bool(report_kinds(contact)),
    }
    return active(contact) and shown[section]


def property_visible(contact: Contact, prop: Property) -> bool:
    """VIS-1: enrolled and linked to the property, to its whole account, or its primary contact."""
    if not active(contact) or prop.customer_id != contact.customer_id or prop.archived:
        return False
    return contact.account_wide or prop.id in contact.property_ids or prop.primary_contact_id == contact.id


def invoice_visible(contact: Contact, invoice: Invoice, prop: Property, config: PortalConfig) -> bool:
    """VIS-2: only the property's primary and billing contacts and the invoice's billing contact."""
    return (
        invoice.property_id == prop.id
        and not invoice.archived
        and section_visible(contact, Section.INVOICES, config)
        and property_visible(contact, prop)
        and contact.id in (prop.primary_contact_id, prop.billing_contact_id, invoice.billing_contact_id)
    )


def job_visible(contact: Contact, record: Proposal | Issue, prop: Property, section: Section, config: PortalConfig) -> bool:
    """Proposals and issues: the property, the flag, and VIS-6's main-contact scope."""
    if record.property_id != prop.id or not section_visible(contact, section, config):
        return False
    if isinstance(record, Proposal) and record.archived:
        return False
    if not property_visible(contact, prop):
        return False
    return not contact.main_contact_only or record.main_contact_id == contact.id


class Visibility:
    def __init__(self, storage: Storage, settings: Settings):
        self._storage, self._settings = storage, settings

    def properties(self, contact: Contact) -> list[Property]:
        """VIS-5: the properties a contact can switch between, by name."""
        if not active(contact):
            return []
        props = self._storage.find(Property, customer_id=contact.customer_id, archived=False)
        return sorted((p for p in props if property_visible(contact, p)), key=lambda p: p.name)

    def require_section(self, contact: Contact, section: Section) -> None:
        if not section_visible(contact, section, self._settings.current):
            raise PermissionDenied(_("The %(view)s view is not available.") % {"view": _(SECTION_LABELS[section])})

    def _get(self, cls: type[R], record_id: object) -> R | None:
        """A record by an id the caller typed; anything that is no id finds nothing."""
        return self._storage.get(cls, record_id) if inputs.is_identifier(record_id) else None

    def require_property(self, contact: Contact, property_id: str) -> Property:
        prop = self._get(Property, property_id)
        if prop is None or not property_visible(contact, prop):
            raise NotFound(_("No such property."))
        return prop

    def require_invoice(self, contact: Contact, invoice_id: str) -> tuple[Invoice, Property]:
        invoice = self._get(Invoice, invoice_id)
        prop = self._storage.get(Property, invoice.property_id) if invoice else None
        if invoice is None or prop is None or not invoice_visible(contact, invoice, prop, self._settings.current):
            raise NotFound(_("No such invoice."))
        return invoice, prop

    def require_job(self, contact: Contact, cls: type[J], record_id: str, section: Section) -> tuple[J, Property]:
        record = self._get(cls, record_id)
        prop = self._storage.get(Property, record.property_id) if record else None
        if record is None or prop is None or not job_visible(contact, record, prop, section, self._settings.current):
            raise NotFound(_(_NOT_FOUND[section]))
        return record, prop

    def dashboard_sections(self, contact: Contact) -> list[Section]:
        """VIS-4: the view buttons to show, in order; the first is where the dashboard opens."""
        return [s for s in Section if section_visible(contact, s, self._settings.current)]
