"""Watch a mount table change: :func:`watch` -> :class:`Watch`, and :func:`awatch` (async).

    with watch(timeout=10) as w:            # the first table is read here, before watch() returns
        for batch in w:                     # WatchBatch(events, table, source, time, note)
            for event in batch.events:      # MountEvent(action, old, new)
                print(event)
    async for batch in awatch(): ...

    w = watch()                             # with your own event loop:
    poller.register(w.fileno(), w.poll_events)
    ...                                     # when poll reports it:
    batch = w.read()                        # a WatchBatch, or None if nothing changed

Nothing is lost: :func:`watch` opens the file it polls and reads the first table before
it returns, so a change made at any time after ``watch()`` returns is reported, and a
change that lands during a re-read wakes the next one.

Sources (``auto`` is ``poll``: it reports what a full re-read reports, fanotify does not):

* ``"reread"``: ``poll(POLLPRI)`` on an open ``/proc/<pid>/mountinfo``.  The
  kernel reports a change once per wake-up however many mounts changed
  (``mounts_poll`` in fs/proc_namespace.c compares the namespace's ``event`` counter),
  so events are coalesced: after a wake-up the table is re-read once (a
  :func:`~mountcursor.live.reader.snapshot`, at most once per ``min_interval``
  seconds: a mount storm costs at most one read per interval, as systemd's rate limit)
  and diffed against the previous one: each wake-up costs what the table is.
* ``"poll"`` (the default): the same wake-ups and the same events, at the cost of
  the change: the unique mount ids are listed (listmount(2), Linux 6.8+) and compared
  with the cache, new ones statmounted, gone ones are umounts; what ids cannot show
  (remounts, moves) is found by comparing the mountinfo lines with the last ones and
  statmounting the mounts whose line changed, at most 1/20 of the time; in a storm a
  remount or move hidden behind mounts comes in a later batch.  ``_PollSource``
  says change by change what it costs.  Without listmount it is ``reread`` (and
  ``note`` says so when asked for).

  For both, the counter moves on mount, umount, move and remount
  (``touch_mnt_namespace``), **not on propagation changes** (``mount --make-shared``
  ..., ``do_change_type`` does not touch it): those do not wake the watch, and are
  reported (action ``"propagation"``) only when another change wakes it later
  (fs/namespace.c as of Linux 6.18, the kernel these tests run on).
* ``"fanotify"``: fanotify mount events (Linux 6.15+, CAP_SYS_ADMIN, the calling
  thread's namespace only), reported as the kernel reports them: ``FAN_MNT_ATTACH`` is
  a ``"mount"``, ``FAN_MNT_DETACH`` an ``"umount"``, and one mount both detached and
  attached (``move_mount``: one event with both bits, as Linux 6.18 sends it) a
  ``"move"``.  Each event
  carries the mount's 64-bit unique id; the new state is read with statmount(2) and a
  cache answers for detached mounts, which can no longer be asked.  The kernel sends
  nothing for remounts, propagation changes, or the submounts a move takes along (no
  event is made up for them; their paths are refreshed in ``batch.table``).  A mount
  umounted by propagation is reported, since the kernel reports it.  After a queue
  overflow (``FAN_Q_OVERFLOW``) the table is re-read with listmount(2) and diffed, so
  nothing is lost.  Where fanotify is not available the watch uses ``"poll"`` and says
  why in ``note``.  Remounts are not caught by this source (Linux 6.18 has no
  fanotify event for them, and ``mount_setattr`` none either): watch with ``poll``
  for them.

For ``pid`` another process, the watch ends with :class:`ProcessLookupError` when that
process exits (a pidfd is polled beside the table).
"""

from __future__ import annotations

import errno
import math
import os
import select
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import AsyncIterator, Callable, Iterator
from operator import attrgetter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import asyncio

from . import syscalls
from .tablediff import MountEvent, diff
from .entry import MountEntry
from .reader import Consistency, list_mount_ids, open_mountinfo, snapshot, statmount_entry
from .table import MountTable

__all__ = ["WatchBatch", "Watch", "WatchedProcessExited", "watch", "awatch"]

Source = Literal["poll", "reread", "fanotify"]
SourceChoice = Literal["auto", "poll", "reread", "fanotify"]
SOURCES = ("auto", "poll", "reread", "fanotify")
_TICK = 0.25  # seconds: how often a blocked watch looks at its stop event
_clock = time.monotonic  # what timeout and min_interval are measured with (tests set their own)


class WatchBatch:
    """The changes seen at one wake-up.  ``table``: the table after them (for the
    fanotify source, the cache of known mounts; made on first use, so a batch costs
    what its events cost).  ``note``: why a fallback happened."""

    __slots__ = ("events", "source", "time", "note", "_table", "_make")

    def __init__(self, events: tuple[MountEvent, ...],
                 table: MountTable | tuple[MountEntry, ...] | Callable[[], MountTable],
                 source: Source, time: float, note: str = "") -> None:
        self.events = events
        self.source: Source = source
        self.time = time
        self.note = note
        self._table = table if isinstance(table, MountTable) else None
        self._make = table if not isinstance(table, MountTable) else None

    @property
    def table(self) -> MountTable:
        if self._table is None:
            make = self._make
            self._table = MountTable(make) if isinstance(make, tuple) else make()  # type: ignore[misc]
            self._make = None
        return self._table

    def __reduce__(self) -> tuple[Any, ...]:
        return (WatchBatch, (self.events, self.table, self.source, self.time, self.note))

    def __repr__(self) -> str:
        return (f"WatchBatch(events={self.events!r}, source={self.source!r}, time={self.time!r}, "
                f"note={self.note!r})")


class WatchedProcessExited(ProcessLookupError):
    """The watched process (``pid``) has exited: before the watch could read its table
    (a zombie), or while iterating.  A ``pid`` that never existed is a plain
    :class:`ProcessLookupError`."""


def check_seconds(name: str, value: float | None) -> None:
    """A number of seconds as the watch takes it (finite, >= 0, within what a sleep
    takes), else :class:`ValueError` (:class:`TypeError` for no number)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")


def _is_self(pid: int | str) -> bool:
    return pid in ("self", "thread-self") or pid == os.getpid()


VERIFY_FACTOR = 20
"""An owed check (for what unique ids cannot show) waits until this many times the
last check's (or full read's) CPU has passed since the later of its cause and that
one: in a storm checks take at most 1/(1 + VERIFY_FACTOR) of the watch's time."""
CHEAP_READ = 0.02
"""A table whose full read took at most this many seconds of CPU is read in full at
every wake-up (about 1,000 mounts): exactly the events of a re-read, at a cost that
does not matter.  The first read's CPU counts all its passes: a small table that churns
while the watch starts has its retries counted too and goes by ids, which is what it
should (a churning sandbox of 24 mounts, best-effort: 300 wake-ups by ids in 4.7 s of
wall time, 30 full re-reads in 65 s, their retries waiting for a quiet pass)."""
_cpu = time.thread_time  # what a full read's cost is measured with


class _PollSource:
    """``poll(POLLPRI)`` on mountinfo; on each wake-up the unique ids (listmount), or
    the whole table (``by_ids`` False, or no listmount), against the cache.

    What each change costs, with ids (``source="poll"``, listmount, Linux 6.8+; another
    process's namespace by its id, 6.10+):

    * a small table (a full read under ``CHEAP_READ`` of CPU, about 1,000 mounts) is
      read in full at every wake-up: exactly the events of a re-read;
    * otherwise each wake-up lists the ids (listmount(2), 8 bytes a mount, in the
      kernel): the part that grows with the table (about 12 ms of CPU at 100,000
      mounts, 17 ms with the rest of a wake-up, where a full read and diff costs
      1.85 s with listmount + statmount, 0.55 s with mountinfo).  New ids are the tail of the listing (unique ids only grow);
      gone ones are found by bisecting the last listing (``_gone``: a few steps per
      gone id, the rest compared in C).  A mount then costs one statmount(2), an
      umount nothing (the cache has it);
    * a remount, a move, ``mount_setattr``, or a mount and its umount both inside one
      wake-up leave the ids as they were, and neither listmount, statmount nor the
      poll says which mount changed (the namespace's event counter is one number for
      everything).  Such a wake-up owes a check (:meth:`verify`): the mountinfo lines
      are read (the kernel prints the whole table, about a third of a full read's
      CPU) and compared as bytes with the last ones; only the mounts of the lines that
      changed are statmounted and diffed.  The check is made at once if the last one
      (or full read) ended ``VERIFY_FACTOR`` times its cost ago, else when that time
      comes (:meth:`due`; the watch wakes for it without a poll report);
    * a remount or move in the same wake-up as a mount or umount hides behind the
      ids: the wake-up is reported from the ids, and it owes the check, made
      ``VERIFY_FACTOR`` times the last one's cost after the later of the two (about
      4 s at 100,000 mounts, where a check costs 0.2 s).  Until then ``batch.table`` holds the mount as it was,
      and a mount moved and then unmounted before the check is reported as an umount
      at its old place, its move not at all (as two changes inside one wake-up of a
      re-read are);
    * propagation changes do not wake the watch (see the module docstring): the next
      check or full read reports them.
    """

    events = select.POLLPRI

    def __init__(self, pid: int | str, consistency: Consistency, by_ids: bool = True,
                 clock: Any = None) -> None:
        self.pid = pid
        self.consistency: Consistency = consistency
        self.clock = clock if clock is not None else _clock
        self.fd, _path = open_mountinfo(pid)  # first: a change after this wakes the poll
        # The table is read with listmount when the kernel has it (6.8+; another
        # process's namespace by its id, 6.10+): its 64-bit unique ids tell "umount A,
        # mount B" apart even when B gets A's mnt_id and A's anonymous device, both
        # handed out lowest-free (a diff of mountinfo tables would call that a move).
        self.read_as: dict[str, Any] = {"method": "listmount", "pid": "self" if _is_self(pid) else pid}
        self.cost = 0.0  # CPU seconds of the last check of the lines (or full read without ids)
        self.read_cost = 0.0  # CPU seconds of the last full read
        self.done = -math.inf  # when it ended
        self.pending: float | None = None  # since when a change the ids cannot show may be unreported
        self.unexplained = False  # a wake-up the ids did not explain: the owed read is due at once
        self.by_ids = by_ids
        try:
            try:
                self.ns_id = 0 if _is_self(pid) else syscalls.mnt_ns_id(pid)
                table = self._reread()
            except OSError:
                self.read_as = {"pid": pid}
                self.by_ids = False
                table = self._reread()
        except BaseException:
            os.close(self.fd)
            raise
        self.name: Source = "poll" if self.by_ids else "reread"
        self._take(table)

    # ---- the cache ------------------------------------------------------------------
    # ``cache``: unique id -> entry, of every mount known; ``known``: its keys as a set;
    # ``ids``: the last listing.  The batch tables are made from ``base`` (the entries
    # at the last full read, ascending unique ids) less ``removed`` plus ``added``:
    # a batch copies only what changed since (re-based when that grows).

    def _take(self, table: MountTable) -> None:
        self.table: MountTable | None = table
        self.cache: dict[int, MountEntry] = {}
        if self.by_ids:  # a listmount table: every entry has its unique id
            self.cache = {e.unique_id: e for e in table.entries if e.unique_id is not None}
        self.known = set(self.cache)
        self.ids = list(self.cache)
        self._rebase(table.entries)
        self.pending, self.unexplained = None, False

    def _rebase(self, entries: tuple[MountEntry, ...]) -> None:
        self.base = entries
        self.removed: set[int] = set()
        self.added: dict[int, MountEntry] = {}

    def _put(self, uid: int, entry: MountEntry | None) -> None:
        """``entry`` is now the mount ``uid`` (``None``: gone)."""
        if entry is None:
            del self.cache[uid]
            self.known.discard(uid)
        else:
            self.cache[uid] = entry
            self.known.add(uid)
        if self.added.pop(uid, None) is None or entry is not None:
            self.removed.add(uid)
        if entry is not None:
            self.added[uid] = entry
        self.table = None

    def _entries(self) -> tuple[MountEntry, ...]:
        removed, added = self.removed, self.added
        kept = [e for e in self.base if e.unique_id not in removed]
        return tuple(sorted(kept + list(added.values()), key=_UNIQUE)) if added else tuple(kept)

    def current(self) -> MountTable:
        if self.table is None:
            self.table = MountTable(self._entries())
            self._rebase(self.table.entries)
        return self.table

    def batch_table(self) -> MountTable | Callable[[], MountTable]:
        """The table for a batch, without building it: what it takes to build it."""
        if self.table is not None:
            return self.table
        if len(self.removed) + len(self.added) > len(self.base) // 8 + 64:
            return self.current()  # re-based: what a batch copies stays small
        base, removed, added = self.base, frozenset(self.removed), tuple(self.added.values())
        return lambda: MountTable(sorted([e for e in base if e.unique_id not in removed] + list(added),
                                         key=_UNIQUE))

    # ---- reading --------------------------------------------------------------------
    def _reread(self) -> MountTable:
        """The whole table (and, read first, the mountinfo lines the next check of the
        lines compares with: a change between the two is then seen again, never missed)."""
        start = _cpu()
        if self.by_ids:
            self.lines = self._lines()
        lines_read = _cpu()
        table = snapshot(consistency=self.consistency, **self.read_as).table
        end = _cpu()
        self.read_cost = end - start
        self.cost = lines_read - start if self.by_ids else self.read_cost  # what a check will cost
        self.done = self.clock()
        return table

    def _lines(self) -> set[bytes]:
        data = snapshot(self.pid, method="mountinfo", consistency="single-pass").data or b""
        return set(data.split(b"\n"))

    def due(self) -> float | None:
        """When (on the clock) the check owed for a change the ids cannot show is due;
        ``None`` if none is owed."""
        if self.pending is None:
            return None
        since = self.done if self.unexplained else max(self.pending, self.done)
        return since + VERIFY_FACTOR * self.cost

    def collect(self, woke: bool = True) -> list[MountEvent]:
        """The changes since the last call.  ``woke``: the caller's poll reported a
        change (a poll takes the report, so this one cannot see it again); False when
        the caller comes only because :meth:`due` came."""
        woke = bool(syscalls.poll_fd(self.fd, select.POLLPRI, 0) & select.POLLPRI) or woke  # take the report
        due = self.due()
        now = self.clock()
        if due is not None and due <= now:
            return self.verify()
        if not woke:
            return []
        if not self.by_ids or self.read_cost <= CHEAP_READ:
            return self.reread()  # exactly what a full re-read reports
        return self._by_ids(now)

    def reread(self) -> list[MountEvent]:
        """A full read, diffed against the cache (what every wake-up costs without ids)."""
        table = self._reread()
        events = diff(self.current(), table)
        self._take(table)
        return events

    def verify(self) -> list[MountEvent]:
        """What the ids cannot show: a full read without ids; with them, the ids and
        then the mountinfo lines against the last ones: the mounts of the lines that
        changed are statmounted and diffed (the kernel reads the table, this process
        handles only what changed)."""
        if not self.by_ids:
            return self.reread()
        start = _cpu()
        lines = self._lines()  # first: a change after this is seen by the next check
        umounts, mounts = self._id_changes()
        changed = lines - self.lines
        self.lines = lines
        fresh = {ev.new.unique_id for ev in mounts if ev.new is not None}
        by_mnt_id = {e.mnt_id: uid for uid, e in self.cache.items()} if changed else {}
        suspects = sorted({by_mnt_id[m] for m in map(_mnt_id_of, changed) if m in by_mnt_id} - fresh)
        old: list[MountEntry] = []
        new: list[MountEntry] = []
        for uid in suspects:
            try:
                entry = statmount_entry(uid, self.ns_id)
            except OSError as err:
                if err.errno != errno.ENOENT:
                    raise
                continue  # gone since the listing: its wake-up is pending
            if entry != self.cache[uid]:
                old.append(self.cache[uid])
                new.append(entry)
                self._put(uid, entry)
        self.cost = _cpu() - start
        self.done = self.clock()
        self.pending, self.unexplained = None, False
        return umounts + diff(MountTable(old), MountTable(new)) + mounts

    def _by_ids(self, now: float) -> list[MountEvent]:
        umounts, mounts = self._id_changes()
        if not umounts and not mounts:  # a remount, a move, or a mount and umount in one wake-up
            self.unexplained = True
            self.pending = now if self.pending is None else self.pending
            due = self.due()
            return self.verify() if due is not None and due <= now else []
        if self.pending is None:
            self.pending = now
        return umounts + mounts

    def _id_changes(self) -> tuple[list[MountEvent], list[MountEvent]]:
        """The umounts and mounts the ids show since the last listing (the cache updated)."""
        ids, _calls = list_mount_ids(self.ns_id)
        prev, known = self.ids, self.known
        self.ids = ids
        if ids == prev:
            return [], []
        cut = bisect_right(ids, prev[-1]) if prev else 0
        new = ids[cut:]  # unique ids only grow: new mounts are the tail
        gone = _gone(prev, ids, cut)
        if gone is None:  # an older mount attached now (open_tree, then move_mount)
            gone = sorted(known.difference(ids))
            new = [u for u in ids if u not in known]
        umounts = []
        for uid in gone:
            if uid in known:  # else listed once, gone before its statmount: never reported
                umounts.append(MountEvent("umount", self.cache[uid], None))
                self._put(uid, None)
        mounts = []
        for uid in new:
            try:
                entry = statmount_entry(uid, self.ns_id)
            except OSError as err:
                if err.errno != errno.ENOENT:
                    raise
                continue  # mounted and gone again since the listing: its wake-up is pending
            self._put(uid, entry)
            mounts.append(MountEvent("mount", None, entry))
        return umounts, mounts


def _gone(prev: list[int], ids: list[int], cut: int) -> list[int] | None:
    """The ids of ``prev`` (the last listing, ascending) that ``ids[:cut]`` no longer
    has, if ``ids[:cut]`` is exactly ``prev`` without them; ``None`` if it holds an id
    ``prev`` had not.  A few bisections per gone id and a C-level compare of the rest:
    no Python step per mount."""
    if ids[:cut] == prev:
        return []
    spots: list[int] = []

    def look(a: int, b: int) -> None:  # the gone positions in prev[a:b]
        lo = bisect_left(ids, prev[a], 0, cut)
        hi = bisect_right(ids, prev[b - 1], 0, cut)
        if hi - lo == b - a:
            return  # all there (or as many new as gone: the compare below sees that)
        if hi == lo:
            spots.extend(range(a, b))
            return
        mid = (a + b) // 2
        look(a, mid)
        look(mid, b)

    look(0, len(prev))
    if len(prev) - len(spots) != cut:
        return None
    start = 0
    for shift, spot in enumerate([*spots, len(prev)]):
        if prev[start:spot] != ids[start - shift:spot - shift]:
            return None
        start = spot + 1
    return [prev[spot] for spot in spots]


def _mnt_id_of(line: bytes) -> int:
    """The mount id of a mountinfo line (-1 for the empty one after the last)."""
    head = line.split(b" ", 1)[0]
    return int(head) if head.isdigit() else -1


_UNIQUE = attrgetter("unique_id")


class _FanotifySource:
    """fanotify mount events of the calling thread's namespace (see the module docstring)."""

    name: Source = "fanotify"
    events = select.POLLIN

    def __init__(self, pid: int | str) -> None:
        if not _is_self(pid):
            raise OSError(errno.EINVAL, "fanotify mount events are used for the calling thread only")
        ns_fd = os.open("/proc/thread-self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.fd = syscalls.fanotify_init()
            try:
                syscalls.fanotify_mark(self.fd, ns_fd)  # first: a change after this is queued
                self.known = self._read_all()
            except BaseException:
                os.close(self.fd)
                raise
        finally:
            os.close(ns_fd)

    @staticmethod
    def _read_all() -> dict[int, MountEntry]:
        table = snapshot(method="listmount", consistency="best-effort").table
        return {e.unique_id: e for e in table.entries if e.unique_id is not None}

    def current(self) -> MountTable:
        return MountTable(self.known.values())

    def batch_table(self) -> tuple[MountEntry, ...]:
        return tuple(self.known.values())

    def due(self) -> float | None:
        return None  # every change this source reports comes as an event

    def collect(self, woke: bool = True) -> list[MountEvent]:
        raw = b""
        while syscalls.poll_fd(self.fd, select.POLLIN, 0):
            raw += os.read(self.fd, 65536)
        return self.collect_raw(syscalls.parse_fanotify_events(raw))

    def collect_raw(self, raw_events: list[syscalls.FanotifyEvent]) -> list[MountEvent]:
        """The events of decoded fanotify records (after ``FAN_Q_OVERFLOW``: a full
        read and diff against the cache, as events were lost)."""
        if any(ev.mask & syscalls.FAN_Q_OVERFLOW for ev in raw_events):
            before = self.current()
            self.known = self._read_all()
            return diff(before, self.current())
        detached: dict[int, MountEntry] = {}
        out: list[MountEvent] = []
        for ev in raw_events:
            uid = ev.unique_id
            if uid is None:
                continue
            if ev.mask & syscalls.FAN_MNT_DETACH:
                old = self.known.pop(uid, None)
                if old is not None:  # else: made and gone before the first table was read
                    detached[uid] = old
                    out.append(MountEvent("umount", old, None))
            if ev.mask & syscalls.FAN_MNT_ATTACH:
                try:
                    new = statmount_entry(uid)
                except OSError:
                    continue  # attached and gone again before we asked: the detach follows
                known = self.known.get(uid)
                self.known[uid] = new
                moved_from = detached.pop(uid, None)
                if moved_from is not None:  # detach + attach of one mount: a move
                    out = [e for e in out if not (e.action == "umount" and e.old is moved_from)]
                    out.append(MountEvent("move", moved_from, new))
                    self._refresh_below(moved_from.target)
                elif known is None:  # else: already in the first table
                    out.append(MountEvent("mount", None, new))
        return out

    def _refresh_below(self, old_target: bytes) -> None:
        """A move takes its submounts along, and the kernel names only the moved mount:
        read their new paths, without making up events for them."""
        prefix = old_target.rstrip(b"/") + b"/"
        for uid, old in list(self.known.items()):
            if old.target.startswith(prefix):
                try:
                    self.known[uid] = statmount_entry(uid)
                except OSError:
                    pass  # gone: its detach event follows


class Watch:
    """A running watch: an iterator of :class:`WatchBatch`, a context manager, and a file
    descriptor for callers with their own event loop (see the module docstring).

    The first table is read in the constructor.  Iteration blocks until a change,
    ``timeout`` (then it ends), ``stop`` being set, or :meth:`cancel`; it closes the
    watch when it ends.  ``source`` is the source in use (``"poll"`` after a fallback,
    with the reason in ``note``).
    """

    def __init__(
        self,
        pid: int | str = "self",
        *,
        source: SourceChoice = "auto",
        min_interval: float = 0.1,
        timeout: float | None = None,
        consistency: Consistency = "best-effort",
        stop: threading.Event | None = None,
    ) -> None:
        if source not in SOURCES:
            choices = ", ".join(map(repr, SOURCES[:-1])) + f" or {SOURCES[-1]!r}"
            raise ValueError(f"source must be {choices}, got {source!r}")
        check_seconds("timeout", timeout)
        check_seconds("min_interval", min_interval)
        self.pid = pid
        self.min_interval = min_interval
        self.note = ""
        self._stop = stop
        self._cancel = threading.Event()
        # the clock and the sleep behind timeout and min_interval (tests drive their own)
        self._clock = _clock
        self._sleep = self._cancel.wait
        self._end = None if timeout is None else self._clock() + timeout
        self._last = -math.inf  # no read yet: the first is not held back
        self._closed = False
        self._exited = False  # the watched process exited: the next __next__ raises
        self._woke = True  # read() comes after a poll that reported a change
        self._impl: _PollSource | _FanotifySource | None = None
        self._pidfd: int | None = None
        if source == "fanotify":
            try:
                self._impl = _FanotifySource(pid)
            except OSError as err:
                self.note = f"fanotify mount events unavailable ({err.strerror or err}); watching with poll"
        if not _is_self(pid):  # first: a process that exits from now on is noticed
            try:
                self._pidfd = os.pidfd_open(int(pid))
            except ProcessLookupError:
                raise ProcessLookupError(errno.ESRCH, f"process {pid} does not exist (or has exited)") from None
        if self._impl is None:
            try:
                self._impl = _PollSource(pid, consistency, by_ids=source != "reread")
                if source == "poll" and self._impl.name != "poll":
                    self.note = "listmount(2) is unavailable here: the table is read in full at each wake-up"
            except OSError as err:
                exited = self._pidfd is not None and bool(syscalls.poll_fd(self._pidfd, select.POLLIN, 0))
                self._pidfd_close()
                if exited:  # a zombie: its namespace is gone, reading says EINVAL
                    raise WatchedProcessExited(errno.ESRCH, f"process {pid} has exited: its mount table is "
                                               "no longer there to watch") from None
                raise err from None

    # ---- state ----------------------------------------------------------------------
    @property
    def source(self) -> Source:
        return self._source().name

    @property
    def poll_events(self) -> int:
        """What to wait for on :meth:`fileno`: ``POLLPRI`` for mountinfo (which is always
        readable, so not ``POLLIN``), ``POLLIN`` for fanotify."""
        return self._source().events

    @property
    def table(self) -> MountTable:
        """The table as of the last batch (the first table before any)."""
        return self._source().current()

    def fileno(self) -> int:
        """The descriptor to poll for :attr:`poll_events`; then call :meth:`read`."""
        return self._source().fd

    @property
    def check_in(self) -> float | None:
        """Seconds until the full read owed for a change unique ids cannot show is due
        (0 if it is), ``None`` if none is owed (``poll`` source only): a caller with
        its own loop polls :meth:`fileno` at most this long, then calls :meth:`read`."""
        due = self._source().due()
        return None if due is None else max(0.0, due - self._clock())

    def _source(self) -> _PollSource | _FanotifySource:
        if self._impl is None or self._closed:
            raise ValueError("the watch is closed")
        return self._impl

    # ---- reading --------------------------------------------------------------------
    def read(self) -> WatchBatch | None:
        """Take in the changes now, without waiting (for a caller whose poll reported
        :attr:`poll_events` on :meth:`fileno`, or when :attr:`check_in` came): a
        batch, or ``None`` if nothing changed."""
        impl = self._source()
        events = impl.collect(self._woke)
        self._woke = True  # a caller's own loop calls read() when its poll reported
        if not events:
            return None
        return WatchBatch(tuple(events), impl.batch_table(), impl.name, time.time(), self.note)

    def __iter__(self) -> Watch:
        return self

    def __next__(self) -> WatchBatch:
        if self._exited:
            self.close()
            raise WatchedProcessExited(errno.ESRCH, f"process {self.pid} exited: its mount table is no longer watched")
        while not self._ending():
            now = self._clock()
            left = _TICK if self._end is None else min(_TICK, self._end - now)
            if left <= 0:
                break
            due = self._source().due()  # a full read owed for what the ids cannot show
            if due is not None:
                left = max(0.0, min(left, due - now))
            ready, exited = self._wait(left)
            if exited:
                self._exited = True
                batch = self._final_batch(ready)
                if batch is not None:
                    return batch
                return self.__next__()  # raises
            if not ready and (due is None or self._clock() < due):
                continue
            # at most one read per min_interval, but never past the timeout: both hold
            if not self._pause_until(self._last + self.min_interval):
                break
            self._last = self._clock()
            self._woke = ready  # else only the owed full read is due
            batch = self.read()
            if batch is not None:
                return batch
        self.close()
        raise StopIteration

    def _ending(self) -> bool:
        return self._closed or self._cancel.is_set() or (self._stop is not None and self._stop.is_set())

    def _pause_until(self, when: float) -> bool:
        """Wait until ``when`` on :attr:`_clock`, a tick at a time (``stop`` and
        :meth:`cancel` are seen within one; an interval of any length sleeps no more
        than a tick at once).  False if the timeout or an end comes first."""
        while True:
            now = self._clock()
            if self._end is not None and now >= self._end:
                return False
            if now >= when or self._ending():
                return not self._ending()
            until = when if self._end is None else min(when, self._end)
            self._sleep(min(_TICK, until - now))

    def _wait(self, seconds: float) -> tuple[bool, bool]:
        impl = self._source()
        poller = select.poll()
        poller.register(impl.fd, impl.events)
        if self._pidfd is not None:
            poller.register(self._pidfd, select.POLLIN)
        ready = exited = False
        for fd, _revents in poller.poll(int(seconds * 1000) + 1):
            if fd == self._pidfd:
                exited = True
            else:
                ready = True
        return ready, exited

    def _final_batch(self, ready: bool) -> WatchBatch | None:
        """The process is gone: report a last change if its table can still be read."""
        self._pidfd_close()
        if not ready:
            return None
        try:
            return self.read()
        except OSError:
            return None

    # ---- ending ---------------------------------------------------------------------
    def cancel(self) -> None:
        """End the iteration from another thread (within a quarter of a second)."""
        self._cancel.set()

    def _pidfd_close(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def close(self) -> None:
        """Close the descriptors (idempotent).  Do not call it while another thread
        iterates: use :meth:`cancel` there."""
        if self._closed:
            return
        self._closed = True
        self._pidfd_close()
        if self._impl is not None:
            os.close(self._impl.fd)

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_closed", True) is False:
            self.close()


def watch(
    pid: int | str = "self",
    *,
    source: SourceChoice = "auto",
    min_interval: float = 0.1,
    timeout: float | None = None,
    consistency: Consistency = "best-effort",
    stop: threading.Event | None = None,
) -> Watch:
    """Start watching the mount table of ``pid`` and return the :class:`Watch`.

    The first table is read before this returns.  Iterating yields a
    :class:`WatchBatch` for each wake-up that changed something.  ``timeout``: seconds
    after which iteration ends (``None``: never).  ``stop``: an event that ends it from
    another thread.  ``min_interval``: at most one re-read per that many seconds.
    ``source``: ``poll``, ``reread`` or ``fanotify`` (see the module docstring);
    ``auto`` is ``poll``.  Propagation changes do not wake a watch (see the module
    docstring).  Raises :class:`ValueError` for a negative or non-finite ``timeout`` or
    ``min_interval``, :class:`ProcessLookupError` if ``pid`` does not exist or (while
    iterating) exits.
    """
    return Watch(pid, source=source, min_interval=min_interval, timeout=timeout, consistency=consistency, stop=stop)


def awatch(
    pid: int | str = "self",
    *,
    source: SourceChoice = "auto",
    min_interval: float = 0.1,
    timeout: float | None = None,
    consistency: Consistency = "best-effort",
) -> AsyncIterator[WatchBatch]:
    """:func:`watch` as an async iterator.  The first table is read before this returns
    (so no change after the call is lost); the blocking poll then runs in a thread, and
    leaving the ``async for`` stops it within a quarter of a second."""
    w = Watch(pid, source=source, min_interval=min_interval, timeout=timeout, consistency=consistency)
    return _pump(w)


async def _pump(w: Watch) -> AsyncIterator[WatchBatch]:
    import asyncio  # here: a synchronous caller (the CLI) need not load it

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    done = object()

    def post(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            w.cancel()

    def run() -> None:
        try:
            for batch in w:
                post(batch)
        except BaseException as err:  # noqa: BLE001 -- handed to the consumer
            post(err)
        finally:
            post(done)

    thread = threading.Thread(target=run, name="mountcursor-awatch", daemon=True)
    thread.start()
    try:
        while True:
            item = await queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, WatchBatch)
            yield item
    finally:
        w.cancel()
        thread.join(2 * _TICK + 1)
        if not thread.is_alive():
            w.close()
