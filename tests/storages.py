"""Storage factories shared by the fixtures: in-memory, SQLite (file and memory), PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from portalkit.adapters.memory import MemoryStorage

KINDS = ["memory", "sqlite", "postgres"]
_MIGRATED: list[Path] = []


def make_storage(kind: str, request) -> object:
    if kind == "memory":
        return MemoryStorage()
    from portalkit.adapters.sql import SqlStorage

    if kind == "sqlite":
        return sqlite_storage(request.getfixturevalue("tmp_path") / "portal.sqlite3")
    if kind == "sqlite-memory":
        return SqlStorage("sqlite://")
    storage = request.getfixturevalue("pg_storage")
    storage.truncate_all()
    return storage


def sqlite_storage(path: Path):
    """A SQLite storage at ``path``: a copy of an empty database migrated once per test process
    (the same schema as migrating it, without the Alembic run each test would pay)."""
    from portalkit.adapters.sql import SqlStorage

    if not _MIGRATED:
        template = Path(tempfile.mkdtemp(prefix="portalkit-migrated-")) / "portal.sqlite3"
        SqlStorage(f"sqlite:///{template}").dispose()
        _MIGRATED.append(template)
    shutil.copyfile(_MIGRATED[0], path)
    return SqlStorage(f"sqlite:///{path}", migrate=False)
