"""``mountcursor tree`` of a live table is split into columns (no entry objects) and
prints what findmnt prints, as a tree and as ``-J``, with every column made from a line: the sandbox of
``test_live_engine_list`` (shared, slave, bind with a subdirectory as root, read-only and
over-mounted mounts), read by both through ``-N PID``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mountcursor.findmnt.columns import LINE_COLUMNS
from mountcursor.findmnt.rows import Rows

from .conftest import needs_sandbox
from .test_live_engine_list import varied  # noqa: F401 -- the sandbox fixture

ALL = ",".join(sorted(LINE_COLUMNS))


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
@pytest.mark.parametrize("fmt", [[], ["-J"], ["-n"], ["-a"]], ids=["tree", "json", "noheadings", "ascii"])
@pytest.mark.parametrize("columns", [None, ALL, "+ID,PARENT,MAJ:MIN,PROPAGATION,OPT-FIELDS,TID"])
def test_tree_equals_findmnt_on_a_live_table(varied, findmnt, fmt: list[str], columns: str | None,  # noqa: F811
                                                  locale: str) -> None:
    args = ["-N", str(varied.pid), *fmt, *(["-o", columns] if columns else [])]
    with open(f"/proc/{varied.pid}/mountinfo", "rb") as f:
        assert Rows.from_mountinfo(f.read()) is not None, "the sandbox's table was not split into columns"
    _same_as_findmnt(findmnt, args, locale)


@pytest.fixture(scope="module")
def hostile():
    needs_sandbox()
    from mountcursor.verify.sandbox import Sandbox

    with Sandbox(n=2) as sb:
        for name in ["a b", "back\\slash", "tab\tx", "\u00e9t\u00e9", "ctl\x01", "new\nline", os.fsdecode(b"raw\xff")]:
            sb.mount_tmpfs(name)
        sb.mount_tmpfs("a b/c")
        yield sb


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
@pytest.mark.parametrize("fmt", [[], ["-J"], ["-o", "+FSROOT,ID,PROPAGATION"]], ids=["tree", "json", "columns"])
def test_tree_of_hostile_names_equals_findmnt(hostile, findmnt, fmt: list[str], locale: str) -> None:
    """Escaped blanks, backslashes, tabs and newlines, UTF-8, a control character and an
    undecodable byte in mount points: the table is split into columns (unescaped and
    decoded as the parser does) and printed as findmnt prints it."""
    args = ["-N", str(hostile.pid), *fmt]
    with open(f"/proc/{hostile.pid}/mountinfo", "rb") as f:
        table = f.read()
    assert b"\\040" in table and b"\xff" in table and b"\x01" in table
    assert Rows.from_mountinfo(table) is not None, "the table was not split into columns"
    _same_as_findmnt(findmnt, args, locale)


def _same_as_findmnt(findmnt: str, args: list[str], locale: str) -> None:
    """``mountcursor tree ARGS`` prints findmnt's bytes."""
    env = {**os.environ, "LC_ALL": locale}
    env.pop("PYTHONUTF8", None)
    theirs = subprocess.run([findmnt, *args], capture_output=True, env=env, timeout=60)
    ours = subprocess.run([sys.executable, "-m", "mountcursor", "tree", *args], capture_output=True, env=env,
                          timeout=60)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, b"")
