"""The other walkers of ``ns->list``, each taught by the cursor patch to skip cursors.

Kernel: ``fs/namespace.c`` ``__is_local_mountpoint()`` and
``mnt_already_visible()`` (cursor patch: ``lock_ns_list`` around the walk and
``if (mnt_is_cursor(mnt)) continue;``), and the seed's Virtuozzo-only
``fs/sync.c`` ``sync_collect_filesystems()``, rewritten by the seed around
``mnt_list_next()``:

.. code-block:: c

    mnt = mnt_list_next(mnt_ns, &mnt_ns->list);
    while (mnt) {
            if (sync_filesystem_collected(sync_list, mnt->mnt.mnt_sb))
                    continue;            /* <- never advances mnt */
            ...
            mnt = mnt_list_next(mnt_ns, &mnt->mnt_list);
    }

The first mount whose superblock was already collected (any two mounts of one
filesystem: a bind mount, or the same fs mounted twice) makes that loop spin
forever with ``namespace_sem`` held for read, which blocks every later
mount/umount.  ``faithful=True`` reproduces it under a step ``budget`` and
raises :class:`Livelock`; the default advances before ``continue``.
"""

from __future__ import annotations

from typing import Optional

from .list import list_for_each
from .mount import Mount, SuperBlock, mnt_is_cursor
from .namespace import MountNamespace


class Livelock(RuntimeError):
    """A walker made ``budget`` steps without finishing (it would spin forever)."""

    def __init__(self, walker: str, steps: int, at: Optional[Mount]) -> None:
        super().__init__(f"{walker}: no progress after {steps} steps (stuck at {at!r})")
        self.walker = walker
        self.steps = steps
        self.at = at


def is_local_mountpoint(ns: MountNamespace, sb: SuperBlock, dentry: bytes) -> bool:
    """``__is_local_mountpoint()``: is (sb, dentry) a mount point of a mount in ``ns``?"""
    sem = ns.kernel.namespace_sem
    sem.down_read()
    ns.lock_ns_list()
    covered = False
    try:
        for lh in list_for_each(ns.list):
            mnt: Mount = lh.owner  # type: ignore[assignment]
            if mnt_is_cursor(mnt):
                continue
            parent_sb = mnt.mnt_parent.mnt_sb
            if mnt.mnt_parent is not mnt and parent_sb is sb and mnt.mnt_mountpoint == dentry:
                covered = True
                break
    finally:
        ns.unlock_ns_list()
        sem.up_read()
    return covered


def mnt_already_visible(ns: MountNamespace, fstype: bytes) -> bool:
    """``mnt_already_visible()`` (reduced to its walk): is a filesystem of type ``fstype``
    already mounted at its root, fully visible, in ``ns``?  (proc/sysfs remount checks)."""
    sem = ns.kernel.namespace_sem
    sem.down_read()
    ns.lock_ns_list()
    visible = False
    try:
        for lh in list_for_each(ns.list):
            mnt: Mount = lh.owner  # type: ignore[assignment]
            if mnt_is_cursor(mnt):
                continue
            assert mnt.mnt_sb is not None
            if mnt.mnt_sb.s_type.name != fstype:
                continue
            if mnt.mnt_root != b"/":  # a bind of a subdirectory does not count
                continue
            if any(c.mnt_mountpoint != b"/" for c in mnt.mnt_children):
                continue  # something is mounted over part of it: not fully visible
            visible = True
            break
    finally:
        ns.unlock_ns_list()
        sem.up_read()
    return visible


def sync_collect_filesystems(ns: MountNamespace, faithful: bool = False,
                             budget: int = 1_000_000) -> list[SuperBlock]:
    """The seed's ``sync_collect_filesystems()``: every superblock of ``ns`` once, in list order.

    ``faithful=True`` keeps the seed's ``continue`` that never advances; it raises
    :class:`Livelock` after ``budget`` loop iterations.
    """
    sem = ns.kernel.namespace_sem
    sem.down_read()
    collected: list[SuperBlock] = []
    steps = 0
    try:
        mnt = ns.mnt_list_next(ns.list)
        while mnt is not None:
            steps += 1
            if steps > budget:
                raise Livelock("sync_collect_filesystems", budget, mnt)
            assert mnt.mnt_sb is not None, f"walked onto a cursor: {mnt!r}"
            if any(sb is mnt.mnt_sb for sb in collected):  # sync_filesystem_collected()
                if faithful:
                    continue
                mnt = ns.mnt_list_next(mnt.mnt_list)
                continue
            collected.append(mnt.mnt_sb)
            mnt = ns.mnt_list_next(mnt.mnt_list)
    finally:
        sem.up_read()
    return collected
