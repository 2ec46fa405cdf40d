"""``mypy --strict`` on the live library (the package ships ``py.typed``), on the lean
modules of ``list``/``tree`` (the command line's click-free path) and on the VM tooling.  Runs where mypy is
installed (the ``test`` extra pins it); CI runs ``make test``, which has it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEAN_CLI = ("__init__", "findmnt_cmd")


def test_mypy_strict_live_is_clean(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(ROOT / ".mypy_cache"), "src/mountcursor/live",
         "src/mountcursor/findmnt", "src/mountcursor/format", "src/mountcursor/status.py", "src/mountcursor/vm", "src/mountcursor/verify/sandbox.py",
         "src/mountcursor/verify/_sandbox_worker.py", "src/mountcursor/verify/soak.py", *(f"src/mountcursor/cli/{name}.py" for name in LEAN_CLI)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert done.stdout.startswith("Success: no issues found")
