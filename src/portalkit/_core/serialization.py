"""cattrs converter: every record to and from JSON-safe primitives, losslessly.

Decimals travel as strings (never floats), dates and datetimes as ISO 8601, bytes as base64.
"""

from __future__ import annotations

import base64
import enum
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import cattrs

T = TypeVar("T")


def make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, lambda v, _: Decimal(str(v)))
    conv.register_unstructure_hook(datetime, datetime.isoformat)
    conv.register_structure_hook(datetime, lambda v, _: v if isinstance(v, datetime) else datetime.fromisoformat(v))
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_structure_hook(date, lambda v, _: v if isinstance(v, date) else date.fromisoformat(v))
    conv.register_unstructure_hook(bytes, lambda b: base64.b64encode(b).decode("ascii"))
    conv.register_structure_hook(bytes, lambda v, _: v if isinstance(v, bytes) else base64.b64decode(v))
    conv.register_structure_hook(dict, lambda v, _: dict(v))
    conv.register_unstructure_hook_func(lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda e: e.value)
    conv.register_unstructure_hook_func(
        lambda t: getattr(t, "__origin__", t) is frozenset,
        lambda s: sorted(conv.unstructure(x) for x in s),
    )
    return conv


converter = make_converter()


def to_primitive(obj: Any) -> Any:
    return converter.unstructure(obj)


def from_primitive(data: Any, cls: type[T]) -> T:
    return converter.structure(data, cls)


def unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """``(T, True)`` for ``T | None``, ``(tp, False)`` otherwise."""
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return tp, False
