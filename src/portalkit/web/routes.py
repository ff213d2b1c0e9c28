"""Every portal page: its endpoint, its path (Flask syntax; the Django glue converts it) and methods.

Paths are relative to wherever the host mounts the portal (``/portal/`` say).
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Route:
    endpoint: str
    path: str
    methods: tuple[str, ...] = ("GET",)


_GET, _POST, _BOTH = ("GET",), ("POST",), ("GET", "POST")

ROUTES: tuple[Route, ...] = (
    Route("home", ""),
    Route("static", "static/<path:name>"),
    Route("login", "login", _BOTH),
    Route("logout", "logout", _POST),
    Route("forgot_password", "forgot-password", _BOTH),
    Route("login_link", "login/link", _BOTH),
    Route("open_login_link", "sign-in/<token>"),
    Route("sign_in", "sign-in", _BOTH),
    Route("open_reset_link", "reset-password/<token>"),
    Route("reset_password", "reset-password", _BOTH),
    Route("open_signup_link", "signup/<token>"),
    Route("signup", "signup", _BOTH),
    Route("dashboard", "dashboard"),
    Route("invoice_pdf", "invoices/<id>/pdf"),
    Route("statement", "statement"),
    Route("pay", "invoices/<id>/pay", _BOTH),
    Route("payment_methods", "payment-methods", _BOTH),
    Route("confirm_payment", "payments/<id>/confirm"),
    Route("payment_return", "payments/<id>/return"),
    Route("proposal", "proposals/<id>"),
    Route("proposal_pdf", "proposals/<id>/pdf"),
    Route("sign", "proposals/<id>/sign", _BOTH),
    Route("new_issue", "issues/new", _BOTH),
    Route("issue", "issues/<id>"),
    Route("report_pdf", "reports/<id>/pdf"),
    Route("comment", "issues/<id>/comments", _POST),
    Route("issue_file", "issues/<id>/files/<file_id>"),
    Route("profile", "profile", _BOTH),
    Route("new_quote", "quotes/new", _BOTH),
    Route("staff_login", "staff/login", _BOTH),
    Route("staff_logout", "staff/logout", _POST),
    Route("staff_contacts", "staff"),
    Route("staff_invite", "staff/invitations", _POST),
    Route("staff_customers", "staff/customers"),
    Route("staff_contact_new", "staff/customers/<customer_id>/contacts/new", _BOTH),
    Route("staff_contact", "staff/contacts/<id>"),
    Route("staff_contact_action", "staff/contacts/<id>/<action>", _POST),
    Route("staff_issues", "staff/issues"),
    Route("staff_issue", "staff/issues/<id>"),
    Route("staff_issue_file", "staff/issues/<id>/files/<file_id>"),
    Route("staff_issue_action", "staff/issues/<id>/<action>", _POST),
    Route("staff_quotes", "staff/quotes"),
    Route("staff_reports", "staff/reports", _BOTH),
    Route("staff_report_pdf", "staff/reports/<id>/pdf"),
    Route("staff_report_remove", "staff/reports/<id>/remove", _POST),
    Route("staff_branding", "staff/branding", _BOTH),
    Route("logo", "logo/<key>"),
    Route("staff_payments", "staff/payments", _BOTH),
    Route("staff_payment_action", "staff/payments/<id>/<action>", _POST),
    Route("staff_proposals", "staff/proposals"),
    Route("staff_proposal", "staff/proposals/<id>"),
    Route("staff_proposal_pdf", "staff/proposals/<id>/pdf"),
    Route("staff_proposal_signature", "staff/proposals/<id>/signature"),
    Route("staff_proposal_status", "staff/proposals/<id>/status", _POST),
    Route("processor_webhook", "webhooks/processor", _POST),  # signed by the processor, not a form: no CSRF
)
WEBHOOKS = frozenset({"processor_webhook"})
