"""``mountcursor tree`` of a live table takes the lean path and prints what findmnt
prints, as a tree and as ``-J``, with every column the lean path knows: the sandbox of
``test_live_lean_list`` (shared, slave, bind with a subdirectory as root, read-only and
over-mounted mounts), read by both through ``-N PID``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mountcursor.cli.fastlist import LEAN_COLUMNS
from mountcursor.cli.fasttree import lean_tree_output
from mountcursor.cli.findmnt_args import parse

from .test_live_lean_list import varied  # noqa: F401 -- the sandbox fixture

ALL = ",".join(sorted(LEAN_COLUMNS))


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
@pytest.mark.parametrize("fmt", [[], ["-J"], ["-n"], ["-a"]], ids=["tree", "json", "noheadings", "ascii"])
@pytest.mark.parametrize("columns", [None, ALL, "+ID,PARENT,MAJ:MIN,PROPAGATION,OPT-FIELDS,TID"])
def test_lean_tree_equals_findmnt_on_a_live_table(varied, findmnt, fmt: list[str], columns: str | None,  # noqa: F811
                                                  locale: str) -> None:
    args = ["-N", str(varied.pid), *fmt, *(["-o", columns] if columns else [])]
    with open(f"/proc/{varied.pid}/mountinfo", "rb") as f:
        table = f.read()
    params = parse(args)
    assert params is not None
    names = columns.lstrip("+").split(",") if columns else []
    if columns is None or columns.startswith("+"):
        names = ["TARGET", "SOURCE", "FSTYPE", "OPTIONS", *names]
    lean = lean_tree_output(table, names, "json" if fmt == ["-J"] else "human", params, locale == "C.UTF-8")
    assert lean is not None, "the lean path declined the sandbox's table"
    env = {**os.environ, "LC_ALL": locale}
    env.pop("PYTHONUTF8", None)
    theirs = subprocess.run([findmnt, *args], capture_output=True, env=env, timeout=60)
    ours = subprocess.run([sys.executable, "-m", "mountcursor", "tree", *args], capture_output=True, env=env,
                          timeout=60)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, b"")
    assert ours.stdout == "".join(lean).encode()
