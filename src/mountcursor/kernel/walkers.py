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
from .mount import (
    MNT_ATIME_MASK, MNT_LOCK_ATIME, MNT_LOCK_READONLY, MNT_LOCKED, MNT_READONLY, SB_RDONLY, Mount,
    SuperBlock, mnt_is_cursor,
)
from .namespace import MountNamespace


class Livelock(RuntimeError):
    """A walker made ``budget`` steps without finishing (it would spin forever)."""

    def __init__(self, walker: str, steps: int, at: Optional[Mount]) -> None:
        super().__init__(f"{walker}: no progress after {steps} steps (stuck at {at!r})")
        self.walker = walker
        self.steps = steps
        self.at = at


def is_local_mountpoint(ns: MountNamespace, sb: SuperBlock, dentry: bytes) -> bool:
    """``__is_local_mountpoint()`` (v3.18 to v6.7 on ``ns->list``, 5.8+ skipping cursors):
    is (sb, dentry) the ``mnt_mountpoint`` of a mount in ``ns``?  The kernel compares the
    dentry only, so a mount without a parent, whose ``mnt_mountpoint`` is its own root
    (``alloc_vfsmnt``/``vfs_create_mount``), makes its root dentry count: the namespace's
    root mount matches itself."""
    sem = ns.kernel.namespace_sem
    sem.down_read()
    ns.lock_ns_list()
    covered = False
    try:
        for lh in list_for_each(ns.list):
            mnt: Mount = lh.owner  # type: ignore[assignment]
            if mnt_is_cursor(mnt):
                continue
            if mnt.mnt_parent.mnt_sb is sb and mnt.mnt_mountpoint == dentry:  # the same dentry
                covered = True
                break
    finally:
        ns.unlock_ns_list()
        sem.up_read()
    return covered


def mnt_already_visible(ns: MountNamespace, fstype: bytes, new_mnt_flags: int = 0) -> bool:
    """``mnt_already_visible()`` (``fs/namespace.c``; the walk as the cursor patch has it):
    is a filesystem of type ``fstype`` already mounted, fully visible, in ``ns``, so that
    a user namespace may mount another one (proc, sysfs)?

    A mount counts when its root is the filesystem's root; when its flags are at least as
    permissive as ``new_mnt_flags`` (``MNT_LOCK_READONLY``, or a read-only superblock,
    needs ``MNT_READONLY``; ``MNT_LOCK_ATIME`` needs the same atime flags); and when no
    ``MNT_LOCKED`` child covers anything but a permanently empty directory.  Unlocked
    children, and locked ones on empty directories, hide nothing.  (The kernel also
    copies the lock flags into ``*new_mnt_flags``; the model returns only the verdict.)"""
    sem = ns.kernel.namespace_sem
    sem.down_read()
    ns.lock_ns_list()
    visible = False
    try:
        for lh in list_for_each(ns.list):
            mnt: Mount = lh.owner  # type: ignore[assignment]
            if mnt_is_cursor(mnt):
                continue
            sb = mnt.mnt_sb
            assert sb is not None
            if sb.s_type.name != fstype:
                continue
            if mnt.mnt_root != b"/":  # not the root of its filesystem: not fully visible
                continue
            mnt_flags = mnt.mnt_flags
            if sb.s_flags & SB_RDONLY:  # don't miss readonly hidden in the superblock flags
                mnt_flags |= MNT_LOCK_READONLY
            if mnt_flags & MNT_LOCK_READONLY and not new_mnt_flags & MNT_READONLY:
                continue
            if mnt_flags & MNT_LOCK_ATIME and (mnt_flags & MNT_ATIME_MASK) != (new_mnt_flags & MNT_ATIME_MASK):
                continue
            if any(c.mnt_flags & MNT_LOCKED and c.mnt_mountpoint not in sb.empty_dirs
                   for c in mnt.mnt_children):
                continue  # a locked mount covers something: not fully visible
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
            mnt_sb = mnt.mnt_sb
            assert mnt_sb is not None, f"walked onto a cursor: {mnt!r}"
            if any(sb is mnt_sb for sb in collected):  # sync_filesystem_collected()
                if faithful:
                    continue
                mnt = ns.mnt_list_next(mnt.mnt_list)
                continue
            collected.append(mnt_sb)
            mnt = ns.mnt_list_next(mnt.mnt_list)
    finally:
        sem.up_read()
    return collected
