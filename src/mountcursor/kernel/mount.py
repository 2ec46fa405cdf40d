"""``struct mount`` / ``struct vfsmount`` / ``struct super_block``, the mount id IDA and a slab.

Kernel: ``fs/mount.h`` (struct mount), ``include/linux/mount.h`` (struct
vfsmount and the ``MNT_*`` flags, values as in 3.10 through 6.7; ``MNT_CURSOR``
0x10000000 comes from the cursor patch), ``fs/namespace.c``
(``mnt_alloc_id``/``mnt_free_id``: the IDA hands out the *lowest free* id;
``mnt_id_unique``, a 64-bit id that only grows, starting above ``1 << 31``,
since 6.8), ``fs/super.c`` (``get_anon_bdev``: anonymous devices ``0:N``,
lowest free N from an IDA limited to ``(1 << MINORBITS) - 1``, ``EMFILE`` beyond;
``free_anon_bdev`` from ``kill_anon_super``), ``include/linux/kdev_t.h`` (``MKDEV``,
``MAJOR``/``MINOR`` of a 20-bit minor, which the proc files print; ``new_encode_dev``,
the ``st_dev`` user space sees, where minors above 255 move to bits 20-31).

The struct vfsmount fields are flattened into :class:`Mount` (``mnt_root``,
``mnt_sb``, ``mnt_flags``).  Dentries are modelled as byte paths inside their
superblock (``b"/"`` is the fs root), which is all d_path and the walkers need.

:class:`MountCache` is the model's ``mnt_cache`` slab: a freed ``struct mount``
goes on a LIFO free list and the next allocation returns *the same object*.
So a stale pointer kept by a reader (the seed's ``last_mntpos``) compares
equal to a brand-new mount, which is the "pointer reuse" of the review.
"""

from __future__ import annotations

import errno
import heapq
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from .list import ListHead

if TYPE_CHECKING:  # namespace imports this module
    from ..format import Era
    from .namespace import Path

# include/linux/mount.h
MNT_NOSUID = 0x01
MNT_NODEV = 0x02
MNT_NOEXEC = 0x04
MNT_NOATIME = 0x08
MNT_NODIRATIME = 0x10
MNT_RELATIME = 0x20
MNT_READONLY = 0x40
MNT_NOSYMFOLLOW = 0x80  # 5.10+
MNT_SHRINKABLE = 0x100
MNT_WRITE_HOLD = 0x200
MNT_SHARED = 0x1000
MNT_UNBINDABLE = 0x2000
MNT_INTERNAL = 0x4000
MNT_LOCK_ATIME = 0x040000
MNT_LOCK_NOEXEC = 0x080000
MNT_LOCK_NOSUID = 0x100000
MNT_LOCK_NODEV = 0x200000
MNT_LOCK_READONLY = 0x400000
MNT_LOCKED = 0x800000
MNT_DOOMED = 0x1000000
MNT_SYNC_UMOUNT = 0x2000000
MNT_MARKED = 0x4000000
MNT_UMOUNT = 0x8000000
MNT_CURSOR = 0x10000000  # the cursor patch
MNT_INTERNAL_FLAGS = (
    MNT_SHARED | MNT_WRITE_HOLD | MNT_INTERNAL | MNT_DOOMED | MNT_SYNC_UMOUNT | MNT_MARKED | MNT_CURSOR
)
MNT_ATIME_MASK = MNT_NOATIME | MNT_NODIRATIME | MNT_RELATIME

# fs/mount.h (6.18): mnt_t_flags, changed only under namespace_sem.  The model keeps
# T_SHARED / T_UNBINDABLE as MNT_SHARED / MNT_UNBINDABLE in mnt_flags (where 3.10-6.17
# kept them, and what show_mountinfo reads); T_MARKED and T_UMOUNT_CANDIDATE live here.
T_MARKED = 4
T_UMOUNT_CANDIDATE = 8

# include/linux/fs.h: superblock flags shown by show_sb_opts()
SB_RDONLY = 1
SB_SYNCHRONOUS = 16
SB_MANDLOCK = 64
SB_DIRSYNC = 128
SB_LAZYTIME = 1 << 25

#: mnt_id_unique starts above this (fs/namespace.c, 6.8+): "don't allow confusion with old 32bit mount ID"
MNT_UNIQUE_ID_OFFSET = 1 << 31


#: ``include/linux/kdev_t.h``: a ``dev_t`` inside the kernel is 12 bits of major over 20 of minor.
MINORBITS = 20
MINORMASK = (1 << MINORBITS) - 1


def MKDEV(major: int, minor: int) -> int:  # noqa: N802 - the kernel's name
    return (major << MINORBITS) | minor


def MAJOR(dev: int) -> int:  # noqa: N802
    return dev >> MINORBITS


def MINOR(dev: int) -> int:  # noqa: N802
    return dev & MINORMASK


def new_encode_dev(dev: int) -> int:
    """The 32-bit ``dev_t`` user space sees (``stat``'s ``st_dev``): minor bits 0-7 low,
    the major in bits 8-19, the rest of the minor above (``include/linux/kdev_t.h``)."""
    major, minor = MAJOR(dev), MINOR(dev)
    return (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)


def new_decode_dev(dev: int) -> int:
    major = (dev & 0xFFF00) >> 8
    minor = (dev & 0xFF) | ((dev >> 12) & 0xFFF00)
    return MKDEV(major, minor)


class Ida:
    """An IDA that always hands out the lowest free id in ``[start, end]``
    (``ida_alloc_range``; ``ida_alloc_min`` when ``end`` is None).  When every id of
    the range is taken, :meth:`alloc` raises ``OSError(ENOSPC)`` as the IDA does."""

    def __init__(self, start: int = 0, end: Optional[int] = None) -> None:
        self._next = start
        self.end = end
        self._free: list[int] = []
        #: ids another kernel handed out, to be given in this order by the next alloc()
        #: calls (a model mirroring a real kernel whose IDA is shared with other namespaces)
        self.imposed: deque[int] = deque()

    def alloc(self) -> int:
        if self.imposed:
            return self.take(self.imposed.popleft())
        if self._free:
            return heapq.heappop(self._free)
        n = self._next
        if self.end is not None and n > self.end:
            raise OSError(errno.ENOSPC, f"no free id left in the IDA (the last is {self.end})")
        self._next += 1
        return n

    def take(self, n: int) -> int:
        """Mark ``n`` in use (a model mirroring ids another kernel handed out)."""
        if n >= self._next:
            self._free.extend(range(self._next, n))
            heapq.heapify(self._free)
            self._next = n + 1
        elif n in self._free:
            self._free.remove(n)
            heapq.heapify(self._free)
        else:
            raise ValueError(f"id {n} is already in use")
        return n

    def free(self, n: int) -> None:
        heapq.heappush(self._free, n)

    def in_use(self, n: int) -> bool:
        return n < self._next and n not in self._free


@dataclass(eq=False)
class FileSystemType:
    """``struct file_system_type``: its name, and whether it has a device (``FS_REQUIRES_DEV``)."""

    name: bytes
    requires_dev: bool = False


@dataclass(eq=False)
class SuperBlock:
    """``struct super_block``: what the proc files print about a filesystem.

    ``options`` is what ``sb->s_op->show_options`` appends (``b",size=1024k"``),
    already escaped by the filesystem, as the kernel prints it.
    ``stats`` is what ``show_stats`` prints in mountstats (NFS), or None.
    ``empty_dirs`` are the directories that are permanently empty
    (``is_empty_dir_inode``: ``make_empty_dir_inode`` mount points such as sysfs's
    ``/fs/cgroup`` or proc's ``/sys/fs/binfmt_misc``).
    """

    s_type: FileSystemType
    s_dev: tuple[int, int]
    s_flags: int = 0
    s_subtype: bytes = b""
    options: bytes = b""
    stats: Optional[bytes] = None
    s_mounts: int = 0  # how many struct mounts use it (the kernel's sb->s_mounts list)
    s_anon: bool = False  # s_dev came from get_anon_bdev(): freed when the last mount goes
    empty_dirs: frozenset[bytes] = frozenset()

    shown_version = 0  # bumped when a field the proc files show changes (procfs's line cache)

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name in _SB_SHOWN:
            object.__setattr__(self, "shown_version", self.shown_version + 1)

    @property
    def major(self) -> int:
        return self.s_dev[0]

    @property
    def minor(self) -> int:
        return self.s_dev[1]


class Mount:
    """``struct mount`` with its ``struct vfsmount`` (``mnt_root``, ``mnt_sb``, ``mnt_flags``).

    Objects come from :class:`MountCache` and are *reused* after free; ``generation``
    counts how many lives this object has had (for traces only, never for logic).
    A cursor (``MNT_CURSOR``) is a ``Mount`` embedded in ``struct proc_mounts`` with
    ``mnt_sb`` None, exactly as kzalloc leaves it in the kernel.
    """

    __slots__ = (
        "mnt_list", "mnt_parent", "mnt_mountpoint", "mnt_root", "mnt_sb", "mnt_flags",
        "mnt_id", "mnt_id_unique", "mnt_group_id", "mnt_master", "mnt_devname", "mnt_ns",
        "mnt_children", "mnt_share", "mnt_slave_list", "mnt_slave", "mnt_t_flags", "overmount",
        "mnt_pins", "slot", "generation", "freed", "shown",
    )

    def __init__(self, slot: int) -> None:
        self.slot = slot  # the "address" of this object in the slab
        self.generation = 0
        self.mnt_list = ListHead(self, f"m@{slot}")
        self.freed = True
        self._clear()

    mnt_parent: Mount
    mnt_mountpoint: bytes
    mnt_root: bytes
    mnt_sb: Optional[SuperBlock]
    mnt_flags: int
    mnt_id: int
    mnt_id_unique: int
    mnt_group_id: int
    mnt_master: Optional[Mount]
    mnt_devname: Optional[bytes]
    mnt_ns: object
    mnt_children: dict[Mount, None]  # an ordered set (the kernel's mnt_mounts list)
    # propagation (fs/mount.h, 6.18): the peer ring, the slaves (an hlist: first = head),
    # and which mount's mnt_slave_list holds this one (None: hlist_unhashed(&mnt_slave))
    mnt_share: ListHead
    mnt_slave_list: list[Mount]
    mnt_slave: Optional[Mount]
    mnt_t_flags: int
    overmount: Optional[Mount]  # the child mounted on mnt_root (6.17+)
    # the references a task's fs_struct holds (chroot: root and pwd, path_get -> mntget):
    # the part of mnt_count beyond what the tree holds, which do_refcount_check sees
    mnt_pins: int
    # procfs's line cache (see __setattr__; reader's root, era, the superblock's shown_version,
    # propagate_from, the line); not kernel state
    shown: Optional[tuple[Path, Era, int, Optional[int], bytes]]

    def _clear(self) -> None:
        """Every field as kzalloc leaves it.  Written past :meth:`__setattr__`: a cleared
        mount is in no tree and no namespace and has no slaves, so no cached line can
        depend on it."""
        _set = object.__setattr__
        _set(self, "mnt_parent", self)
        _set(self, "mnt_mountpoint", b"/")
        _set(self, "mnt_root", b"/")
        _set(self, "mnt_sb", None)
        _set(self, "mnt_flags", 0)
        _set(self, "mnt_id", 0)
        _set(self, "mnt_id_unique", 0)
        _set(self, "mnt_group_id", 0)
        _set(self, "mnt_master", None)
        _set(self, "mnt_devname", None)
        _set(self, "mnt_ns", None)
        _set(self, "mnt_children", {})
        _set(self, "mnt_share", ListHead(self, "mnt_share"))
        _set(self, "mnt_slave_list", [])
        _set(self, "mnt_slave", None)
        _set(self, "mnt_t_flags", 0)
        _set(self, "overmount", None)
        _set(self, "mnt_pins", 0)
        _set(self, "shown", None)

    def __setattr__(self, name: str, value: object) -> None:
        """Every write of a field goes through here, so this is the one place that drops
        the proc files' cached lines (``procfs.show_mountinfo``) a change makes stale,
        whichever code path (mount, move, umount, propagation, mirror, a test) makes it:

        * a field of this mount's own line (flags, device name, superblock, the master
          it prints the group id of): its line;
        * a field ``d_path`` walks up through, or the mnt_id its children print as their
          parent: its line and every line below it;
        * its peer group id: its line and its slaves' (they print it as ``master:``).

        A superblock (shared by bind mounts) counts the changes to what it shows in
        ``SuperBlock.shown_version``, which the cache compares."""
        object.__setattr__(self, name, value)
        how = _SHOWN.get(name)
        if how is None:
            return
        object.__setattr__(self, "shown", None)
        if how == _BELOW:
            if getattr(self, "mnt_children", None):
                _forget_shown_below(self)
        elif how == _SLAVES:
            for s in getattr(self, "mnt_slave_list", ()):
                object.__setattr__(s, "shown", None)

    def __repr__(self) -> str:
        if self.mnt_flags & MNT_CURSOR:
            return f"<cursor {self.mnt_list.name}>"
        return f"<mount {self.mnt_id} @{self.slot}.{self.generation}>"

    @property
    def trace_name(self) -> str:
        """Short name for call logs and traces: ``mnt<id>``, or the cursor's name."""
        if self.mnt_flags & MNT_CURSOR:
            return self.mnt_list.name
        return f"mnt{self.mnt_id}"

    @property
    def is_cursor(self) -> bool:
        return bool(self.mnt_flags & MNT_CURSOR)


_OWN, _BELOW, _SLAVES = 1, 2, 3
#: the fields a proc line shows, and whose lines a change makes stale: this mount's own
#: (_OWN), also those of the mounts below it, whose path d_path finds through it and which
#: print its mnt_id as their parent (_BELOW), also those of its slaves, which print its
#: peer group id as master (_SLAVES)
_SHOWN = {"mnt_flags": _OWN, "mnt_devname": _OWN, "mnt_sb": _OWN, "mnt_master": _OWN,
          "mnt_parent": _BELOW, "mnt_mountpoint": _BELOW, "mnt_root": _BELOW, "mnt_id": _BELOW,
          "mnt_group_id": _SLAVES}


#: the superblock fields a proc line shows
_SB_SHOWN = frozenset({"s_type", "s_dev", "s_flags", "s_subtype", "options", "stats"})


def _forget_shown_below(mnt: Mount) -> None:
    todo, seen = [mnt], set()
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        object.__setattr__(m, "shown", None)
        todo.extend(getattr(m, "mnt_children", ()))


def mnt_is_cursor(mnt: Mount) -> bool:
    """``mnt_is_cursor()`` (the cursor patch)."""
    return bool(mnt.mnt_flags & MNT_CURSOR)


#: include/linux/poison.h: the byte slub_debug writes into a freed object, which a
#: ``kmalloc`` hands back as it is
POISON_FREE = 0x6B
UNINIT_LONG = int.from_bytes(bytes([POISON_FREE]) * 8, "little")


class Uninitialised:
    """A pointer field ``kmalloc`` left as it was: any use of it is a read of garbage, so
    the model fails loudly (``AssertionError``) where the kernel would follow it."""

    __slots__ = ("field",)

    def __init__(self, field: str) -> None:
        self.field = field

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"read through the uninitialised {self.field} of a kmalloc'd cursor ({name})")

    def __repr__(self) -> str:
        return f"<uninitialised {self.field}>"


#: the fields of ``struct mount`` a kmalloc'd cursor leaves as they were: all but
#: ``mnt_list`` and ``mnt_flags`` (the model's own bookkeeping is not kernel state)
_UNINIT_POINTERS = ("mnt_parent", "mnt_mountpoint", "mnt_root", "mnt_sb", "mnt_master", "mnt_devname", "mnt_ns",
                    "mnt_children", "mnt_share", "mnt_slave_list", "mnt_slave", "overmount")
_UNINIT_INTS = ("mnt_id", "mnt_id_unique", "mnt_group_id", "mnt_t_flags")


def make_cursor(name: str, kmalloc: bool = False) -> Mount:
    """The ``struct mount cursor`` embedded in ``struct proc_mounts`` (``mounts_open_common``):
    ``INIT_LIST_HEAD(&p->cursor.mnt_list); p->cursor.mnt.mnt_flags = MNT_CURSOR;``.

    Mainline (v5.8) allocates ``proc_mounts`` with ``seq_open_private`` (kzalloc): every
    other field is zero, ``mnt_sb`` NULL.  The seed's RHEL7 ``mounts_open_common`` still
    allocates it with ``kmalloc`` (only the embedded ``seq_file`` is cleared, by
    ``seq_open``), so with ``kmalloc`` every other field of the cursor holds what the slab
    left there: pointers become :class:`Uninitialised`, integers ``POISON_FREE`` bytes (slub_debug's view)."""
    c = Mount(-1)
    c.freed = False
    c.mnt_list.name = name
    c.mnt_flags = MNT_CURSOR
    if kmalloc:
        for f in _UNINIT_POINTERS:
            object.__setattr__(c, f, Uninitialised(f))
        for f in _UNINIT_INTS:
            object.__setattr__(c, f, UNINIT_LONG)
    return c


@dataclass
class MountCache:
    """The ``mnt_cache`` slab, plus ``mnt_alloc_id``/``mnt_free_id`` and the unique-id counter.

    ``reuse=True`` (the default, like a real slab) returns the most recently freed
    object first (LIFO); ``reuse=False`` never reuses an object.
    """

    reuse: bool = True
    ida: Ida = field(default_factory=lambda: Ida(start=1))
    last_unique: int = MNT_UNIQUE_ID_OFFSET
    _free: list[Mount] = field(default_factory=list)
    _slots: int = 0
    allocated: int = 0
    #: (mnt_id, mnt_id_unique) pairs a real kernel gave, taken in order by the next allocations
    imposed: deque[tuple[int, int]] = field(default_factory=deque)

    def alloc_vfsmnt(self, devname: Optional[bytes], ids: Optional[tuple[int, int]] = None) -> Mount:
        """``alloc_vfsmnt()``: an object from the slab, a fresh mnt_id and mnt_id_unique.
        ``ids`` = (mnt_id, mnt_id_unique) imposes the ids a real kernel gave."""
        if self.reuse and self._free:
            mnt = self._free.pop()
        else:
            mnt = Mount(self._slots)
            self._slots += 1
        mnt._clear()
        mnt.freed = False
        mnt.generation += 1
        if ids is None and self.imposed:
            ids = self.imposed.popleft()
        if ids is None:
            mnt.mnt_id = self.ida.alloc()
            self.last_unique += 1
            mnt.mnt_id_unique = self.last_unique
        else:
            mnt.mnt_id = self.ida.take(ids[0])
            mnt.mnt_id_unique = ids[1]
            self.last_unique = max(self.last_unique, ids[1])
        mnt.mnt_devname = devname
        self.allocated += 1
        return mnt

    def free_vfsmnt(self, mnt: Mount) -> None:
        """``free_vfsmnt()``: give the id back and the object to the slab."""
        assert not mnt.freed, f"double free of {mnt!r}"
        self.ida.free(mnt.mnt_id)
        mnt.freed = True
        self.allocated -= 1
        if self.reuse:
            self._free.append(mnt)
