"""The portal's pages, framework-neutral: ``PortalSite.handle(Request) -> Response``.

Every page a customer or staff user sees in the reference hosts is here; the Flask and Django
hosts translate requests and responses, set cookie flags and serve ``static/``.

Security: every POST carries a per-session CSRF token (compared in constant time); customer
pages resolve records only through portalkit's visibility checks, so a foreign id is a 404;
portalkit errors are shown by their ``public_message`` and anything else by a generic page,
never a stack trace; tokens in URLs are kept out of referrers.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from pathlib import Path
from typing import Any, Callable, Mapping, MutableMapping

import attrs
from jinja2 import Environment, FileSystemLoader, select_autoescape

from portalkit import (Access, Attachment, InvoiceFilter, IssueFilter, IssueStatus, PortalStatus, Priority, ProposalFilter,
                       Section)
from portalkit.errors import (AuthenticationFailed, NotFound, PaymentPending, PaymentsDisabled,
                              PermissionDenied, PortalError, SessionExpired, ValidationError)
from portalkit.models import Contact, Issue, Payment, PaymentStatus, Property, StaffUser
from portalkit.proposals import can_sign

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
_FONT = re.compile(r"[^A-Za-z0-9 ,'\"\-]")
ACCESS_FLAGS = tuple(f.name for f in attrs.fields(Access))


@attrs.frozen
class Upload:
    filename: str
    content_type: str
    data: bytes


@attrs.frozen(kw_only=True)
class Request:
    method: str
    path: str
    session: MutableMapping[str, Any]
    args: Mapping[str, str] = {}
    form: Mapping[str, list[str]] = {}
    files: Mapping[str, list[Upload]] = {}
    ip: str = "127.0.0.1"

    def arg(self, name: str, default: str = "") -> str:
        return self.args.get(name, default) or default

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name) or [default]
        return values[0]

    def fields(self, name: str) -> list[str]:
        return list(self.form.get(name, []))

    def uploads(self, name: str) -> list[Upload]:
        return [u for u in self.files.get(name, []) if u.filename]


@attrs.frozen
class Response:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


class DemoMailer:
    """Keeps the last mails so the demo's staff can read them at /staff/mail."""

    def __init__(self, keep: int = 500):
        self.mails: list = []
        self.keep = keep

    def send(self, mail) -> None:
        self.mails = (self.mails + [mail])[-self.keep:]


def redirect(location: str) -> Response:
    return Response(status=303, headers=(("Location", location),))


Handler = Callable[..., Response]


class PortalSite:
    def __init__(self, portal, *, staff_password: str, mailer: DemoMailer | None = None):
        self.portal = portal
        self.staff_password = staff_password
        self.mailer = mailer
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        for methods, pattern, handler in self._route_table():
            for method in methods.split(","):
                self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    def _route_table(self):
        return [
            ("GET", r"/", self.home),
            ("GET,POST", r"/login", self.login),
            ("POST", r"/logout", self.logout),
            ("GET,POST", r"/forgot-password", self.forgot_password),
            ("GET,POST", r"/reset-password/(?P<token>[\w.\-]+)", self.reset_password),
            ("GET,POST", r"/signup/(?P<token>[\w.\-]+)", self.signup),
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
            ("GET,POST", r"/staff/login", self.staff_login),
            ("POST", r"/staff/logout", self.staff_logout),
            ("GET", r"/staff", self.staff_contacts),
            ("POST", r"/staff/invitations", self.staff_invite),
            ("GET", r"/staff/contacts/(?P<id>\w+)", self.staff_contact),
            ("POST", r"/staff/contacts/(?P<id>\w+)/(?P<action>suspend|unsuspend|resend|access)", self.staff_contact_action),
            ("GET", r"/staff/issues", self.staff_issues),
            ("GET", r"/staff/issues/(?P<id>\w+)", self.staff_issue),
            ("POST", r"/staff/issues/(?P<id>\w+)/(?P<action>comment|share|close|reopen)", self.staff_issue_action),
            ("GET", r"/staff/quotes", self.staff_quotes),
            ("GET,POST", r"/quotes/new", self.new_quote),
            ("GET", r"/staff/mail", self.staff_mail),
            ("GET,POST", r"/staff/branding", self.staff_branding),
            ("GET,POST", r"/staff/payments", self.staff_payments),
        ]

    # -- plumbing -------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        for method, pattern, handler in self.routes:
            match = pattern.match(req.path)
            if match and method == req.method:
                try:
                    if req.method == "POST":
                        self._check_csrf(req)
                    response = handler(req, **match.groupdict())
                except _StaffLogin:
                    return redirect("/staff/login")
                except SessionExpired:
                    req.session.pop("token", None)
                    return redirect("/login")
                except NotFound as exc:
                    response = self.page(req, "message.html", status=404, title="Not found", message=exc.public_message)
                except PortalError as exc:
                    response = self.page(req, "message.html", status=403 if isinstance(exc, PermissionDenied) else 400,
                                         title="Not possible", message=exc.public_message)
                except Exception:  # never a stack trace to a customer
                    log.exception("error on %s %s", req.method, req.path)
                    response = self.page(req, "message.html", status=500, title="Something went wrong",
                                         message="Please try again in a moment.")
                return attrs.evolve(response, headers=response.headers + self._security_headers())
        if any(p.match(req.path) for _, p, _ in self.routes):
            return Response(b"Method not allowed", 405, "text/plain")
        return attrs.evolve(self.page(req, "message.html", status=404, title="Not found", message="Not found."),
                            headers=self._security_headers())

    @staticmethod
    def _security_headers() -> tuple[tuple[str, str], ...]:
        return (
            ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                        "frame-ancestors 'self'; form-action 'self'"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-store"),
        )

    def csrf_token(self, req: Request) -> str:
        if "csrf" not in req.session:
            req.session["csrf"] = secrets.token_urlsafe(32)
        return req.session["csrf"]

    def _check_csrf(self, req: Request) -> None:
        expected = req.session.get("csrf", "")
        if not expected or not hmac.compare_digest(expected, req.field("csrf")):
            raise CsrfRejected()

    def flash(self, req: Request, message: str) -> None:
        req.session["flash"] = message

    def page(self, req: Request, template: str, status: int = 200, *, portal_config=None, **context: Any) -> Response:
        config = portal_config or self.portal.config
        b = config.branding
        context.setdefault("contact", None)
        html = self.env.get_template(template).render(
            config=config, brand=b, csrf=self.csrf_token(req), flash=req.session.pop("flash", None),
            fonts={"display": _FONT.sub("", b.display_font), "input": _FONT.sub("", b.input_font)},
            staff_in=bool(req.session.get("staff_id")), **context,
        )
        return Response(html.encode("utf-8"), status)

    def contact(self, req: Request) -> Contact:
        token = req.session.get("token")
        if not token:
            raise SessionExpired()
        return self.portal.accounts.authenticate(token)

    def staff(self, req: Request) -> StaffUser:
        staff_id = req.session.get("staff_id")
        user = staff_id and self.portal.storage.get(StaffUser, staff_id)
        if not user:
            raise _StaffLogin()
        return user

    # -- sign-up and login ----------------------------------------------------------------
    def home(self, req: Request) -> Response:
        return redirect("/dashboard" if req.session.get("token") else "/login")

    def login(self, req: Request) -> Response:
        if req.method == "GET":
            return self.page(req, "login.html")
        try:
            session = self.portal.accounts.login(req.field("email"), req.field("password"), req.ip)
        except AuthenticationFailed as exc:
            return self.page(req, "login.html", status=401, error=str(exc),
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
        self.flash(req, self.portal.accounts.request_reset(req.field("email")))
        return redirect("/login")

    def reset_password(self, req: Request, token: str) -> Response:
        rules = self.portal.accounts.password_rules
        if req.method == "GET":
            return self.page(req, "password_form.html", title="Choose a new password", rules=rules, action=req.path)
        try:
            self.portal.accounts.reset_password(token, req.field("password"), req.field("confirm"))
        except PortalError as exc:
            return self.page(req, "password_form.html", status=400, title="Choose a new password", rules=rules,
                             action=req.path, error=str(exc))
        self.flash(req, "Your password was changed. Log in with the new one.")
        return redirect("/login")

    def signup(self, req: Request, token: str) -> Response:
        rules = self.portal.accounts.password_rules
        if req.method == "GET":
            contact = self.portal.invitations.open(token)  # AlreadySignedUp / ExpiredToken render as messages
            return self.page(req, "password_form.html", title="Sign up", rules=rules, action=req.path,
                             who=contact.name, email=contact.email)
        try:
            self.portal.accounts.sign_up(token, req.field("password"), req.field("confirm"))
        except ValidationError as exc:
            return self.page(req, "password_form.html", status=400, title="Sign up", rules=rules, action=req.path,
                             error=str(exc))
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
            which = _choice(InvoiceFilter, req.arg("filter"))
            ctx = {"filters": list(InvoiceFilter), "which": which, "rows": self.portal.invoices.list(contact, prop.id, which)}
        elif view is Section.PROPOSALS:
            which = _choice(ProposalFilter, req.arg("filter"))
            ctx = {"filters": list(ProposalFilter), "which": which, "rows": self.portal.proposals.list(contact, prop.id, which)}
        else:
            which = _choice(IssueFilter, req.arg("filter"))
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
            return self.page(req, "pay.html", status=400, key=req.field("key"), error=str(exc),
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
                    payments.add_card(contact, req.field("number"), _int(req.field("exp_month")), _int(req.field("exp_year")),
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
                                 error=str(exc))
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
            return self.page(req, "sign.html", status=400, contact=contact, proposal=proposal, error=str(exc))
        self.flash(req, f"Thank you. Proposal {proposal.number} is signed.")
        return redirect(f"/dashboard?property={proposal.property_id}&view=proposals")

    # -- issues ---------------------------------------------------------------------------
    def new_issue(self, req: Request) -> Response:
        contact = self.contact(req)
        prop = self.portal.visibility.require_property(contact, req.arg("property") or req.field("property"))
        ctx = dict(contact=contact, prop=prop, priorities=list(Priority))
        if req.method == "GET":
            return self.page(req, "issue_new.html", **ctx)
        files = [Attachment(filename=u.filename, content_type=u.content_type, data=u.data) for u in req.uploads("files")]
        try:
            issue = self.portal.issues.create(contact, prop.id, req.field("subject"),
                                              priority=_choice(Priority, req.field("priority"), Priority.MEDIUM),
                                              notes=req.field("notes"), attachments=files)
        except ValidationError as exc:
            return self.page(req, "issue_new.html", status=400, error=str(exc), subject=req.field("subject"),
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
        files = [Attachment(filename=u.filename, content_type=u.content_type, data=u.data) for u in req.uploads("file")]
        self.portal.issues.comment(contact, id, req.field("text"), files)
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
                             error=str(exc))
        return redirect("/profile")

    # -- staff ----------------------------------------------------------------------------
    def staff_login(self, req: Request) -> Response:
        if req.method == "GET":
            return self.page(req, "staff_login.html")
        users = self.portal.storage.find(StaffUser, email=(req.field("email") or "").strip().lower())
        if not users or not hmac.compare_digest(req.field("password").encode(), self.staff_password.encode()):
            return self.page(req, "staff_login.html", status=401, error="Unknown staff user or wrong password.")
        req.session["staff_id"] = users[0].id
        return redirect("/staff")

    def staff_logout(self, req: Request) -> Response:
        req.session.pop("staff_id", None)
        return redirect("/staff/login")

    def staff_contacts(self, req: Request) -> Response:
        self.staff(req)
        status = _choice(PortalStatus, req.arg("status"), None)
        contacts = sorted(self.portal.storage.find(Contact), key=lambda c: (c.last_name, c.first_name))
        if status is not None:
            contacts = [c for c in contacts if c.portal_status is status]
        return self.page(req, "staff_contacts.html", contacts=contacts, statuses=list(PortalStatus), status_filter=status)

    def staff_invite(self, req: Request) -> Response:
        staff = self.staff(req)
        result = self.portal.invitations.send(staff, req.fields("contact"), subject=req.field("subject") or None,
                                              body=req.field("body") or None)
        skipped = ", ".join(f"{self.portal.directory.contact(s.contact_id).name} ({s.reason})" for s in result.skipped)
        self.flash(req, f"Sent {len(result.sent)} invitation(s)." + (f" Skipped: {skipped}." if skipped else ""))
        return redirect("/staff")

    def staff_contact(self, req: Request, id: str) -> Response:
        self.staff(req)
        contact = self.portal.directory.contact(id)
        return self.page(req, "staff_contact.html", person=contact, history=self.portal.directory.history(id),
                         flags=ACCESS_FLAGS)

    def staff_issues(self, req: Request) -> Response:
        staff = self.staff(req)
        status = _choice(IssueStatus, req.arg("status"))
        issues = self.portal.issues.staff_issues(staff, status)
        names = {p.id: p.name for p in self.portal.storage.get_many(Property, {i.property_id for i in issues}).values()}
        return self.page(req, "staff_issues.html", issues=issues, names=names, status_filter=status,
                         statuses=list(IssueStatus))

    def staff_issue(self, req: Request, id: str) -> Response:
        staff = self.staff(req)
        issue = self.portal.directory.get(Issue, id)
        return self.page(req, "staff_issue.html", issue=issue, comments=self.portal.issues.staff_comments(staff, id))

    def staff_issue_action(self, req: Request, id: str, action: str) -> Response:
        staff = self.staff(req)
        issues = self.portal.issues
        if action == "comment":
            files = [Attachment(filename=u.filename, content_type=u.content_type, data=u.data) for u in req.uploads("files")]
            issues.staff_comment(staff, id, req.field("text"), public=bool(req.field("public")), attachments=files)
        elif action == "share":
            issues.share_files(staff, req.field("comment"))
        else:
            issues.set_status(staff, id, IssueStatus.CLOSED if action == "close" else IssueStatus.OPEN)
        self.flash(req, "Issue updated.")
        return redirect(f"/staff/issues/{id}")

    def staff_quotes(self, req: Request) -> Response:
        staff = self.staff(req)
        requests = self.portal.proposals.quote_requests(staff)
        contacts = self.portal.storage.get_many(Contact, {q.contact_id for q in requests})
        props = self.portal.storage.get_many(Property, {q.property_id for q in requests})
        return self.page(req, "staff_quotes.html", requests=requests, contacts=contacts, props=props)

    def new_quote(self, req: Request) -> Response:
        """PRO-7: a contact with the permission asks for new work."""
        contact = self.contact(req)
        prop = self.portal.visibility.require_property(contact, req.arg("property") or req.field("property"))
        if req.method == "GET":
            return self.page(req, "quote_new.html", contact=contact, prop=prop)
        try:
            self.portal.proposals.request_quote(contact, prop.id, req.field("description"))
        except ValidationError as exc:
            return self.page(req, "quote_new.html", status=400, contact=contact, prop=prop, error=str(exc))
        self.flash(req, "Thank you. Your request was sent to our team.")
        return redirect(f"/dashboard?property={prop.id}&view=proposals")

    def staff_contact_action(self, req: Request, id: str, action: str) -> Response:
        staff = self.staff(req)
        d = self.portal.directory
        if action == "suspend":
            d.suspend(staff, id, req.field("note"))
        elif action == "unsuspend":
            d.unsuspend(staff, id)
        elif action == "access":
            d.update_contact(id, access=Access(**{f: bool(req.field(f)) for f in ACCESS_FLAGS}),
                             main_contact_only=bool(req.field("main_contact_only")))
        else:
            self.portal.invitations.resend(staff, id)
        self.flash(req, "Done.")
        return redirect(f"/staff/contacts/{id}")

    BRANDING_FIELDS = ("title", "page_text", "dashboard_text", "login_logo_url", "nav_logo_url", "display_font",
                       "background_colour", "border_colour", "nav_bar_colour", "nav_text_colour", "button_colour",
                       "button_text_colour", "dashboard_text_colour")
    TOGGLES = ("show_invoices", "show_proposals", "show_issues")

    def staff_branding(self, req: Request) -> Response:
        """BRD-1..3: edit the look and the show toggles, preview before saving."""
        self.staff(req)
        current = self.portal.config
        if req.method == "GET":
            return self.page(req, "staff_branding.html", fields=self.BRANDING_FIELDS, toggles=self.TOGGLES,
                             candidate=current)
        from portalkit.config import updated

        branding = {f: req.field(f, getattr(current.branding, f)).strip() for f in self.BRANDING_FIELDS}
        toggles = {t: bool(req.field(t)) for t in self.TOGGLES}
        try:
            candidate = updated(current, branding=branding, **toggles)
        except PortalError as exc:
            return self.page(req, "staff_branding.html", status=400, fields=self.BRANDING_FIELDS, toggles=self.TOGGLES,
                             candidate=current, error=str(exc))
        if req.field("action") == "save":
            self.portal.update_config(candidate)
            self.flash(req, "Portal look saved.")
            return redirect("/staff/branding")
        return self.page(req, "staff_branding.html", portal_config=candidate, fields=self.BRANDING_FIELDS,
                         toggles=self.TOGGLES, candidate=candidate, previewing=True)

    def staff_mail(self, req: Request) -> Response:
        self.staff(req)
        return self.page(req, "staff_mail.html", mails=list(reversed(self.mailer.mails if self.mailer else [])))

    def staff_payments(self, req: Request) -> Response:
        self.staff(req)
        if req.method == "POST":
            count = self.portal.processor.settle_due(self.portal.payments.settle)
            self.flash(req, f"The processor answered {count} payment(s).")
            return redirect("/staff/payments")
        payments = sorted(self.portal.storage.find(Payment), key=lambda p: p.created_at, reverse=True)
        return self.page(req, "staff_payments.html", payments=payments)


class _StaffLogin(SessionExpired):
    pass


class CsrfRejected(PermissionDenied):
    public_message = "Your form has expired. Please go back, reload the page and try again."


def _choice(enum_cls, value: str, default: Any = "first") -> Any:
    for member in enum_cls:
        if member.value == value or member.name == value:
            return member
    return list(enum_cls)[0] if default == "first" else default


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0
