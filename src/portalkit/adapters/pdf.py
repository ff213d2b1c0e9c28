"""The default PDF renderer, on fpdf2: invoices with their lines and terms, proposals with the
chosen optional services and the drawn signature, both in the company's colours with its logo.

``context`` (built by the portal) carries ``company_name``, ``property_name``, ``branding``
(:class:`~portalkit.config.Branding`), ``logo`` (image bytes or ``None``) and, for invoices,
``lines`` and ``terms``; for proposals, ``signature_image`` (PNG bytes or ``None``).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, Sequence

from fpdf import FPDF
from fpdf.fonts import FontFace

from ..config import Branding
from ..i18n import _, moment, short_day
from ..labels import label
from ..money import display

FONT = "helvetica"  # a core font: latin-1 text, no font files to ship


def _text(value: object) -> str:
    """Core fonts speak latin-1: anything else becomes '?', never an error."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _signed(amount: Decimal) -> str:
    return display(amount) if amount >= 0 else f"-{display(-amount)}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


class _Document(FPDF):
    def __init__(self, title: str, context: dict[str, Any]):
        super().__init__(format="letter")
        self.branding: Branding = context.get("branding") or Branding()
        self.set_title(_text(title))
        self.set_author(_text(context.get("company_name", "")))
        self.set_creator("portalkit")
        self.set_auto_page_break(True, margin=18)
        self.add_page()
        self._header(context)

    def _header(self, context: dict[str, Any]) -> None:
        """A band in the company's nav bar colour with its logo and name."""
        b = self.branding
        self.set_fill_color(*_rgb(b.nav_bar_colour))
        self.rect(0, 0, self.w, 28, style="F")
        x = self.l_margin
        logo = context.get("logo")
        if logo:
            try:
                self.image(io.BytesIO(logo), x=x, y=5, h=18)
                x += 40
            except Exception:  # an unreadable logo leaves the name alone, never a failed PDF
                pass
        self.set_xy(x, 9)
        self.set_text_color(*_rgb(b.nav_text_colour))
        self.set_font(FONT, "B", 16)
        self.cell(0, 10, _text(context.get("company_name", "")))
        self.set_text_color(*_rgb(b.dashboard_text_colour))
        self.set_y(36)

    def heading(self, text: str) -> None:
        self.set_font(FONT, "B", 14)
        self.cell(0, 9, _text(text), new_x="LMARGIN", new_y="NEXT")

    def line_of_text(self, text: str, size: int = 10, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, 5.5, _text(text), new_x="LMARGIN", new_y="NEXT")

    def rows(self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]], widths: tuple[int, ...],
             align: tuple[str, ...]) -> None:
        self.set_font(FONT, size=10)
        b = self.branding
        style = FontFace(emphasis="BOLD", color=_rgb(b.button_text_colour), fill_color=_rgb(b.button_colour))
        with self.table(col_widths=widths, text_align=align, headings_style=style,
                        borders_layout="HORIZONTAL_LINES", line_height=6) as table:
            for cells in (header, *rows):
                row = table.row()
                for cell in cells:
                    row.cell(_text(cell))
        self.ln(2)

    def done(self) -> bytes:
        return bytes(self.output())


class FpdfRenderer:
    """``PdfRenderer`` port: the portal's invoices and proposals as PDFs."""

    def render_invoice(self, invoice: Any, context: dict[str, Any]) -> bytes:
        title = _("Invoice %(number)s") % {"number": invoice.number}
        doc = _Document(title, context)
        doc.heading(title)
        doc.line_of_text(_("Property: %(place)s") % {"place": context.get("property_name", "")})
        doc.line_of_text(_("Invoice date: %(day)s") % {"day": short_day(invoice.invoice_date)} + "    "
                         + _("Due date: %(day)s (net %(days)d)") % {"day": short_day(invoice.due_date),
                                                                   "days": invoice.net_days})
        doc.ln(3)
        lines = context.get("lines") or ()
        if lines:
            doc.rows((_("Description"), _("Quantity"), _("Unit price"), _("Amount")),
                     [(ln.description, _quantity(ln.quantity), display(ln.unit_price), display(ln.amount))
                      for ln in lines], (100, 25, 30, 30), ("LEFT", "RIGHT", "RIGHT", "RIGHT"))
        doc.line_of_text(_("Invoice amount: %(amount)s") % {"amount": display(invoice.amount)}, 12, "B")
        doc.line_of_text(_("Amount due: %(amount)s") % {"amount": display(invoice.amount_due)}, 12, "B")
        if invoice.pending_amount:
            doc.line_of_text(_("Payment pending: %(amount)s") % {"amount": display(invoice.pending_amount)}, 11)
        terms = context.get("terms") or ""
        if terms:
            doc.ln(4)
            doc.line_of_text(_("Terms"), 11, "B")
            doc.line_of_text(terms, 9)
        return doc.done()

    def render_statement(self, statement: Any, context: dict[str, Any]) -> bytes:
        """An account statement: per property, opening balance, entries and closing balance."""
        period = _("%(start)s to %(end)s") % {"start": short_day(statement.start), "end": short_day(statement.end)}
        doc = _Document(_("Account statement") + " · " + period, context)
        doc.heading(_("Account statement"))
        doc.line_of_text(f"{statement.contact.name} · {period}")
        doc.ln(3)
        if not statement.properties:
            doc.line_of_text(_("No invoices in this period."))
        for part in statement.properties:
            doc.line_of_text(part.place.name, 12, "B")
            rows = [("", _("Opening balance"), _signed(part.opening))]
            rows += [(short_day(e.on), e.description, _signed(e.amount)) for e in part.entries]
            rows.append(("", _("Closing balance"), _signed(part.closing)))
            doc.rows((_("Date"), _("Description"), _("Amount")), rows, (30, 125, 30), ("LEFT", "LEFT", "RIGHT"))
        doc.line_of_text(_("Balance due: %(amount)s") % {"amount": _signed(statement.closing)}, 12, "B")
        return doc.done()

    def render_proposal(self, proposal: Any, context: dict[str, Any]) -> bytes:
        title = _("Proposal %(number)s") % {"number": proposal.number}
        doc = _Document(title, context)
        doc.heading(title)
        doc.line_of_text(_("Property: %(place)s") % {"place": context.get("property_name", "")})
        doc.line_of_text(proposal.description)
        doc.line_of_text(_("Estimated start: %(day)s") % {"day": short_day(proposal.estimated_start)} + "    "
                         + _("Status: %(status)s") % {"status": label(proposal.status)})
        doc.ln(3)
        sig = proposal.signature
        chosen = set(sig.selected_service_ids) if sig else set()

        def kind(service: Any) -> str:
            if not service.optional:
                return _("Included")
            if sig is None:
                return _("Optional")
            return _("Optional, chosen") if service.id in chosen else _("Optional, not chosen")

        doc.rows((_("Service"), "", _("Price")), [(s.name, kind(s), display(s.price)) for s in proposal.services],
                 (110, 45, 30), ("LEFT", "LEFT", "RIGHT"))
        doc.line_of_text(_("Cost: %(amount)s") % {"amount": display(proposal.cost)}, 12, "B")
        if sig:
            doc.ln(4)
            doc.line_of_text(_("Accepted total: %(amount)s") % {"amount": display(sig.total)}, 12, "B")
            image = context.get("signature_image")
            if image:
                try:
                    doc.image(io.BytesIO(image), w=70)
                except Exception:
                    doc.line_of_text(_("(the signature image could not be read)"), 9)
            doc.line_of_text(_("Signed by %(name)s on %(moment)s UTC from %(address)s")
                             % {"name": sig.signer_name, "moment": moment(sig.signed_at), "address": sig.ip_address}, 10)
            check = context.get("signature_check")
            if check is not None and sig.document_sha256:
                self._certificate(doc, sig, check)
        return doc.done()

    @staticmethod
    def _certificate(doc: _Document, sig: Any, check: Any) -> None:
        """The audit certificate, on a page of its own after the signed proposal."""
        doc.add_page()
        doc.heading(_("Electronic signature certificate"))
        rows = [(_("Signer"), sig.signer_name), (_("Email"), sig.signer_email or "-"),
                (_("Signed at"), f"{sig.signed_at:%Y-%m-%d %H:%M:%S} UTC"), (_("From address"), sig.ip_address or "-"),
                (_("Browser"), sig.user_agent or "-"), (_("Agreed to"), sig.consent_text or "-"),
                (_("Accepted total"), display(sig.total)), (_("Document SHA-256 when signed"), sig.document_sha256),
                (_("Document now"), _("unchanged since signing") if check.unchanged
                 else _("CHANGED since signing (now %(sha256)s)") % {"sha256": check.current_sha256})]
        doc.rows(("", ""), rows, (50, 135), ("LEFT", "LEFT"))
