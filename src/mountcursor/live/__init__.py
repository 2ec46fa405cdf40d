"""The live mount table: read it consistently, parse it right, walk it as a tree, watch it.

Reading (a point-in-time table even while mounts change):
    :func:`snapshot` -> :class:`Snapshot` (``table``, ``consistent``, ``attempts``,
    ``method``, ``elapsed``); :class:`InconsistentSnapshotError`.
Parsing (bytes in; tolerant by default, ``strict=True`` for kernel output only):
    :func:`parse_mountinfo` -> :class:`ParseResult`; :func:`parse_mountinfo_line`.
The table:
    :class:`MountTable` (tree, roots, orphans, stacks, lookups, :meth:`~MountTable.mount_of`),
    :class:`MountEntry`, :class:`Option`, :func:`is_mountpoint` (statx, bind mounts right).
Changes:
    :func:`diff` -> [:class:`MountEvent`]; :func:`watch` -> :class:`Watch` (iterator,
    context manager, ``fileno()``), :func:`awatch` (async iterator).
Experiments in a private mount namespace (root only):
    :class:`~mountcursor.live.sandbox.Sandbox` (import from ``mountcursor.live.sandbox``).

Low-level system calls are in :mod:`mountcursor.live.syscalls`; findmnt-compatible
columns and tree in :mod:`mountcursor.live.findmnt`.
"""

from .diff import MountEvent, diff
from .entry import MountEntry, Option, merge_options, split_options
from .parse import ParseResult, parse_mountinfo, parse_mountinfo_line
from .reader import InconsistentSnapshotError, Snapshot, is_mountpoint, snapshot
from .table import MountTable
from .watch import Watch, WatchBatch, awatch, watch

__all__ = [
    "snapshot", "Snapshot", "InconsistentSnapshotError",
    "parse_mountinfo", "parse_mountinfo_line", "ParseResult",
    "MountTable", "MountEntry", "Option", "split_options", "merge_options", "is_mountpoint",
    "diff", "MountEvent", "watch", "Watch", "awatch", "WatchBatch",
]
