"""``mountcursor wait``: until a mount matching findmnt's filters is in a mount table, or
until none is, without the race of check-then-poll.

    w = watch(pid, timeout=5.0, consistency=CONSISTENCY)   # opens mountinfo, then reads the first table
    got = wait_for(w, Awaited(Query(target="/mnt", strict_target=True)), tid)
    got is None                                            # the timeout came first
    got.shown, got.at_start, got.reads                     # the mounts; answered by the first table?

The race util-linux#3517 describes: a script checks ``findmnt /mnt``, finds nothing, and
starts ``findmnt --poll``; a mount made between the check and the poll is never
reported.  Here the check *is* the watch's first table: :func:`~mountcursor.live.watcher.watch`
opens ``/proc/<pid>/mountinfo`` before it reads that table, and the kernel reports on
that descriptor every change made after the open (``mounts_poll`` in
fs/proc_namespace.c, Linux 6.18: the open records the namespace's event counter, a poll
compares it).  So a mount made before the read is in the first table, and one made
after it -- between the first read and the first poll included -- wakes the first poll
and is in the table read then.  A mount already there is answered from the first table,
without polling.

What is awaited is a state of the table, not an event: ``present`` (the default), at
least one mount matches; else none does.  Matching is findmnt's (:func:`~.select.select`
with the :class:`~.select.Query` of ``-t -O -S -M``: a target matches as written or
canonicalized, symlinks resolved anew at each table, never the mount holding a path).
Each table is read in one pass (:data:`CONSISTENCY`), not retried until a pass saw no
change: under a churn of other mounts every pass sees one, and the watch's retries
(``best-effort``: up to 100, backing off) took about 5 s per table here.  One pass is
enough: a mount there for the whole pass is in it exactly once (the property of
docs/DESIGN.md), so the awaited mount, once made, is in the next table; one that comes
or goes during the pass is the kernel's to show or not, and its change leaves the
watch's own descriptor reporting, so the table is read again.

A mount made and gone again between two reads of the table is not seen: the kernel
reports that the table changed, not what changed (the fanotify source would not see it
either: such a mount can no longer be asked about).
"""

from __future__ import annotations

from .rows import Rows
from .select import Query, select

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ..live.table import MountTable
    from ..live.watcher import Watch

__all__ = ["Awaited", "Outcome", "wait_for", "rows_of", "CONSISTENCY"]

CONSISTENCY = "single-pass"
"""How the wait's watch reads each table (see the module docstring)."""

_checked: Callable[[int, Rows, list[int]], object] | None = None
"""Called after each table is checked: the read's number (0: the first table, read
before the first poll; then one per batch), the table's rows and the matching rows.
Tests set it to act at an exact moment (a mount between the first read and the first
poll); None in a run."""


class Awaited:
    """What to wait for: a mount matching ``query`` in the table (``present``), or no such
    mount (``present`` false)."""

    __slots__ = ("query", "present")

    def __init__(self, query: Query, present: bool = True) -> None:
        self.query = query
        self.present = present

    def hits(self, rows: Rows) -> list[int]:
        """The rows that match, in table order (findmnt's list selection)."""
        return select(rows, self.query, want_tree=False).order


class Outcome:
    """What ended the wait: ``shown``, the mounts that matched (those of the table where
    they appeared; for ``present`` false, those of the last table that had them, none if
    none matched at the start); ``at_start``, whether the first table answered;
    ``reads``, how many tables were checked."""

    __slots__ = ("shown", "at_start", "reads")

    def __init__(self, shown: Rows, at_start: bool, reads: int) -> None:
        self.shown = shown
        self.at_start = at_start
        self.reads = reads


def rows_of(table: MountTable, tid: int | None) -> Rows:
    """A watch's table as the engine's rows, each from the table of task ``tid``."""
    return Rows.from_entries(table.entries, "mountinfo").with_tid(tid)


def wait_for(w: Watch, awaited: Awaited, tid: int | None) -> Outcome | None:
    """Check the watch's first table, then each table a change brings, until
    ``awaited`` holds: the :class:`Outcome`, or None when the watch's timeout ends it
    first.  The watch's errors (the watched process exited) go up; the watch is closed
    when this returns."""
    with w:
        rows = rows_of(w.table, tid)
        hits = awaited.hits(rows)
        before = rows.take(hits)
        reads = 1
        if _checked is not None:
            _checked(0, rows, hits)
        if bool(hits) == awaited.present:
            return Outcome(before if awaited.present else rows.take([]), True, reads)
        for batch in w:
            rows = rows_of(batch.table, tid)
            hits = awaited.hits(rows)
            if _checked is not None:
                _checked(reads, rows, hits)
            reads += 1
            if bool(hits) == awaited.present:
                return Outcome(rows.take(hits) if awaited.present else before, False, reads)
            before = rows.take(hits)
        return None
