"""The watch as a library object: eager first table, context manager, fileno, arguments,
a watched process that exits."""

from __future__ import annotations

import dataclasses
import math
import select

import pytest

from mountcursor.live import Watch, watch
from mountcursor.verify.sandbox import Sandbox

from .conftest import needs_sandbox


def _seen(batch) -> list[tuple[str, bytes]]:
    return [(ev.action, ev.entry.target) for ev in batch.events]


def test_a_mount_right_after_watch_returns_is_reported(sandbox):
    """The first table is read inside watch(): a lazy one (read at the first next())
    would already hold the mount and report nothing."""
    with watch(sandbox.pid, timeout=5, min_interval=0) as w:
        assert isinstance(w, Watch) and w.source == "poll"
        sandbox.mount_tmpfs(b"eager")
        batch = next(w)
    assert _seen(batch) == [("mount", sandbox.path(b"eager"))]
    assert batch.table.top(sandbox.path(b"eager")) is not None


def test_fileno_for_a_callers_own_loop(sandbox):
    with watch(sandbox.pid) as w:
        assert w.poll_events == select.POLLPRI
        poller = select.poll()
        poller.register(w.fileno(), w.poll_events)
        assert poller.poll(0) == []
        sandbox.mount_tmpfs(b"fd")
        assert poller.poll(5000)
        assert _seen(w.read()) == [("mount", sandbox.path(b"fd"))]
        assert w.read() is None  # nothing changed since
        sandbox.umount(b"fd")
        assert poller.poll(5000)
        assert _seen(w.read()) == [("umount", sandbox.path(b"fd"))]
    with pytest.raises(ValueError, match="closed"):
        w.fileno()


def test_timeout_ends_the_iteration_and_closes(sandbox):
    w = watch(sandbox.pid, timeout=0.2)
    assert list(w) == []
    with pytest.raises(ValueError, match="closed"):
        w.fileno()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"timeout": -5}, "timeout must be a finite number of seconds >= 0, got -5"),
        ({"timeout": math.nan}, "timeout must be a finite number of seconds >= 0, got nan"),
        ({"min_interval": math.inf}, "min_interval must be a finite number of seconds >= 0, got inf"),
        ({"source": "inotify"}, "source must be 'auto', 'poll', 'reread' or 'fanotify', got 'inotify'"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as info:
        watch(**kwargs)
    assert str(info.value) == message


def test_a_watched_process_that_exits_ends_the_watch():
    needs_sandbox()
    sb = Sandbox(n=0)
    try:
        w = watch(sb.pid, min_interval=0, timeout=10)
    finally:
        sb.close()  # the worker exits
    with pytest.raises(ProcessLookupError, match=f"process {sb.pid} exited"):
        for _batch in w:  # its last umounts may come first
            pass
    with pytest.raises(ValueError, match="closed"):  # and the watch is closed
        w.fileno()


def test_watch_of_a_missing_process():
    with pytest.raises(ProcessLookupError, match="process 999999999 does not exist"):
        watch(999999999)


def test_awatch_reads_its_first_table_before_returning(sandbox):
    import asyncio

    from mountcursor.live import awatch

    async def first_events(it):
        async for batch in it:
            return _seen(batch)
        return []

    it = awatch(sandbox.pid, timeout=5, min_interval=0)
    sandbox.mount_tmpfs(b"aeager")  # before the first iteration
    assert asyncio.run(first_events(it)) == [("mount", sandbox.path(b"aeager"))]


def test_fanotify_queue_overflow_rereads_the_table(monkeypatch):
    """After FAN_Q_OVERFLOW events were lost: the table is read again and diffed."""
    from mountcursor.live import MountTable, syscalls
    from mountcursor.live.watcher import _FanotifySource

    rows = MountTable.from_bytes(b"1 0 0:1 / / rw - ext4 a rw\n2 1 0:2 / /x rw - tmpfs b rw\n"
                                 b"3 1 0:3 / /y rw - tmpfs c rw\n").entries
    entries = [dataclasses.replace(e, unique_id=e.mnt_id + 1000) for e in rows]
    source = object.__new__(_FanotifySource)
    source.known = {e.unique_id: e for e in entries[:2]}
    monkeypatch.setattr(_FanotifySource, "_read_all", staticmethod(lambda: {e.unique_id: e for e in
                                                                            (entries[0], entries[2])}))
    events = source.collect_raw([syscalls.FanotifyEvent(syscalls.FAN_MNT_ATTACH, 1005),
                             syscalls.FanotifyEvent(syscalls.FAN_Q_OVERFLOW, None)])
    assert [(ev.action, ev.entry.target) for ev in events] == [("umount", b"/x"), ("mount", b"/y")]
    assert sorted(source.known) == [1001, 1003]


def test_propagation_changes_do_not_wake_the_watch(sandbox):
    """As the docstrings and --help say: do_change_type does not bump the namespace's
    event counter, so only a later change brings the propagation change in."""
    sandbox.mount_tmpfs(b"pp")
    h = sandbox.open_proc("mountinfo")
    sandbox.make(b"pp", "shared")
    assert sandbox.poll(h, timeout_ms=200) == 0
    sandbox.umount(b"pp")
    assert sandbox.poll(h, timeout_ms=200) & select.POLLPRI
    sandbox.close_proc(h)

    sandbox.mount_tmpfs(b"pq")
    with watch(sandbox.pid, timeout=0.6, min_interval=0) as w:
        sandbox.make(b"pq", "shared")
        assert list(w) == []  # nothing woke it
    with watch(sandbox.pid, timeout=5, min_interval=0) as w:
        sandbox.make(b"pq", "private")
        sandbox.mount_tmpfs(b"pr")
        assert _seen(next(w)) == [("propagation", sandbox.path(b"pq")), ("mount", sandbox.path(b"pr"))]
