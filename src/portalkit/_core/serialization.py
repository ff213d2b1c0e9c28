"""cattrs converter: every record to and from JSON-safe primitives, losslessly.

Decimals travel as strings (never floats), dates and datetimes as ISO 8601, bytes as base64.
"""

from __future__ import annotations

import base64
import enum
import types
import typing
from collections.abc import Callable, Iterable, Sequence
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


def structurer(tp: Any) -> Callable[[Any], Any]:
    """How a stored value of type ``tp`` (not None) becomes the field's value: an enum from its
    value (a dictionary lookup; anything else, such as an old label, as the enum reads it),
    anything else as cattrs structures it."""
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = {member.value: member for member in tp}

        def member(value: Any) -> Any:
            found = members.get(value)
            return found if found is not None else tp(value)

        return member
    return lambda value: from_primitive(value, tp)


def record_maker(cls: type[T], names: Sequence[str], stored: Iterable[str] = ()) -> Callable[[Sequence[Any]], T]:
    """How a storage makes a ``cls`` from its field values in ``names`` order, the values of the
    fields named in ``stored`` (enums, JSON) as stored, structured first (``structurer``).

    ``cls(**values)`` in general (``construct``). When that is all the constructor would do
    (``fill_slots``): an attrs class with slots and attrs' own ``__init__``, whose fields are
    exactly ``names``, have no validator or converter, and whose only other slot is
    ``__weakref__`` (no hash cache), without pre- or post-init hooks, the record's slots are
    filled directly: a frozen class's ``__init__`` sets every field through
    ``object.__setattr__``, and filling the slots costs a quarter of it (issue 25: a list of 50
    invoices spent a third of its time in their constructors)."""
    names, stored = tuple(names), set(stored)
    hints = typing.get_type_hints(cls)
    structured = tuple(
        (at, structurer(unwrap_optional(hints[name])[0])) for at, name in enumerate(names) if name in stored
    )
    make = _maker(cls, names)
    if not structured:
        return make

    def structure_then_make(values: Sequence[Any]) -> T:
        values = list(values)
        for at, structure in structured:
            if values[at] is not None:
                values[at] = structure(values[at])
        return make(values)

    return structure_then_make


def _maker(cls: type[T], names: tuple[str, ...]) -> Callable[[Sequence[Any]], T]:
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
    if not plain:
        return None
    slots = [getattr(cls, name, None) for name in names]
    if not all(isinstance(slot, types.MemberDescriptorType) for slot in slots):
        return None
    return tuple(slot.__set__ for slot in slots)  # type: ignore[union-attr]
