r"""What changed between two mount tables: :func:`diff` -> list of :class:`MountEvent`.

>>> from mountcursor.live import MountTable
>>> old = MountTable.from_bytes(b"20 1 0:2 / / rw - ext4 /dev/sda1 rw\n21 20 0:30 / /a rw - tmpfs t rw\n")
>>> new = MountTable.from_bytes(b"20 1 0:2 / / rw - ext4 /dev/sda1 rw\n21 20 0:30 / /b ro - tmpfs t rw\n")
>>> [str(ev) for ev in diff(old, new)]  # doctest: +NORMALIZE_WHITESPACE
["move        /b (tmpfs 't', id 21) from /a", "remount     /b (tmpfs 't', id 21) options rw -> ro"]

Actions, as findmnt ``--poll`` names them, plus one:

* ``mount``   -- a mount only in the new table;
* ``umount``  -- a mount only in the old table;
* ``move``    -- the same mount at another mount point (or under another parent);
* ``remount`` -- the same mount with other per-mount or super-block options;
* ``propagation`` -- the same mount with other ``shared``/``master``/``unbindable``.

A mount is "the same" in both tables when its key is (``_key_function``): the 64-bit
unique id when both tables carry it for every mount (listmount/statmount snapshots),
else ``(mnt_id, major, minor, root, source)``.  The 32-bit ``mnt_id`` alone is not enough: the kernel hands a
freed id to the next mount at once, so "umount A, mount B" would look like a remount.
(libmount's ``mnt_diff_tables`` keys by source and target instead, and so calls a bind
mount moved when another bind of the same source appears elsewhere.)

Events come umounts first, in old-table order (a lazily unmounted subtree parent
first, as libmount's ``mnt_diff_tables`` and so findmnt ``--poll`` report it), then
moves, remounts and propagation changes, then mounts (in new-table order).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from operator import attrgetter
from typing import Literal

from .entry import MountEntry
from .table import MountTable

__all__ = ["Action", "MountEvent", "diff"]

Action = Literal["mount", "umount", "move", "remount", "propagation"]


@dataclass(frozen=True)
class MountEvent:
    """One change: ``old`` is ``None`` for a mount, ``new`` is ``None`` for an umount."""

    action: Action
    old: MountEntry | None
    new: MountEntry | None

    @property
    def entry(self) -> MountEntry:
        """The mount as it is now (as it was, for an umount)."""
        return self.new if self.new is not None else self.old  # type: ignore[return-value]

    def __str__(self) -> str:
        e = self.entry
        text = f"{self.action:<11} {e.target_str} ({e.fstype_str} {e.source_str!r}, id {e.mnt_id})"
        if self.action == "move" and self.old is not None:
            text += f" from {self.old.target_str}"
        if self.action == "remount" and self.old is not None:
            text += f" options {self.old.options.decode(errors='replace')} -> {e.options.decode(errors='replace')}"
        return text


def _key_function(old: MountTable, new: MountTable) -> Callable[[MountEntry], Hashable]:
    everyone_unique = all(e.unique_id is not None for t in (old, new) for e in t.entries)
    if everyone_unique:
        return attrgetter("unique_id")
    return attrgetter("mnt_id", "major", "minor", "root", "source")


# what tells a move, a remount and a propagation change (one C call each per mount)
_PLACE = attrgetter("target", "parent_id")
_OPTIONS = attrgetter("vfs_options", "fs_options")
_PROPAGATION = attrgetter("shared", "master", "propagate_from", "unbindable")


def diff(old: MountTable, new: MountTable) -> list[MountEvent]:
    """The events that turn ``old`` into ``new`` (see the module docstring)."""
    key = _key_function(old, new)
    old_by_key = dict(zip(map(key, old.entries), old.entries))
    new_keys = list(map(key, new.entries))
    umounts: list[MountEvent] = []
    changes: list[MountEvent] = []
    mounts: list[MountEvent] = []
    for k, e in zip(new_keys, new.entries):
        before = old_by_key.get(k)
        if before is None:
            mounts.append(MountEvent("mount", None, e))
            continue
        if before is e:
            continue
        if _PLACE(before) != _PLACE(e):
            changes.append(MountEvent("move", before, e))
        if _OPTIONS(before) != _OPTIONS(e):
            changes.append(MountEvent("remount", before, e))
        if _PROPAGATION(before) != _PROPAGATION(e):
            changes.append(MountEvent("propagation", before, e))
    seen = set(new_keys)
    for e in old.entries:
        if key(e) not in seen:
            umounts.append(MountEvent("umount", e, None))
    return umounts + changes + mounts
