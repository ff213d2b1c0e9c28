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
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
from django.db import DatabaseError, connections, transaction
from django.db.models import Model, Q

from ..._core.serialization import from_primitive, record_maker, to_primitive, unwrap_optional
from ...errors import Conflict, database_error
from ...ports import AtLeast, In, Not, condition_kind
from .models import RECORD_MODELS

T = TypeVar("T")
CHUNK = 500


def _native(model: type[Model]) -> frozenset[str]:
    return frozenset(f.name for f in model._meta.concrete_fields if f.get_internal_type() != "JSONField")


class DjangoStorage:
    def __init__(self, using: str = "default"):
        self.using = using
        self._native = {cls: _native(model) for cls, model in RECORD_MODELS.items()}
        self._readers: dict[tuple[type, str], _Reads] = {}

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

    def _reads(self, cls: type) -> _Reads | None:
        """The SQL reads of ``cls`` (see :class:`_Reads`) on a database that has them."""
        connection = connections[self.using]
        if connection.vendor not in _Reads.VENDORS:
            return None
        key = (cls, connection.vendor)
        reads = self._readers.get(key)
        if reads is None:
            reads = self._readers[key] = _Reads(RECORD_MODELS[cls], cls, connection)
        return reads

    def get(self, cls: type[T], id: str) -> T | None:
        reads = self._reads(cls)
        with _errors():
            if reads is not None:
                found = reads.run(connections[self.using], {"id": id})
            else:
                found = self._fetch(cls, self._objects(cls).filter(pk=id))
        return found[0] if found else None

    def get_many(self, cls: type[T], ids: Iterable[str]) -> dict[str, T]:
        ids, found, reads = list(dict.fromkeys(ids)), {}, self._reads(cls)
        with _errors():
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                records = (
                    reads.run(connections[self.using], {"id": In(chunk)})
                    if reads is not None
                    else self._fetch(cls, self._objects(cls).filter(pk__in=chunk))
                )
                for record in records:
                    found[getattr(record, "id")] = record
        return found

    def find(self, cls: type[T], **where: Any) -> list[T]:
        reads = self._reads(cls)
        with _errors():
            if reads is not None:
                return reads.run(connections[self.using], where)
            return self._fetch(cls, self._objects(cls).filter(self._where(cls, where)))

    supports_skip_locked = True  # page(..., skip_locked=True)

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
        """``Storage.page``; ``skip_locked`` (inside a transaction): ``select_for_update(
        skip_locked=True)`` where the database has it (PostgreSQL), else nothing."""
        keys = [*order, "id"]
        bound = where.get(keys[0])
        if (
            after is not None
            and not descending
            and isinstance(bound, AtLeast)
            and getattr(after, keys[0]) is not None
            and getattr(after, keys[0]) >= bound.value
        ):
            where = {k: v for k, v in where.items() if k != keys[0]}  # the cursor implies it (see below)
        reads = self._reads(cls)
        if reads is not None:
            connection = connections[self.using]
            with _errors():
                return reads.run(
                    connection,
                    where,
                    order=order,
                    descending=descending,
                    after=after,
                    limit=limit,
                    lock=skip_locked and connection.features.has_select_for_update_skip_locked,
                )
        query = self._objects(cls).filter(self._where(cls, where))
        if after is not None:  # (a, b, id) > (x, y, z), spelt out: Django has no row comparison
            beyond, same = Q(), Q()
            for key in keys:
                value = _value(getattr(after, key))
                beyond |= same & Q(**{f"{key}__{'lt' if descending else 'gt'}": value})
                same &= Q(**{key: value})
            first = _value(getattr(after, keys[0]))
            if first is not None:  # a >= x too: the index range starts at the cursor, not at the list's start
                beyond &= Q(**{f"{keys[0]}__{'lte' if descending else 'gte'}": first})
            query = query.filter(beyond)
        query = query.order_by(*(f"-{k}" if descending else k for k in keys))
        if skip_locked and connections[self.using].features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True)
        query = query[:limit]
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
                    self._objects(cls).bulk_create(rows[start : start + CHUNK], ignore_conflicts=skip_existing)

    def update(self, record: T) -> T:
        return self.update_many([record])[0]

    def update_many(self, records: list[T]) -> list[T]:
        stored = [attrs.evolve(r, version=getattr(r, "version") + 1) for r in records]  # type: ignore[misc]
        with _errors(), transaction.atomic(using=self.using):
            for old, new in zip(records, stored):
                row = self._row(new)
                row.pop("id")
                changed = (
                    self._objects(type(old))
                    .filter(pk=getattr(old, "id"), version=getattr(old, "version"))
                    .update(**row)
                )
                if changed != 1:
                    raise Conflict(f"{type(old).__name__} was changed concurrently")
        return stored

    def delete_many(self, cls: type, ids: Iterable[str]) -> None:
        ids = list(ids)
        with _errors(), transaction.atomic(using=self.using):
            for start in range(0, len(ids), CHUNK):
                self._objects(cls).filter(pk__in=ids[start : start + CHUNK]).delete()

    def truncate_all(self) -> None:
        """Empty every portal table (tests)."""
        with transaction.atomic(using=self.using):
            for cls in RECORD_MODELS:
                self._objects(cls).all().delete()


def _value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


class _Reads:
    """The reads of one record type in SQL written once per shape (the conditions' names and
    kinds, the order, a cursor or not), its values adapted by the model's fields and its rows
    converted by the database's and the fields' own converters, as Django's compiler does: the
    ORM compiled every query anew, nine of them a millisecond or more each on a dashboard (issue
    25). The keyset is a row comparison, which SQLite and PostgreSQL both walk in an index;
    other databases keep the ORM's queries."""

    VENDORS = ("sqlite", "postgresql")

    def __init__(self, model: type[Model], cls: type, connection: Any):
        self.cls = cls
        qn = connection.ops.quote_name
        fields = list(model._meta.concrete_fields)
        self.fields = {f.name: f for f in fields}
        self.names = [f.attname for f in fields]
        self.columns = {f.name: qn(f.column) for f in fields}
        self.select = "SELECT " + ", ".join(self.columns[f.name] for f in fields) + " FROM " + qn(model._meta.db_table)
        self.converters: list[tuple[int, list[tuple[Any, Any]]]] = []
        for n, f in enumerate(fields):
            col = f.get_col(model._meta.db_table)
            found = [(c, col) for c in connection.ops.get_db_converters(col) + col.get_db_converters(connection)]
            if found:
                self.converters.append((n, found))
        hints = typing.get_type_hints(cls)
        stored = [name for name in self.names if not _plain(unwrap_optional(hints[name])[0])]
        self.make: Callable[[Sequence[Any]], Any] = record_maker(cls, self.names, stored)
        self.queries: dict[tuple[Any, ...], str] = {}

    def run(
        self,
        connection: Any,
        where: dict[str, Any],
        *,
        order: Sequence[str] = (),
        descending: bool = False,
        after: Any = None,
        limit: int | None = None,
        lock: bool = False,
    ) -> list[Any]:
        shape = (
            tuple((name, condition_kind(value)) for name, value in where.items()),
            tuple(order),
            descending,
            after is not None,
            limit is not None,
            lock,
        )
        params: list[Any] = []
        for name, value in where.items():
            field = self.fields[name]
            if isinstance(value, In):
                params += [field.get_db_prep_value(_value(v), connection) for v in value.values]
            elif isinstance(value, (AtLeast, Not)):
                if value.value is not None:
                    params.append(field.get_db_prep_value(_value(value.value), connection))
            elif value is not None:
                params.append(field.get_db_prep_value(_value(value), connection))
        keys = [*order, "id"] if order or limit is not None else []
        if after is not None:
            params += [self.fields[k].get_db_prep_value(_value(getattr(after, k)), connection) for k in keys]
        if limit is not None:
            params.append(limit)
        sizes = tuple(len(v.values) for v in where.values() if isinstance(v, In))
        sql = self.queries.get(shape + (sizes,))
        if sql is None:
            sql = self.queries[shape + (sizes,)] = self._sql(
                shape[0], sizes, keys, descending, after is not None, limit is not None, lock
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return [self.record(row, connection) for row in rows]

    def _sql(
        self,
        conditions: tuple[tuple[str, str], ...],
        sizes: tuple[int, ...],
        keys: list[str],
        descending: bool,
        cursor: bool,
        limit: bool,
        lock: bool,
    ) -> str:
        parts, ins = [], iter(sizes)
        for name, kind in conditions:
            column = self.columns[name]
            if kind == "in":
                count = next(ins)
                parts.append(f"{column} IN ({', '.join(['%s'] * count)})" if count else "1 = 0")
            elif kind == "at_least":
                parts.append(f"{column} >= %s")
            elif kind == "not_null":
                parts.append(f"{column} IS NOT NULL")
            elif kind == "not":
                parts.append(f"({column} IS NOT NULL AND {column} <> %s)")
            elif kind == "null":
                parts.append(f"{column} IS NULL")
            else:
                parts.append(f"{column} = %s")
        ordered = [self.columns[k] for k in keys]
        if cursor:
            parts.append(f"({', '.join(ordered)}) {'<' if descending else '>'} ({', '.join(['%s'] * len(ordered))})")
        sql = self.select + (" WHERE " + " AND ".join(parts) if parts else "")
        if ordered:
            sql += " ORDER BY " + ", ".join(f"{c} {'DESC' if descending else 'ASC'}" for c in ordered)
        if limit:
            sql += " LIMIT %s"
        if lock:
            sql += " FOR UPDATE SKIP LOCKED"
        return sql

    def record(self, row: Any, connection: Any) -> Any:
        values = list(row)
        for n, converters in self.converters:
            value = values[n]
            for converter, col in converters:
                value = converter(value, col, connection)
            values[n] = value
        return self.make(values)


def _plain(tp: Any) -> bool:
    """A type a field's own column gives back as it is (no enum, no JSON)."""
    return tp in (str, bool, int, Decimal, date, datetime)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except DatabaseError as exc:  # Django's wrapper; the driver's own error is its cause
        raise database_error(exc.__cause__ or exc) from exc
