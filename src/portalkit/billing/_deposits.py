"""Deposits at signing (issue 15): a proposal may ask for a deposit — an amount, or a percent of
the total the signer chose — collected in the signing flow with one of their saved methods. It
is billed on an invoice of its own ("P-502-DEPOSIT", to the signer, due at once), so it is paid,
failed, refunded and reconciled exactly as any invoice; once paid, the proposal's first invoice
takes it off its amount due (``Invoice.deposit_credit``)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import attrs

from .. import money
from ..errors import ValidationError
from ..i18n import _
from ..models import Contact, Invoice, Proposal
from ..ports import Storage

HUNDRED = Decimal("100")


def checked_deposit(deposit: object, percent: bool) -> Decimal:
    value = money.parse(deposit, field="deposit")
    if percent and value > HUNDRED:
        raise ValidationError(_("A deposit is at most 100 percent of the total."), field="deposit")
    return value


def deposit_for(proposal: Proposal, total: Decimal) -> Decimal:
    """The deposit due on signing for a chosen ``total`` (never more than it)."""
    if proposal.deposit <= 0:
        return Decimal("0.00")
    value = (
        (total * proposal.deposit / HUNDRED).quantize(money.CENT, ROUND_HALF_UP)
        if proposal.deposit_percent
        else proposal.deposit
    )
    return min(value, total)


def deposit_invoice(proposal: Proposal, signer: Contact, amount: Decimal, today: date) -> Invoice:
    """The invoice a deposit is billed on: to the signer, due the day it is signed."""
    return Invoice(
        number=f"{proposal.number}-DEPOSIT",
        property_id=proposal.property_id,
        billing_contact_id=signer.id,
        amount=amount,
        amount_due=amount,
        invoice_date=today,
        net_days=0,
        terms=f"Deposit on proposal {proposal.number}",
        proposal_id=proposal.id,
    )


def credit_deposit(storage: Storage, invoice: Invoice) -> Invoice:
    """Take a proposal's paid deposit off the first invoice that bills the proposal (the
    deposit's own invoice and later invoices are left alone). Inside the caller's transaction."""
    if invoice.proposal_id is None:
        return invoice
    proposal = storage.get(Proposal, invoice.proposal_id)
    if proposal is None or proposal.deposit_invoice_id in (None, invoice.id):
        return invoice
    deposit = storage.get(Invoice, proposal.deposit_invoice_id)
    if deposit is None or deposit.amount_due > 0:
        return invoice  # not paid (yet): nothing to take off
    billed = storage.find(Invoice, proposal_id=proposal.id)
    if any(i.deposit_credit > 0 for i in billed if i.id != invoice.id):
        return invoice
    credit = min(deposit.amount, invoice.amount_due)
    due = invoice.amount_due - credit
    return attrs.evolve(
        invoice, deposit_credit=credit, amount_due=due, paid_on=invoice.invoice_date if due == 0 else invoice.paid_on
    )
