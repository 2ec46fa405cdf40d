"""The findmnt engine's command line next to findmnt's, where issue 16 found them apart:
``-y`` in every format, the TID column, ``-w`` without ``--poll``.  Bytes and exit
statuses compared with /usr/bin/findmnt (skipped where it is missing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FINDMNT = shutil.which("findmnt")
needs_findmnt = pytest.mark.skipif(FINDMNT is None, reason="findmnt (util-linux) is not installed")
ENV = {**os.environ, "LC_ALL": "C.UTF-8"}
TABLE = (b"21 1 0:19 / / rw,relatime shared:1 - tmpfs root rw,size=4k\n"
         b"22 21 8:1 /sub /mnt rw,nosuid master:3 - ext4 /dev/vda1 rw\n"
         b"23 21 0:20 / /proc rw - proc proc rw\n")


def _run(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, capture_output=True, env=ENV, timeout=60)


def _both(args: list[str], list_mode: bool = True) -> tuple[subprocess.CompletedProcess[bytes], ...]:
    assert FINDMNT is not None
    ours = _run([sys.executable, "-m", "mountcursor", "list" if list_mode else "tree", *args])
    theirs = _run([FINDMNT, *(["-l"] if list_mode and not {"-r", "-P"} & set(args) else []), *args])
    return ours, theirs


@needs_findmnt
@pytest.mark.parametrize("fmt", [[], ["-r"], ["-P"], ["-J"], ["-n"]], ids=["human", "raw", "pairs", "json", "n"])
def test_shell_names_in_every_format(tmp_path: Path, fmt: list[str]) -> None:
    """``-y``: USE% is USE_PCT, MAJ:MIN is MAJ_MIN, FS-OPTIONS is FS_OPTIONS, in headers,
    pairs and JSON keys alike."""
    f = tmp_path / "mountinfo"
    f.write_bytes(TABLE)
    args = ["-F", str(f), "-y", "-o", "TARGET,MAJ:MIN,FS-OPTIONS,OPT-FIELDS", *fmt]
    ours, theirs = _both(args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, b"")
    assert b"MAJ_MIN" in ours.stdout or b"maj_min" in ours.stdout or fmt == ["-n"]


@needs_findmnt
def test_tid_of_a_live_table_is_the_readers_task() -> None:
    """TID on the live table: the task that read it (findmnt prints its own pid)."""
    assert FINDMNT is not None
    for argv in ([sys.executable, "-m", "mountcursor", "list"], [FINDMNT, "-l"]):
        proc = subprocess.Popen([*argv, "-n", "-o", "TID", "-T", "/"], stdout=subprocess.PIPE, env=ENV)
        out, _ = proc.communicate(timeout=60)
        assert out.split() == [str(proc.pid).encode()], argv


@needs_findmnt
@pytest.mark.parametrize("where", ["4242/mountinfo", "plain/mountinfo", "4242/mounts"])
def test_tid_of_a_file_is_libmounts(tmp_path: Path, where: str) -> None:
    """A mountinfo file's TID is the name of its directory when that is a number
    (/proc/N/mountinfo); a /proc/<pid>/mounts-format file has none."""
    f = tmp_path / where
    f.parent.mkdir()
    f.write_bytes(TABLE if where.endswith("mountinfo") else b"root / tmpfs rw 0 0\n")
    ours, theirs = _both(["-F", str(f), "-o", "TARGET,TID"])
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)
    assert (b"4242" in ours.stdout) == (where == "4242/mountinfo")


@needs_findmnt
@pytest.mark.parametrize("timeout", ["100", "-5", " 7", "+3", "abc", "1.5", "99999999999", ""])
def test_a_poll_timeout_is_checked_then_ignored(tmp_path: Path, timeout: str) -> None:
    """``-w`` without ``--poll``: findmnt checks the number and does nothing with it."""
    f = tmp_path / "mountinfo"
    f.write_bytes(TABLE)
    ours, theirs = _both(["-F", str(f), "-w", timeout])
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)
    if theirs.returncode:
        assert ours.stderr.replace(b"mountcursor:", b"findmnt:") == theirs.stderr


def _on_a_terminal(argv: list[str], columns: int = 100) -> bytes:
    """What ``argv`` writes to a pseudo-terminal ``columns`` wide."""
    import fcntl
    import pty
    import struct
    import termios

    main, sub = pty.openpty()
    fcntl.ioctl(sub, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in ENV.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen(argv, stdout=sub, stderr=subprocess.DEVNULL, env=env)
    os.close(sub)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    proc.wait(timeout=60)
    return out


@needs_findmnt
@pytest.mark.parametrize("columns", ["USE%,TARGET,MAJ:MIN", "TARGET,USE%,MAJ:MIN,FSTYPE"])
def test_shell_names_leave_the_widths_alone(tmp_path: Path, columns: str) -> None:
    """``-y`` renames the headers only: a column is as wide as its own name needs
    (``USE%``, four, not ``USE_PCT``'s seven), and the longer name, right-aligned,
    overflows its column without breaking the line; in a pipe and on a terminal."""
    assert FINDMNT is not None
    f = tmp_path / "mountinfo"
    f.write_bytes(TABLE)
    args = ["-F", str(f), "-y", "-o", columns]
    ours, theirs = _both(args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, b"")
    assert b"USE_PCT" in ours.stdout
    on_tty = [_on_a_terminal([sys.executable, "-m", "mountcursor", "list", *args]),
              _on_a_terminal([FINDMNT, "-l", *args])]
    assert on_tty[0] == on_tty[1]
    assert b"USE_PCT" in on_tty[0]


@needs_findmnt
@pytest.mark.parametrize("fmt", [["-J"], ["-r"], ["-P"], []], ids=["json", "raw", "pairs", "human"])
def test_a_list_of_many_rows_read_whole(tmp_path: Path, fmt: list[str]) -> None:
    """A saved table with a line of another shape than the kernel's (a tag it does not
    print today) is read whole by the parser, and its 5,001 rows printed at once, in
    batches of 4,096: the JSON has a comma between the rows where two batches meet."""
    lines = [b"1 0 0:1 / / rw - tmpfs root rw\n"]
    lines += [b"%d 1 0:%d / /m%d rw,relatime - tmpfs t%d rw\n" % (i + 2, i + 2, i, i) for i in range(5000)]
    lines[2500] = lines[2500].replace(b" - ", b" future:1 - ")
    f = tmp_path / "mountinfo"
    f.write_bytes(b"".join(lines))
    ours, theirs = _both(["-F", str(f), *fmt])
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours.stdout.count(b"/m4999") == 1


@needs_findmnt
@pytest.mark.parametrize("fmt", [["-r"], ["-P"], ["-J"]], ids=["raw", "pairs", "json"])
def test_a_saved_table_with_nothing_to_escape_prints_its_own_bytes_as_findmnt(tmp_path: Path, fmt: list[str]) -> None:
    """A saved table of the kernel's shape and plain bytes is printed from the lines'
    own bytes a slice at a time, as a live one is: 5,001 rows, over several slices and
    JSON batches, are findmnt's bytes."""
    lines = [b"21 1 0:19 / / rw,relatime - tmpfs tmpfs rw\n"]
    lines += [b"%d 21 0:%d / /m%d rw,relatime - tmpfs t%d rw,size=4k\n" % (i + 22, i + 20, i, i) for i in range(5000)]
    f = tmp_path / "mountinfo"
    f.write_bytes(b"".join(lines))
    ours, theirs = _both(["-F", str(f), *fmt])
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours.stdout.count(b"\n") >= 5001


@needs_findmnt
@pytest.mark.parametrize("args", [["-o", "ACTION"], ["-o", "TARGET,OLD-TARGET,ACTION"], ["-o", "+old-options", "-J"],
                                  ["-o", "action", "-T", "/nonexistent"], ["-F", "{file}", "-o", "ID,ACTION"]])
@pytest.mark.parametrize("list_mode", [True, False], ids=["list", "tree"])
def test_a_poll_column_without_poll_is_said_after_the_table_is_read(tmp_path: Path, args: list[str],
                                                                    list_mode: bool) -> None:
    """ACTION, OLD-TARGET and OLD-OPTIONS are findmnt's columns, for --poll only: asked for
    without it, findmnt reads the table, then names the first such column and exits 1
    (--verify, below, never gets to the columns)."""
    _same_as_findmnt(tmp_path, args, list_mode)


@needs_findmnt
def test_verify_never_gets_to_a_poll_column(tmp_path: Path) -> None:
    _same_as_findmnt(tmp_path, ["--verify", "-F", "{file}", "-o", "ACTION"], list_mode=False)


def _same_as_findmnt(tmp_path: Path, args: list[str], list_mode: bool) -> None:
    """``args`` ({file}: a saved table) given to both: the same status, stdout and stderr."""
    f = tmp_path / "mountinfo"
    f.write_bytes(TABLE)
    ours, theirs = _both([str(f) if a == "{file}" else a for a in args], list_mode)
    assert (ours.returncode, ours.stdout, ours.stderr.replace(b"mountcursor:", b"findmnt:")) \
        == (theirs.returncode, theirs.stdout, theirs.stderr)


@needs_findmnt
@pytest.mark.parametrize("spec", ["TARGET,NOPE,SOURCE", "+NOPE,ID", "ID,ACTION,NOPE", "TARGET,NOPE,", "nope"])
def test_an_unknown_column_is_named_with_the_rest_of_the_list(spec: str) -> None:
    """findmnt prints an unknown column's name with %s, which runs on to the end of the
    -o list: ``-o TARGET,NOPE,SOURCE`` says ``unknown column: NOPE,SOURCE``."""
    ours, theirs = _both(["-o", spec])
    assert (ours.returncode, ours.stdout, ours.stderr.replace(b"mountcursor:", b"findmnt:")) \
        == (theirs.returncode, theirs.stdout, theirs.stderr)
