"""In-memory adapters: storage, mailer and clock, for tests and single-process demos."""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs

from ..errors import Conflict
from ..models import UNIQUE
from ..ports import Mail, satisfies
from .files import file_key

T = TypeVar("T")


class MemoryStorage:
    """Dict-backed storage with real transactions: one writer at a time, rollback on error."""

    def __init__(self) -> None:
        self._tables: dict[type, dict[str, Any]] = {}
        self._unique: dict[tuple[type, tuple[str, ...]], dict[Any, str]] = {}  # (type, fields) -> values -> id
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            snapshot = (
                {cls: dict(rows) for cls, rows in self._tables.items()},
                {key: dict(index) for key, index in self._unique.items()},
            )
            self._depth = 1
            try:
                yield
            except BaseException:
                self._tables, self._unique = snapshot
                raise
            finally:
                self._depth = 0

    def _rows(self, cls: type) -> dict[str, Any]:
        return self._tables.setdefault(cls, {})

    def get(self, cls: type[T], id: str) -> T | None:
        with self._lock:
            return self._rows(cls).get(id)

    def get_many(self, cls: type[T], ids: Iterable[str]) -> dict[str, T]:
        with self._lock:
            rows = self._rows(cls)
            return {i: rows[i] for i in ids if i in rows}

    def find(self, cls: type[T], **where: Any) -> list[T]:
        with self._lock:
            return [r for r in self._rows(cls).values() if all(satisfies(getattr(r, k), v) for k, v in where.items())]

    supports_skip_locked = True  # one writer at a time: nothing is ever locked by another

    def page(
        self,
        cls: type[T],
        *,
        order: Sequence[str],
        limit: int,
        descending: bool = False,
        after: T | None = None,
        skip_locked: bool = False,
        **where: Any,
    ) -> list[T]:
        keys = [*order, "id"]

        def position(record: Any) -> tuple[Any, ...]:
            return tuple(_sortable(getattr(record, k)) for k in keys)

        found = sorted(self.find(cls, **where), key=position, reverse=descending)
        if after is not None:
            last = position(after)
            found = [r for r in found if (position(r) < last if descending else position(r) > last)]
        return found[:limit]

    @staticmethod
    def _key(record: Any, fields: tuple[str, ...]) -> tuple[Any, ...] | None:
        values = tuple(getattr(record, f) for f in fields)
        return None if None in values else values

    def _clash(self, record: Any) -> str | None:
        """The unique fields whose values another record already holds, if any."""
        for fields in UNIQUE.get(type(record), ()):
            key = self._key(record, fields)
            holder = self._unique.get((type(record), fields), {}).get(key)
            if key is not None and holder not in (None, record.id):
                return ", ".join(fields)
        return None

    def _index(self, record: Any, old: Any = None) -> None:
        if old is not None:
            self._unindex(old)
        for fields in UNIQUE.get(type(record), ()):
            key = self._key(record, fields)
            if key is not None:
                self._unique.setdefault((type(record), fields), {})[key] = record.id

    def _unindex(self, record: Any) -> None:
        for fields in UNIQUE.get(type(record), ()):
            self._unique.get((type(record), fields), {}).pop(self._key(record, fields), None)

    def insert(self, record: Any) -> Any:
        self.insert_many([record])
        return record

    def insert_many(self, records: Iterable[Any], *, skip_existing: bool = False) -> None:
        with self.transaction():
            for record in records:
                rows = self._rows(type(record))
                clash = "id" if record.id in rows else self._clash(record)
                if clash:
                    if skip_existing:
                        continue
                    raise Conflict(f"{type(record).__name__} {clash} already in use")
                rows[record.id] = record
                self._index(record)

    def delete_many(self, cls: type, ids: Iterable[str]) -> None:
        with self.transaction():
            rows = self._rows(cls)
            for i in ids:
                old = rows.pop(i, None)
                if old is not None:
                    self._unindex(old)

    def update_many(self, records: list[Any]) -> list[Any]:
        with self.transaction():
            return [self.update(r) for r in records]

    def update(self, record: Any) -> Any:
        with self.transaction():
            rows = self._rows(type(record))
            current = rows.get(record.id)
            if current is None or current.version != record.version:
                raise Conflict(f"{type(record).__name__} {record.id} was changed concurrently")
            clash = self._clash(record)
            if clash:
                raise Conflict(f"{type(record).__name__} {clash} already in use")
            stored = attrs.evolve(record, version=record.version + 1)
            rows[record.id] = stored
            self._index(stored, current)
            return stored


def _sortable(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


class MemoryFileStore:
    """Files in a dict, content-addressed like the local store; ``reads`` counts ``get`` calls."""

    def __init__(self) -> None:
        self.files: dict[tuple[str, str], bytes] = {}
        self.reads = 0

    def put(self, namespace: str, data: bytes) -> str:
        key = file_key(data)
        self.files[(namespace, key)] = bytes(data)
        return key

    def get(self, namespace: str, key: str) -> bytes | None:
        self.reads += 1
        return self.files.get((namespace, key))


class MemoryMailer:
    """Keeps every sent mail in ``outbox`` (a list), newest last."""

    def __init__(self) -> None:
        self.outbox: list[Mail] = []

    def send(self, mail: Mail) -> None:
        self.outbox.append(mail)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.outbox if address in m.to]


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to, for tests of expiry and windows."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when
