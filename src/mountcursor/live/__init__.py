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
Experiments in a private mount namespace (root only) are the verifier's:
    :class:`mountcursor.verify.sandbox.Sandbox`.

Low-level system calls are in :mod:`mountcursor.live.syscalls`; findmnt-compatible
columns and tree in :mod:`mountcursor.live.findmnt`; device tags (``LABEL=``,
``UUID=``, a device's label and type) through the system's libblkid in
:mod:`mountcursor.live.blkid`, used by :mod:`mountcursor.live.devices`.

Every name below is imported from its module on first use (PEP 562 ``__getattr__``),
so that ``import mountcursor.live.procread`` (``mountcursor list``'s lean path) loads
one module, not the whole package; ``from mountcursor.live import snapshot`` works as
always.
"""

from __future__ import annotations

from .._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:  # what the names are, for type checkers and readers
    from .tablediff import MountEvent, diff
    from .entry import MountEntry, Option, merge_options, split_options
    from .parse import ParseResult, parse_mountinfo, parse_mountinfo_line
    from .reader import InconsistentSnapshotError, Snapshot, is_mountpoint, snapshot
    from .table import MountTable
    from .watcher import Watch, WatchBatch, awatch, watch

_HOME = {
    "diff": "tablediff", "MountEvent": "tablediff",
    "MountEntry": "entry", "Option": "entry", "merge_options": "entry", "split_options": "entry",
    "ParseResult": "parse", "parse_mountinfo": "parse", "parse_mountinfo_line": "parse",
    "InconsistentSnapshotError": "reader", "Snapshot": "reader", "is_mountpoint": "reader", "snapshot": "reader",
    "MountTable": "table",
    "Watch": "watcher", "WatchBatch": "watcher", "awatch": "watcher", "watch": "watcher",
}
"""Public name -> the module of this package that defines it."""

__all__ = [
    "snapshot", "Snapshot", "InconsistentSnapshotError",
    "parse_mountinfo", "parse_mountinfo_line", "ParseResult",
    "MountTable", "MountEntry", "Option", "split_options", "merge_options", "is_mountpoint",
    "diff", "MountEvent", "watch", "Watch", "awatch", "WatchBatch",
]

__getattr__, __dir__ = lazy_exports(__name__, _HOME, __all__)
