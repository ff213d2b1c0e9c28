"""The default PDF renderer, on fpdf2: invoices with their lines and terms, statements, proposals
with the chosen optional services and the drawn signature, all in the company's colours with its
logo, every page numbered ("Page 1 of 2").

``context`` (built by :class:`portalkit.billing.Documents`) carries ``company_name``,
``property_name``, ``branding`` (:class:`~portalkit.config.Branding`), ``logo`` (image bytes or
``None``) and, when known, ``portal_url``, ``domain`` and ``today``; for invoices ``lines``,
``terms``, ``bill_to`` (``name``, ``email``, ``customer``) and ``pay_url`` ("" when there is
nothing to pay online); for statements ``pay_url``; for proposals ``signature_image`` (PNG bytes or
``None``) and ``signature_check``. Every key but ``branding`` may be missing.

Readability (issue 24): every colour that text is printed on is chosen with the text's colour,
by WCAG contrast (at least 4.5:1): brand-coloured bands carry white or near-black text, whichever
reads better; table rows are white or a very light stripe with dark text, never the band's colour.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, cast

from fpdf import FPDF
from fpdf.fonts import CoreFont
from PIL import Image

from ..config import Branding
from ..i18n import _, moment, short_day
from ..labels import label
from ..money import display

FONT = "helvetica"  # a core font: latin-1 text, no font files to ship

RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)
INK: RGB = (26, 31, 54)  # near-black body text
MUTED: RGB = (84, 89, 105)  # secondary text: 7:1 on white, 6:1 on the stripes
RULE: RGB = (227, 232, 238)  # hairlines between rows
STRIPE: RGB = (246, 248, 250)  # every other table row
MIN_CONTRAST = 4.5  # WCAG AA for normal text

# status badges: (fill, text), each pair above 5:1
PAID: tuple[RGB, RGB] = ((215, 247, 194), (0, 105, 8))
DUE: tuple[RGB, RGB] = ((227, 232, 238), (60, 66, 87))
OVERDUE: tuple[RGB, RGB] = ((255, 231, 242), (179, 9, 60))
PENDING: tuple[RGB, RGB] = ((252, 237, 185), (168, 44, 0))

MARGIN = 18.0
LINE = 5.0  # the height of a line of table text
PAD_X, PAD_Y = 2.5, 1.8  # a table cell's padding


# what locale data and typed text bring that latin-1 lacks, as its nearest latin-1 look-alike
_LATIN1 = str.maketrans(
    {
        "\u202f": " ",
        "\u00a0": " ",
        "\u2009": " ",
        "\u2007": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u2022": "\xb7",
    }
)


def _text(value: object) -> str:
    """Core fonts speak latin-1: typographic spaces, dashes and quotes become their latin-1
    look-alikes, anything else '?', never an error."""
    return str(value).translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def _rgb(colour: str) -> RGB:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _signed(amount: Decimal) -> str:
    return display(amount) if amount >= 0 else f"-{display(-amount)}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def luminance(colour: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0 black .. 1 white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def ink_on(fill: RGB, preferred: RGB | None = None) -> RGB:
    """The text colour for ``fill``: ``preferred`` when it reads at 4.5:1, else white or
    near-black, whichever contrasts more; black when neither reaches 4.5:1 (black always does
    where white does not)."""
    if preferred is not None and contrast(preferred, fill) >= MIN_CONTRAST:
        return preferred
    best = max((WHITE, INK), key=lambda c: contrast(c, fill))
    return best if contrast(best, fill) >= MIN_CONTRAST else BLACK


def tint(colour: RGB, amount: float) -> RGB:
    """``colour`` at ``amount`` (0..1) over white: 0.08 is a pale wash of it."""
    r, g, b = (round(255 - (255 - c) * amount) for c in colour)
    return r, g, b


def _host(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")


class _Document(FPDF):
    """A letter page with the company's band on top, a footer with the document's name and the page
    number, and the building blocks of the three documents."""

    def __init__(self, title: str, context: dict[str, Any]):
        super().__init__(format="letter")
        self.context = context
        self.branding: Branding = context.get("branding") or Branding()
        b = self.branding
        self.brand = _rgb(b.nav_bar_colour)
        self.brand_ink = ink_on(self.brand, _rgb(b.nav_text_colour))
        self.accent = self.brand if contrast(self.brand, WHITE) >= MIN_CONTRAST else INK  # links, rules
        self.wash = tint(self.brand, 0.08)  # behind the amount due and the total rows
        self.wash_ink = ink_on(self.wash, INK)
        self.title_text = _text(title)
        self.company = _text(context.get("company_name", ""))
        self.set_title(self.title_text)
        self.set_author(self.company)
        self.set_creator("portalkit")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=20)
        self.add_page()

    # -- page furniture --------------------------------------------------------------------------
    def header(self) -> None:
        if self.page_no() == 1:
            self._band()
        else:  # later pages: a thin strip of the brand colour only
            self.set_fill_color(*self.brand)
            self.rect(0, 0, self.w, 3, style="F")
            self.set_y(MARGIN)

    def _band(self) -> None:
        """The company's band: logo, name and how to reach it (portal address, domain)."""
        self.set_fill_color(*self.brand)
        self.rect(0, 0, self.w, 30, style="F")
        x = self.l_margin
        logo = self.context.get("logo")
        if logo:
            try:
                with Image.open(io.BytesIO(logo)) as picture:  # at most 16 mm high and 60 mm wide
                    height = min(16.0, 60.0 * picture.height / picture.width)
                info = self.image(io.BytesIO(logo), x=x, y=15 - height / 2, h=height)
                x += float(info.rendered_width) + 6
            except Exception:  # an unreadable logo leaves the name alone, never a failed PDF
                pass
        room = self.w - self.r_margin - x
        self.set_text_color(*self.brand_ink)
        self.set_xy(x, 8)
        self._fitted(self.company, room, 16, "B")
        details = [
            d
            for d in dict.fromkeys(
                [_text(self.context.get("domain") or ""), _text(_host(self.context.get("portal_url") or ""))]
            )
            if d
        ]
        if details:
            self.set_xy(x, 17)
            self._fitted("  \xb7  ".join(details), room, 9, "")
        self.set_y(40)

    def _fitted(self, text: str, room: float, size: float, style: str) -> None:
        """``text`` on one line of ``room`` mm: smaller down to 60 % of ``size``, then cut short."""
        smallest = size * 0.6
        self.set_font(FONT, style, size)
        while self.get_string_width(text) > room and self.font_size_pt > smallest:
            self.set_font_size(self.font_size_pt - 0.5)
        if self.get_string_width(text) > room:
            while len(text) > 1 and self.get_string_width(text + "...") > room:
                text = text[:-1]
            text = text.rstrip() + "..."
        self.cell(room, self.font_size_pt * 0.5, text)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.y, self.w - self.r_margin, self.y)
        self.set_y(self.y + 2)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        half = self.epw / 2
        self.cell(half, 5, f"{self.company} \xb7 {self.title_text}" if self.company else self.title_text)
        alias = self.str_alias_nb_pages  # replaced by the page count when the file is written: the
        slack = self.get_string_width(alias) - self.get_string_width("9")  # right edge as if 1 digit
        self.cell(
            half + slack,
            5,
            _text(_("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": alias}),
            align="R",
        )

    # -- blocks ----------------------------------------------------------------------------------
    def title_line(self, text: str, badge: tuple[str, tuple[RGB, RGB]] | None = None) -> None:
        """The document's title, large, with a status badge at the right."""
        y = self.y
        self.set_text_color(*INK)
        self.set_font(FONT, "B", 20)
        self.cell(0, 10, _text(text))
        if badge:
            words, (fill, ink) = badge
            self.set_font(FONT, "B", 9)
            width = self.get_string_width(_text(words)) + 8
            self.set_fill_color(*fill)
            try:
                self.rect(
                    self.w - self.r_margin - width, y + 2, width, 6.5, style="F", round_corners=True, corner_radius=1.5
                )
            except TypeError:  # fpdf2 before 2.7.5: square corners
                self.rect(self.w - self.r_margin - width, y + 2, width, 6.5, style="F")
            self.set_text_color(*ink)
            self.set_xy(self.w - self.r_margin - width, y + 2)
            self.cell(width, 6.5, _text(words), align="C")
        self.set_xy(self.l_margin, y + 11)

    def text_line(
        self,
        text: str,
        size: float = 9.5,
        style: str = "",
        colour: RGB = INK,
        height: float = 5,
        width: float = 0,
        align: str = "L",
        link: str = "",
    ) -> None:
        self.set_font(FONT, style, size)
        self.set_text_color(*colour)
        x = self.x
        self.multi_cell(width, height, _text(text), align=align, new_x="LEFT", new_y="NEXT", link=link or None)
        self.set_x(x)

    def label(self, text: str) -> None:
        """A small muted caption over a block ("Bill to")."""
        self.text_line(text, 8, "B", MUTED, 4.5)

    def callout(
        self,
        lines: Sequence[tuple[str, float, str]],
        pay_url: str = "",
        x: float | None = None,
        width: float | None = None,
    ) -> float:
        """A pale panel in the brand's wash with a brand-coloured edge: the amount due, large.
        ``lines`` are (text, size, style). Returns its bottom."""
        x = self.l_margin if x is None else x
        width = self.epw if width is None else width
        heights = [size * 0.5 + 1.2 for _text_, size, _style in lines] + ([5.0] if pay_url else [])
        height = sum(heights) + 8
        top = self.y
        self.set_fill_color(*self.wash)
        self.rect(x, top, width, height, style="F")
        self.set_fill_color(*self.brand)
        self.rect(x, top, 1.2, height, style="F")
        self.set_xy(x + 6, top + 4)
        for (text, size, style), h in zip(lines, heights):
            self.text_line(
                text, size, style, self.wash_ink if style == "B" else ink_on(self.wash, MUTED), h, width - 10
            )
        if pay_url:
            self.set_text_color(*ink_on(self.wash, self.accent))
            shown = self.context.get("portal_url") or pay_url
            self.set_font(FONT, "U", 9.5)
            self.multi_cell(
                width - 10,
                5,
                _text(_("Pay online: %(url)s") % {"url": shown}),
                new_x="LEFT",
                new_y="NEXT",
                link=pay_url,
            )
        self.set_xy(self.l_margin, top + height)
        return top + height

    def section(self, text: str) -> None:
        self.ln(2)
        self.text_line(text, 11.5, "B", INK, 7)

    def rows(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str],
        *,
        totals: Sequence[int] = (),
        quiet: Sequence[int] = (),
        label_column: bool = False,
        compact: bool = False,
    ) -> None:
        """A table: a header band in the brand colour (repeated on every page it runs on), rows on
        white and a very light stripe with dark text, numbers aligned right as ``align`` says.
        Rows at the indexes in ``totals`` are emphasised (bold on the brand's wash under a rule),
        those in ``quiet`` muted. ``label_column``: no header; the first column is a bold caption.
        ``compact``: tighter rows, for long lists."""
        scale = self.epw / sum(widths)
        cols = [w * scale for w in widths]
        pad_y = 1.2 if compact else PAD_Y
        heading = any(header)

        def draw_header() -> None:
            if heading:
                self._row(header, cols, align, self.brand, ink_on(self.brand), "B", 8.5, 1.6)

        first = self._row_height(rows[0], cols, "B", 9.5, pad_y) if rows else 0
        if heading and self.will_page_break(self._row_height(header, cols, "B", 8.5, 1.6) + first):
            self.add_page()  # never a header alone at the foot of a page
        draw_header()
        for n, cells in enumerate(rows):
            if n in totals:
                fill, ink, style = self.wash, self.wash_ink, "B"
            else:
                fill = STRIPE if n % 2 else WHITE
                ink, style = (ink_on(fill, MUTED) if n in quiet else INK), ""
            height = self._row_height(cells, cols, "B" if label_column else style, 9.5, pad_y)
            if self.will_page_break(height):
                self._rule(RULE, 0.2)
                self.add_page()
                draw_header()
            if n in totals:
                self._rule(self.accent, 0.4)
            self._row(cells, cols, align, fill, ink, style, 9.5, pad_y, first_bold=label_column, height=height)
        self._rule(RULE, 0.3)
        self.ln(3)

    def _rule(self, colour: RGB, width: float) -> None:
        """A line across the page at the current height."""
        self.set_draw_color(*colour)
        self.set_line_width(width)
        self.line(self.l_margin, self.y, self.l_margin + self.epw, self.y)

    def _fits(self, text: str, width: float) -> bool:
        """Whether ``text`` (latin-1 already) is one line in a cell ``width`` wide, in the current
        font: the common case, settled by the string's width (summed from the core font's
        character widths) instead of line breaking it."""
        if "\n" in text:
            return False
        font = self.current_font
        try:
            if not isinstance(font, CoreFont) or self.font_stretching != 100 or self.char_spacing:
                raise KeyError
            used = sum(font.cw[c] for c in text) * self.font_size_pt * 0.001 / self.k
        except KeyError:
            used = self.get_string_width(text)
        return used <= width - 2 * self.c_margin - 0.01

    def _row_height(self, cells: Sequence[str], cols: Sequence[float], style: str, size: float, pad_y: float) -> float:
        self.set_font(FONT, style, size)
        lines = 1
        for c, w in zip(cells, cols):
            text = _text(c)
            if not self._fits(text, w - 2 * PAD_X):
                lines = max(
                    lines,
                    len(cast(list[str], self.multi_cell(w - 2 * PAD_X, LINE, text, dry_run=True, output="LINES"))) or 1,
                )
        return lines * LINE + 2 * pad_y

    def _row(
        self,
        cells: Sequence[str],
        cols: Sequence[float],
        align: Sequence[str],
        fill: RGB,
        ink: RGB,
        style: str,
        size: float,
        pad_y: float,
        first_bold: bool = False,
        height: float | None = None,
    ) -> None:
        """One row: its own fill set here (never one left over from a band), its text in ``ink``."""
        if height is None:
            height = self._row_height(cells, cols, "B" if first_bold else style, size, pad_y)
        top, x = self.y, self.l_margin
        self.set_fill_color(*fill)
        self.rect(x, top, sum(cols), height, style="F")
        self.set_text_color(*ink)
        for n, (cell, w) in enumerate(zip(cells, cols)):
            wanted = "B" if first_bold and n == 0 else style
            if self.font_family != FONT or self.font_style != wanted or self.font_size_pt != size:
                self.set_font(FONT, wanted, size)
            self.set_xy(x + PAD_X, top + pad_y)
            text = _text(cell)
            if self._fits(text, w - 2 * PAD_X):  # one line: a plain cell, as multi_cell would print it
                self.cell(w - 2 * PAD_X, LINE, text, align=align[n][0], new_x="RIGHT", new_y="TOP")
            else:
                self.multi_cell(w - 2 * PAD_X, LINE, text, align=align[n][0], new_x="RIGHT", new_y="TOP")
            x += w
        self.set_xy(self.l_margin, top + height)

    def summary(self, lines: Sequence[tuple[str, bool]], width: float = 95) -> None:
        """Totals under a table, at the right: (text, emphasised) rows, the emphasised one bold on
        the brand's wash under a brand-coloured rule."""
        x = self.l_margin + self.epw - width
        if self.will_page_break(sum(9.0 if strong else 6.5 for _line, strong in lines)):
            self.add_page()  # the totals stay together
        for text, strong in lines:
            self.set_font(FONT, "B" if strong else "", 11.5 if strong else 10)
            height = 9.0 if strong else 6.5
            top = self.y
            if strong:
                self.set_fill_color(*self.wash)
                self.rect(x, top, width, height, style="F")
                self.set_draw_color(*self.accent)
                self.set_line_width(0.4)
                self.line(x, top, x + width, top)
            self.set_text_color(*(self.wash_ink if strong else INK))
            self.set_xy(x, top)
            self.cell(width - PAD_X, height, _text(text), align="R")
            self.set_xy(self.l_margin, top + height)
        self.ln(3)

    def done(self) -> bytes:
        return bytes(self.output())


def _status(invoice: Any, today: date | None) -> tuple[str, tuple[RGB, RGB]]:
    """Paid / Payment pending / Overdue / Due <date>, with the badge's colours."""
    if invoice.amount_due <= 0:
        return _("Paid"), PAID
    if invoice.pending_amount > 0:
        return _("Payment pending"), PENDING
    if today is not None and today > invoice.due_date:
        return _("Overdue"), OVERDUE
    return _("Due %(day)s") % {"day": short_day(invoice.due_date)}, DUE


class FpdfRenderer:
    """``PdfRenderer`` port: the portal's invoices, statements and proposals as PDFs."""

    def render_invoice(self, invoice: Any, context: dict[str, Any]) -> bytes:
        title = _("Invoice %(number)s") % {"number": invoice.number}
        doc = _Document(title, context)
        status = _status(invoice, context.get("today"))
        doc.title_line(title, status)
        doc.text_line(
            _("Invoice date: %(day)s") % {"day": short_day(invoice.invoice_date)}
            + "    "
            + _("Due date: %(day)s (net %(days)d)") % {"day": short_day(invoice.due_date), "days": invoice.net_days},
            9.5,
            "",
            MUTED,
        )
        doc.ln(6)
        top = doc.y
        bill_to = context.get("bill_to") or {}
        column = doc.epw * 0.45
        place = context.get("property_name") or ""
        if any(bill_to.values()) or place:
            doc.label(_("Bill to"))
            if bill_to.get("name"):
                doc.text_line(bill_to["name"], 10.5, "B", INK, 5.5, column)
            for detail in (bill_to.get("customer"), bill_to.get("email")):
                if detail:
                    doc.text_line(detail, 9.5, "", INK, 5, column)
            if place:
                doc.text_line(_("Property: %(place)s") % {"place": place}, 9.5, "", INK, 5, column)
        left_bottom = doc.y
        doc.set_y(top)
        callout = [(_("Amount due: %(amount)s") % {"amount": display(invoice.amount_due)}, 15, "B")]
        right_bottom = doc.callout(
            callout, context.get("pay_url") or "", x=doc.l_margin + doc.epw * 0.5, width=doc.epw * 0.5
        )
        doc.set_y(max(left_bottom, right_bottom) + 8)
        lines = context.get("lines") or ()
        if lines:
            doc.rows(
                (_("Description"), _("Quantity"), _("Unit price"), _("Amount")),
                [(ln.description, _quantity(ln.quantity), display(ln.unit_price), display(ln.amount)) for ln in lines],
                (100, 22, 30, 30),
                ("LEFT", "RIGHT", "RIGHT", "RIGHT"),
            )
        totals = [(_("Invoice amount: %(amount)s") % {"amount": display(invoice.amount)}, False)]
        if invoice.pending_amount:
            totals.append((_("Payment pending: %(amount)s") % {"amount": display(invoice.pending_amount)}, False))
        totals.append((_("Amount due: %(amount)s") % {"amount": display(invoice.amount_due)}, True))
        doc.summary(totals)
        terms = context.get("terms") or ""
        if terms:
            doc.ln(2)
            doc.text_line(_("Terms"), 10, "B", INK, 6)
            doc.text_line(terms, 9, "", MUTED, 4.8)
        return doc.done()

    def render_statement(self, statement: Any, context: dict[str, Any]) -> bytes:
        """An account statement: per property, opening balance, entries and closing balance."""
        period = _("%(start)s to %(end)s") % {"start": short_day(statement.start), "end": short_day(statement.end)}
        doc = _Document(_("Account statement") + " \xb7 " + period, context)
        doc.title_line(_("Account statement"))
        doc.text_line(f"{statement.contact.name} \xb7 {period}", 9.5, "", MUTED)
        doc.ln(5)
        doc.callout(
            [(_("Balance due: %(amount)s") % {"amount": _signed(statement.closing)}, 15, "B")],
            context.get("pay_url") or "",
        )
        doc.ln(4)
        if not statement.properties:
            doc.text_line(_("No invoices in this period."))
        for part in statement.properties:
            if doc.will_page_break(30):  # a property's name goes with its first rows
                doc.add_page()
            doc.section(part.place.name)
            rows = [("", _("Opening balance"), _signed(part.opening))]
            tips: list[int] = []
            for e in part.entries:
                rows.append((short_day(e.on), e.description, _signed(e.amount)))
                if getattr(e, "tip", 0):  # paid with the payment, on top of it: not in the balance
                    tips.append(len(rows))
                    rows.append(
                        (
                            "",
                            _("Tip paid with it: %(amount)s (not part of the balance)") % {"amount": display(e.tip)},
                            "",
                        )
                    )
            rows.append(("", _("Closing balance"), _signed(part.closing)))
            doc.rows(
                (_("Date"), _("Description"), _("Amount")),
                rows,
                (30, 125, 30),
                ("LEFT", "LEFT", "RIGHT"),
                totals=(len(rows) - 1,),
                quiet=(0, *tips),
                compact=True,
            )
        plans = getattr(statement, "plans", ())
        if plans:
            if doc.will_page_break(30):
                doc.add_page()
            doc.section(_("Payment plans"))
            doc.rows(
                (_("Invoice"), _("Status"), _("Paid"), _("Next payment"), _("Left")),
                [
                    (
                        p.invoice_number,
                        label(p.status),
                        _("%(paid)d of %(count)d") % {"paid": p.paid_count, "count": p.count},
                        _("%(amount)s on %(day)s") % {"amount": display(p.next_amount), "day": short_day(p.next_due_on)}
                        if p.next_due_on is not None and p.next_amount is not None
                        else "\u2014",
                        display(p.left),
                    )
                    for p in plans
                ],
                (30, 45, 25, 55, 30),
                ("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT"),
                compact=True,
            )
        return doc.done()

    def render_proposal(self, proposal: Any, context: dict[str, Any]) -> bytes:
        title = _("Proposal %(number)s") % {"number": proposal.number}
        doc = _Document(title, context)
        doc.title_line(title)
        doc.text_line(_("Property: %(place)s") % {"place": context.get("property_name", "")}, 9.5, "", MUTED)
        doc.text_line(
            _("Estimated start: %(day)s") % {"day": short_day(proposal.estimated_start)}
            + "    "
            + _("Status: %(status)s") % {"status": label(proposal.status)},
            9.5,
            "",
            MUTED,
        )
        doc.ln(4)
        doc.text_line(proposal.description, 10.5, "", INK, 5.5)
        doc.ln(4)
        sig = proposal.signature
        chosen = set(sig.selected_service_ids) if sig else set()

        def kind(service: Any) -> str:
            if not service.optional:
                return _("Included")
            if sig is None:
                return _("Optional")
            return _("Optional, chosen") if service.id in chosen else _("Optional, not chosen")

        doc.rows(
            (_("Service"), "", _("Price")),
            [(s.name, kind(s), display(s.price)) for s in proposal.services],
            (110, 45, 30),
            ("LEFT", "LEFT", "RIGHT"),
        )
        totals = [(_("Cost: %(amount)s") % {"amount": display(proposal.cost)}, sig is None)]
        if sig:
            totals.append((_("Accepted total: %(amount)s") % {"amount": display(sig.total)}, True))
        doc.summary(totals)
        if sig:
            doc.ln(4)
            image = context.get("signature_image")
            if image:
                if doc.will_page_break(40):
                    doc.add_page()
                try:
                    doc.image(io.BytesIO(image), w=70)
                except Exception:
                    doc.text_line(_("(the signature image could not be read)"), 9, "", MUTED)
            doc.set_draw_color(*MUTED)
            doc.set_line_width(0.2)
            doc.line(doc.l_margin, doc.y, doc.l_margin + 90, doc.y)
            doc.ln(1.5)
            doc.text_line(
                _("Signed by %(name)s on %(moment)s UTC from %(address)s")
                % {"name": sig.signer_name, "moment": moment(sig.signed_at), "address": sig.ip_address},
                9,
                "",
                MUTED,
            )
            check = context.get("signature_check")
            if check is not None and sig.document_sha256:
                self._certificate(doc, sig, check)
        return doc.done()

    @staticmethod
    def _certificate(doc: _Document, sig: Any, check: Any) -> None:
        """The audit certificate, on a page of its own after the signed proposal."""
        doc.add_page()
        doc.title_line(_("Electronic signature certificate"))
        doc.ln(3)
        rows = [
            (_("Signer"), sig.signer_name),
            (_("Email"), sig.signer_email or "-"),
            (_("Signed at"), f"{sig.signed_at:%Y-%m-%d %H:%M:%S} UTC"),
            (_("From address"), sig.ip_address or "-"),
            (_("Browser"), sig.user_agent or "-"),
            (_("Agreed to"), sig.consent_text or "-"),
            (_("Accepted total"), display(sig.total)),
            (_("Document SHA-256 when signed"), sig.document_sha256),
            (
                _("Document now"),
                _("unchanged since signing")
                if check.unchanged
                else _("CHANGED since signing (now %(sha256)s)") % {"sha256": check.current_sha256},
            ),
        ]
        doc.rows(("", ""), rows, (55, 130), ("LEFT", "LEFT"), label_column=True)
