"""Spanish (issue 15, item 5): every customer-facing string goes through gettext (Babel), the
English template and the Spanish catalogue are complete, a contact picks their language in the
profile, money and dates follow the locale, and mail speaks the recipient's language."""

from __future__ import annotations

import datetime
import re
import sqlite3
from decimal import Decimal
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from conftest import PNG_SIGNATURE
from hosts import PREFIX, Browser, File, link_in_mail, make_app
from pypdf import PdfReader
from test_hosts import app, django_ready, enrol, portal, staff_browser  # noqa: F401  (fixtures)

from portalkit import i18n, money
from portalkit.adapters.payments import card_token
from portalkit.billing import InvoiceFilter
from portalkit.errors import NotFound, ValidationError
from portalkit.labels import label
from portalkit.models import Contact, Invoice, IssueStatus, PaymentMethod, Priority, Property, Proposal
from portalkit.notify import MAIL_NAMES

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "src" / "portalkit" / "locale"
KEYWORDS = parse_keywords(["_", "gettext", "ngettext", "pgettext", "N_", "NP_:1c,2"])


# -- the catalogues --------------------------------------------------------------------------
def marked_strings() -> set[tuple[str | None, str]]:
    """(context, msgid) of every string marked in the sources, as ``pybabel extract`` finds them."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=lambda path: not Path(path).name.startswith("."),  # --ignore-dirs=".*": _core too
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def catalogue(path: Path):
    with open(path, "rb") as po:
        return read_po(po)


def untranslated(template, translated) -> list[str]:
    """Every msgid of ``template`` that ``translated`` lacks, leaves empty in some form, or marks fuzzy."""
    missing = []
    for message in template:
        if not message.id:
            continue
        found = translated.get(message.id, context=message.context)
        strings = (
            found.string
            if found is not None and isinstance(found.string, tuple)
            else (found.string,)
            if found is not None
            else ()
        )
        if found is None or found.fuzzy or not strings or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def test_the_english_template_lists_every_marked_string():
    template = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue(LOCALE / "portalkit.pot") if m.id
    }
    marked = marked_strings()
    assert marked - template == set(), (
        "strings missing from locale/portalkit.pot: run the pybabel extract command of babel.cfg (docs/languages.md)"
    )
    assert template - marked == set(), "locale/portalkit.pot has strings no source marks any more"


@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_each_catalogue_translates_every_string(language):
    template = catalogue(LOCALE / "portalkit.pot")
    translated = catalogue(LOCALE / language / "LC_MESSAGES" / "portalkit.po")
    assert untranslated(template, translated) == []
    assert {(m.context, str(m.id)) for m in translated if m.id} == {(m.context, str(m.id)) for m in template if m.id}
    problems = [(message.id, [str(e) for e in errors]) for message, errors in translated.check()]
    assert problems == []  # the same %(placeholders)s on both sides, every plural form present


def test_a_catalogue_that_misses_a_string_is_caught():
    template = catalogue(LOCALE / "portalkit.pot")
    spanish = catalogue(LOCALE / "es" / "LC_MESSAGES" / "portalkit.po")
    spanish.delete("Dashboard")
    spanish["Log in"].string = ""
    spanish["Profile"].flags.add("fuzzy")
    assert sorted(untranslated(template, spanish)) == ["Dashboard", "Log in", "Profile"]


# -- pseudo-translation: whatever a page shows outside ⟦ ⟧ did not go through gettext -----------
class Pseudo(NullTranslations):
    def gettext(self, message):
        return f"⟦{message}⟧"

    def ngettext(self, singular, plural, n):
        return f"⟦{singular if n == 1 else plural}⟧"

    def pgettext(self, context, message):
        return f"⟦{message}⟧"


class VisibleText(HTMLParser):
    """The text a visitor reads: text nodes (not scripts or styles) and alt, title, aria-label."""

    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        self.chunks += [value for name, value in attrs if name in ("alt", "title", "aria-label") and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.chunks.append(data)


def untranslated_words(text_chunks, data_words) -> set[str]:
    """The words outside every ⟦…⟧ that are not data. The chunks are joined first: a translated
    sentence may hold markup (``<strong>``, ``<a>``), which splits it into several text nodes."""
    text = " ".join(text_chunks)
    while re.search(r"⟦[^⟦⟧]*⟧", text):
        text = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
    return {w for w in re.findall(r"[^\W\d_]{2,}", text) if w.lower() not in data_words}


def words_of_the_data(database: Path, config) -> set[str]:
    """Every word stored in the portal's database (names, descriptions, files), the company's name
    and branding texts, and the month and day names of our locales: text that is data, not the
    portal's own."""
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", f"{config.company_name} {config.branding!r}")}
    with sqlite3.connect(database) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in db.execute(f'SELECT * FROM "{table}"'):
                words |= {w.lower() for value in row if isinstance(value, str) for w in re.findall(r"[^\W\d_]+", value)}
    for name in i18n.LOCALES.values():
        locale = Locale.parse(name)
        for width in ("abbreviated", "wide"):
            words |= {m.lower().strip(".") for m in locale.months["format"][width].values()}
            words |= {d.lower().strip(".") for d in locale.days["format"][width].values()}  # "Wednesday, ..."
        words |= {p.lower().replace(".", "") for p in locale.day_periods["format"]["abbreviated"].values()}
    words |= {w.lower() for name in i18n.LANGUAGES.values() for w in name.split()}  # each in itself
    return words | {"am", "pm", "utc"}


@pytest.fixture
def pseudo(monkeypatch):
    monkeypatch.setattr(i18n, "translations", lambda language: Pseudo())


def visit_every_page(portal) -> dict:
    """Log in, pay, sign, open an issue, read every view: each customer page, by name."""
    host = make_app("flask", portal)
    anonymous = Browser(host)
    pages = {path: anonymous.get(path) for path in ("/login", "/forgot-password", "/login/link")}
    anonymous.post("/forgot-password", {"email": "alice@example.com"})  # not enrolled: the no-account mail
    alice, pages["/signup"], pages["signed up"] = _enrolled(host, portal, "alice@example.com")
    prop = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    invoice = next(i for i in portal.storage.find(Invoice) if i.number == "INV-1001")
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    method = portal.storage.find(PaymentMethod)[0]
    deposit_proposal = next(p for p in portal.storage.find(Proposal) if p.number == "P-503")
    signed = next(p for p in portal.storage.find(Proposal) if p.number == "P-502")
    alice.post(f"/proposals/{signed.id}/sign", {"signature": PNG_SIGNATURE})
    pages["flash after signing"] = alice.get("/dashboard?view=proposals")
    created = alice.post(
        f"/issues/new?property={prop.id}",
        {
            "property": prop.id,
            "subject": "Sprinkler leak",
            "priority": "High",
            "notes": "by the gate",
            "files": [File("leak.png", b"\x89PNG photo", "image/png")],
        },
    )
    alice.post(created.location + "/comments", {"text": "Still leaking"}, page=created.location)
    for view in ("invoices", "proposals", "issues", "reports"):
        pages[f"dashboard {view}"] = alice.get(f"/dashboard?property={prop.id}&view={view}")
    for path in (
        f"/invoices/{invoice.id}/pay",
        "/payment-methods",
        f"/proposals/{deposit_proposal.id}",
        f"/proposals/{deposit_proposal.id}/sign",
        f"/proposals/{signed.id}",
        f"/issues/new?property={prop.id}",
        f"/quotes/new?property={prop.id}",
        created.location,
        "/profile",
        "/statement",
        "/invoices/nope/pay",
    ):
        pages[path] = alice.get(path)
    pages["pay refused"] = alice.post(
        f"/invoices/{invoice.id}/pay", {"method": method.id, "amount": "abc", "key": "k-1"}
    )
    alice.post(f"/invoices/{invoice.id}/pay", {"method": method.id, "amount": "1.00", "key": "k-2"})
    pages["flash after paying"] = alice.get("/dashboard")
    pages["pay while pending"] = alice.get(f"/invoices/{invoice.id}/pay")
    alice.post("/profile", {"action": "receipts", "receipts": "1"})
    pages["flash after saving"] = alice.get("/profile")
    secure = alice.post("/payment-methods", {"action": "add", "token": card_token("4000002760003184", 12, 2031)})
    assert secure.status_code == 303
    second = next(i for i in portal.storage.find(Invoice) if i.number == "INV-1002")
    three_d = next(m for m in portal.storage.find(PaymentMethod) if m.last4 == "3184")
    confirm = alice.post(f"/invoices/{second.id}/pay", {"method": three_d.id, "amount": "5.00", "key": "k-3"})
    pages["3-D Secure"] = alice.get(confirm.location)
    pages["back from the bank"] = alice.get(alice.get(confirm.location.replace("/confirm", "/return")).location)
    quote = alice.post(f"/quotes/new?property={prop.id}", {"property": prop.id, "description": "Hedges"})
    pages["quote sent"] = alice.get(quote.location) if quote.location else quote
    visitor = Browser(host)  # links from mail: a new password, a sign-in link
    visitor.post("/forgot-password", {"email": "alice@example.com"})
    visitor.open_link(link_in_mail(portal, "alice@example.com", "reset-password"))
    pages["/reset-password"] = visitor.get("/reset-password")
    pages["reset refused"] = visitor.post("/reset-password", {"password": "short", "confirm": "short"})
    visitor.post("/login/link", {"email": "alice@example.com"})
    visitor.open_link(link_in_mail(portal, "alice@example.com", "sign-in"))
    pages["/sign-in"] = visitor.get("/sign-in")
    pages["login refused"] = Browser(host).post("/login", {"email": "alice@example.com", "password": "wrong-1234"})
    return pages


def test_every_customer_page_string_goes_through_gettext(tmp_path, portal, pseudo):
    """Every word a customer page shows is the catalogue's (⟦…⟧ here) or the company's and the
    customer's own data."""
    pages = visit_every_page(portal)
    data = words_of_the_data(tmp_path / "host.sqlite3", portal.config)
    found = {}
    for name, page in pages.items():
        assert page.status_code in (200, 400, 401, 403, 404), name
        parser = VisibleText()
        parser.feed(page.get_data(as_text=True))
        words = untranslated_words(parser.chunks, data)
        if words:
            found[name] = sorted(words)
    assert found == {}, found


def test_every_mail_string_goes_through_gettext(tmp_path, portal, pseudo):
    """Every mail sent on that journey (reset, receipt, issue, quote...) shows only catalogue text
    and data; the invitation's body is the company's own text (INV-5)."""
    visit_every_page(portal)
    data = words_of_the_data(tmp_path / "host.sqlite3", portal.config)
    mails = [m for m in portal.mailer.mails if "/signup#" not in m.text]
    assert len({m.subject for m in mails}) >= 4
    for mail in mails:
        parser = VisibleText()
        parser.feed(mail.html)
        assert untranslated_words([mail.subject, mail.text] + parser.chunks, data) == set(), mail.subject


def test_every_mail_template_renders_through_gettext(portal, pseudo):
    """Every mail, including the ones no journey above sends."""
    samples = _mail_samples()
    assert set(samples) == set(MAIL_NAMES)
    for name, context in samples.items():
        mail = portal.mails.render(name, ("x@example.com",), **context)
        if name == "invitation":
            continue
        parser = VisibleText()
        parser.feed(mail.html)
        data = {w.lower() for v in _flatten(context) for w in re.findall(r"[^\W\d_]+", v)} | {"utc"}
        data |= {
            w.lower()
            for w in re.findall(
                r"[^\W\d_]+",
                portal.config.company_name + " " + portal.config.branding.title + " " + portal.config.portal_url,
            )
        }
        for locale in {Locale.parse(n) for n in i18n.LOCALES.values()}:  # dates are written by the locale's data
            data |= {
                m.lower().strip(".")
                for width in ("abbreviated", "wide")
                for m in locale.months["format"][width].values()
            }
        assert untranslated_words([mail.subject, mail.text] + parser.chunks, data) == set(), name


# -- Spanish for real --------------------------------------------------------------------------
def test_a_contact_reads_the_portal_in_spanish(app, portal):
    """The profile's language sticks to the contact: pages, flash messages, refusals, money and
    dates in Spanish; after logging out the login page stays Spanish; staff pages stay English."""
    alice = enrol(app, portal, "alice@example.com")
    r = alice.post("/profile", {"action": "language", "language": "es"})
    assert r.status_code == 303
    assert portal.directory.contact_by_email("alice@example.com").language == "es"
    profile = alice.get("/profile").get_data(as_text=True)
    assert '<html lang="es">' in profile and "Se guardó su idioma." in profile and "Idioma" in profile
    html = alice.get("/dashboard").get_data(as_text=True)
    assert "Panel" in html and "Facturas" in html and "Saldo pendiente" in html and "$1,250.00" in html
    invoice = next(i for i in portal.storage.find(Invoice) if i.number == "INV-1001")
    assert "10 dic 2026" in html or re.search(r"\d{1,2} [a-z]{3} 20\d\d", html)
    alice.post("/payment-methods", {"action": "add", "token": card_token("4242424242424242", 12, 2031)})
    method = portal.storage.find(PaymentMethod)[0]
    refused = alice.post(f"/invoices/{invoice.id}/pay", {"method": method.id, "amount": "abc", "key": "k-1"})
    assert refused.status_code == 400 and "Escriba un importe como 125.00." in refused.get_data(as_text=True)
    assert "terminada en 4242" in alice.get("/payment-methods").get_data(as_text=True)
    missing = alice.get("/invoices/nope/pay")
    assert missing.status_code == 404 and "No encontrado" in missing.get_data(as_text=True)
    out = alice.post("/logout", {}, page="/dashboard")
    assert out.location.endswith("/login?lang=es")  # a fresh session, still in her language
    login = alice.get(out.location).get_data(as_text=True)
    assert "Iniciar sesión" in login and "¿Olvidó su contraseña?" in login
    assert "Iniciar sesión" in alice.get("/login").get_data(as_text=True)
    staff = staff_browser(app).get("/staff").get_data(as_text=True)
    assert '<html lang="en">' in staff


def test_mail_speaks_the_recipients_language(app, portal):
    alice = enrol(app, portal, "alice@example.com")
    alice.post("/profile", {"action": "language", "language": "es"})
    alice.post("/profile", {"action": "receipts", "receipts": "1"})
    receipt_mail = [m for m in portal.mailer.mails if "alice@example.com" in m.to][-1]
    assert receipt_mail.subject == "Recibirá recibos electrónicos de sus pagos"
    assert "Hola, Alice" in receipt_mail.text and '<html lang="es">' in receipt_mail.html
    Browser(app).post("/login/link", {"email": "alice@example.com"})
    link_mail = [m for m in portal.mailer.mails if "alice@example.com" in m.to][-1]
    assert "Su enlace de acceso" in link_mail.subject and "funciona una sola vez" in link_mail.text
    staff_mails_before = len(portal.mailer.mails)
    prop = next(p for p in portal.storage.find(Property) if p.name == "Oak Street Commons")
    alice = Browser(app)
    alice.post("/login", {"email": "alice@example.com", "password": "garden-2026"})
    alice.post(f"/issues/new?property={prop.id}", {"property": prop.id, "subject": "Fuga", "priority": "High"})
    to_staff = portal.mailer.mails[staff_mails_before:]
    assert to_staff and all("New issue" in m.subject for m in to_staff)  # staff read English


def test_the_login_page_follows_the_browser_and_the_language_links(app, portal):
    visitor = Browser(app)
    assert "Log in" in visitor.get("/login").get_data(as_text=True)
    spanish = visitor.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="es">' in spanish and "Iniciar sesión" in spanish and 'href="?lang=en"' in spanish
    chosen = visitor.get("/login?lang=en", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en">' in chosen  # the visitor's choice beats the browser's, and is remembered
    assert '<html lang="en">' in visitor.get("/forgot-password", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    answer = visitor.post("/forgot-password?lang=es", {"email": "nobody@example.com"})
    assert answer.status_code == 303
    page = visitor.get("/login").get_data(as_text=True)
    assert "le enviamos un enlace para restablecer la contraseña" in page
    no_account = portal.mailer.mails[-1]
    assert no_account.to == ("nobody@example.com",) and no_account.subject.startswith("Su contraseña del portal")


def test_a_contact_cannot_pick_a_language_the_portal_does_not_speak(portal):
    contact = next(c for c in portal.storage.find(Contact) if c.email == "alice@example.com")
    with pytest.raises(ValidationError) as refused:
        portal.accounts.set_language(contact, "fr")
    assert refused.value.field == "language" and "es" in refused.value.public_message
    assert portal.storage.get(Contact, contact.id).language == "en"
    assert portal.accounts.set_language(contact, "es").language == "es"


# -- the pieces ----------------------------------------------------------------------------------
def test_errors_are_raised_in_the_active_language():
    with i18n.override("es"):
        with pytest.raises(ValidationError) as refused:
            money.parse("1,50")
        assert refused.value.public_message == "Escriba un importe como 125.00."
        assert NotFound().public_message == "No encontrado."
    assert NotFound().public_message == "Not found."
    with pytest.raises(ValidationError) as refused:
        money.parse("1,50")
    assert refused.value.public_message == "Enter an amount like 125.00."


def test_money_and_dates_follow_the_locale():
    day = datetime.date(2026, 11, 30)
    assert money.display(Decimal("1287.5")) == "$1,287.50" and i18n.day(day) == "November 30, 2026"
    with i18n.override("es"):
        assert money.display(Decimal("1287.5")) == "$1,287.50"  # es_US: US dollars written the US way
        assert i18n.day(day) == "30 de noviembre de 2026" and i18n.short_day(day) == "30 nov 2026"
        assert label(IssueStatus.OPEN) == "Abierta" and label(InvoiceFilter.OPEN) == "Abiertas"
    assert money.display(Decimal("-5")) == "-$5.00"


@pytest.mark.parametrize(
    "header, expected",
    [
        ("es-MX,es;q=0.9,en;q=0.5", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR, es;q=0.2", "es"),
        ("", "en"),
        ("de, fr", "en"),
        ("ES-mx", "es"),
        ("es;q=abc, en", "en"),
        ("es;q=0, en", "en"),
    ],
)
def test_the_browsers_language_is_negotiated(header, expected):
    assert i18n.negotiate(header) == expected


def test_an_unknown_language_speaks_english():
    with i18n.override("xx") as spoken:
        assert spoken == "en" and i18n.gettext("Dashboard") == "Dashboard"
    with i18n.override("es_US") as spoken:
        assert spoken == "es" and i18n.gettext("Dashboard") == "Panel"


def test_documents_are_printed_in_the_readers_language(portal):
    invoice = next(i for i in portal.storage.find(Invoice) if i.number == "INV-1001")
    prop = portal.storage.get(Property, invoice.property_id)
    with i18n.override("es"):
        spanish = "".join(
            p.extract_text() for p in PdfReader(BytesIO(portal.documents.invoice(invoice, prop, []))).pages
        )
    english = "".join(p.extract_text() for p in PdfReader(BytesIO(portal.documents.invoice(invoice, prop, []))).pages)
    assert "Factura INV-1001" in spanish and "Saldo pendiente" in spanish
    assert "Invoice INV-1001" in english and "Amount due" in english


# -- helpers -------------------------------------------------------------------------------------
def _enrolled(app, portal, email):
    """``enrol`` without reading English on the way (pages are pseudo-translated); the sign-up
    form and the page after it too."""
    staff = staff_browser(app)
    contact = portal.directory.contact_by_email(email)
    staff.post("/staff/invitations", {"contact": [contact.id]}, page="/staff")
    visitor = Browser(app)
    visitor.open_link(link_in_mail(portal, email))
    form = visitor.get("/signup")
    done = visitor.post("/signup", {"password": "garden-2026", "confirm": "garden-2026"})
    done = visitor.get(done.location)  # issue 24: signed up and signed in, on the dashboard
    r = visitor.post("/login", {"email": email, "password": "garden-2026"})
    assert r.status_code == 303 and r.location == PREFIX + "/dashboard"
    return visitor, form, done


def _flatten(value) -> list[str]:
    if hasattr(value, "__dict__"):
        return _flatten(vars(value))
    if isinstance(value, dict):
        return [s for v in value.values() for s in _flatten(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _flatten(v)]
    return [str(value)] if isinstance(value, str) else []


def _mail_samples() -> dict[str, dict]:
    from types import SimpleNamespace as N

    contact = N(name="Alice Able", first_name="Alice")
    invoice = N(number="INV-9", amount_due=Decimal("10.00"))
    payment = N(
        amount=Decimal("5.00"),
        fee=Decimal("0.00"),
        total=Decimal("6.00"),
        processor_ref="pi_1",
        failure_reason="Declined card",
        tip=Decimal("1.00"),
    )
    plan = N(count=2, amount=Decimal("10.00"), end_reason="revoked by the customer")
    instalments = [
        N(number=1, due_on=datetime.date(2026, 12, 1), amount=Decimal("5.00")),
        N(number=2, due_on=datetime.date(2027, 1, 1), amount=Decimal("5.00")),
    ]
    consent = N(
        consent_text="I authorise", method_label="Visa ending 4242", accepted_at=datetime.datetime(2026, 11, 30)
    )
    issue = N(number=7, subject="Leak", notes="Gate", priority=Priority.HIGH)
    place = N(name="Oak Street")
    moment = datetime.datetime(2026, 11, 30, 9, 30)
    proposal = N(number="P-1", description="Mulch")
    return {
        "invitation": {"subject": "Welcome", "body_html": "Hi", "body_text": "Hi"},
        "invitation_notice": {"sender_name": "Morgan", "names": ["Alice Able"]},
        "password_reset": {"contact": contact, "hours": 24, "link": "https://x.test/r"},
        "password_reset_no_account": {},
        "login_link": {"contact": contact, "minutes": 15, "link": "https://x.test/l"},
        "email_change_confirm": {"contact": contact, "hours": 24, "new_email": "a@x.test", "link": "https://x.test/c"},
        "email_change_notice": {"contact": contact, "new_email": "a@x.test", "done": True},
        "receipts_on": {"contact": contact},
        "factor_added": {"contact": contact, "factor": "passkey", "factor_name": "Phone", "codes": True},
        "factor_removed": {"contact": contact, "factor": "all", "factor_name": "", "last": True, "by_staff": True},
        "recovery_codes_new": {"contact": contact},
        "recovery_code_used": {"contact": contact, "left": 3},
        "payment_receipt": {"contact": contact, "invoice": invoice, "payment": payment},
        "payment_failed": {"contact": contact, "invoice": invoice, "payment": payment},
        "payment_returned": {"contact": contact, "invoice": invoice, "payment": payment},
        "autopay_failed": {"contact": contact, "invoice": invoice, "payment": payment, "last_attempt": True},
        "plan_offered": {
            "contact": contact,
            "invoice": invoice,
            "plan": plan,
            "instalments": instalments,
            "link": "https://x.test/p",
        },
        "plan_accepted": {
            "contact": contact,
            "invoice": invoice,
            "plan": plan,
            "instalments": instalments,
            "consent": consent,
            "link": "https://x.test/p",
        },
        "plan_revoked": {"contact": contact, "invoice": invoice, "plan": plan},
        "plan_instalment_missed": {
            "contact": contact,
            "invoice": invoice,
            "plan": plan,
            "instalment": instalments[0],
            "reason": "Declined card",
            "link": "https://x.test/p",
        },
        "plan_instalment_missed_staff": {
            "contact": contact,
            "invoice": invoice,
            "plan": plan,
            "instalment": instalments[0],
            "reason": "Declined card",
        },
        "proposal_signed": {
            "contact": contact,
            "proposal": proposal,
            "property": place,
            "chosen": ["Edging"],
            "signature": N(signed_at=moment, ip_address="203.0.113.9", total=Decimal("9.00")),
        },
        "issue_created": {"contact": contact, "issue": issue, "property": place},
        "issue_comment": {"contact": contact, "issue": issue, "property": place, "comment": N(text="More")},
        "quote_request": {"contact": contact, "property": place, "request": N(description="Trees")},
        **_visit_samples(contact, place, moment),
    }


def _visit_samples(contact, place, moment) -> dict[str, dict]:
    from types import SimpleNamespace as N

    from portalkit.models import VisitStatus

    start = moment.replace(tzinfo=datetime.UTC)
    visit = N(
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        eta=start,
        status=VisitStatus.CANCELED,
        completion_notes="Mowed",
    )
    seen = {
        "contact": contact,
        "visit": visit,
        "job": N(title="Mowing", number="J-1"),
        "technicians": "Tess Tech",
        "zone": "America/Chicago",
        "link": "https://x.test/j",
    }
    return {
        "visit_scheduled": seen,
        "visit_changed": seen,
        "visit_on_the_way": seen,
        "visit_completed": {**seen, "photos": 2},
        "visit_request": {
            **seen,
            "property": place,
            "request": N(kind="cancel", reason="Gate locked", preferred_times="Monday"),
        },
        "visit_rated": {**seen, "property": place, "rating": N(stars=4, comment="Tidy")},
        "job_requested": {
            "contact": contact,
            "property": place,
            "job_type": "Irrigation repair",
            "request": N(
                job_type="Irrigation repair", description="Zone 3", preferred_dates="Friday", file_keys=("k",)
            ),
        },
    }


def test_the_host_frameworks_language_comes_before_the_browsers():
    from portalkit.web.http import PageRequest
    from portalkit.web.site import PortalWeb

    def request(**given):
        return PageRequest(method="GET", session=given.pop("session", {}), **given)

    browser_english = {"Accept-Language": "en-US"}
    assert PortalWeb.language(request(headers=browser_english, host_language="es-mx")) == "es"
    assert PortalWeb.language(request(headers=browser_english, host_language="de")) == "en"
    assert (
        PortalWeb.language(request(headers=browser_english, host_language="es", session={"portalkit_language": "en"}))
        == "en"
    )  # the visitor chose
    assert PortalWeb.language(request(host_language="es"), "staff_contacts") == "en"


def test_django_locale_middleware_picks_the_portal_language(portal, django_ready):
    """A Django host with ``LocaleMiddleware``: its choice (here the language cookie) is the
    portal's before login, over the browser's header."""
    from django.conf import settings
    from django.test import Client, override_settings
    from hosts import use_portal_in_django

    use_portal_in_django(portal)
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.middleware.common.CommonMiddleware"), "django.middleware.locale.LocaleMiddleware"
    )
    with override_settings(MIDDLEWARE=middleware, LANGUAGES=[("en", "English"), ("es", "Spanish")]):
        client = Client(HTTP_ACCEPT_LANGUAGE="en-US")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
        page = client.get(PREFIX + "/login").content.decode()
    assert '<html lang="es">' in page and "Iniciar sesión" in page
