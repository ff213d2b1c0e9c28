"""The public API is typed: mypy --strict checks the whole core, its adapters and testing kit."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is not installed")


def test_core_type_checks():
    root = Path(__file__).resolve().parents[1]  # pyproject.toml's [tool.mypy] applies
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "src/portalkit"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert done.returncode == 0, done.stdout + done.stderr
