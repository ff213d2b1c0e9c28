"""A dependency-free PDF renderer for invoices and proposals (PDF 1.4, Helvetica, text only)."""

from __future__ import annotations

from typing import Any, Iterable

from ..money import display

PAGE_W, PAGE_H, MARGIN, LEADING = 612, 792, 56, 16
LINES_PER_PAGE = (PAGE_H - 2 * MARGIN) // LEADING


def _escape(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render_lines(lines: Iterable[tuple[str, int]]) -> bytes:
    """A PDF of ``(text, font_size)`` lines, paginated."""
    lines = list(lines) or [("", 11)]
    pages = [lines[i:i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: pages; filled in below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_ids = []
    for page in pages:
        y = PAGE_H - MARGIN
        ops = ["BT"]
        for text, size in page:
            ops.append(f"/F1 {size} Tf 1 0 0 1 {MARGIN} {y} Tm ({_escape(text)}) Tj")
            y -= LEADING
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_W, PAGE_H, content_id)
        )
        page_ids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


class SimplePdfRenderer:
    def render_invoice(self, invoice: Any, context: dict[str, Any]) -> bytes:
        lines = [
            (context.get("company_name", ""), 18),
            (f"Invoice {invoice.number}", 14),
            (f"Property: {context.get('property_name', '')}", 11),
            (f"Invoice date: {invoice.invoice_date.isoformat()}", 11),
            (f"Due date: {invoice.due_date.isoformat()} (net {invoice.net_days})", 11),
            ("", 11),
            (f"Invoice amount: {display(invoice.amount)}", 12),
            (f"Amount due: {display(invoice.amount_due)}", 12),
        ]
        if invoice.pending_amount:
            lines.append((f"Payment pending: {display(invoice.pending_amount)}", 12))
        return render_lines(lines)

    def render_proposal(self, proposal: Any, context: dict[str, Any]) -> bytes:
        lines = [
            (context.get("company_name", ""), 18),
            (f"Proposal {proposal.number}", 14),
            (f"Property: {context.get('property_name', '')}", 11),
            (proposal.description, 11),
            (f"Estimated start: {proposal.estimated_start.isoformat()}", 11),
            (f"Status: {proposal.status.value}", 11),
            ("", 11),
        ]
        sig = proposal.signature
        chosen = set(sig.selected_service_ids) if sig else set()
        for s in proposal.services:
            mark = ("[chosen] " if s.id in chosen else "[optional, not chosen] " if sig else "[optional] ") \
                if s.optional else ""
            lines.append((f"{mark}{s.name}: {display(s.price)}", 11))
        lines.append((f"Cost: {display(proposal.cost)}", 12))
        if sig:
            lines.append((f"Signed by {sig.signer_name} on {sig.signed_at:%Y-%m-%d %H:%M} UTC, total {display(sig.total)}", 11))
        return render_lines(lines)
