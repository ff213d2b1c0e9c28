"""Inspection and service reports (Inspect Point): documents of a visit on a property, their
PDFs in the file store, each kind shown only to contacts whose access flag allows it (VIS-3)."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs

from .. import inputs
from .._core.files import Files, Upload, safe_filename, sniff, typed_filename
from .._core.paging import DEFAULT_LIMIT, Page, fetch
from .._core.permissions import require
from .._core.uow import UnitOfWork
from .._core.visibility import Section, Visibility, report_kinds
from ..directory._directory import lookup
from ..errors import NotFound, ValidationError
from ..i18n import _
from ..models import Contact, Job, Permission, Property, Report, ReportKind, StaffUser
from ..ports import In, Storage
from ..settings import Settings

MAX_REPORT_BYTES = 50 * 1024 * 1024
FORM_PROPERTIES = 1000  # the properties the staff's form offers to publish a report on, at most


@attrs.frozen
class StaffReport:
    """A report as the staff's list shows it, with its property (``None`` once gone or archived)."""

    report: Report
    property: Property | None


class Reports:
    def __init__(self, storage: Storage, uow: UnitOfWork, settings: Settings, visibility: Visibility, files: Files):
        self._storage, self._uow, self._settings = storage, uow, settings
        self._visibility, self._files = visibility, files

    # -- staff -----------------------------------------------------------------------------
    def add(
        self,
        staff: StaffUser,
        property_id: str,
        kind: ReportKind,
        title: str,
        performed_on: date,
        pdf: Upload,
        *,
        external_id: str | None = None,
        job_id: str | None = None,
    ) -> Report:
        """``MANAGE_REPORTS``: publish a report (a PDF) on a property — and on one of its jobs,
        whose page then shows it too; with the host's ``external_id`` of one published before,
        it replaces that one."""
        require(staff, Permission.MANAGE_REPORTS, self._settings.company_id)
        kind = inputs.member(kind, ReportKind, "kind")
        title = inputs.text(title, "title")
        if not isinstance(performed_on, date):
            raise ValidationError(_("The report's date must be a date."), field="performed_on")
        external_id = None if external_id is None else inputs.text(external_id, "external_id", max_length=200)
        if (
            not isinstance(pdf, Upload)
            or not isinstance(pdf.data, bytes)
            or len(pdf.data) > MAX_REPORT_BYTES
            or sniff(pdf.data) != "application/pdf"
        ):
            raise ValidationError(_("A report is a PDF of at most 50 MB."), field="pdf")
        filename = typed_filename(safe_filename(pdf.filename or "report.pdf"), "application/pdf")
        with self._uow():
            prop = lookup(self._storage, Property, property_id)
            job = lookup(self._storage, Job, job_id) if job_id is not None else None
            if job is not None and job.property_id != prop.id:
                raise ValidationError(_("That job is at another property."), field="job_id")
            values: dict[str, Any] = dict(
                property_id=prop.id,
                kind=kind,
                title=title,
                performed_on=performed_on,
                filename=filename,
                file_key=self._files.put(pdf.data),
                size=len(pdf.data),
                job_id=job.id if job else None,
            )
            found = self._storage.find(Report, external_id=external_id) if external_id else []
            if found:
                return self._storage.update(attrs.evolve(found[0], archived=False, **values))
            return self._storage.insert(Report(external_id=external_id, **values))

    def remove(self, staff: StaffUser, report_id: str) -> Report:
        """``MANAGE_REPORTS``: take a report out of the portal (kept, archived)."""
        require(staff, Permission.MANAGE_REPORTS, self._settings.company_id)
        with self._uow():
            report = lookup(self._storage, Report, report_id)
            return self._storage.update(attrs.evolve(report, archived=True))

    def staff_reports(self, staff: StaffUser, *, after: str | None = None, limit: int = DEFAULT_LIMIT) -> Page[Report]:
        """``MANAGE_REPORTS``: every report, latest visit first; one page."""
        require(staff, Permission.MANAGE_REPORTS, self._settings.company_id)
        return fetch(
            self._storage, Report, order=("performed_on",), descending=True, after=after, limit=limit, archived=False
        )

    def staff_list(
        self, staff: StaffUser, *, after: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> Page[StaffReport]:
        """``MANAGE_REPORTS``: the staff's reports page: ``staff_reports``, each with its property;
        one page."""
        page = self.staff_reports(staff, after=after, limit=limit)
        props = {
            p.id: p for p in self._storage.get_many(Property, {r.property_id for r in page}).values() if not p.archived
        }
        return Page(tuple(StaffReport(r, props.get(r.property_id)) for r in page), page.next_after)

    def properties(self, staff: StaffUser) -> list[Property]:
        """``MANAGE_REPORTS``: the properties a report can be published on (not archived), by
        name: at most ``FORM_PROPERTIES``, read in the order of the properties' index (by
        customer) and sorted here."""
        require(staff, Permission.MANAGE_REPORTS, self._settings.company_id)
        found = self._storage.page(Property, order=("customer_id", "name"), limit=FORM_PROPERTIES, archived=False)
        return sorted(found, key=lambda p: p.name)

    def staff_pdf(self, staff: StaffUser, report_id: str) -> bytes:
        require(staff, Permission.MANAGE_REPORTS, self._settings.company_id)
        return self._read(lookup(self._storage, Report, report_id))

    # -- customer --------------------------------------------------------------------------
    def list(
        self, contact: Contact, property_id: str, *, after: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> Page[Report]:
        """VIS-3: the property's reports of the kinds the contact may see, latest visit first."""
        with self._settings.pinned():  # the checks' reads and the page's on one connection
            prop = self._visibility.require_list(contact, Section.REPORTS, property_id)
            return fetch(
                self._storage,
                Report,
                order=("performed_on",),
                descending=True,
                after=after,
                limit=limit,
                property_id=prop.id,
                archived=False,
                kind=In(sorted(report_kinds(contact), key=str)),
            )

    def pdf(self, contact: Contact, report_id: str) -> bytes:
        """A report's PDF, when the contact may see its property and its kind (VIS-3)."""
        report = self._storage.get(Report, report_id) if inputs.is_identifier(report_id) else None
        if report is None or report.archived or report.kind not in report_kinds(contact):
            raise NotFound(_("No such report."))
        self._visibility.require_section(contact, Section.REPORTS)
        self._visibility.require_property(contact, report.property_id)
        return self._read(report)

    def _read(self, report: Report) -> bytes:
        data = self._files.get(report.file_key)
        if data is None:
            raise NotFound(_("This report is no longer available."))
        return data
