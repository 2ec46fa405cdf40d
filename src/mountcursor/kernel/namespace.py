"""The kernel and its mount namespaces: mount, bind, move, umount, propagation flags, events.

Kernel: ``fs/namespace.c`` (``namespace_sem``, ``event``, ``touch_mnt_namespace``,
``__touch_mnt_namespace``, ``clone_mnt``, ``copy_tree``, ``commit_tree``/``mnt_add_to_ns``,
``attach_recursive_mnt``, ``invent_group_ids``, ``umount_tree``, ``do_umount``,
``do_loopback``, ``do_move_mount``, ``do_change_type``, ``do_remount``, ``mnt_list_next``),
``fs/pnode.c`` through :mod:`.pnode`.

One model namespace keeps *both* structures the kernel has had over time:
``ns.list`` (the ``list_head`` of 3.10 to 6.7, which the cursors live in) and
``ns.mounts``, the mounts ordered by 64-bit ``mnt_id_unique`` (the rbtree of
6.8+; here a sorted array searched by bisection, the same O(log n) lookup and
in-order successor).  Writers update both under ``namespace_sem`` held for
write, so one namespace serves every iteration strategy.

Mounts, binds, moves and unmounts propagate as in Linux 6.18
(``attach_recursive_mnt``, ``clone_mnt``, ``copy_tree``, ``umount_tree``; the
propagation graph itself is :mod:`.pnode`).  Simplifications (stated, not hidden):
unmounted mounts are freed at once (no open files or RCU delay keep them), which
is what lets the slab hand the same object to the next mount; there are no
reference counts (a mount is busy only with children), no user namespaces
(nothing locks mounts unless a test sets ``MNT_LOCKED``) and no ``fs.mount-max``.
"""

from __future__ import annotations

import bisect
import errno
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional, cast

from . import hooks, pnode
from .list import ListHead, list_add_tail, list_del_init, list_for_each, list_for_each_continue
from .locks import RwSemaphore, SpinLock
from .mount import (
    MINORMASK, MNT_INTERNAL_FLAGS, MNT_LOCKED, MNT_UMOUNT, MNT_UNBINDABLE, FileSystemType, Ida,
    Mount, MountCache, SuperBlock, mnt_is_cursor,
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


class next_mnt:
    """The ``next_mnt(p, root)`` walk of a mount tree: ``root`` and everything below it,
    depth first in ``mnt_mounts`` order.  ``skip_mnt_tree()`` skips what lies below the
    mount last returned (``copy_tree``'s unbindable subtrees)."""

    def __init__(self, root: Mount) -> None:
        self._stack = [root]
        self._last: Optional[Mount] = None
        self._skip = False

    def __iter__(self) -> "next_mnt":
        return self

    def __next__(self) -> Mount:
        if self._last is not None and not self._skip:
            self._stack.extend(reversed(self._last.mnt_children))
        self._skip = False
        if not self._stack:
            raise StopIteration
        self._last = self._stack.pop()
        return self._last

    def skip_mnt_tree(self) -> None:
        self._skip = True


def ns_of(mnt: Mount) -> "MountNamespace":
    """``mnt->mnt_ns`` (typed: :class:`Mount` keeps it as an opaque object)."""
    assert isinstance(mnt.mnt_ns, MountNamespace), f"{mnt!r} is in no namespace"
    return mnt.mnt_ns


def is_path_reachable(mnt: Mount, dentry: bytes, root: Path) -> bool:
    """``is_path_reachable()`` (``fs/namespace.c``, the same from v3.10 to v6.18): climb
    from (``mnt``, ``dentry``) to ``root``'s mount and ask whether the dentry reached
    there lies under ``root``'s dentry (``is_subdir``)."""
    while mnt is not root.mnt and mnt.mnt_parent is not mnt:
        dentry = mnt.mnt_mountpoint
        mnt = mnt.mnt_parent
    return mnt is root.mnt and _is_under(dentry, root.dentry)


def _tree_attach(mnt: Mount, parent: Mount, mp: bytes) -> None:
    """``attach_mnt`` inside a tree that is not in a namespace yet (``copy_tree``): parent,
    mount point, ``mnt_mounts`` and ``overmount``; the hash entry comes with ``commit_tree``."""
    mnt.mnt_parent = parent
    mnt.mnt_mountpoint = mp
    if mp == parent.mnt_root:
        parent.overmount = mnt
    parent.mnt_children[mnt] = None


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
        return [m for m in self._owners() if not mnt_is_cursor(m)]

    def cursors(self) -> list[Mount]:
        return [m for m in self._owners() if mnt_is_cursor(m)]

    def _owners(self) -> Iterator[Mount]:
        """``list_entry()`` of every entry of ``ns.list``: mounts and cursors."""
        for p in list_for_each(self.list):
            yield cast(Mount, p.owner)

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
        """``make_visible``: into the parent's ``mnt_mounts`` (tail) and the hash; a mount on
        the parent's root becomes its ``overmount``."""
        parent = mnt.mnt_parent
        if mnt.mnt_mountpoint == parent.mnt_root:
            parent.overmount = mnt
        parent.mnt_children[mnt] = None
        self._hash.setdefault((parent, mnt.mnt_mountpoint), []).append(mnt)

    def _unhash(self, mnt: Mount) -> None:
        parent = mnt.mnt_parent
        parent.mnt_children.pop(mnt, None)
        key = (parent, mnt.mnt_mountpoint)
        there = self._hash[key]
        there.remove(mnt)
        if not there:
            del self._hash[key]

    def _hash_del(self, mnt: Mount) -> None:
        """Detach ``mnt`` from its parent (``__umount_mnt``/``unhash_mnt``)."""
        if mnt.mnt_parent.overmount is mnt:
            mnt.mnt_parent.overmount = None
        self._unhash(mnt)

    def mnt_change_mountpoint(self, parent: Mount, mp: bytes, mnt: Mount) -> None:
        """``mnt_change_mountpoint``: move ``mnt`` onto ``mp`` of ``parent``."""
        self._unhash(mnt)
        mnt.mnt_parent = parent
        mnt.mnt_mountpoint = mp
        self._hash_add(mnt)

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

    def chroot(self, path: bytes) -> Path:
        """``chroot(path)`` and ``chdir("/")`` of a task of this namespace (``ksys_chroot``,
        ``set_fs_root``, ``set_fs_pwd``; ``fs/open.c``, ``fs/fs_struct.c``): its root is where
        the lookup of ``path`` ends, on the topmost mount there, and stays that mount and
        dentry whatever is mounted or unmounted later; root and cwd each hold a reference
        (``path_get``) on that mount (``Mount.mnt_pins``)."""
        p = self.lookup(path)
        p.mnt.mnt_pins += 2
        return p

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
        """``attach_mnt`` + ``commit_tree`` / ``mnt_add_to_ns`` without propagation (the
        namespace's first mounts, a mirrored table): tail of the list, into the id tree."""
        if where is None:
            mnt.mnt_parent = mnt
            mnt.mnt_mountpoint = mnt.mnt_root
        else:
            mnt.mnt_parent = where.mnt
            mnt.mnt_mountpoint = where.dentry
            self._hash_add(mnt)
        self._add_to_ns(mnt)

    def move_from_ns(self, mnt: Mount) -> None:
        """``move_from_ns``: out of the list and the id tree (``mnt_ns`` stays until later)."""
        list_del_init(mnt.mnt_list)
        i = bisect.bisect_left(self._ids, mnt.mnt_id_unique)
        del self._ids[i]
        del self._by_id[mnt.mnt_id_unique]

    def clone_mnt(self, old: Mount, root: bytes, flag: int) -> Mount:
        """``clone_mnt`` (6.18): a new mount of ``old``'s superblock at ``root``.  Unless
        ``CL_SLAVE``/``CL_PRIVATE`` it keeps ``old``'s peer group (and joins its ring); with
        ``CL_SLAVE`` it becomes a slave of ``old`` (if ``old`` has a group), otherwise a
        slave of ``old``'s master, right behind ``old``; ``CL_MAKE_SHARED`` without a group
        allocates one.  ``T_SHARED``/``T_UNBINDABLE`` are not copied: 6.18 keeps them in
        ``mnt_t_flags``, which ``clone_mnt`` leaves zero (the running 6.18 drops
        ``unbindable`` in ``unshare -m``'s copy, ``tests/oracle/test_clone_unbindable_oracle.py``);
        3.10-6.17 kept ``MNT_UNBINDABLE`` in ``mnt_flags`` and copied it (not modelled:
        only ``copy_mnt_ns``'s ``CL_COPY_UNBINDABLE`` clones an unbindable mount, and the
        model has no ``copy_mnt_ns``)."""
        mnt = self.kernel.mnt_cache.alloc_vfsmnt(old.mnt_devname)
        mnt.mnt_flags = old.mnt_flags & ~(MNT_INTERNAL_FLAGS | MNT_UNBINDABLE)
        mnt.mnt_group_id = 0 if flag & (pnode.CL_SLAVE | pnode.CL_PRIVATE) else old.mnt_group_id
        if flag & pnode.CL_MAKE_SHARED and not mnt.mnt_group_id:
            pnode.mnt_alloc_group_id(self.kernel, mnt)
        if mnt.mnt_group_id:
            pnode.set_mnt_shared(mnt)
        mnt.mnt_sb = old.mnt_sb
        if old.mnt_sb is not None:
            old.mnt_sb.s_mounts += 1
        mnt.mnt_root = root
        mnt.mnt_mountpoint = root
        mnt.mnt_parent = mnt
        if flag & pnode.CL_PRIVATE:
            return mnt
        if pnode.peers(mnt, old):
            pnode._list_add(mnt.mnt_share, old.mnt_share)
        if flag & pnode.CL_SLAVE and old.mnt_group_id:
            pnode.hlist_add_head(mnt, old)
            mnt.mnt_master = old
        elif old.mnt_master is not None:
            pnode.hlist_add_behind(mnt, old)
            mnt.mnt_master = old.mnt_master
        return mnt

    def copy_tree(self, src_root: Mount, dentry: bytes, flag: int) -> Mount:
        """``copy_tree``: clone ``src_root`` at ``dentry`` and, depth first in ``mnt_mounts``
        order, every mount below it whose top-level ancestor sits under ``dentry``;
        unbindable subtrees are skipped (the root itself: ``EINVAL``)."""
        if not flag & pnode.CL_COPY_UNBINDABLE and src_root.mnt_flags & MNT_UNBINDABLE:
            raise OSError(errno.EINVAL, "copy_tree of an unbindable mount")
        res = self.clone_mnt(src_root, dentry, flag)
        copies = {src_root: res}
        for child in list(src_root.mnt_children):
            if not _is_under(child.mnt_mountpoint, dentry):
                continue
            walk = next_mnt(child)
            for src in walk:
                if not flag & pnode.CL_COPY_UNBINDABLE and src.mnt_flags & MNT_UNBINDABLE:
                    walk.skip_mnt_tree()
                    continue
                dst = self.clone_mnt(src, src.mnt_root, flag)
                if src.mnt_flags & MNT_LOCKED:
                    dst.mnt_flags |= MNT_LOCKED
                copies[src] = dst
                _tree_attach(dst, copies[src.mnt_parent], src.mnt_mountpoint)
        return res

    def commit_tree(self, mnt: Mount) -> None:
        """``commit_tree`` (6.18): every mount of the tree not yet in a namespace goes into
        this one (list tail and id tree, depth first), ``mnt`` becomes visible under its
        parent, and ``touch_mnt_namespace``."""
        if mnt.mnt_ns is None:
            walk = next_mnt(mnt)
            for m in walk:
                if m.mnt_ns is not None:
                    walk.skip_mnt_tree()
                    continue
                self._add_to_ns(m)
                if m is not mnt:
                    self._hash.setdefault((m.mnt_parent, m.mnt_mountpoint), []).append(m)
        self._hash_add(mnt)
        self.touch_mnt_namespace()

    def _add_to_ns(self, mnt: Mount) -> None:
        """``mnt_add_to_ns`` (and, for the 3.10-6.7 list, the tail of ``ns->list``)."""
        mnt.mnt_ns = self
        list_add_tail(mnt.mnt_list, self.list)
        bisect.insort(self._ids, mnt.mnt_id_unique)
        self._by_id[mnt.mnt_id_unique] = mnt

    def attach_recursive_mnt(self, source_mnt: Mount, dest_mnt: Mount, dest_mp: bytes) -> None:
        """``attach_recursive_mnt`` (6.18).  Under a shared ``dest_mnt`` every mount of the
        source tree gets a peer group (``invent_group_ids``), ``propagate_mnt`` makes a copy
        for each mount receiving propagation, and the source tree becomes shared.  The
        source is committed first, then the copies newest first (``tree_list`` is an hlist
        that ``propagate_one`` fills with ``hlist_add_head``, as in 6.1: on the 3.14-6.7
        ``ns->list`` this is the line order); a copy landing where a mount already sits
        slides under it (``mnt_change_mountpoint``)."""
        moving = source_mnt.mnt_parent is not source_mnt
        top = source_mnt
        while top.overmount is not None:
            top = top.overmount
        root_mp = top.mnt_root
        tree_list: list[Mount] = []
        if pnode.IS_MNT_SHARED(dest_mnt):
            self.invent_group_ids(source_mnt, True)
            pnode.propagate_mnt(self, dest_mnt, dest_mp, source_mnt, tree_list)
            for p in next_mnt(source_mnt):
                pnode.set_mnt_shared(p)
        if moving:
            self._hash_del(source_mnt)
            source_mnt.mnt_parent = source_mnt
        pnode.mnt_set_mountpoint(dest_mnt, dest_mp, source_mnt)
        for child in [source_mnt] + tree_list[::-1]:
            q = self._child_on(child.mnt_parent, child.mnt_mountpoint)
            if q is not None:
                r = child
                while r.overmount is not None:
                    r = r.overmount
                self.mnt_change_mountpoint(r, root_mp, q)
            ns_of(child.mnt_parent).commit_tree(child)

    def invent_group_ids(self, mnt: Mount, recurse: bool) -> None:
        """``invent_group_ids``: a fresh peer group for every mount (of the tree) without one."""
        for p in (next_mnt(mnt) if recurse else iter((mnt,))):
            if not p.mnt_group_id:
                pnode.mnt_alloc_group_id(self.kernel, p)

    def umount_tree(self, mnt: Mount, propagate: bool = True) -> list[Mount]:
        """``umount_tree()`` (6.18): ``mnt`` and its subtree (depth first), plus with
        ``UMOUNT_PROPAGATE`` what ``propagate_umount`` adds, leave their namespaces
        (``__touch_mnt_namespace`` for each), leave the propagation graph at once
        (``bulk_make_private``), are detached and freed -- but for a mount a task still
        holds (``mnt_pins``: a chroot into it): the last ``mntput`` frees it
        (``cleanup_mnt``: ``deactivate_super``, ``mnt_free_id``), so until then it keeps its
        object, its mnt_id and its superblock, and stays that task's root."""
        victims = list(next_mnt(mnt))
        for p in victims:
            p.mnt_flags |= MNT_UMOUNT
            if p.mnt_ns is not None:
                ns_of(p).move_from_ns(p)
        for p in victims:  # hide the mounts from mnt_mounts
            if p.mnt_parent is not p:
                p.mnt_parent.mnt_children.pop(p, None)
        if propagate:
            pnode.propagate_umount(victims)
        pnode.bulk_make_private(self.kernel, victims)
        for p in victims:
            ns = ns_of(p) if p.mnt_ns is not None else self
            ns._touch_mnt_namespace()
            if p.mnt_parent is not p:
                ns._hash_del(p)
                p.mnt_parent = p
            p.mnt_ns = None
        for p in victims:
            if p.mnt_pins:
                continue
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
        """``mount(source, target, fstype, ...)`` of a new filesystem (``do_new_mount`` ->
        ``do_add_mount`` -> ``graft_tree`` -> ``attach_recursive_mnt``: under a shared
        mount it gets a peer group and propagates).

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
            mnt = self.kernel.mnt_cache.alloc_vfsmnt(source, ids)
            sb.s_mounts += 1
            mnt.mnt_sb = sb
            mnt.mnt_root = mnt.mnt_mountpoint = root
            mnt.mnt_flags = flags & ~(MNT_INTERNAL_FLAGS | MNT_UNBINDABLE)
            self.attach_recursive_mnt(mnt, where.mnt, where.dentry)
            return mnt

    def bind(self, source: bytes, target: bytes, recursive: bool = False) -> Mount:
        """``mount --bind`` / ``--rbind`` (``do_loopback``: ``clone_mnt(old, dentry, 0)`` or
        ``copy_tree(old, dentry, CL_COPY_MNT_NS_FILE)``, then ``graft_tree``)."""
        with self._namespace_lock(f"bind({source!r}, {target!r})"):
            src = self.lookup(source)
            where = self.lookup(target)
            if src.mnt.mnt_flags & MNT_UNBINDABLE:
                raise OSError(errno.EINVAL, f"{source!r} is unbindable")
            if recursive:
                top = self.copy_tree(src.mnt, src.dentry, pnode.CL_COPY_MNT_NS_FILE)
            else:
                top = self.clone_mnt(src.mnt, src.dentry, 0)
            self.attach_recursive_mnt(top, where.mnt, where.dentry)
            return top

    def move(self, source: bytes, target: bytes) -> Mount:
        """``mount --move`` (``do_move_mount`` -> ``attach_recursive_mnt``): the tree keeps its
        list position and ids; under a shared target it propagates.  A mount whose parent
        is shared cannot move (``EINVAL``), nor a tree holding an unbindable mount onto a
        shared mount (``EINVAL``, asked before the move into its own subtree, ``ELOOP``:
        the order of ``do_move_mount``'s checks from 5.x to 6.18)."""
        with self._namespace_lock(f"move({source!r}, {target!r})"):
            mnt = self.find(source)
            if mnt is self.root.mnt:
                raise OSError(errno.EINVAL, "cannot move the root mount")
            if pnode.IS_MNT_SHARED(mnt.mnt_parent):
                raise OSError(errno.EINVAL, f"{source!r} sits on a shared mount")
            where = self.lookup(target)
            if pnode.IS_MNT_SHARED(where.mnt) and any(m.mnt_flags & MNT_UNBINDABLE for m in next_mnt(mnt)):
                raise OSError(errno.EINVAL, f"{source!r} holds an unbindable mount")
            if any(where.mnt is m for m in next_mnt(mnt)):
                raise OSError(errno.ELOOP, f"cannot move {source!r} under itself")
            self.attach_recursive_mnt(mnt, where.mnt, where.dentry)
            return mnt

    def umount(self, target: bytes | Mount, flags: int = 0, recursive: bool = False) -> list[Mount]:
        """``umount2(target, flags)`` (``do_umount``): ``event++`` then ``umount_tree`` with
        ``UMOUNT_PROPAGATE``.  ``MNT_DETACH`` takes the whole subtree (lazy); without it a
        mount with children is ``EBUSY`` (``propagate_mount_busy``).  ``recursive`` is
        ``umount -R`` as one step here."""
        name = target if isinstance(target, bytes) else repr(target)
        with self._namespace_lock(f"umount({name!r})"):
            mnt = self.find(target) if isinstance(target, bytes) else target
            if mnt.freed or mnt.mnt_ns is not self:
                raise OSError(errno.EINVAL, f"{target!r} is not mounted in this namespace")
            if mnt is self.root.mnt or mnt.mnt_parent is mnt:
                raise OSError(errno.EBUSY, "cannot unmount the root mount")
            if not (flags & MNT_DETACH or recursive) and pnode.propagate_mount_busy(mnt):
                raise OSError(errno.EBUSY, f"{name!r} has mounts under it")
            self.kernel.event += 1  # do_umount: event++
            return self.umount_tree(mnt)

    def remount(self, target: bytes, flags: int) -> Mount:
        """``mount -o remount,bind`` (``do_reconfigure_mnt``): new per-mount flags; bumps the event."""
        with self._namespace_lock(f"remount({target!r})"):
            mnt = self.find(target)
            keep = mnt.mnt_flags & (MNT_INTERNAL_FLAGS | MNT_UNBINDABLE)
            mnt.mnt_flags = keep | (flags & ~(MNT_INTERNAL_FLAGS | MNT_UNBINDABLE))
            self.touch_mnt_namespace()
            return mnt

    def change_type(self, target: bytes, kind: str, recursive: bool = False) -> Mount:
        """``mount --make-[r]{shared,slave,private,unbindable}`` (``do_change_type``:
        ``invent_group_ids`` for shared, then ``change_mnt_propagation`` on the mount or,
        with ``MS_REC``, on its subtree depth first); no event bump."""
        with self._namespace_lock(f"make-{kind}({target!r})"):
            mnt = self.find(target)
            if kind not in pnode.MS_TYPES:
                raise OSError(errno.EINVAL, f"unknown propagation type {kind!r}")
            type_ = pnode.MS_TYPES[kind]
            if type_ == pnode.MS_SHARED:
                self.invent_group_ids(mnt, recursive)
            for m in (list(next_mnt(mnt)) if recursive else [mnt]):
                pnode.change_mnt_propagation(self.kernel, m, type_)
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
