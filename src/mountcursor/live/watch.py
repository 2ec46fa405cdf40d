"""Watch a mount table change: :func:`watch` (generator) and :func:`awatch` (async).

    for batch in watch(timeout=10):         # WatchBatch(events, table, source, ...)
        for event in batch.events:          # MountEvent(action, old, new)
            print(event)
    async for batch in awatch(): ...

Sources:

* ``"poll"`` (the default): ``poll(POLLPRI)`` on an open ``/proc/<pid>/mountinfo``.  The
  kernel reports a change once per wake-up however many mounts changed, so events are
  coalesced: after a wake-up the table is re-read once (a :func:`snapshot`, at most
  once per ``min_interval`` seconds: a mount storm costs at most one read per
  interval, as systemd's rate limit) and diffed against the previous one.  Sees
  mounts, umounts, moves, remounts and propagation changes.
* ``"fanotify"``: fanotify mount events (``FAN_MNT_ATTACH``/``FAN_MNT_DETACH`` on the
  mount namespace, Linux 6.15+, CAP_SYS_ADMIN, the calling thread's namespace only):
  per-mount events carrying the 64-bit unique id, no re-reading of the table
  (statmount per attached mount; a cache answers for detached ones, which can no
  longer be asked).  Does not see remounts or propagation changes.  Where it is not
  available the watch falls back to ``"poll"`` and says why in ``batch.note``.

No events are lost between batches: a change after the re-read wakes the next one.
"""

from __future__ import annotations

import errno
import os
import select
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Literal

from . import syscalls
from .diff import MountEvent, diff
from .reader import Consistency, open_mountinfo, snapshot, statmount_entry
from .table import MountTable

__all__ = ["WatchBatch", "watch", "awatch"]

Source = Literal["poll", "fanotify"]
_TICK = 0.25  # seconds: how often a blocked watch looks at its stop event


@dataclass(frozen=True)
class WatchBatch:
    """The changes seen at one wake-up.  ``table``: the table after them (for the
    fanotify source, the cache of known mounts).  ``note``: why a fallback happened."""

    events: tuple[MountEvent, ...]
    table: MountTable
    source: Source
    time: float
    note: str = ""


def watch(
    pid: int | str = "self",
    *,
    source: Literal["auto", "poll", "fanotify"] = "auto",
    min_interval: float = 0.1,
    timeout: float | None = None,
    consistency: Consistency = "best-effort",
    stop: threading.Event | None = None,
) -> Iterator[WatchBatch]:
    """Yield a :class:`WatchBatch` for each wake-up that changed something.

    ``timeout``: stop after that many seconds (``None``: never).  ``stop``: an event
    that ends the watch from another thread.  ``auto`` is ``poll``.
    """
    if source not in ("auto", "poll", "fanotify"):
        raise ValueError(f"source must be 'auto', 'poll' or 'fanotify', got {source!r}")
    end = None if timeout is None else time.monotonic() + timeout
    note = ""
    if source == "fanotify":
        try:
            fan = _FanotifyWatch(pid)
        except OSError as err:
            note = f"fanotify mount events unavailable ({err.strerror or err}); watching with poll"
        else:
            yield from fan.run(end, min_interval, stop)
            return
    yield from _poll_watch(pid, end, min_interval, consistency, stop, note)


def _remaining(end: float | None) -> float:
    return _TICK if end is None else min(_TICK, end - time.monotonic())


def _poll_watch(pid, end, min_interval, consistency, stop, note) -> Iterator[WatchBatch]:
    fd, _path = open_mountinfo(pid)
    try:
        poller = select.poll()
        poller.register(fd, select.POLLPRI)
        previous = snapshot(pid, consistency=consistency).table
        last = 0.0
        while not (stop is not None and stop.is_set()):
            left = _remaining(end)
            if left <= 0:
                return
            if not poller.poll(int(left * 1000) + 1):
                continue
            wait = last + min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            poller.poll(0)  # coalesce: whatever arrived while we waited is in the read below
            last = time.monotonic()
            table = snapshot(pid, consistency=consistency).table
            events = diff(previous, table)
            previous = table
            if events:
                yield WatchBatch(tuple(events), table, "poll", time.time(), note)
    finally:
        os.close(fd)


class _FanotifyWatch:
    def __init__(self, pid: int | str) -> None:
        if pid not in ("self", "thread-self"):
            raise OSError(errno.EINVAL, "fanotify mount events are used for the calling thread only")
        ns_fd = os.open("/proc/thread-self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.fd = syscalls.fanotify_init()
            try:
                syscalls.fanotify_mark(self.fd, ns_fd)
            except OSError:
                os.close(self.fd)
                raise
        finally:
            os.close(ns_fd)
        snap = snapshot(method="listmount", consistency="best-effort")
        self.known = {e.unique_id: e for e in snap.table.entries}

    def run(self, end: float | None, min_interval: float, stop: threading.Event | None) -> Iterator[WatchBatch]:
        try:
            last = 0.0
            while not (stop is not None and stop.is_set()):
                left = _remaining(end)
                if left <= 0:
                    return
                if not syscalls.poll_fd(self.fd, select.POLLIN, int(left * 1000) + 1):
                    continue
                wait = last + min_interval - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                last = time.monotonic()
                raw = b""
                while syscalls.poll_fd(self.fd, select.POLLIN, 0):
                    raw += os.read(self.fd, 65536)
                events = self._events(syscalls.parse_fanotify_events(raw))
                if events:
                    table = MountTable(self.known.values())
                    yield WatchBatch(tuple(events), table, "fanotify", time.time())
        finally:
            os.close(self.fd)

    def _events(self, raw_events: list[syscalls.FanotifyEvent]) -> list[MountEvent]:
        detached: dict[int, object] = {}
        out: list[MountEvent] = []
        for ev in raw_events:
            uid = ev.unique_id
            if uid is None:
                continue
            if ev.mask & syscalls.FAN_MNT_DETACH:
                old = self.known.pop(uid, None)
                detached[uid] = old
                if old is not None:
                    out.append(MountEvent("umount", old, None))
            if ev.mask & syscalls.FAN_MNT_ATTACH:
                try:
                    new = statmount_entry(uid)
                except OSError:
                    continue  # attached and gone again before we asked
                self.known[uid] = new
                old = detached.get(uid)
                if old is not None:  # detach + attach of one mount: a move
                    out = [e for e in out if not (e.action == "umount" and e.old is old)]
                    out.append(MountEvent("move", old, new))  # type: ignore[arg-type]
                    out += self._moved_below(old.target)  # type: ignore[attr-defined]
                else:
                    out.append(MountEvent("mount", None, new))
        return out

    def _moved_below(self, old_target: bytes) -> list[MountEvent]:
        """A move takes the submounts along, and fanotify names only the moved mount."""
        prefix = old_target.rstrip(b"/") + b"/"
        out = []
        for uid, old in list(self.known.items()):
            if old.target.startswith(prefix):
                try:
                    new = statmount_entry(uid)
                except OSError:
                    continue
                self.known[uid] = new
                out.append(MountEvent("move", old, new))
        return out


async def awatch(pid: int | str = "self", **kwargs) -> AsyncIterator[WatchBatch]:
    """:func:`watch` as an async iterator (the blocking poll runs in a thread; leaving
    the ``async for`` stops it within a quarter of a second)."""
    import asyncio  # here: a synchronous caller (the CLI) need not load it

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()
    done = object()

    def post(item: object) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            stop.set()

    def pump() -> None:
        try:
            for batch in watch(pid, stop=stop, **kwargs):
                post(batch)
        except BaseException as err:  # noqa: BLE001 -- handed to the consumer
            post(err)
        finally:
            post(done)

    thread = threading.Thread(target=pump, name="mountcursor-awatch", daemon=True)
    thread.start()
    try:
        while True:
            item = await queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(2 * _TICK + 1)
