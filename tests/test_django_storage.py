"""Django ORM storage (issue 13): the storage conformance suite on SQLite and PostgreSQL, each in
a process of its own (Django's settings are per process), and a whole portal on it."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_conformance(database: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "django_orm.settings",
        "PORTALKIT_DJANGO_DB": database,
        "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-x",
            str(HERE / "django_orm" / "check_conformance.py"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=HERE.parent,
    )


def test_django_storage_passes_the_conformance_suite_on_sqlite(tmp_path):
    done = run_conformance(str(tmp_path / "django.sqlite3"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout


def test_django_storage_passes_the_conformance_suite_on_postgres(pg_storage):
    done = run_conformance(pg_storage.url.replace("postgresql+psycopg", "postgresql"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout
