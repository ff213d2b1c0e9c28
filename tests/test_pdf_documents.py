"""Issue 24, item 8: the PDFs read well in any brand colour.

Each document is rasterised (poppler's ``pdftoppm``, without anti-aliasing so a glyph's pixels
are its exact colour) and every word on every page (``pdftotext -bbox``) is checked: its colour
against the colour behind it reaches WCAG's 4.5:1. Table header bands are the brand colour, body
rows white or a very light stripe with dark text, amounts right-aligned; every page is numbered
and an open invoice links to its pay page."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from conftest import PNG_SIGNATURE, build_world
from PIL import Image
from pypdf import PdfReader

from portalkit import ProposalStatus
from portalkit.adapters.payments import card_token
from portalkit.adapters.pdf import contrast as pdf_contrast
from portalkit.adapters.pdf import ink_on
from portalkit.billing import LineItem
from portalkit.config import Branding

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")), reason="needs poppler-utils (pdftoppm, pdftotext)"
)

PALETTES = {"light": "#F7E06B", "dark": "#1F4E79"}
DPI = 100
PORTAL = "https://portal.greenacres.test"
AMOUNT = re.compile(r"^-?\$[\d,]+\.\d\d$")


# -- WCAG, written out here so the test does not grade the renderer with its own formula ----------
def luminance(rgb: tuple[int, int, int]) -> float:
    def linear(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


# -- rendering and reading back ------------------------------------------------------------------
class Word:
    def __init__(self, text: str, box: tuple[float, float, float, float], bg, ink):
        self.text, self.box, self.bg, self.ink = text, box, bg, ink

    @property
    def ratio(self) -> float:
        return contrast(self.bg, self.ink)

    def __repr__(self) -> str:
        return f"{self.text!r} ink {self.ink} on {self.bg} ({self.ratio:.2f}:1)"


def read_pages(pdf: bytes, where: Path) -> list[list[Word]]:
    """The words of each page with the colour behind them and their own colour, as printed."""
    where.mkdir(parents=True, exist_ok=True)
    path = where / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-aa", "no", "-aaVector", "no", "-png", str(path), str(where / "page")], check=True
    )
    images = [
        Image.open(p).convert("RGB")
        for p in sorted(where.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    ]
    layout = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True).stdout
    pages = []
    for image, page in zip(images, layout.split("<page ")[1:], strict=True):
        words = []
        for x0, y0, x1, y1, text in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page
        ):
            box = tuple(float(v) for v in (x0, y0, x1, y1))
            px = [round(v * DPI / 72) for v in box]
            crop = image.crop((px[0], px[1], max(px[2], px[0] + 1), max(px[3], px[1] + 1)))
            ranked = [colour for _n, colour in sorted(crop.getcolors(crop.width * crop.height), reverse=True)]
            if len(ranked) < 2:  # a dot too small to print a pixel
                continue
            words.append(Word(html.unescape(text), box, ranked[0], ranked[1]))
        pages.append(words)
    return pages


def texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def links(pdf: bytes, page: int = 0) -> list[str]:
    annots = PdfReader(BytesIO(pdf)).pages[page].get("/Annots") or []
    return [a.get_object()["/A"]["/URI"] for a in annots if "/A" in a.get_object()]


# -- the documents ---------------------------------------------------------------------------------
def branded_world(colour: str):
    """Green Acres in one brand colour; its configured text colour is white whatever the band, so
    a light band has to pick its own readable text."""
    return build_world(
        branding=Branding(
            nav_bar_colour=colour, nav_text_colour="#FFFFFF", button_colour=colour, button_text_colour="#FFFFFF"
        )
    )


LINES = [
    ("Weekly mowing, January", "4", "85.00"),
    ("Hedge trimming - front entrance and pool area", "1", "240.00"),
    ("Mulch, premium hardwood (cubic yards)", "6.5", "42.00"),
    ("Irrigation inspection", "1", "95.00"),
    ("Leaf removal", "2", "120.00"),
]


def documents(colour: str) -> dict[str, bytes]:
    w = branded_world(colour)
    w.alice = w.enrol(w.alice)
    portal = w.portal
    inv = portal.invoices.add(
        w.staff,
        w.prop.id,
        "INV-2026-0042",
        "1188.00",
        date(2026, 1, 5),
        amount_due="888.00",
        lines=[LineItem(description=d, quantity=q, unit_price=u) for d, q, u in LINES],
        terms="Net 30. A 1.5% monthly charge applies after the due date.",
    )
    start = w.clock.now().date() - timedelta(days=300)
    for n in range(70):
        portal.invoices.add(w.staff, w.prop.id, f"INV-{1000 + n}", f"{100 + n * 7}.50", start + timedelta(days=n * 4))
    start_work = w.clock.now().date() + timedelta(days=10)
    proposal = portal.proposals.add(
        w.staff,
        w.prop.id,
        "P-101",
        "Irrigation upgrade for the front lawns",
        start_work,
        status=ProposalStatus.APPROVED,
        services=[
            ("Install controller and valves", "1000.00", False),
            ("Drip line", "250.00", True),
            ("Timer", "80.00", True),
        ],
    )
    drip = next(s for s in proposal.services if s.name == "Drip line")
    portal.proposals.sign(w.alice, proposal.id, PNG_SIGNATURE, "10.0.0.1", [drip.id])
    return {
        "invoice": portal.invoices.pdf(w.alice, inv.id),
        "invoice_id": inv.id.encode(),
        "statement": portal.statements.pdf(w.alice, start, w.clock.now().date()),
        "proposal": portal.proposals.pdf(w.alice, proposal.id),
    }


@pytest.fixture(scope="module", params=sorted(PALETTES))
def palette(request, tmp_path_factory):
    colour = PALETTES[request.param]
    docs = documents(colour)
    where = tmp_path_factory.mktemp(request.param)
    pages = {kind: read_pages(docs[kind], where / kind) for kind in ("invoice", "statement", "proposal")}
    return colour, docs, pages


def unreadable(pages: list[list[Word]]) -> list[Word]:
    return [word for page in pages for word in page if word.ratio < 4.5]


# -- the tests -------------------------------------------------------------------------------------
def test_every_word_of_every_pdf_page_reads_at_4_5_to_1(palette):
    _colour, _docs, pages = palette
    for kind, doc in pages.items():
        assert sum(len(p) for p in doc) > 40, kind
        assert unreadable(doc) == [], kind


def test_table_header_bands_are_the_brand_colour_and_body_rows_white_or_a_light_stripe(palette):
    colour, _docs, pages = palette
    brand = hex_rgb(colour)
    headers = {
        "invoice": {"Description", "Quantity", "Amount"},
        "statement": {"Date", "Description", "Amount"},
        "proposal": {"Service", "Price"},
    }
    for kind, names in headers.items():
        for number, page in enumerate(pages[kind][:2] if kind == "statement" else pages[kind][:1]):
            band = [w for w in page if w.text in names and w.bg == brand]
            assert {w.text for w in band} == names, (kind, number)  # repeated on the statement's next page
            assert all(w.ratio >= 4.5 for w in band)
    rows = [w for w in pages["invoice"][0] if w.text in {"mowing,", "Hedge", "Mulch,", "Irrigation", "Leaf"}]
    rows += [w for page in pages["statement"] for w in page if re.fullmatch(r"INV-1\d{3}", w.text)]
    rows += [w for w in pages["proposal"][0] if w.text in {"Drip", "Timer", "controller"}]
    assert len(rows) >= 5 + 70 + 3
    for word in rows:  # the bug: rows filled with the band's colour, printed near-black
        assert luminance(word.bg) >= 0.85 and luminance(word.ink) <= 0.05 and word.ratio >= 7, word


def test_amounts_are_right_aligned_and_the_total_rows_stand_out(palette):
    _colour, _docs, pages = palette
    for page in pages["statement"]:
        right = {round(w.box[2]) for w in page if AMOUNT.match(w.text) and w.box[0] > 400}
        assert len(right) == 1, right  # one right edge for the amount column on every page
    invoice = pages["invoice"][0]
    for column in ("$85.00", "$340.00"):  # Unit price and Amount columns end where their headings end
        edge = next(w.box[2] for w in invoice if w.text == column)
        ends = {round(w.box[2]) for w in invoice if AMOUNT.match(w.text) and abs(w.box[2] - edge) < 3}
        assert len(ends) == 1
    closing = [w for w in pages["statement"][-1] if w.text == "balance" and w.bg != (255, 255, 255)]
    assert closing and all(w.ratio >= 4.5 for w in closing)  # the closing balance on the brand's wash
    due = [w for w in invoice if w.text == "$888.00"]
    assert len(due) == 2 and max(w.box[3] - w.box[1] for w in due) > 12  # large in the callout, and in the totals


def test_every_page_is_numbered_and_the_invoice_links_to_its_pay_page(palette):
    _colour, docs, _pages = palette
    for kind in ("invoice", "statement", "proposal"):
        pages = texts(docs[kind])
        for number, text in enumerate(pages, 1):
            assert f"Page {number} of {len(pages)}" in text, (kind, number)
    assert len(texts(docs["statement"])) >= 2 and len(texts(docs["proposal"])) == 2  # + the certificate
    invoice = texts(docs["invoice"])[0]
    for expected in (
        "Green Acres Landscaping",
        "greenacres.test",
        "Bill to",
        "Alice Green",
        "Oak Street HOA",
        "alice@example.com",
        "Property: Oak Street Commons",
        "Due Feb 4, 2026",
        "Invoice amount: $1,188.00",
        "Amount due: $888.00",
        f"Pay online: {PORTAL}",
        "Weekly mowing, January 4 $85.00 $340.00",
    ):
        assert expected in invoice
    assert links(docs["invoice"]) == [f"{PORTAL}/invoices/{docs['invoice_id'].decode()}/pay"]
    assert f"Pay online: {PORTAL}" in texts(docs["statement"])[0] and links(docs["statement"]) == [PORTAL]
    proposal = texts(docs["proposal"])[0]
    assert "Drip line Optional, chosen $250.00" in proposal and "Timer Optional, not chosen $80.00" in proposal


def test_invoice_status_bill_to_and_pay_link_follow_the_invoice():
    w = build_world()
    w.alice = w.enrol(w.alice)
    add = w.portal.invoices.add

    def pdf(inv) -> bytes:
        return w.portal.invoices.pdf(w.alice, inv.id)

    late = "".join(
        texts(pdf(add(w.staff, w.prop.id, "INV-LATE", "100.00", date(2025, 11, 1), billing_contact_id=w.bob.id)))
    )
    assert "Overdue" in late and "Bob Stone" in late and "bob@example.com" in late and "Alice Green" not in late
    paid = pdf(add(w.staff, w.prop.id, "INV-PAID", "100.00", date(2026, 1, 5), amount_due="0.00"))
    assert "Paid" in texts(paid)[0] and "Pay online" not in texts(paid)[0] and links(paid) == []
    due = add(w.staff, w.prop.id, "INV-DUE", "100.00", date(2026, 1, 10))
    assert "Due Feb 9, 2026" in texts(pdf(due))[0] and len(links(pdf(due))) == 1
    card = w.portal.payments.add_method(w.alice, card_token("4242424242424242", 12, 2031))
    w.portal.payments.pay(w.alice, due.id, card.id, "100.00", "k-pending")  # pending until the processor settles
    pending = pdf(due)
    assert "Payment pending" in texts(pending)[0] and "Pay online" not in texts(pending)[0]


@pytest.mark.parametrize("step", [17, 51])
def test_band_text_colour_always_reaches_4_5_to_1(step):
    """White or near-black, whichever reads better; black where neither reaches 4.5:1."""
    for r in range(0, 256, step):
        for g in range(0, 256, step):
            for b in range(0, 256, step):
                fill = (r, g, b)
                ink = ink_on(fill)
                assert contrast(ink, fill) >= 4.5 and abs(pdf_contrast(ink, fill) - contrast(ink, fill)) < 1e-9
    assert ink_on(hex_rgb("#1F4E79")) == (255, 255, 255) and luminance(ink_on(hex_rgb("#F7E06B"))) < 0.05
