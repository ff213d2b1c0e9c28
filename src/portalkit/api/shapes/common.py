"""The building blocks of every shape: money as a string with two decimals, times in UTC, days,
problems (API-4) and the keyset cursor of a page (API-5)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

import attrs
from msgspec import Meta

Money = Annotated[
    str,
    Meta(
        pattern=r"^-?[0-9]+\.[0-9]{2}$",
        examples=["125.00"],
        description="An amount in the company's currency: a string with two decimals.",
    ),
]
Quantity = Annotated[str, Meta(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["4", "1.5"])]
Time = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$",
        examples=["2026-05-31T14:30:00Z"],
        description="An instant in ISO 8601, in UTC.",
        extra_json_schema={"format": "date-time"},
    ),
]
Day = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        examples=["2026-05-31"],
        description="A calendar day in ISO 8601.",
        extra_json_schema={"format": "date"},
    ),
]
Id = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_\-]{1,64}$", description="A portal id.")]
Cursor = Annotated[str | None, Meta(description="Pass as `after` for the next page; null on the last page.")]
Limit = Annotated[int, Meta(ge=1, le=200, description="At most this many items (1 to 200).")]


def money(amount: Decimal) -> str:
    """``Decimal("125.5")`` -> ``"125.50"``: never a float."""
    return f"{amount.quantize(Decimal('0.01')):f}"


def when(moment: datetime) -> str:
    """An instant in UTC, ISO 8601 with ``Z`` (a naive one is taken as UTC, as storage keeps it)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def maybe_when(moment: datetime | None) -> str | None:
    return None if moment is None else when(moment)


def day(value: date) -> str:
    return value.isoformat()


@attrs.frozen(kw_only=True)
class FieldError:
    """One invalid input: the field (a body member, or a JSON path) and what is wrong with it."""

    field: str
    detail: str


@attrs.frozen(kw_only=True)
class Problem:
    """RFC 9457 problem details: ``type`` names the kind of refusal, ``detail`` says it in the
    caller's language."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    errors: list[FieldError] = []
    retry_after: int | None = None


@attrs.frozen(kw_only=True)
class Message:
    """A sentence for the person using the app (the same answer for every address, ACC-3)."""

    message: str


@attrs.frozen(kw_only=True)
class FileLink:
    """A file the contact may open (a photo, a PDF), served by the API at ``url``."""

    id: Id
    filename: str
    content_type: str
    size: int
    url: str
