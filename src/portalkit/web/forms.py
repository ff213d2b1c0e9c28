"""Reading form values the way the pages need them."""

from __future__ import annotations

import enum
from typing import Any, TypeVar

E = TypeVar("E", bound=enum.Enum)


def choice(enum_cls: type[E], value: str, default: Any = "first") -> Any:
    """The member whose value or name is ``value`` (or, for a coded enum, the label it was stored
    as before codes: a bookmarked ``?status=Open``); else the first member (or ``default``)."""
    for member in enum_cls:
        if member.value == value or member.name == value:
            return member
    try:
        return enum_cls(value)
    except ValueError:
        return next(iter(enum_cls)) if default == "first" else default


def to_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0
