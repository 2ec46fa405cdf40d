"""Build a model namespace that prints the same table as a real kernel.

Given the records of a real ``/proc/<pid>/mountinfo`` (parsed by
:mod:`mountcursor.format`) and the 64-bit unique id of each mount (from
``listmount``/``statmount`` or ``statx``), :func:`namespace_from_table` makes a
model namespace whose mounts take the kernel's mnt_ids, unique ids, devices,
roots, mount points, flags and options, attached in unique-id order (creation
order, which is also the list order).  The mount the table's ``/`` hangs from
is outside the reader's root (usually rootfs, hidden); it becomes a hidden
model mount with that id, so the ``/`` line shows the same parent id.

:func:`mount_like` adds one more mount that mirrors a line the kernel printed.

When one operation makes several mounts (propagation), :func:`impose_new_ids`
queues the ids the kernel handed out between two tables -- the new mounts'
(mnt_id, unique id) pairs in unique-id order, which is the order the kernel
allocated them, and the new peer-group ids in increasing order, which is the
order the kernel's lowest-free ``mnt_group_ida`` gave them (one operation holds
``namespace_sem`` and frees none) -- for the model's next allocations to take.
The kernel's IDAs are global, shared with the host and with every other
namespace, so these numbers cannot be predicted; everything else (which mounts
exist, where, with which peers and masters, in which order) is the model's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..format import MountInfoRecord
from .mount import (
    MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_READONLY,
    MNT_RELATIME, MNT_SHARED, MNT_UNBINDABLE, FileSystemType, Mount, SuperBlock,
)
from . import pnode
from .namespace import Kernel, MountNamespace, Path, _join
from .procfs import sb_flags_of

_FLAGS = {b"ro": MNT_READONLY, b"nosuid": MNT_NOSUID, b"nodev": MNT_NODEV, b"noexec": MNT_NOEXEC,
          b"noatime": MNT_NOATIME, b"nodiratime": MNT_NODIRATIME, b"relatime": MNT_RELATIME,
          b"nosymfollow": MNT_NOSYMFOLLOW}


class MirrorError(ValueError):
    """The table cannot be mirrored (a parent missing, an option the model cannot print)."""


def mnt_flags_of(rec: MountInfoRecord) -> int:
    flags = 0
    for opt in rec.mnt_opts.split(b","):
        if opt in _FLAGS:
            flags |= _FLAGS[opt]
        elif opt != b"rw":
            raise MirrorError(f"mount {rec.mnt_id}: per-mount option {opt!r} is not modelled")
    return flags


def _superblock(rec: MountInfoRecord, sbs: dict[tuple[int, int], SuperBlock]) -> SuperBlock:
    key = (rec.major, rec.minor)
    sb = sbs.get(key)
    if sb is None:
        flags, options = sb_flags_of(rec.super_opts)
        sb = SuperBlock(FileSystemType(rec.fstype), key, flags, options=options)
        sbs[key] = sb
    return sb


def _dentry(parent: Mount, parent_mp: bytes, mp: bytes) -> bytes:
    """The dentry (in the parent's filesystem) a mount at ``mp`` sits on."""
    rel = mp if parent_mp == b"/" else mp[len(parent_mp):]
    if parent_mp != b"/" and not mp.startswith(parent_mp):
        raise MirrorError(f"{mp!r} is not under its parent's mount point {parent_mp!r}")
    return parent.mnt_root if rel in (b"", b"/") else _join(parent.mnt_root, rel.lstrip(b"/"))


def namespace_from_table(records: list[MountInfoRecord], unique_ids: dict[int, int],
                         kernel: Optional[Kernel] = None) -> MountNamespace:
    """A model namespace printing ``records`` (see the module docstring)."""
    k = kernel or Kernel()
    ns = MountNamespace(k)
    k.namespaces.append(ns)
    by_id = {r.mnt_id: r for r in records}
    missing = [r.mnt_id for r in records if r.mnt_id not in unique_ids]
    if missing:
        raise MirrorError(f"no unique id for mounts {missing[:5]}")
    roots = [r for r in records if r.parent_id not in by_id]
    if len(roots) != 1:
        raise MirrorError(f"expected one mount whose parent is outside the table, found {len(roots)}")
    top = roots[0]
    hidden = ns._attach_new(None, b"/", SuperBlock(FileSystemType(b"rootfs"), (0, 1)), b"rootfs",
                            ids=(top.parent_id, min(unique_ids.values()) - 1))
    made: dict[int, Mount] = {top.parent_id: hidden}
    mps: dict[int, bytes] = {top.parent_id: b"/"}
    sbs: dict[tuple[int, int], SuperBlock] = {}
    linked: list[tuple[Mount, MountInfoRecord]] = []
    for rec in sorted(records, key=lambda r: unique_ids[r.mnt_id]):
        parent = made.get(rec.parent_id)
        if parent is None:
            raise MirrorError(f"mount {rec.mnt_id}: parent {rec.parent_id} comes later in unique-id order")
        where = Path(parent, b"/" if parent is hidden else _dentry(parent, mps[rec.parent_id], rec.mount_point))
        mnt = ns._attach_new(where, rec.root, _superblock(rec, sbs), rec.source, mnt_flags_of(rec),
                             ids=(rec.mnt_id, unique_ids[rec.mnt_id]))
        made[rec.mnt_id] = mnt
        linked.append((mnt, rec))
        mps[rec.mnt_id] = rec.mount_point
        if rec is top:
            ns.root = Path(mnt, rec.root if rec.root == b"/" else mnt.mnt_root)
    _propagation(k, linked)
    return ns


def _propagation(k: Kernel, made: list[tuple[Mount, MountInfoRecord]]) -> None:
    """The peer groups and masters the table prints, as ``fs/pnode.c`` structures.

    Mounts printing ``shared:N`` form one ring of peers (in unique-id order: the real
    ring order is history the table does not show) and take N from the group IDA.
    ``master:N`` makes the mount a slave of the first mount of group N in the table,
    or of a stand-in mount outside every namespace when group N has none here."""
    groups: dict[int, Mount] = {}
    for mnt, rec in made:
        if rec.unbindable:
            mnt.mnt_flags |= MNT_UNBINDABLE
        if rec.shared is None:
            continue
        mnt.mnt_flags |= MNT_SHARED
        mnt.mnt_group_id = rec.shared
        first = groups.setdefault(rec.shared, mnt)
        if first is mnt:
            k.group_ida.take(rec.shared)
        else:
            pnode._list_add(mnt.mnt_share, first.mnt_share.prev)
    for mnt, rec in made:
        if rec.master is None:
            continue
        master = groups.get(rec.master)
        if master is None:
            master = Mount(-2)  # stands for the peer group outside the table
            master.freed = False
            master.mnt_group_id = rec.master
            master.mnt_flags |= MNT_SHARED
            groups[rec.master] = master
            k.group_ida.take(rec.master)
        mnt.mnt_master = master
        pnode.hlist_add_head(mnt, master)


def mount_like(ns: MountNamespace, rec: MountInfoRecord, unique_id: int) -> Mount:
    """``ns.mount`` of a new filesystem mirroring a line the kernel printed for it."""
    sb_flags, options = sb_flags_of(rec.super_opts)
    return ns.mount(rec.mount_point, rec.fstype, rec.source, flags=mnt_flags_of(rec),
                    options=options, sb_flags=sb_flags,
                    ids=(rec.mnt_id, unique_id), dev=(rec.major, rec.minor), root=rec.root)


@dataclass
class KernelTable:
    """One reading of a real table: its mountinfo records and each mount's unique id."""

    records: list[MountInfoRecord]
    unique_ids: dict[int, int]

    def groups(self) -> set[int]:
        return {r.shared for r in self.records if r.shared is not None}


def impose_new_ids(ns: MountNamespace, before: KernelTable, after: KernelTable) -> Optional[MountInfoRecord]:
    """Queue for the model's next allocations the mount ids and peer-group ids the kernel
    handed out between ``before`` and ``after`` (see the module docstring); return the
    record of the first new mount (the one ``do_new_mount`` made), or None."""
    old = set(before.unique_ids.values())
    new = sorted((u, mid) for mid, u in after.unique_ids.items() if u not in old)
    ns.kernel.mnt_cache.imposed.extend((mid, u) for u, mid in new)
    ns.kernel.group_ida.imposed.extend(sorted(after.groups() - before.groups()))
    if not new:
        return None
    return next(r for r in after.records if r.mnt_id == new[0][1])


def imposed_left(ns: MountNamespace) -> Optional[str]:
    """What the model did not take of the imposed ids (it made fewer mounts or peer groups
    than the kernel), emptying the queues; None when it took everything."""
    mounts, groups = ns.kernel.mnt_cache.imposed, ns.kernel.group_ida.imposed
    left = []
    if mounts:
        left.append(f"mount ids {[m for m, _ in mounts]}")
    if groups:
        left.append(f"peer groups {list(groups)}")
    mounts.clear()
    groups.clear()
    return None if not left else "the model made fewer than the kernel: " + ", ".join(left)


def mount_as(ns: MountNamespace, target: bytes, rec: Optional[MountInfoRecord]) -> Mount:
    """``ns.mount`` at ``target`` of a new filesystem like the one the kernel printed in
    ``rec`` (device, type, source, options); its ids come from :func:`impose_new_ids`."""
    if rec is None:
        return ns.mount(target)
    sb_flags, options = sb_flags_of(rec.super_opts)
    return ns.mount(target, rec.fstype, rec.source, flags=mnt_flags_of(rec), options=options,
                    sb_flags=sb_flags, dev=(rec.major, rec.minor), root=rec.root)
