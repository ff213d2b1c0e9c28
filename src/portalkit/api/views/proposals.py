"""Proposals: lists, view, PDF, Sign and Select-and-Sign with a deposit (PRO-1..4, PRO-7)."""

from __future__ import annotations

from ...errors import PortalError, ValidationError
from ...i18n import _
from ...models import Proposal
from ...proposals._proposals import ProposalFilter
from ...web.http import FileResponse
from .. import shapes as s
from ..core import Call
from . import _out

PROPOSAL_FILTERS = {"open": ProposalFilter.OPEN, "work_in_process": ProposalFilter.WORK_IN_PROCESS}


def list_proposals(call: Call) -> s.ProposalPage:
    """PRO-1: Open or Work-In-Process, by start date; one page."""
    q: s.ProposalQuery = call.query
    page = call.portal.proposals.list(call.me, q.property_id, PROPOSAL_FILTERS[q.status], after=q.after, limit=q.limit)
    return s.ProposalPage(
        items=[_out.proposal(call, row.proposal, row.property_name) for row in page], next_after=page.next_after
    )


def _detail(call: Call, proposal: Proposal) -> s.ProposalDetail:
    place = call.portal.visibility.require_property(call.me, proposal.property_id)
    sig = proposal.signature
    chosen = set(sig.selected_service_ids) if sig else set()
    services = [
        s.ServiceOut(
            id=v.id, name=v.name, price=s.money(v.price), optional=v.optional, chosen=not v.optional or v.id in chosen
        )
        for v in proposal.services
    ]
    signature = (
        s.SignatureOut(signer_name=sig.signer_name, signed_at=s.when(sig.signed_at), total=s.money(sig.total))
        if sig
        else None
    )
    return s.ProposalDetail(
        proposal=_out.proposal(call, proposal, place.name),
        services=services,
        deposit=s.money(proposal.deposit),
        deposit_percent=proposal.deposit_percent,
        deposit_invoice_id=proposal.deposit_invoice_id,
        consent_text=call.portal.config.signature_consent_text,
        signature=signature,
    )


def get_proposal(call: Call) -> s.ProposalDetail:
    return _detail(call, call.portal.proposals.get(call.me, call.params["id"]))


def proposal_pdf(call: Call) -> FileResponse:
    return FileResponse(call.portal.proposals.pdf(call.me, call.params["id"]), "application/pdf", "proposal.pdf")


def sign(call: Call) -> s.SignResult:
    """PRO-2..4: drawn or typed, the consent ticked, the optional services chosen; a deposit is
    charged right after with the method given (its payment, which may wait for the bank)."""
    order: s.SignOrder = call.body
    if not order.consent:
        raise ValidationError(_("Tick the box to agree to the terms before you sign."), field="consent")
    signed = call.portal.proposals.sign(
        call.me,
        call.params["id"],
        order.signature or "",
        call.req.ip,
        order.services,
        user_agent=call.req.header("User-Agent"),
        deposit_method_id=order.deposit_method_id,
        typed_name=order.typed_name,
    )
    deposit = None
    if signed.deposit_invoice_id:
        try:
            paid = call.portal.payments.history(call.me, signed.deposit_invoice_id)
            invoice = call.portal.invoices.get(call.me, signed.deposit_invoice_id)
        except PortalError:  # the signer may not see invoices: the deposit is billed all the same
            paid = []
        mine = [p for p in paid if p.contact_id == call.me.id]
        deposit = _out.payment(call, mine[-1], invoice.number) if mine else None
    return s.SignResult(proposal=_detail(call, signed), deposit_payment=deposit)


def request_quote(call: Call) -> s.QuoteRequestOut:
    """PRO-7: a contact with the permission asks for new work."""
    body: s.NewQuoteRequest = call.body
    found = call.portal.proposals.request_quote(call.me, body.property_id, body.description)
    return s.QuoteRequestOut(id=found.id, property_id=found.property_id, created_at=s.when(found.created_at))
