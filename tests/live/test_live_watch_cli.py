"""watch (poll and fanotify, in the sandbox), awatch, and the CLI's error handling."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.live import awatch

from .conftest import FIXTURE_FILES


def _op_list(sb) -> list:
    return [lambda: sb.mount_tmpfs(b"w1"), lambda: sb.mount_tmpfs(b"w1/sub"), lambda: sb.move(b"w1", b"w2"),
            lambda: sb.call("mount", None, sb.path(b"w2"), None, 32 | 1, None, False),  # remount ro
            lambda: sb.umount(b"w2/sub"), lambda: sb.umount(b"w2")]


EXPECTED = [
    ("mount", b"w1"), ("mount", b"w1/sub"), ("move", b"w2"), ("move", b"w2/sub"), ("remount", b"w2"),
    ("umount", b"w2/sub"), ("umount", b"w2"),
]


def test_watch_events_in_order_by_poll(sandbox):
    """Each change, then the batch it wakes: the events of every change in order.  The
    watch waits for the change itself (poll), so nothing here sleeps."""
    from mountcursor.live.watcher import watch

    got = []
    with watch(sandbox.pid, source="poll", timeout=60, min_interval=0) as w:
        for op in _op_list(sandbox):
            op()
            got += [(ev.action, ev.entry.target) for ev in next(w).events]
    assert got == [(a, sandbox.path(t)) for a, t in EXPECTED]


def test_watch_events_in_order_by_fanotify(sandbox):
    """fanotify's mount events (6.15+), watched inside the namespace by the sandbox.  A
    mount's event is completed by statmount(2) when it is read, so each change must be
    read before the next one moves the mount: here by pausing (the watch runs in the
    sandbox's worker, which the test cannot step)."""
    sandbox.watch_start("fanotify", 0.0)
    for op in _op_list(sandbox):
        op()
        time.sleep(0.15)
    batches = sandbox.watch_stop()
    if batches and batches[0].source == "poll":
        pytest.skip(batches[0].note)
    got = [(ev.action, ev.entry.target) for b in batches for ev in b.events]
    # The kernel sends no remount event, and none for the submount a move takes along.
    want = [(a, sandbox.path(t)) for a, t in EXPECTED if a != "remount" and (a, t) != ("move", b"w2/sub")]
    assert all(b.source == "fanotify" for b in batches)
    assert all(ev.entry.unique_id for b in batches for ev in b.events)
    assert got == want


def test_watch_coalesces_a_storm(sandbox, monkeypatch):
    """Forty mounts before the watch wakes are one re-read and one batch of forty events;
    the next re-read waits for the interval.  On a clock the test drives: no sleep, no
    threshold that a busy machine can break."""
    import importlib

    from mountcursor.live.watcher import watch

    watcher = importlib.import_module("mountcursor.live.watcher")
    now = [1000.0]
    monkeypatch.setattr(watcher, "_clock", lambda: now[0])
    with watch(sandbox.pid, source="poll", timeout=60, min_interval=0.5) as w:
        w._sleep = lambda seconds: now.__setitem__(0, now[0] + seconds) or False
        reads = []
        real_read = w.read

        def read():
            reads.append(now[0])
            return real_read()

        w.read = read
        for i in range(40):
            sandbox.mount_tmpfs(b"s%d" % i)
        batch = next(w)
        assert [ev.action for ev in batch.events] == ["mount"] * 40
        assert [ev.entry.target for ev in batch.events] == [sandbox.path(b"s%d" % i) for i in range(40)]
        sandbox.mount_tmpfs(b"late")
        assert [ev.entry.target for ev in next(w).events] == [sandbox.path(b"late")]
    assert len(reads) == 2 and reads[1] - reads[0] >= 0.5  # one read a wake-up, the interval kept


def test_awatch_from_outside(sandbox):
    """A mount seen from outside the namespace (by pid).  The umount waits until the watcher
    has reported the mount: a mount and umount coalesced into one wake-up cancel out."""
    async def collect():
        out = []
        async for batch in awatch(sandbox.pid, timeout=5, min_interval=0.0):
            out += [(ev.action, ev.entry.target) for ev in batch.events]
            if out:
                break
        return out

    timer = threading.Timer(0.4, lambda: sandbox.mount_tmpfs(b"a1"))
    timer.start()
    try:
        got = asyncio.run(collect())
    finally:
        timer.join()
        sandbox.umount(b"a1")
    assert got[:1] == [("mount", sandbox.path(b"a1"))]


def test_cli_watch_json_lines(sandbox):
    timer = threading.Timer(0.6, lambda: sandbox.mount_tmpfs(b"cli"))
    timer.start()
    result = CliRunner().invoke(main, ["watch", "-N", str(sandbox.pid), "--json", "--count", "1", "--timeout", "5000"])
    timer.join()
    assert result.exit_code == 0, result.output
    event = json.loads(result.stdout)
    assert event["action"] == "mount" and event["target"] == "/tmp/cli" and event["fstype"] == "tmpfs"


@pytest.mark.parametrize(
    "args, message",
    [
        (["list", "-F", "/nonexistent"], "mountcursor: /nonexistent: No such file or directory"),
        (["list", "-N", "999999999"], "mountcursor: process 999999999 does not exist (or has exited)"),
        (["list", "-N", "abc"], "mountcursor: -N/--pid expects a process id, got 'abc'"),
        (["list", "--json", "--raw"], "mountcursor: --json and --raw cannot be used together"),
        (["list", "-l", "-r"], "mountcursor: --list and --raw cannot be used together"),  # findmnt's {P,l,r,x}
        (["tree", "-l", "-P"], "mountcursor: --pairs and --list cannot be used together"),
        (["watch", "-N", "999999999", "--timeout", "1000"], "mountcursor: process 999999999 does not exist"),
    ],
)
def test_errors_are_one_line_exit_2(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_strict_file_error_names_line_and_field(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"1 0 0:1 / / rw - t s rw\n2 x 0:1 / /a rw - t s rw\n")
    result = CliRunner().invoke(main, ["list", "-F", str(bad), "--strict"])
    assert result.exit_code == 2
    assert result.stderr == f"mountcursor: {bad}: line 2, field 'parent_id': expected a decimal integer, got b'x'\n"
    tolerant = CliRunner().invoke(main, ["list", "-F", str(bad), "-r"])
    assert tolerant.exit_code == 0 and "line 2" in tolerant.stderr and "-- ignored" in tolerant.stderr


def test_raw_and_tree_text():
    path = str(FIXTURE_FILES[0].parent / "util-linux-libmount-mountinfo")
    raw = CliRunner().invoke(main, ["list", "-F", path, "-r", "-o", "TARGET,OPTIONS"]).stdout
    assert "/mnt/test/foo\\x0dbar rw,relatime\n" in raw
    assert "unc=\\x5c\\x5cfoo.home\\x5cbar" in raw
    text = CliRunner().invoke(main, ["tree", "-F", path, "-o", "TARGET,ID"]).stdout.splitlines()
    assert text[0].split() == ["TARGET", "ID"] and text[1].split() == ["/", "20"]
    assert text[-1].startswith("└─/mnt/test/foo\\x0dbar")
    assert "│ │ └─/proc/sys/fs/binfmt_misc" in text[4]


def test_watch_options_shared_with_list_come_from_the_one_options_table():
    """-w -f -o -n -r -P -J -t -O -T -M -N are list's options (findmnt --poll takes them
    all): the same names and metavar as the one options table, so `watch --task PID`
    works as `findmnt --poll --task PID` does (it was: no such option)."""
    import os

    from mountcursor.cli.watch_cmd import watch_cmd
    from mountcursor.findmnt.options import option
    from mountcursor.live import watcher

    params = {p.opts[0]: p for p in watch_cmd.params if p.opts}
    for dest in ("poll_timeout", "first_only", "output", "noheadings", "raw", "pairs", "as_json", "types", "opts",
                 "target", "mountpoint", "pid"):
        opt = option(dest)
        param = params[opt.names[0]]
        assert param.opts + param.secondary_opts == list(opt.names), dest
        assert param.metavar == opt.metavar, dest
    assert list(params["--source"].type.choices) == list(watcher.SOURCES)  # the watcher's, not a copy
    result = CliRunner().invoke(main, ["watch", "--task", str(os.getpid()), "-w", "0"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
