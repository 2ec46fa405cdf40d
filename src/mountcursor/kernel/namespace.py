"""The kernel and its mount namespaces: mount, bind, move, umount, propagation flags, events.

Kernel: ``fs/namespace.c`` (``namespace_sem``, ``event``, ``touch_mnt_namespace``,
``__touch_mnt_namespace``, ``commit_tree``/``mnt_add_to_ns``, ``umount_tree``,
``do_umount``, ``do_move_mount``, ``do_change_type``, ``do_remount``,
``mnt_list_next``), ``fs/pnode.c`` (peer groups: ``mnt_group_id``, ``mnt_master``).

One model namespace keeps *both* structures the kernel has had over time:
``ns.list`` (the ``list_head`` of 3.10 to 6.7, which the cursors live in) and
``ns.mounts``, the mounts ordered by 64-bit ``mnt_id_unique`` (the rbtree of
6.8+; here a sorted array searched by bisection, the same O(log n) lookup and
in-order successor).  Writers update both under ``namespace_sem`` held for
write, so one namespace serves every iteration strategy.

Simplifications (stated, not hidden): propagation is modelled as the state the
proc files print (shared/master/unbindable flags and group ids); a mount made
under a shared mount is *not* copied to its peers.  Unmounted mounts are freed
at once (no open files or RCU delay keep them), which is what lets the slab
hand the same object to the next mount.
"""

from __future__ import annotations

import bisect
import errno
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional

from . import hooks
from .list import ListHead, list_add_tail, list_del_init, list_for_each, list_for_each_continue
from .locks import RwSemaphore, SpinLock
from .mount import (
    MINORMASK, MNT_INTERNAL_FLAGS, MNT_SHARED, MNT_UNBINDABLE, FileSystemType, Ida, Mount, MountCache,
    SuperBlock, mnt_is_cursor,
)

# include/uapi/linux/mount.h: umount2() flags
MNT_FORCE = 1
MNT_DETACH = 2

TMPFS = FileSystemType(b"tmpfs")
ROOTFS = FileSystemType(b"rootfs")
EXT4 = FileSystemType(b"ext4", requires_dev=True)


def _split(path: bytes) -> list[bytes]:
    return [c for c in path.split(b"/") if c]


def _join(dentry: bytes, name: bytes) -> bytes:
    return (dentry.rstrip(b"/") + b"/" + name) if dentry != b"/" else b"/" + name


def _dirname(dentry: bytes) -> tuple[bytes, bytes]:
    head, _, tail = dentry.rstrip(b"/").rpartition(b"/")
    return (head or b"/"), tail


def _is_under(dentry: bytes, root: bytes) -> bool:
    return root == b"/" or dentry == root or dentry.startswith(root.rstrip(b"/") + b"/")


@dataclass(frozen=True)
class Path:
    """``struct path``: a mount and a dentry (a byte path inside the mount's superblock)."""

    mnt: Mount
    dentry: bytes


class Kernel:
    """Global state: ``namespace_sem``, the ``event`` counter, the mount slab and id allocators."""

    def __init__(self, slab_reuse: bool = True, ns_lock: bool = True) -> None:
        self.namespace_sem = RwSemaphore("namespace_sem")
        self.event = 0
        self.mnt_cache = MountCache(reuse=slab_reuse)
        # get_anon_bdev(): 0:N, lowest free N up to MINORMASK (a booted system has used the first 19)
        self.anon_dev = Ida(start=20, end=MINORMASK)
        self.group_ida = Ida(start=1)  # mnt_alloc_group_id()
        self.ns_lock_enabled = ns_lock
        self.namespaces: list[MountNamespace] = []

    def get_anon_bdev(self) -> tuple[int, int]:
        """``get_anon_bdev()`` (fs/super.c, 6.18): ``ida_alloc_range(&unnamed_dev_ida, 1,
        (1 << MINORBITS) - 1)``; when the IDA is full, ``-ENOSPC`` becomes ``-EMFILE``."""
        try:
            return (0, self.anon_dev.alloc())
        except OSError:
            raise OSError(errno.EMFILE, "no anonymous device number left (get_anon_bdev)") from None

    def free_anon_bdev(self, dev: tuple[int, int]) -> None:
        """``free_anon_bdev()``, called by ``kill_anon_super`` when the superblock dies."""
        self.anon_dev.free(dev[1])

    def create_namespace(self, with_rootfs: bool = True, root_fs: bytes = b"ext4",
                         root_source: bytes = b"/dev/vda", root_dev: tuple[int, int] = (254, 0),
                         root_options: bytes = b"") -> "MountNamespace":
        """A namespace whose reader root is a disk-like ``/``.

        With ``with_rootfs`` (default) the ``/`` mount sits on a hidden ``rootfs``
        mount (mnt_id 1), as on a booted system: rootfs stays in the list but is
        outside every reader's root, so ``show`` returns SEQ_SKIP for it.
        """
        ns = MountNamespace(self)
        self.namespaces.append(ns)
        if with_rootfs:
            rootfs = ns._attach_new(None, b"/", SuperBlock(ROOTFS, (0, 1)), b"rootfs")
            sb = SuperBlock(FileSystemType(root_fs, requires_dev=True), root_dev, options=root_options)
            root = ns._attach_new(Path(rootfs, b"/"), b"/", sb, root_source)
        else:
            sb = SuperBlock(FileSystemType(root_fs, requires_dev=True), root_dev, options=root_options)
            root = ns._attach_new(None, b"/", sb, root_source)
        ns.root = Path(root, b"/")
        return ns


class MountNamespace:
    """``struct mnt_namespace``: the mount list, ``ns_lock``, ``event``, the id-ordered index."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.list = ListHead(None, "ns->list")
        self.ns_lock = SpinLock("ns_lock", enabled=kernel.ns_lock_enabled)
        self.event = 0
        self.root: Path = None  # type: ignore[assignment]  # set by Kernel.create_namespace
        self._ids: list[int] = []  # sorted mnt_id_unique (the 6.8+ rbtree)
        self._by_id: dict[int, Mount] = {}
        # mount_hashtable: (parent mount, mount point dentry) -> mounts there, last = on top
        self._hash: dict[tuple[Mount, bytes], list[Mount]] = {}
        self.hops = 0  # list hops / tree steps taken by iterators (for benchmarks)

    # --- the list and the id index -------------------------------------------------

    def lock_ns_list(self) -> None:
        self.ns_lock.spin_lock()

    def unlock_ns_list(self) -> None:
        self.ns_lock.spin_unlock()

    def mounts_in_list_order(self) -> list[Mount]:
        """All real mounts in list order (cursors skipped).  No locking: for tests and checks."""
        return [p.owner for p in list_for_each(self.list) if not mnt_is_cursor(p.owner)]  # type: ignore[union-attr]

    def cursors(self) -> list[Mount]:
        return [p.owner for p in list_for_each(self.list) if mnt_is_cursor(p.owner)]  # type: ignore[union-attr,misc]

    def mounts_by_id(self) -> list[Mount]:
        return [self._by_id[i] for i in self._ids]

    def nr_mounts(self) -> int:
        return len(self._ids)

    def mnt_find_id_at(self, mnt_id: int) -> Optional[Mount]:
        """``mnt_find_id_at()`` (6.8+): the mount with this unique id, or the next larger one."""
        i = bisect.bisect_left(self._ids, mnt_id)
        self.hops += max(1, len(self._ids)).bit_length()
        return self._by_id[self._ids[i]] if i < len(self._ids) else None

    def rb_next(self, mnt: Mount) -> Optional[Mount]:
        """The in-order successor of ``mnt`` in the id tree."""
        i = bisect.bisect_right(self._ids, mnt.mnt_id_unique)
        self.hops += 1
        return self._by_id[self._ids[i]] if i < len(self._ids) else None

    # --- events ----------------------------------------------------------------------

    def touch_mnt_namespace(self) -> None:
        """``touch_mnt_namespace()``: ``ns->event = ++event`` (and wake pollers)."""
        self.kernel.event += 1
        self.event = self.kernel.event

    def _touch_mnt_namespace(self) -> None:
        """``__touch_mnt_namespace()``: ``if (ns->event != event) ns->event = event``."""
        if self.event != self.kernel.event:
            self.event = self.kernel.event

    # --- path lookup -----------------------------------------------------------------

    def _child_on(self, mnt: Mount, dentry: bytes) -> Optional[Mount]:
        """``__lookup_mnt``: the mount attached at (mnt, dentry), the last one if stacked."""
        there = self._hash.get((mnt, dentry))
        return there[-1] if there else None

    def _hash_add(self, mnt: Mount) -> None:
        mnt.mnt_parent.mnt_children[mnt] = None
        self._hash.setdefault((mnt.mnt_parent, mnt.mnt_mountpoint), []).append(mnt)

    def _hash_del(self, mnt: Mount) -> None:
        """Detach ``mnt`` from its parent (``umount_mnt``/``unhash_mnt``)."""
        del mnt.mnt_parent.mnt_children[mnt]
        key = (mnt.mnt_parent, mnt.mnt_mountpoint)
        there = self._hash[key]
        there.remove(mnt)
        if not there:
            del self._hash[key]

    def _follow(self, mnt: Mount, dentry: bytes) -> Path:
        while True:
            c = self._child_on(mnt, dentry)
            if c is None:
                return Path(mnt, dentry)
            mnt, dentry = c, c.mnt_root

    def lookup(self, path: bytes) -> Path:
        """Resolve an absolute path from the namespace root, crossing mount points."""
        if not path.startswith(b"/"):
            raise OSError(errno.EINVAL, f"not an absolute path: {path!r}")
        cur = self._follow(self.root.mnt, self.root.dentry)
        for comp in _split(path):
            if comp == b".":
                continue
            if comp == b"..":
                raise OSError(errno.EINVAL, f"'..' is not supported in model paths: {path!r}")
            cur = self._follow(cur.mnt, _join(cur.dentry, comp))
        return cur

    def d_path(self, mnt: Mount, dentry: bytes, root: Optional[Path] = None) -> Optional[bytes]:
        """``__d_path()``: the path of (mnt, dentry) as seen from ``root``; None if unreachable
        (``seq_path_root`` then returns SEQ_SKIP)."""
        root = root or self.root
        parts: list[bytes] = []
        while True:
            if mnt is root.mnt and dentry == root.dentry:
                break
            if dentry == mnt.mnt_root or not _is_under(dentry, mnt.mnt_root):
                if mnt.mnt_parent is mnt:
                    return None
                dentry, mnt = mnt.mnt_mountpoint, mnt.mnt_parent
                continue
            dentry, name = _dirname(dentry)
            parts.append(name)
        return b"/" + b"/".join(reversed(parts))

    def path_of(self, mnt: Mount, root: Optional[Path] = None) -> Optional[bytes]:
        """The mount point of ``mnt`` as /proc prints it (None: outside ``root``)."""
        return self.d_path(mnt, mnt.mnt_root, root)

    def find(self, mount_point: bytes) -> Mount:
        """The topmost mount whose mount point is exactly ``mount_point``."""
        p = self.lookup(mount_point)
        if p.dentry != p.mnt.mnt_root or self.path_of(p.mnt) != (b"/" + b"/".join(_split(mount_point))):
            raise OSError(errno.EINVAL, f"not a mount point: {mount_point!r}")
        return p.mnt

    # --- attach / detach (namespace_sem held for write) ------------------------------

    def _attach_new(self, where: Optional[Path], root: bytes, sb: SuperBlock,
                    devname: Optional[bytes], flags: int = 0,
                    ids: Optional[tuple[int, int]] = None) -> Mount:
        mnt = self.kernel.mnt_cache.alloc_vfsmnt(devname, ids)
        sb.s_mounts += 1
        mnt.mnt_sb = sb
        mnt.mnt_root = root
        mnt.mnt_flags = flags
        self._attach(mnt, where)
        return mnt

    def _attach(self, mnt: Mount, where: Optional[Path]) -> None:
        """``attach_mnt`` + ``commit_tree`` / ``mnt_add_to_ns``: tail of the list, into the id tree."""
        if where is None:
            mnt.mnt_parent = mnt
            mnt.mnt_mountpoint = mnt.mnt_root
        else:
            mnt.mnt_parent = where.mnt
            mnt.mnt_mountpoint = where.dentry
            self._hash_add(mnt)
        mnt.mnt_ns = self
        list_add_tail(mnt.mnt_list, self.list)
        bisect.insort(self._ids, mnt.mnt_id_unique)
        self._by_id[mnt.mnt_id_unique] = mnt

    def _subtree(self, mnt: Mount) -> list[Mount]:
        out = [mnt]
        i = 0
        while i < len(out):
            out.extend(out[i].mnt_children)
            i += 1
        return out

    def umount_tree(self, mnt: Mount) -> list[Mount]:
        """``umount_tree()``: take ``mnt`` and everything under it out of the namespace and free them."""
        victims = self._subtree(mnt)
        for p in victims:  # unhash all of them: a freed object comes back from the slab
            if p.mnt_parent is not p:
                self._hash_del(p)
        for p in victims:
            list_del_init(p.mnt_list)
            i = bisect.bisect_left(self._ids, p.mnt_id_unique)
            del self._ids[i]
            del self._by_id[p.mnt_id_unique]
            p.mnt_ns = None
            self._touch_mnt_namespace()
        for p in victims:
            if p.mnt_group_id and not any(
                q.mnt_group_id == p.mnt_group_id for q in self._by_id.values()
            ):
                self.kernel.group_ida.free(p.mnt_group_id)
            sb = p.mnt_sb
            if sb is not None:
                sb.s_mounts -= 1
                if sb.s_mounts == 0 and sb.s_anon:  # deactivate_super -> kill_anon_super
                    self.kernel.free_anon_bdev(sb.s_dev)
            self.kernel.mnt_cache.free_vfsmnt(p)
        return victims

    # --- syscalls --------------------------------------------------------------------

    @contextmanager
    def _namespace_lock(self, what: str) -> Iterator[None]:
        """One mount-changing syscall: a scheduler step, then ``namespace_lock()``
        (``namespace_sem`` for write) around the body, released on every path."""
        hooks.step("syscall", what)
        sem = self.kernel.namespace_sem
        sem.down_write()
        try:
            yield
        finally:
            sem.up_write()

    def mount(self, target: bytes, fstype: bytes = b"tmpfs", source: Optional[bytes] = b"tmpfs",
              flags: int = 0, options: bytes = b"", sb_flags: int = 0,
              subtype: bytes = b"", stats: Optional[bytes] = None,
              ids: Optional[tuple[int, int]] = None, dev: Optional[tuple[int, int]] = None,
              root: bytes = b"/", sb: Optional[SuperBlock] = None) -> Mount:
        """``mount(source, target, fstype, ...)`` of a new filesystem (``do_new_mount``).

        ``ids`` (mnt_id, mnt_id_unique), ``dev``, ``root`` and ``sb`` let a model mirror a
        mount a real kernel made (the ids and device it gave, a bind's root, a shared
        superblock); by default the model allocates them itself."""
        with self._namespace_lock(f"mount({target!r})"):
            where = self.lookup(target)
            if sb is None:
                anon = dev is None
                if dev is None:
                    dev = self.kernel.get_anon_bdev()
                sb = SuperBlock(FileSystemType(fstype), dev, sb_flags, subtype, options, stats, s_anon=anon)
            mnt = self._attach_new(where, root, sb, source, flags & ~MNT_INTERNAL_FLAGS, ids)
            self.touch_mnt_namespace()
            return mnt

    def bind(self, source: bytes, target: bytes, recursive: bool = False) -> Mount:
        """``mount --bind`` / ``--rbind`` (``do_loopback``: ``clone_mnt`` / ``copy_tree``)."""
        with self._namespace_lock(f"bind({source!r}, {target!r})"):
            src = self.lookup(source)
            if src.mnt.mnt_flags & MNT_UNBINDABLE:
                raise OSError(errno.EINVAL, f"{source!r} is unbindable")
            where = self.lookup(target)
            top = self._attach_new(where, src.dentry, src.mnt.mnt_sb, src.mnt.mnt_devname,  # type: ignore[arg-type]
                                   src.mnt.mnt_flags & ~MNT_INTERNAL_FLAGS)
            if src.mnt.mnt_flags & MNT_SHARED:  # clone_mnt: a bind of a shared mount is its peer
                top.mnt_flags |= MNT_SHARED
                top.mnt_group_id = src.mnt.mnt_group_id
            if recursive:
                todo = [(src.mnt, top)]
                while todo:
                    old, new = todo.pop(0)
                    for c in list(old.mnt_children):
                        if not _is_under(c.mnt_mountpoint, new.mnt_root) or c.mnt_flags & MNT_UNBINDABLE:
                            continue
                        cc = self._attach_new(Path(new, c.mnt_mountpoint), c.mnt_root, c.mnt_sb,  # type: ignore[arg-type]
                                              c.mnt_devname, c.mnt_flags & ~MNT_INTERNAL_FLAGS)
                        todo.append((c, cc))
            self.touch_mnt_namespace()
            return top

    def move(self, source: bytes, target: bytes) -> Mount:
        """``mount --move`` (``do_move_mount``): reparent; list position and ids unchanged."""
        with self._namespace_lock(f"move({source!r}, {target!r})"):
            mnt = self.find(source)
            if mnt is self.root.mnt:
                raise OSError(errno.EINVAL, "cannot move the root mount")
            where = self.lookup(target)
            if any(where.mnt is m for m in self._subtree(mnt)):
                raise OSError(errno.ELOOP, f"cannot move {source!r} under itself")
            self._hash_del(mnt)
            mnt.mnt_parent = where.mnt
            mnt.mnt_mountpoint = where.dentry
            self._hash_add(mnt)
            self.touch_mnt_namespace()
            return mnt

    def umount(self, target: bytes | Mount, flags: int = 0, recursive: bool = False) -> list[Mount]:
        """``umount2(target, flags)`` (``do_umount``).  ``MNT_DETACH`` takes the whole subtree
        (lazy); without it a mount with children is ``EBUSY``.  ``recursive`` is
        ``umount -R``: the subtree, deepest first, as one step here."""
        name = target if isinstance(target, bytes) else repr(target)
        with self._namespace_lock(f"umount({name!r})"):
            mnt = self.find(target) if isinstance(target, bytes) else target
            if mnt.freed or mnt.mnt_ns is not self:
                raise OSError(errno.EINVAL, f"{name} is not mounted in this namespace")
            if mnt is self.root.mnt:
                raise OSError(errno.EBUSY, "cannot unmount the root mount")
            if mnt.mnt_children and not (flags & MNT_DETACH or recursive):
                raise OSError(errno.EBUSY, f"{name!r} has mounts under it")
            self.kernel.event += 1  # do_umount: event++
            return self.umount_tree(mnt)

    def remount(self, target: bytes, flags: int) -> Mount:
        """``mount -o remount,bind`` (``do_reconfigure_mnt``): new per-mount flags; bumps the event."""
        with self._namespace_lock(f"remount({target!r})"):
            mnt = self.find(target)
            keep = mnt.mnt_flags & MNT_INTERNAL_FLAGS
            mnt.mnt_flags = keep | (flags & ~MNT_INTERNAL_FLAGS)
            self.touch_mnt_namespace()
            return mnt

    def change_type(self, target: bytes, kind: str) -> Mount:
        """``mount --make-{shared,slave,private,unbindable}`` (``do_change_type``); no event bump."""
        with self._namespace_lock(f"make-{kind}({target!r})"):
            mnt = self.find(target)
            if kind == "shared":
                if not mnt.mnt_flags & MNT_SHARED:
                    mnt.mnt_group_id = self.kernel.group_ida.alloc()
                    mnt.mnt_flags |= MNT_SHARED
                mnt.mnt_flags &= ~MNT_UNBINDABLE
            elif kind == "slave":
                if mnt.mnt_flags & MNT_SHARED:
                    master = Mount(-2)  # stands for the peer group left behind
                    master.freed = False
                    master.mnt_group_id = mnt.mnt_group_id
                    mnt.mnt_master = master
                    mnt.mnt_flags &= ~MNT_SHARED
                    mnt.mnt_group_id = 0
                mnt.mnt_flags &= ~MNT_UNBINDABLE
            elif kind == "private":
                mnt.mnt_flags &= ~(MNT_SHARED | MNT_UNBINDABLE)
                mnt.mnt_master = None
                mnt.mnt_group_id = 0
            elif kind == "unbindable":
                mnt.mnt_flags = (mnt.mnt_flags & ~MNT_SHARED) | MNT_UNBINDABLE
                mnt.mnt_master = None
                mnt.mnt_group_id = 0
            else:
                raise OSError(errno.EINVAL, f"unknown propagation type {kind!r}")
            return mnt

    # --- readers ---------------------------------------------------------------------

    def mnt_list_next(self, p: ListHead) -> Optional[Mount]:
        """``mnt_list_next()`` (the cursor patch): the first non-cursor mount after ``p``,
        walked under ``ns_lock``; None at the end of the list."""
        ret = None
        self.lock_ns_list()
        try:
            for q in list_for_each_continue(p, self.list):
                self.hops += 1
                mnt: Mount = q.owner  # type: ignore[assignment]
                if not mnt_is_cursor(mnt):
                    ret = mnt
                    break
        finally:
            self.unlock_ns_list()
        return ret

    def iter_list(self) -> Iterator[Mount]:
        """Real mounts in list order, no locking (the caller holds namespace_sem)."""
        for q in list_for_each(self.list):
            mnt: Mount = q.owner  # type: ignore[assignment]
            if not mnt_is_cursor(mnt):
                yield mnt
