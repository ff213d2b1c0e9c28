"""The documents the portal prints (PAY-3, PRO-6): every one in the company's name, colours and
logo (BRD-1), rendered by the ``PdfRenderer`` the host supplies."""

from __future__ import annotations

from typing import Any, Sequence

from . import i18n
from .files import Files
from .models import InvoiceLine, Invoice, Property, Proposal
from .ports import PdfRenderer
from .settings import Settings
from .signatures import check_signature


class Documents:
    def __init__(self, settings: Settings, files: Files, renderer: PdfRenderer):
        self._settings, self._files, self._renderer = settings, files, renderer

    def _context(self, prop: Property | None) -> dict[str, Any]:
        config = self._settings.current
        key = config.branding.logo_key
        return {"company_name": config.company_name, "property_name": prop.name if prop else "",
                "branding": config.branding, "logo": self._files.get(key) if key else None,
                "language": i18n.active()}

    def invoice(self, invoice: Invoice, prop: Property, lines: Sequence[InvoiceLine]) -> bytes:
        """The invoice with its lines and terms."""
        return self._renderer.render_invoice(invoice, {**self._context(prop), "lines": list(lines),
                                                       "terms": invoice.terms})

    def statement(self, statement: Any) -> bytes:
        """An account statement (``statements.Statement``): per property, opening balance, the
        period's entries and closing balance."""
        return self._renderer.render_statement(statement, self._context(None))

    def proposal(self, proposal: Proposal, prop: Property) -> bytes:
        """The proposal with its services (optional ones marked chosen or not) and, once signed,
        the drawn signature, signer, time and address."""
        signature = proposal.signature
        image = self._files.get(signature.image_key) if signature is not None and signature.image_key else None
        return self._renderer.render_proposal(proposal, {**self._context(prop), "signature_image": image,
                                                         "signature_check": check_signature(proposal, prop)})
