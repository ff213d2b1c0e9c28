"""Languages: every customer-facing string goes through gettext, its catalogues read by Babel.

``locale/portalkit.pot`` lists every marked string (English is the source text);
``locale/<language>/LC_MESSAGES/portalkit.po`` translates them, English included, so English
wording changes without touching code. A test fails when the template misses a marked string or
a catalogue misses a translation. The active language is a context variable, the
way Django's ``translation.override`` works: the pages switch it to the visitor's or contact's
language for one request, a mail to the recipient's for one render. Code outside both speaks
English.

Money and dates follow the language's locale as Babel (CLDR) defines it. portalkit charges US
dollars, so Spanish is ``es_US``: "$1,287.50", "30 de noviembre de 2026". Typed amounts are read
the same way in both languages (``money.parse``).
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
)
from babel.support import NullTranslations, Translations

DOMAIN = "portalkit"
DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}  # each language in itself
LOCALES: dict[str, str] = {"en": "en_US", "es": "es_US"}
CURRENCY = "USD"
_active: ContextVar[str] = ContextVar("portalkit_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue without translating it now (a class attribute, a
    table): it is translated where it is used."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:
    """``N_`` for a word whose translation depends on what it names (an issue is "Abierta", a
    list filter "Abiertas"): translated with ``pgettext``."""
    return context, message


@functools.cache
def translations(language: str) -> NullTranslations:
    """The catalogue of ``language``, compiled from its ``.po`` once per process (no ``.mo`` to
    keep in step); without one, the source text."""
    source = resources.files("portalkit").joinpath("locale", language, "LC_MESSAGES", f"{DOMAIN}.po")
    if not source.is_file():
        return NullTranslations()
    with source.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: they fall back to English
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(message: str) -> str:
    """``message`` in the active language."""
    return translations(_active.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_active.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return str(translations(_active.get()).pgettext(context, message))


_ = gettext


def active() -> str:
    """The language of the current request or mail."""
    return _active.get()


def supported(language: str | None) -> str | None:
    """``language`` if the portal speaks it (``"es"``, ``"es-MX"``, ``"es_US"`` are Spanish)."""
    if not language:
        return None
    base = language.replace("-", "_").split("_")[0].strip().lower()
    return base if base in LANGUAGES else None


@contextlib.contextmanager
def override(language: str | None) -> Iterator[str]:
    """Speak ``language`` (English when it is not one of ours) inside the block."""
    chosen = supported(language) or DEFAULT_LANGUAGE
    token = _active.set(chosen)
    try:
        yield chosen
    finally:
        _active.reset(token)


def activate(language: str | None) -> None:
    """Switch the language inside an ``override`` block (once the contact is known)."""
    _active.set(supported(language) or DEFAULT_LANGUAGE)


def negotiate(accept_language: str) -> str:
    """The best of our languages for a browser's ``Accept-Language`` header, else English."""
    wanted: list[tuple[float, str]] = []
    for part in accept_language.split(",")[:20]:
        tag, _sep, params = part.strip().partition(";")
        try:
            quality = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        if tag.strip() and quality > 0:
            wanted.append((quality, tag.strip()))
    wanted.sort(key=lambda pair: -pair[0])  # stable: equal qualities keep the browser's order
    return supported(negotiate_locale([tag for _q, tag in wanted], list(LANGUAGES), sep="-")) or DEFAULT_LANGUAGE


def locale() -> Locale:
    return _locale(_active.get())


@functools.cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(LOCALES[language])
    except (KeyError, UnknownLocaleError):
        return Locale.parse(LOCALES[DEFAULT_LANGUAGE])


def money(amount: Decimal) -> str:
    """An amount in the active language's locale: ``$1,287.50``."""
    return _money_formatter(_active.get())(amount)


@functools.cache
def _money_formatter(language: str) -> Callable[[Decimal], str]:
    """How ``language`` writes an amount, worked out once (issue 25: Babel's ``format_currency``
    parsed the locale's pattern on every call, a fifth of a dashboard's time). The locale's
    currency pattern, symbols and grouping are read from Babel once; amounts of at most two
    decimals are then written with Python's own grouping. The result is checked against Babel
    on sample amounts first; a locale whose pattern it cannot follow keeps Babel's formatting."""
    spoken = _locale(language)

    def babel(amount: Decimal) -> str:
        return format_currency(amount, CURRENCY, locale=spoken)

    pattern = spoken.currency_formats["standard"]
    if pattern.grouping != (3, 3) or pattern.frac_prec != (2, 2) or get_currency_precision(CURRENCY) != 2:
        return babel
    symbol = get_currency_symbol(CURRENCY, spoken)
    group, decimal, minus = get_group_symbol(spoken), get_decimal_symbol(spoken), get_minus_sign_symbol(spoken)
    (plus_prefix, minus_prefix), (plus_suffix, minus_suffix) = pattern.prefix, pattern.suffix
    plus_prefix, plus_suffix = plus_prefix.replace("¤", symbol), plus_suffix.replace("¤", symbol)
    minus_prefix = minus_prefix.replace("¤", symbol).replace("-", minus)
    minus_suffix = minus_suffix.replace("¤", symbol).replace("-", minus)
    marks = str.maketrans({",": group, ".": decimal})

    def fast(amount: Decimal) -> str:
        if type(amount) is not Decimal or not amount.is_finite():
            return babel(amount)
        digits = f"{abs(amount):,.2f}".translate(marks)
        return f"{minus_prefix}{digits}{minus_suffix}" if amount.is_signed() else f"{plus_prefix}{digits}{plus_suffix}"

    samples = [
        Decimal(v)
        for v in (
            "0",
            "-0.00",
            "0.05",
            "1",
            "-1",
            "12.5",
            "999.99",
            "1000",
            "-1287.50",
            "1234567.89",
            "-9999999999.99",
            "100000.00",
            "-0.01",
            "0.005",
            "0.015",
            "2.675",
            "-1.005",
            "999.995",
            "1E+3",
            "12.3456",
        )
    ]
    return fast if all(fast(a) == babel(a) for a in samples) else babel


@functools.lru_cache(maxsize=8192)
def _date(language: str, value: date, width: str) -> str:
    return format_date(value, width, locale=_locale(language))


def day(value: date | datetime) -> str:
    """A date written out: "November 30, 2026", "30 de noviembre de 2026"."""
    return _date(_active.get(), value.date() if isinstance(value, datetime) else value, "long")


def short_day(value: date | datetime) -> str:
    """A date in a table: "Nov 30, 2026", "30 nov 2026"."""
    return _date(_active.get(), value.date() if isinstance(value, datetime) else value, "medium")


def moment(value: datetime) -> str:
    """A time stamp in UTC, to the minute: "Nov 30, 2026, 10:44 AM", "30 nov 2026, 10:44"."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return _moment(_active.get(), value.replace(second=0, microsecond=0))


@functools.lru_cache(maxsize=8192)
def _moment(language: str, value: datetime) -> str:
    spoken = _locale(language)
    pattern = str(get_datetime_format("medium", locale=spoken)).replace("'", "")
    return pattern.replace("{0}", format_time(value, "short", tzinfo=UTC, locale=spoken)).replace(
        "{1}", format_date(value, "medium", locale=spoken)
    )


__all__ = [
    "CURRENCY",
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALES",
    "NP_",
    "N_",
    "activate",
    "active",
    "day",
    "gettext",
    "locale",
    "moment",
    "money",
    "negotiate",
    "ngettext",
    "override",
    "pgettext",
    "short_day",
    "supported",
    "translations",
]
