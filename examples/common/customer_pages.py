"""The customer's pages: sign-up, login, password reset, dashboard, invoices and payments,
proposals and signing, issues, quote requests, profile."""

from __future__ import annotations

import re
import secrets
from typing import Any

from portalkit import InvoiceFilter, IssueFilter, Priority, ProposalFilter, Section
from portalkit.errors import AuthenticationFailed, NotFound, PaymentPending, PaymentsDisabled, PortalError, ValidationError
from portalkit.models import PaymentStatus
from portalkit.proposals import can_sign

from .web import Request, Response, choice, redirect, to_int


class CustomerPages:
    """Mixed into ``PortalSite``; uses its ``portal``, ``page``, ``flash`` and ``contact``."""

    def customer_routes(self) -> list:
        return [
            ("GET", r"/", self.home),
            ("GET,POST", r"/login", self.login),
            ("POST", r"/logout", self.logout),
            ("GET,POST", r"/forgot-password", self.forgot_password),
            ("GET", r"/reset-password/(?P<token>[\w.\-]+)", self.open_reset_link),
            ("GET,POST", r"/reset-password", self.reset_password),
            ("GET", r"/signup/(?P<token>[\w.\-]+)", self.open_signup_link),
            ("GET,POST", r"/signup", self.signup),
            ("GET", r"/dashboard", self.dashboard),
            ("GET", r"/invoices/(?P<id>\w+)/pdf", self.invoice_pdf),
            ("GET,POST", r"/invoices/(?P<id>\w+)/pay", self.pay),
            ("GET,POST", r"/payment-methods", self.payment_methods),
            ("GET", r"/proposals/(?P<id>\w+)", self.proposal),
            ("GET", r"/proposals/(?P<id>\w+)/pdf", self.proposal_pdf),
            ("GET,POST", r"/proposals/(?P<id>\w+)/sign", self.sign),
            ("GET,POST", r"/issues/new", self.new_issue),
            ("GET", r"/issues/(?P<id>\w+)", self.issue),
            ("POST", r"/issues/(?P<id>\w+)/comments", self.comment),
            ("GET", r"/issues/(?P<id>\w+)/files/(?P<index>\d+)", self.issue_file),
            ("GET", r"/issues/(?P<id>\w+)/comments/(?P<comment_id>\w+)/files/(?P<index>\d+)", self.issue_file),
            ("GET,POST", r"/profile", self.profile),
            ("GET,POST", r"/quotes/new", self.new_quote),
        ]

    # -- sign-up and login ----------------------------------------------------------------
    def home(self, req: Request) -> Response:
        return redirect("/dashboard" if req.session.get("token") else "/login")

    def login(self, req: Request) -> Response:
        if req.method == "GET":
            return self.page(req, "login.html")
        try:
            session = self.portal.accounts.login(req.field("email"), req.field("password"), req.ip)
        except (AuthenticationFailed, ValidationError) as exc:
            return self.page(req, "login.html", status=401, error=exc.public_message,
                             email=req.field("email"))
        req.session.clear()
        req.session["token"] = session.token
        return redirect("/dashboard")

    def logout(self, req: Request) -> Response:
        req.session.pop("token", None)
        return redirect("/login")

    def forgot_password(self, req: Request) -> Response:
        if req.method == "GET":
            return self.page(req, "forgot.html")
        try:
            answer = self.portal.accounts.request_reset(req.field("email"), req.ip)
        except ValidationError as exc:
            return self.page(req, "forgot.html", status=400, error=exc.public_message)
        self.flash(req, answer)
        return redirect("/login")

    # Links from mail carry a token. The page exchanges it for a place in the session and
    # redirects to a URL without it, so the token is in no later URL, log line or referrer.
    def open_reset_link(self, req: Request, token: str) -> Response:
        self.portal.accounts.check_reset_link(token)  # an expired or used link renders as a message
        req.session["reset_token"] = token
        return redirect("/reset-password")

    def reset_password(self, req: Request) -> Response:
        rules = self.portal.accounts.password_rules
        token = req.session.get("reset_token")
        if not token:
            return redirect("/forgot-password")
        if req.method == "GET":
            self.portal.accounts.check_reset_link(token)
            return self.page(req, "password_form.html", title="Choose a new password", rules=rules, action=req.path)
        try:
            self.portal.accounts.reset_password(token, req.field("password"), req.field("confirm"))
        except ValidationError as exc:
            return self.page(req, "password_form.html", status=400, title="Choose a new password", rules=rules,
                             action=req.path, error=exc.public_message)
        req.session.pop("reset_token", None)
        self.flash(req, "Your password was changed. Log in with the new one.")
        return redirect("/login")

    def open_signup_link(self, req: Request, token: str) -> Response:
        self.portal.invitations.open(token)  # AlreadySignedUp / ExpiredToken render as messages
        req.session["signup_token"] = token
        return redirect("/signup")

    def signup(self, req: Request) -> Response:
        rules = self.portal.accounts.password_rules
        token = req.session.get("signup_token")
        if not token:
            return redirect("/login")
        invitations = self.portal.invitations
        if req.method == "GET":
            contact = invitations.invited_contact(*invitations.check_link(token))
            return self.page(req, "password_form.html", title="Sign up", rules=rules, action=req.path,
                             who=contact.name, email=contact.email)
        try:
            self.portal.accounts.sign_up(token, req.field("password"), req.field("confirm"))
        except ValidationError as exc:
            return self.page(req, "password_form.html", status=400, title="Sign up", rules=rules, action=req.path,
                             error=exc.public_message)
        req.session.pop("signup_token", None)
        return self.page(req, "message.html", title="You are signed up",
                         message="Your portal account is ready.", link=("/login", "Log in"))

    # -- dashboard ------------------------------------------------------------------------
    def dashboard(self, req: Request) -> Response:
        contact = self.contact(req)
        vis = self.portal.visibility
        properties = vis.properties(contact)
        sections = vis.dashboard_sections(contact)
        if not properties or not sections:
            return self.page(req, "dashboard.html", contact=contact, properties=properties, sections=sections)
        prop = next((p for p in properties if p.id == req.arg("property")), properties[0])
        view = next((s for s in sections if s.value == req.arg("view")), sections[0])
        ctx: dict[str, Any] = {}
        if view is Section.INVOICES:
            which = choice(InvoiceFilter, req.arg("filter"))
            ctx = {"filters": list(InvoiceFilter), "which": which, "rows": self.portal.invoices.list(contact, prop.id, which)}
        elif view is Section.PROPOSALS:
            which = choice(ProposalFilter, req.arg("filter"))
            ctx = {"filters": list(ProposalFilter), "which": which, "rows": self.portal.proposals.list(contact, prop.id, which)}
        else:
            which = choice(IssueFilter, req.arg("filter"))
            ctx = {"filters": list(IssueFilter), "which": which, "rows": self.portal.issues.list(contact, prop.id, which)}
        return self.page(req, "dashboard.html", contact=contact, properties=properties, prop=prop, sections=sections,
                         view=view, payments_on=self.portal.config.electronic_payment_enabled, **ctx)

    # -- invoices and payments ------------------------------------------------------------
    def invoice_pdf(self, req: Request, id: str) -> Response:
        pdf = self.portal.invoices.pdf(self.contact(req), id)
        return Response(pdf, content_type="application/pdf", headers=(("Content-Disposition", "inline; filename=invoice.pdf"),))

    def pay(self, req: Request, id: str) -> Response:
        contact = self.contact(req)
        payments = self.portal.payments
        invoice = self.portal.invoices.get(contact, id)
        methods = payments.methods(contact)
        ctx = dict(contact=contact, invoice=invoice, methods=methods, fee_percent=self.portal.config.convenience_fee_percent)
        if req.method == "GET":
            return self.page(req, "pay.html", key=secrets.token_urlsafe(16), **ctx)
        try:
            payment = payments.pay(contact, id, req.field("method"), req.field("amount"), req.field("key"))
        except (NotFound, PaymentPending, PaymentsDisabled):
            raise
        except PortalError as exc:
            return self.page(req, "pay.html", status=400, key=req.field("key"), error=exc.public_message,
                             amount=req.field("amount"), **ctx)
        if payment.status is PaymentStatus.FAILED:
            self.flash(req, f"The payment was refused: {payment.failure_reason}")
        else:
            self.flash(req, f"Payment of ${payment.total} on invoice {invoice.number} submitted; it is pending.")
        return redirect(f"/dashboard?property={invoice.property_id}&view=invoices")

    def payment_methods(self, req: Request) -> Response:
        contact = self.contact(req)
        payments = self.portal.payments
        if req.method == "POST":
            action = req.field("action")
            try:
                if action == "add_card":
                    payments.add_card(contact, req.field("number"), to_int(req.field("exp_month")), to_int(req.field("exp_year")),
                                      make_default=bool(req.field("default")))
                elif action == "add_ach":
                    payments.add_ach(contact, req.field("ach"), make_default=bool(req.field("default")))
                elif action == "default":
                    payments.set_default(contact, req.field("method"))
                elif action == "remove":
                    payments.remove_method(contact, req.field("method"))
                self.flash(req, "Payment methods updated.")
            except NotFound:
                raise
            except PortalError as exc:
                return self.page(req, "methods.html", status=400, contact=contact, methods=payments.methods(contact),
                                 error=exc.public_message)
            return redirect("/payment-methods")
        return self.page(req, "methods.html", contact=contact, methods=payments.methods(contact))

    # -- proposals ------------------------------------------------------------------------
    def proposal(self, req: Request, id: str) -> Response:
        contact = self.contact(req)
        proposal = self.portal.proposals.get(contact, id)
        return self.page(req, "proposal.html", contact=contact, proposal=proposal, signable=can_sign(proposal))

    def proposal_pdf(self, req: Request, id: str) -> Response:
        pdf = self.portal.proposals.pdf(self.contact(req), id)
        return Response(pdf, content_type="application/pdf", headers=(("Content-Disposition", "inline; filename=proposal.pdf"),))

    def sign(self, req: Request, id: str) -> Response:
        contact = self.contact(req)
        proposal = self.portal.proposals.get(contact, id)
        if req.method == "GET":
            return self.page(req, "sign.html", contact=contact, proposal=proposal)
        try:
            self.portal.proposals.sign(contact, id, req.field("signature"), req.ip, req.fields("service"))
        except ValidationError as exc:
            return self.page(req, "sign.html", status=400, contact=contact, proposal=proposal, error=exc.public_message)
        self.flash(req, f"Thank you. Proposal {proposal.number} is signed.")
        return redirect(f"/dashboard?property={proposal.property_id}&view=proposals")

    # -- issues ---------------------------------------------------------------------------
    def new_issue(self, req: Request) -> Response:
        contact = self.contact(req)
        prop = self.portal.visibility.require_property(contact, req.arg("property") or req.field("property"))
        ctx = dict(contact=contact, prop=prop, priorities=list(Priority))
        if req.method == "GET":
            return self.page(req, "issue_new.html", **ctx)
        try:
            issue = self.portal.issues.create(contact, prop.id, req.field("subject"),
                                              priority=choice(Priority, req.field("priority"), Priority.MEDIUM),
                                              notes=req.field("notes"), attachments=req.uploads("files"))
        except ValidationError as exc:
            return self.page(req, "issue_new.html", status=400, error=exc.public_message, subject=req.field("subject"),
                             notes=req.field("notes"), **ctx)
        self.flash(req, f"Issue #{issue.number} created.")
        return redirect(f"/issues/{issue.id}")

    def issue(self, req: Request, id: str) -> Response:
        contact = self.contact(req)
        issue = self.portal.issues.get(contact, id)
        prop = self.portal.visibility.require_property(contact, issue.property_id)
        return self.page(req, "issue.html", contact=contact, issue=issue, prop=prop,
                         comments=self.portal.issues.comments(contact, id))

    INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")

    def issue_file(self, req: Request, id: str, index: str, comment_id: str | None = None) -> Response:
        """A photo or file of an issue; only image and PDF types are shown inline."""
        f = self.portal.issues.attachment(self.contact(req), id, int(index), comment_id)
        inline = f.content_type in self.INLINE_TYPES
        safe_name = re.sub(r"[^\w.\-]", "_", f.filename)[:100]
        return Response(f.data, content_type=f.content_type if inline else "application/octet-stream",
                        headers=(("Content-Disposition", f'{"inline" if inline else "attachment"}; filename="{safe_name}"'),))

    def comment(self, req: Request, id: str) -> Response:
        contact = self.contact(req)
        self.portal.issues.comment(contact, id, req.field("text"), req.uploads("file"))
        self.flash(req, "Comment added.")
        return redirect(f"/issues/{id}")

    # -- profile --------------------------------------------------------------------------
    def profile(self, req: Request) -> Response:
        contact = self.contact(req)
        acc = self.portal.accounts
        if req.method == "GET":
            return self.page(req, "profile.html", contact=contact, rules=acc.password_rules)
        action = req.field("action")
        try:
            if action == "names":
                acc.update_profile(contact, req.field("first_name"), req.field("last_name"))
                self.flash(req, "Your profile has been successfully updated.")
            elif action == "receipts":
                acc.set_receipts(contact, bool(req.field("receipts")))
                self.flash(req, "Receipt preference saved.")
            elif action == "password":
                acc.change_password(contact, req.field("current"), req.field("password"), req.field("confirm"))
                req.session.pop("token", None)
                self.flash(req, "Changing your password logged you out. Use the new password to log back in.")
                return redirect("/login")
        except PortalError as exc:
            return self.page(req, "profile.html", status=400, contact=self.contact(req), rules=acc.password_rules,
                             error=exc.public_message)
        return redirect("/profile")

    def new_quote(self, req: Request) -> Response:
        """PRO-7: a contact with the permission asks for new work."""
        contact = self.contact(req)
        prop = self.portal.visibility.require_property(contact, req.arg("property") or req.field("property"))
        if req.method == "GET":
            return self.page(req, "quote_new.html", contact=contact, prop=prop)
        try:
            self.portal.proposals.request_quote(contact, prop.id, req.field("description"))
        except ValidationError as exc:
            return self.page(req, "quote_new.html", status=400, contact=contact, prop=prop, error=exc.public_message)
        self.flash(req, "Thank you. Your request was sent to our team.")
        return redirect(f"/dashboard?property={prop.id}&view=proposals")
