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
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Callable

import attrs

from .. import inputs, money
from ..config import PortalConfig, updated
from ..files import sniff
from ..errors import AuthenticationFailed, PortalError, SessionExpired, ValidationError
from ..i18n import LANGUAGES
from ..invitations import BulkResult
from ..models import (Access, Contact, Customer, Invoice, Issue, IssueStatus, Permission, PortalStatus, Property, Proposal,
                      PaymentMethod, ProposalStatus, ReportKind, StaffUser)
from ..payments import COLLECTED, OPEN
from ..permissions import require
from ..tokens import LOGO
from .customer import flash
from .forms import choice
from .http import FileResponse, Page, PageRequest, Redirect, Result, attachment_response

if TYPE_CHECKING:
    from ..portal import Portal

ACCESS_FLAGS = tuple(f.name for f in attrs.fields(Access))
BRANDING_FIELDS = ("title", "page_text", "dashboard_text", "login_logo_url", "nav_logo_url", "display_font",
                   "input_font", "button_font", "dashboard_font", "background_colour", "border_colour",
                   "nav_bar_colour", "nav_text_colour", "button_colour", "button_text_colour", "dashboard_text_colour")
TOGGLES = ("show_invoices", "show_proposals", "show_issues")
GENERAL_FIELDS = ("company_name", "domain", "link_description", "invite_subject")
SWITCHES = ("enabled", "auto_invite_new_contacts", "electronic_payment_enabled", "fee_on_debit")
LOGO_TOKEN_AGE = timedelta(hours=1)
StaffSignin = Callable[[PageRequest, str, str], bool]


class StaffLoginRequired(SessionExpired):
    """The page needs a signed-in staff user."""


def invitation_summary(result: BulkResult) -> str:
    """"Invitation sent to 3 contacts; 1 skipped: already enrolled." """
    sent = len(result.sent)
    text = f"Invitation sent to {sent} contact{'' if sent == 1 else 's'}" if sent else "No invitation sent"
    if result.skipped:
        reasons = Counter(s.reason for s in result.skipped)
        text += f"; {len(result.skipped)} skipped: " + ", ".join(
            f"{reason}" + (f" ({n})" if n > 1 else "") for reason, n in reasons.items())
    return text + "."


class StaffPages:
    portal: "Portal"
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
        staff = require(self.staff(req), Permission.MANAGE_CONTACTS, self.portal.settings.company_id)
        status = choice(PortalStatus, req.arg("status"), None)
        after = req.arg("after") or None
        contacts = self.portal.directory.contacts(staff, status, after=after)
        return Page("staff_contacts.html", {"contacts": contacts, "statuses": list(PortalStatus),
                                            "status_filter": status, "paged": after is not None})

    def staff_invite(self, req: PageRequest) -> Result:
        staff = self.staff(req)
        result = self.portal.invitations.send(staff, req.fields("contact"), subject=req.field("subject") or None,
                                              body=req.field("body") or None)
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
            contact = d.add_contact(staff, customer.id, req.field("first_name"), req.field("last_name"),
                                    req.field("email") or None, property_ids=req.fields("property"),
                                    account_wide=bool(req.field("account_wide")),
                                    access=Access(**{f: bool(req.field(f)) for f in ACCESS_FLAGS}),
                                    invite=bool(req.field("invite")))
        except ValidationError as exc:
            return Page("staff_contact_new.html", {**ctx, "error": exc.public_message, "form": req}, 400)
        invited = contact.portal_status is not PortalStatus.NOT_ENROLLED
        flash(req, f"{contact.name} added" + (" and invited." if invited else "."))
        return Redirect("staff_contact", {"id": contact.id})

    def staff_contact(self, req: PageRequest, id: str) -> Result:
        staff = self.staff(req)
        d = self.portal.directory
        contact = d.contact(id)
        return Page("staff_contact.html", {"person": contact, "history": d.history(staff, id), "flags": ACCESS_FLAGS,
                                           "properties": d.properties_of(staff, contact.customer_id),
                                           "languages": LANGUAGES})

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
            d.update_contact(staff, id, access=Access(**{f: bool(req.field(f)) for f in ACCESS_FLAGS}),
                             main_contact_only=bool(req.field("main_contact_only")))
            flash(req, f"Access of {name} saved.")
        elif action == "resend":
            flash(req, invitation_summary(self.portal.invitations.resend(staff, id)))
        elif action == "details":
            with self.portal.unit_of_work():  # all of the form, or nothing
                email = req.field("email").strip()
                if email and email.lower() != (d.contact(id).email or ""):
                    d.change_email(staff, id, email)  # ACC-5, ACC-8: confirmed from the new address
                d.update_contact(staff, id, first_name=req.field("first_name"), last_name=req.field("last_name"),
                                 receipts_opt_in=bool(req.field("receipts_opt_in")),
                                 language=req.field("language") or d.contact(id).language)
            saved = d.contact(id)
            flash(req, f"{saved.name} saved." + (f" A confirmation link went to {saved.pending_email}; {saved.name} "
                                                 f"signs in with {saved.email} until it is used."
                                                 if saved.pending_email else ""))
        elif action == "properties":
            with self.portal.unit_of_work():
                self._save_properties(staff, id, req)
            flash(req, f"Properties of {name} saved.")
        else:
            raise ValidationError("Unknown action.")
        return Redirect("staff_contact", {"id": id})

    def _save_properties(self, staff: StaffUser, contact_id: str, req: PageRequest) -> None:
        """Links, primary and billing contact per property, and account-wide access, as ticked."""
        d = self.portal.directory
        contact = d.contact(contact_id)
        linked, primary, billing = set(req.fields("property")), set(req.fields("primary")), set(req.fields("billing"))
        d.update_contact(staff, contact_id, account_wide=bool(req.field("account_wide")))
        for prop in d.properties_of(staff, contact.customer_id):
            if prop.id in linked | primary | billing:
                d.link_property(staff, contact_id, prop.id)
            elif prop.id in contact.property_ids or contact.id in (prop.primary_contact_id, prop.billing_contact_id):
                d.unlink_property(staff, contact_id, prop.id)
                continue
            if (prop.id in primary) != (prop.primary_contact_id == contact.id):
                d.set_primary_contact(staff, prop.id, contact.id if prop.id in primary else None)
            if (prop.id in billing) != (prop.billing_contact_id == contact.id):
                d.set_billing_contact(staff, prop.id, contact.id if prop.id in billing else None)

    def staff_issues(self, req: PageRequest) -> Result:
        staff = self.staff(req)
        status = choice(IssueStatus, req.arg("status"))
        after = req.arg("after") or None
        issues = self.portal.issues.staff_issues(staff, status, after=after)
        names = {p.id: p.name for p in self.portal.storage.get_many(Property, {i.property_id for i in issues}).values()}
        return Page("staff_issues.html", {"issues": issues, "names": names, "status_filter": status,
                                          "statuses": list(IssueStatus), "paged": after is not None})

    def staff_issue(self, req: PageRequest, id: str) -> Result:
        staff = self.staff(req)
        comments = self.portal.issues.staff_comments(staff, id)
        return Page("staff_issue.html", {"issue": self.portal.directory.get(Issue, id), "comments": comments,
                                         "files": self.portal.issues.staff_attachments(staff, id)})

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
            raise ValidationError("Unknown action.")
        return Redirect("staff_issue", {"id": id})

    def staff_quotes(self, req: PageRequest) -> Result:
        staff = self.staff(req)
        requests = self.portal.proposals.quote_requests(staff)
        contacts = self.portal.storage.get_many(Contact, {q.contact_id for q in requests})
        props = self.portal.storage.get_many(Property, {q.property_id for q in requests})
        return Page("staff_quotes.html", {"requests": requests, "contacts": contacts, "props": props})

    def staff_branding(self, req: PageRequest) -> Result:
        """The portal's settings, persisted: the switch, link, invitations (INV-9, INV-10),
        proposal window, payments and fee, the views (VIS-4), every font and colour and the logo
        (BRD-1..3); previewed before saving."""
        staff = require(self.staff(req), Permission.MANAGE_SETTINGS, self.portal.settings.company_id)
        current = self.portal.config
        ctx: dict[str, Any] = {"fields": BRANDING_FIELDS, "toggles": TOGGLES, "candidate": current,
                               "general": GENERAL_FIELDS, "switches": SWITCHES}
        if req.method == "GET":
            return Page("staff_branding.html", ctx)
        try:
            candidate, logo_token, logo = self._settings_from_form(current, req)
        except PortalError as exc:
            return Page("staff_branding.html", {**ctx, "error": exc.public_message}, 400)
        saving = req.field("action") == "save"
        if saving:
            if logo is not None:  # only a logo that is saved goes into the file store
                self.portal.files.put(logo)
            self.portal.update_config(staff, candidate)
            flash(req, "Settings saved; customers see them on their next page.")
            return Redirect("staff_branding")
        logo_preview = f"data:{sniff(logo)};base64,{base64.b64encode(logo).decode()}" if logo else None
        return Page("staff_branding.html", {**ctx, "portal_config": candidate, "candidate": candidate,
                                            "previewing": True, "logo_token": logo_token,
                                            "logo_data": base64.b64encode(logo).decode() if logo else "",
                                            "logo_preview": logo_preview})

    def _settings_from_form(self, current: PortalConfig,
                            req: PageRequest) -> tuple[PortalConfig, str, bytes | None]:
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
                raise ValidationError("Upload the logo again.", field="logo") from None
            if hashlib.sha256(logo).hexdigest() != key:
                raise ValidationError("Upload the logo again.", field="logo")
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
            invite_notification_emails=tuple(inputs.email(e, "invite_notification_emails")
                                             for e in re.split(r"[\s,;]+", emails) if e),
            proposal_window_days=_whole(given("proposal_window_days"), "proposal_window_days", 3650),
            invite_link_days=_whole(given("invite_link_days"), "invite_link_days", 365),
            convenience_fee_percent=money.parse(given("convenience_fee_percent"), field="convenience_fee_percent"))
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
                raise ValidationError("Enter the report's date as YYYY-MM-DD.", field="performed_on") from None
            kind = choice(ReportKind, req.field("kind"), None)
            uploads = req.uploads("pdf")
            if kind is None or not uploads:
                raise ValidationError("Choose the kind of report and its PDF.", field="pdf")
            report = reports.add(staff, req.field("property"), kind, req.field("title"), day, uploads[0])
            flash(req, f"{report.kind.value} \u201c{report.title}\u201d published.")
            return Redirect("staff_reports")
        after = req.arg("after") or None
        listed = reports.staff_reports(staff, after=after)
        props = sorted(self.portal.storage.find(Property, archived=False), key=lambda p: p.name)
        return Page("staff_reports.html", {"reports": listed, "paged": after is not None, "kinds": list(ReportKind),
                                           "properties": props, "names": {p.id: p.name for p in props}})

    def staff_report_pdf(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.reports.staff_pdf(self.staff(req), id), "application/pdf", "report.pdf")

    def staff_report_remove(self, req: PageRequest, id: str) -> Result:
        report = self.portal.reports.remove(self.staff(req), id)
        flash(req, f"\u201c{report.title}\u201d is no longer in the portal.")
        return Redirect("staff_reports")

    def staff_payments(self, req: PageRequest) -> Result:
        staff = require(self.staff(req), Permission.MANAGE_BILLING, self.portal.settings.company_id)
        if req.method == "POST":  # demo and tests: the fake processor answers now, not in 5 seconds
            settle_due = getattr(self.portal.processor, "settle_due", None)
            count = settle_due(self.portal.payments.handle_webhook) if settle_due else 0
            flash(req, f"The processor answered {count} time(s).")
            return Redirect("staff_payments")
        after = req.arg("after") or None
        payments = self.portal.payments.staff_payments(staff, after=after)
        get_many = self.portal.storage.get_many
        return Page("staff_payments.html", {"payments": payments, "open": OPEN, "refundable": COLLECTED,
                                            "request_key": secrets.token_urlsafe(16),  # one refund per form shown
                                            "invoices": get_many(Invoice, {p.invoice_id for p in payments}),
                                            "contacts": get_many(Contact, {p.contact_id for p in payments}),
                                            "methods": get_many(PaymentMethod, {p.method_id for p in payments}),
                                            "paged": after is not None,
                                            "demo_processor": hasattr(self.portal.processor, "settle_due")})

    def staff_payment_action(self, req: PageRequest, id: str, action: str) -> Result:
        """Refund (in full or in part) or cancel a stuck payment."""
        staff = self.staff(req)
        if action == "refund":
            payment = self.portal.payments.refund(staff, id, req.field("amount") or None,
                                                  request_key=req.field("request") or None)
            flash(req, f"Refunded; {money.display(payment.refunded_amount)} of {money.display(payment.amount)} "
                       "is back with the customer.")
        elif action == "cancel":
            payment = self.portal.payments.cancel(staff, id)
            flash(req, f"The payment is {payment.status.value.replace('_', ' ')}.")
        else:
            raise ValidationError("Unknown action.")
        return Redirect("staff_payments")

    def staff_proposals(self, req: PageRequest) -> Result:
        """Every proposal, by status; a signed one is marked until staff win or lose it (PRO-4)."""
        staff = self.staff(req)
        status = choice(ProposalStatus, req.arg("status"), None)
        after = req.arg("after") or None
        proposals = self.portal.proposals.staff_proposals(staff, status, after=after)
        names = {p.id: p.name for p in self.portal.storage.get_many(Property, {x.property_id for x in proposals}).values()}
        return Page("staff_proposals.html", {"proposals": proposals, "names": names, "statuses": list(ProposalStatus),
                                             "status_filter": status, "paged": after is not None})

    def staff_proposal(self, req: PageRequest, id: str) -> Result:
        """PRO-6: the signature as drawn, who signed, when, from which address, what they chose."""
        staff = self.staff(req)
        signature = self.portal.proposals.signature(staff, id)
        proposal = self.portal.directory.get(Proposal, id)
        return Page("staff_proposal.html", {
            "proposal": proposal, "signature": signature, "statuses": list(ProposalStatus),
            "prop": self.portal.directory.get(Property, proposal.property_id),
            "signer": self.portal.storage.get(Contact, signature.signer_contact_id) if signature else None,
            "chosen": set(signature.selected_service_ids) if signature else set(),
            "check": self.portal.proposals.verify_signature(staff, id) if signature else None})

    def staff_proposal_pdf(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.proposals.staff_pdf(self.staff(req), id), "application/pdf", "proposal.pdf")

    def staff_proposal_signature(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.proposals.signature_image(self.staff(req), id), "image/png", "signature.png")

    def staff_proposal_status(self, req: PageRequest, id: str) -> Result:
        """Win or lose (PRO-4), or move a proposal along."""
        status = choice(ProposalStatus, req.field("status"), None)
        if status is None:
            raise ValidationError("Choose a status.", field="status")
        proposal = self.portal.proposals.set_status(self.staff(req), id, status)
        flash(req, f"Proposal {proposal.number} is now {proposal.status.value}.")
        return Redirect("staff_proposal", {"id": id})


def _whole(value: str, field: str, maximum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValidationError(f"{field.replace('_', ' ').capitalize()} must be a whole number.", field=field) from None
    return inputs.integer(number, field, minimum=0, maximum=maximum)
