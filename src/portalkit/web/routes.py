"""Every portal page: its endpoint, its path (Flask syntax; the Django glue converts it), methods
and body-size class.

Paths are relative to wherever the host mounts the portal (``/portal/`` say).

The body-size class says how large a request body the page takes (``PortalWeb.body_limit``); both
glues refuse a larger ``Content-Length`` with 413 before anything reads the body, and a body
streamed without a length (``Transfer-Encoding: chunked``) with 411; a request with neither
header has no body (RFC 9112, 6.3). ``ANONYMOUS`` forms (login, sign-up, reset) take
``SMALL_BODY``; a signed-in visitor's plain ``FORM`` takes ``FORM_BODY`` (a drawn ``SIGNATURE``
more); the upload pages take their files' limits — ``FILES`` the company's
``max_issue_attachments`` × ``max_attachment_bytes``, ``REPORT`` a report's 50 MB, ``LOGO`` a
logo's 2 MB — each plus ``FORM_BODY``. Anything but ``ANONYMOUS`` and ``WEBHOOK`` takes more than
``SMALL_BODY`` only from a signed-in visitor of its side: a staff user on the staff pages, a
customer session on the others. The processor's ``WEBHOOK`` takes ``WEBHOOK_BODY``
(``payments.handle_webhook`` refuses more).
"""

from __future__ import annotations

import attrs

ANONYMOUS, FORM, SIGNATURE, FILES, REPORT, LOGO, WEBHOOK = (
    "anonymous",
    "form",
    "signature",
    "files",
    "report",
    "logo",
    "webhook",
)
SMALL_BODY = 16 * 1024
FORM_BODY = 256 * 1024
WEBHOOK_BODY = 1024 * 1024


@attrs.frozen
class Route:
    endpoint: str
    path: str
    methods: tuple[str, ...] = ("GET",)
    body: str = FORM


_GET, _POST, _BOTH = ("GET",), ("POST",), ("GET", "POST")

ROUTES: tuple[Route, ...] = (
    Route("home", "", body=ANONYMOUS),
    Route("static", "static/<path:name>", body=ANONYMOUS),
    Route("login", "login", _BOTH, ANONYMOUS),
    Route("logout", "logout", _POST, ANONYMOUS),
    Route("forgot_password", "forgot-password", _BOTH, ANONYMOUS),
    Route("login_link", "login/link", _BOTH, ANONYMOUS),
    Route("open_login_link", "sign-in/<token>", body=ANONYMOUS),  # links of older mail: refused (web/customer.py)
    Route("sign_in", "sign-in", _BOTH, ANONYMOUS),
    Route("open_reset_link", "reset-password/<token>", body=ANONYMOUS),
    Route("reset_password", "reset-password", _BOTH, ANONYMOUS),
    Route("open_signup_link", "signup/<token>", body=ANONYMOUS),
    Route("signup", "signup", _BOTH, ANONYMOUS),
    Route("confirm_email", "confirm-email", _BOTH, ANONYMOUS),
    # a second step at sign-in (issue 27, web/twostep.py): after the password, before any session
    Route("second_step", "login/second-step", _BOTH, ANONYMOUS),
    Route("second_step_setup", "login/second-step/setup", _BOTH, ANONYMOUS),
    Route("passkey_login", "login/passkey", _POST, ANONYMOUS),
    Route("dashboard", "dashboard"),
    Route("invoice_pdf", "invoices/<id>/pdf"),
    Route("statement", "statement"),
    Route("pay", "invoices/<id>/pay", _BOTH),
    Route("payment_methods", "payment-methods", _BOTH),
    Route("confirm_payment", "payments/<id>/confirm"),
    Route("payment_return", "payments/<id>/return"),
    Route("plan", "plans/<id>", _BOTH),
    Route("plan_new", "invoices/<id>/plan", _BOTH),
    Route("proposal", "proposals/<id>"),
    Route("proposal_pdf", "proposals/<id>/pdf"),
    Route("sign", "proposals/<id>/sign", _BOTH, SIGNATURE),
    Route("new_issue", "issues/new", _BOTH, FILES),
    Route("issue", "issues/<id>"),
    Route("report_pdf", "reports/<id>/pdf"),
    Route("comment", "issues/<id>/comments", _POST, FILES),
    Route("issue_file", "issues/<id>/files/<file_id>"),
    Route("profile", "profile", _BOTH),
    Route("new_quote", "quotes/new", _BOTH),
    Route("jobs", "jobs"),
    Route("new_job", "jobs/new", _BOTH, FILES),
    Route("job", "jobs/<id>"),
    Route("job_file", "jobs/<id>/files/<file_id>"),
    Route("visit_calendar", "visits/<id>/calendar.ics"),
    Route("technician_photo", "visits/<id>/technicians/<int:n>/photo"),
    Route("visit_change", "visits/<id>/change", _BOTH),
    Route("rate_visit", "visits/<id>/rating", _POST),
    Route("new_calendar_link", "calendar/new-link", _POST),
    Route("calendar_feed", "calendar/<token>.ics", body=ANONYMOUS),  # the signed link is the key: no session
    Route("notices", "profile/notices", _BOTH),
    Route("security", "profile/security", _BOTH),
    Route("security_app", "profile/security/app", _BOTH),
    Route("staff_login", "staff/login", _BOTH, ANONYMOUS),
    Route("staff_logout", "staff/logout", _POST, ANONYMOUS),
    Route("staff_contacts", "staff"),
    Route("staff_invite", "staff/invitations", _POST),
    Route("staff_customers", "staff/customers"),
    Route("staff_contact_new", "staff/customers/<customer_id>/contacts/new", _BOTH),
    Route("staff_contact", "staff/contacts/<id>"),
    Route("staff_contact_action", "staff/contacts/<id>/<action>", _POST),
    Route("staff_issues", "staff/issues"),
    Route("staff_issue", "staff/issues/<id>"),
    Route("staff_issue_file", "staff/issues/<id>/files/<file_id>"),
    Route("staff_issue_action", "staff/issues/<id>/<action>", _POST, FILES),
    Route("staff_quotes", "staff/quotes"),
    Route("staff_reports", "staff/reports", _BOTH, REPORT),
    Route("staff_report_pdf", "staff/reports/<id>/pdf"),
    Route("staff_report_remove", "staff/reports/<id>/remove", _POST),
    Route("staff_branding", "staff/branding", _BOTH, LOGO),
    Route("logo", "logo/<key>", body=ANONYMOUS),
    Route("staff_payments", "staff/payments"),
    Route("staff_payment_action", "staff/payments/<id>/<action>", _POST),
    Route("staff_plans", "staff/plans", _BOTH),
    Route("staff_plan_settings", "staff/plans/settings", _POST),  # before staff/plans/<id>
    Route("staff_plan", "staff/plans/<id>", _BOTH),
    Route("staff_proposals", "staff/proposals"),
    Route("staff_proposal", "staff/proposals/<id>"),
    Route("staff_proposal_pdf", "staff/proposals/<id>/pdf"),
    Route("staff_proposal_signature", "staff/proposals/<id>/signature"),
    Route("staff_proposal_status", "staff/proposals/<id>/status", _POST),
    Route("staff_visits", "staff/visits"),
    Route("staff_jobs", "staff/jobs"),
    Route("staff_job_lists", "staff/jobs/notification-lists", _POST),
    Route("staff_job", "staff/jobs/<id>"),
    Route("staff_job_file", "staff/jobs/<id>/files/<file_id>"),
    Route("staff_job_action", "staff/jobs/<id>/<action>", _POST, FILES),
    Route("staff_visit_action", "staff/visits/<id>/<action>", _POST, FILES),
    Route("staff_request_action", "staff/requests/<id>/<action>", _POST),
    Route("processor_webhook", "webhooks/processor", _POST, WEBHOOK),  # signed by the processor, not a form: no CSRF
    Route("text_webhook", "webhooks/texts", _POST, WEBHOOK),  # signed by the text-message provider
)
WEBHOOKS = frozenset(r.endpoint for r in ROUTES if r.body == WEBHOOK)
BODIES = {r.endpoint: r.body for r in ROUTES}
