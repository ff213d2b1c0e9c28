"""Autopay (issue 15): a contact authorises a saved method to pay their new invoices on the due
date. The consent keeps the words agreed to, the time and the address; it is revoked from the
profile, or when the method is removed. ``run()`` (the worker calls it) charges what is due,
retries a failed charge on the days of ``autopay_retry_days`` after the due date, and each
failure is told to the contact (``payment_failed``) and to the property's account owner
(``autopay_failed``)."""

from __future__ import annotations

from datetime import date

from .. import inputs
from .._core.retry import retry_on_conflict
from .._core.uow import UnitOfWork
from .._core.visibility import Section, Visibility, active, invoice_visible, section_visible
from ..errors import AutopayRevoked, PaymentPending, PermissionDenied, PortalError, ValidationError
from ..i18n import _
from ..models import AutopayConsent, Contact, Invoice, Payment, PaymentPlan, PlanStatus, Property
from ..ports import Clock, In, Storage
from ..settings import Settings
from ._payments import Payments, revoke_autopay


class Autopay:
    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        uow: UnitOfWork,
        settings: Settings,
        visibility: Visibility,
        payments: Payments,
    ):
        self._storage, self._clock, self._uow, self._settings = storage, clock, uow, settings
        self._visibility, self._payments = visibility, payments

    def consent(self, contact: Contact) -> AutopayConsent | None:
        """The contact's standing authorisation, if any."""
        found = self._storage.find(AutopayConsent, contact_id=contact.id, revoked_at=None)
        return found[0] if found else None

    def enable(self, contact: Contact, method_id: str, ip_address: str = "", *, agreed: bool) -> AutopayConsent:
        """Authorise ``method_id`` for autopay; ``agreed`` is the contact ticking the consent
        (``autopay_consent_text``), recorded word for word. An earlier consent is replaced."""
        config = self._settings.current
        if not config.autopay_enabled or not config.electronic_payment_enabled:
            raise PermissionDenied(_("Autopay is not offered."))
        if not section_visible(contact, Section.INVOICES, config):
            raise PermissionDenied(_("The invoices view is not available."))
        if inputs.flag(agreed, "agreed") is not True:
            raise ValidationError(_("Tick the authorisation to turn autopay on."), field="agreed")
        ip_address = inputs.text(ip_address, "ip_address", max_length=64, required=False)
        method = self._payments.require_method(contact, method_id)  # theirs, saved, not expired
        with self._uow():
            revoke_autopay(self._storage, self._clock.now(), contact_id=contact.id)
            return self._storage.insert(
                AutopayConsent(
                    contact_id=contact.id,
                    method_id=method.id,
                    consent_text=config.autopay_consent_text,
                    accepted_at=self._clock.now(),
                    ip_address=ip_address,
                )
            )

    def disable(self, contact: Contact) -> None:
        """Revoke the contact's autopay (the consent is kept, with when it ended). A charge being
        written at this moment finishes first (it holds the consent); no charge starts after."""

        def once() -> None:
            with self._uow():
                revoke_autopay(self._storage, self._clock.now(), contact_id=contact.id)

        retry_on_conflict(once)

    # -- the worker ----------------------------------------------------------------------------
    def run(self, today: date | None = None) -> int:
        """Charge every invoice due under a standing consent; the number of charges started.
        Safe to run at any time and in several workers: an attempt's idempotency key is the
        invoice and the attempt's number, so each attempt charges once."""
        config = self._settings.current
        if not config.autopay_enabled or not config.electronic_payment_enabled:
            return 0
        today = today or self._clock.now().date()
        started = 0
        for consent in self._storage.find(AutopayConsent, revoked_at=None):
            contact = self._storage.get(Contact, consent.contact_id)
            if contact is None or not active(contact) or not section_visible(contact, Section.INVOICES, config):
                continue
            for invoice, attempt in self._due(contact, consent, today):
                try:
                    self._payments.charge_automatically(contact, invoice, consent, attempt)
                    started += 1
                except PaymentPending:
                    continue
                except AutopayRevoked:  # turned off while this run went on: nothing more for this contact
                    break
                except PortalError:  # an expired or removed card: the consent can pay nothing more
                    with self._uow():
                        revoke_autopay(self._storage, self._clock.now(), method_id=consent.method_id)
                    break
        return started

    def _due(self, contact: Contact, consent: AutopayConsent, today: date) -> list[tuple[Invoice, int]]:
        """The contact's open invoices due by ``today`` with an attempt to make now — only those
        that came due once the consent stood, as its words say: an invoice already overdue when
        autopay was turned on is the contact's to pay; one a running payment plan pays is left to it."""
        since = consent.accepted_at.date()
        config = self._settings.current
        props = {p.id: p for p in self._visibility.properties(contact)}
        if not props:
            return []
        invoices = [
            i
            for i in self._storage.find(Invoice, property_id=In(list(props)), paid_on=None, archived=False)
            if since <= i.due_date <= today
            and not i.payment_pending
            and payer_of(i, props[i.property_id]) == contact.id
            and invoice_visible(contact, i, props[i.property_id], config)
        ]
        if not invoices:
            return []
        planned = {
            p.invoice_id
            for p in self._storage.find(PaymentPlan, invoice_id=In([i.id for i in invoices]), status=PlanStatus.ACTIVE)
        }
        invoices = [i for i in invoices if i.id not in planned]  # a payment plan pays those (PLN-*)
        if not invoices:
            return []
        tried: dict[str, int] = {}
        for p in self._storage.find(Payment, invoice_id=In([i.id for i in invoices])):
            if p.autopay_attempt:
                tried[p.invoice_id] = max(tried.get(p.invoice_id, 0), p.autopay_attempt)
        due = []
        for invoice in invoices:
            done = tried.get(invoice.id, 0)
            days = config.autopay_retry_days
            if done < len(days) and (today - invoice.due_date).days >= days[done]:
                due.append((invoice, done + 1))
        return due


def payer_of(invoice: Invoice, prop: Property) -> str | None:
    """Whose autopay pays an invoice: its billing contact, else the property's billing contact,
    else its primary contact (a primary contact's autopay never pays what is billed to another)."""
    return invoice.billing_contact_id or prop.billing_contact_id or prop.primary_contact_id
