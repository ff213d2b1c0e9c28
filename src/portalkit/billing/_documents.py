"""The documents the portal prints (PAY-3, PRO-6): every one in the company's name, colours and
logo (BRD-1), rendered by the ``PdfRenderer`` the host supplies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import i18n
from .._core.files import Files
from .._core.signatures import check_signature
from ..models import Contact, Customer, Invoice, InvoiceLine, Property, Proposal
from ..ports import Clock, PdfRenderer, Storage
from ..settings import Settings


class Documents:
    """The PDFs customers and staff download; ``storage`` and ``clock`` give the invoice its
    bill-to and its Due / Overdue status."""

    def __init__(self, settings: Settings, files: Files, renderer: PdfRenderer, *, storage: Storage, clock: Clock):
        self._settings, self._files, self._renderer = settings, files, renderer
        self._storage, self._clock = storage, clock

    def _context(self, prop: Property | None) -> dict[str, Any]:
        """What every document gets: the company's name, look and portal address (``portal_url``,
        ``domain``), the property's name and ``today``."""
        config = self._settings.current
        key = config.branding.logo_key
        return {
            "company_name": config.company_name,
            "property_name": prop.name if prop else "",
            "branding": config.branding,
            "logo": self._files.get(key) if key else None,
            "language": i18n.active(),
            "portal_url": config.portal_url,
            "domain": config.domain,
            "today": self._clock.now().date(),
        }

    def _get(self, cls: type[Any], id: str | None) -> Any:
        return self._storage.get(cls, id) if id else None

    def _bill_to(self, invoice: Invoice, prop: Property) -> dict[str, str]:
        """Who the invoice is addressed to: its billing contact, else the property's billing or
        primary contact, with the customer's name and the contact's email ("" when unknown)."""
        contact = None
        for contact_id in (invoice.billing_contact_id, prop.billing_contact_id, prop.primary_contact_id):
            contact = self._get(Contact, contact_id)
            if contact is not None:
                break
        customer = self._get(Customer, prop.customer_id)
        return {
            "name": contact.name if contact is not None else "",
            "email": (contact.email or "") if contact is not None else "",
            "customer": customer.name if customer is not None else "",
        }

    def invoice(self, invoice: Invoice, prop: Property, lines: Sequence[InvoiceLine]) -> bytes:
        """The invoice with its lines and terms, whom it bills and, while it is open and payable
        in the portal, the link to pay it (``pay_url``)."""
        config = self._settings.current
        payable = config.electronic_payment_enabled and invoice.is_open and not invoice.payment_pending
        return self._renderer.render_invoice(
            invoice,
            {
                **self._context(prop),
                "lines": list(lines),
                "terms": invoice.terms,
                "bill_to": self._bill_to(invoice, prop),
                "pay_url": f"{config.portal_url}/invoices/{invoice.id}/pay" if payable else "",
            },
        )

    def statement(self, statement: Any) -> bytes:
        """An account statement (``statements.Statement``): per property, opening balance, the
        period's entries and closing balance."""
        config = self._settings.current
        payable = config.electronic_payment_enabled and statement.closing > 0
        return self._renderer.render_statement(
            statement, {**self._context(None), "pay_url": config.portal_url if payable else ""}
        )

    def proposal(self, proposal: Proposal, prop: Property) -> bytes:
        """The proposal with its services (optional ones marked chosen or not) and, once signed,
        the drawn signature, signer, time and address."""
        signature = proposal.signature
        image = self._files.get(signature.image_key) if signature is not None and signature.image_key else None
        return self._renderer.render_proposal(
            proposal,
            {**self._context(prop), "signature_image": image, "signature_check": check_signature(proposal, prop)},
        )
