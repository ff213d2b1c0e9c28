"""The contact, their profile and password, and the dashboard (ACC-4, ACC-7, PAY-7, VIS-1..5)."""

from __future__ import annotations

from decimal import Decimal

from ... import inputs
from ..._core.visibility import Section
from ...billing._payments import RECENT_LIMIT
from ...web.customer import LANGUAGE
from .. import shapes as s
from ..core import COOKIE, Call
from ..http import ApiResponse
from . import _out


def get_me(call: Call) -> s.Me:
    return _out.me(call.me, call.portal.config)


def update_me(call: Call) -> s.Me:
    """ACC-7 names, the language, PAY-7 receipts: each checked before anything is saved."""
    change: s.ProfileChange = call.body
    accounts, contact = call.portal.accounts, call.me
    language = inputs.language(change.language) if change.language is not None else None
    if change.receipts is not None:
        inputs.flag(change.receipts, "receipts")
    updated = contact
    if change.first_name is not None or change.last_name is not None:
        updated = accounts.update_profile(
            updated,
            change.first_name if change.first_name is not None else contact.first_name,
            change.last_name if change.last_name is not None else contact.last_name,
        )
    if language is not None and language != updated.language:
        updated = accounts.set_language(updated, language)
        if call.client == COOKIE:
            call.req.session[LANGUAGE] = updated.language
    if change.receipts is not None and change.receipts != updated.receipts_opt_in:
        updated = accounts.set_receipts(updated, change.receipts)
    return _out.me(updated, call.portal.config)


def change_password(call: Call) -> ApiResponse:
    """ACC-4: every session of the contact ends, this one and every bearer token included."""
    change: s.PasswordChange = call.body
    call.portal.accounts.change_password(call.me, change.current, change.password, change.confirm)
    if call.client == COOKIE:
        language = call.req.session.get(LANGUAGE)
        call.req.session.clear()
        if language:
            call.req.session[LANGUAGE] = language
        return ApiResponse(status=204, session="end")
    return ApiResponse(status=204)


def dashboard(call: Call) -> s.Dashboard:
    """What the dashboard page shows first: the balance and what is overdue, the invoice "Pay
    now" opens, failed payments, recent payments and the next visit."""
    portal, contact = call.portal, call.me
    vis = portal.visibility
    properties = vis.properties(contact)
    sections = vis.dashboard_sections(contact)
    summary, recent = None, []
    if Section.INVOICES in sections:
        owed = call.activity.owed(contact)
        payable = [i for i in owed.invoices if not i.payment_pending]
        upcoming = [i for i in owed.invoices if i.due_date >= owed.today]
        overdue = owed.overdue
        summary = s.Summary(
            balance=s.money(owed.balance),
            overdue=s.money(sum((i.amount_due for i in overdue), Decimal("0.00"))),
            overdue_count=len(overdue),
            processing=s.money(owed.processing),
            open_count=len(owed.invoices),
            more=owed.more,
            next_due=_out.invoice(call, upcoming[0]) if upcoming else None,
            pay_invoice_id=payable[0].id if payable and portal.config.electronic_payment_enabled else None,
        )
        page, invoices = portal.payments.contact_payments(contact, limit=RECENT_LIMIT)  # as the page
        recent = _out.payments(call, page, invoices)
    failures = [
        s.FailureOut(payment=_out.payment(call, p, i.number), invoice=_out.invoice(call, i))
        for p, i in portal.payments.failures(contact)
    ]
    visits = portal.jobs.visits(contact, None, upcoming=True, limit=1)
    return s.Dashboard(
        contact=_out.me(contact, portal.config),
        properties=[_out.prop(p) for p in properties],
        sections=[sec.value for sec in sections],
        payments_enabled=portal.config.electronic_payment_enabled,
        summary=summary,
        failures=failures,
        recent_payments=recent,
        next_visit=_out.visit_row(call, visits[0]) if visits else None,
    )
