"""The public API is typed: mypy --strict checks the whole core, its adapters and testing kit."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is not installed")


def test_core_type_checks():
    src = Path(__file__).resolve().parents[1] / "src" / "portalkit"
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports", "--no-error-summary", str(src)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
