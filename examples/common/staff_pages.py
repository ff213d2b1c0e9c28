"""The staff pages a host needs: invitations, portal status and history, access flags, issues,
quote requests, mail, payments and the portal's look."""

from __future__ import annotations

import hmac
import re

import attrs

from portalkit import Access, IssueStatus, Permission, PortalStatus
from portalkit.config import updated
from portalkit.directory import require
from portalkit.errors import PortalError
from portalkit.models import Contact, Issue, Payment, Property, StaffUser

from .web import Request, Response, choice, redirect

ACCESS_FLAGS = tuple(f.name for f in attrs.fields(Access))
_ACCOUNT_LINK = re.compile(r"https?://\S+?/(?:signup|reset-password)/[\w.\-]+")
HIDDEN_LINK = "[personal link, sent to the customer only]"


def redact_links(mail):
    """``mail`` with its sign-up and reset links replaced by a placeholder."""
    return attrs.evolve(mail, text=_ACCOUNT_LINK.sub(HIDDEN_LINK, mail.text),
                        html=_ACCOUNT_LINK.sub(HIDDEN_LINK, mail.html) if mail.html else None)


class StaffPages:
    """Mixed into ``PortalSite``; uses its ``portal``, ``page``, ``flash``, ``staff`` and ``mailer``."""

    def staff_routes(self) -> list:
        return [
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
            ("GET", r"/staff/mail", self.staff_mail),
            ("GET,POST", r"/staff/branding", self.staff_branding),
            ("GET,POST", r"/staff/payments", self.staff_payments),
        ]

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
        status = choice(PortalStatus, req.arg("status"), None)
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
        staff = self.staff(req)
        contact = self.portal.directory.contact(id)
        return self.page(req, "staff_contact.html", person=contact, history=self.portal.directory.history(staff, id),
                         flags=ACCESS_FLAGS)

    def staff_issues(self, req: Request) -> Response:
        staff = self.staff(req)
        status = choice(IssueStatus, req.arg("status"))
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
            issues.staff_comment(staff, id, req.field("text"), public=bool(req.field("public")),
                                 attachments=req.uploads("files"))
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

    def staff_contact_action(self, req: Request, id: str, action: str) -> Response:
        staff = self.staff(req)
        d = self.portal.directory
        if action == "suspend":
            d.suspend(staff, id, req.field("note"))
        elif action == "unsuspend":
            d.unsuspend(staff, id)
        elif action == "access":
            d.update_contact(staff, id, access=Access(**{f: bool(req.field(f)) for f in ACCESS_FLAGS}),
                             main_contact_only=bool(req.field("main_contact_only")))
        else:
            self.portal.invitations.resend(staff, id)
        self.flash(req, "Done.")
        return redirect(f"/staff/contacts/{id}")

    BRANDING_FIELDS = ("title", "page_text", "dashboard_text", "login_logo_url", "nav_logo_url", "display_font",
                       "input_font", "button_font", "dashboard_font",
                       "background_colour", "border_colour", "nav_bar_colour", "nav_text_colour", "button_colour",
                       "button_text_colour", "dashboard_text_colour")
    TOGGLES = ("show_invoices", "show_proposals", "show_issues")

    def staff_branding(self, req: Request) -> Response:
        """BRD-1..3: edit the look and the show toggles, preview before saving."""
        staff = require(self.staff(req), Permission.MANAGE_SETTINGS)
        current = self.portal.config
        if req.method == "GET":
            return self.page(req, "staff_branding.html", fields=self.BRANDING_FIELDS, toggles=self.TOGGLES,
                             candidate=current)
        branding = {f: req.field(f, getattr(current.branding, f)).strip() for f in self.BRANDING_FIELDS}
        toggles = {t: bool(req.field(t)) for t in self.TOGGLES}
        try:
            candidate = updated(current, branding=branding, **toggles)
        except PortalError as exc:
            return self.page(req, "staff_branding.html", status=400, fields=self.BRANDING_FIELDS, toggles=self.TOGGLES,
                             candidate=current, error=exc.public_message)
        if req.field("action") == "save":
            self.portal.update_config(staff, candidate)
            self.flash(req, "Portal look saved.")
            return redirect("/staff/branding")
        return self.page(req, "staff_branding.html", portal_config=candidate, fields=self.BRANDING_FIELDS,
                         toggles=self.TOGGLES, candidate=candidate, previewing=True)

    def staff_mail(self, req: Request) -> Response:
        """The demo's sent mail, with every sign-up and reset link hidden: those belong to the
        customer alone (a staff user following one could take over the account)."""
        self.staff(req)
        mails = [redact_links(m) for m in reversed(self.mailer.mails if self.mailer else [])]
        return self.page(req, "staff_mail.html", mails=mails)

    def staff_payments(self, req: Request) -> Response:
        staff = self.staff(req)
        if req.method == "POST":
            require(staff, Permission.MANAGE_BILLING)
            count = self.portal.processor.settle_due(self.portal.payments.settle)
            self.flash(req, f"The processor answered {count} payment(s).")
            return redirect("/staff/payments")
        payments = sorted(self.portal.storage.find(Payment), key=lambda p: p.created_at, reverse=True)
        return self.page(req, "staff_payments.html", payments=payments)


