"""``mountcursor list`` on a live table takes the lean path and prints what findmnt
prints, in every format it takes, with every column it knows: a sandbox with shared,
slave, bind (a subdirectory as root), read-only and over-mounted mounts, read by both
through ``-N PID`` (the sandbox does not change while they read)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mountcursor.cli.fastlist import LEAN_COLUMNS, lean_output
from mountcursor.cli.findmnt_args import parse
from mountcursor.live.colspec import parse_columns

from .conftest import needs_sandbox

ENV = {**os.environ, "LC_ALL": "C.UTF-8"}
ALL = ",".join(sorted(LEAN_COLUMNS))


@pytest.fixture(scope="module")
def varied():
    needs_sandbox()
    from mountcursor.live.sandbox import Sandbox

    with Sandbox(n=4) as sb:
        sb.mount_tmpfs("shared", data=b"size=1m")
        sb.make("shared", "shared")
        sb.mount_tmpfs("shared/a")
        sb.bind("shared", "peer")                       # a peer of shared: both shared:N
        sb.mount_tmpfs("master")
        sb.make("master", "shared")
        sb.bind("master", "slave")
        sb.make("slave", "slave")                       # master:N
        sb.mkdir("master/sub")
        sb.bind("master/sub", "sub")                    # root /sub: SOURCE tmpfs[/sub]
        sb.mount_tmpfs("ro", flags=1)                   # MS_RDONLY
        sb.mount_tmpfs("ro")                            # over-mounted
        yield sb


def _ours(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "mountcursor", "list", *args], capture_output=True, env=ENV,
                          timeout=60)


@pytest.mark.parametrize("fmt", [[], ["-r"], ["-P"], ["-J"], ["-n"]], ids=["human", "raw", "pairs", "json", "noheadings"])
@pytest.mark.parametrize("columns", [None, ALL, "+ID,PARENT,MAJ:MIN,PROPAGATION,OPT-FIELDS,TID"])
@pytest.mark.parametrize("types", [[], ["-t", "tmpfs"], ["-t", "tmpfs", "-i"]], ids=["all", "t", "ti"])
def test_lean_list_equals_findmnt_on_a_live_table(varied, findmnt, fmt: list[str], columns: str | None,
                                                  types: list[str]) -> None:
    args = ["-N", str(varied.pid), *fmt, *(["-o", columns] if columns else []), *types]
    with open(f"/proc/{varied.pid}/mountinfo", "rb") as f:
        table = f.read()
    params = parse(args)
    assert params is not None
    names = parse_columns(columns)
    lean = lean_output(table, names, {"-r": "raw", "-P": "pairs", "-J": "json"}.get(fmt[0] if fmt else "", "human"),
                       params)
    assert lean is not None, "the lean path declined the sandbox's table"
    as_list = [] if fmt and fmt[0] in ("-r", "-P") else ["-l"]   # findmnt refuses -l with those
    theirs = subprocess.run([findmnt, *as_list, *args], capture_output=True, env=ENV, timeout=60)
    ours = _ours(args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, b"")
    assert ours.stdout == lean


def test_the_sandbox_has_what_the_comparison_is_about(varied) -> None:
    with open(f"/proc/{varied.pid}/mountinfo", "rb") as f:
        table = f.read()
    assert b" shared:" in table and b" master:" in table and b" /sub " in table and b" ro," in table
