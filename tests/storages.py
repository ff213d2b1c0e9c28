"""Storage factories shared by the fixtures: in-memory, SQLite (file and memory), PostgreSQL."""

from __future__ import annotations

from portalkit.adapters.memory import MemoryStorage

KINDS = ["memory", "sqlite", "postgres"]


def make_storage(kind: str, request) -> object:
    if kind == "memory":
        return MemoryStorage()
    from portalkit.adapters.sql import SqlStorage

    if kind == "sqlite":
        return SqlStorage(f"sqlite:///{request.getfixturevalue('tmp_path')}/portal.sqlite3")
    if kind == "sqlite-memory":
        return SqlStorage("sqlite://")
    storage = request.getfixturevalue("pg_storage")
    storage.truncate_all()
    return storage
