"""cattrs converter: every record to and from JSON-safe primitives, losslessly.

Decimals travel as strings (never floats), dates and datetimes as ISO 8601, bytes as base64.
"""

from __future__ import annotations

import base64
import enum
import types
import typing
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
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


def record_maker(cls: type[T], names: Sequence[str]) -> Callable[[Sequence[Any]], T]:
    """How a storage makes a ``cls`` from its field values in ``names`` order.

    ``cls(**values)`` in general (``construct``). When that is all the constructor would do
    (``fill_slots``): an attrs class with slots and attrs' own ``__init__``, whose fields are
    exactly ``names``, have no validator or converter, and whose only other slot is
    ``__weakref__`` (no hash cache), without pre- or post-init hooks, the record's slots are
    filled directly: a frozen class's ``__init__`` sets every field through
    ``object.__setattr__``, and filling the slots costs a quarter of it (issue 25: a list of 50
    invoices spent a third of its time in their constructors)."""
    names = tuple(names)
    setters = _slot_setters(cls, names)
    if setters is None:

        def construct(values: Sequence[Any]) -> T:
            return cls(**dict(zip(names, values, strict=True)))

        return construct
    new, count = object.__new__, len(setters)

    def fill_slots(values: Sequence[Any]) -> T:
        if len(values) != count:
            raise TypeError(f"{cls.__name__} takes {count} values, not {len(values)}")
        record = new(cls)
        for set_slot, value in zip(setters, values):
            set_slot(record, value)
        return record

    return fill_slots


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[Any, Any], None], ...] | None:
    """The slots' own setters of ``names``, or ``None`` when the constructor does more than
    fill them."""
    if not attrs.has(cls) or "__slots__" not in cls.__dict__ or cls.__new__ is not object.__new__:
        return None
    init = getattr(cls.__init__, "__code__", None)
    fields = attrs.fields(cls)
    plain = (
        init is not None
        and init.co_filename.startswith("<attrs generated")
        and tuple(f.name for f in fields) == names
        and all(f.init and f.validator is None and f.converter is None for f in fields)
        and not any(hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__"))
        and set(cls.__dict__["__slots__"]) <= {*names, "__weakref__"}
    )
    slots = [getattr(cls, name, None) for name in names] if plain else []
    if not plain or not all(isinstance(slot, types.MemberDescriptorType) for slot in slots):
        return None
    return tuple(slot.__set__ for slot in slots)  # type: ignore[union-attr]
