"""``mypy --strict`` on the whole package (it ships ``py.typed``): the model, the verifier,
the live library, the findmnt engine, the VM tooling and the command line.  Runs where mypy is installed
(the ``test`` extra pins it, and the greenlet stubs the verifier needs); CI runs
``make test``, which has it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_strict_package_is_clean() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(ROOT / ".mypy_cache"), "src/mountcursor"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert done.stdout.startswith("Success: no issues found")
