"""Who sees what (VIS-1..6). Pure rules first, then the storage-backed lookups that use them.

Every customer-facing read goes through ``Visibility.require_*`` so one contact can never reach
another's records by guessing ids: an id the contact may not see is ``NotFound``, exactly as
an id that does not exist.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from .. import inputs
from ..config import PortalConfig
from ..errors import NotFound, PermissionDenied
from ..i18n import N_, _
from ..models import Contact, Invoice, Issue, Job, PortalStatus, Property, Proposal, ReportKind
from ..ports import Storage, expect
from ..settings import Settings

J = TypeVar("J", Proposal, Issue, Job)
R = TypeVar("R")


class Section(enum.Enum):
    INVOICES = "invoices"
    PROPOSALS = "proposals"
    ISSUES = "issues"
    REPORTS = "reports"
    JOBS = "jobs"


SECTION_LABELS: dict[enum.Enum, str] = {
    Section.INVOICES: N_("Invoices"),
    Section.PROPOSALS: N_("Proposals"),
    Section.ISSUES: N_("Issues"),
    Section.REPORTS: N_("Reports"),
    Section.JOBS: N_("Jobs"),
}
_NOT_FOUND: dict[Section, str] = {
    Section.INVOICES: N_("No such invoice."),
    Section.PROPOSALS: N_("No such proposal."),
    Section.ISSUES: N_("No such issue."),
    Section.REPORTS: N_("No such report."),
    Section.JOBS: N_("No such job."),
}


def report_kinds(contact: Contact) -> frozenset[ReportKind]:
    """VIS-3: the kinds of report the contact's access flags let them see."""
    flags = {
        ReportKind.INSPECTION: contact.access.inspection_reports,
        ReportKind.SERVICE: contact.access.service_reports,
    }
    return frozenset(kind for kind, allowed in flags.items() if allowed)


def active(contact: Contact) -> bool:
    return contact.portal_status is PortalStatus.ENROLLED and not contact.suspended and not contact.archived


def section_visible(contact: Contact, section: Section, config: PortalConfig) -> bool:
    """VIS-3 and VIS-4: the contact's access flag and the config's show toggle (only the
    section's own: a list checks this once per row it could show)."""
    if not active(contact):
        return False
    if section is Section.INVOICES:
        return config.show_invoices and contact.access.invoices
    if section is Section.PROPOSALS:
        return config.show_proposals and contact.access.proposals
    if section is Section.ISSUES:
        return config.show_issues and contact.access.issues
    if section is Section.REPORTS:
        return config.show_reports and bool(report_kinds(contact))
    if section is Section.JOBS:
        return config.show_jobs and contact.access.jobs
    raise KeyError(section)


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


def job_visible(
    contact: Contact, record: Proposal | Issue | Job, prop: Property, section: Section, config: PortalConfig
) -> bool:
    """Jobs, proposals and issues: the property, the flag, and VIS-6's main-contact scope."""
    if record.property_id != prop.id or not section_visible(contact, section, config):
        return False
    if isinstance(record, (Proposal, Job)) and record.archived:
        return False
    if not property_visible(contact, prop):
        return False
    return not contact.main_contact_only or record.main_contact_id == contact.id


class Visibility:
    def __init__(self, storage: Storage, settings: Settings):
        self._storage, self._settings = storage, settings
        self._local = threading.local()

    @contextmanager
    def request(self) -> Iterator[None]:
        """One page's scope (``PortalWeb`` opens it around each handler): the properties a
        contact can see, once read, answer the page's later ``properties`` and ``require_property``
        for the same contact (and version of it) without reading again. Outside it nothing is
        remembered."""
        outer = getattr(self._local, "seen", None)
        self._local.seen = {} if outer is None else outer
        try:
            yield
        finally:
            self._local.seen = outer

    def properties(self, contact: Contact) -> list[Property]:
        """VIS-5: the properties a contact can switch between, by name."""
        if not active(contact):
            return []
        seen = getattr(self._local, "seen", None)
        known = seen.get((contact.id, contact.version)) if seen is not None else None
        if known is not None:  # read already on this page
            return list(known.values())
        props = self._storage.find(Property, customer_id=contact.customer_id, archived=False)
        shown = sorted((p for p in props if property_visible(contact, p)), key=lambda p: p.name)
        if seen is not None:
            seen[(contact.id, contact.version)] = {p.id: p for p in shown}
        return shown

    def section_shown(self, contact: Contact, section: Section) -> bool:
        return section_visible(contact, section, self._settings.current)

    def require_section(self, contact: Contact, section: Section) -> None:
        if not section_visible(contact, section, self._settings.current):
            raise PermissionDenied(_("The %(view)s view is not available.") % {"view": _(SECTION_LABELS[section])})

    def _get(self, cls: type[R], record_id: object) -> R | None:
        """A record by an id the caller typed; anything that is no id finds nothing."""
        return self._storage.get(cls, record_id) if inputs.is_identifier(record_id) else None

    def require_property(self, contact: Contact, property_id: str) -> Property:
        """VIS-1: the property, if the contact sees it. Inside a page's scope the contact's
        properties are read once, all of them, and answer every later check of the page."""
        seen = getattr(self._local, "seen", None)
        if seen is not None:
            if (contact.id, contact.version) not in seen:
                self.properties(contact)  # remembered for the page
            known: dict[str, Property] = seen.get((contact.id, contact.version), {})
            if not isinstance(property_id, str) or property_id not in known:
                raise NotFound(_("No such property."))
            return known[property_id]
        prop = self._get(Property, property_id)
        if prop is None or not property_visible(contact, prop):
            raise NotFound(_("No such property."))
        return prop

    def require_list(self, contact: Contact, section: Section, property_id: str) -> Property:
        """A property's list of ``section``: the view shown to the contact (VIS-3, VIS-4) and the
        property theirs (VIS-1). Outside a page's scope the settings (if not read yet) and the
        property are read in one statement (``ports.expect``, issue 25)."""
        wanted: list[tuple[type, str]] = []
        if getattr(self._local, "seen", None) is None and inputs.is_identifier(property_id):
            wanted = [*self._settings.expected(), (Property, property_id)]
        with expect(self._storage, wanted):
            self.require_section(contact, section)
            return self.require_property(contact, property_id)

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
        """VIS-4: the view buttons to show, in order; the first is where the dashboard opens.
        Jobs have pages of their own (``portal.jobs``), not a dashboard list."""
        return [s for s in Section if s is not Section.JOBS and section_visible(contact, s, self._settings.current)]
