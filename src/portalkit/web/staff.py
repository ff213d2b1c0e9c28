"""The staff pages: invitations, portal status and history, access flags, issues, quote
requests, payments and the portal's look. Staff are the host's own users: the framework glue
signs them in (``staff_signin``) and maps their permissions; every action checks one."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from .. import inputs, money
from .._core.files import sniff
from .._core.permissions import require
from .._core.theme import FONT_STACKS, contrast_warnings
from .._core.tokens import LOGO
from ..accounts._invitations import BulkResult
from ..billing._payments import COLLECTED, OPEN
from ..config import PortalConfig, updated
from ..errors import AuthenticationFailed, PortalError, SessionExpired, ValidationError
from ..i18n import LANGUAGES, _
from ..labels import label
from ..models import (
    Access,
    Customer,
    Issue,
    IssueStatus,
    Permission,
    PortalStatus,
    Property,
    Proposal,
    ProposalStatus,
    ReportKind,
    StaffUser,
)
from .customer import flash
from .forms import choice
from .http import FileResponse, Page, PageRequest, Redirect, Result, attachment_response

if TYPE_CHECKING:
    from ..portal import Portal

ACCESS_FLAGS = tuple(f.name for f in attrs.fields(Access))
BRANDING_FIELDS = (
    "title",
    "page_text",
    "dashboard_text",
    "login_logo_url",
    "nav_logo_url",
    "display_font",
    "input_font",
    "button_font",
    "dashboard_font",
    "background_colour",
    "border_colour",
    "nav_bar_colour",
    "nav_text_colour",
    "button_colour",
    "button_text_colour",
    "dashboard_text_colour",
)
TOGGLES = ("show_invoices", "show_proposals", "show_issues")
GENERAL_FIELDS = ("company_name", "domain", "link_description", "invite_subject")
SWITCHES = (
    "enabled",
    "auto_invite_new_contacts",
    "electronic_payment_enabled",
    "partial_payments",
    "fee_on_debit",
    "require_second_step",
)
LOGO_TOKEN_AGE = timedelta(hours=1)
# The staff menu (base.html lists the same pages): each page and the permission it needs.
STAFF_MENU = (
    (Permission.MANAGE_CONTACTS, "staff_contacts"),
    (Permission.MANAGE_ISSUES, "staff_issues"),
    (Permission.MANAGE_PROPOSALS, "staff_proposals"),
    (Permission.MANAGE_JOBS, "staff_visits"),
    (Permission.MANAGE_BILLING, "staff_payments"),
    (Permission.MANAGE_REPORTS, "staff_reports"),
    (Permission.MANAGE_SETTINGS, "staff_branding"),
)
StaffSignin = Callable[[PageRequest, str, str], bool]


class StaffLoginRequired(SessionExpired):
    """The page needs a signed-in staff user."""


def invitation_summary(result: BulkResult) -> str:
    """ "Invitation sent to 3 contacts; 1 skipped: already enrolled." """
    sent = len(result.sent)
    text = f"Invitation sent to {sent} contact{'' if sent == 1 else 's'}" if sent else "No invitation sent"
    if result.skipped:
        reasons = Counter(s.reason for s in result.skipped)
        text += f"; {len(result.skipped)} skipped: " + ", ".join(
            f"{reason}" + (f" ({n})" if n > 1 else "") for reason, n in reasons.items()
        )
    return text + "."


class StaffPages:
    portal: Portal
    staff_signin: StaffSignin
    staff_signout: Callable[[PageRequest], None]

    def staff(self, req: PageRequest) -> StaffUser:
        if req.staff is None:
            raise StaffLoginRequired()
        return req.staff

    def staff_login(self, req: PageRequest) -> Result:
        """The host's staff users log in with their own credentials; attempts are throttled per
        email and per client address like customers' (ASVS V2.2.1)."""
        if req.method == "GET":
            return Page("staff_login.html")
        email = req.field("email").strip().lower()
        throttle = self.portal.throttle
        try:
            keys = throttle.reserve_login("staff:" + email[:254], req.ip, self.portal.config, ip_prefix="staff-ip:")
            if not self.staff_signin(req, email, req.field("password")):
                raise AuthenticationFailed("Unknown staff user or wrong password.")
        except AuthenticationFailed as exc:
            return Page("staff_login.html", {"error": exc.public_message}, 401)
        throttle.login_succeeded(keys)
        return Redirect("staff_contacts", session="rotate")

    def staff_logout(self, req: PageRequest) -> Result:
        self.staff_signout(req)
        return Redirect("staff_login", session="end")

    def staff_contacts(self, req: PageRequest) -> Result:
        """The contacts, where staff land after logging in: one who may not manage contacts is
        sent to the first page of the menu they may use (the menu shows only those)."""
        staff = self.staff(req)
        if Permission.MANAGE_CONTACTS not in staff.permissions:
            first = next((endpoint for needed, endpoint in STAFF_MENU if needed in staff.permissions), None)
            if first is not None:
                return Redirect(first)
        staff = require(staff, Permission.MANAGE_CONTACTS, self.portal.settings.company_id)
        status = choice(PortalStatus, req.arg("status"), None)
        after = req.arg("after") or None
        contacts = self.portal.directory.contacts(staff, status, after=after)
        return Page(
            "staff_contacts.html",
            {"contacts": contacts, "statuses": list(PortalStatus), "status_filter": status, "paged": after is not None},
        )

    def staff_invite(self, req: PageRequest) -> Result:
        staff = self.staff(req)
        result = self.portal.invitations.send(
            staff, req.fields("contact"), subject=req.field("subject") or None, body=req.field("body") or None
        )
        flash(req, invitation_summary(result))
        return Redirect("staff_contacts")

    def staff_customers(self, req: PageRequest) -> Result:
        """The accounts, by name, each with "Add contact"."""
        after = req.arg("after") or None
        customers = self.portal.directory.customers(self.staff(req), after=after)
        return Page("staff_customers.html", {"customers": customers, "paged": after is not None})

    def staff_contact_new(self, req: PageRequest, customer_id: str) -> Result:
        """A new contact of a customer, linked to some of its properties or to the whole account,
        invited at once when "invite" is ticked or the company auto-invites (INV-9)."""
        staff = self.staff(req)
        d = self.portal.directory
        customer = d.get(Customer, customer_id)
        ctx = {"customer": customer, "properties": d.properties_of(staff, customer.id), "flags": ACCESS_FLAGS}
        if req.method == "GET":
            return Page("staff_contact_new.html", ctx)
        try:
            contact = d.add_contact(
                staff,
                customer.id,
                req.field("first_name"),
                req.field("last_name"),
                req.field("email") or None,
                property_ids=req.fields("property"),
                account_wide=bool(req.field("account_wide")),
                access=Access(**{f: bool(req.field(f)) for f in ACCESS_FLAGS}),
                invite=bool(req.field("invite")),
            )
        except ValidationError as exc:
            return Page("staff_contact_new.html", {**ctx, "error": exc.public_message, "form": req}, 400)
        invited = contact.portal_status is not PortalStatus.NOT_ENROLLED
        flash(req, f"{contact.name} added" + (" and invited." if invited else "."))
        return Redirect("staff_contact", {"id": contact.id})

    def staff_contact(self, req: PageRequest, id: str) -> Result:
        staff = self.staff(req)
        d = self.portal.directory
        contact = d.contact(id)
        return Page(
            "staff_contact.html",
            {
                "person": contact,
                "history": d.history(staff, id),
                "flags": ACCESS_FLAGS,
                "properties": d.properties_of(staff, contact.customer_id),
                "languages": LANGUAGES,
                "second_step": self.portal.twostep.factors(contact),
            },
        )

    def staff_contact_action(self, req: PageRequest, id: str, action: str) -> Result:
        staff = self.staff(req)
        d = self.portal.directory
        name = d.contact(id).name
        if action == "suspend":
            d.suspend(staff, id, req.field("note"))
            flash(req, f"{name} is suspended and logged out; they will see your note when they try to log in.")
        elif action == "unsuspend":
            d.unsuspend(staff, id)
            flash(req, f"{name} can log in again.")
        elif action == "access":
            d.update_contact(
                staff,
                id,
                access=Access(**{f: bool(req.field(f)) for f in ACCESS_FLAGS}),
                main_contact_only=bool(req.field("main_contact_only")),
            )
            flash(req, f"Access of {name} saved.")
        elif action == "resend":
            flash(req, invitation_summary(self.portal.invitations.resend(staff, id)))
        elif action == "reset_second_step":  # issue 27: a contact who lost every passkey, app and code
            self.portal.twostep.reset(staff, id)
            flash(
                req,
                f"Every passkey, authenticator app and recovery code of {name} was removed; they were told by mail.",
            )
        elif action == "details":  # all of the form, or nothing; a new email is confirmed from it (ACC-8)
            saved = d.save_details(
                staff,
                id,
                first_name=req.field("first_name"),
                last_name=req.field("last_name"),
                email=req.field("email"),
                receipts_opt_in=bool(req.field("receipts_opt_in")),
                language=req.field("language"),
            )
            flash(
                req,
                f"{saved.name} saved."
                + (
                    f" A confirmation link went to {saved.pending_email}; {saved.name} "
                    f"signs in with {saved.email} until it is used."
                    if saved.pending_email
                    else ""
                ),
            )
        elif action == "properties":  # links, primary and billing contact per property, account-wide: all or nothing
            d.save_properties(
                staff,
                id,
                linked=req.fields("property"),
                primary=req.fields("primary"),
                billing=req.fields("billing"),
                account_wide=bool(req.field("account_wide")),
            )
            flash(req, f"Properties of {name} saved.")
        else:
            raise ValidationError(_("Unknown action."))
        return Redirect("staff_contact", {"id": id})

    def staff_issues(self, req: PageRequest) -> Result:
        staff = self.staff(req)
        status = choice(IssueStatus, req.arg("status"))
        after = req.arg("after") or None
        issues = self.portal.issues.staff_list(staff, status, after=after)
        return Page(
            "staff_issues.html",
            {"issues": issues, "status_filter": status, "statuses": list(IssueStatus), "paged": after is not None},
        )

    def staff_issue(self, req: PageRequest, id: str) -> Result:
        staff = self.staff(req)
        comments = self.portal.issues.staff_comments(staff, id)
        return Page(
            "staff_issue.html",
            {
                "issue": self.portal.directory.get(Issue, id),
                "comments": comments,
                "files": self.portal.issues.staff_attachments(staff, id),
            },
        )

    def staff_issue_file(self, req: PageRequest, id: str, file_id: str) -> Result:
        """A customer's (or staff) file of an issue or its comments, shared or not."""
        return attachment_response(*self.portal.issues.staff_attachment(self.staff(req), id, file_id))

    def staff_issue_action(self, req: PageRequest, id: str, action: str) -> Result:
        staff = self.staff(req)
        issues = self.portal.issues
        if action == "comment":
            public = bool(req.field("public"))
            issues.staff_comment(staff, id, req.field("text"), public=public, attachments=req.uploads("files"))
            flash(req, "Comment added; the customer sees it." if public else "Internal comment added.")
        elif action == "share":
            issues.share_files(staff, req.field("comment"))
            flash(req, "The comment's files are now shown in the portal.")
        elif action in ("close", "reopen"):
            issues.set_status(staff, id, IssueStatus.CLOSED if action == "close" else IssueStatus.OPEN)
            flash(req, "Issue closed." if action == "close" else "Issue reopened.")
        else:
            raise ValidationError(_("Unknown action."))
        return Redirect("staff_issue", {"id": id})

    def staff_quotes(self, req: PageRequest) -> Result:
        staff = self.staff(req)
        return Page("staff_quotes.html", {"requests": self.portal.proposals.quote_list(staff)})

    def staff_branding(self, req: PageRequest) -> Result:
        """The portal's settings, persisted: the switch, link, invitations (INV-9, INV-10),
        proposal window, payments and fee, the views (VIS-4), every font and colour and the logo
        (BRD-1..3); previewed before saving."""
        staff = require(self.staff(req), Permission.MANAGE_SETTINGS, self.portal.settings.company_id)
        current = self.portal.config
        ctx: dict[str, Any] = {
            "fields": BRANDING_FIELDS,
            "toggles": TOGGLES,
            "candidate": current,
            "general": GENERAL_FIELDS,
            "switches": SWITCHES,
            "fonts": FONT_STACKS,
            "warnings": contrast_warnings(current.branding),
            "active": "staff_branding",
        }
        if req.method == "GET":
            return Page("staff_branding.html", ctx)
        try:
            candidate, logo_token, logo = self._settings_from_form(current, req)
        except PortalError as exc:
            return Page("staff_branding.html", {**ctx, "error": exc.public_message}, 400)
        ctx["warnings"] = contrast_warnings(candidate.branding)
        saving = req.field("action") == "save"
        if saving:
            if logo is not None:  # only a logo that is saved goes into the file store
                self.portal.files.put(logo)
            self.portal.update_config(staff, candidate)
            flash(req, "Settings saved; customers see them on their next page.")
            return Redirect("staff_branding")
        logo_preview = f"data:{sniff(logo)};base64,{base64.b64encode(logo).decode()}" if logo else None
        return Page(
            "staff_branding.html",
            {
                **ctx,
                "portal_config": candidate,
                "candidate": candidate,
                "previewing": True,
                "logo_token": logo_token,
                "logo_data": base64.b64encode(logo).decode() if logo else "",
                "logo_preview": logo_preview,
            },
        )

    def _settings_from_form(self, current: PortalConfig, req: PageRequest) -> tuple[PortalConfig, str, bytes | None]:
        """The settings as the form has them (checked, not saved); a new logo's bytes, which
        nothing stores before Save; and a signed token of them, so that Save after Preview keeps
        the logo the preview showed (carried in the form) without a second upload."""
        branding: dict[str, Any] = {f: req.field(f, getattr(current.branding, f)).strip() for f in BRANDING_FIELDS}
        logo_token, logo = "", None
        uploads = req.uploads("logo")
        if uploads:
            logo = self.portal.files.check_logo(uploads[0].data)
            key = hashlib.sha256(logo).hexdigest()
            logo_token = self.portal.signer.sign(LOGO, key, 0)
        elif req.field("logo_token"):
            logo_token = req.field("logo_token")
            key = self.portal.signer.verify(LOGO, logo_token, LOGO_TOKEN_AGE)[0]
            try:
                logo = self.portal.files.check_logo(base64.b64decode(req.field("logo_data"), validate=True))
            except (ValueError, binascii.Error):
                raise ValidationError(_("Upload the logo again."), field="logo") from None
            if hashlib.sha256(logo).hexdigest() != key:
                raise ValidationError(_("Upload the logo again."), field="logo")
        else:
            key = current.branding.logo_key
        if req.field("remove_logo"):
            key, logo = "", None
        branding["logo_key"] = key

        def given(name: str) -> str:  # a field the form left out keeps its value; a box left out is off
            return req.field(name, str(getattr(current, name))).strip()

        emails = req.field("invite_notification_emails", "\n".join(current.invite_notification_emails))
        changes: dict[str, Any] = {f: given(f) for f in GENERAL_FIELDS}
        changes.update({f: bool(req.field(f)) for f in (*TOGGLES, *SWITCHES)})
        changes.update(
            invite_body=req.field("invite_body") or current.invite_body,
            invite_notification_emails=tuple(
                inputs.email(e, "invite_notification_emails") for e in re.split(r"[\s,;]+", emails) if e
            ),
            proposal_window_days=_whole(given("proposal_window_days"), "proposal_window_days", 3650),
            invite_link_days=_whole(given("invite_link_days"), "invite_link_days", 365),
            convenience_fee_percent=money.parse(given("convenience_fee_percent"), field="convenience_fee_percent"),
        )
        return updated(current, branding=branding, **changes), logo_token, logo

    def staff_reports(self, req: PageRequest) -> Result:
        """Inspection and service reports: the latest, and a form to publish one on a property."""
        staff = require(self.staff(req), Permission.MANAGE_REPORTS, self.portal.settings.company_id)
        reports = self.portal.reports
        if req.method == "POST":
            performed = req.field("performed_on")
            try:
                day = date.fromisoformat(performed)
            except ValueError:
                raise ValidationError(_("Enter the report's date as YYYY-MM-DD."), field="performed_on") from None
            kind = choice(ReportKind, req.field("kind"), None)
            uploads = req.uploads("pdf")
            if kind is None or not uploads:
                raise ValidationError(_("Choose the kind of report and its PDF."), field="pdf")
            report = reports.add(staff, req.field("property"), kind, req.field("title"), day, uploads[0])
            flash(req, f"{label(report.kind)} \u201c{report.title}\u201d published.")
            return Redirect("staff_reports")
        after = req.arg("after") or None
        return Page(
            "staff_reports.html",
            {
                "reports": reports.staff_list(staff, after=after),
                "paged": after is not None,
                "kinds": list(ReportKind),
                "properties": reports.properties(staff),
            },
        )

    def staff_report_pdf(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.reports.staff_pdf(self.staff(req), id), "application/pdf", "report.pdf")

    def staff_report_remove(self, req: PageRequest, id: str) -> Result:
        report = self.portal.reports.remove(self.staff(req), id)
        flash(req, f"\u201c{report.title}\u201d is no longer in the portal.")
        return Redirect("staff_reports")

    def staff_payments(self, req: PageRequest) -> Result:
        """Every payment, newest first, with its invoice, payer and method; refund or cancel one.
        A host adds its own buttons beside "Payment plans" with ``staff_payments_extra.html`` (the
        reference hosts' "Let the test processor answer now", ``examples/common/demo.py``)."""
        staff = require(self.staff(req), Permission.MANAGE_BILLING, self.portal.settings.company_id)
        after = req.arg("after") or None
        return Page(
            "staff_payments.html",
            {
                "payments": self.portal.payments.staff_list(staff, after=after),
                "open": OPEN,
                "refundable": COLLECTED,
                "request_key": secrets.token_urlsafe(16),  # one refund per form shown
                "paged": after is not None,
            },
        )

    def staff_payment_action(self, req: PageRequest, id: str, action: str) -> Result:
        """Refund (in full or in part) or cancel a stuck payment."""
        staff = self.staff(req)
        if action == "refund":
            payment = self.portal.payments.refund(
                staff, id, req.field("amount") or None, request_key=req.field("request") or None
            )
            flash(
                req,
                f"Refunded; {money.display(payment.refunded_amount)} of {money.display(payment.amount)} "
                "is back with the customer.",
            )
        elif action == "cancel":
            payment = self.portal.payments.cancel(staff, id)
            flash(req, f"The payment is {label(payment.status)}.")
        else:
            raise ValidationError(_("Unknown action."))
        return Redirect("staff_payments")

    def staff_proposals(self, req: PageRequest) -> Result:
        """Every proposal, by status; a signed one is marked until staff win or lose it (PRO-4)."""
        staff = self.staff(req)
        status = choice(ProposalStatus, req.arg("status"), None)
        after = req.arg("after") or None
        proposals = self.portal.proposals.staff_list(staff, status, after=after)
        return Page(
            "staff_proposals.html",
            {
                "proposals": proposals,
                "statuses": list(ProposalStatus),
                "status_filter": status,
                "paged": after is not None,
            },
        )

    def staff_proposal(self, req: PageRequest, id: str) -> Result:
        """PRO-6: the signature as drawn, who signed, when, from which address, what they chose."""
        staff = self.staff(req)
        signature = self.portal.proposals.signature(staff, id)
        proposal = self.portal.directory.get(Proposal, id)
        return Page(
            "staff_proposal.html",
            {
                "proposal": proposal,
                "signature": signature,
                "statuses": list(ProposalStatus),
                "prop": self.portal.directory.get(Property, proposal.property_id),
                "signer": self.portal.proposals.signer(staff, signature) if signature else None,
                "chosen": set(signature.selected_service_ids) if signature else set(),
                "check": self.portal.proposals.verify_signature(staff, id) if signature else None,
            },
        )

    def staff_proposal_pdf(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.proposals.staff_pdf(self.staff(req), id), "application/pdf", "proposal.pdf")

    def staff_proposal_signature(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.proposals.signature_image(self.staff(req), id), "image/png", "signature.png")

    def staff_proposal_status(self, req: PageRequest, id: str) -> Result:
        """Win or lose (PRO-4), or move a proposal along."""
        status = choice(ProposalStatus, req.field("status"), None)
        if status is None:
            raise ValidationError(_("Choose a status."), field="status")
        proposal = self.portal.proposals.set_status(self.staff(req), id, status)
        flash(req, f"Proposal {proposal.number} is now {label(proposal.status)}.")
        return Redirect("staff_proposal", {"id": id})


def _whole(value: str, field: str, maximum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValidationError(f"{field.replace('_', ' ').capitalize()} must be a whole number.", field=field) from None
    return inputs.integer(number, field, minimum=0, maximum=maximum)
