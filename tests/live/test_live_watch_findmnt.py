"""``mountcursor watch`` next to ``findmnt --poll`` (util-linux 2.38) on one sandbox.

Both watch the sandbox's table by pid while one script of changes runs, one change per
wake-up; their outputs must be the same bytes, option set by option set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from .conftest import needs_sandbox

VARIANTS = [
    [],
    ["-o", "ACTION,TARGET,OLD-TARGET,OLD-OPTIONS"],
    ["-o", "+OLD-TARGET,ID"],
    ["-r"],
    ["-P", "-o", "ACTION,TARGET,SOURCE,OLD-OPTIONS"],
    ["-n", "--poll=umount,move"],
    ["-t", "tmpfs", "-O", "ro"],
    ["-f"],
    ["-M", "/tmp/b"],
]


def _mountcursor(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "mountcursor", "watch", *args]


def _findmnt(findmnt: str, args: list[str]) -> list[str]:
    args = [("--poll=" + a.split("=", 1)[1]) if a.startswith("--poll=") else a for a in args]
    return [findmnt, *([] if any(a.startswith("--poll") for a in args) else ["--poll"]), *args]


def _wait_polling(proc: subprocess.Popen[bytes], pid: int, deadline: float) -> None:
    """Until ``proc`` has /proc/<pid>/mountinfo open and sleeps in poll(2): it has read
    its first table and reports any later change.  Twice in a row, 50 ms apart (a
    Python watcher polls, reads its first table through a second file, then polls)."""
    want = f"/proc/{pid}/mountinfo"
    seen = 0
    while time.monotonic() < deadline:
        try:
            fds = os.listdir(f"/proc/{proc.pid}/fd")
            opened = any(os.readlink(f"/proc/{proc.pid}/fd/{fd}") == want for fd in fds)
            with open(f"/proc/{proc.pid}/wchan") as f:
                polling = "poll" in f.read()
        except OSError:
            opened = polling = False
        seen = seen + 1 if opened and polling else 0
        if seen >= 2:
            return
        time.sleep(0.05)
    raise AssertionError(f"{proc.args} did not open {want} and poll it")


def _script(sb) -> None:
    """One change per wake-up: 0.6 s apart, well above the 0.1 s re-read interval."""
    sb.mount_tmpfs(b"a", source=b"x", data=b"size=1m")
    time.sleep(0.6)
    sb.call("mount", None, sb.path(b"a"), None, 32 | 1, b"size=1m", False)  # MS_REMOUNT | MS_RDONLY
    time.sleep(0.6)
    sb.move(b"a", b"b")
    time.sleep(0.6)
    sb.mount_tmpfs(b"very/long/name/for/the/target", source=b"longsourcename")
    time.sleep(0.6)
    sb.umount(b"b")
    time.sleep(0.6)


def _both_polling(sandbox, findmnt: str, variants: list[list[str]], env: dict[str, str]) -> list:
    """``mountcursor watch`` and ``findmnt --poll`` with each of ``variants`` on the
    sandbox's table (ours, theirs, ours, ...), each already polling it."""
    procs = []
    for args in variants:
        full = ["-N", str(sandbox.pid), *args]
        for cmd in (_mountcursor(full), _findmnt(findmnt, full)):
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env))
    deadline = time.monotonic() + 60
    try:
        for proc in procs:
            _wait_polling(proc, sandbox.pid, deadline)
    except BaseException:
        for proc in procs:
            proc.kill()
        raise
    return procs


def test_watch_prints_what_findmnt_poll_prints(sandbox, findmnt):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    procs = _both_polling(sandbox, findmnt, VARIANTS, env)  # no -w: on a busy machine the last starts late
    try:
        _script(sandbox)
        time.sleep(0.5)
    finally:
        for proc in procs:  # both flush after each batch: what was printed is complete
            if proc.poll() is None:
                proc.terminate()
    outs = [proc.communicate(timeout=30) for proc in procs]
    for i, args in enumerate(VARIANTS):
        (ours, our_err), (theirs, their_err) = outs[2 * i], outs[2 * i + 1]
        assert our_err == their_err == b"", (args, our_err, their_err)
        assert ours.decode() == theirs.decode(), (args, ours.decode(), theirs.decode())
    assert procs[2 * VARIANTS.index(["-f"])].returncode == procs[2 * VARIANTS.index(["-f"]) + 1].returncode == 0
    assert outs[0][0].decode().splitlines() == [
        "ACTION     TARGET SOURCE FSTYPE OPTIONS",
        "mount      /tmp/a x      tmpfs  rw,relatime,size=1024k",
        "remount    /tmp/a x      tmpfs  ro,relatime,size=1024k",
        "move       /tmp/b x      tmpfs  ro,relatime,size=1024k",
        "mount      /tmp/very/long/name/for/the/target longsourcename tmpfs  rw,relatime",
        "umount     /tmp/b x      tmpfs  ro,relatime,size=1024k",
    ]


def test_watch_json_lines_and_old_keys_only_where_meaningful(sandbox):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(_mountcursor(["-N", str(sandbox.pid), "-J"]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        _wait_polling(proc, sandbox.pid, time.monotonic() + 60)
        _script(sandbox)
        time.sleep(0.5)
    finally:
        proc.terminate()
    out, err = proc.communicate(timeout=30)
    assert err == b""
    rows = [json.loads(line) for line in out.decode().splitlines()]
    assert [sorted(r) for r in rows] == [
        ["action", "fstype", "options", "source", "target"],
        ["action", "fstype", "old-options", "options", "source", "target"],
        ["action", "fstype", "old-target", "options", "source", "target"],
        ["action", "fstype", "options", "source", "target"],
        ["action", "fstype", "old-options", "old-target", "options", "source", "target"],
    ]
    assert rows[1]["old-options"] == "rw,relatime,size=1024k" and rows[2]["old-target"] == "/tmp/a"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--count", "0"], "mountcursor: --count expects a number of events (an integer >= 1), got '0'"),
        (["-w", "-5"], "mountcursor: -w/--timeout expects milliseconds (an integer >= 0), got '-5'"),
        (["-w", "nan"], "mountcursor: -w/--timeout expects milliseconds (an integer >= 0), got 'nan'"),
        (["--poll=mount,bogus"], "mountcursor: --poll: unknown action 'bogus' (known: mount, umount, remount, "
                                 "move, propagation)"),
        (["-o", "ACTION,NOPE"], "mountcursor: unknown column: NOPE"),
        (["-r", "-J"], "mountcursor: --raw, --pairs and --json cannot be used together"),
        (["--interval", "nan"], "mountcursor: min_interval must be a finite number of seconds >= 0, got nan"),
    ],
)
def test_bad_watch_arguments(args, message):
    from click.testing import CliRunner

    from mountcursor.cli.app import main

    result = CliRunner().invoke(main, ["watch", *args])
    assert result.exit_code == (1 if args[0] == "-o" else 2), result.output  # a bad -o: 1, as findmnt
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_timeout_without_events_exits_0(sandbox):
    from click.testing import CliRunner

    from mountcursor.cli.app import main

    result = CliRunner().invoke(main, ["watch", "-N", str(sandbox.pid), "-w", "200"])
    assert result.exit_code == 0 and result.stdout == ""


def test_watched_process_that_exits():
    needs_sandbox()
    from mountcursor.verify.sandbox import Sandbox

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    sb = Sandbox(n=0)
    try:
        proc = subprocess.Popen(_mountcursor(["-N", str(sb.pid), "-w", "20000"]), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        _wait_polling(proc, sb.pid, time.monotonic() + 20)
    finally:
        sb.close()
    _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 3
    assert err.decode() == f"mountcursor: process {sb.pid} exited: its mount table is no longer watched\n"


def test_watch_escapes_names_as_findmnt_poll(sandbox, findmnt):
    """One printer for list and watch: a mount point with a blank and UTF-8 letters is
    ``\\x20``/``\\xc3\\xa9`` in ``-r`` and ``-P`` and shown as is in the table, as
    ``findmnt --poll`` prints it (the first event of each, same bytes)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), LC_ALL="C.UTF-8")
    env.pop("PYTHONUTF8", None)
    name = "é 中文".encode()
    procs = _both_polling(sandbox, findmnt, [["-r", "-f"], ["-P", "-f"], ["-f"]], env)
    try:
        sandbox.mount_tmpfs(name)
        outs = [proc.communicate(timeout=30) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        sandbox.umount(name)
    for ours, theirs in zip(outs[::2], outs[1::2]):
        assert ours == theirs
    assert b"/tmp/\\xc3\\xa9\\x20\\xe4\\xb8\\xad\\xe6\\x96\\x87" in outs[0][0]
    assert "/tmp/é 中文".encode() in outs[4][0]


def test_a_lazy_unmount_is_reported_in_table_order_as_findmnt_poll(sandbox, findmnt):
    """A subtree unmounted at once (MNT_DETACH) is one batch: its umounts in table
    order, parent first, as findmnt --poll prints them (libmount's diff walks the old
    table forward)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), LC_ALL="C.UTF-8")
    for name in (b"lz", b"lz/a", b"lz/a/b", b"lz/c"):
        sandbox.mount_tmpfs(name)
    procs = _both_polling(sandbox, findmnt, [["-r", "-o", "ACTION,TARGET"]], env)
    try:
        sandbox.umount(b"lz", lazy=True)
        outs = [_read_lines(proc, 5, time.monotonic() + 30) for proc in procs]  # a header, four umounts
    finally:
        for proc in procs:
            proc.kill()
            proc.communicate(timeout=30)
    assert outs[0] == outs[1]
    assert outs[0].splitlines()[1:] == [b"umount /tmp/lz", b"umount /tmp/lz/a", b"umount /tmp/lz/a/b",
                                        b"umount /tmp/lz/c"]


def _read_lines(proc: subprocess.Popen[bytes], n: int, deadline: float) -> bytes:
    """What ``proc`` writes until it has written ``n`` lines (or the deadline)."""
    import select as _select

    assert proc.stdout is not None
    got = b""
    while got.count(b"\n") < n:
        ready, _, _ = _select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(proc.stdout.fileno(), 65536) if ready else b""
        if not chunk:
            break
        got += chunk
    return got
