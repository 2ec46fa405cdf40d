"""The watch's options and statuses of issue 19: ``-w`` with ``--interval``, a huge
interval, a zombie ``-N``, a mount id and device reused in another namespace.

Timing is driven by a clock of the test's own (``watch._clock``, ``Watch._sleep``,
``Watch._wait``): no test sleeps.
"""

from __future__ import annotations

import importlib
import os
import subprocess

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mountcursor.cli.app import main
from mountcursor.live.watcher import WatchedProcessExited, watch

watch_module = importlib.import_module("mountcursor.live.watcher")

from .conftest import needs_sandbox


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.now += seconds
        return False


def driven(monkeypatch, real_reads: bool = True, **kwargs):
    """A watch of this process on ``Clock`` whose poll always says "changed" (and
    takes no time), counting its reads (real ones, or none at all: nothing changed)."""
    clock = Clock()
    monkeypatch.setattr(watch_module, "_clock", clock)
    w = watch(source="poll", **kwargs)
    w._sleep = clock.sleep
    w._wait = lambda seconds: (True, False)
    reads = []
    real_read = w.read

    def read():
        reads.append(clock.now)
        clock.now += 0.01  # a read takes a while
        return real_read() if real_reads else None  # nothing changed: the watch goes on

    w.read = read
    return w, clock, reads


def test_the_timeout_ends_the_watch_within_an_interval(monkeypatch) -> None:
    # was: -w 1500 --interval 8 ran 8.5 s, sleeping the whole interval past the timeout
    w, clock, reads = driven(monkeypatch, timeout=1.5, min_interval=8)
    assert list(w) == []
    assert reads == [1000.0]                      # the first at once, the next not before 1008
    assert clock.now == pytest.approx(1001.5)    # ends at the timeout
    assert max(clock.sleeps) <= watch_module._TICK


def test_the_interval_holds_within_the_timeout(monkeypatch) -> None:
    w, clock, reads = driven(monkeypatch, timeout=10, min_interval=3)
    assert list(w) == []
    assert reads == [1000.0, 1003.0, 1006.0, 1009.0]
    assert clock.now == pytest.approx(1010.0)


def test_a_huge_interval_sleeps_a_tick_at_a_time_and_can_be_cancelled(monkeypatch) -> None:
    # was: time.sleep(1e10) -> OverflowError, a traceback
    w, clock, reads = driven(monkeypatch, min_interval=1e10)

    def sleep(seconds: float) -> bool:
        clock.sleep(seconds)
        if len(clock.sleeps) == 5:
            w.cancel()
        return False

    w._sleep = sleep
    assert list(w) == [] and len(reads) == 1 and clock.sleeps == [watch_module._TICK] * 5


def test_huge_and_endless_watch_arguments_are_one_line_errors() -> None:
    result = CliRunner().invoke(main, ["watch", "-w", "9" * 400])
    assert result.exit_code == 2
    assert result.stderr == ("mountcursor: -w/--timeout expects milliseconds (an integer from 0 to 2147483647), "
                             f"got '{'9' * 400}'\n")
    result = CliRunner().invoke(main, ["watch", "--interval", "1e400"])
    assert (result.exit_code, result.stderr) == (
        2, "mountcursor: min_interval must be a finite number of seconds >= 0, got inf\n")
    result = CliRunner().invoke(main, ["watch", "--interval", "1e10", "-w", "0"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


@pytest.fixture
def zombie():
    """A child of this process that has exited and is not reaped yet."""
    proc = subprocess.Popen(["true"])
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, left a zombie
    yield proc.pid
    proc.wait()


def test_a_zombie_has_exited(zombie) -> None:
    # was: "/proc/PID/mountinfo: Invalid argument", exit 2; the README says 3
    with pytest.raises(WatchedProcessExited, match=f"process {zombie} has exited"):
        watch(zombie)
    result = CliRunner().invoke(main, ["watch", "-N", str(zombie), "-w", "100"])
    assert (result.exit_code, result.stderr) == (
        3, f"mountcursor: process {zombie} has exited: its mount table is no longer there to watch\n")


def test_a_missing_process_is_still_a_bad_argument() -> None:
    result = CliRunner().invoke(main, ["watch", "-N", "999999999", "-w", "100"])
    assert (result.exit_code, result.stderr) == (2, "mountcursor: process 999999999 does not exist (or has exited)\n")


def test_another_namespace_reusing_an_id_and_device_is_umount_and_mount() -> None:
    # was: "move /tmp/b from /tmp/a" for -N: only our own namespace was read with listmount
    needs_sandbox()
    from mountcursor.verify.sandbox import Sandbox

    with Sandbox(n=0) as sb, watch(sb.pid, source="poll", timeout=30, min_interval=0) as w:
        a = sb.mount_tmpfs(b"a")
        assert [(ev.action, ev.entry.target) for ev in next(w).events] == [("mount", sb.path(b"a"))]
        sb.umount(b"a")
        b = sb.mount_tmpfs(b"b")
        if (a.mnt_id, a.major, a.minor) != (b.mnt_id, b.major, b.minor):
            pytest.skip("the kernel did not hand the freed mount id and device to the next mount")
        assert [(ev.action, ev.entry.target) for ev in next(w).events] == [
            ("umount", sb.path(b"a")), ("mount", sb.path(b"b"))]


def test_listmount_reads_another_namespace_as_its_mountinfo_says() -> None:
    needs_sandbox()
    from mountcursor.live.reader import snapshot
    from mountcursor.verify.sandbox import Sandbox

    with Sandbox(n=2) as sb:
        by_info = snapshot(sb.pid, method="mountinfo").table
        by_list = snapshot(sb.pid, method="listmount").table
    assert all(e.unique_id is not None for e in by_list)
    def rows(table):
        return sorted((e.mnt_id, e.parent_id, e.target, e.root, e.fstype, e.major, e.minor) for e in table)

    assert rows(by_list) == rows(by_info) and len(by_info) > 2


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(timeout=st.none() | st.floats(0, 50), interval=st.floats(0, 1e12) | st.sampled_from([0.0, 0.1, 7.5, 1e10]))
def test_any_timeout_and_interval_both_hold(monkeypatch_module, timeout, interval) -> None:
    """Reads at least ``interval`` apart, the end at the timeout (or the cancel, after 40
    ticks), no sleep longer than a tick: for any pair (was: the interval won)."""
    w, clock, reads = driven(monkeypatch_module, real_reads=False, timeout=timeout, min_interval=interval)
    start = clock.now
    sleep = w._sleep

    def sleep_then_cancel(seconds: float) -> bool:
        sleep(seconds)
        if clock.now - start >= 40 * watch_module._TICK and timeout is None:
            w.cancel()
        return False

    w._sleep = sleep_then_cancel
    read = w.read

    def read_then_cancel():
        if clock.now - start >= 40 * watch_module._TICK and timeout is None:
            w.cancel()
        return read()

    w.read = read_then_cancel
    assert list(w) == []
    assert reads[:1] == ([start] if timeout is None or start + timeout > start else [])  # the first at once
    assert all(b - a >= interval - 1e-6 for a, b in zip(reads, reads[1:]))
    assert max(clock.sleeps, default=0) <= watch_module._TICK + 1e-9
    if timeout is not None:  # a read begun before the end may finish after it (0.01)
        assert clock.now <= start + timeout + 0.01 + 1e-6 and all(r < start + timeout for r in reads)
