"""Tips at payment (issue 27, TIP-*): where the company turns them on (``PortalConfig.tips_enabled``,
off by default), the payer adds a tip to a payment — one of the suggested percents of the
amount paid (``tip_percents``, 10, 15 and 20 by default) or an amount of their own.

A tip is money on top of the payment: the card fee is computed on the invoice amount only, never
on the tip; the processor charges amount + fee + tip in one charge; the invoice's amount due goes
down by the amount only; receipts, statements and the host's payment events show the tip as its
own figure. A tip that is negative, has more than two decimals, is not a number, or is above
``tip_max_percent`` of the amount paid (a typo: 1500 for 15.00) is a ``ValidationError`` and
nothing is written.
"""

from __future__ import annotations

from decimal import Decimal

from .. import money
from ..config import PortalConfig
from ..errors import ValidationError
from ..i18n import _

NONE, CUSTOM = "none", "custom"
ZERO = Decimal("0.00")


def given(value: object) -> bool:
    """Whether the customer entered a tip at all (``None`` and blank text are no tip)."""
    return not (value is None or (isinstance(value, str) and not value.strip()))


def checked(value: object, base: Decimal, config: PortalConfig) -> Decimal:
    """The tip ``value`` (text, Decimal or int; ``None`` or "" for none) on a payment of
    ``base``, checked: never negative, at most two decimals, at most ``tip_max_percent`` of
    ``base``, and only where the company takes tips."""
    if not given(value):
        return ZERO
    try:
        tip = money.parse(value, field="tip")
    except ValidationError as exc:
        raise ValidationError(_("Enter a tip like 5.00, or no tip."), field="tip") from exc
    if tip == 0:
        return ZERO
    if not config.tips_enabled:
        raise ValidationError(_("Tips are not taken here."), field="tip")
    cap = cap_of(base, config)
    if tip > cap:
        raise ValidationError(
            _("A tip is at most %(percent)s percent of the amount paid: %(cap)s.")
            % {"percent": percent_text(config.tip_max_percent), "cap": money.display(cap)},
            field="tip",
        )
    return tip


def cap_of(base: Decimal, config: PortalConfig) -> Decimal:
    """The largest tip on a payment of ``base``."""
    return money.percent_of(base, config.tip_max_percent)


def from_choice(choice: str, custom: str, base: Decimal, config: PortalConfig) -> Decimal:
    """The pay page's tip: ``choice`` is "none", one of the suggested percents ("15") or
    "custom" (then ``custom`` is the amount); a percent is of ``base``, rounded half up to the
    cent. Checked as ``checked`` does."""
    choice = (choice or NONE).strip()
    if choice == NONE:
        return ZERO
    if choice == CUSTOM:
        return checked(custom, base, config)
    offered = {percent_text(p): p for p in config.tip_percents}
    if choice not in offered or not config.tips_enabled:
        raise ValidationError(_("Choose one of the tips shown, or enter an amount."), field="tip")
    return checked(money.percent_of(base, offered[choice]), base, config)


def suggestions(base: Decimal, config: PortalConfig) -> list[tuple[str, Decimal]]:
    """The suggested tips on ``base``: ("15", Decimal("18.75")), ... in the company's order."""
    return [(percent_text(p), money.percent_of(base, p)) for p in config.tip_percents]


def percent_text(value: Decimal) -> str:
    """15 for 15.00, 12.5 for 12.50: how a percent is written on the page and in the form."""
    return format(value.normalize(), "f")


__all__ = ["CUSTOM", "NONE", "cap_of", "checked", "from_choice", "percent_text", "suggestions"]
