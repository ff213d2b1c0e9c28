"""Keyset pagination for every list a customer or staff user sees.

A list returns a :class:`Page`: at most ``limit`` items and ``next_after``, the id to pass as
``after`` for the next page (``None`` on the last one). The storage seeks to that record's
position in the list's order, so page 1,000 costs what page 1 does, and no list loads more rows
than it shows (plus one, to know whether there is a next page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

import attrs

from .. import inputs
from ..errors import NotFound
from ..i18n import _
from ..ports import Storage, reading, satisfies

T = TypeVar("T")
R = TypeVar("R")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@attrs.frozen(eq=False)
class Page(Sequence[T], Generic[T]):
    """One page of a list; use it like a list (it equals a list of the same items).
    ``next_after`` continues it."""

    items: tuple[T, ...]
    next_after: str | None = None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Page):
            return self.items == other.items and self.next_after == other.next_after
        return isinstance(other, (list, tuple)) and list(self.items) == list(other)

    __hash__ = None  # type: ignore[assignment]

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)


def matches(record: Any, where: dict[str, Any]) -> bool:
    """Whether ``record`` is one ``find(**where)`` would return."""
    return all(satisfies(getattr(record, name), wanted) for name, wanted in where.items())


def limit_of(limit: object) -> int:
    return inputs.integer(limit, "limit", minimum=1, maximum=MAX_LIMIT)


def fetch(
    storage: Storage,
    cls: type[R],
    *,
    order: Sequence[str],
    after: str | None,
    limit: object,
    descending: bool = False,
    row: Callable[[R], T] | None = None,
    **where: Any,
) -> Page[T]:
    """One page of ``cls`` records matching ``where``; ``row`` turns each into what the list shows.

    ``after`` is an id from a previous page's ``next_after``; one that names no record of this
    list (of this company, matching ``where``: an invoice the contact cannot see is no cursor of
    their list) is ``NotFound``, as a wrong id is everywhere else."""
    size = limit_of(limit)
    with reading(storage):  # the cursor's read and the page's on one connection
        if after is None:
            records = storage.page(cls, order=order, limit=size + 1, descending=descending, **where)
        else:
            records = _after(storage, cls, after, order=order, limit=size + 1, descending=descending, where=where)
    return page_of(records, size, row)


def _after(
    storage: Storage, cls: type[R], after: str, *, order: Sequence[str], limit: int, descending: bool, where: Any
) -> list[R]:
    """The records after the cursor ``after``: in one read where the storage seeks to a cursor
    given by its id (``seek_page``), else the cursor's record read, then the page after it. The
    cursor is read when the seek finds nothing too, to tell the list's end from an id that is no
    record of the list (``NotFound``)."""
    seek = getattr(storage, "seek_page", None)
    found: list[R] | None = None
    start = None
    if inputs.is_identifier(after):
        if seek is not None:
            found = seek(cls, after, order=order, limit=limit, descending=descending, **where)
            if found:
                return found
        start = storage.get(cls, after)
    if start is None or not matches(start, where):
        raise NotFound(_("This page of the list is no longer there; start from the first page."))
    if found is not None:  # sought, and the list ends at the cursor
        return found
    return storage.page(cls, order=order, limit=limit, descending=descending, after=start, **where)


def page_of(records: Sequence[R], size: int, row: Callable[[R], T] | None = None) -> Page[T]:
    """The page of the first ``size`` of ``records`` (read in the list's order, one more than
    ``size`` if there are more), each turned by ``row``; ``next_after`` is the last one shown
    when more were read."""
    shown = records[:size]
    following = getattr(shown[-1], "id") if len(records) > size else None
    convert: Callable[[R], Any] = row or (lambda r: r)
    return Page(tuple(convert(r) for r in shown), following)
