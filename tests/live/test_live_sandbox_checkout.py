"""A checkout under ``/tmp`` (where CI clones the project, and the sandbox's default
root) still runs the sandbox: the worker imports every module it runs before it mounts
over its root, although :mod:`mountcursor.live` loads its modules only when used."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mountcursor

from .conftest import needs_sandbox

_SCRIPT = """
from mountcursor.verify.sandbox import Sandbox
with Sandbox(n=2) as sb:
    sb.mount_tmpfs("a")
    sb.umount("a", recursive=True)
    table = sb.snapshot().table
    sb.watch_start("poll")
    sb.mount_tmpfs("b")
    batches = sb.watch_stop()
    print(len(table.entries) > 2, any(ev.action == "mount" for b in batches for ev in b.events))
"""


def test_a_checkout_under_the_sandbox_root_runs_the_sandbox() -> None:
    needs_sandbox()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        shutil.copytree(Path(mountcursor.__file__).parent, Path(tmp) / "mountcursor",
                        ignore=shutil.ignore_patterns("__pycache__"))
        done = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {tmp!r})\n" + _SCRIPT],
                              capture_output=True, cwd=tmp, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout == b"True True\n"
