"""A throwaway Redis server for tests of the job engines: ``PORTALKIT_REDIS_URL`` if set, else
Debian's ``redis-server`` started on a free port with no persistence."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


class NoRedis(RuntimeError):
    """No server is configured and none can be started here (the reason is the message)."""


@contextmanager
def redis_url() -> Iterator[str]:
    if os.environ.get("PORTALKIT_REDIS_URL"):
        yield os.environ["PORTALKIT_REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        raise NoRedis("no redis-server (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="portalkit-redis-")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise NoRedis("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
