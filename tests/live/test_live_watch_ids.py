"""The poll source read by unique ids (issue 18, item 3), in a sandbox: a wake-up costs
what its changes are, and still reports what a full re-read reports.

A sandbox's table is small, and a small table is read in full at every wake-up; these
tests set the cost of the source's last full read (``_PollSource.cost``, CPU seconds)
to make it read by ids, as it does a large table, and drive the watch's clock
(``watcher._clock`` and ``Watch._wait``): no test sleeps.
"""

from __future__ import annotations

import importlib
import select
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mountcursor.live.reader import snapshot
from mountcursor.live.tablediff import MountEvent, diff
from mountcursor.live.watcher import VERIFY_FACTOR, _PollSource, watch
from mountcursor.verify.sandbox import Sandbox

from .conftest import needs_sandbox

watcher = importlib.import_module("mountcursor.live.watcher")

MS_REMOUNT, MS_RDONLY = 32, 1


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def sb():
    needs_sandbox()
    with Sandbox(n=3) as box:
        yield box


def _full(box: Sandbox):
    return snapshot(box.pid, method="listmount", consistency="strict").table


def _key(ev: MountEvent) -> tuple[object, ...]:
    return (ev.action, ev.old, ev.new)


class Clock:
    """The watch's clock: it moves only when the watch waits (``Watch._wait``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _by_ids(w, cost: float, monkeypatch) -> _PollSource:
    """The watch's source, as if its full reads took ``cost`` CPU seconds each (the
    CPU clock they are measured with moves ``cost`` a look)."""
    impl = w._source()
    assert isinstance(impl, _PollSource) and impl.by_ids
    impl.cost = impl.read_cost = cost
    ticks = iter(range(1 << 62))
    monkeypatch.setattr(watcher, "_cpu", lambda: next(ticks) * cost)
    return impl


def _driven(monkeypatch, box: Sandbox, cost: float):
    """A poll watch of ``box`` on a :class:`Clock` that a wait moves forward (the
    kernel's report is still polled, without waiting), read by ids."""
    clock = Clock()
    monkeypatch.setattr(watcher, "_clock", clock)
    w = watch(box.pid, source="poll", min_interval=0, timeout=10_000)
    real_wait = w._wait

    def wait(seconds: float):
        ready, exited = real_wait(0)
        if not ready:
            clock.now += seconds
        return ready, exited

    w._wait = wait
    w._sleep = lambda seconds: clock.__setattr__("now", clock.now + seconds) or False
    return w, _by_ids(w, cost, monkeypatch), clock


# ---- what ids can show: the same events as a full diff ----------------------------------

OPS = st.lists(st.tuples(st.sampled_from(["mount", "nest", "umount", "lazy", "bind"]), st.integers(0, 50)),
               min_size=1, max_size=12)


_EXAMPLES = [0]


def _apply(box: Sandbox, top: bytes, live: list[bytes], op: str, pick: int, serial: list[int]) -> None:
    serial[0] += 1
    if op in ("mount", "nest", "bind") or not live:
        parent = live[pick % len(live)] if op == "nest" and live else top
        path = parent + b"/n%d" % serial[0]
        if op == "bind" and live:
            box.bind(live[pick % len(live)], path)
        else:
            box.mount_tmpfs(path)
        live.append(path)
        return
    victim = live[pick % len(live)]
    try:
        box.umount(victim, lazy=op == "lazy")
    except OSError:  # busy: it has submounts
        return
    live[:] = [p for p in live if p != victim and not p.startswith(victim + b"/")]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(batches=st.lists(OPS, min_size=1, max_size=4))
def test_the_ids_diff_is_the_full_diff(sb, monkeypatch_module, batches) -> None:
    """Random mounts, nested mounts, binds, umounts and lazy umounts of subtrees, a
    batch a wake-up: the events read by ids are exactly, in order, those of a diff of
    full tables taken before and after."""
    live: list[bytes] = []
    serial = [0]
    _EXAMPLES[0] += 1
    top = b"prop%d" % _EXAMPLES[0]
    sb.mkdir(top)
    with watch(sb.pid, source="poll", min_interval=0) as w:
        impl = _by_ids(w, 1e9, monkeypatch_module)  # never a full read
        for ops in batches:
            before = _full(sb)
            for op, pick in ops:
                _apply(sb, top, live, op, pick, serial)
            after = _full(sb)
            batch = w.read()
            got = [] if batch is None else list(batch.events)
            assert [_key(e) for e in got] == [_key(e) for e in diff(before, after)]
            assert list(impl.cache.values()) == list(after.entries)
    for path in live:
        try:
            sb.umount(path, lazy=True)
        except OSError:  # gone with a parent detached before it
            pass


# ---- what ids cannot show -----------------------------------------------------------


def test_a_lone_remount_is_a_full_read_when_the_last_is_long_past(sb, monkeypatch) -> None:
    sb.mount_tmpfs(b"rm1")
    w, impl, clock = _driven(monkeypatch, sb, cost=1.0)
    with w:
        clock.now += VERIFY_FACTOR * 1.0  # the last full read ended long enough ago
        sb.call("mount", None, sb.path(b"rm1"), None, MS_REMOUNT | MS_RDONLY, None, False)
        start = clock.now
        batch = next(w)
        assert [(e.action, e.entry.target, e.old.vfs_options, e.new.vfs_options) for e in batch.events] == [
            ("remount", sb.path(b"rm1"), b"rw,relatime", b"ro,relatime")]
        assert clock.now == start and impl.due() is None
    sb.umount(b"rm1")


def test_a_remount_soon_after_a_full_read_waits_for_its_turn(sb, monkeypatch) -> None:
    """The ids do not change: the full read it owes comes VERIFY_FACTOR times the last
    one's cost after that one, without another wake-up."""
    sb.mount_tmpfs(b"rm2")
    w, impl, clock = _driven(monkeypatch, sb, cost=0.5)
    with w:
        start = clock.now
        sb.call("mount", None, sb.path(b"rm2"), None, MS_REMOUNT | MS_RDONLY, None, False)
        batch = next(w)
        assert [(e.action, e.entry.target) for e in batch.events] == [("remount", sb.path(b"rm2"))]
        assert clock.now == pytest.approx(start + VERIFY_FACTOR * 0.5, abs=watcher._TICK)
        assert clock.now >= start + VERIFY_FACTOR * 0.5
    sb.umount(b"rm2")


def test_a_remount_hidden_behind_a_mount_comes_with_the_owed_read(sb, monkeypatch) -> None:
    sb.mount_tmpfs(b"rm3")
    w, impl, clock = _driven(monkeypatch, sb, cost=0.25)
    with w:
        sb.mount_tmpfs(b"rm3new")
        sb.call("mount", None, sb.path(b"rm3"), None, MS_REMOUNT | MS_RDONLY, None, False)
        start = clock.now
        first = next(w)  # the ids: the mount, at once
        assert [(e.action, e.entry.target) for e in first.events] == [("mount", sb.path(b"rm3new"))]
        assert clock.now == start and w.check_in == pytest.approx(VERIFY_FACTOR * 0.25)
        assert first.table.top(sb.path(b"rm3")).vfs_options == b"rw,relatime"  # as it was, until the read
        second = next(w)  # the owed full read
        assert [(e.action, e.entry.target) for e in second.events] == [("remount", sb.path(b"rm3"))]
        assert clock.now >= start + VERIFY_FACTOR * 0.25 and w.check_in is None
        assert second.table.top(sb.path(b"rm3")).vfs_options == b"ro,relatime"
    sb.umount(b"rm3new")
    sb.umount(b"rm3")


def test_a_moved_mount_and_its_submount(sb, monkeypatch) -> None:
    """A move alone: a full read at once, the moved mount and the submount it took
    along, as a re-read reports them.  A move beside a mount: the mount at once, the
    moves with the owed read."""
    sb.mount_tmpfs(b"mv1")
    sb.mount_tmpfs(b"mv1/sub")
    w, impl, clock = _driven(monkeypatch, sb, cost=0.1)
    with w:
        clock.now += VERIFY_FACTOR * 0.1
        before = _full(sb)
        sb.move(b"mv1", b"mv2")
        batch = next(w)
        assert [(e.action, e.old.target, e.new.target) for e in batch.events] == [
            ("move", sb.path(b"mv1"), sb.path(b"mv2")), ("move", sb.path(b"mv1/sub"), sb.path(b"mv2/sub"))]
        assert [_key(e) for e in batch.events] == [_key(e) for e in diff(before, _full(sb))]

        before = _full(sb)
        sb.mount_tmpfs(b"mvnew")
        sb.move(b"mv2", b"mv3")
        after = _full(sb)
        first, second = next(w), next(w)
        assert [(e.action, e.entry.target) for e in first.events] == [("mount", sb.path(b"mvnew"))]
        assert [(e.action, e.entry.target) for e in second.events] == [("move", sb.path(b"mv3")),
                                                                        ("move", sb.path(b"mv3/sub"))]
        assert Counter(_key(e) for e in first.events + second.events) == Counter(_key(e) for e in diff(before, after))
    sb.umount(b"mvnew")
    sb.umount(b"mv3", lazy=True)


def test_a_mount_and_its_umount_inside_one_wake_up_leave_nothing(sb, monkeypatch) -> None:
    w, impl, clock = _driven(monkeypatch, sb, cost=0.05)
    with w:
        clock.now += VERIFY_FACTOR * 0.05
        sb.mount_tmpfs(b"gone")
        sb.umount(b"gone")
        assert w.read() is None  # the ids did not change: a full read, and it found nothing
        assert impl.due() is None


def test_reread_reads_the_whole_table_at_every_wake_up(sb) -> None:
    with watch(sb.pid, source="reread", min_interval=0) as w:
        assert w.source == "reread" and w.check_in is None
        reads = []
        real = w._source()._reread

        def counted():
            reads.append(1)
            return real()

        w._source()._reread = counted
        sb.mount_tmpfs(b"rr")
        assert [(e.action, e.entry.target) for e in w.read().events] == [("mount", sb.path(b"rr"))]
        sb.umount(b"rr")
        assert [(e.action, e.entry.target) for e in w.read().events] == [("umount", sb.path(b"rr"))]
        assert len(reads) == 2


# ---- fanotify: a queue overflow ----------------------------------------------------------


def test_a_fanotify_queue_overflow_is_a_full_read(sb) -> None:
    """The events queued since the last read are lost and one FAN_Q_OVERFLOW comes
    instead (as the kernel does when the queue is full): the table is read again and
    diffed against the cache, so the batch is the diff of the tables before and after,
    and the events that follow are neither lost nor doubled."""
    before = sb.snapshot(method="listmount")
    if sb.watch_open("fanotify") != "fanotify":
        sb.watch_close()
        pytest.skip("fanotify mount events (Linux 6.15+, CAP_SYS_ADMIN) are not available")
    try:
        sb.mount_tmpfs(b"of1")
        sb.mount_tmpfs(b"of1/sub")
        sb.mount_tmpfs(b"of2")
        sb.umount(b"of2")
        sb.umount(sb.base[0].path)
        after = sb.snapshot(method="listmount")
        batch = sb.watch_read(lose_events=True)
        assert [_key(e) for e in batch.events] == [_key(e) for e in diff(before.table, after.table)]
        assert sorted((e.action, e.entry.target) for e in batch.events) == [
            ("mount", sb.path(b"of1")), ("mount", sb.path(b"of1/sub")), ("umount", sb.base[0].path)]
        assert sb.watch_read() is None  # nothing was left to report twice
        sb.umount(b"of1/sub")
        assert [(e.action, e.entry.target) for e in sb.watch_read().events] == [("umount", sb.path(b"of1/sub"))]
    finally:
        sb.watch_close()
        sb.umount(b"of1", lazy=True)
        sb.mount_tmpfs(sb.base[0].path, source=b"sandbox")


def test_check_in_tells_a_callers_loop_when_to_read(sb, monkeypatch) -> None:
    clock = Clock()
    monkeypatch.setattr(watcher, "_clock", clock)
    sb.mount_tmpfs(b"ci0")
    with watch(sb.pid, source="poll", min_interval=0) as w:
        impl = _by_ids(w, 2.0, monkeypatch)
        assert w.check_in is None
        sb.mount_tmpfs(b"ci")
        sb.call("mount", None, sb.path(b"ci0"), None, MS_REMOUNT | MS_RDONLY, None, False)
        poller = select.poll()
        poller.register(w.fileno(), w.poll_events)
        assert poller.poll(0)
        assert [(e.action, e.entry.target) for e in w.read().events] == [("mount", sb.path(b"ci"))]
        assert w.check_in == VERIFY_FACTOR * 2.0 and poller.poll(0) == []
        clock.now += VERIFY_FACTOR * 2.0 - 1
        assert w.read() is None and w.check_in == 1.0
        clock.now += 1
        assert w.check_in == 0.0
        assert [(e.action, e.entry.target) for e in w.read().events] == [("remount", sb.path(b"ci0"))]
        assert w.check_in is None and impl.pending is None
    sb.umount(b"ci")
    sb.umount(b"ci0")


@settings(max_examples=300, deadline=None, database=None)
@given(prev=st.lists(st.integers(1, 300), unique=True).map(sorted), data=st.data())
def test_gone_ids_are_found_by_bisection_or_refused(prev, data) -> None:
    """``_gone`` names exactly the ids the new listing lost, and refuses (``None``) a
    listing that holds an id the last one had not below its end (an older mount
    attached now): then the watch takes the set difference."""
    from bisect import bisect_right

    from mountcursor.live.watcher import _gone

    kept = [u for u in prev if data.draw(st.booleans())]
    middle = data.draw(st.lists(st.integers(1, 300).filter(lambda u: u not in prev), max_size=2, unique=True))
    tail = list(range(301, 301 + data.draw(st.integers(0, 3))))
    ids = sorted(set(kept) | set(middle)) + tail
    cut = bisect_right(ids, prev[-1]) if prev else 0
    got = _gone(prev, ids, cut)
    if any(u < (prev[-1] if prev else 0) for u in middle):
        assert got is None
    else:
        assert got == sorted(set(prev) - set(ids))


def test_a_mount_gone_before_its_statmount_is_never_reported(sb, monkeypatch) -> None:
    """Listed, then gone before statmount(2) could ask (ENOENT): no mount event, and
    when the next listing lacks it, no umount either (was: KeyError)."""
    import errno

    with watch(sb.pid, source="poll", min_interval=0) as w:
        impl = _by_ids(w, 1e9, monkeypatch)
        fleeting = sb.mount_tmpfs(b"fleeting")
        real = watcher.statmount_entry

        def statmount_entry(uid, ns_id=0, lineno=0):
            if uid == fleeting.unique_id:
                raise OSError(errno.ENOENT, "statmount: gone")
            return real(uid, ns_id, lineno)

        monkeypatch.setattr(watcher, "statmount_entry", statmount_entry)
        kept = sb.mount_tmpfs(b"kept")
        assert [(e.action, e.entry.target) for e in w.read().events] == [("mount", sb.path(b"kept"))]
        assert fleeting.unique_id in impl.ids and fleeting.unique_id not in impl.cache
        monkeypatch.setattr(watcher, "statmount_entry", real)
        sb.umount(b"fleeting")
        sb.umount(b"kept")
        assert [(e.action, e.entry.target) for e in w.read().events] == [("umount", sb.path(b"kept"))]
        assert kept.unique_id not in impl.cache and fleeting.unique_id not in impl.ids


def test_the_owed_check_finds_a_propagation_change_by_its_line(sb, monkeypatch) -> None:
    """A propagation change wakes nothing; the check a later mount owes finds it: its
    mountinfo line changed (``shared:N``): only the mounts whose line changed since the
    last check are statmounted, not the table."""
    sb.mount_tmpfs(b"pg")
    w, impl, clock = _driven(monkeypatch, sb, cost=0.1)
    with w:
        asked: list[int] = []
        real = watcher.statmount_entry

        def statmount_entry(uid, ns_id=0, lineno=0):
            asked.append(uid)
            return real(uid, ns_id, lineno)

        monkeypatch.setattr(watcher, "statmount_entry", statmount_entry)
        sb.make(b"pg", "shared")
        new = sb.mount_tmpfs(b"pgnew")
        first = next(w)
        assert [(e.action, e.entry.target) for e in first.events] == [("mount", sb.path(b"pgnew"))]
        assert asked == [new.unique_id]
        second = next(w)
        assert [(e.action, e.entry.target, e.old.shared, e.new.shared is not None) for e in second.events] == [
            ("propagation", sb.path(b"pg"), None, True)]
        # the mounts whose line changed since the last check: pg, and pgnew (new since)
        assert asked == [new.unique_id, sb.stat(b"pg").unique_id, new.unique_id]
    sb.umount(b"pgnew")
    sb.umount(b"pg")
