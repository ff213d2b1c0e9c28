"""The :class:`portalkit.ports.Storage` on Django's ORM: the portal's records in the host's own
database, in tables ``manage.py migrate`` creates, one transaction with the host's.

``DjangoStorage()`` (or ``DjangoStorage(using="other")``). Portal operations run in
``transaction.atomic``: inside a host's ``atomic`` block they join it (as a savepoint), so a
portal change and the host's own commit or roll back together. Compare-and-swap updates are
``UPDATE ... WHERE id = %s AND version = %s``; a unique clash is a ``Conflict``. On SQLite set
``"OPTIONS": {"transaction_mode": "IMMEDIATE"}`` so writers queue instead of failing (system
check W002 says so).
"""

from __future__ import annotations

import enum
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence, TypeVar

import attrs
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Model, Q

from ...errors import Conflict, StorageError
from ...ports import AtLeast, In, Not
from ...serialization import from_primitive, to_primitive
from .models import RECORD_MODELS

T = TypeVar("T")
CHUNK = 500


def _native(model: type[Model]) -> frozenset[str]:
    return frozenset(f.name for f in model._meta.concrete_fields if f.get_internal_type() != "JSONField")


class DjangoStorage:
    def __init__(self, using: str = "default"):
        self.using = using
        self._native = {cls: _native(model) for cls, model in RECORD_MODELS.items()}

    # -- mapping --------------------------------------------------------------------------
    def _objects(self, cls: type) -> Any:
        return RECORD_MODELS[cls]._default_manager.using(self.using)

    def _row(self, record: Any) -> dict[str, Any]:
        native, primitive = self._native[type(record)], to_primitive(record)
        return {k: (_value(getattr(record, k)) if k in native else v) for k, v in primitive.items()}

    @staticmethod
    def _record(cls: type[T], values: dict[str, Any]) -> T:
        return from_primitive(values, cls)

    def _where(self, cls: type, where: dict[str, Any]) -> Q:
        q = Q()
        for name, value in where.items():
            if isinstance(value, In):
                q &= Q(**{f"{name}__in": [_value(v) for v in value.values]})
            elif isinstance(value, AtLeast):
                q &= Q(**{f"{name}__gte": _value(value.value)})
            elif isinstance(value, Not):
                q &= Q(**{f"{name}__isnull": False})
                if value.value is not None:
                    q &= ~Q(**{name: _value(value.value)})
            elif value is None:
                q &= Q(**{f"{name}__isnull": True})
            else:
                q &= Q(**{name: _value(value)})
        return q

    def _fetch(self, cls: type[T], query: Any) -> list[T]:
        return [self._record(cls, values) for values in query.values()]

    # -- the port -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        with _errors(), transaction.atomic(using=self.using):
            yield

    def get(self, cls: type[T], id: str) -> T | None:
        with _errors():
            found = self._fetch(cls, self._objects(cls).filter(pk=id))
        return found[0] if found else None

    def get_many(self, cls: type[T], ids: Iterable[str]) -> dict[str, T]:
        ids, found = list(dict.fromkeys(ids)), {}
        with _errors():
            for start in range(0, len(ids), CHUNK):
                for record in self._fetch(cls, self._objects(cls).filter(pk__in=ids[start:start + CHUNK])):
                    found[getattr(record, "id")] = record
        return found

    def find(self, cls: type[T], **where: Any) -> list[T]:
        with _errors():
            return self._fetch(cls, self._objects(cls).filter(self._where(cls, where)))

    def page(self, cls: type[T], *, order: Sequence[str], limit: int, descending: bool = False,
             after: T | None = None, **where: Any) -> list[T]:
        keys = [*order, "id"]
        query = self._objects(cls).filter(self._where(cls, where))
        if after is not None:  # (a, b, id) > (x, y, z), spelt out: Django has no row comparison
            beyond, same = Q(), Q()
            for key in keys:
                value = _value(getattr(after, key))
                beyond |= same & Q(**{f"{key}__{'lt' if descending else 'gt'}": value})
                same &= Q(**{key: value})
            query = query.filter(beyond)
        query = query.order_by(*(f"-{k}" if descending else k for k in keys))[:limit]
        with _errors():
            return self._fetch(cls, query)

    def insert(self, record: T) -> T:
        self.insert_many([record])
        return record

    def insert_many(self, records: Iterable[Any], *, skip_existing: bool = False) -> None:
        by_type: dict[type, list[Model]] = {}
        for record in records:
            by_type.setdefault(type(record), []).append(RECORD_MODELS[type(record)](**self._row(record)))
        with _errors(), transaction.atomic(using=self.using):
            for cls, rows in by_type.items():
                for start in range(0, len(rows), CHUNK):
                    self._objects(cls).bulk_create(rows[start:start + CHUNK], ignore_conflicts=skip_existing)

    def update(self, record: T) -> T:
        return self.update_many([record])[0]

    def update_many(self, records: list[T]) -> list[T]:
        stored = [attrs.evolve(r, version=getattr(r, "version") + 1) for r in records]  # type: ignore[misc]
        with _errors(), transaction.atomic(using=self.using):
            for old, new in zip(records, stored):
                row = self._row(new)
                row.pop("id")
                changed = self._objects(type(old)).filter(pk=getattr(old, "id"), version=getattr(old, "version")) \
                    .update(**row)
                if changed != 1:
                    raise Conflict(f"{type(old).__name__} was changed concurrently")
        return stored

    def delete_many(self, cls: type, ids: Iterable[str]) -> None:
        ids = list(ids)
        with _errors(), transaction.atomic(using=self.using):
            for start in range(0, len(ids), CHUNK):
                self._objects(cls).filter(pk__in=ids[start:start + CHUNK])._raw_delete(self.using)

    def truncate_all(self) -> None:
        """Empty every portal table (tests)."""
        with transaction.atomic(using=self.using):
            for cls in RECORD_MODELS:
                self._objects(cls).all()._raw_delete(self.using)


def _value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except IntegrityError as exc:
        raise Conflict("A record with the same key already exists.") from exc
    except DatabaseError as exc:
        if "could not serialize" in str(exc) or "deadlock" in str(exc) or "locked" in str(exc):
            raise Conflict() from exc
        raise StorageError(f"Database error: {type(exc).__name__}") from exc
