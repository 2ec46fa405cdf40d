"""``mountcursor list`` on a live table is split into columns (no entry objects) and
prints what findmnt prints, in every format, with every column made from a line, and
with the selections scripts ask most: a sandbox with shared,
slave, bind (a subdirectory as root), read-only and over-mounted mounts, read by both
through ``-N PID`` (the sandbox does not change while they read)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mountcursor.findmnt.columns import LINE_COLUMNS
from mountcursor.findmnt.rows import Rows

from .conftest import needs_sandbox

ENV = {**os.environ, "LC_ALL": "C.UTF-8"}
ALL = ",".join(sorted(LINE_COLUMNS))


@pytest.fixture(scope="module")
def varied():
    needs_sandbox()
    from mountcursor.verify.sandbox import Sandbox

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
def test_list_equals_findmnt_on_a_live_table(varied, findmnt, fmt: list[str], columns: str | None,
                                             types: list[str]) -> None:
    args = ["-N", str(varied.pid), *fmt, *(["-o", columns] if columns else []), *types]
    with open(f"/proc/{varied.pid}/mountinfo", "rb") as f:
        assert Rows.from_mountinfo(f.read()) is not None, "the sandbox's table was not split into columns"
    as_list = [] if fmt and fmt[0] in ("-r", "-P") else ["-l"]   # findmnt refuses -l with those
    theirs = subprocess.run([findmnt, *as_list, *args], capture_output=True, env=ENV, timeout=60)
    ours = _ours(args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, b"")


@pytest.mark.parametrize("fmt", [[], ["-J"], ["-P"]], ids=["human", "json", "pairs"])
def test_shell_names_on_a_live_table(varied, findmnt, fmt: list[str]) -> None:
    """``-y`` on the live table: the headers and keys renamed, the widths those of the
    columns' own names (USE% is four wide), as findmnt prints them."""
    args = ["-N", str(varied.pid), "-y", "-o", "TARGET,USE%,MAJ:MIN", "-t", "tmpfs", *fmt]
    as_list = [] if fmt == ["-P"] else ["-l"]
    theirs = subprocess.run([findmnt, *as_list, *args], capture_output=True, env=ENV, timeout=60)
    ours = _ours(args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, b"")
    assert b"USE_PCT" in ours.stdout or b"use_pct" in ours.stdout


_SELECTIONS = [["-T", "{root}/shared/a"], ["-T", "{root}/shared/a/deeper/still"], ["-M", "{root}/ro"],
               ["-M", "{root}/nowhere"], ["-S", "tmpfs"], ["-O", "ro"], ["-O", "noro,size=1m"],
               ["-R", "-T", "{root}/master"], ["-U"], ["--real"], ["--pseudo"],
               ["{root}/peer"], ["-f", "-t", "tmpfs"], ["-d", "backward", "-f", "-t", "tmpfs"],
               ["-T", "{root}/ro", "-i", "-t", "tmpfs"], ["-S", "none"], ["-S", "proc"]]


@pytest.mark.parametrize("mode", [["-l"], [], ["-J"], ["-r"]], ids=["list", "tree", "json", "raw"])
@pytest.mark.parametrize("selection", _SELECTIONS, ids=lambda s: " ".join(s))
def test_selections_equal_findmnt_on_a_live_table(varied, findmnt, mode: list[str], selection: list[str]) -> None:
    """-T, -M, -S, -O and the rest, as scripts ask them, on the live table: bytes, exit
    status and stderr as findmnt's."""
    root = os.fsdecode(varied.root)
    args = ["-N", str(varied.pid), *[a.replace("{root}", root.rstrip("/")) for a in selection],
            "-o", "+ID,PARENT,PROPAGATION"]
    theirs = subprocess.run([findmnt, *mode, *args], capture_output=True, env=ENV, timeout=60)
    ours = subprocess.run([sys.executable, "-m", "mountcursor", "tree", *mode, *args], capture_output=True,
                          env=ENV, timeout=60)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)


def test_the_sandbox_has_what_the_comparison_is_about(varied) -> None:
    with open(f"/proc/{varied.pid}/mountinfo", "rb") as f:
        table = f.read()
    assert b" shared:" in table and b" master:" in table and b" /sub " in table and b" ro," in table
