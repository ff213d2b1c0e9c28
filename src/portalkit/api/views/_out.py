"""Records as the API shows them: each builder turns what a service returned into its shape,
money as two-decimal strings and times in UTC (API-1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..._core.visibility import Section, section_visible
from ...billing._payments import fee_applies
from ...config import PortalConfig
from ...jobs import VisitRow
from ...models import (
    Attachment,
    Contact,
    Invoice,
    Issue,
    Job,
    JobFile,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Property,
    Proposal,
    Report,
    ReportKind,
    Visit,
    VisitStatus,
)
from ...proposals._proposals import can_sign
from .. import shapes as s

if TYPE_CHECKING:
    from ..core import Call


def me(contact: Contact, config: PortalConfig) -> s.Me:
    sections = [sec.value for sec in Section if section_visible(contact, sec, config)]
    payments = config.electronic_payment_enabled and Section.INVOICES.value in sections
    return s.Me(
        id=contact.id,
        first_name=contact.first_name,
        last_name=contact.last_name,
        name=contact.name,
        email=contact.email,
        pending_email=contact.pending_email,
        language=contact.language,
        receipts=contact.receipts_opt_in,
        access=s.Access(
            sections=sections,  # type: ignore[arg-type]
            payments=payments,
            quote_requests=contact.access.quote_requests,
            job_requests=contact.access.job_requests,
        ),
    )


def prop(place: Property) -> s.PropertyOut:
    return s.PropertyOut(id=place.id, name=place.name)


def invoice(call: Call, inv: Invoice) -> s.InvoiceOut:
    today = call.portal.clock.now().date()
    payable = call.portal.config.electronic_payment_enabled
    return s.InvoiceOut(
        id=inv.id,
        number=inv.number,
        property_id=inv.property_id,
        amount=s.money(inv.amount),
        amount_due=s.money(inv.amount_due),
        pending_amount=s.money(inv.pending_amount),
        invoice_date=s.day(inv.invoice_date),
        due_date=s.day(inv.due_date),
        paid_on=s.day(inv.paid_on) if inv.paid_on else None,
        open=inv.is_open,
        overdue=inv.is_open and inv.due_date < today,
        payment_pending=inv.payment_pending,
        can_pay=inv.is_open and payable and not inv.payment_pending,
        pdf_url=call.url(f"/invoices/{inv.id}/pdf"),
    )


def next_action(call: Call, payment: Payment) -> s.NextAction | None:
    """The bank's confirmation the payment waits for, as the confirm page hands it to the
    processor's script (``confirm_payment.html``)."""
    if (
        payment.status is not PaymentStatus.REQUIRES_ACTION
        or call.contact is None
        or payment.contact_id != call.contact.id
    ):  # the secret is the payer's alone
        return None
    fields = {str(k): str(v) for k, v in call.portal.payments.hosted_fields().items()}
    return s.NextAction(
        type="confirm_payment",
        client_secret=payment.action_secret,
        processor=fields,
        refresh_url=call.url(f"/payments/{payment.id}/refresh"),
    )


def payment(call: Call, pay: Payment, number: str) -> s.PaymentOut:
    return s.PaymentOut(
        id=pay.id,
        invoice_id=pay.invoice_id,
        invoice_number=number,
        amount=s.money(pay.amount),
        fee=s.money(pay.fee),
        total=s.money(pay.total),
        status=pay.status.value,
        method_id=pay.method_id,
        method_kind=pay.method_kind.value,
        created_at=s.when(pay.created_at),
        settled_at=s.maybe_when(pay.settled_at),
        refunded_amount=s.money(pay.refunded_amount),
        failure_reason=pay.failure_reason,
        next_action=next_action(call, pay),
    )


def payments(call: Call, found: Iterable[Payment], invoices: Mapping[str, Invoice]) -> list[s.PaymentOut]:
    return [payment(call, p, invoices[p.invoice_id].number if p.invoice_id in invoices else "") for p in found]


def method(m: PaymentMethod, config: PortalConfig) -> s.MethodOut:
    return s.MethodOut(
        id=m.id,
        kind=m.kind.value,
        label=m.label,
        brand=m.brand,
        last4=m.last4,
        exp_month=m.exp_month,
        exp_year=m.exp_year,
        funding=m.funding,
        is_default=m.is_default,
        fee_applies=fee_applies(m, config) and config.convenience_fee_percent > 0,
    )


def proposal(call: Call, p: Proposal, property_name: str) -> s.ProposalOut:
    return s.ProposalOut(
        id=p.id,
        number=p.number,
        property_id=p.property_id,
        property_name=property_name,
        description=p.description,
        status=p.status.value,
        estimated_start=s.day(p.estimated_start),
        cost=s.money(p.cost),
        can_sign=can_sign(p),
        select_and_sign=can_sign(p) and p.has_optional_services,
        signed=p.signature is not None,
        pdf_url=call.url(f"/proposals/{p.id}/pdf"),
    )


def issue(i: Issue) -> s.IssueOut:
    return s.IssueOut(
        id=i.id,
        number=i.number,
        property_id=i.property_id,
        subject=i.subject,
        priority=i.priority.value,
        status=i.status.value,
        notes=i.notes,
        created_at=s.when(i.created_at),
        last_updated=s.when(i.last_updated),
    )


def issue_file(call: Call, issue_id: str, f: Attachment) -> s.FileLink:
    return s.FileLink(
        id=f.id,
        filename=f.filename,
        content_type=f.content_type,
        size=f.size,
        url=call.url(f"/issues/{issue_id}/files/{f.id}"),
    )


def job_file(call: Call, f: JobFile) -> s.FileLink:
    return s.FileLink(
        id=f.id,
        filename=f.filename,
        content_type=f.content_type,
        size=f.size,
        url=call.url(f"/jobs/{f.job_id}/files/{f.id}"),
    )


def report(call: Call, r: Report) -> s.ReportOut:
    kind = "inspection" if r.kind is ReportKind.INSPECTION else "service"
    return s.ReportOut(
        id=r.id,
        property_id=r.property_id,
        kind=kind,  # type: ignore[arg-type]
        title=r.title,
        performed_on=s.day(r.performed_on),
        pdf_url=call.url(f"/reports/{r.id}/pdf"),
    )


def job(j: Job) -> s.JobOut:
    return s.JobOut(
        id=j.id,
        number=j.number,
        property_id=j.property_id,
        title=j.title,
        job_type=j.job_type,
        status=j.status.value,
        description=j.description,
        created_at=s.when(j.created_at),
    )


def visit(call: Call, v: Visit, j: Job) -> s.VisitOut:
    now = call.portal.clock.now()
    return s.VisitOut(
        id=v.id,
        job_id=v.job_id,
        job_number=j.number,
        job_title=j.title,
        property_id=v.property_id,
        starts_at=s.when(v.starts_at),
        ends_at=s.when(v.ends_at),
        status=v.status.value,
        eta=s.maybe_when(v.eta),
        technicians=[t.name for t in v.technicians],
        completion_notes=v.completion_notes,
        completed_at=s.maybe_when(v.completed_at),
        can_change=v.status is VisitStatus.SCHEDULED and v.starts_at > now,
        calendar_url=call.url(f"/visits/{v.id}/calendar.ics"),
    )


def visit_row(call: Call, row: VisitRow) -> s.VisitOut:
    return visit(call, row.visit, row.job)
