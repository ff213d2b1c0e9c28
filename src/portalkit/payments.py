"""Payment methods and the payment state machine (PAY-4..7).

    initiated --submit ok--> pending --processor settles--> settled --staff refund--> refunded
        \\--submit refused--> failed      \\--processor declines--> failed

From *initiated* until the payment ends, the invoice carries the amount as ``pending_amount``
and refuses another payment (PAY-3), also under concurrent requests: the invoice row is updated
compare-and-swap, and each attempt has an idempotency key. Settlement applies exactly once.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from . import inputs, money
from .directory import lookup
from .errors import Conflict, InvalidTransition, NotFound, PaymentPending, PaymentsDisabled, ValidationError
from .events import PaymentFailed, PaymentRefunded, PaymentSettled
from .mails import MailTemplates
from .models import (Contact, Invoice, MethodKind, Payment, PaymentMethod, PaymentStatus, Permission, Property,
                     StaffUser)
from .outbox import Outbox
from .permissions import require
from .ports import Clock, PaymentProcessor, Storage
from .retry import retry_on_conflict
from .settings import Settings
from .uow import UnitOfWork
from .visibility import Section, Visibility

_ACH = re.compile(r"([0-9]{9})/([0-9]{4,17})", re.ASCII)
_CARD_BRANDS = (("4", "Visa"), ("5", "Mastercard"), ("34", "American Express"), ("37", "American Express"), ("6", "Discover"))

TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.INITIATED: frozenset({PaymentStatus.PENDING, PaymentStatus.FAILED}),
    PaymentStatus.PENDING: frozenset({PaymentStatus.SETTLED, PaymentStatus.FAILED}),
    PaymentStatus.SETTLED: frozenset({PaymentStatus.REFUNDED}),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.REFUNDED: frozenset(),
}


def aba_checksum_ok(routing: str) -> bool:
    """ABA routing number check: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)."""
    if len(routing) != 9 or not inputs.ascii_digits(routing):
        return False
    d = [int(c) for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def luhn_ok(number: str) -> bool:
    if not inputs.ascii_digits(number) or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, c in enumerate(reversed(number)):
        n = int(c) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def parse_ach(entry: str) -> tuple[str, str]:
    """PAY-4: ``routing/account``, digits and one "/" only, routing passing the ABA checksum."""
    match = _ACH.fullmatch(entry.strip()) if isinstance(entry, str) else None
    if not match:
        raise ValidationError('Enter the bank account as routing/account: digits and one "/" only.', field="ach")
    routing, account = match.groups()
    if not aba_checksum_ok(routing):
        raise ValidationError("That routing number is not valid.", field="ach")
    return routing, account


def step(payment: Payment, to: PaymentStatus, **changes: Any) -> Payment:
    """The one place a payment changes state; refused moves raise ``InvalidTransition``."""
    if to not in TRANSITIONS[payment.status]:
        raise InvalidTransition(f"A {payment.status.value} payment cannot become {to.value}.")
    return attrs.evolve(payment, status=to, **changes)


@attrs.frozen
class Quote:
    """The Make Payment screen's figures (PAY-5). No fee on ACH."""

    amount: Decimal
    fee: Decimal
    total: Decimal
    amount_remaining: Decimal


class Payments:
    def __init__(self, storage: Storage, clock: Clock, uow: UnitOfWork, settings: Settings, visibility: Visibility,
                 outbox: Outbox, mails: MailTemplates, processor: PaymentProcessor):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._visibility, self._outbox, self._mails, self._processor = visibility, outbox, mails, processor

    # -- payment methods -------------------------------------------------------------------
    def add_card(self, contact: Contact, number: str, exp_month: int, exp_year: int, *, make_default: bool = False) -> PaymentMethod:
        """A credit or debit card; only brand, last 4 and expiry are kept."""
        number = re.sub(r"[ -]", "", number) if isinstance(number, str) else ""
        if not luhn_ok(number):
            raise ValidationError("That card number is not valid.", field="number")
        inputs.integer(exp_month, "exp_month", minimum=1, maximum=12)
        inputs.integer(exp_year, "exp_year", minimum=2000, maximum=2100)
        make_default = inputs.flag(make_default, "make_default")
        method = PaymentMethod(
            contact_id=contact.id, kind=MethodKind.CARD, last4=number[-4:], exp_month=exp_month, exp_year=exp_year,
            brand=next((b for p, b in _CARD_BRANDS if number.startswith(p)), "Card"),
            label="",
        )
        if method.expired(self._today()):
            raise ValidationError("That card has expired.", field="expiry")
        return self._add_method(contact, attrs.evolve(method, label=f"{method.brand} ending {method.last4}"), make_default)

    def add_ach(self, contact: Contact, entry: str, *, make_default: bool = False) -> PaymentMethod:
        routing, account = parse_ach(entry)
        make_default = inputs.flag(make_default, "make_default")
        method = PaymentMethod(contact_id=contact.id, kind=MethodKind.ACH, last4=account[-4:], routing_number=routing,
                               label=f"Bank account ending {account[-4:]}")
        return self._add_method(contact, method, make_default)

    def _add_method(self, contact: Contact, method: PaymentMethod, make_default: bool) -> PaymentMethod:
        self._require_payments(contact)
        with self._uow():
            first = not self.methods(contact)
            method = self._storage.insert(attrs.evolve(method, is_default=False))
            if make_default or first:
                method = self.set_default(contact, method.id)
            return method

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
        with self._uow():
            method = self._own_method(contact, method_id)
            self._storage.update(attrs.evolve(method, removed=True, is_default=False))

    def _own_method(self, contact: Contact, method_id: str) -> PaymentMethod:
        method = self._storage.get(PaymentMethod, method_id) if inputs.is_identifier(method_id) else None
        if method is None or method.contact_id != contact.id or method.removed:
            raise NotFound("No such payment method.")
        if method.expired(self._today()):
            raise ValidationError("That card has expired.", field="method")
        return method

    # -- making a payment ------------------------------------------------------------------
    def quote(self, contact: Contact, invoice_id: str, method_id: str, amount: object) -> Quote:
        invoice = self._payable(contact, invoice_id)
        method = self._own_method(contact, method_id)
        value = money.parse(amount)
        if value <= 0 or value > invoice.amount_due:
            raise ValidationError(f"Enter an amount above 0 and at most {invoice.amount_due}.", field="amount")
        fee = money.percent_of(value, self._settings.current.convenience_fee_percent) if method.kind is MethodKind.CARD else Decimal("0.00")
        return Quote(value, fee, value + fee, invoice.amount_due)

    def pay(self, contact: Contact, invoice_id: str, method_id: str, amount: object, idempotency_key: str) -> Payment:
        """Start a payment; it stays pending until the processor settles it (PAY-5, PAY-6).

        Repeating a call with the same ``idempotency_key`` returns the same payment.
        """
        if not isinstance(idempotency_key, str) or not idempotency_key or len(idempotency_key) > 128:
            raise ValidationError("Each payment attempt needs an idempotency key.", field="idempotency_key")
        existing = self._by_key(idempotency_key)
        if existing is not None:
            return self._same_attempt(existing, contact, invoice_id)
        quote = self.quote(contact, invoice_id, method_id, amount)
        method = self._own_method(contact, method_id)
        try:
            with self._uow():
                invoice = self._payable(contact, invoice_id)
                payment = self._storage.insert(
                    Payment(invoice_id=invoice.id, contact_id=contact.id, method_id=method.id, method_kind=method.kind,
                            amount=quote.amount, fee=quote.fee, idempotency_key=idempotency_key,
                            created_at=self._clock.now())
                )
                self._storage.update(attrs.evolve(invoice, pending_amount=quote.amount))
        except Conflict as exc:
            existing = self._by_key(idempotency_key)
            if existing is not None:
                return self._same_attempt(existing, contact, invoice_id)
            raise PaymentPending() from exc
        return self._submit(payment, method)

    def _submit(self, payment: Payment, method: PaymentMethod) -> Payment:
        try:
            ref = self._processor.submit(payment, method)
        except Exception as exc:  # the processor refused at once: lift the block, change no balance
            return self._finish(payment, PaymentStatus.FAILED, reason=str(exc) or "declined")
        with self._uow():
            current = lookup(self._storage, Payment, payment.id)
            if current.status is not PaymentStatus.INITIATED:  # settled before we recorded the ref
                return current
            return self._storage.update(step(current, PaymentStatus.PENDING, processor_ref=ref))

    def _by_key(self, key: str) -> Payment | None:
        found = self._storage.find(Payment, idempotency_key=key)
        return found[0] if found else None

    @staticmethod
    def _same_attempt(payment: Payment, contact: Contact, invoice_id: str) -> Payment:
        if payment.contact_id != contact.id or payment.invoice_id != invoice_id:
            raise ValidationError("That idempotency key belongs to another payment.", field="idempotency_key")
        return payment

    def _payable(self, contact: Contact, invoice_id: str) -> Invoice:
        self._require_payments(contact)
        invoice, _ = self._visibility.require_invoice(contact, invoice_id)
        if invoice.payment_pending:
            raise PaymentPending()
        if not invoice.is_open:
            raise InvalidTransition("This invoice is paid.")
        return invoice

    def _require_payments(self, contact: Contact) -> None:
        if not self._settings.current.electronic_payment_enabled:
            raise PaymentsDisabled()
        self._visibility.require_section(contact, Section.INVOICES)

    # -- settlement (the processor's callback) ---------------------------------------------
    def settle(self, processor_ref: str, succeeded: bool, reason: str = "") -> Payment:
        """Apply the processor's answer exactly once; repeats of the same answer change nothing."""
        processor_ref = inputs.text(processor_ref, "processor_ref", max_length=255)
        succeeded = inputs.flag(succeeded, "succeeded")
        reason = inputs.text(reason, "reason", max_length=500, required=False)
        found = self._storage.find(Payment, processor_ref=processor_ref)
        if not found:
            raise NotFound(f"No payment with processor reference {processor_ref}")
        payment = found[0]
        if payment.status is not PaymentStatus.PENDING:
            return payment
        return self._finish(payment, PaymentStatus.SETTLED if succeeded else PaymentStatus.FAILED, reason=reason)

    def _finish(self, payment: Payment, to: PaymentStatus, reason: str = "") -> Payment:
        return retry_on_conflict(lambda: self._finish_once(payment, to, reason))

    def _finish_once(self, payment: Payment, to: PaymentStatus, reason: str) -> Payment:
        with self._uow():
            current = lookup(self._storage, Payment, payment.id)
            if current.status not in (PaymentStatus.INITIATED, PaymentStatus.PENDING):
                return current
            invoice = lookup(self._storage, Invoice, current.invoice_id)
            pending = max(invoice.pending_amount - current.amount, Decimal("0.00"))
            if to is PaymentStatus.SETTLED:
                due = invoice.amount_due - current.amount
                invoice = attrs.evolve(invoice, amount_due=due, pending_amount=pending,
                                       paid_on=self._today() if due == 0 else invoice.paid_on)
                done = step(current, to, settled_at=self._clock.now())
            else:
                invoice = attrs.evolve(invoice, pending_amount=pending)
                done = step(current, PaymentStatus.FAILED, failure_reason=reason or "declined")
            self._storage.update(invoice)
            done = self._storage.update(done)
            self._announce(done, invoice)
            return done

    def _announce(self, payment: Payment, invoice: Invoice) -> None:
        """PAY-6, PAY-7: an event for the host; receipts to subscribed contacts who can see the
        invoice when settled; the paying contact is told when it failed."""
        company = self._settings.current.company_id
        common: dict[str, Any] = dict(event_id=f"payment:{payment.id}:{payment.status.value}", company_id=company,
                      payment_id=payment.id, invoice_id=invoice.id, contact_id=payment.contact_id,
                      amount=payment.amount, fee=payment.fee, processor_ref=payment.processor_ref)
        if payment.status is PaymentStatus.SETTLED:
            self._outbox.event(PaymentSettled(amount_due=invoice.amount_due, **common))
            for contact in self._receipt_contacts(payment, invoice):
                self._outbox.mail(self._mails.render("payment_receipt", (contact.address,), contact=contact,
                                                     invoice=invoice, payment=payment),
                                  dedup_key=f"receipt:{payment.id}:{contact.id}")
            return
        self._outbox.event(PaymentFailed(reason=payment.failure_reason, **common))
        payer = self._storage.get(Contact, payment.contact_id)
        if payer is not None and payer.email:
            self._outbox.mail(self._mails.render("payment_failed", (payer.email,), contact=payer, invoice=invoice,
                                                 payment=payment), dedup_key=f"payment-failed:{payment.id}")

    def _receipt_contacts(self, payment: Payment, invoice: Invoice) -> list[Contact]:
        prop = lookup(self._storage, Property, invoice.property_id)
        ids = list(dict.fromkeys(i for i in (payment.contact_id, prop.primary_contact_id, invoice.billing_contact_id) if i))
        contacts = self._storage.get_many(Contact, ids)
        return [c for c in contacts.values() if c.receipts_opt_in and c.email]

    def refund(self, staff: StaffUser, payment_id: str) -> Payment:
        """Staff: a settled payment is refunded and its amount is due again."""
        require(staff, Permission.MANAGE_BILLING)
        with self._uow():
            payment = lookup(self._storage, Payment, payment_id)
            refunded = self._storage.update(step(payment, PaymentStatus.REFUNDED))
            invoice = lookup(self._storage, Invoice, payment.invoice_id)
            invoice = self._storage.update(attrs.evolve(invoice, amount_due=invoice.amount_due + payment.amount,
                                                        paid_on=None))
            self._outbox.event(PaymentRefunded(
                event_id=f"payment:{payment.id}:refunded", company_id=self._settings.current.company_id,
                payment_id=payment.id, invoice_id=invoice.id, contact_id=payment.contact_id, amount=payment.amount,
                fee=payment.fee, processor_ref=payment.processor_ref, refunded_by=staff.email,
                amount_due=invoice.amount_due))
            return refunded

    def history(self, contact: Contact, invoice_id: str) -> list[Payment]:
        invoice, _ = self._visibility.require_invoice(contact, invoice_id)
        return sorted(self._storage.find(Payment, invoice_id=invoice.id), key=lambda p: p.created_at)

    def _today(self) -> date:
        return self._clock.now().date()
