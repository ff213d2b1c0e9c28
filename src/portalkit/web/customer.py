"""The customer's pages: sign-up, login, password reset, dashboard, invoices and payments,
proposals and signing, issues, quote requests, profile."""

from __future__ import annotations

import secrets
from datetime import date
from typing import TYPE_CHECKING, Any, Callable

from .. import i18n, money
from ..errors import AuthenticationFailed, InvalidWebhook, SessionExpired, ValidationError
from ..i18n import _
from ..invoices import InvoiceFilter
from ..labels import label, method_name
from ..issues import IssueFilter
from ..models import Contact, Invoice, PaymentStatus, Priority
from ..payments import OPEN, fee_applies
from ..proposals import ProposalFilter, can_sign
from ..visibility import Section
from .http import FileResponse, Page, PageRequest, Redirect, Reply, Result, attachment_response
from .forms import choice

if TYPE_CHECKING:
    from ..portal import Portal

TOKEN = "portalkit_token"
SIGNUP_TOKEN = "portalkit_signup_token"
RESET_TOKEN = "portalkit_reset_token"
LOGIN_LINK_TOKEN = "portalkit_login_link_token"
EMAIL_TOKEN = "portalkit_email_token"
FLASH = "portalkit_flash"
LANGUAGE = "portalkit_language"


def flash(req: PageRequest, message: str) -> None:
    req.session[FLASH] = message


def _token_of(link: str) -> str:
    """The token of a mailed link pasted whole (after its "#"), or pasted alone."""
    link = link.strip()
    return link.rpartition("#")[2] if "#" in link else ("" if "/" in link or " " in link else link)


def _keep(language: str | None) -> dict[str, str]:
    """The login page after a logout still speaks the contact's language (the session is new)."""
    return {"lang": language} if language and language != i18n.DEFAULT_LANGUAGE else {}


class CustomerPages:
    portal: "Portal"

    def contact(self, req: PageRequest) -> Contact:
        token = req.session.get(TOKEN)
        if not token:
            raise SessionExpired()
        contact = self.portal.accounts.authenticate(token)
        if req.session.get(LANGUAGE) != contact.language:
            req.session[LANGUAGE] = contact.language  # the page around this one speaks it too
        i18n.activate(contact.language)
        return contact

    # -- sign-up and login ----------------------------------------------------------------
    def home(self, req: PageRequest) -> Result:
        return Redirect("dashboard" if req.session.get(TOKEN) else "login")

    def login(self, req: PageRequest) -> Result:
        if req.method == "GET":
            return Page("login.html")
        try:
            session = self.portal.accounts.login(req.field("email"), req.field("password"), req.ip)
        except (AuthenticationFailed, ValidationError) as exc:
            return Page("login.html", {"error": exc.public_message, "email": req.field("email")}, 401)
        self._start_session(req, session.token)
        return Redirect("dashboard", session="rotate")

    def _start_session(self, req: PageRequest, token: str) -> None:
        req.session.clear()
        req.session[TOKEN] = token
        self.contact(req)  # its language for the pages from here on

    def logout(self, req: PageRequest) -> Result:
        token = req.session.pop(TOKEN, None)
        if token:
            self.portal.accounts.logout(token)
        language = req.session.get(LANGUAGE)
        req.session.clear()
        return Redirect("login", _keep(language), session="end")

    def forgot_password(self, req: PageRequest) -> Result:
        return self._ask_for_link(req, "forgot.html", self.portal.accounts.request_reset)

    def login_link(self, req: PageRequest) -> Result:
        """"Email me a sign-in link": the same answer for every address."""
        return self._ask_for_link(req, "login_link.html", self.portal.accounts.request_login_link)

    @staticmethod
    def _ask_for_link(req: PageRequest, template: str, request: Callable[[str, str], str]) -> Result:
        if req.method == "GET":
            return Page(template)
        try:
            answer = request(req.field("email"), req.ip)
        except ValidationError as exc:
            return Page(template, {"error": exc.public_message}, 400)
        flash(req, answer)
        return Redirect("login")

    # Mailed links carry their token after "#": browsers never send it, so it is in no request
    # line, access log or referrer. The link's page posts it (a script reads it; without one the
    # visitor pastes the link); the token goes into the session and the browser is sent on to a
    # clean URL. Nothing is used up by opening a link: a mail scanner that follows it, even
    # running the script, signs nobody in.
    def _link_step(self, req: PageRequest, key: str, check: Callable[[str], object], endpoint: str,
                   title: str) -> Result | None:
        """The page of a mailed link before its token is in the session: the form that posts it,
        or, on that post, the token checked, kept and the visitor sent on. ``None`` once the
        session holds a token and the page itself should answer."""
        posted = req.field("link_token") or _token_of(req.field("link"))
        if req.method == "POST" and (posted or "link" in req.form):
            if not posted:
                return Page("link.html", {"title": title, "action": endpoint,
                                          "error": _("Paste the whole link from the email.")}, 400)
            check(posted)  # an expired or used link renders as a message
            req.session[key] = posted
            return Redirect(endpoint)
        if req.session.get(key):
            return None
        return Page("link.html", {"title": title, "action": endpoint})

    def old_link(self, req: PageRequest, token: str) -> Result:
        """A link in the form mailed before tokens moved after "#": its token may sit in an access
        log, so it is never used; a new link is one click away."""
        return Page("message.html", {"title": _("This link can no longer be used"),
                                     "message": _("Links from older emails no longer work. Ask for a new one."),
                                     "link": ("login", _("Log in"))}, 410)

    open_login_link = open_reset_link = open_signup_link = old_link

    def sign_in(self, req: PageRequest) -> Result:
        step = self._link_step(req, LOGIN_LINK_TOKEN, self.portal.accounts.check_login_link, "sign_in",
                               _("Sign in"))
        if step is not None:
            return step
        token = req.session[LOGIN_LINK_TOKEN]
        if req.method == "GET":
            contact = self.portal.accounts.check_login_link(token)
            return Page("sign_in.html", {"who": contact.name, "email": contact.email})
        session = self.portal.accounts.login_with_link(token)
        self._start_session(req, session.token)
        return Redirect("dashboard", session="rotate")

    def reset_password(self, req: PageRequest) -> Result:
        step = self._link_step(req, RESET_TOKEN, self.portal.accounts.check_reset_link, "reset_password",
                               _("Choose a new password"))
        if step is not None:
            return step
        context = {"title": _("Choose a new password"), "rules": self.portal.accounts.password_rules,
                   "action": "reset_password"}
        token = req.session[RESET_TOKEN]
        if req.method == "GET":
            self.portal.accounts.check_reset_link(token)
            return Page("password_form.html", context)
        try:
            self.portal.accounts.reset_password(token, req.field("password"), req.field("confirm"))
        except ValidationError as exc:
            return Page("password_form.html", {**context, "error": exc.public_message}, 400)
        req.session.pop(RESET_TOKEN, None)
        flash(req, _("Your password was changed. Log in with the new one."))
        return Redirect("login")

    def signup(self, req: PageRequest) -> Result:
        step = self._link_step(req, SIGNUP_TOKEN, self.portal.invitations.open, "signup", _("Sign up"))
        if step is not None:
            return step
        context = {"title": _("Sign up"), "rules": self.portal.accounts.password_rules, "action": "signup"}
        token = req.session[SIGNUP_TOKEN]
        invitations = self.portal.invitations
        if req.method == "GET":
            contact = invitations.invited_contact(*invitations.check_link(token))
            return Page("password_form.html", {**context, "who": contact.name, "email": contact.email})
        try:
            self.portal.accounts.sign_up(token, req.field("password"), req.field("confirm"))
        except ValidationError as exc:
            return Page("password_form.html", {**context, "error": exc.public_message}, 400)
        req.session.pop(SIGNUP_TOKEN, None)
        return Page("message.html", {"title": _("You are signed up"), "message": _("Your portal account is ready."),
                                     "link": ("login", _("Log in"))})

    def confirm_email(self, req: PageRequest) -> Result:
        """ACC-8: the link mailed to a new address; confirming makes it the sign-in and signs the
        contact out everywhere."""
        accounts = self.portal.accounts
        step = self._link_step(req, EMAIL_TOKEN, accounts.check_email_change, "confirm_email",
                               _("Confirm your new email"))
        if step is not None:
            return step
        token = req.session[EMAIL_TOKEN]
        if req.method == "GET":
            contact = accounts.check_email_change(token)
            return Page("confirm_email.html", {"who": contact.name, "new_email": contact.pending_email})
        contact = accounts.confirm_email_change(token)
        language = contact.language
        req.session.clear()
        flash(req, _("Your email is now %(email)s. Log in with it and your password.") % {"email": contact.email})
        return Redirect("login", _keep(language), session="end")

    # -- dashboard ------------------------------------------------------------------------
    def dashboard(self, req: PageRequest) -> Result:
        contact = self.contact(req)
        vis = self.portal.visibility
        properties = vis.properties(contact)
        sections = vis.dashboard_sections(contact)
        base = {"contact": contact, "properties": properties, "sections": sections,
                "failures": self.portal.payments.failures(contact)}
        if not properties or not sections:
            return Page("dashboard.html", base)
        prop = next((p for p in properties if p.id == req.arg("property")), properties[0])
        view = next((s for s in sections if s.value == req.arg("view")), sections[0])
        ctx: dict[str, Any]
        after = req.arg("after") or None
        if view is Section.INVOICES:
            which_i = choice(InvoiceFilter, req.arg("filter"))
            ctx = {"filters": list(InvoiceFilter), "which": which_i,
                   "rows": self.portal.invoices.list(contact, prop.id, which_i, after=after),
                   "sees_all_invoices": contact.id in (prop.primary_contact_id, prop.billing_contact_id)}
        elif view is Section.PROPOSALS:
            which_p = choice(ProposalFilter, req.arg("filter"))
            ctx = {"filters": list(ProposalFilter), "which": which_p,
                   "rows": self.portal.proposals.list(contact, prop.id, which_p, after=after)}
        elif view is Section.REPORTS:
            ctx = {"filters": [], "which": None, "rows": self.portal.reports.list(contact, prop.id, after=after)}
        else:
            which_s = choice(IssueFilter, req.arg("filter"))
            ctx = {"filters": list(IssueFilter), "which": which_s,
                   "rows": self.portal.issues.list(contact, prop.id, which_s, after=after)}
        return Page("dashboard.html", {**base, "prop": prop, "view": view, "paged": after is not None,
                                       "payments_on": self.portal.config.electronic_payment_enabled, **ctx})

    # -- invoices and payments ------------------------------------------------------------
    def invoice_pdf(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.invoices.pdf(self.contact(req), id), "application/pdf", "invoice.pdf")

    def statement(self, req: PageRequest) -> Result:
        """An account statement of a period: a form, then the PDF."""
        contact = self.contact(req)
        today = self.portal.clock.now().date()
        start, end = req.arg("start"), req.arg("end")
        defaults = {"start": today.replace(day=1).isoformat(), "end": today.isoformat()}
        if not start and not end:
            self.portal.visibility.require_section(contact, Section.INVOICES)
            return Page("statement.html", {"contact": contact, **defaults})
        try:
            period = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            return Page("statement.html", {"contact": contact, **defaults,
                                           "error": _("Enter both dates as YYYY-MM-DD.")}, 400)
        return FileResponse(self.portal.statements.pdf(contact, *period), "application/pdf",
                            f"statement-{period[0]}-{period[1]}.pdf")

    def pay(self, req: PageRequest, id: str) -> Result:
        contact = self.contact(req)
        payments = self.portal.payments
        invoice = self.portal.invoices.get(contact, id)
        methods = payments.methods(contact)
        ctx = {"contact": contact, "invoice": invoice, "methods": methods,
               "fee_percent": self.portal.config.convenience_fee_percent,
               "fee_methods": {m.id for m in methods if fee_applies(m, self.portal.config)},
               "pending": [p for p in payments.history(contact, id) if p.status in OPEN]}
        if req.method == "GET":
            return Page("pay.html", {**ctx, "key": secrets.token_urlsafe(16)})
        try:
            payment = payments.pay(contact, id, req.field("method"), req.field("amount"), req.field("key"))
        except ValidationError as exc:
            return Page("pay.html", {**ctx, "key": req.field("key"), "error": exc.public_message,
                                     "amount": req.field("amount")}, 400)
        if payment.status is PaymentStatus.FAILED:
            flash(req, _("The payment was refused: %(reason)s") % {"reason": payment.failure_reason})
        elif payment.status is PaymentStatus.REQUIRES_ACTION:
            return Redirect("confirm_payment", {"id": payment.id})
        elif payment.status is PaymentStatus.SETTLED:
            flash(req, _("Payment of %(total)s on invoice %(number)s received. Thank you.")
                  % {"total": money.display(payment.total), "number": invoice.number})
        else:
            flash(req, _("Payment of %(total)s on invoice %(number)s submitted; it is pending until the processor "
                         "confirms it.") % {"total": money.display(payment.total), "number": invoice.number})
        return Redirect("dashboard", {"property": invoice.property_id, "view": "invoices"})

    def confirm_payment(self, req: PageRequest, id: str) -> Result:
        """3-D Secure: the processor's script asks the customer's bank, then returns here."""
        contact = self.contact(req)
        payment = self.portal.payments.own_payment(contact, id)
        invoice = self.portal.invoices.get(contact, payment.invoice_id)
        return Page("confirm_payment.html", {"contact": contact, "payment": payment, "invoice": invoice,
                                             "fields": self.portal.processor.hosted_fields()})

    def payment_return(self, req: PageRequest, id: str) -> Result:
        """Back from the bank: ask the processor how it went (the webhook may come later)."""
        contact = self.contact(req)
        payment = self.portal.payments.refresh(contact, id)
        total = money.display(payment.total)
        messages = {PaymentStatus.SETTLED: _("Payment of %(total)s received. Thank you.") % {"total": total},
                    PaymentStatus.PROCESSING: _("Payment of %(total)s submitted; it is pending until the processor "
                                                "confirms it.") % {"total": total},
                    PaymentStatus.REQUIRES_ACTION: _("The payment still waits for your bank's confirmation.")}
        flash(req, messages.get(payment.status) or _("The payment did not go through: %(reason)s")
              % {"reason": payment.failure_reason})
        return Redirect("dashboard", {"view": "invoices"})

    def payment_methods(self, req: PageRequest) -> Result:
        contact = self.contact(req)
        payments = self.portal.payments
        if req.method == "POST":
            action = req.field("action")
            try:
                if action == "add":  # a token from the processor's hosted fields, never a number
                    method = payments.add_method(contact, req.field("token"), make_default=bool(req.field("default")))
                    flash(req, _("%(method)s added.") % {"method": method_name(method)})
                elif action == "default":
                    flash(req, _("%(method)s is now your default.")
                          % {"method": method_name(payments.set_default(contact, req.field("method")))})
                elif action == "remove":
                    payments.remove_method(contact, req.field("method"))
                    flash(req, _("Payment method removed."))
            except ValidationError as exc:
                return Page("methods.html", {"contact": contact, "methods": payments.methods(contact),
                                             "setup": payments.start_setup(contact), "error": exc.public_message}, 400)
            return Redirect("payment_methods")
        return Page("methods.html", {"contact": contact, "methods": payments.methods(contact),
                                     "setup": payments.start_setup(contact)})

    # -- proposals ------------------------------------------------------------------------
    def proposal(self, req: PageRequest, id: str) -> Result:
        contact = self.contact(req)
        proposal = self.portal.proposals.get(contact, id)
        deposit = self.portal.storage.get(Invoice, proposal.deposit_invoice_id) if proposal.deposit_invoice_id else None
        return Page("proposal.html", {"contact": contact, "proposal": proposal, "signable": can_sign(proposal),
                                      "deposit": deposit})

    def proposal_pdf(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.proposals.pdf(self.contact(req), id), "application/pdf", "proposal.pdf")

    def sign(self, req: PageRequest, id: str) -> Result:
        contact = self.contact(req)
        proposal = self.portal.proposals.get(contact, id)
        if not can_sign(proposal):
            flash(req, _("Proposal %(number)s cannot be signed: it is already signed.") % {"number": proposal.number}
                  if proposal.signature else _("Proposal %(number)s cannot be signed: it is %(status)s.")
                  % {"number": proposal.number, "status": label(proposal.status)})
            return Redirect("proposal", {"id": proposal.id})
        ctx = {"contact": contact, "proposal": proposal,
               "methods": self.portal.payments.methods(contact) if proposal.deposit > 0 else []}
        if req.method == "GET":
            return Page("sign.html", ctx)
        try:
            signed = self.portal.proposals.sign(contact, id, req.field("signature"), req.ip, req.fields("service"),
                                                user_agent=req.headers.get("User-Agent", ""),
                                                deposit_method_id=req.field("deposit_method") or None)
        except ValidationError as exc:
            return Page("sign.html", {**ctx, "error": exc.public_message}, 400)
        deposit = self.portal.storage.get(Invoice, signed.deposit_invoice_id) if signed.deposit_invoice_id else None
        flash(req, _("Thank you. Proposal %(number)s is signed.") % {"number": proposal.number}
              + (" " + _("Your deposit of %(amount)s is being charged.") % {"amount": money.display(deposit.amount)}
                 if deposit else ""))
        return Redirect("dashboard", {"property": proposal.property_id, "view": "proposals"})

    # -- issues ---------------------------------------------------------------------------
    def new_issue(self, req: PageRequest) -> Result:
        contact = self.contact(req)
        prop = self.portal.visibility.require_property(contact, req.arg("property") or req.field("property"))
        ctx = {"contact": contact, "prop": prop, "priorities": list(Priority)}
        if req.method == "GET":
            return Page("issue_new.html", ctx)
        try:
            issue = self.portal.issues.create(contact, prop.id, req.field("subject"),
                                              priority=choice(Priority, req.field("priority"), Priority.MEDIUM),
                                              notes=req.field("notes"), attachments=req.uploads("files"))
        except ValidationError as exc:
            return Page("issue_new.html", {**ctx, "error": exc.public_message, "subject": req.field("subject"),
                                           "notes": req.field("notes")}, 400)
        flash(req, _("Issue #%(number)s created; we will be in touch.") % {"number": issue.number})
        return Redirect("issue", {"id": issue.id})

    def issue(self, req: PageRequest, id: str) -> Result:
        contact = self.contact(req)
        issue = self.portal.issues.get(contact, id)
        prop = self.portal.visibility.require_property(contact, issue.property_id)
        return Page("issue.html", {"contact": contact, "issue": issue, "prop": prop,
                                   "comments": self.portal.issues.comments(contact, id),
                                   "files": self.portal.issues.attachments(contact, id)})

    def report_pdf(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.reports.pdf(self.contact(req), id), "application/pdf", "report.pdf")

    def logo(self, req: PageRequest, key: str) -> Result:
        """The company's uploaded logo (BRD-1), on every page including login: only the current one."""
        data, content_type = self.portal.files.logo(key)
        return FileResponse(data, content_type, "logo")

    def issue_file(self, req: PageRequest, id: str, file_id: str) -> Result:
        """A photo or file of an issue or its comments; only image and PDF types are shown inline."""
        return attachment_response(*self.portal.issues.attachment(self.contact(req), id, file_id))

    def processor_webhook(self, req: PageRequest) -> Result:
        """The payment processor's webhook: applied only when its signature verifies."""
        try:
            self.portal.payments.handle_webhook(req.headers, req.body)
        except InvalidWebhook:
            return Reply(b"invalid signature", 400)
        return Reply(b"ok")

    def comment(self, req: PageRequest, id: str) -> Result:
        contact = self.contact(req)
        self.portal.issues.comment(contact, id, req.field("text"), req.uploads("file"))
        flash(req, _("Comment added."))
        return Redirect("issue", {"id": id})

    # -- profile --------------------------------------------------------------------------
    def profile(self, req: PageRequest) -> Result:
        contact = self.contact(req)
        acc = self.portal.accounts
        if req.method == "GET":
            return Page("profile.html", self._profile(contact))
        action = req.field("action")
        try:
            if action == "names":
                acc.update_profile(contact, req.field("first_name"), req.field("last_name"))
                flash(req, _("Your profile has been successfully updated."))
            elif action == "email":
                pending = acc.request_email_change(contact, req.field("email"), req.field("email_password"))
                flash(req, _("We sent a link to %(email)s. Your email changes when you open it; until then you sign in "
                             "with %(current)s.") % {"email": pending.pending_email or pending.email,
                                                     "current": pending.email})
            elif action == "receipts":
                on = bool(req.field("receipts"))
                acc.set_receipts(contact, on)
                flash(req, _("You will get an electronic receipt for every payment.") if on
                      else _("You will no longer get electronic receipts."))
            elif action == "language":
                updated = acc.set_language(contact, req.field("language"))
                req.session[LANGUAGE] = updated.language
                i18n.activate(updated.language)
                flash(req, _("Your language is saved."))
            elif action == "autopay_on":
                self.portal.autopay.enable(contact, req.field("method"), req.ip, agreed=bool(req.field("agreed")))
                flash(req, _("Autopay is on: your invoices are paid on their due date."))
            elif action == "autopay_off":
                self.portal.autopay.disable(contact)
                flash(req, _("Autopay is off."))
            elif action == "password":
                acc.change_password(contact, req.field("current"), req.field("password"), req.field("confirm"))
                req.session.clear()
                flash(req, _("Changing your password logged you out everywhere. Use the new password to log back in."))
                return Redirect("login", _keep(contact.language), session="end")
        except (ValidationError, AuthenticationFailed) as exc:
            return Page("profile.html", {**self._profile(self.contact(req)), "error": exc.public_message}, 400)
        return Redirect("profile")

    def _profile(self, contact: Contact) -> dict[str, Any]:
        config = self.portal.config
        offered = config.autopay_enabled and config.electronic_payment_enabled and contact.access.invoices
        methods = self.portal.payments.methods(contact) if offered else []
        consent = self.portal.autopay.consent(contact) if offered else None
        return {"contact": contact, "rules": self.portal.accounts.password_rules, "autopay_offered": offered,
                "languages": i18n.LANGUAGES,
                "methods": methods, "autopay": consent,
                "autopay_method": next((m for m in methods if consent and m.id == consent.method_id), None)}

    def new_quote(self, req: PageRequest) -> Result:
        """PRO-7: a contact with the permission asks for new work."""
        contact = self.contact(req)
        prop = self.portal.visibility.require_property(contact, req.arg("property") or req.field("property"))
        if req.method == "GET":
            return Page("quote_new.html", {"contact": contact, "prop": prop})
        try:
            self.portal.proposals.request_quote(contact, prop.id, req.field("description"))
        except ValidationError as exc:
            return Page("quote_new.html", {"contact": contact, "prop": prop, "error": exc.public_message}, 400)
        flash(req, _("Thank you. Your request was sent to our team."))
        return Redirect("dashboard", {"property": prop.id, "view": "proposals"})

