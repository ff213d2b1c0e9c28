"""A throwaway PostgreSQL server for tests: uses ``PORTALKIT_PG_URL`` if set, else starts one.

The server is Debian's ``postgresql`` package (``initdb``/``pg_ctl``) on 127.0.0.1 with a free
port and a temporary data directory; as root it runs as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


class NoPostgres(RuntimeError):
    """No server is configured and none can be started here (the reason is the message)."""


def _bin_dir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise NoPostgres("no PostgreSQL server binaries (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def postgres_url() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a running PostgreSQL server; stop it afterwards if we started it."""
    if os.environ.get("PORTALKIT_PG_URL"):
        yield os.environ["PORTALKIT_PG_URL"]
        return
    bindir = _bin_dir()
    root = tempfile.mkdtemp(prefix="portalkit-pg-")
    data, port = os.path.join(root, "data"), _free_port()
    as_postgres = os.geteuid() == 0
    if as_postgres:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise NoPostgres("running as root and there is no postgres user") from exc
        os.chown(root, pw.pw_uid, pw.pw_gid)

    def run(*cmd: str) -> None:
        argv = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)] if as_postgres else list(cmd)
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise NoPostgres(f"{cmd[0]} failed: {result.stderr.strip()[-300:]}")

    run(f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
    opts = f"'-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off'"
    run(f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-l", f"{root}/log", "-w", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        try:
            run(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(root, ignore_errors=True)
