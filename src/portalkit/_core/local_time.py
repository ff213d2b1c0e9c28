"""Times as the reader's clock shows them: a visit's arrival window in the customer's (or the
company's) time zone, in the active language (``i18n``)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time

from .. import i18n


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC for an empty or unknown one."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(value: datetime, zone_name: str) -> date:
    """The calendar day of ``value`` in the zone."""
    return value.astimezone(zone(zone_name)).date()


def local_day(value: datetime, zone_name: str) -> str:
    """ "Tuesday, December 8, 2026" / "martes, 8 de diciembre de 2026" in the zone."""
    return format_date(value.astimezone(zone(zone_name)), "full", locale=i18n.locale())


def local_time(value: datetime, zone_name: str) -> str:
    """ "9:30 AM" / "9:30" in the zone."""
    return format_time(value.astimezone(zone(zone_name)), "short", locale=i18n.locale())
