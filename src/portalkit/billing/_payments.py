"""Payment methods and the payment state machine (PAY-3..7), on a tokenizing processor.

    initiated ──charge──▶ requires_action ──customer confirms (3-D Secure)──▶ processing
        │  └──────────────────────────────────────────────────────────────┐     │
        ├──▶ processing (bank debits take days) ──────────────────────────┼──▶ settled ──▶ partially_refunded ──▶ refunded
        ├──▶ failed (declined: no balance changes)                        │       │  └──▶ returned (ACH return: due again)
        └──▶ canceled (staff, or the customer abandoned 3-D Secure) ◀─────┘       └──▶ disputed ──▶ settled (won) | returned (lost)

While a payment is initiated, requires_action or processing, the invoice carries its amount as
``pending_amount`` and refuses another payment (PAY-3). Processor events are applied once each
(by event id), in any order, also before ``charge`` returned; the amount is checked against the
invoice's fresh amount due inside the transaction that starts the payment. ``reconcile`` asks
the processor about every payment left open, so a restart never leaves one pending for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from .. import inputs, money
from .._core.paging import DEFAULT_LIMIT, Page, fetch
from .._core.permissions import require
from .._core.retry import retry_on_conflict
from .._core.uow import UnitOfWork
from .._core.visibility import Section, Visibility, invoice_visible, section_visible
from ..config import PortalConfig
from ..directory._directory import lookup
from ..errors import (
    AutopayRevoked,
    Conflict,
    InvalidTransition,
    InvalidWebhook,
    NotFound,
    PaymentPending,
    PaymentsDisabled,
    PortalError,
    RefundRefused,
    ValidationError,
)
from ..events import (
    PaymentCanceled,
    PaymentDisputed,
    PaymentFailed,
    PaymentRefunded,
    PaymentReturned,
    PaymentSettled,
    external_ids,
)
from ..i18n import _
from ..labels import label
from ..models import (
    AutopayConsent,
    Contact,
    Invoice,
    MethodKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Permission,
    ProcessedEvent,
    Property,
    Refund,
    RefundStatus,
    StaffUser,
)
from ..notify import Notifier
from ..notify._outbox import Outbox
from ..ports import (
    AtLeast,
    ChargeOutcome,
    ChargeRequest,
    ChargeStatus,
    Clock,
    In,
    MethodDetails,
    PaymentProcessor,
    ProcessorEvent,
    Ref,
    Storage,
    expect,
)
from ..settings import Settings
from . import _tips as tips

log = logging.getLogger("portalkit.payments")  # its name before the move (issue 22): hosts filter and alert on it
S = PaymentStatus
OPEN = frozenset({S.INITIATED, S.REQUIRES_ACTION, S.PROCESSING})  # hold the invoice's pending block
COLLECTED = frozenset({S.SETTLED, S.PARTIALLY_REFUNDED})  # money received, refundable
FAILURE_NOTICE_DAYS = 30
MAX_GROUP = 50  # invoices paid in one go (pay_many)
RECENT_LIMIT = 6  # payments under the dashboard's "Recent activity"
ACTIVITY_READ = 20  # the contact's latest payments the dashboard reads for both (Payments.activity)
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.INITIATED: frozenset({S.REQUIRES_ACTION, S.PROCESSING, S.SETTLED, S.FAILED, S.CANCELED}),
    S.REQUIRES_ACTION: frozenset({S.PROCESSING, S.SETTLED, S.FAILED, S.CANCELED}),
    S.PROCESSING: frozenset({S.SETTLED, S.FAILED, S.CANCELED}),
    S.SETTLED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.RETURNED, S.DISPUTED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.RETURNED, S.DISPUTED}),
    S.DISPUTED: frozenset({S.SETTLED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.RETURNED}),
    S.FAILED: frozenset(),
    S.CANCELED: frozenset(),
    S.REFUNDED: frozenset(),
    S.RETURNED: frozenset(),
}
_FROM_CHARGE = {
    ChargeStatus.REQUIRES_ACTION: S.REQUIRES_ACTION,
    ChargeStatus.PROCESSING: S.PROCESSING,
    ChargeStatus.SUCCEEDED: S.SETTLED,
    ChargeStatus.FAILED: S.FAILED,
    ChargeStatus.CANCELED: S.CANCELED,
}
_FROM_EVENT = {
    "requires_action": S.REQUIRES_ACTION,
    "processing": S.PROCESSING,
    "succeeded": S.SETTLED,
    "failed": S.FAILED,
    "canceled": S.CANCELED,
    "returned": S.RETURNED,
    "disputed": S.DISPUTED,
    "dispute_won": S.SETTLED,
}
RECONCILE_AFTER = timedelta(minutes=30)
MAX_WEBHOOK_BYTES = 1_000_000


def step(payment: Payment, to: PaymentStatus, **changes: Any) -> Payment:
    """The one place a payment changes state; refused moves raise ``InvalidTransition``."""
    if to not in TRANSITIONS[payment.status]:
        raise InvalidTransition(
            _("A %(status)s payment cannot become %(next)s.") % {"status": label(payment.status), "next": label(to)}
        )
    return attrs.evolve(payment, status=to, **changes)


def refunded_status(refunded: Decimal, amount: Decimal) -> PaymentStatus:
    """A collected payment with ``refunded`` of its ``amount`` sent back."""
    return S.REFUNDED if refunded >= amount else S.PARTIALLY_REFUNDED


def processed_event_id(company_id: str, processor: str, event_id: str) -> str:
    """A processed event's key: per company and processor, since event ids are only the
    processor account's own (two companies may both receive ``evt_1``)."""
    return f"{company_id}:{processor}:{event_id}"


def revoke_autopay(storage: Storage, now: datetime, **where: str) -> None:
    """End the standing autopay consents matching ``where`` (a contact's, or a method's)."""
    for consent in storage.find(AutopayConsent, revoked_at=None, **where):
        storage.update(attrs.evolve(consent, revoked_at=now))


def fee_applies(method: PaymentMethod, config: PortalConfig) -> bool:
    """PAY-5 and card-network rules: a fee only on cards, by default only credit cards (debit
    and prepaid exempt unless configured), never on ACH; unknown funding is exempt."""
    if method.kind is not MethodKind.CARD:
        return False
    return (
        method.funding == "credit"
        or (method.funding == "debit" and config.fee_on_debit)
        or (method.funding == "prepaid" and config.fee_on_prepaid)
    )


@attrs.frozen
class Quote:
    """The Make Payment screen's figures (PAY-5)."""

    amount: Decimal
    fee: Decimal
    total: Decimal
    amount_remaining: Decimal


@attrs.frozen
class StaffPayment:
    """A payment as the staff's payments page lists it, with its invoice, payer and method (each
    ``None`` once gone)."""

    payment: Payment
    invoice: Invoice | None
    contact: Contact | None
    method: PaymentMethod | None


@attrs.frozen
class SetupForm:
    """What the payment-method page needs to show the processor's hosted fields."""

    client_secret: str
    fields: Mapping[str, str]


class Payments:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        visibility: Visibility,
        outbox: Outbox,
        notifier: Notifier,
        processor: PaymentProcessor,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._visibility, self._outbox, self._notifier, self._processor = visibility, outbox, notifier, processor
        # told of every move of a payment that pays a plan's instalment, inside its transaction (``plans``)
        self.instalment_listeners: list[Callable[[Payment], None]] = []

    # -- payment methods (PAY-4) ---------------------------------------------------------------
    def start_setup(self, contact: Contact) -> SetupForm:
        """The processor's hosted fields for a new card or bank account; the numbers go from the
        customer's browser to the processor, and only a token comes back to ``add_method``."""
        self._require_payments(contact)
        return SetupForm(self._processor.start_setup(self._saved_customer(contact)), self._processor.hosted_fields())

    def add_method(self, contact: Contact, token: str, *, make_default: bool = False) -> PaymentMethod:
        """Save the processor's token for a card or bank account; expired cards are refused. A
        bank account keeps the debit authorisation (``config.ach_mandate_text``) the page showed,
        and when it was accepted."""
        self._require_payments(contact)
        token = inputs.text(token, "token", max_length=255)
        make_default = inputs.flag(make_default, "make_default")
        # The token is read and judged before the processor's customer is made, so a refused
        # method leaves nothing behind: not at the processor, not on the contact.
        expired = self._expired_card(self._processor_call(self._processor.describe, token))
        if expired:
            raise ValidationError(_("That card has expired."), field="expiry")
        customer = self._customer(contact)
        details = self._processor_call(self._processor.attach, customer, token)
        kind = MethodKind.CARD if details.kind == "card" else MethodKind.ACH
        label = (
            f"{details.brand.title() or 'Card'} ending {details.last4}"
            if kind is MethodKind.CARD
            else f"{details.brand or 'Bank account'} ending {details.last4}"
        )
        ach = kind is MethodKind.ACH
        method = PaymentMethod(
            contact_id=contact.id,
            kind=kind,
            label=label,
            last4=details.last4,
            token=details.token,
            brand=details.brand,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
            funding=details.funding,
            mandate=self._settings.current.ach_mandate_text if ach else "",
            mandate_accepted_at=self._clock.now() if ach else None,
        )
        with self._uow():
            self._keep_customer(contact, customer)  # on the contact only once a method is saved with it
            first = not self.methods(contact)
            method = self._storage.insert(method)
            if make_default or first:
                method = self.set_default(contact, method.id)
            return method

    @staticmethod
    def _processor_call(call: Any, *args: str) -> MethodDetails:
        try:
            return call(*args)  # type: ignore[no-any-return]
        except ValueError as exc:  # the processor refused the token (declined, malformed, ...)
            raise ValidationError(
                _("That payment method could not be saved: %(reason)s") % {"reason": exc}, field="token"
            ) from exc

    def _expired_card(self, details: MethodDetails) -> bool:
        probe = PaymentMethod(
            contact_id="",
            kind=MethodKind.CARD if details.kind == "card" else MethodKind.ACH,
            label="",
            last4=details.last4,
            token=details.token,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
        )
        return probe.expired(self._today())

    def _customer(self, contact: Contact) -> str:
        """The processor's customer for ``contact``: the one saved on it, else a new one (saved by
        ``_keep_customer`` when a method is saved with it, so a refused method leaves the
        contact as it was)."""
        if contact.processor_customer:
            return contact.processor_customer
        fresh = lookup(self._storage, Contact, contact.id)
        return fresh.processor_customer or self._processor.customer(fresh.id, fresh.email, None)

    def _saved_customer(self, contact: Contact) -> str:
        """The contact's processor customer, made and saved now if it has none (the hosted form
        and a charge need one)."""
        if contact.processor_customer:  # saved once and never changed: nothing to read or save
            return contact.processor_customer
        customer = self._customer(contact)
        with self._uow():
            current = lookup(self._storage, Contact, contact.id)
            if current.processor_customer:
                return current.processor_customer
            self._storage.update(attrs.evolve(current, processor_customer=customer))
            return customer

    def _keep_customer(self, contact: Contact, customer: str) -> None:
        """Inside a unit of work: save the processor's customer on the contact, once."""
        current = lookup(self._storage, Contact, contact.id)
        if current.processor_customer is None:
            self._storage.update(attrs.evolve(current, processor_customer=customer))
        elif current.processor_customer != customer:  # another method was saved meanwhile, with another
            raise Conflict("The contact's processor customer was set meanwhile; add the method again.")

    def hosted_fields(self) -> Mapping[str, str]:
        """PAY-4: what a page needs of the processor's hosted fields: its kind, script and API
        (the pay and confirm pages, and the CSP that admits them). Asked of the processor each
        time, as the pages always did."""
        return self._processor.hosted_fields()

    def methods(self, contact: Contact) -> list[PaymentMethod]:
        """PAY-4: the contact's usable methods; expired cards are never listed. Like every
        payment-method call, it needs electronic payment on and the invoices access flag (VIS-3)."""
        self._require_payments(contact)
        today = self._today()
        found = self._storage.find(PaymentMethod, contact_id=contact.id)
        usable = [m for m in found if not m.removed and not m.expired(today)]
        return sorted(usable, key=lambda m: (not m.is_default, m.label))

    def set_default(self, contact: Contact, method_id: str) -> PaymentMethod:
        self._require_payments(contact)
        with self._uow():
            chosen = self._own_method(contact, method_id)
            for m in self._storage.find(PaymentMethod, contact_id=contact.id):
                if m.is_default and m.id != chosen.id:
                    self._storage.update(attrs.evolve(m, is_default=False))
            return self._storage.update(attrs.evolve(chosen, is_default=True))

    def remove_method(self, contact: Contact, method_id: str) -> None:
        self._require_payments(contact)

        def once() -> PaymentMethod:
            with self._uow():
                method = self._own_method(contact, method_id)
                self._storage.update(attrs.evolve(method, removed=True, is_default=False))
                revoke_autopay(self._storage, self._clock.now(), method_id=method.id)  # it can pay nothing more
                return method

        self._processor.detach(retry_on_conflict(once).token)

    def require_method(self, contact: Contact, method_id: str) -> PaymentMethod:
        """One of the contact's saved, unexpired methods, when payments are on for them."""
        self._require_payments(contact)
        return self._own_method(contact, method_id)

    def _own_method(self, contact: Contact, method_id: str) -> PaymentMethod:
        method = self._storage.get(PaymentMethod, method_id) if inputs.is_identifier(method_id) else None
        if method is None or method.contact_id != contact.id or method.removed:
            raise NotFound(_("No such payment method."))
        if method.expired(self._today()):
            raise ValidationError(_("That card has expired."), field="method")
        return method

    # -- making a payment (PAY-5, PAY-6) ---------------------------------------------------------
    def quote(self, contact: Contact, invoice_id: str, method_id: str, amount: object) -> Quote:
        invoice = self._payable(contact, invoice_id)
        method = self._own_method(contact, method_id)
        return self._quote(invoice, method, money.parse(amount), by_customer=True)

    def _quote(self, invoice: Invoice, method: PaymentMethod, value: Decimal, *, by_customer: bool = False) -> Quote:
        """PAY-5: an amount above 0 and at most what is due; a customer pays all of it where the
        company takes no partial payments (``partial_payments``; plans and autopay are exempt)."""
        if value <= 0 or value > invoice.amount_due:
            raise ValidationError(
                _("Enter an amount above 0 and at most %(due)s.") % {"due": money.display(invoice.amount_due)},
                field="amount",
            )
        config = self._settings.current
        if by_customer and not config.partial_payments and value != invoice.amount_due:
            raise ValidationError(
                _("Pay the whole amount due, %(due)s.") % {"due": money.display(invoice.amount_due)}, field="amount"
            )
        fee = (
            money.percent_of(value, config.convenience_fee_percent) if fee_applies(method, config) else Decimal("0.00")
        )
        return Quote(value, fee, value + fee, invoice.amount_due)

    def pay(
        self,
        contact: Contact,
        invoice_id: str,
        method_id: str,
        amount: object,
        idempotency_key: str,
        *,
        tip: object = None,
    ) -> Payment:
        """Start a payment and charge it; repeating a call with the same ``idempotency_key``
        returns the same payment (and the processor, given the same key, charges once). ``tip``
        (TIP-*, where the company takes tips) is charged with it, never part of the invoice's
        amount and never under a fee."""
        with self._settings.pinned():  # one read of the settings, inside the first transaction
            paid = money.parse(amount)  # a bad amount is refused before the settings are read
            value = tips.checked(tip, paid, self._settings.current) if tips.given(tip) else tips.ZERO
            return self._pay(contact, invoice_id, method_id, amount, idempotency_key, tip=value)

    def pay_many(
        self, contact: Contact, items: Any, method_id: str, form_key: str, *, tip: object = None
    ) -> list[Payment]:
        """Pay several invoices with one method in one go (the pay page): ``items`` are
        ``(invoice_id, amount)`` pairs. It is one payment per invoice, each through ``pay`` with
        its own idempotency key ``"{form_key}:{invoice_id}"``, so every invoice keeps the state
        machine, its pending block and its replay (docs/payments.md, "Paying several invoices").

        Every invoice and amount is checked before anything is charged (a refusal names the
        invoice). They are then charged in the order given; charging stops at the first payment
        that does not go through at once (failed, or waiting for the customer's bank): the
        invoices after it stay open, uncharged. The form sent again (the same ``form_key``)
        returns the same payments and charges nothing twice. ``tip`` is checked against what the
        invoices add up to and charged with the first invoice's payment."""
        if not isinstance(form_key, str) or not 0 < len(form_key) <= 64:
            raise ValidationError(_("Each payment attempt needs an idempotency key."), field="idempotency_key")
        planned: dict[str, tuple[object, str]] = {}
        for entry in inputs.items(items, "invoices", max_count=MAX_GROUP):
            if not isinstance(entry, tuple) or len(entry) != 2:
                raise ValidationError(_("Choose at least one invoice to pay."), field="invoices")
            invoice_id, amount = entry
            if not inputs.is_identifier(invoice_id):
                raise NotFound(_("No such invoice."))
            key = f"{form_key}:{invoice_id}"
            if invoice_id not in planned and self._by_key(key) is None:
                self._check_share(contact, invoice_id, method_id, amount)
            planned.setdefault(invoice_id, (amount, key))
        if not planned:
            raise ValidationError(_("Choose at least one invoice to pay."), field="invoices")
        with self._settings.pinned():
            tip_value = tips.checked(
                tip, sum((money.parse(a) for a, _k in planned.values()), Decimal("0.00")), self._settings.current
            )
        done: list[Payment] = []
        for invoice_id, (amount, key) in planned.items():
            with self._settings.pinned():
                payment = self._pay(
                    contact, invoice_id, method_id, amount, key, tip=tip_value if not done else tips.ZERO
                )
            done.append(payment)
            if payment.status in (S.FAILED, S.REQUIRES_ACTION):
                break
        return done

    def _check_share(self, contact: Contact, invoice_id: str, method_id: str, amount: object) -> None:
        """One invoice of a grouped payment, as ``pay`` would judge it, its number in the refusal."""
        method = self._own_method(contact, method_id)
        invoice = self._visibility.require_invoice(contact, invoice_id)[0]
        try:
            self._quote(
                self._payable(contact, invoice.id),
                method,
                money.parse(amount, field=f"amount-{invoice.id}"),
                by_customer=True,
            )
        except (ValidationError, PaymentPending, InvalidTransition) as exc:
            raise ValidationError(
                _("Invoice %(number)s: %(problem)s") % {"number": invoice.number, "problem": exc.public_message},
                field=f"amount-{invoice.id}",
            ) from exc

    def charge_automatically(
        self, contact: Contact, invoice: Invoice, consent: AutopayConsent, attempt: int
    ) -> Payment:
        """Autopay's charge of an invoice's amount due under ``consent``: attempt ``attempt``,
        once (its key). The consent is read again, and written, inside the payment's
        transaction: a revocation committed before it stops the charge, and one racing it waits
        for it (``AutopayRevoked`` otherwise)."""

        def still_consented() -> None:
            current = self._storage.get(AutopayConsent, consent.id)
            if (
                current is None
                or current.revoked_at is not None
                or current.method_id != consent.method_id
                or current.contact_id != contact.id
            ):
                raise AutopayRevoked()
            self._storage.update(current)  # compare-and-swap: a concurrent revocation conflicts with it

        with self._settings.pinned():
            return self._pay(
                contact,
                invoice.id,
                consent.method_id,
                invoice.amount_due,
                f"autopay:{invoice.id}:{attempt}",
                autopay_attempt=attempt,
                check=still_consented,
            )

    def charge_on_consent(
        self,
        contact: Contact,
        invoice_id: str,
        method_id: str,
        amount: Decimal,
        key: str,
        *,
        check: Callable[[], None],
        instalment_id: str,
    ) -> Payment:
        """A charge a standing consent covers (a payment plan's instalment, ``portalkit.billing``):
        ``check`` runs first inside the payment's transaction and reads again, and writes, what
        the charge relies on (the consent, the instalment): a change committed before it stops
        the charge, one racing it conflicts with it. The invoice is read fresh in the same
        transaction (open, no payment pending, ``amount`` still due). The key makes each attempt
        one charge."""
        with self._settings.pinned():
            return self._pay(contact, invoice_id, method_id, amount, key, check=check, instalment_id=instalment_id)

    def _pay(
        self,
        contact: Contact,
        invoice_id: str,
        method_id: str,
        amount: object,
        idempotency_key: str,
        autopay_attempt: int = 0,
        check: Callable[[], None] | None = None,
        *,
        tip: Decimal = Decimal("0.00"),
        instalment_id: str | None = None,
    ) -> Payment:
        """One transaction reads what it needs and writes the payment and the invoice's pending
        amount; a repeated key is found only when that refuses (a repeat finds the invoice pending,
        paid or the key taken), so a first attempt spends no query looking for an earlier one."""
        if not isinstance(idempotency_key, str) or not idempotency_key or len(idempotency_key) > 128:
            raise ValidationError(_("Each payment attempt needs an idempotency key."), field="idempotency_key")
        try:
            value = money.parse(amount)
            with self._uow():  # a refusal in here (bad amount, paid invoice, ...) rolls everything back
                if check is not None:
                    check()
                with self._expect_payable(method_id, invoice_id):
                    method = self._own_method(contact, method_id)
                    invoice = self._payable(contact, invoice_id)  # fresh, inside the transaction
                customer = not autopay_attempt and instalment_id is None  # the pay page or the API, not the worker
                quote = self._quote(invoice, method, value, by_customer=customer)  # no overpaying a changed invoice
                payment = self._storage.insert(
                    Payment(
                        invoice_id=invoice.id,
                        contact_id=contact.id,
                        method_id=method.id,
                        method_kind=method.kind,
                        amount=quote.amount,
                        fee=quote.fee,
                        idempotency_key=idempotency_key,
                        created_at=self._clock.now(),
                        autopay_attempt=autopay_attempt,
                        tip=tip,
                        instalment_id=instalment_id,
                    )
                )
                self._storage.update(attrs.evolve(invoice, pending_amount=quote.amount))
        except PortalError as exc:
            existing = self._by_key(idempotency_key)
            if existing is not None:
                return self._same_attempt(existing, contact, invoice_id)
            if isinstance(exc, Conflict):
                raise PaymentPending() from exc
            raise
        return self._charge(payment, method, contact)

    def _charge(self, payment: Payment, method: PaymentMethod, contact: Contact | None = None) -> Payment:
        payer = (
            contact
            if contact is not None and contact.id == payment.contact_id
            else lookup(self._storage, Contact, payment.contact_id)
        )
        request = ChargeRequest(
            payment_id=payment.id,
            amount=payment.total,
            currency=self._settings.current.currency.lower(),
            customer_ref=self._saved_customer(payer),
            method_token=method.token,
            idempotency_key=payment.idempotency_key,
            description=f"Invoice payment {payment.id}",
        )
        try:
            outcome = self._processor.charge(request)
        except Exception:  # unknown outcome: the payment stays open; reconcile() asks again
            log.warning("charge of payment %s did not answer; it will be reconciled", payment.id, exc_info=True)
            return lookup(self._storage, Payment, payment.id)
        return self._apply_outcome(payment.id, outcome, known=payment)

    def _apply_outcome(self, payment_id: str, outcome: ChargeOutcome, known: Payment | None = None) -> Payment:
        to = _FROM_CHARGE[outcome.status]
        return self._move(
            payment_id,
            to,
            known=known,
            processor_ref=outcome.ref,
            reason=outcome.failure_reason,
            action_secret=outcome.action_secret,
        )

    def _by_key(self, key: str) -> Payment | None:
        found = self._storage.find(Payment, idempotency_key=key)
        return found[0] if found else None

    @staticmethod
    def _same_attempt(payment: Payment, contact: Contact, invoice_id: str) -> Payment:
        if payment.contact_id != contact.id or payment.invoice_id != invoice_id:
            raise ValidationError(_("That idempotency key belongs to another payment."), field="idempotency_key")
        return payment

    def _expect_payable(self, method_id: object, invoice_id: object) -> AbstractContextManager[None]:
        """The method, the settings (if not read yet), the invoice and its property, read in one
        statement at the first of their reads, inside the payment's transaction (``ports.expect``,
        issue 25: four statements before)."""
        if not inputs.is_identifier(method_id) or not inputs.is_identifier(invoice_id):
            return nullcontext()
        ahead: list[tuple[type, str | Ref]] = [(PaymentMethod, method_id), *self._settings.expected()]
        ahead.append((Invoice, invoice_id))
        return expect(self._storage, [*ahead, (Property, Ref(len(ahead) - 1, "property_id"))])

    def _payable(self, contact: Contact, invoice_id: str) -> Invoice:
        self._require_payments(contact)
        invoice, _prop = self._visibility.require_invoice(contact, invoice_id)
        if invoice.payment_pending:
            raise PaymentPending()
        if not invoice.is_open:
            raise InvalidTransition(_("This invoice is paid."))
        return invoice

    def _require_payments(self, contact: Contact) -> None:
        if not self._settings.current.electronic_payment_enabled:
            raise PaymentsDisabled()
        self._visibility.require_section(contact, Section.INVOICES)

    # -- the processor's answers -----------------------------------------------------------------
    def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> Payment | None:
        """A webhook from the processor: verified (``InvalidWebhook`` otherwise), then applied once."""
        if (
            not isinstance(headers, Mapping)
            or not isinstance(body, (bytes, bytearray))
            or len(body) > MAX_WEBHOOK_BYTES
        ):
            raise InvalidWebhook(_("a webhook is a mapping of headers and a body of at most 1 MB"))
        return self.apply_event(
            self._processor.parse_webhook({str(k): str(v) for k, v in headers.items()}, bytes(body))
        )

    def apply_event(self, event: ProcessorEvent) -> Payment | None:
        """Apply a verified processor event exactly once; a repeat or a move the state machine
        refuses (a late "failed" after "succeeded") changes nothing."""
        return retry_on_conflict(lambda: self._apply_event_once(event))

    def _apply_event_once(self, event: ProcessorEvent) -> Payment | None:
        with self._uow():
            processed_id = processed_event_id(self._settings.company_id, self._processor.name, event.id)
            if self._storage.get(ProcessedEvent, processed_id) is not None:
                return None
            payment = self._payment_of(event)
            if payment is None:
                log.warning("processor event %s names no payment of this portal", event.id)
                return None
            self._storage.insert(
                ProcessedEvent(id=processed_id, payment_id=payment.id, kind=event.kind, received_at=self._clock.now())
            )
            if event.kind == "refunded":
                return self._apply_refund_event(payment, event)
            to = _FROM_EVENT.get(event.kind)
            if to is None or to not in TRANSITIONS[payment.status]:
                return payment
            return self._transition(payment, to, processor_ref=event.ref or payment.processor_ref, reason=event.reason)

    def _payment_of(self, event: ProcessorEvent) -> Payment | None:
        if event.payment_id and inputs.is_identifier(event.payment_id):
            found = self._storage.get(Payment, event.payment_id)
            if found is not None:
                return found
        matches = self._storage.find(Payment, processor_ref=event.ref) if event.ref else []
        return matches[0] if matches else None

    def reconcile(self, older_than: timedelta = RECONCILE_AFTER) -> int:
        """Ask the processor about every payment, and every refund, open longer than
        ``older_than`` and apply the answer (run by the worker on a schedule); return how many
        changed."""
        cutoff = self._clock.now() - older_than
        changed = 0
        for status in OPEN:
            for payment in self._storage.find(Payment, status=status):
                if payment.created_at > cutoff:
                    continue
                try:
                    if payment.processor_ref:
                        after = self._apply_outcome(payment.id, self._processor.retrieve(payment.processor_ref))
                    else:  # the charge call never answered: the same key replays its first result
                        after = self._charge(payment, lookup(self._storage, PaymentMethod, payment.method_id))
                except Exception:
                    log.warning("reconciling payment %s failed; it stays open", payment.id, exc_info=True)
                    continue
                changed += after.status is not payment.status
        for refund in self._storage.find(Refund, status=RefundStatus.PENDING):
            if refund.created_at > cutoff:
                continue
            try:
                self._ask_refund(refund)
            except Exception:  # refused now: recorded as failed, the reservation handed back
                log.warning("reconciling refund %s ended it as refused", refund.id, exc_info=True)
                continue
            changed += lookup(self._storage, Refund, refund.id).status is not RefundStatus.PENDING
        return changed

    # -- moving a payment ------------------------------------------------------------------------
    def _move(self, payment_id: str, to: PaymentStatus, known: Payment | None = None, **changes: Any) -> Payment:
        """Move a payment; ``known`` is the payment as just written, tried before reading it
        again (a conflict means something moved it meanwhile: read, and decide again)."""
        tries = 0

        def once() -> Payment:
            nonlocal tries
            tries += 1
            with self._uow():
                current = known if known is not None and tries == 1 else lookup(self._storage, Payment, payment_id)
                if current.status is to or to not in TRANSITIONS[current.status]:
                    return current  # already there, or an event got further first
                return self._transition(current, to, **changes)

        return retry_on_conflict(once)

    def _transition(
        self, payment: Payment, to: PaymentStatus, *, processor_ref: str = "", reason: str = "", action_secret: str = ""
    ) -> Payment:
        """Inside a unit of work: the payment, its invoice, the events and mails of one move."""
        if to in OPEN:  # waiting on the customer or the bank: nothing else changes yet
            return self._storage.update(
                step(
                    payment,
                    to,
                    processor_ref=processor_ref or payment.processor_ref,
                    action_secret=action_secret if to is S.REQUIRES_ACTION else "",
                )
            )
        invoice = original = lookup(self._storage, Invoice, payment.invoice_id)
        changes: dict[str, Any] = {"processor_ref": processor_ref or payment.processor_ref}
        if payment.status in OPEN and to not in OPEN:
            invoice = attrs.evolve(
                invoice, pending_amount=max(invoice.pending_amount - payment.amount, Decimal("0.00"))
            )
        if to is S.SETTLED and payment.status is S.DISPUTED and payment.refunded_amount:
            to = refunded_status(payment.refunded_amount, payment.amount)  # won, and partly refunded meanwhile
        elif to is S.SETTLED and payment.status is not S.DISPUTED:
            due = invoice.amount_due - payment.amount
            invoice = attrs.evolve(invoice, amount_due=due, paid_on=self._today() if due <= 0 else invoice.paid_on)
            changes["settled_at"] = self._clock.now()
        elif to in (S.FAILED, S.CANCELED):
            changes["failure_reason"] = reason or ("declined" if to is S.FAILED else "canceled")
        elif to is S.RETURNED:
            invoice = attrs.evolve(
                invoice, amount_due=invoice.amount_due + payment.amount - payment.refunded_amount, paid_on=None
            )
            changes["failure_reason"] = reason or "returned"
            changes["reversed_at"] = self._clock.now()
        if invoice != original:
            invoice = self._storage.update(invoice)
        done = self._storage.update(step(payment, to, **changes))
        self._announce(done, invoice)
        if done.instalment_id:
            for listener in self.instalment_listeners:
                listener(done)
        return done

    def _announce(self, payment: Payment, invoice: Invoice) -> None:
        """PAY-6, PAY-7: an event for the host; receipts when settled; the paying contact (and,
        for returns and failed autopay, staff) told when it failed or came back — who, and by
        which channel, is ``notify.POLICY``'s."""
        common: dict[str, Any] = dict(
            event_id=f"payment:{payment.id}:{payment.status.value}:{payment.version}",
            company_id=self._settings.current.company_id,
            payment_id=payment.id,
            invoice_id=invoice.id,
            contact_id=payment.contact_id,
            amount=payment.amount,
            fee=payment.fee,
            processor_ref=payment.processor_ref,
            tip=payment.tip,
            instalment_id=payment.instalment_id,
            external_ids=external_ids(invoice=invoice),
        )
        status = payment.status
        if status is S.SETTLED:
            self._outbox.event(PaymentSettled(amount_due=invoice.amount_due, **common))
        elif status is S.FAILED:
            self._outbox.event(PaymentFailed(reason=payment.failure_reason, **common))
        elif status is S.CANCELED:
            self._outbox.event(PaymentCanceled(reason=payment.failure_reason, **common))
        elif status is S.RETURNED:
            self._outbox.event(PaymentReturned(reason=payment.failure_reason, amount_due=invoice.amount_due, **common))
        elif status is S.DISPUTED:
            self._outbox.event(PaymentDisputed(**common))
        notice = {
            S.SETTLED: "payment_receipt",
            S.FAILED: "payment_failed",
            S.CANCELED: "payment_failed",
            S.RETURNED: "payment_returned",
        }.get(status)
        payer = self._storage.get(Contact, payment.contact_id)
        if notice is None or payer is None:
            return
        key = f"{payment.id}:{payment.version}"
        facts: dict[str, Any] = dict(
            contact=payer,
            invoice=invoice,
            payment=payment,
            property=lookup(self._storage, Property, invoice.property_id),
        )
        self._notifier.tell(notice, key=key, **facts)
        if status is S.FAILED and payment.autopay_attempt:
            last = payment.autopay_attempt >= len(self._settings.current.autopay_retry_days)
            self._notifier.tell("autopay_failed", key=key, last_attempt=last, **facts)

    # -- staff -------------------------------------------------------------------------------------
    def refund(
        self, staff: StaffUser, payment_id: str, amount: object = None, *, request_key: str | None = None
    ) -> Payment:
        """``MANAGE_BILLING``: refund a collected payment in full (``amount`` None: all it has
        left) or in part through the processor; the refunded amount is due again.

        The amount is reserved on the payment in a compare-and-swap write before the processor is
        asked, so refunds running at once never add up to more than was paid; the processor gets
        one idempotency key per refund. ``request_key`` (a form's nonce) makes the request
        idempotent: the same key twice — a double click — is one refund. A refusal by the
        processor hands the reservation back and raises ``RefundRefused`` (the same request again
        says so again). When the processor's answer is lost (a timeout), the refund stays pending
        with its amount reserved, and ``reconcile`` asks again with the same key: the processor
        replays what it did, so it is never refunded twice and never forgotten."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        value = None if amount is None or amount == "" else money.parse(amount)
        key = None if request_key is None else inputs.text(request_key, "request_key", max_length=128)
        refund = retry_on_conflict(lambda: self._reserve_refund(payment_id, value, key, staff.email))
        if refund.status is RefundStatus.FAILED:
            raise RefundRefused()
        if refund.status is RefundStatus.SUCCEEDED:
            return lookup(self._storage, Payment, refund.payment_id)
        return self._ask_refund(refund)

    def _ask_refund(self, refund: Refund) -> Payment:
        """Ask the processor for a pending refund (again: the key replays the first answer)."""
        payment = lookup(self._storage, Payment, refund.payment_id)
        try:
            self._processor.refund(payment.processor_ref, refund.amount, refund.processor_key)
        except ValueError as exc:  # refused: nothing was refunded
            log.warning("refund %s of payment %s was refused: %s", refund.id, payment.id, exc)
            self._finish_refund(refund.id, failure=str(exc) or "refused")
            raise RefundRefused() from exc
        except Exception:  # no answer: it may or may not have happened; the reservation stays
            log.warning(
                "refund %s of payment %s did not answer; it will be reconciled", refund.id, payment.id, exc_info=True
            )
            return lookup(self._storage, Payment, payment.id)
        return self._finish_refund(refund.id)

    def refunds(self, staff: StaffUser, payment_id: str) -> list[Refund]:
        """``MANAGE_BILLING``: the refunds of a payment, oldest first."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        payment = lookup(self._storage, Payment, payment_id)
        return sorted(self._storage.find(Refund, payment_id=payment.id), key=lambda r: r.created_at)

    def _reserve_refund(self, payment_id: str, value: Decimal | None, key: str | None, by: str) -> Refund:
        with self._uow():
            if key is not None:
                earlier = self._storage.find(Refund, request_key=key)
                if earlier:
                    if earlier[0].payment_id != payment_id:
                        raise ValidationError(_("That request key belongs to another refund."), field="request_key")
                    return earlier[0]
            payment = lookup(self._storage, Payment, payment_id)
            if payment.status not in COLLECTED:
                raise InvalidTransition(
                    _("A %(status)s payment cannot be refunded.") % {"status": label(payment.status)}
                )
            left = payment.amount - payment.refunded_amount - payment.refunding_amount
            value = left if value is None else value
            if value <= 0 or value > left:
                raise ValidationError(
                    _("Refund an amount above 0 and at most %(left)s.")
                    % {"left": money.display(max(left, Decimal("0.00")))},
                    field="amount",
                )
            refund = self._storage.insert(
                Refund(
                    payment_id=payment.id, amount=value, request_key=key, requested_by=by, created_at=self._clock.now()
                )
            )
            self._storage.update(attrs.evolve(payment, refunding_amount=payment.refunding_amount + value))
            return refund

    def _finish_refund(self, refund_id: str, failure: str | None = None) -> Payment:
        """The processor answered a refund: record it, or hand its reservation back. An event
        that reported it first already did (then nothing changes)."""

        def once() -> Payment:
            with self._uow():
                refund = lookup(self._storage, Refund, refund_id)
                payment = lookup(self._storage, Payment, refund.payment_id)
                if refund.status is not RefundStatus.PENDING:
                    return payment
                if failure is None:
                    return self._record_refund(payment, refund)
                self._storage.update(
                    attrs.evolve(
                        refund, status=RefundStatus.FAILED, failure_reason=failure[:500], completed_at=self._clock.now()
                    )
                )
                return self._storage.update(
                    attrs.evolve(
                        payment, refunding_amount=max(payment.refunding_amount - refund.amount, Decimal("0.00"))
                    )
                )

        return retry_on_conflict(once)

    def _record_refund(self, payment: Payment, refund: Refund, *, reserved: bool = True) -> Payment:
        """Inside a unit of work: money went back. The refund succeeds, the payment's refunded
        amount grows (never past what was paid), the invoice is due again by as much, and the
        host hears of it. ``refund`` was requested here (``reserved``: its reservation is
        released) or is one the processor reported on its own."""
        held = refund.amount if reserved else Decimal("0.00")
        amount = min(refund.amount, payment.amount - payment.refunded_amount)
        refunded = payment.refunded_amount + amount
        changes: dict[str, Any] = {
            "refunded_amount": refunded,
            "reversed_at": self._clock.now(),
            "refunding_amount": max(payment.refunding_amount - held, Decimal("0.00")),
        }
        self._storage.update(
            attrs.evolve(refund, status=RefundStatus.SUCCEEDED, amount=amount, completed_at=self._clock.now())
        )
        if payment.status is S.RETURNED:  # the bank took it all back already: the invoice says so
            log.warning("refund %s recorded on returned payment %s", refund.id, payment.id)
            return self._storage.update(attrs.evolve(payment, **changes))
        invoice = lookup(self._storage, Invoice, payment.invoice_id)
        invoice = self._storage.update(attrs.evolve(invoice, amount_due=invoice.amount_due + amount, paid_on=None))
        if payment.status is S.DISPUTED:  # money went back during the dispute: due again, the dispute goes on
            done = self._storage.update(attrs.evolve(payment, **changes))
        else:
            done = self._storage.update(step(payment, refunded_status(refunded, payment.amount), **changes))
        self._outbox.event(
            PaymentRefunded(
                event_id=f"refund:{refund.id}",
                company_id=self._settings.current.company_id,
                payment_id=payment.id,
                invoice_id=invoice.id,
                contact_id=payment.contact_id,
                amount=amount,
                fee=payment.fee,
                processor_ref=payment.processor_ref,
                tip=payment.tip,
                refunded_by=refund.requested_by,
                amount_due=invoice.amount_due,
                external_ids=external_ids(invoice=invoice),
            )
        )
        return done

    def _apply_refund_event(self, payment: Payment, event: ProcessorEvent) -> Payment:
        """Inside a unit of work: the processor says the charge has refunded ``event.amount`` in
        all (never more than was paid is recorded). Each pending refund whose key the event lists
        (``refund_keys``) is settled; what remains beyond what is recorded and still pending was
        refunded at the processor directly (its dashboard) and is recorded as such. A processor
        that cannot list its refunds' keys leaves pending refunds to their own answer (or to
        ``reconcile``): an amount alone never says which request it answers."""
        total = payment.amount if event.amount is None else min(event.amount, payment.amount)
        if total <= payment.refunded_amount:
            return payment
        pending = sorted(
            self._storage.find(Refund, payment_id=payment.id, status=RefundStatus.PENDING), key=lambda r: r.created_at
        )
        reported = set(event.refund_keys or ())
        for refund in pending:
            if refund.processor_key in reported and payment.refunded_amount + refund.amount <= total:
                payment = self._record_refund(payment, refund)
        waiting = (
            sum((r.amount for r in pending if r.processor_key not in reported), Decimal("0.00"))
            if event.refund_keys is None
            else Decimal("0.00")
        )
        new = total - payment.refunded_amount - waiting
        if new > 0:
            outside = self._storage.insert(
                Refund(payment_id=payment.id, amount=new, requested_by="processor", created_at=self._clock.now())
            )
            payment = self._record_refund(payment, outside, reserved=False)
        return payment

    def cancel(self, staff: StaffUser, payment_id: str) -> Payment:
        """``MANAGE_BILLING``: end a stuck payment. The processor cancels the charge first, so a
        customer finishing 3-D Secure later cannot be charged for a canceled payment; one it
        collected after all is settled instead, never canceled."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        payment = lookup(self._storage, Payment, payment_id)
        if payment.status not in OPEN:
            raise InvalidTransition(_("A %(status)s payment cannot be canceled.") % {"status": label(payment.status)})
        if payment.processor_ref:
            outcome = self._processor.cancel(payment.processor_ref)
            if outcome.status is not ChargeStatus.CANCELED:
                return self._apply_outcome(payment.id, outcome)
        return self._move(payment.id, S.CANCELED, reason=f"canceled by {staff.name}")

    def staff_payments(
        self, staff: StaffUser, *, after: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> Page[Payment]:
        """``MANAGE_BILLING``: every payment, newest first; one page."""
        require(staff, Permission.MANAGE_BILLING, self._settings.company_id)
        return fetch(self._storage, Payment, order=("created_at",), descending=True, after=after, limit=limit)

    def staff_list(
        self, staff: StaffUser, *, after: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> Page[StaffPayment]:
        """``MANAGE_BILLING``: the staff's payments page: every payment, newest first, each with its
        invoice, payer and method (PAY-6, PAY-8); one page."""
        page = self.staff_payments(staff, after=after, limit=limit)
        invoices = self._storage.get_many(Invoice, {p.invoice_id for p in page})
        contacts = self._storage.get_many(Contact, {p.contact_id for p in page})
        methods = self._storage.get_many(PaymentMethod, {p.method_id for p in page})
        return Page(
            tuple(
                StaffPayment(p, invoices.get(p.invoice_id), contacts.get(p.contact_id), methods.get(p.method_id))
                for p in page
            ),
            page.next_after,
        )

    def own_payment(self, contact: Contact, payment_id: str) -> Payment:
        """A payment of ``contact``'s, on an invoice they can still see; ``NotFound`` otherwise."""
        payment = self._storage.get(Payment, payment_id) if inputs.is_identifier(payment_id) else None
        if payment is None or payment.contact_id != contact.id:
            raise NotFound(_("No such payment."))
        self._visibility.require_invoice(contact, payment.invoice_id)
        return payment

    def refresh(self, contact: Contact, payment_id: str) -> Payment:
        """The customer is back from their bank (3-D Secure): ask the processor now rather than
        wait for its webhook."""
        payment = self.own_payment(contact, payment_id)
        if payment.status not in OPEN or not payment.processor_ref:
            return payment
        return self._apply_outcome(payment.id, self._processor.retrieve(payment.processor_ref))

    def failures(self, contact: Contact) -> list[tuple[Payment, Invoice]]:
        """The contact's payments that failed or came back in the last ``FAILURE_NOTICE_DAYS``,
        on invoices still open and not paid again since: the dashboard's notice (the mail went
        out when it happened)."""
        if not section_visible(contact, Section.INVOICES, self._settings.current):
            return []
        since = self._clock.now() - timedelta(days=FAILURE_NOTICE_DAYS)
        return self._unresolved(self._failed_since(contact, since), since)

    def recent(
        self, contact: Contact, *, limit: int = RECENT_LIMIT, properties: Iterable[Property] | None = None
    ) -> list[tuple[Payment, Invoice]]:
        """The dashboard's "recent activity": the contact's latest ``limit`` payments, newest
        first, those on invoices they still see (VIS-2), each with its invoice; none while the
        invoices view is hidden from them (VIS-3, VIS-4). ``properties``: the contact's, when
        the page has read them (``visibility.properties``)."""
        if not section_visible(contact, Section.INVOICES, self._settings.current):
            return []
        found = self._storage.page(Payment, order=("created_at",), limit=limit, descending=True, contact_id=contact.id)
        return self._with_invoices(contact, found, properties)

    def activity(
        self, contact: Contact, *, limit: int = RECENT_LIMIT, properties: Iterable[Property] | None = None
    ) -> tuple[list[tuple[Payment, Invoice]], list[tuple[Payment, Invoice]]]:
        """``(failures(contact), recent(contact))``, the dashboard's two views of the contact's
        payments, from one read where it can: their latest ``ACTIVITY_READ`` payments, which on
        most dashboards hold every payment of the failure window; the window is read on its own
        only when they may not (issue 25)."""
        if not section_visible(contact, Section.INVOICES, self._settings.current):
            return [], []
        since = self._clock.now() - timedelta(days=FAILURE_NOTICE_DAYS)
        size = max(limit, ACTIVITY_READ)
        latest = self._storage.page(Payment, order=("created_at",), limit=size, descending=True, contact_id=contact.id)
        if len(latest) < size or latest[-1].created_at < since:  # the whole window is in what was read
            failed = [p for p in latest if p.status in (S.FAILED, S.RETURNED) and p.created_at >= since]
        else:
            failed = self._failed_since(contact, since)
        return self._unresolved(failed, since), self._with_invoices(contact, latest[:limit], properties)

    def _failed_since(self, contact: Contact, since: datetime) -> list[Payment]:
        return self._storage.find(
            Payment, contact_id=contact.id, status=In([S.FAILED, S.RETURNED]), created_at=AtLeast(since)
        )

    def _unresolved(self, failed: list[Payment], since: datetime) -> list[tuple[Payment, Invoice]]:
        """Of ``failed``, newest first, those on invoices still open and not paid again since."""
        if not failed:
            return []
        invoices = self._storage.get_many(Invoice, {p.invoice_id for p in failed})
        later = self._storage.find(Payment, invoice_id=In(list(invoices)), created_at=AtLeast(since))
        shown = []
        for payment in sorted(failed, key=lambda p: p.created_at, reverse=True):
            invoice = invoices.get(payment.invoice_id)
            retried = any(p.created_at > payment.created_at for p in later if p.invoice_id == payment.invoice_id)
            if invoice is not None and invoice.is_open and not invoice.archived and not retried:
                shown.append((payment, invoice))
        return shown

    def _with_invoices(
        self, contact: Contact, payments: list[Payment], properties: Iterable[Property] | None
    ) -> list[tuple[Payment, Invoice]]:
        shown = self._shown_invoices(contact, payments, properties) if payments else {}
        return [(p, shown[p.invoice_id]) for p in payments if p.invoice_id in shown]

    def contact_payments(
        self, contact: Contact, *, after: str | None = None, limit: object = DEFAULT_LIMIT
    ) -> tuple[Page[Payment], dict[str, Invoice]]:
        """The contact's own payments, newest first, on invoices they still see (VIS-2, VIS-3);
        one page, and the invoices they are on. A page may hold fewer than ``limit`` when some
        were on invoices no longer shown; ``next_after`` still continues it."""
        with self._settings.pinned():  # the settings read once; every read on one connection
            self._visibility.require_section(contact, Section.INVOICES)
            page: Page[Payment] = fetch(
                self._storage,
                Payment,
                order=("created_at",),
                descending=True,
                after=after,
                limit=limit,
                contact_id=contact.id,
            )
            shown = self._shown_invoices(contact, page, None)
        return Page(tuple(p for p in page if p.invoice_id in shown), page.next_after), shown

    def _shown_invoices(
        self, contact: Contact, payments: Iterable[Payment], properties: Iterable[Property] | None
    ) -> dict[str, Invoice]:
        """The invoices of ``payments`` the contact sees (VIS-2), by id."""
        invoices = self._storage.get_many(Invoice, {p.invoice_id for p in payments})
        props = {p.id: p for p in (self._visibility.properties(contact) if properties is None else properties)}
        config = self._settings.current
        return {
            i.id: i
            for i in invoices.values()
            if i.property_id in props and invoice_visible(contact, i, props[i.property_id], config)
        }

    def methods_used(self, contact: Contact, payments: Iterable[Payment]) -> dict[str, PaymentMethod]:
        """The contact's methods ``payments`` were made with, by id, removed or expired ones too:
        what the receipt names (PAY-7). Another contact's method is never returned."""
        found = self._storage.get_many(PaymentMethod, {p.method_id for p in payments if p.contact_id == contact.id})
        return {k: m for k, m in found.items() if m.contact_id == contact.id}

    def history(self, contact: Contact, invoice_id: str) -> list[Payment]:
        invoice, _prop = self._visibility.require_invoice(contact, invoice_id)
        return sorted(self._storage.find(Payment, invoice_id=invoice.id), key=lambda p: p.created_at)

    def _today(self) -> date:
        return self._clock.now().date()
