"""Many companies in one storage: every record carries a company, every query filters on it.

A :class:`Portal` is one company. It sees its storage only through ``CompanyStorage``, which
stamps the company on every record it writes and adds it to every read, so no service can
reach another company's record by id, by query, by token or by session: a record of another
company is ``None`` to ``get``, absent from ``find`` and ``page``, and a ``Conflict`` to write.
The worker that serves all companies uses the shared storage underneath.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

import attrs

from ..errors import Conflict, ValidationError
from ..inputs import is_identifier
from ..ports import Ref, Storage, expect, reading

T = TypeVar("T")


def check_company_id(company_id: object) -> str:
    if not isinstance(company_id, str) or not is_identifier(company_id):
        raise ValidationError("A company id is 1 to 64 letters, digits, hyphens or underscores.", field="company_id")
    return company_id


class CompanyStorage:
    """The :class:`portalkit.ports.Storage` of one company, on a storage shared by many."""

    def __init__(self, shared: Storage, company_id: str):
        self.shared = shared
        self.company_id = check_company_id(company_id)

    def transaction(self) -> AbstractContextManager[None]:
        return self.shared.transaction()

    def reading(self) -> AbstractContextManager[None]:
        """The shared storage's ``reading()`` (a block's reads on one connection), if it has one."""
        return reading(self.shared)

    def _own(self, record: T | None) -> T | None:
        return record if record is not None and getattr(record, "company_id") == self.company_id else None

    def _stamped(self, record: T) -> T:
        if getattr(record, "company_id") == self.company_id:
            return record
        return attrs.evolve(record, company_id=self.company_id)  # type: ignore[misc]

    def get(self, cls: type[T], id: str) -> T | None:
        return self._own(self.shared.get(cls, id))

    def get_many(self, cls: type[T], ids: Iterable[str]) -> dict[str, T]:
        return {k: v for k, v in self.shared.get_many(cls, ids).items() if self._own(v) is not None}

    def find(self, cls: type[T], **where: Any) -> list[T]:
        return self.shared.find(cls, **where, company_id=self.company_id)

    def page(
        self,
        cls: type[T],
        *,
        order: Sequence[str],
        limit: int,
        descending: bool = False,
        after: T | None = None,
        **where: Any,
    ) -> list[T]:
        return self.shared.page(
            cls,
            order=order,
            limit=limit,
            descending=descending,
            after=self._own(after),
            **where,
            company_id=self.company_id,
        )

    def expect(self, wanted: list[tuple[type, str | Ref]]) -> AbstractContextManager[None]:
        """``ports.expect`` on the shared storage; what is read is still the company's or
        ``None`` to ``get``."""
        return expect(self.shared, wanted)

    def seek_page(
        self,
        cls: type[T],
        after_id: str,
        *,
        order: Sequence[str],
        limit: int,
        descending: bool = False,
        **where: Any,
    ) -> list[T] | None:
        """The shared storage's ``seek_page`` (the page after a cursor given by its id, in one
        read) within the company; ``None`` when it has none (``paging.fetch``)."""
        seek = getattr(self.shared, "seek_page", None)
        if seek is None:
            return None
        found: list[T] | None = seek(
            cls, after_id, order=order, limit=limit, descending=descending, **where, company_id=self.company_id
        )
        return found

    def insert(self, record: T) -> T:
        return self.shared.insert(self._stamped(record))

    def insert_many(self, records: Iterable[Any], *, skip_existing: bool = False) -> None:
        self.shared.insert_many([self._stamped(r) for r in records], skip_existing=skip_existing)

    def _check_own(self, records: Iterable[Any]) -> None:
        if any(r.company_id != self.company_id for r in records):
            raise Conflict("A record of another company cannot be written here.")

    def update(self, record: T) -> T:
        self._check_own([record])
        return self.shared.update(record)

    def update_many(self, records: list[T]) -> list[T]:
        self._check_own(records)
        return self.shared.update_many(records)

    def delete_many(self, cls: type, ids: Iterable[str]) -> None:
        self.shared.delete_many(cls, list(self.get_many(cls, ids)))
