"""The pages of payment plans and tips (issue 27): the customer's plan page (its instalments,
dates, amounts and status, the authorisation to accept or revoke), setting up a plan where the
company allows it, and the staff's plans page (offer a plan, end one, the plan and tip settings).
The pay page's tip (suggested percents and an amount of one's own) is read and shown by the
helpers at the end (``posted_tip``, ``tip_page``). Every page only calls services: ``portal.plans``,
``portal.payments``, ``portal.invoices`` and ``portal.visibility`` (rules PLN-*, TIP-*)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import money
from .._core.permissions import require
from ..billing import _tips as tips
from ..billing._plans import CUSTOMER_START_DAYS, INTERVALS, digest, schedule, split
from ..config import MAX_PLAN_INSTALMENTS, PortalConfig, updated
from ..errors import InvalidTransition, NotFound, PaymentPending, PermissionDenied, ValidationError
from ..i18n import _
from ..models import Contact, Permission, PlanStatus, StaffUser
from .customer import flash
from .forms import choice
from .http import Page, PageRequest, Redirect, Result

if TYPE_CHECKING:
    from ..portal import Portal

INTERVAL_NAMES = {"weekly": "Every week", "biweekly": "Every two weeks", "monthly": "Every month"}


class PlanPages:
    """Mixed into ``PortalWeb`` beside ``CustomerPages``, ``StaffPages`` and ``JobPages``."""

    portal: Portal
    if TYPE_CHECKING:

        def contact(self, req: PageRequest) -> Contact: ...  # CustomerPages'
        def staff(self, req: PageRequest) -> StaffUser: ...  # StaffPages'

    # -- customers --------------------------------------------------------------------------------
    def plan(self, req: PageRequest, id: str) -> Result:
        """A payment plan: its instalments and status; an offered one is accepted with a method
        and the authorisation shown for it (or declined), a running one revoked."""
        contact = self.contact(req)
        plans = self.portal.plans
        view = plans.get(contact, id)
        if req.method == "POST":
            action = req.field("action")
            try:
                if action == "accept":
                    plans.accept(
                        contact,
                        id,
                        req.field("method"),
                        agreed=bool(req.field("agreed")),
                        shown=req.field("shown"),
                        ip_address=req.ip,
                        user_agent=req.headers.get("User-Agent", ""),
                    )
                    flash(req, _("Your payment plan is accepted. We mailed you a copy of your authorisation."))
                elif action == "revoke":
                    ended = plans.revoke(contact, id)
                    flash(
                        req,
                        _("You declined the payment plan.")
                        if ended.status is PlanStatus.CANCELED
                        else _("Your authorisation is revoked: no more payments of this plan will be charged."),
                    )
                else:
                    raise ValidationError(_("Unknown action."))
            except (ValidationError, InvalidTransition) as exc:
                return Page(
                    "plan.html",
                    self._plan_page(contact, plans.get(contact, id), req.field("method"), error=exc.public_message),
                    400,
                )
            return Redirect("plan", {"id": id})
        return Page("plan.html", self._plan_page(contact, view, req.arg("method")))

    def _plan_page(self, contact: Contact, view: Any, method_id: str, *, error: str = "") -> dict[str, Any]:
        payments = self.portal.payments
        methods = payments.methods(contact) if view.plan.status is PlanStatus.OFFERED else []
        if method_id not in {m.id for m in methods}:
            method_id = next((m.id for m in methods if m.is_default), methods[0].id if methods else "")
        consent = self.portal.plans.consent_for(contact, view.plan.id, method_id) if method_id else ""
        return {
            "contact": contact,
            "view": view,
            "plan": view.plan,
            "invoice": view.invoice,
            "methods": methods,
            "method": method_id,
            "consent": consent,
            "shown": digest(consent) if consent else "",
            "prop": self.portal.visibility.require_property(contact, view.invoice.property_id),
            "error": error,
            "today": self.portal.plans.today(),
            "active": "dashboard",
        }

    def plan_new(self, req: PageRequest, id: str) -> Result:
        """PLN-2: where the company allows it, the customer sets up a monthly plan for an open
        invoice: how many payments and the first date; then accepts it on the plan's page."""
        contact = self.contact(req)
        config = self.portal.config
        invoice = self.portal.invoices.get(contact, id)
        if not config.plans_customer_choice or not config.electronic_payment_enabled:
            raise PermissionDenied(_("Payment plans are arranged with our office; please call us."))
        today = self.portal.plans.today()
        counts = [
            n
            for n in range(2, config.plan_max_instalments + 1)
            if invoice.amount_due * 100 >= n and min(split(invoice.amount_due, n)) >= config.plan_min_instalment
        ]
        count = req.field("count") or req.arg("count") or (str(counts[-1]) if counts else "")
        first_due = req.field("first_due") or req.arg("first_due") or today.isoformat()
        ctx = {
            "contact": contact,
            "invoice": invoice,
            "counts": counts,
            "today": today,
            "latest": today + timedelta(days=CUSTOMER_START_DAYS),
            "active": "dashboard",
            "prop": self.portal.visibility.require_property(contact, invoice.property_id),
            "count": count,
            "first_due": first_due,
            "preview": _preview(invoice.amount_due, count, first_due, "monthly"),
        }
        if req.method == "GET":
            return Page("plan_new.html", ctx)
        try:
            plan = self.portal.plans.propose(contact, invoice.id, _int(req.field("count")), req.field("first_due"))
        except (ValidationError, InvalidTransition) as exc:
            return Page("plan_new.html", {**ctx, "error": exc.public_message}, 400)
        return Redirect("plan", {"id": plan.id})

    # -- staff ------------------------------------------------------------------------------------
    def staff_plans(self, req: PageRequest) -> Result:
        """``MANAGE_BILLING``: the plans (all, or in one status), offering one (previewed first),
        and — with ``MANAGE_SETTINGS`` — the plan and tip settings."""
        staff = self._billing(req)
        plans = self.portal.plans
        status = choice(PlanStatus, req.arg("status"), None)
        form = {name: req.field(name) for name in ("invoice", "count", "first_due", "interval", "contact")}
        form["interval"] = form["interval"] or "monthly"
        form["count"] = form["count"] or "3"
        form["first_due"] = form["first_due"] or plans.today().isoformat()
        if not form["invoice"] and req.arg("invoice"):
            form["invoice"] = req.arg("invoice")
        ctx: dict[str, Any] = {"form": form, "preview": None, "found": None, "error": ""}
        if req.method == "POST":
            try:
                invoice = plans.invoice_numbered(staff, form["invoice"])
                if req.field("action") == "offer":
                    plan = plans.offer(
                        staff,
                        invoice.id,
                        _int(form["count"]),
                        form["first_due"],
                        form["interval"],
                        contact_id=form["contact"] or None,
                    )
                    flash(req, f"Payment plan offered for invoice {invoice.number}; the customer was mailed.")
                    return Redirect("staff_plan", {"id": plan.id})
                ctx["found"] = invoice
                ctx["preview"] = _preview(
                    invoice.amount_due, form["count"], form["first_due"], form["interval"], strict=True
                )
                ctx["contacts"] = plans.payers(staff, invoice)
            except (ValidationError, InvalidTransition, NotFound) as exc:
                ctx["error"] = exc.public_message
        return Page(
            "staff_plans.html",
            {
                **ctx,
                "active": "staff_payments",
                "plans": plans.staff_list(staff, status, after=req.arg("after") or None),
                "statuses": list(PlanStatus),
                "status_filter": status,
                "paged": bool(req.arg("after")),
                "intervals": INTERVALS,
                "interval_names": INTERVAL_NAMES,
                "max_count": MAX_PLAN_INSTALMENTS,
                "can_settings": Permission.MANAGE_SETTINGS in staff.permissions,
                "today": plans.today(),
            },
            400 if ctx["error"] else 200,
        )

    def staff_plan(self, req: PageRequest, id: str) -> Result:
        """``MANAGE_BILLING``: one plan, its instalments and payments, the consent as given; end it."""
        staff = self._billing(req)
        if req.method == "POST":
            try:
                if req.field("action") != "cancel":
                    raise ValidationError("Unknown action.")
                self.portal.plans.cancel(staff, id)
                flash(req, "The payment plan is ended; nothing more of it will be charged.")
            except (ValidationError, InvalidTransition) as exc:
                flash(req, exc.public_message)
            return Redirect("staff_plan", {"id": id})
        shown = self.portal.plans.staff_plan_page(staff, id)
        return Page(
            "staff_plan.html",
            {
                "active": "staff_payments",
                "view": shown.view,
                "plan": shown.view.plan,
                "invoice": shown.view.invoice,
                "who": shown.contact,
                "prop": shown.property,
                "today": self.portal.plans.today(),
            },
        )

    def staff_plan_settings(self, req: PageRequest) -> Result:
        """``MANAGE_SETTINGS``: tips on or off and their suggested percents; customers setting up
        their own plans, how many payments at most, the smallest payment."""
        staff = require(self.staff(req), Permission.MANAGE_SETTINGS, self.portal.settings.company_id)
        percents = [p.strip().rstrip("%") for p in req.field("tip_percents").replace(";", ",").split(",") if p.strip()]
        try:
            changed = updated(
                self.portal.config,
                tips_enabled=bool(req.field("tips_enabled")),
                tip_percents=percents,
                tip_max_percent=req.field("tip_max_percent") or "50",
                plans_customer_choice=bool(req.field("plans_customer_choice")),
                plan_max_instalments=_int(req.field("plan_max_instalments") or "6"),
                plan_min_instalment=req.field("plan_min_instalment") or "25.00",
            )
            self.portal.settings.replace(staff, changed)
        except ValidationError as exc:
            flash(req, f"Not saved: {exc.public_message}")
        else:
            flash(req, "Plan and tip settings saved.")
        return Redirect("staff_plans")

    def _billing(self, req: PageRequest) -> StaffUser:
        return require(self.staff(req), Permission.MANAGE_BILLING, self.portal.settings.company_id)


# -- the pay page's tip ----------------------------------------------------------------------------
def posted_tip(req: PageRequest, config: PortalConfig, amounts: Iterable[object]) -> Decimal:
    """TIP-2: the tip the pay form asks for on the invoices' ``amounts`` (checked; none while
    the company takes no tips, whatever was posted)."""
    if not config.tips_enabled:
        return tips.ZERO
    base = sum((money.parse(a) for a in amounts), Decimal("0.00"))
    return tips.from_choice(req.field("tip_choice"), req.field("tip_custom"), base, config)


def tip_unseen(req: PageRequest, tip: Decimal) -> bool:
    """Whether the total the customer saw left out this tip (a page without its script shows
    the tip once chosen, before anything is charged)."""
    try:
        return money.parse(req.field("tip_shown") or "0") != tip
    except ValidationError:
        return True


def tip_page(config: PortalConfig, subtotal: Decimal, choice: str = "", custom: str = "") -> dict[str, Any]:
    """What the pay page shows of tips: the suggestions on ``subtotal``, the choice, the tip
    (0 while the choice does not check) and its error."""
    if not config.tips_enabled:
        return {"tips_on": False, "tip": tips.ZERO}
    tip, error = tips.ZERO, ""
    try:
        tip = tips.from_choice(choice or tips.NONE, custom, subtotal, config)
    except ValidationError as exc:
        error = exc.public_message
    return {
        "tips_on": True,
        "tip": tip,
        "tip_error": error,
        "tip_choice": choice or tips.NONE,
        "tip_custom": custom,
        "tip_suggestions": tips.suggestions(subtotal, config),
        "tip_cap_percent": tips.percent_text(config.tip_max_percent),
    }


# -- form values -----------------------------------------------------------------------------------
def _int(value: str) -> object:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 4 else value


def _preview(
    amount: Decimal, count: object, first: str, interval: str, *, strict: bool = False
) -> list[tuple[int, date, Decimal]] | None:
    """The schedule a plan form would make: (number, date, amount) rows; ``None`` while the
    form does not make one (``strict``: its refusal is raised)."""
    try:
        n = _int(str(count))
        if not isinstance(n, int) or not 2 <= n <= MAX_PLAN_INSTALMENTS:
            raise ValidationError(f"Choose from 2 to {MAX_PLAN_INSTALMENTS} payments.", field="count")
        day = date.fromisoformat(first.strip())
        return [(k + 1, d, a) for k, (d, a) in enumerate(zip(schedule(day, n, interval), split(amount, n)))]
    except (ValidationError, ValueError, PaymentPending) as exc:
        if strict:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError(_("Enter the first date as YYYY-MM-DD.")) from None
        return None
