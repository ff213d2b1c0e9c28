"""One schema behind two migration histories (issue 22): the tables Alembic builds for
``SqlStorage`` (``pk_<record>``) and the ones Django's migrations build for ``DjangoStorage``
(``portalkit_<record>``) have the same tables, columns, nullability, indexes and unique
constraints — on PostgreSQL the same column types too; on SQLite ``SqlStorage`` keeps money,
times and dates as exact text by design, Django as its own types, so types are compared on
PostgreSQL. And Django's migrations are complete: ``makemigrations --check`` finds nothing."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from portalkit.adapters.sql import make_engine, upgrade

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def django_migrate(database: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "django_orm.settings",
        "PORTALKIT_DJANGO_DB": database,
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0", "--skip-checks"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=HERE,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def shape(engine: sa.Engine, prefix: str, *, types: bool) -> dict[str, dict]:
    """Per record table (without its prefix): columns (name -> nullable, type), index column
    lists and unique column sets."""
    inspector = sa.inspect(engine)
    found = {}
    for table in inspector.get_table_names():
        if not table.startswith(prefix):
            continue
        columns = {
            c["name"]: (c["nullable"], _type(c["type"]) if types else None) for c in inspector.get_columns(table)
        }
        indexes = sorted(
            tuple(i["column_names"])
            for i in inspector.get_indexes(table)
            if not i.get("unique") and not i["name"].endswith("_like")
        )  # Django's LIKE helpers on PG
        uniques = sorted(tuple(sorted(u["column_names"])) for u in inspector.get_unique_constraints(table))
        uniques += sorted(tuple(sorted(i["column_names"])) for i in inspector.get_indexes(table) if i.get("unique"))
        found[table[len(prefix) :]] = {"columns": columns, "indexes": indexes, "uniques": sorted(set(uniques))}
    return found


def _type(value: sa.types.TypeEngine) -> str:
    text = str(value.compile(dialect=sa.dialects.postgresql.dialect())).upper()
    return {"VARCHAR": "TEXT", "INTEGER": "BIGINT"}.get(text, text)


def compare(alembic: dict, django: dict) -> list[str]:
    problems = [f"only in Alembic: {t}" for t in sorted(set(alembic) - set(django))]
    problems += [f"only in Django: {t}" for t in sorted(set(django) - set(alembic))]
    for table in sorted(set(alembic) & set(django)):
        for part in ("columns", "indexes", "uniques"):
            if alembic[table][part] != django[table][part]:
                problems.append(f"{table}.{part}: Alembic {alembic[table][part]} != Django {django[table][part]}")
    return problems


def test_alembic_and_django_build_the_same_schema_on_sqlite(tmp_path):
    alembic = make_engine(f"sqlite:///{tmp_path}/alembic.sqlite3")
    upgrade(alembic)
    django_migrate(str(tmp_path / "django.sqlite3"))
    django = sa.create_engine(f"sqlite:///{tmp_path}/django.sqlite3")
    assert compare(shape(alembic, "pk_", types=False), shape(django, "portalkit_", types=False)) == []


def test_alembic_and_django_build_the_same_schema_on_postgres(pg_storage):
    name = "schema_" + secrets.token_hex(4)
    admin = sa.create_engine(pg_storage.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.make_url(pg_storage.url).set(database=name)
    try:
        alembic = make_engine(url.render_as_string(hide_password=False))
        upgrade(alembic)
        django_migrate(url.set(drivername="postgresql").render_as_string(hide_password=False))
        django = sa.create_engine(url.render_as_string(hide_password=False))
        assert compare(shape(alembic, "pk_", types=True), shape(django, "portalkit_", types=True)) == []
        alembic.dispose()
        django.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def test_django_migrations_are_complete():
    """``makemigrations --check``: a record changed without its Django migration fails CI."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "examples.django_host.settings", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "django", "makemigrations", "portalkit", "--check", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.parametrize("flag", ["--check"])
def test_alembic_has_no_pending_model_change(tmp_path, flag):
    """The Alembic side of the same check (the model drift test, as a command a host can run)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from portalkit.adapters.sql import METADATA

    engine = make_engine(f"sqlite:///{tmp_path}/head.sqlite3")
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), METADATA) == []


def test_the_data_steps_are_one_function_both_histories_call(tmp_path):
    """Django's 0003 moves inline files into rows with the same function Alembic's 0006 uses
    (``portalkit._core.data_migrations``); here on a Django database migrated from 0002 with data."""
    script = (
        "import django; django.setup();"
        "from django.core.management import call_command; from django.db import connection;"
        "[call_command('migrate', app, verbosity=0, skip_checks=True) for app in ('contenttypes', 'auth')];"
        "call_command('migrate', 'portalkit', '0002', verbosity=0, skip_checks=True);"
        "cur = connection.cursor();"
        'cur.execute("INSERT INTO portalkit_issue (id, number, property_id, subject, priority, notes, status, '
        "created_by_contact_id, main_contact_id, created_at, last_updated, attachments, attachment_bytes, company_id, "
        "version) VALUES ('i1', 1, 'p', 's', 'High', '', 'Open', NULL, NULL, '2026-01-01 00:00:00', "
        "'2026-01-01 00:00:00', "
        '\'[{\\"filename\\": \\"a.png\\", \\"content_type\\": \\"image/png\\", \\"file_key\\": \\"k\\", '
        "\\\"size\\\": 3}]', 3, 'acme', 0)\");"
        "call_command('migrate', 'portalkit', verbosity=0, skip_checks=True);"
        "cur.execute('SELECT issue_id, comment_id, position, filename, company_id FROM portalkit_attachment');"
        "print(cur.fetchall())"
    )
    assert "[('i1', None, 0, 'a.png', 'acme')]" in run_on_django(script, tmp_path / "data.sqlite3")


def run_on_django(script: str, database: Path) -> str:
    """What ``script`` prints, run with the test Django project on the SQLite file ``database``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "django_orm.settings",
        "PORTALKIT_DJANGO_DB": str(database),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300, cwd=HERE
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_django_0012_stores_stable_codes_and_its_reverse_gives_labels_back(tmp_path):
    """Issue 22 on Django's history: the same ``code_changes`` step as Alembic's 0015, both ways."""
    script = (
        "import django; django.setup();"
        "from datetime import UTC, datetime;"
        "from django.core.management import call_command; from django.db import connection;"
        "from portalkit.contrib.django.storage import DjangoStorage;"
        "from portalkit.models import Issue, IssueStatus, Priority;"
        "[call_command('migrate', app, verbosity=0, skip_checks=True) for app in ('contenttypes', 'auth', 'portalkit')];"
        "at = datetime(2026, 1, 1, tzinfo=UTC);"
        "DjangoStorage().insert(Issue(id='i1', number=1, property_id='p', subject='s', priority=Priority.HIGH,"
        " status=IssueStatus.CLOSED, created_at=at, last_updated=at));"
        "cur = connection.cursor(); rows = lambda: cur.execute('SELECT priority, status FROM portalkit_issue').fetchall();"
        "call_command('migrate', 'portalkit', '0011', verbosity=0, skip_checks=True); print('back', rows());"
        "call_command('migrate', 'portalkit', verbosity=0, skip_checks=True); print('forth', rows());"
        "print('read', DjangoStorage().get(Issue, 'i1').priority)"
    )
    printed = run_on_django(script, tmp_path / "codes.sqlite3")
    assert "back [('High', 'Closed')]" in printed
    assert "forth [('high', 'closed')]" in printed
    assert "read Priority.HIGH" in printed
