"""A localstripe server for the tests: the one at ``LOCALSTRIPE_URL``, or one started here."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def localstripe_url():
    if os.environ.get("LOCALSTRIPE_URL"):
        yield os.environ["LOCALSTRIPE_URL"].rstrip("/")
        return
    command = shutil.which("localstripe")
    if command is None:
        pytest.fail("localstripe is not installed: pip install -e 'adapters/portalkit-stripe[test]'")
    port = _free_port()
    proc = subprocess.Popen([command, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://localhost:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/js.stripe.com/v3/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
