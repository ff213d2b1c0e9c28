"""Payment plans (issue 27, PLN-*): an open invoice's amount due split into instalments.

Staff offer a plan (``offer``; ``MANAGE_BILLING``), or — where the company allows it
(``PortalConfig.plans_customer_choice``, off by default) — the customer sets one up (``propose``).
Either way the contact accepts it on the plan's page with a recorded consent (``PlanConsent``:
the words shown, saying what is charged, when and from which method — a bank account's in the
words of a debit authorisation —, the contact, the time, the address and browser). The consent
is revocable at any time (``revoke``); revoking stops every charge not yet made.

The split rule (``split``): each instalment is the amount divided by their number, rounded down
to the cent, and the cents left over go on the first; the instalments add up to the amount
exactly and none is zero. Dates (``schedule``): the first date, then every week, two weeks or
month (a month's day is kept, or the month's last day when it has fewer).

The worker (``run``; ``portalkit.worker.maintain`` calls it) charges each instalment on its date
in the company's time zone, retrying a failed charge on the days of ``autopay_retry_days`` after
it, as autopay does. Money moves only in a transaction that reads again, and writes, what it
relies on — the consent still standing, the plan active, the instalment still due and not
attempted by another worker —, and reads the invoice fresh (still open, nothing pending, at least
the instalment's amount due): ``Payments.charge_on_consent``. Workers running at once charge an
instalment once (the instalment's compare-and-swap write and the attempt's idempotency key).
When the last attempt fails the instalment is missed: the plan stops (``missed``), the contact
and the property's account owner are told.

    offered ──accept──▶ active ──every instalment paid──▶ completed ──a debit returned──▶ missed
       │                  ├──customer revokes (or removes the method)──▶ revoked
       │                  ├──an instalment missed──▶ missed
       └──▶ canceled ◀────┴──staff end it, the customer declines, or the invoice changed
"""

from __future__ import annotations

import calendar
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from babel.lists import format_list

from .. import i18n, inputs, money
from .._core.local_time import local_date
from .._core.paging import DEFAULT_LIMIT, Page, fetch
from .._core.permissions import require
from .._core.retry import retry_on_conflict
from .._core.uow import UnitOfWork
from .._core.visibility import Section, Visibility, active, invoice_visible, section_visible
from ..config import MAX_PLAN_INSTALMENTS, PortalConfig
from ..directory._directory import lookup
from ..errors import InvalidTransition, NotFound, PaymentPending, PermissionDenied, ValidationError
from ..events import PaymentPlanChanged, external_ids
from ..i18n import _
from ..labels import label, method_name
from ..models import (
    Contact,
    Instalment,
    InstalmentStatus,
    Invoice,
    MethodKind,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    Permission,
    PlanConsent,
    PlanStatus,
    Property,
    StaffUser,
)
from ..notify import Notifier
from ..notify._outbox import Outbox
from ..ports import Clock, In, Storage
from ..settings import Settings
from ._autopay import payer_of
from ._payments import Payments, fee_applies

log = logging.getLogger("portalkit.plans")  # its name before the move (issue 22): hosts filter and alert on it
P, I = PlanStatus, InstalmentStatus  # noqa: E741 - the tables below read as P.ACTIVE, I.DUE
INTERVALS = ("weekly", "biweekly", "monthly")
CUSTOMER_START_DAYS = 30  # a customer's own plan starts within this many days
OPEN_PLANS = frozenset({P.OFFERED, P.ACTIVE})
PLAN_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    P.OFFERED: frozenset({P.ACTIVE, P.CANCELED}),
    P.ACTIVE: frozenset({P.COMPLETED, P.REVOKED, P.MISSED, P.CANCELED}),
    P.COMPLETED: frozenset({P.MISSED}),  # a bank debit of it came back
    P.REVOKED: frozenset(),
    P.MISSED: frozenset(),
    P.CANCELED: frozenset(),
}
INSTALMENT_TRANSITIONS: dict[InstalmentStatus, frozenset[InstalmentStatus]] = {
    I.SCHEDULED: frozenset({I.CHARGING, I.MISSED, I.CANCELED}),
    I.CHARGING: frozenset({I.PAID, I.SCHEDULED, I.MISSED, I.CANCELED}),
    I.PAID: frozenset({I.MISSED}),  # its bank debit came back
    I.MISSED: frozenset(),
    I.CANCELED: frozenset(),
}


class PlanChanged(InvalidTransition):
    """What a charge relied on changed before it was written: the consent was revoked, the plan
    ended, or another worker took the instalment. Nothing was charged."""

    public_message = i18n.N_("The payment plan changed; nothing was charged.")


# -- the split rule and the dates (pure) ------------------------------------------------------------
def split(total: Decimal, count: int) -> list[Decimal]:
    """PLN-1: ``total`` in ``count`` instalments to the cent: each is ``total / count`` rounded
    down to the cent, and the cents left over go on the first. They add up to ``total`` exactly;
    none is zero (``count`` may not exceed the number of cents)."""
    cents = int(money.parse(total, field="amount") * 100)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PLAN_INSTALMENTS:
        raise ValidationError(
            _("A plan has at most %(count)d instalments.") % {"count": MAX_PLAN_INSTALMENTS}, field="count"
        )
    if cents < count:
        raise ValidationError(
            _("%(amount)s cannot be split into %(count)d instalments.")
            % {"amount": money.display(Decimal(cents) / 100), "count": count},
            field="count",
        )
    base, rest = divmod(cents, count)
    return [(Decimal(base + (rest if n == 0 else 0)) / 100).quantize(money.CENT) for n in range(count)]


def schedule(first: date, count: int, interval: str) -> list[date]:
    """PLN-1: ``count`` dates from ``first``, a week, two weeks or a month apart; a monthly date
    keeps ``first``'s day, or is the month's last day when the month is shorter. Strictly
    increasing."""
    if interval not in INTERVALS:
        raise ValidationError(_("Choose weekly, every two weeks or monthly."), field="interval")
    if interval != "monthly":
        step = 7 if interval == "weekly" else 14
        return [first + timedelta(days=step * n) for n in range(count)]
    days = []
    for n in range(count):
        year, month = divmod(first.month - 1 + n, 12)
        year, month = first.year + year, month + 1
        days.append(date(year, month, min(first.day, calendar.monthrange(year, month)[1])))
    return days


def plan_step(plan: PaymentPlan, to: PlanStatus, **changes: Any) -> PaymentPlan:
    """The one place a plan changes state; a move the table refuses raises ``InvalidTransition``."""
    if to not in PLAN_TRANSITIONS[plan.status]:
        raise InvalidTransition(
            _("This payment plan is %(status)s; that is not possible now.") % {"status": plan_label(plan.status)}
        )
    return attrs.evolve(plan, status=to, **changes)


def instalment_step(instalment: Instalment, to: InstalmentStatus, **changes: Any) -> Instalment:
    if to not in INSTALMENT_TRANSITIONS[instalment.status]:
        raise InvalidTransition(f"an instalment that is {instalment.status.value} cannot become {to.value}")
    return attrs.evolve(instalment, status=to, **changes)


def plan_label(status: PlanStatus) -> str:
    return label(status)


# -- what the consent says --------------------------------------------------------------------------
def consent_text(
    config: PortalConfig, invoice: Invoice, instalments: Sequence[Instalment], method: PaymentMethod
) -> str:
    """PLN-3: the authorisation a contact accepts, in the active language: what is charged (each
    instalment's amount), when (its date), from which method, any card fee, the retries, and
    that it is revocable at any time, revoking stopping every charge not yet made. A bank
    account's reads as a debit authorisation (Nacha: the account, the amounts and dates, how to
    revoke). Recorded word for word with the consent."""
    fee_on = fee_applies(method, config) and config.convenience_fee_percent > 0
    total = sum((i.amount for i in instalments), Decimal("0.00"))
    dates = "; ".join(
        _("%(amount)s on %(day)s") % {"amount": money.display(i.amount), "day": i18n.day(i.due_on)} for i in instalments
    )
    facts = {
        "company": config.company_name,
        "method": method_name(method),
        "count": len(instalments),
        "number": invoice.number,
        "total": money.display(total),
        "dates": dates,
    }
    retries = [str(d) for d in config.autopay_retry_days[1:]]
    if method.kind is MethodKind.ACH:
        parts = [
            _(
                "I authorise %(company)s to debit my bank account, %(method)s, electronically for the %(count)d "
                "payments of this payment plan on invoice %(number)s, %(total)s in all: %(dates)s."
            )
            % facts,
            _("Each debit is made on its date.")
            if not retries
            else _(
                "Each debit is made on its date; one that does not go through may be made again %(days)s days later."
            )
            % {"days": format_list(retries, locale=i18n.locale())},
            _(
                "This authorisation stays in effect until the last payment is made or I revoke it. I can revoke "
                "it at any time on this plan's page in the portal or by telling %(company)s; revoking stops "
                "every debit not yet made."
            )
            % facts,
        ]
    else:
        parts = [
            _(
                "I authorise %(company)s to charge my %(method)s for the %(count)d payments of this payment plan "
                "on invoice %(number)s, %(total)s in all: %(dates)s."
            )
            % facts,
            _("Each charge is made on its date.")
            if not retries
            else _("Each charge is made on its date; one that does not go through is tried again %(days)s days later.")
            % {"days": format_list(retries, locale=i18n.locale())},
        ]
        if fee_on:
            fees = sum(
                (money.percent_of(i.amount, config.convenience_fee_percent) for i in instalments), Decimal("0.00")
            )
            parts.append(
                _(
                    "A convenience fee of %(percent)s percent is added to each payment because this is a "
                    "credit card: %(fees)s in all."
                )
                % {"percent": config.convenience_fee_percent, "fees": money.display(fees)}
            )
        parts.append(
            _(
                "I can revoke this authorisation at any time on this plan's page in the portal; revoking "
                "stops every charge not yet made."
            )
        )
    return " ".join(parts)


def digest(text: str) -> str:
    """What the accept form carries of the consent it showed: accepting checks it is still that."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# -- what a page shows of a plan --------------------------------------------------------------------
@attrs.frozen
class PlanView:
    """A plan with its instalments (in order), the consent given (if any), its invoice and the
    payments of its instalments (the latest attempt of each, by instalment id)."""

    plan: PaymentPlan
    instalments: tuple[Instalment, ...]
    invoice: Invoice
    consent: PlanConsent | None = None
    payments: dict[str, Payment] = attrs.field(factory=dict)

    @property
    def paid(self) -> Decimal:
        return sum((i.amount for i in self.instalments if i.status is I.PAID), Decimal("0.00"))

    @property
    def left(self) -> Decimal:
        """What the plan still has to collect: its unpaid instalments (not those it will never charge)."""
        return sum((i.amount for i in self.instalments if i.status in (I.SCHEDULED, I.CHARGING)), Decimal("0.00"))

    @property
    def next(self) -> Instalment | None:
        """The next instalment to be charged while the plan runs or is offered (not one being
        charged now: ``charging``)."""
        if self.plan.status not in OPEN_PLANS:
            return None
        return next((i for i in self.instalments if i.status is I.SCHEDULED), None)

    @property
    def charging(self) -> Instalment | None:
        """The instalment whose payment is with the processor, if any."""
        return next((i for i in self.instalments if i.status is I.CHARGING), None)

    @property
    def open(self) -> bool:
        return self.plan.status in OPEN_PLANS


@attrs.frozen
class PlanSummary:
    """A plan on a statement: its invoice, status, next instalment and what is left."""

    plan_id: str
    invoice_number: str
    status: PlanStatus
    count: int
    paid_count: int
    amount: Decimal
    left: Decimal
    next_due_on: date | None
    next_amount: Decimal | None

    @classmethod
    def of(cls, view: PlanView) -> PlanSummary:
        upcoming = view.next
        return cls(
            view.plan.id,
            view.invoice.number,
            view.plan.status,
            view.plan.count,
            sum(1 for i in view.instalments if i.status is I.PAID),
            view.plan.amount,
            view.left,
            upcoming.due_on if upcoming else None,
            upcoming.amount if upcoming else None,
        )


@attrs.frozen
class StaffPlan:
    """A plan as the staff's list shows it: its view (``None`` once its invoice is gone) and the
    contact it is for (``None`` once gone)."""

    plan: PaymentPlan
    view: PlanView | None
    contact: Contact | None


@attrs.frozen
class StaffPlanView:
    """One plan's staff page: its view, the contact it is for and its invoice's property (each
    ``None`` once gone)."""

    view: PlanView
    contact: Contact | None
    property: Property | None


class PaymentPlans:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        visibility: Visibility,
        payments: Payments,
        notifier: Notifier,
        outbox: Outbox,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._visibility, self._payments, self._notifier, self._outbox = visibility, payments, notifier, outbox

    def today(self) -> date:
        """Today in the company's time zone: the day instalments are charged by."""
        return local_date(self._clock.now(), self._settings.current.time_zone)

    # -- offering ---------------------------------------------------------------------------------
    def offer(
        self,
        staff: StaffUser,
        invoice_id: str,
        count: object,
        first_due: object,
        interval: str = "monthly",
        contact_id: str | None = None,
    ) -> PaymentPlan:
        """``MANAGE_BILLING``: offer the invoice's amount due in ``count`` instalments from
        ``first_due`` (today or later, in the company's time zone), ``interval`` apart, to
        ``contact_id`` (by default whoever pays the invoice: its billing contact, else the
        property's billing or primary contact). The contact is mailed (``plan_offered``)."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        count = inputs.integer(count, "count", minimum=2, maximum=MAX_PLAN_INSTALMENTS)
        first = self._first_day(first_due)
        interval = inputs.text(interval, "interval", max_length=20)
        dates = schedule(first, count, interval)

        def once() -> PaymentPlan:
            with self._uow():
                invoice, prop = self._offerable(invoice_id)
                who = contact_id or payer_of(invoice, prop)
                contact = self._storage.get(Contact, who) if who and inputs.is_identifier(who) else None
                if contact is None or not invoice_visible(contact, invoice, prop, self._settings.current):
                    raise ValidationError(_("Choose a contact who sees this invoice in the portal."), field="contact")
                return self._create(invoice, prop, contact, count, interval, dates, offered_by=staff.email)

        return retry_on_conflict(once)

    def propose(self, contact: Contact, invoice_id: str, count: object, first_due: object) -> PaymentPlan:
        """PLN-2: where the company allows it (``plans_customer_choice``), the contact sets up a
        monthly plan for an invoice they see: at most ``plan_max_instalments`` instalments of at
        least ``plan_min_instalment``, the first within 30 days. It is offered to them, to accept
        on its page like one from staff; an earlier one they set up and did not accept is
        replaced."""
        config = self._settings.current
        if not config.plans_customer_choice or not config.electronic_payment_enabled:
            raise PermissionDenied(_("Payment plans are arranged with our office; please call us."))
        self._visibility.require_section(contact, Section.INVOICES)
        count = inputs.integer(count, "count", minimum=2, maximum=config.plan_max_instalments)
        first = self._first_day(first_due)
        if first > self.today() + timedelta(days=CUSTOMER_START_DAYS):
            raise ValidationError(
                _("Choose a first payment within %(days)d days.") % {"days": CUSTOMER_START_DAYS}, field="first_due"
            )
        dates = schedule(first, count, "monthly")

        def once() -> PaymentPlan:
            with self._uow():
                invoice, prop = self._visibility.require_invoice(contact, invoice_id)
                for earlier in self._storage.find(PaymentPlan, invoice_id=invoice.id, status=P.OFFERED):
                    if earlier.offered_by == "customer" and earlier.contact_id == contact.id:
                        self._end(earlier, P.CANCELED, "replaced by a new plan")
                invoice, prop = self._offerable(invoice.id)
                if min(split(invoice.amount_due, count)) < config.plan_min_instalment:
                    raise ValidationError(
                        _("Each payment is at least %(minimum)s: choose fewer payments.")
                        % {"minimum": money.display(config.plan_min_instalment)},
                        field="count",
                    )
                return self._create(invoice, prop, contact, count, "monthly", dates, offered_by="customer")

        return retry_on_conflict(once)

    def _first_day(self, value: object) -> date:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                raise ValidationError(_("Enter the first date as YYYY-MM-DD."), field="first_due") from None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValidationError(_("Enter the first date as YYYY-MM-DD."), field="first_due")
        if value < self.today():
            raise ValidationError(_("The first payment cannot be in the past."), field="first_due")
        return value

    def _offerable(self, invoice_id: str) -> tuple[Invoice, Property]:
        """Inside a unit of work: the invoice, fresh: open, nothing pending, no plan running or offered."""
        invoice = self._storage.get(Invoice, invoice_id) if inputs.is_identifier(invoice_id) else None
        if invoice is None or invoice.archived:
            raise NotFound(_("No such invoice."))
        if not invoice.is_open:
            raise InvalidTransition(_("This invoice is paid."))
        if invoice.payment_pending:
            raise PaymentPending()
        if self._storage.find(PaymentPlan, invoice_id=invoice.id, status=In(list(OPEN_PLANS))):
            raise InvalidTransition(_("This invoice already has a payment plan."))
        return invoice, lookup(self._storage, Property, invoice.property_id)

    def _create(
        self,
        invoice: Invoice,
        prop: Property,
        contact: Contact,
        count: int,
        interval: str,
        dates: list[date],
        *,
        offered_by: str,
    ) -> PaymentPlan:
        amounts = split(invoice.amount_due, count)
        plan = self._storage.insert(
            PaymentPlan(
                invoice_id=invoice.id,
                contact_id=contact.id,
                amount=invoice.amount_due,
                count=count,
                interval=interval,
                offered_by=offered_by,
                created_at=self._clock.now(),
            )
        )
        instalments = [
            self._storage.insert(Instalment(plan_id=plan.id, number=n + 1, due_on=day, amount=amount))
            for n, (day, amount) in enumerate(zip(dates, amounts))
        ]
        view = PlanView(plan, tuple(instalments), invoice)
        self._announce(view)
        if offered_by != "customer":
            self._notifier.tell(
                "plan_offered",
                key=plan.id,
                contact=contact,
                plan=plan,
                invoice=invoice,
                instalments=instalments,
                property=prop,
                link=self._link(plan),
            )
        return plan

    # -- the customer ---------------------------------------------------------------------------
    def for_contact(self, contact: Contact, *, include_ended: bool = False) -> list[PlanView]:
        """The contact's plans (offered and running; ``include_ended`` the others too) on invoices
        they still see, newest first."""
        config = self._settings.current
        if not section_visible(contact, Section.INVOICES, config):
            return []
        statuses = list(PlanStatus) if include_ended else list(OPEN_PLANS)
        plans = self._storage.find(PaymentPlan, contact_id=contact.id, status=In(statuses))
        if not plans:
            return []
        invoices = self._storage.get_many(Invoice, {p.invoice_id for p in plans})
        props = self._storage.get_many(Property, {i.property_id for i in invoices.values()})
        shown = [
            p
            for p in plans
            if p.invoice_id in invoices
            and invoices[p.invoice_id].property_id in props
            and invoice_visible(contact, invoices[p.invoice_id], props[invoices[p.invoice_id].property_id], config)
        ]
        return [self._view(p, invoices[p.invoice_id]) for p in sorted(shown, key=lambda p: p.created_at, reverse=True)]

    def get(self, contact: Contact, plan_id: str) -> PlanView:
        """One of the contact's plans, on an invoice they still see; ``NotFound`` otherwise."""
        plan = self._storage.get(PaymentPlan, plan_id) if inputs.is_identifier(plan_id) else None
        if plan is None or plan.contact_id != contact.id:
            raise NotFound(_("No such payment plan."))
        invoice, _prop = self._visibility.require_invoice(contact, plan.invoice_id)
        return self._view(plan, invoice)

    def consent_for(self, contact: Contact, plan_id: str, method_id: str) -> str:
        """The authorisation the contact would accept for ``plan_id`` with ``method_id``, in the
        active language, as the plan's page shows it."""
        view = self.get(contact, plan_id)
        method = self._payments.require_method(contact, method_id)
        return consent_text(self._settings.current, view.invoice, view.instalments, method)

    def accept(
        self,
        contact: Contact,
        plan_id: str,
        method_id: str,
        *,
        agreed: bool,
        shown: str,
        ip_address: str = "",
        user_agent: str = "",
    ) -> PaymentPlan:
        """PLN-3: the contact accepts an offered plan, paid by ``method_id`` (theirs, saved, not
        expired), ticking the authorisation (``agreed``) whose text the page showed (``shown`` is
        its ``digest``: text changed since — the plan, the method, the fee — is refused, to be
        read again). The consent is recorded word for word with the method, the time, the
        address and the browser; the plan runs; the contact is mailed a copy (``plan_accepted``).
        Refused when the invoice changed since the offer, or its first date has passed."""
        if inputs.flag(agreed, "agreed") is not True:
            raise ValidationError(_("Tick the authorisation to accept the payment plan."), field="agreed")
        ip_address = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        user_agent = inputs.text(user_agent, "user_agent", max_length=500, required=False)
        method = self._payments.require_method(contact, method_id)
        config = self._settings.current

        def once() -> PaymentPlan:
            with self._uow():
                view = self.get(contact, plan_id)
                plan, invoice = view.plan, view.invoice
                if plan.status is not P.OFFERED:
                    raise InvalidTransition(
                        _("This payment plan is %(status)s; it cannot be accepted.")
                        % {"status": plan_label(plan.status)}
                    )
                if invoice.payment_pending:
                    raise PaymentPending()
                if invoice.amount_due != plan.amount:
                    raise InvalidTransition(_("The invoice changed since this plan was offered; ask us for a new one."))
                if view.instalments[0].due_on < self.today():
                    raise InvalidTransition(
                        _("This offer has expired: its first payment was due on %(day)s. Ask us for a new one.")
                        % {"day": i18n.day(view.instalments[0].due_on)}
                    )
                text = consent_text(config, invoice, view.instalments, method)
                if not isinstance(shown, str) or digest(text) != shown:
                    raise ValidationError(
                        _("The terms changed since the page was shown; read them again, then accept."), field="consent"
                    )
                now = self._clock.now()
                consent = self._storage.insert(
                    PlanConsent(
                        plan_id=plan.id,
                        contact_id=contact.id,
                        method_id=method.id,
                        method_label=method_name(method),
                        consent_text=text,
                        accepted_at=now,
                        ip_address=ip_address,
                        user_agent=user_agent,
                    )
                )
                plan = self._storage.update(plan_step(plan, P.ACTIVE, accepted_at=now))
                accepted = attrs.evolve(view, plan=plan, consent=consent)
                self._announce(accepted)
                prop = lookup(self._storage, Property, invoice.property_id)
                self._notifier.tell(
                    "plan_accepted",
                    key=plan.id,
                    contact=contact,
                    plan=plan,
                    invoice=invoice,
                    instalments=list(view.instalments),
                    consent=consent,
                    property=prop,
                    link=self._link(plan),
                )
                return plan

        return retry_on_conflict(once)

    def revoke(self, contact: Contact, plan_id: str) -> PaymentPlan:
        """PLN-4: the contact revokes the plan's authorisation (or declines an offered plan):
        every instalment not yet charged is canceled and none is charged after this commits (a
        charge being written at this moment finishes first: it holds the consent). The consent
        is kept, with when it ended; the property's account owner is told (``plan_revoked``)."""

        def once() -> PaymentPlan:
            with self._uow():
                view = self.get(contact, plan_id)
                if view.plan.status is P.OFFERED:
                    return self._end(view.plan, P.CANCELED, "declined by the customer")
                ended = self._end(view.plan, P.REVOKED, "revoked by the customer")
                self._notifier.tell(
                    "plan_revoked",
                    key=view.plan.id,
                    contact=contact,
                    plan=ended,
                    invoice=view.invoice,
                    property=lookup(self._storage, Property, view.invoice.property_id),
                )
                return ended

        return retry_on_conflict(once)

    # -- staff ----------------------------------------------------------------------------------
    def staff_plans(
        self,
        staff: StaffUser,
        status: PlanStatus | None = None,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[PaymentPlan]:
        """``MANAGE_BILLING``: the plans, newest first, all or in one status; one page."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        where: dict[str, Any] = {} if status is None else {"status": status}
        return fetch(
            self._storage, PaymentPlan, order=("created_at",), descending=True, after=after, limit=limit, **where
        )

    def staff_plan(self, staff: StaffUser, plan_id: str) -> PlanView:
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        plan = lookup(self._storage, PaymentPlan, plan_id)
        return self._view(plan, lookup(self._storage, Invoice, plan.invoice_id))

    def staff_list(
        self,
        staff: StaffUser,
        status: PlanStatus | None = None,
        *,
        after: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> Page[StaffPlan]:
        """``MANAGE_BILLING``: the staff's plans page (PLN-2, PLN-7): ``staff_plans``, each with its
        view and the contact it is for; one page."""
        page = self.staff_plans(staff, status, after=after, limit=limit)
        views = {v.plan.id: v for v in self.views(page)}
        contacts = self._storage.get_many(Contact, {p.contact_id for p in page})
        return Page(tuple(StaffPlan(p, views.get(p.id), contacts.get(p.contact_id)) for p in page), page.next_after)

    def staff_plan_page(self, staff: StaffUser, plan_id: str) -> StaffPlanView:
        """``MANAGE_BILLING``: one plan's page (PLN-3, PLN-4): ``staff_plan`` with the contact it is
        for and its invoice's property."""
        view = self.staff_plan(staff, plan_id)
        return StaffPlanView(
            view,
            self._storage.get(Contact, view.plan.contact_id),
            self._storage.get(Property, view.invoice.property_id),
        )

    def invoice_numbered(self, staff: StaffUser, number: str) -> Invoice:
        """``MANAGE_BILLING``: the invoice (not archived) staff offer a plan on, by its number
        (PLN-2); ``NotFound`` when there is none."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        number = number.strip() if isinstance(number, str) else ""
        found = self._storage.page(Invoice, order=("number",), limit=1, number=number, archived=False) if number else []
        if not found:
            raise NotFound(f"No open invoice numbered {number!r}." if number else "Enter an invoice number.")
        return found[0]

    def payers(self, staff: StaffUser, invoice: Invoice) -> list[Contact]:
        """``MANAGE_BILLING``: who may be offered a plan on ``invoice`` (PLN-2, VIS-2): its billing
        contact and its property's billing and primary contacts, in that order, once each."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        prop = self._storage.get(Property, invoice.property_id)
        ids = [
            i
            for i in (
                invoice.billing_contact_id,
                prop.billing_contact_id if prop else None,
                prop.primary_contact_id if prop else None,
            )
            if i
        ]
        found = self._storage.get_many(Contact, ids)
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def views(self, plans: Iterable[PaymentPlan]) -> list[PlanView]:
        """Plans a staff page already holds, with their instalments, consents and invoices."""
        plans = list(plans)
        invoices = self._storage.get_many(Invoice, {p.invoice_id for p in plans})
        return [self._view(p, invoices[p.invoice_id]) for p in plans if p.invoice_id in invoices]

    def cancel(self, staff: StaffUser, plan_id: str) -> PaymentPlan:
        """``MANAGE_BILLING``: withdraw an offered plan or end a running one; no instalment is
        charged after this commits (one being charged now finishes)."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)

        def once() -> PaymentPlan:
            with self._uow():
                plan = lookup(self._storage, PaymentPlan, plan_id)
                return self._end(plan, P.CANCELED, f"canceled by {staff.name}")

        return retry_on_conflict(once)

    # -- the worker -----------------------------------------------------------------------------
    def run(self, today: date | None = None) -> int:
        """Charge every instalment due (by ``today``, in the company's time zone) of every
        running plan, one at a time per plan, in order; retry failed ones on the days of
        ``autopay_retry_days``. Safe in several workers at once. Returns the charges started."""
        config = self._settings.current
        if not config.electronic_payment_enabled:
            return 0
        today = today or self.today()
        started = 0
        for plan in self._storage.find(PaymentPlan, status=P.ACTIVE):
            try:
                started += self._run_plan(plan, today)
            except Exception:  # one plan's trouble never stops the others'; it is tried again next run
                log.exception("charging payment plan %s failed", plan.id)
        return started

    def _run_plan(self, plan: PaymentPlan, today: date) -> int:
        instalments = sorted(self._storage.find(Instalment, plan_id=plan.id), key=lambda i: i.number)
        if any(i.status is I.CHARGING for i in instalments):
            return 0  # one charge at a time: the next waits for this one's outcome
        due = next((i for i in instalments if i.status is I.SCHEDULED), None)
        days = self._settings.current.autopay_retry_days
        if due is None:
            return 0
        if due.attempts >= len(days):  # fewer retry days than when it was last tried: it was the last
            retry_on_conflict(lambda: self._stop(plan.id, P.MISSED, "no attempt is left", missed=due.id))
            return 0
        if (today - due.due_on).days < days[due.attempts]:
            return 0
        consents = self._storage.find(PlanConsent, plan_id=plan.id, revoked_at=None)
        contact = self._storage.get(Contact, plan.contact_id)
        if not consents or contact is None:
            return 0
        if contact.archived:
            retry_on_conflict(lambda: self._stop(plan.id, P.CANCELED, "the contact was removed"))
            return 0
        if not active(contact):
            return 0  # suspended or not signed up: it waits (staff may end the plan)
        consent = consents[0]
        method = self._storage.get(PaymentMethod, consent.method_id)
        if method is None or method.removed:  # removing the method revokes what it authorised
            retry_on_conflict(lambda: self._stop(plan.id, P.REVOKED, "the payment method was removed"))
            return 0
        if method.expired(today):
            with i18n.override(contact.language):
                reason = _("The card has expired.")
            retry_on_conflict(lambda: self._stop(plan.id, P.MISSED, reason, missed=due.id))
            return 0
        attempt = due.attempts + 1
        try:
            self._payments.charge_on_consent(
                contact,
                plan.invoice_id,
                method.id,
                due.amount,
                f"plan:{due.id}:{attempt}",
                instalment_id=due.id,
                check=self._still_due(plan.id, due.id, consent.id, attempt - 1),
            )
        except (PlanChanged, PaymentPending):
            return 0  # revoked, taken by another worker, or a payment in flight: nothing now
        except (ValidationError, InvalidTransition, NotFound, PermissionDenied):
            retry_on_conflict(lambda: self._invoice_changed(plan.id, due.amount))
            return 0
        return 1

    def _still_due(self, plan_id: str, instalment_id: str, consent_id: str, attempts: int) -> Callable[[], None]:
        """The charge's check, run inside its transaction: the consent stands, the plan runs, the
        instalment is still scheduled with ``attempts`` made. It writes the consent and moves the
        instalment to charging (compare-and-swap both): a revocation, a staff cancel or another
        worker racing it conflicts, and one of them wins."""

        def check() -> None:
            consent = self._storage.get(PlanConsent, consent_id)
            plan = self._storage.get(PaymentPlan, plan_id)
            instalment = self._storage.get(Instalment, instalment_id)
            if (
                consent is None
                or consent.revoked_at is not None
                or plan is None
                or plan.status is not P.ACTIVE
                or instalment is None
                or instalment.status is not I.SCHEDULED
                or instalment.attempts != attempts
            ):
                raise PlanChanged()
            self._storage.update(consent)
            self._storage.update(instalment_step(instalment, I.CHARGING, attempts=attempts + 1))

        return check

    def _invoice_changed(self, plan_id: str, amount: Decimal) -> None:
        """The charge was refused. When the invoice no longer has the instalment's ``amount`` due
        (paid, lowered, archived), a paid invoice completes the plan and anything else ends it
        (staff see why; the host hears). Any other refusal (payments turned off, the contact's
        access) leaves the plan to the next run."""
        with self._uow():
            plan = lookup(self._storage, PaymentPlan, plan_id)
            if plan.status is not P.ACTIVE:
                return
            invoice = lookup(self._storage, Invoice, plan.invoice_id)
            if invoice.payment_pending:
                return  # a payment in flight: the next run decides
            if not invoice.is_open:
                self._end(plan, P.COMPLETED, "the invoice was paid")
            elif invoice.archived or invoice.amount_due < amount:
                self._end(plan, P.CANCELED, "the invoice changed: less is due than the next instalment")
            else:
                log.warning("instalment of plan %s was refused; it is tried again on the next run", plan.id)

    def _stop(self, plan_id: str, to: PlanStatus, reason: str, missed: str | None = None) -> None:
        with self._uow():
            plan = lookup(self._storage, PaymentPlan, plan_id)
            if plan.status is not P.ACTIVE:
                return
            if to is P.MISSED and missed is not None:
                instalment = lookup(self._storage, Instalment, missed)
                self._miss(plan, instalment, reason)
                return
            ended = self._end(plan, to, reason)
            invoice = lookup(self._storage, Invoice, plan.invoice_id)
            contact = lookup(self._storage, Contact, plan.contact_id)
            self._notifier.tell(
                "plan_revoked",
                key=plan.id,
                contact=contact,
                plan=ended,
                invoice=invoice,
                property=lookup(self._storage, Property, invoice.property_id),
            )

    # -- what a payment's outcome does to its instalment (inside the payment's transaction) ------
    def payment_moved(self, payment: Payment) -> None:
        """Settled: the instalment is paid (the last one completes the plan). Failed or canceled:
        tried again on its next retry day while attempts are left, else missed (the plan stops;
        contact and staff are told). A paid instalment whose bank debit came back is missed."""
        instalment = self._storage.get(Instalment, payment.instalment_id) if payment.instalment_id else None
        if instalment is None:
            return
        plan = lookup(self._storage, PaymentPlan, instalment.plan_id)
        status = payment.status
        if status is PaymentStatus.SETTLED and instalment.status is I.CHARGING:
            self._storage.update(instalment_step(instalment, I.PAID, paid_at=self._clock.now()))
            rest = [i for i in self._storage.find(Instalment, plan_id=plan.id) if i.id != instalment.id]
            if plan.status is P.ACTIVE and all(i.status is I.PAID for i in rest):
                self._end(plan, P.COMPLETED, "every instalment was paid")
        elif status in (PaymentStatus.FAILED, PaymentStatus.CANCELED) and instalment.status is I.CHARGING:
            if plan.status is not P.ACTIVE:
                self._storage.update(instalment_step(instalment, I.CANCELED))
            elif instalment.attempts < len(self._settings.current.autopay_retry_days):
                self._storage.update(instalment_step(instalment, I.SCHEDULED))  # the next retry day tries again
            else:
                self._miss(plan, instalment, payment.failure_reason)
        elif status is PaymentStatus.RETURNED and instalment.status is I.PAID:
            if plan.status in (P.ACTIVE, P.COMPLETED):
                self._miss(plan, instalment, payment.failure_reason)
            else:
                self._storage.update(instalment_step(instalment, I.MISSED))

    def _miss(self, plan: PaymentPlan, instalment: Instalment, reason: str) -> None:
        """Inside a unit of work: the instalment is missed, the plan stops charging, the
        contact and the property's account owner are told."""
        missed = self._storage.update(instalment_step(instalment, I.MISSED))
        ended = self._end(plan, P.MISSED, f"instalment {instalment.number} was missed: {reason}"[:500])
        invoice = lookup(self._storage, Invoice, plan.invoice_id)
        contact = lookup(self._storage, Contact, plan.contact_id)
        prop = lookup(self._storage, Property, invoice.property_id)
        facts: dict[str, Any] = dict(
            contact=contact,
            plan=ended,
            invoice=invoice,
            instalment=missed,
            reason=reason or "declined",
            property=prop,
            link=self._link(plan),
        )
        self._notifier.tell("plan_instalment_missed", key=f"{missed.id}:{missed.attempts}", **facts)
        self._notifier.tell("plan_instalment_missed_staff", key=f"{missed.id}:{missed.attempts}", **facts)

    # -- inside -----------------------------------------------------------------------------------
    def _end(self, plan: PaymentPlan, to: PlanStatus, reason: str) -> PaymentPlan:
        """Inside a unit of work: the plan ends (``to``), its consent with it (revoked_at), and its
        instalments not yet charged are canceled; the host hears."""
        now = self._clock.now()
        ended = self._storage.update(plan_step(plan, to, ended_at=now, end_reason=reason[:500]))
        for consent in self._storage.find(PlanConsent, plan_id=plan.id, revoked_at=None):
            self._storage.update(attrs.evolve(consent, revoked_at=now))
        for instalment in self._storage.find(Instalment, plan_id=plan.id, status=I.SCHEDULED):
            self._storage.update(instalment_step(instalment, I.CANCELED))
        self._announce(self._view(ended, lookup(self._storage, Invoice, plan.invoice_id)))
        return ended

    def _view(self, plan: PaymentPlan, invoice: Invoice) -> PlanView:
        instalments = tuple(sorted(self._storage.find(Instalment, plan_id=plan.id), key=lambda i: i.number))
        consents = sorted(self._storage.find(PlanConsent, plan_id=plan.id), key=lambda c: c.accepted_at)
        keys = [f"plan:{i.id}:{n}" for i in instalments for n in range(1, i.attempts + 1)]
        payments: dict[str, Payment] = {}
        for payment in sorted(
            self._storage.find(Payment, idempotency_key=In(keys)) if keys else [], key=lambda p: p.created_at
        ):
            payments[str(payment.instalment_id)] = payment  # the latest attempt of each
        return PlanView(plan, instalments, invoice, consents[-1] if consents else None, payments)

    def _announce(self, view: PlanView) -> None:
        plan = view.plan
        upcoming = view.next
        self._outbox.event(
            PaymentPlanChanged(
                event_id=f"plan:{plan.id}:{plan.status.value}:{plan.version}",
                company_id=self._settings.company_id,
                plan_id=plan.id,
                invoice_id=plan.invoice_id,
                contact_id=plan.contact_id,
                status=plan.status.value,
                amount=plan.amount,
                remaining=view.left,
                next_due_on=upcoming.due_on.isoformat() if upcoming else None,
                next_amount=upcoming.amount if upcoming else None,
                external_ids=external_ids(invoice=view.invoice),
            )
        )

    def _link(self, plan: PaymentPlan) -> str:
        return f"{self._settings.current.portal_url}/plans/{plan.id}"


__all__ = [
    "INTERVALS",
    "PLAN_TRANSITIONS",
    "PaymentPlans",
    "PlanChanged",
    "PlanSummary",
    "PlanView",
    "StaffPlan",
    "StaffPlanView",
    "consent_text",
    "digest",
    "plan_step",
    "schedule",
    "split",
]
