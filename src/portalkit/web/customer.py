"""The customer's pages: sign-up, login, password reset, dashboard, invoices and payments,
proposals and signing, issues, quote requests, profile."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import i18n, inputs, money
from .._core.paging import MAX_LIMIT
from .._core.visibility import Section
from ..billing._invoices import InvoiceFilter, invoice_row
from ..billing._payments import MAX_GROUP, OPEN, fee_applies
from ..errors import AuthenticationFailed, InvalidWebhook, NotFound, SessionExpired, ValidationError
from ..i18n import _
from ..issues._issues import IssueFilter
from ..labels import label, method_name
from ..models import Contact, Invoice, Payment, PaymentStatus, Priority
from ..proposals._proposals import ProposalFilter, can_sign
from .forms import choice
from .http import FileResponse, Page, PageRequest, Redirect, Reply, Result, attachment_response

if TYPE_CHECKING:
    from ..portal import Portal

TOKEN = "portalkit_token"
SIGNUP_TOKEN = "portalkit_signup_token"
RESET_TOKEN = "portalkit_reset_token"
LOGIN_LINK_TOKEN = "portalkit_login_link_token"
EMAIL_TOKEN = "portalkit_email_token"
FLASH = "portalkit_flash"
LANGUAGE = "portalkit_language"
NEW_METHODS = ("new-card", "new-ach")  # the pay page's "add one here" choices
PROCESSOR_NAMES = {"stripe": "Stripe"}  # named on the pay page and the receipt (others: "our payment processor")


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
    portal: Portal

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
        """ "Email me a sign-in link": the same answer for every address."""
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
    def _link_step(
        self, req: PageRequest, key: str, check: Callable[[str], object], endpoint: str, title: str
    ) -> Result | None:
        """The page of a mailed link before its token is in the session: the form that posts it,
        or, on that post, the token checked, kept and the visitor sent on. ``None`` once the
        session holds a token and the page itself should answer."""
        posted = req.field("link_token") or _token_of(req.field("link"))
        if req.method == "POST" and (posted or "link" in req.form):
            if not posted:
                return Page(
                    "link.html",
                    {"title": title, "action": endpoint, "error": _("Paste the whole link from the email.")},
                    400,
                )
            check(posted)  # an expired or used link renders as a message
            req.session[key] = posted
            return Redirect(endpoint)
        if req.session.get(key):
            return None
        return Page("link.html", {"title": title, "action": endpoint})

    def old_link(self, req: PageRequest, token: str) -> Result:
        """A link in the form mailed before tokens moved after "#": its token may sit in an access
        log, so it is never used; a new link is one click away."""
        return Page(
            "message.html",
            {
                "title": _("This link can no longer be used"),
                "message": _("Links from older emails no longer work. Ask for a new one."),
                "link": ("login", _("Log in")),
            },
            410,
        )

    open_login_link = open_reset_link = open_signup_link = old_link

    def sign_in(self, req: PageRequest) -> Result:
        step = self._link_step(req, LOGIN_LINK_TOKEN, self.portal.accounts.check_login_link, "sign_in", _("Sign in"))
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
        step = self._link_step(
            req, RESET_TOKEN, self.portal.accounts.check_reset_link, "reset_password", _("Choose a new password")
        )
        if step is not None:
            return step
        context = {
            "title": _("Choose a new password"),
            "rules": self.portal.accounts.password_rules,
            "action": "reset_password",
        }
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
            session = self.portal.accounts.sign_up_and_sign_in(token, req.field("password"), req.field("confirm"))
        except ValidationError as exc:
            return Page("password_form.html", {**context, "error": exc.public_message}, 400)
        self._start_session(req, session.token)  # signed in: no second typing of the new password
        flash(req, _("You are signed up. Welcome to your portal."))
        return Redirect("dashboard", session="rotate")

    def confirm_email(self, req: PageRequest) -> Result:
        """ACC-8: the link mailed to a new address; confirming makes it the sign-in and signs the
        contact out everywhere."""
        accounts = self.portal.accounts
        step = self._link_step(
            req, EMAIL_TOKEN, accounts.check_email_change, "confirm_email", _("Confirm your new email")
        )
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
        today = self.portal.clock.now().date()
        failures, activity = self.portal.payments.activity(contact, properties=properties)
        base = {
            "contact": contact,
            "properties": properties,
            "sections": sections,
            "today": today,
            "failures": failures,
            "active": "dashboard",
            "plans": self.portal.plans.for_contact(contact),  # payment plans offered or running (PLN-*)
            "visits": self.portal.jobs.visits(contact, limit=5, properties=properties),
        }  # the next first (issue 26)
        if not properties or not sections:
            return Page("dashboard.html", base)
        prop = next((p for p in properties if p.id == req.arg("property")), properties[0])
        view = next((s for s in sections if s.value == req.arg("view")), sections[0])
        ctx: dict[str, Any]
        after = req.arg("after") or None
        summary = None
        if view is Section.INVOICES:  # the summary and the list: one read of the open invoices
            which_i = choice(InvoiceFilter, req.arg("filter"))
            summary, rows = self.portal.invoices.overview(contact, prop.id, which_i, after=after, properties=properties)
            ctx = {
                "filters": list(InvoiceFilter),
                "which": which_i,
                "rows": rows,
                "sees_all_invoices": contact.id in (prop.primary_contact_id, prop.billing_contact_id),
            }
        elif view is Section.PROPOSALS:
            which_p = choice(ProposalFilter, req.arg("filter"))
            ctx = {
                "filters": list(ProposalFilter),
                "which": which_p,
                "rows": self.portal.proposals.list(contact, prop.id, which_p, after=after),
            }
        elif view is Section.REPORTS:
            ctx = {"filters": [], "which": None, "rows": self.portal.reports.list(contact, prop.id, after=after)}
        else:
            which_s = choice(IssueFilter, req.arg("filter"))
            ctx = {
                "filters": list(IssueFilter),
                "which": which_s,
                "rows": self.portal.issues.list(contact, prop.id, which_s, after=after),
            }
        if summary is None and Section.INVOICES in sections:
            summary = self.portal.invoices.summary(contact, property_id=prop.id, properties=properties)
        return Page(
            "dashboard.html",
            {
                **base,
                "prop": prop,
                "view": view,
                "paged": after is not None,
                "payments_on": self.portal.config.electronic_payment_enabled,
                "summary": summary,
                "activity": activity,
                **ctx,
            },
        )

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
            return Page(
                "statement.html", {"contact": contact, **defaults, "plans": self.portal.plans.for_contact(contact)}
            )
        try:
            period = date.fromisoformat(start), date.fromisoformat(end)
        except ValueError:
            return Page(
                "statement.html", {"contact": contact, **defaults, "error": _("Enter both dates as YYYY-MM-DD.")}, 400
            )
        return FileResponse(
            self.portal.statements.pdf(contact, *period), "application/pdf", f"statement-{period[0]}-{period[1]}.pdf"
        )

    def pay(self, req: PageRequest, id: str) -> Result:
        """The pay page: one or several open invoices of the invoice's property (this one chosen;
        ``?all=1`` chooses every one that can be paid), the amount of each, a saved method or a
        new one through the processor's hosted fields, the fee and the total; paid in one go
        (``Payments.pay_many``: one payment per invoice), then the receipt."""
        contact = self.contact(req)
        invoice = self.portal.invoices.get(contact, id)
        rows = self._payable_rows(contact, invoice)
        if req.method == "GET":
            chosen = {r.invoice.id for r in rows if r.can_pay} if req.arg("all") else {invoice.id}
            return Page("pay.html", self._pay_page(contact, invoice, rows, chosen, secrets.token_urlsafe(16)))
        payments, config = self.portal.payments, self.portal.config
        key = req.field("key")
        ids = list(dict.fromkeys(req.fields("invoice"))) or [invoice.id]
        amounts = {i: req.field(f"amount-{i}") or (req.field("amount") if i == invoice.id else "") for i in ids}
        due = {r.invoice.id: r.invoice.amount_due for r in rows}
        method_id = req.field("method")

        def again(status: int = 400, **shown: Any) -> Page:
            return Page(
                "pay.html",
                self._pay_page(
                    contact,
                    invoice,
                    rows,
                    set(ids),
                    key,
                    amounts=amounts,
                    method=method_id,
                    tip_choice=req.field("tip_choice"),
                    tip_custom=req.field("tip_custom"),
                    **shown,
                ),
                status,
            )

        from .plans import posted_tip, tip_unseen  # the tip (TIP-*): web/plans.py

        try:
            if method_id in NEW_METHODS:  # a token from the processor's hosted fields, never a number
                method = payments.add_method(contact, req.field("token"), make_default=bool(req.field("default")))
                method_id = method.id
                if fee_applies(method, config) and config.convenience_fee_percent > 0:  # shown before charged
                    return again(
                        200,
                        notice=_(
                            "%(method)s is saved. It is a credit card, so a convenience fee of "
                            "%(percent)s percent is added: check the total, then pay."
                        )
                        % {"method": method_name(method), "percent": config.convenience_fee_percent},
                    )
            items = [(i, amounts[i] or str(due.get(i, ""))) for i in ids]
            tip = posted_tip(req, config, [a for _i, a in items])
            if tip_unseen(req, tip):  # the total shown left this tip out: shown before anything is charged
                return again(
                    200,
                    notice=_("Your tip of %(tip)s is added: check the total, then pay.") % {"tip": money.display(tip)},
                )
            done = payments.pay_many(contact, items, method_id, key, tip=tip)
        except ValidationError as exc:
            return again(error=exc.public_message)
        main = next((p for p in done if p.status is PaymentStatus.REQUIRES_ACTION), done[0])
        return Redirect("confirm_payment", {"id": main.id, **self._also_param(done, main)})

    @staticmethod
    def _also_param(group: list[Payment], main: Payment) -> dict[str, str]:
        others = ".".join(p.id for p in group if p.id != main.id)
        return {"also": others} if others else {}

    def _payable_rows(self, contact: Contact, invoice: Invoice) -> list[Any]:
        """The open invoices of ``invoice``'s property the contact sees, by due date, ``invoice``
        among them while it is open."""
        rows = list(self.portal.invoices.list(contact, invoice.property_id, InvoiceFilter.OPEN, limit=MAX_LIMIT))
        if invoice.is_open and all(r.invoice.id != invoice.id for r in rows):
            rows.insert(0, invoice_row(invoice, self.portal.config.electronic_payment_enabled))
        return rows

    def _pay_page(
        self,
        contact: Contact,
        invoice: Invoice,
        rows: list[Any],
        chosen: set[str],
        key: str,
        *,
        amounts: dict[str, str] | None = None,
        method: str = "",
        error: str = "",
        notice: str = "",
        tip_choice: str = "",
        tip_custom: str = "",
    ) -> dict[str, Any]:
        from .plans import tip_page  # the tip (TIP-*): web/plans.py

        payments, config = self.portal.payments, self.portal.config
        methods = payments.methods(contact)
        ids = {m.id for m in methods}
        fields = payments.hosted_fields()
        if method not in ids and method not in NEW_METHODS:
            method = next((m.id for m in methods if m.is_default), methods[0].id if methods else "new-card")
        fee_methods = {m.id for m in methods if fee_applies(m, config)}
        subtotal = fee = Decimal("0.00")
        for row in rows:  # what the page shows first; its script recomputes as the customer changes it
            if row.can_pay and row.invoice.id in chosen:
                try:
                    amount = money.parse((amounts or {}).get(row.invoice.id) or row.invoice.amount_due)
                except ValidationError:
                    amount = row.invoice.amount_due
                subtotal += amount
                fee += money.percent_of(amount, config.convenience_fee_percent) if method in fee_methods else 0
        tipping = tip_page(config, subtotal, tip_choice, tip_custom)
        return {
            **tipping,
            "subtotal": subtotal,
            "fee": fee,
            "total": subtotal + fee + tipping["tip"],
            "contact": contact,
            "invoice": invoice,
            "rows": rows,
            "chosen": chosen,
            "amounts": amounts or {},
            "methods": methods,
            "method": method,
            "fee_percent": config.convenience_fee_percent,
            "fee_methods": fee_methods,
            "pending": [p for p in payments.history(contact, invoice.id) if p.status in OPEN],
            "prop": self.portal.visibility.require_property(contact, invoice.property_id),
            "key": key,
            "setup": payments.start_setup(contact),
            "processor": PROCESSOR_NAMES.get(str(fields.get("kind"))),
            "today": self.portal.clock.now().date(),
            "error": error,
            "notice": notice,
        }

    def confirm_payment(self, req: PageRequest, id: str) -> Result:
        """A payment's own page. While the customer's bank must confirm it (3-D Secure) the
        processor's script asks the bank, then returns here through ``payment_return``; otherwise
        (or once back, ``?returned=1``) the receipt: this payment and those made with it
        (``?also=`` their ids, each checked to be the contact's)."""
        contact = self.contact(req)
        payments, config = self.portal.payments, self.portal.config
        payment = payments.own_payment(contact, id)
        group = [payment]
        for other in req.arg("also").split(".")[:MAX_GROUP]:
            if other and other not in {p.id for p in group}:
                try:
                    group.append(payments.own_payment(contact, other))
                except NotFound:
                    continue
        invoices = {p.invoice_id: self.portal.invoices.get(contact, p.invoice_id) for p in group}
        fields = payments.hosted_fields()
        ctx = {
            "contact": contact,
            "payment": payment,
            "invoice": invoices[payment.invoice_id],
            "group": group,
            "invoices": invoices,
            "also": ".".join(p.id for p in group[1:]),
            "fields": fields,
            "processor": PROCESSOR_NAMES.get(str(fields.get("kind"))),
        }
        if payment.status is PaymentStatus.REQUIRES_ACTION and not req.arg("returned"):
            return Page("confirm_payment.html", ctx)
        methods = payments.methods_used(contact, group)
        receipts = bool(contact.email) and (config.payer_receipts or contact.receipts_opt_in)
        statuses = {p.status for p in group}
        return Page(
            "receipt.html",
            {
                **ctx,
                "methods": methods,
                "receipt_to": contact.email if receipts else "",
                "total": sum((p.total for p in group), Decimal("0.00")),
                "fees": sum((p.fee for p in group), Decimal("0.00")),
                "outcome": (
                    "paid"
                    if statuses <= {PaymentStatus.SETTLED}
                    else "failed"
                    if statuses <= {PaymentStatus.FAILED, PaymentStatus.CANCELED}
                    else "waiting"
                    if PaymentStatus.REQUIRES_ACTION in statuses
                    else "pending"
                ),
            },
        )

    def payment_return(self, req: PageRequest, id: str) -> Result:
        """Back from the bank: ask the processor how it went (the webhook may come later), then
        the receipt."""
        contact = self.contact(req)
        payment = self.portal.payments.refresh(contact, id)
        if payment.status is PaymentStatus.REQUIRES_ACTION:
            flash(req, _("The payment still waits for your bank's confirmation."))
        also = {"also": req.arg("also")} if req.arg("also") else {}
        return Redirect("confirm_payment", {"id": payment.id, "returned": "1", **also})

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
                    flash(
                        req,
                        _("%(method)s is now your default.")
                        % {"method": method_name(payments.set_default(contact, req.field("method")))},
                    )
                elif action == "remove":
                    payments.remove_method(contact, req.field("method"))
                    flash(req, _("Payment method removed."))
            except ValidationError as exc:
                return Page(
                    "methods.html",
                    {
                        "contact": contact,
                        "methods": payments.methods(contact),
                        "setup": payments.start_setup(contact),
                        "error": exc.public_message,
                    },
                    400,
                )
            return Redirect("payment_methods")
        return Page(
            "methods.html",
            {"contact": contact, "methods": payments.methods(contact), "setup": payments.start_setup(contact)},
        )

    # -- proposals ------------------------------------------------------------------------
    def proposal(self, req: PageRequest, id: str) -> Result:
        contact = self.contact(req)
        proposal = self.portal.proposals.get(contact, id)
        deposit = self.portal.proposals.deposit(contact, proposal)
        return Page(
            "proposal.html",
            {
                "contact": contact,
                "proposal": proposal,
                "signable": can_sign(proposal),
                "deposit": deposit,
                "prop": self.portal.visibility.require_property(contact, proposal.property_id),
            },
        )

    def proposal_pdf(self, req: PageRequest, id: str) -> Result:
        return FileResponse(self.portal.proposals.pdf(self.contact(req), id), "application/pdf", "proposal.pdf")

    def sign(self, req: PageRequest, id: str) -> Result:
        """The proposal on the page, then the signature: drawn on the pad, or the signer's name
        typed (``mode=type``, WCAG 2.2's alternative); the consent box ticked; the deposit's
        method when one is due. Signed, the proposal's page confirms it with the signed PDF."""
        contact = self.contact(req)
        proposal = self.portal.proposals.get(contact, id)
        if not can_sign(proposal):
            flash(
                req,
                _("Proposal %(number)s cannot be signed: it is already signed.") % {"number": proposal.number}
                if proposal.signature
                else _("Proposal %(number)s cannot be signed: it is %(status)s.")
                % {"number": proposal.number, "status": label(proposal.status)},
            )
            return Redirect("proposal", {"id": proposal.id})
        ctx = {
            "contact": contact,
            "proposal": proposal,
            "methods": self.portal.payments.methods(contact) if proposal.deposit > 0 else [],
            "chosen": set(req.fields("service")),
            "mode": req.field("mode", "draw"),
            "typed_name": req.field("typed_name"),
        }
        if req.method == "GET":
            return Page("sign.html", ctx)
        typed = req.field("typed_name") if req.field("mode") == "type" else None
        try:
            if req.field("consent_shown") and not req.field("consent"):  # forms before the box signed by signing
                raise ValidationError(_("Tick the box to agree to the terms before you sign."), field="consent")
            signed = self.portal.proposals.sign(
                contact,
                id,
                req.field("signature"),
                req.ip,
                req.fields("service"),
                user_agent=req.headers.get("User-Agent", ""),
                deposit_method_id=req.field("deposit_method") or None,
                typed_name=typed,
            )
        except ValidationError as exc:
            return Page("sign.html", {**ctx, "error": exc.public_message}, 400)
        deposit = self.portal.proposals.deposit(contact, signed)
        flash(
            req,
            _("Thank you. Proposal %(number)s is signed.") % {"number": proposal.number}
            + (
                " " + _("Your deposit of %(amount)s is being charged.") % {"amount": money.display(deposit.amount)}
                if deposit
                else ""
            ),
        )
        return Redirect("proposal", {"id": proposal.id})

    # -- issues ---------------------------------------------------------------------------
    def new_issue(self, req: PageRequest) -> Result:
        contact = self.contact(req)
        prop = self.portal.visibility.require_property(contact, req.arg("property") or req.field("property"))
        ctx = {"contact": contact, "prop": prop, "priorities": list(Priority)}
        if req.method == "GET":
            return Page("issue_new.html", ctx)
        try:
            issue = self.portal.issues.create(
                contact,
                prop.id,
                req.field("subject"),
                priority=choice(Priority, req.field("priority"), Priority.MEDIUM),
                notes=req.field("notes"),
                attachments=req.uploads("files"),
            )
        except ValidationError as exc:
            return Page(
                "issue_new.html",
                {**ctx, "error": exc.public_message, "subject": req.field("subject"), "notes": req.field("notes")},
                400,
            )
        flash(req, _("Issue #%(number)s created; we will be in touch.") % {"number": issue.number})
        return Redirect("issue", {"id": issue.id})

    def issue(self, req: PageRequest, id: str) -> Result:
        contact = self.contact(req)
        issue = self.portal.issues.get(contact, id)
        prop = self.portal.visibility.require_property(contact, issue.property_id)
        return Page(
            "issue.html",
            {
                "contact": contact,
                "issue": issue,
                "prop": prop,
                "comments": self.portal.issues.comments(contact, id),
                "files": self.portal.issues.attachments(contact, id),
            },
        )

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
            self.portal.webhooks.receive(req.headers, req.body)  # stored, verified, applied
        except InvalidWebhook:
            return Reply(b"invalid signature", 400)
        return Reply(b"ok")  # an error while applying is kept with its traceback and answered 500: sent again

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
            if action == "details":  # names, language and receipts: one form, one Save
                language = inputs.language(req.field("language") or contact.language)  # checked before any save
                updated = acc.update_profile(contact, req.field("first_name"), req.field("last_name"))
                if language != contact.language:
                    updated = acc.set_language(updated, language)
                    req.session[LANGUAGE] = updated.language
                    i18n.activate(updated.language)
                if bool(req.field("receipts")) != contact.receipts_opt_in:
                    acc.set_receipts(updated, bool(req.field("receipts")))
                flash(req, _("Your changes are saved."))
            elif action == "names":
                acc.update_profile(contact, req.field("first_name"), req.field("last_name"))
                flash(req, _("Your profile has been successfully updated."))
            elif action == "email":
                pending = acc.request_email_change(contact, req.field("email"), req.field("email_password"))
                flash(
                    req,
                    _(
                        "We sent a link to %(email)s. Your email changes when you open it; until then you sign in "
                        "with %(current)s."
                    )
                    % {"email": pending.pending_email or pending.email, "current": pending.email},
                )
            elif action == "receipts":
                on = bool(req.field("receipts"))
                acc.set_receipts(contact, on)
                flash(
                    req,
                    _("You will get an electronic receipt for every payment.")
                    if on
                    else _("You will no longer get electronic receipts."),
                )
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
        return {
            "contact": contact,
            "rules": self.portal.accounts.password_rules,
            "autopay_offered": offered,
            "languages": i18n.LANGUAGES,
            "methods": methods,
            "autopay": consent,
            "autopay_method": next((m for m in methods if consent and m.id == consent.method_id), None),
        }

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
