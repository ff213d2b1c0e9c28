"""Money: Decimal only, two places, half-up rounding. Floats are refused, never converted.

Text is read strictly: ASCII digits, an optional ``$``, thousands separators only in groups of
three (``1,287.50``), at most two decimals. ``1,50`` is refused rather than guessed at, and no
amount may exceed ``MAXIMUM``.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import i18n
from .errors import ValidationError
from .i18n import N_, _

CENT = Decimal("0.01")
MAXIMUM = Decimal("9999999999.99")  # fits NUMERIC(18, 2) with room for sums
_AMOUNT = re.compile(r"\$?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?", re.ASCII)
_HINT = N_("Enter an amount like 125.00.")


def parse(value: object, *, field: str = "amount") -> Decimal:
    """A non-negative Decimal from a Decimal, int or text like ``"1,287.50"``; at most two decimals."""
    if isinstance(value, (float, bool)):
        raise ValidationError(_("Amounts must be given as Decimal or text, not float."), field=field)
    if isinstance(value, str):
        text = value.strip()
        if not _AMOUNT.fullmatch(text):
            raise ValidationError(_(_HINT), field=field)
        amount = Decimal(text.lstrip("$").replace(",", ""))
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    else:
        raise ValidationError(_(_HINT), field=field)
    if not amount.is_finite() or amount < 0 or amount > MAXIMUM:
        raise ValidationError(
            _("Enter an amount between 0 and %(maximum)s.") % {"maximum": display(MAXIMUM)}, field=field
        )
    exact = amount.quantize(CENT)  # cannot overflow: bounded by MAXIMUM above
    if amount != exact:
        raise ValidationError(_("Amounts have at most two decimal places."), field=field)
    return exact


def percent(value: object, *, field: str = "percent", maximum: Decimal = Decimal(100)) -> Decimal:
    """An exact percentage from 0 to ``maximum``; a float is refused (2.9 is not 2.9 in binary)."""
    if isinstance(value, (float, bool)) or not isinstance(value, (str, int, Decimal)):
        raise ValidationError(
            f"{field} must be a Decimal, an int or text such as '2.9', not {type(value).__name__}.", field=field
        )
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation as exc:
        raise ValidationError(f"{field} must be a number such as 2.9.", field=field) from exc
    if not number.is_finite() or not 0 <= number <= maximum or number != number.quantize(Decimal("0.0001")):
        raise ValidationError(f"{field} must be between 0 and {maximum}, with at most 4 decimals.", field=field)
    return number


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def display(amount: Decimal) -> str:
    """``$1,287.50``: how money is shown everywhere (pages, mails, PDFs), in the active language."""
    return i18n.money(amount)
