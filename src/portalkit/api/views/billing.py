"""Invoices, payments, payment methods and statements (PAY-1..7), through ``portal.invoices``,
``portal.payments`` and ``portal.statements``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ...billing._invoices import InvoiceFilter
from ...errors import ValidationError
from ...i18n import _
from ...web.http import FileResponse
from .. import shapes as s
from ..core import Call
from . import _out

INVOICE_FILTERS = {
    "open": InvoiceFilter.OPEN,
    "paid_last_6_months": InvoiceFilter.PAID_LAST_6_MONTHS,
    "all_paid": InvoiceFilter.ALL_PAID,
}


def list_invoices(call: Call) -> s.InvoicePage:
    """PAY-1: Open by due date, or paid (latest first), of one property; one page."""
    q: s.InvoiceQuery = call.query
    page = call.portal.invoices.list(call.me, q.property_id, INVOICE_FILTERS[q.status], after=q.after, limit=q.limit)
    return s.InvoicePage(items=[_out.invoice(call, row.invoice) for row in page], next_after=page.next_after)


def get_invoice(call: Call) -> s.InvoiceDetail:
    invoices, contact = call.portal.invoices, call.me
    invoice = invoices.get(contact, call.params["id"])
    lines = [
        s.LineOut(
            description=line.description,
            quantity=f"{line.quantity.normalize():f}",
            unit_price=s.money(line.unit_price),
            amount=s.money(line.amount),
        )
        for line in invoices.lines(contact, invoice.id)
    ]
    history = call.portal.payments.history(contact, invoice.id) if call.portal.config.electronic_payment_enabled else []
    return s.InvoiceDetail(
        invoice=_out.invoice(call, invoice),
        terms=invoice.terms,
        deposit_credit=s.money(invoice.deposit_credit),
        lines=lines,
        payments=_out.payments(call, history, {invoice.id: invoice}),
    )


def invoice_pdf(call: Call) -> FileResponse:
    return FileResponse(call.portal.invoices.pdf(call.me, call.params["id"]), "application/pdf", "invoice.pdf")


def list_payments(call: Call) -> s.PaymentPage:
    q: s.PageQuery = call.query
    page, invoices = call.portal.payments.contact_payments(call.me, after=q.after, limit=q.limit)
    return s.PaymentPage(items=_out.payments(call, page, invoices), next_after=page.next_after)


def get_payment(call: Call) -> s.PaymentOut:
    payment = call.portal.payments.own_payment(call.me, call.params["id"])
    return _out.payment(call, payment, call.portal.invoices.get(call.me, payment.invoice_id).number)


def refresh_payment(call: Call) -> s.PaymentOut:
    """Back from the bank (3-D Secure): ask the processor now, as ``payment_return`` does."""
    payment = call.portal.payments.refresh(call.me, call.params["id"])
    return _out.payment(call, payment, call.portal.invoices.get(call.me, payment.invoice_id).number)


def _amounts(call: Call, items: list[s.PayItem]) -> list[tuple[str, str]]:
    """Each invoice with its amount: the one sent, else the amount due (the invoice checked)."""
    invoices = call.portal.invoices
    return [
        (i.invoice_id, i.amount if i.amount is not None else s.money(invoices.get(call.me, i.invoice_id).amount_due))
        for i in items
    ]


def quote(call: Call) -> s.QuoteOut:
    """PAY-5: the fee and the total before anything is charged."""
    order: s.QuoteOrder = call.body
    config = call.portal.config
    lines = []
    for invoice_id, amount in _amounts(call, order.invoices):
        q = call.portal.payments.quote(call.me, invoice_id, order.method_id, amount)
        lines.append(
            s.QuoteLine(invoice_id=invoice_id, amount=s.money(q.amount), fee=s.money(q.fee), total=s.money(q.total))
        )
    if not lines:
        raise ValidationError(_("Choose at least one invoice to pay."), field="invoices")
    total = sum((Decimal(line.total) for line in lines), Decimal("0.00"))
    fee = sum((Decimal(line.fee) for line in lines), Decimal("0.00"))
    return s.QuoteOut(
        items=lines,
        subtotal=s.money(total - fee),
        fee=s.money(fee),
        total=s.money(total),
        fee_percent=s.money(config.convenience_fee_percent),
    )


def pay(call: Call) -> s.PaymentGroup:
    """PAY-5, PAY-6: ``payments.pay_many``, one payment per invoice, as the pay page pays."""
    order: s.PayOrder = call.body
    done = call.portal.payments.pay_many(
        call.me, _amounts(call, order.invoices), order.method_id, order.idempotency_key
    )
    numbers = {p.invoice_id: call.portal.invoices.get(call.me, p.invoice_id).number for p in done}
    shown = [_out.payment(call, p, numbers[p.invoice_id]) for p in done]
    return s.PaymentGroup(payments=shown, next_action=next((p.next_action for p in shown if p.next_action), None))


def list_methods(call: Call) -> s.MethodList:
    config = call.portal.config
    return s.MethodList(
        items=[_out.method(m, config) for m in call.portal.payments.methods(call.me)],
        fee_percent=s.money(config.convenience_fee_percent),
    )


def setup_method(call: Call) -> s.Setup:
    """PAY-4: what the page gets from ``payments.start_setup`` for the processor's hosted fields."""
    setup = call.portal.payments.start_setup(call.me)
    return s.Setup(
        client_secret=setup.client_secret,
        processor={str(k): str(v) for k, v in setup.fields.items()},
        ach_mandate=call.portal.config.ach_mandate_text,
    )


def add_method(call: Call) -> s.MethodOut:
    body: s.NewMethod = call.body
    method = call.portal.payments.add_method(call.me, body.token, make_default=body.make_default)
    return _out.method(method, call.portal.config)


def set_default_method(call: Call) -> s.MethodOut:
    return _out.method(call.portal.payments.set_default(call.me, call.params["id"]), call.portal.config)


def remove_method(call: Call) -> None:
    call.portal.payments.remove_method(call.me, call.params["id"])


def _period(call: Call) -> tuple[date, date]:
    q: s.StatementQuery = call.query
    try:
        return date.fromisoformat(q.start), date.fromisoformat(q.end)
    except ValueError:
        raise ValidationError(_("Enter both dates as YYYY-MM-DD."), field="start") from None


def statement(call: Call) -> s.StatementOut:
    start, end = _period(call)
    found = call.portal.statements.statement(call.me, start, end)
    parts = [
        s.PropertyStatementOut(
            property_id=p.place.id,
            name=p.place.name,
            opening=s.money(p.opening),
            closing=s.money(p.closing),
            entries=[
                s.EntryOut(on=s.day(e.on), description=e.description, amount=s.money(e.amount)) for e in p.entries
            ],
        )
        for p in found.properties
    ]
    return s.StatementOut(
        start=s.day(start),
        end=s.day(end),
        closing=s.money(found.closing),
        properties=parts,
        pdf_url=call.url(f"/statement/pdf?start={start}&end={end}"),
    )


def statement_pdf(call: Call) -> FileResponse:
    start, end = _period(call)
    return FileResponse(
        call.portal.statements.pdf(call.me, start, end), "application/pdf", f"statement-{start}-{end}.pdf"
    )
