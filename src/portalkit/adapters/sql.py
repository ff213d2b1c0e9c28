"""SQL storage on SQLAlchemy 2 Core: SQLite (embedded default) and PostgreSQL (production).

One table per record type, its columns derived from the attrs fields: scalars become typed
columns (money as NUMERIC on PostgreSQL and exact text on SQLite, times with time zone),
nested values (tuples, signatures, access flags) become JSON. The schema is created and
upgraded by Alembic (``portalkit/adapters/migrations``) on first start.

Concurrency: ``update`` is ``UPDATE ... WHERE id = :id AND version = :version``; when another
transaction changed the row first, no row matches and ``Conflict`` is raised. On PostgreSQL the
row lock makes the second writer wait, then re-check the version; on SQLite every write
transaction is ``BEGIN IMMEDIATE``, so writers queue instead of failing with "database is
locked". Unique values (idempotency keys, dedup keys, emails) are enforced by the database.
"""

from __future__ import annotations

import enum
import hashlib
import re
import threading
import time
import typing
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import StaticPool

from .._core.serialization import converter, record_maker, unwrap_optional
from ..errors import Conflict, database_error
from ..models import INDEXED, NULL_INDEXED, RECORD_TYPES, UNIQUE
from ..ports import AtLeast, In, Not, Ref, condition_kind

T = TypeVar("T")
MIGRATIONS = Path(__file__).with_name("migrations")


# -- column types ----------------------------------------------------------------------------
class Money(sa.types.TypeDecorator[Decimal]):
    """Decimal: NUMERIC(18, 2) on PostgreSQL, exact text elsewhere. Never a float."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> Any:
        return dialect.type_descriptor(sa.Numeric(18, 2) if dialect.name == "postgresql" else sa.Text())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return Decimal(value) if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        return None if value is None else Decimal(str(value))


class Timestamp(sa.types.TypeDecorator[datetime]):
    """Timezone-aware datetime: TIMESTAMPTZ on PostgreSQL, ISO 8601 UTC text elsewhere (sortable)."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> Any:
        return dialect.type_descriptor(sa.DateTime(timezone=True) if dialect.name == "postgresql" else sa.Text())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        value = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return value.astimezone(UTC)


class Day(sa.types.TypeDecorator[date]):
    """A calendar date: DATE on PostgreSQL, ISO text elsewhere."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> Any:
        return dialect.type_descriptor(sa.Date() if dialect.name == "postgresql" else sa.Text())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return value if dialect.name == "postgresql" else value.isoformat()

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return value if isinstance(value, date) else date.fromisoformat(value)


JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _column_type(tp: Any) -> tuple[Any, bool]:
    """(SQLAlchemy type, stored natively) for a field type; non-native values go in as JSON."""
    if tp is str:
        return sa.Text(), True
    if tp is bool:
        return sa.Boolean(), True
    if tp is int:
        return sa.BigInteger(), True
    if tp is Decimal:
        return Money(), True
    if tp is datetime:
        return Timestamp(), True
    if tp is date:
        return Day(), True
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return sa.Text(), False
    return JSON, False


def table_name(cls: type) -> str:
    return "pk_" + re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def index_name(table: str, columns: Sequence[str]) -> str:
    """``ix_<table>_<columns>``; one longer than PostgreSQL's 63-character identifiers is cut
    and given a hash of its full name, so names stay unique and the same on every database."""
    name = f"ix_{table}_{'_'.join(columns)}"
    if len(name) <= 63:
        return name
    return name[:54] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]


@attrs.frozen
class Mapping:
    """How one record type maps onto its table, with its statements built once."""

    cls: type
    table: sa.Table
    native: frozenset[str]
    partial_nulls: frozenset[str] = frozenset()  # columns whose IS NULL rows have a partial index
    select_one: Any = attrs.field(init=False)
    _names: tuple[str, ...] = attrs.field(init=False)
    id_at: int = attrs.field(init=False)  # where the id is in a row
    _make: Any = attrs.field(init=False)
    _unstructured: tuple[tuple[str, Any], ...] = attrs.field(init=False)
    _queries: dict[tuple[Any, ...], Any] = attrs.field(init=False, factory=dict)
    select_many: Any = attrs.field(init=False)
    update_one: Any = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        t = self.table
        object.__setattr__(self, "select_one", sa.select(t).where(t.c.id == sa.bindparam("id")))
        object.__setattr__(self, "select_many", sa.select(t).where(t.c.id.in_(sa.bindparam("ids", expanding=True))))
        object.__setattr__(self, "_names", tuple(c.name for c in t.c))
        object.__setattr__(self, "id_at", self._names.index("id"))
        hints = typing.get_type_hints(self.cls)
        stored = [name for name in self._names if name not in self.native]
        object.__setattr__(self, "_make", record_maker(self.cls, self._names, stored))
        object.__setattr__(
            self,
            "_unstructured",
            tuple(
                (name, _unstructurer(unwrap_optional(hints[name])[0]))
                for name in self._names
                if name not in self.native
            ),
        )
        object.__setattr__(
            self,
            "update_one",
            sa.update(t)
            .where(t.c.id == sa.bindparam("_id"), t.c.version == sa.bindparam("_version"))
            .values({c.name: sa.bindparam("v_" + c.name) for c in t.c if c.name != "id"}),
        )

    def insert(self, dialect: str, skip_existing: bool) -> Any:
        if not skip_existing:
            return self.table.insert()
        module = postgresql if dialect == "postgresql" else sqlite
        return module.insert(self.table).on_conflict_do_nothing()

    def to_row(self, record: Any) -> dict[str, Any]:
        """The row of a record: native values as they are, the others (enums, JSON) unstructured
        field by field as ``to_primitive`` of the whole record would (issue 25: a bulk write
        unstructured every field of every record, then kept the native ones as they were)."""
        row = {name: getattr(record, name) for name in self._names}
        for name, unstructure in self._unstructured:
            value = row[name]
            if value is not None:
                row[name] = unstructure(value)
        return row

    def from_row(self, row: Any) -> Any:
        """The record of a row of ``select(table)`` (its columns in the fields' order): native
        values as the column types read them, the others (enums, JSON) structured field by
        field, then the record made (``record_maker``); what ``from_primitive`` of the whole
        row gives, at a fraction of its cost (issue 25: turning rows into records was most of a
        list's time)."""
        return self._make(row)

    def column_value(self, name: str, value: Any) -> Any:
        if name in self.native:
            return value
        return value.value if isinstance(value, enum.Enum) else value

    def query(
        self,
        where: dict[str, Any],
        sqlite: bool,
        *,
        order: Sequence[str] = (),
        descending: bool = False,
        after: Any = None,
        after_id: str | None = None,
        limit: int | None = None,
        lock: bool = False,
    ) -> tuple[Any, dict[str, Any]]:
        """``select(table)`` for ``find`` and ``page``, with its parameters: built once per shape
        (the conditions' names and kinds, the order, whether there is a cursor), then reused with
        new values, so SQLAlchemy neither rebuilds nor re-hashes it on every call (issue 25).

        The cursor is a record (``after``) or only its id (``after_id``): then its position is
        read by the statement itself, each key a sub-select of the cursor's row under the same
        conditions (a cursor that is not in the list reads NULL and matches nothing)."""
        shape = (
            tuple((name, condition_kind(value)) for name, value in where.items()),
            tuple(order),
            descending,
            "record" if after is not None else "id" if after_id is not None else None,
            limit is not None,
            lock,
            sqlite,
        )
        params: dict[str, Any] = {}
        for name, value in where.items():
            if isinstance(value, In):
                params["w_" + name] = [self.column_value(name, v) for v in value.values]
            elif isinstance(value, (AtLeast, Not)):
                if value.value is not None:
                    params["w_" + name] = self.column_value(name, value.value)
            elif value is not None:
                params["w_" + name] = self.column_value(name, value)
        keys = [*order, "id"] if order or limit is not None else []
        if after is not None:
            params.update({f"a_{n}": self.column_value(k, getattr(after, k)) for n, k in enumerate(keys)})
        if after_id is not None:
            params["after_id"] = after_id
        if limit is not None:
            params["limit"] = limit
        statement = self._queries.get(shape)
        if statement is None:
            t = self.table
            statement = sa.select(t).where(*self._conditions(shape[0], sqlite))
            columns = [t.c[k] for k in keys]
            last = None
            if after is not None:
                last = sa.tuple_(*(sa.bindparam(f"a_{n}", type_=c.type) for n, c in enumerate(columns)))
            elif after_id is not None:
                row = t.alias("cursor_row")  # an alias: the same table, not the outer row
                cursor = sa.bindparam("after_id", type_=t.c.id.type)
                mine = [row.c.id == cursor, *self._conditions(shape[0], sqlite, row)]
                last = sa.tuple_(*(sa.select(row.c[k]).where(*mine).scalar_subquery() for k in keys))
            if last is not None:
                position = sa.tuple_(*columns)
                statement = statement.where(position < last if descending else position > last)
            if columns:
                statement = statement.order_by(*(c.desc() if descending else c.asc() for c in columns))
            if limit is not None:
                statement = statement.limit(sa.bindparam("limit", type_=sa.Integer()))
            if lock:
                statement = statement.with_for_update(skip_locked=True)
            if len(self._queries) > 512:
                self._queries.clear()
            self._queries[shape] = statement
        return statement, params

    def _conditions(self, shape: tuple[tuple[str, str], ...], sqlite: bool, table: Any = None) -> list[Any]:
        found: list[Any] = []
        for name, kind in shape:
            column = (self.table if table is None else table).c[name]
            value = sa.bindparam("w_" + name, type_=column.type)
            if kind == "in":
                found.append(column.in_(sa.bindparam("w_" + name, expanding=True, type_=column.type)))
            elif kind == "at_least":
                found.append(column >= value)
            elif kind == "not_null":
                found.append(column.is_not(None))
            elif kind == "not":
                found.append(column != value)
            elif kind == "null":
                found.append(
                    sa.func.likely(column.is_(None)) if sqlite and name in self.partial_nulls else column.is_(None)
                )
            else:
                found.append(column == value)
        return found

    def clauses(self, where: dict[str, Any], sqlite: bool = False) -> list[Any]:
        """``find``'s conditions as SQL: equality, IS NULL, ``In``, ``AtLeast`` and ``Not``.

        On SQLite, ``IS NULL`` on a column with a partial index of its NULL rows is written
        ``likely(column IS NULL)``: the partial index still matches it, but no other index takes
        it for an equality. Else, once ``ANALYZE`` has run, SQLite's statistics (the average rows
        per value, NULL counted as one value among many dates) make ``paid_on IS NULL`` look
        rare, and it reads the open invoices through the paid lists' index and sorts them."""
        found: list[Any] = []
        for name, value in where.items():
            column = self.table.c[name]
            if isinstance(value, In):
                found.append(column.in_([self.column_value(name, v) for v in value.values]))
            elif isinstance(value, AtLeast):
                found.append(column >= self.column_value(name, value.value))
            elif isinstance(value, Not):
                found.append(
                    column.is_not(None) if value.value is None else column != self.column_value(name, value.value)
                )
            elif value is None:
                found.append(
                    sa.func.likely(column.is_(None)) if sqlite and name in self.partial_nulls else column.is_(None)
                )
            else:
                found.append(column == self.column_value(name, value))
        return found


def _unstructurer(tp: Any) -> Any:
    """How a field's value of type ``tp`` (not None) is stored: an enum as its value, anything
    else as cattrs unstructures that type."""
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return lambda value: value.value
    return lambda value: converter.unstructure(value, unstructure_as=tp)


def build_metadata() -> tuple[sa.MetaData, dict[type, Mapping]]:
    metadata = sa.MetaData()
    mappings: dict[type, Mapping] = {}
    for cls in RECORD_TYPES:
        hints = typing.get_type_hints(cls)
        columns, native = [], set()
        for field in attrs.fields(cls):
            tp, nullable = unwrap_optional(hints[field.name])
            col_type, is_native = _column_type(tp)
            if is_native:
                native.add(field.name)
            columns.append(sa.Column(field.name, col_type, primary_key=field.name == "id", nullable=nullable))
        name = table_name(cls)
        indexes = [sa.Index(index_name(name, cols), *cols) for cols in (("company_id",), *INDEXED.get(cls, ()))]
        indexes += [
            sa.Index(
                index_name(name, (*cols, "where", null)),
                *cols,
                postgresql_where=sa.column(null).is_(None),
                sqlite_where=sa.column(null).is_(None),
            )
            for cols, null in NULL_INDEXED.get(cls, ())
        ]
        uniques = [sa.UniqueConstraint(*cols, name=f"uq_{name}_{'_'.join(cols)}") for cols in UNIQUE.get(cls, ())]
        table = sa.Table(name, metadata, *columns, *indexes, *uniques)
        mappings[cls] = Mapping(
            cls, table, frozenset(native), frozenset(null for _cols, null in NULL_INDEXED.get(cls, ()))
        )
    return metadata, mappings


METADATA, MAPPINGS = build_metadata()
_TOGETHER: dict[tuple[Any, ...], Any] = {}  # SqlStorage.expect's statements, one per shape
_NOT_AHEAD = object()  # a get that was not read ahead


# -- the storage -----------------------------------------------------------------------------
def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for writers."""
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        return sa.create_engine(sa_url, **kwargs)
    memory = sa_url.database in (None, "", ":memory:")
    connect_args = {"check_same_thread": False, "timeout": 30}
    if memory:
        kwargs.setdefault("poolclass", StaticPool)
    engine = sa.create_engine(sa_url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.info.get("portalkit_read"):  # one statement, read on its own: SQLite's autocommit
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("portalkit_write") else "BEGIN")

    return engine


IDLE_PING_SECONDS = 0.05  # a held connection idle longer is pinged before its next use


class _HeldReader:
    """The connection of a ``SqlStorage.reading()`` block, taken from the pool at its first read.

    The pool pings a connection when it hands it out (``pool_pre_ping``); a block holds its
    connection between statements. One idle longer than ``IDLE_PING_SECONDS`` — longer than a
    page's own work between two reads; something outside came in between, such as the
    processor's charge between ``pay()``'s two transactions — is pinged again before its next
    use, and replaced when the database no longer answers on it (a restart, a failover), so the
    write after a charge finds a live connection as it did with one of its own."""

    def __init__(self) -> None:
        self._conn: sa.Connection | None = None
        self._used = 0.0

    def connection(self, engine: sa.Engine) -> sa.Connection:
        conn = self._conn
        if conn is not None and time.monotonic() - self._used > IDLE_PING_SECONDS and not _answers(conn):
            self.release()
        if self._conn is None:  # a failure to connect is mapped where the read is (SqlStorage._read)
            self._conn = engine.connect()
            self._conn.info["portalkit_read"] = True
        self._used = time.monotonic()
        return self._conn

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            if not conn.invalidated:  # an invalidated connection's info would reconnect it
                conn.info["portalkit_read"] = False
            conn.close()


def _answers(conn: sa.Connection) -> bool:
    """Whether the database still answers on ``conn`` (the pool's own ping; SQLite always
    does); a connection that does not is invalidated, so the pool drops it."""
    if conn.invalidated or conn.closed:
        return False
    if conn.dialect.name == "sqlite":
        return True
    try:
        dbapi = conn.connection.dbapi_connection
        if dbapi is None or not conn.dialect.do_ping(dbapi):
            raise ConnectionError("no answer")
    except Exception:  # any failure: the connection is not trusted again
        conn.invalidate()
        return False
    return True


class SqlStorage:
    """The :class:`portalkit.ports.Storage` on a SQL database.

    ``SqlStorage("sqlite:///portal.db")``, ``SqlStorage("sqlite://")`` (in memory) or
    ``SqlStorage("postgresql+psycopg://user@host/db")``. ``migrate=True`` brings the schema to
    the latest Alembic revision on start.
    """

    def __init__(
        self, url: str = "sqlite:///portalkit.sqlite3", *, migrate: bool = True, engine: sa.Engine | None = None
    ):
        self.url = url
        self.engine = engine or make_engine(url)
        self.dialect = self.engine.dialect.name
        self._sqlite = self.dialect == "sqlite"
        # SQLite's connections are in autocommit already (BEGIN is ours to send)
        self._reader = self.engine if self._sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._local = threading.local()
        # SQLite in memory is one shared connection: transactions must take turns.
        self._serial = (
            threading.RLock() if self.dialect == "sqlite" and isinstance(self.engine.pool, StaticPool) else None
        )
        self.statements = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        if migrate:
            upgrade(self.engine)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.statements += 1

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        held = self._block_connection()
        if held is not None:
            with self._held_transaction(held):
                yield
            return
        self._give_back_reader()
        with self._turn(), self._errors(), self.engine.connect() as conn, self._transaction_on(conn):
            yield

    def _block_connection(self) -> _HeldReader | None:
        """The ``reading()`` block's connection, where the block's transactions and writes run
        on it too (PostgreSQL; SQLite's writers take a connection of their own)."""
        return None if self._sqlite else getattr(self._local, "reader", None)

    @contextmanager
    def _transaction_on(self, conn: sa.Connection) -> Iterator[None]:
        """A transaction on ``conn``, the thread's until it ends (reads and writes join it);
        what was read ahead before it is not used in it, nor what was read ahead in it after."""
        conn.info["portalkit_write"] = True
        self._forget_expected()
        try:
            with conn.begin():
                self._local.conn = conn
                try:
                    yield
                finally:
                    self._local.conn = None
        finally:
            self._forget_expected()
            if not conn.invalidated:  # an invalidated connection's info would reconnect it
                conn.info["portalkit_write"] = False

    @contextmanager
    def _held_transaction(self, held: _HeldReader) -> Iterator[None]:
        """A transaction inside a ``reading()`` block on PostgreSQL, on the block's connection
        (taken now if the block has none yet): out of autocommit for the transaction, back in it
        after. A block's reads and transactions take one connection from the pool, and one ping
        (``pay()``'s two transactions around an instant charge took two, issue 25; a charge
        over the network leaves the connection idle long enough to be pinged again,
        ``_HeldReader``). A database error gives the connection back to the pool; the block's
        next read or transaction takes a fresh one."""
        with self._errors():
            conn = held.connection(self._reader)
        try:
            with self._errors():
                conn.commit()  # the reads' transaction: in autocommit, nothing is sent
                conn.execution_options(isolation_level=conn.default_isolation_level)
                with self._transaction_on(conn):
                    yield
        finally:
            _back_to_reading(held, conn)

    @contextmanager
    def _turn(self) -> Iterator[None]:
        if self._serial is None:
            yield
        else:
            with self._serial:
                yield

    @contextmanager
    def _conn(self) -> Iterator[sa.Connection]:
        """The connection every write runs on: the transaction's, else a transaction of its own.
        A write forgets what was read ahead (``expect``): nothing read before it is taken after."""
        self._forget_expected()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        held = self._block_connection()
        if held is not None:  # a write alone in a block: on the block's connection
            with self._held_transaction(held):
                yield self._local.conn
            return
        self._give_back_reader()
        with self._turn(), self._errors(), self.engine.connect() as conn, conn.begin():
            yield conn

    def _give_back_reader(self) -> None:
        """A thread holds one pooled connection at a time: on SQLite a ``reading()`` block's
        connection goes back to the pool before a write takes one (its next read takes one
        again), so requests that read and then write never wait on each other for a second
        connection (on PostgreSQL the write runs on the block's connection)."""
        held: _HeldReader | None = getattr(self._local, "reader", None)
        if held is not None:
            held.release()

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """The connection for a read: the transaction's; inside ``reading()`` the block's; else
        a connection in autocommit (each statement its own snapshot): no BEGIN and COMMIT around
        a single SELECT, two round trips fewer on PostgreSQL for every read of a page (issue 25)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        held: _HeldReader | None = getattr(self._local, "reader", None)
        if held is not None:
            try:
                yield held.connection(self._reader)
            except sa.exc.DBAPIError as exc:
                held.release()  # the next read takes a fresh connection
                raise database_error(exc.orig or exc) from exc
            return
        with self._turn(), self._errors(), self._reader.connect() as conn:
            conn.info["portalkit_read"] = True
            try:
                yield conn
            finally:
                conn.info["portalkit_read"] = False

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A block's reads on one connection (the settings' ``pinned()`` opens it, so a page, a
        list or a payment): outside a transaction every read in the block uses it, in
        autocommit, instead of taking a connection from the pool (and, on PostgreSQL, pinging
        it) for each one (issue 25). It is taken at the block's first such read, so a block
        whose reads are all in transactions takes none. On PostgreSQL the block's transactions
        (and writes) run on it too, out of autocommit while they last (``_held_transaction``:
        one checkout and one ping for a page that reads and writes, or for ``pay()``). On
        SQLite a transaction gives it back to the pool first and takes its own (its writers
        BEGIN IMMEDIATE). Either way a thread never holds two. SQLite in memory, one connection
        shared by every thread, keeps taking turns per statement."""
        if self._serial is not None or getattr(self._local, "reader", None) is not None:
            yield
            return
        held = self._local.reader = _HeldReader()
        try:
            yield
        finally:
            self._forget_expected()
            self._local.reader = None
            held.release()

    @staticmethod
    @contextmanager
    def _errors() -> Iterator[None]:
        try:
            yield
        except sa.exc.DBAPIError as exc:
            raise database_error(exc.orig or exc) from exc

    # -- records --------------------------------------------------------------------------
    def get(self, cls: type[T], id: str) -> T | None:
        ahead = self._read_ahead(cls, id)
        if ahead is not _NOT_AHEAD:
            found: T | None = ahead
            return found
        m = MAPPINGS[cls]
        with self._read() as conn:
            row = conn.execute(m.select_one, {"id": id}).first()
        return None if row is None else m.from_row(row)

    def get_many(self, cls: type[T], ids: Iterable[str]) -> dict[str, T]:
        m, ids, found = MAPPINGS[cls], list(dict.fromkeys(ids)), {}
        with self._read() as conn:
            for start in range(0, len(ids), 500):
                for row in conn.execute(m.select_many, {"ids": ids[start : start + 500]}):
                    record = m.from_row(row)
                    found[record.id] = record
        return found

    def _records(self, m: Mapping, statement: Any, params: dict[str, Any]) -> list[Any]:
        """The records of the rows ``statement`` reads (``find``, ``page``, ``seek_page``)."""
        with self._read() as conn:
            rows = conn.execute(statement, params).all()
        return [m.from_row(r) for r in rows]

    def find(self, cls: type[T], **where: Any) -> list[T]:
        m = MAPPINGS[cls]
        statement, params = m.query(where, self._sqlite)
        return self._records(m, statement, params)

    supports_skip_locked = True  # page(..., skip_locked=True): see page

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
        """``Storage.page``. With ``skip_locked`` (inside a transaction) the rows read are locked
        until it ends and rows another transaction holds are passed over: ``FOR UPDATE SKIP
        LOCKED`` on PostgreSQL (the outbox's dispatchers claim batches with it); SQLite has no
        row locks and needs none (its writers take turns)."""
        m = MAPPINGS[cls]
        where = _implied_by_cursor(where, [*order, "id"][0], after, descending)
        statement, params = m.query(
            where,
            self._sqlite,
            order=order,
            descending=descending,
            after=after,
            limit=limit,
            lock=skip_locked and self.dialect == "postgresql",
        )
        return self._records(m, statement, params)

    # -- records expected together (ports.expect) --------------------------------------------------
    @contextmanager
    def expect(self, wanted: list[tuple[type, str | Ref]]) -> Iterator[None]:
        """``ports.expect`` inside a block (``reading()`` or a transaction), for the ``with``
        block it opens: the first ``get`` of one of ``wanted`` reads them all in one statement,
        a LEFT JOIN of each record's row by its id (or by the id in a text field of an earlier
        one, ``Ref``) to a one-row base, and each later ``get`` of one of them takes it, once
        (issue 25: a list alone read the settings and its property in two statements, ``pay()``
        four records in four, a page's sign-in three). What was read ahead and not taken is
        forgotten when the ``with`` block ends (an error in it included), at any write and at a
        transaction's edge, so nothing read ahead outlives the few lines that asked for it.
        Outside a block, or with an id that is no string, nothing is remembered."""
        for n, (cls, key) in enumerate(wanted):
            if cls not in MAPPINGS:
                raise ValueError(f"{cls.__name__} is no record type")
            if isinstance(key, Ref) and not (
                0 <= key.index < n
                and key.field in MAPPINGS[wanted[key.index][0]].table.c
                and isinstance(MAPPINGS[wanted[key.index][0]].table.c[key.field].type, sa.Text)
            ):
                raise ValueError(f"{key} does not name a text field of an earlier record")
        in_block = getattr(self._local, "conn", None) is not None or getattr(self._local, "reader", None) is not None
        if not in_block or not all(isinstance(key, (str, Ref)) for _cls, key in wanted):
            yield
            return
        self._local.expected, self._local.ahead = wanted, None
        try:
            yield
        finally:
            self._forget_expected()

    def _forget_expected(self) -> None:
        self._local.expected = self._local.ahead = None

    def _read_ahead(self, cls: type, id: str) -> Any:
        """The record ``get`` would read, when it was expected (read now with the others, at the
        first ``get`` of one of them); ``_NOT_AHEAD`` otherwise."""
        expected = getattr(self._local, "expected", None)
        if expected is not None and any(c is cls and k == id for c, k in expected):
            self._local.expected = None
            self._local.ahead = self._read_together(expected)
        ahead: dict[tuple[type, str], Any] | None = getattr(self._local, "ahead", None)
        return _NOT_AHEAD if not ahead else ahead.pop((cls, id), _NOT_AHEAD)

    def _read_together(self, wanted: list[tuple[type, str | Ref]]) -> dict[tuple[type, str], Any]:
        """The expected records by (type, id), in one statement: each one's row LEFT JOINed by
        its id to a one-row base; a row that is not there is ``None`` (under the id asked for)."""
        shape = tuple((cls, (key.index, key.field) if isinstance(key, Ref) else None) for cls, key in wanted)
        statement = _TOGETHER.get(shape)
        if statement is None:
            joined: Any = sa.select(sa.literal(1).label("one")).subquery("base")
            aliases: list[Any] = []
            for n, (cls, ref) in enumerate(shape):
                alias = MAPPINGS[cls].table.alias(f"r{n}")
                by = aliases[ref[0]].c[ref[1]] if ref else sa.bindparam(f"k{n}", type_=alias.c.id.type)
                joined = joined.outerjoin(alias, alias.c.id == by)
                aliases.append(alias)
            statement = sa.select(*aliases).select_from(joined)
            if len(_TOGETHER) > 256:
                _TOGETHER.clear()
            _TOGETHER[shape] = statement
        params = {f"k{n}": key for n, (_cls, key) in enumerate(wanted) if not isinstance(key, Ref)}
        with self._read() as conn:
            found = conn.execute(statement, params).one()
        read: dict[tuple[type, str], Any] = {}
        start = 0
        for cls, key in wanted:
            m = MAPPINGS[cls]
            values = found[start : start + len(m.table.c)]
            start += len(m.table.c)
            id = values[m.id_at]
            if id is not None:
                read[(cls, id)] = m.from_row(values)
            elif not isinstance(key, Ref):
                read[(cls, key)] = None  # no such record: ``get`` would say None too
        return read

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
        """The page after the record ``after_id`` in one statement: the statement reads the
        cursor's position itself (``Mapping.query``), so a deep page is one round trip, not the
        cursor's read and then the page's (issue 25). ``[]`` when the list ends there or when
        ``after_id`` is no record of the list (the caller tells which apart). ``None`` (the
        caller reads the cursor, then the page) on SQLite, where a read is no round trip and the
        planner seeks only to a position given as values, and where the cursor's values are
        needed first: an ascending page bounded below on its first key (``_implied_by_cursor``)."""
        if self._sqlite or (not descending and isinstance(where.get([*order, "id"][0]), AtLeast)):
            return None
        m = MAPPINGS[cls]
        statement, params = m.query(
            where, self._sqlite, order=order, descending=descending, after_id=after_id, limit=limit
        )
        return self._records(m, statement, params)

    def insert(self, record: Any) -> Any:
        self.insert_many([record])
        return record

    def insert_many(self, records: Iterable[Any], *, skip_existing: bool = False) -> None:
        by_type: dict[type, list[dict[str, Any]]] = {}
        for record in records:
            by_type.setdefault(type(record), []).append(MAPPINGS[type(record)].to_row(record))
        with self._conn() as conn, self._errors():
            for cls, rows in by_type.items():
                conn.execute(MAPPINGS[cls].insert(self.dialect, skip_existing), rows)

    def update(self, record: Any) -> Any:
        return self.update_many([record])[0]

    def update_many(self, records: list[Any]) -> list[Any]:
        """Compare-and-swap every record, in one round trip where the driver counts rows per batch."""
        if not records:
            return []
        m = MAPPINGS[type(records[0])]
        stored = [attrs.evolve(r, version=r.version + 1) for r in records]
        params = [
            {"_id": r.id, "_version": r.version, **{"v_" + k: v for k, v in m.to_row(s).items() if k != "id"}}
            for r, s in zip(records, stored)
        ]
        batched = len(params) > 1 and self.engine.dialect.supports_sane_multi_rowcount
        with self._conn() as conn, self._errors():
            if batched:
                changed = conn.execute(m.update_one, params).rowcount
            else:
                changed = sum(conn.execute(m.update_one, p).rowcount for p in params)
        if changed != len(records):
            raise Conflict(f"{type(records[0]).__name__} was changed concurrently")
        return stored

    def delete_many(self, cls: type, ids: Iterable[str]) -> None:
        t, ids = MAPPINGS[cls].table, list(ids)
        with self._conn() as conn, self._errors():
            for start in range(0, len(ids), 500):
                conn.execute(t.delete().where(t.c.id.in_(ids[start : start + 500])))

    # -- maintenance ----------------------------------------------------------------------
    def truncate_all(self) -> None:
        """Empty every table (tests)."""
        with self.transaction(), self._conn() as conn:
            for table in reversed(METADATA.sorted_tables):
                conn.execute(table.delete())

    def dispose(self) -> None:
        self.engine.dispose()


def _back_to_reading(held: _HeldReader, conn: sa.Connection) -> None:
    """A ``reading()`` block's connection after a transaction on it: in autocommit again for the
    block's reads, or, when the database failed it, given back to the pool."""
    if not conn.invalidated and not conn.closed:
        try:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            return
        except sa.exc.SQLAlchemyError:
            conn.invalidate()
    held.release()


def _implied_by_cursor(where: dict[str, Any], first: str, after: Any, descending: bool) -> dict[str, Any]:
    """``where`` without an ``AtLeast`` on the first key of an ascending page that the cursor
    already implies (every row after a cursor at or above the bound is above it too), so the
    database seeks to the cursor, not to the bound (SQLite takes one lower bound per column: with
    both it may start at the bound and filter its way to the cursor)."""
    bound = where.get(first)
    if after is None or descending or not isinstance(bound, AtLeast):
        return where
    value = getattr(after, first)
    if value is None or value < bound.value:
        return where
    return {k: v for k, v in where.items() if k != first}


def alembic_config(engine: sa.Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` (schema creation on first start)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
