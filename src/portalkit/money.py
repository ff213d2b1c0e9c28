"""Money: Decimal only, two places, half-up rounding. Floats are refused, never converted."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import ValidationError

CENT = Decimal("0.01")


def parse(value: object, *, field: str = "amount") -> Decimal:
    """A Decimal from a Decimal, int or text like ``"12.50"``; at most two decimal places."""
    if isinstance(value, float) or isinstance(value, bool):
        raise ValidationError("Amounts must be given as Decimal or text, not float.", field=field)
    try:
        if isinstance(value, str):
            amount = Decimal(value.strip().replace(",", ""))
        elif isinstance(value, (Decimal, int)):
            amount = Decimal(value)
        else:
            raise TypeError(type(value).__name__)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError("Enter an amount like 125.00.", field=field) from exc
    if not amount.is_finite():
        raise ValidationError("Enter an amount like 125.00.", field=field)
    if amount != amount.quantize(CENT):
        raise ValidationError("Amounts have at most two decimal places.", field=field)
    return amount.quantize(CENT)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
