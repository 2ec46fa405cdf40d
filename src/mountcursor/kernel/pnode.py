"""Mount propagation: peer groups, slaves, ``propagate_mnt`` and ``propagate_umount``.

Kernel: ``fs/pnode.c`` and ``fs/pnode.h`` of Linux 6.18 (after Al Viro's 2025
series: ``mnt_slave_list`` is an hlist, ``change_mnt_propagation`` picks
``next_peer`` as the new master, ``bulk_make_private`` takes the victims of an
umount out of the propagation graph at once, and ``propagate_umount`` is the
candidate/trim algorithm of ``Documentation/filesystems/propagate_umount.txt``).
Every function here has the name of the C function it follows.

Representation (no scheduler steps: these structures change only with
``namespace_sem`` held for write, and no reader of the proc files walks them):

* ``mnt_share`` is a :class:`~.list.ListHead` ring of peers, changed with the
  non-announcing ``_list_add`` / ``_list_del_init`` below;
* ``mnt_slave_list`` is a Python list in hlist order (``first`` is element 0),
  and ``mnt.mnt_slave`` is the mount whose ``mnt_slave_list`` holds ``mnt``
  (None: ``hlist_unhashed``), so ``mnt_slave.next`` is the element after it;
* ``T_MARKED`` / ``T_UMOUNT_CANDIDATE`` are bits of ``mnt_t_flags``; shared and
  unbindable stay ``MNT_SHARED`` / ``MNT_UNBINDABLE`` in ``mnt_flags``;
* ``IS_MNT_NEW(m)`` is "not in a namespace yet" (``mnt_ns`` None).

Byte-exact claims: tables that propagation shaped are 6.18's (checked against the
running kernel); older generations differ in parent ids, ids and line order (3.10-4.10
stack propagated copies as shadow mounts; 3.10's ``propagate_mnt`` commits copies oldest
first and allocates ids for copies it discards; ``do_make_slave``/``propagate_umount``
changed through 3.10-6.17), none of which the model plays.  ``get_dominating_id`` is
the same in every version.

The model has no reference counts, so ``propagate_mount_busy`` only sees
children (a mount nobody has open is never busy), and no user namespaces, so
nothing sets ``MNT_LOCKED`` except a test that wants to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .list import ListHead
from .mount import MNT_LOCKED, MNT_SHARED, MNT_UMOUNT, MNT_UNBINDABLE, T_MARKED, T_UMOUNT_CANDIDATE, Mount

if TYPE_CHECKING:
    from .namespace import Kernel, MountNamespace, Path

# fs/pnode.h
CL_EXPIRE = 0x01
CL_SLAVE = 0x02
CL_COPY_UNBINDABLE = 0x04
CL_MAKE_SHARED = 0x08
CL_PRIVATE = 0x10
CL_COPY_MNT_NS_FILE = 0x40

# include/uapi/linux/mount.h
MS_UNBINDABLE = 1 << 17
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_SHARED = 1 << 20
MS_TYPES = {"shared": MS_SHARED, "slave": MS_SLAVE, "private": MS_PRIVATE, "unbindable": MS_UNBINDABLE}


# --- list primitives that do not announce steps (see the module docstring) ----------------

def _list_add(new: ListHead, head: ListHead) -> None:
    """``list_add``: ``new`` right after ``head``."""
    nxt = head.next
    nxt.prev = new
    new.next = nxt
    new.prev = head
    head.next = new


def _list_del_init(entry: ListHead) -> None:
    entry.prev.next = entry.next
    entry.next.prev = entry.prev
    entry.next = entry.prev = entry


def _list_empty(head: ListHead) -> bool:
    return head.next is head


def hlist_add_head(m: Mount, master: Mount) -> None:
    master.mnt_slave_list.insert(0, m)
    m.mnt_slave = master


def hlist_add_behind(m: Mount, prev: Mount) -> None:
    """``hlist_add_behind(&m->mnt_slave, &prev->mnt_slave)``."""
    owner = prev.mnt_slave
    assert owner is not None
    lst = owner.mnt_slave_list
    lst.insert(lst.index(prev) + 1, m)
    m.mnt_slave = owner


def hlist_del_init(m: Mount) -> None:
    """``hlist_del_init(&m->mnt_slave)``."""
    if m.mnt_slave is not None:
        m.mnt_slave.mnt_slave_list.remove(m)
        m.mnt_slave = None


def _slave_next(m: Mount) -> Optional[Mount]:
    """The mount ``m->mnt_slave.next`` points into, or None (last on its hlist)."""
    owner = m.mnt_slave
    if owner is None:
        return None
    lst = owner.mnt_slave_list
    i = lst.index(m) + 1
    return lst[i] if i < len(lst) else None


# --- pnode.h -----------------------------------------------------------------------------

def IS_MNT_SHARED(m: Mount) -> bool:
    return bool(m.mnt_flags & MNT_SHARED)


def IS_MNT_NEW(m: Mount) -> bool:
    return m.mnt_ns is None


def IS_MNT_MARKED(m: Mount) -> bool:
    return bool(m.mnt_t_flags & T_MARKED)


def SET_MNT_MARK(m: Mount) -> None:
    m.mnt_t_flags |= T_MARKED


def CLEAR_MNT_MARK(m: Mount) -> None:
    m.mnt_t_flags &= ~T_MARKED


def set_mnt_shared(m: Mount) -> None:
    """``set_mnt_shared``: ``T_SHARED`` on, ``T_UNBINDABLE`` (in ``T_SHARED_MASK``) off."""
    m.mnt_flags = (m.mnt_flags & ~MNT_UNBINDABLE) | MNT_SHARED


def peers(m1: Mount, m2: Mount) -> bool:
    return m1.mnt_group_id == m2.mnt_group_id and m1.mnt_group_id != 0


def next_peer(p: Mount) -> Mount:
    return p.mnt_share.next.owner  # type: ignore[return-value]


def first_slave(p: Mount) -> Mount:
    return p.mnt_slave_list[0]


def next_slave(p: Mount) -> Mount:
    nxt = _slave_next(p)
    assert nxt is not None
    return nxt


def mnt_alloc_group_id(kernel: "Kernel", m: Mount) -> None:
    """``mnt_alloc_group_id`` (fs/namespace.c): the lowest free id of the global ``mnt_group_ida``."""
    m.mnt_group_id = kernel.group_ida.alloc()


def mnt_release_group_id(kernel: "Kernel", m: Mount) -> None:
    kernel.group_ida.free(m.mnt_group_id)
    m.mnt_group_id = 0


# --- show_mountinfo's propagate_from ------------------------------------------------------

def get_peer_under_root(mnt: Mount, ns: object, root: "Path") -> Optional[Mount]:
    """``get_peer_under_root`` (``fs/pnode.c``, v2.6.26 to v6.18): the first of ``mnt``'s
    peers, ``mnt`` itself first, that is in ``ns`` and whose root the reader's ``root``
    can reach."""
    from .namespace import is_path_reachable  # fs/pnode.c calls into fs/namespace.c

    m = mnt
    while True:
        if m.mnt_ns is ns and is_path_reachable(m, m.mnt_root, root):
            return m
        m = next_peer(m)
        if m is mnt:
            return None


def get_dominating_id(mnt: Mount, root: "Path") -> int:
    """``get_dominating_id`` (``fs/pnode.c``, v2.6.26 to v6.18): the group id of the
    nearest master group, going up ``mnt_master``, with a member under ``root`` in
    ``mnt``'s namespace; 0 if none.  ``show_mountinfo`` prints it as ``propagate_from:``
    when it is not the master's own group."""
    m = mnt.mnt_master
    while m is not None:
        d = get_peer_under_root(m, mnt.mnt_ns, root)
        if d is not None:
            return d.mnt_group_id
        m = m.mnt_master
    return 0


# --- make-shared/slave/private/unbindable ------------------------------------------------

def will_be_unmounted(m: Mount) -> bool:
    return bool(m.mnt_flags & MNT_UMOUNT)


def transfer_propagation(mnt: Mount, to: Optional[Mount]) -> None:
    """``transfer_propagation``: ``mnt``'s slaves become ``to``'s, in front of its own."""
    moved = mnt.mnt_slave_list
    for m in moved:
        m.mnt_master = to
        m.mnt_slave = to
    mnt.mnt_slave_list = []
    if to is not None:
        to.mnt_slave_list[0:0] = moved


def change_mnt_propagation(kernel: "Kernel", mnt: Mount, type_: int) -> None:
    """``change_mnt_propagation`` (6.18): a shared mount with peers hands its slaves to
    ``next_peer`` (and, made a slave, becomes that peer's slave); one without peers
    gives up its group id and its slaves go to its own master, or become private."""
    m = mnt.mnt_master
    if type_ == MS_SHARED:
        set_mnt_shared(mnt)
        return
    if IS_MNT_SHARED(mnt):
        if _list_empty(mnt.mnt_share):
            mnt_release_group_id(kernel, mnt)
        else:
            m = next_peer(mnt)
            _list_del_init(mnt.mnt_share)
            mnt.mnt_group_id = 0
        mnt.mnt_flags &= ~MNT_SHARED
        transfer_propagation(mnt, m)
    hlist_del_init(mnt)
    if type_ == MS_SLAVE:
        mnt.mnt_master = m
        if m is not None:
            hlist_add_head(mnt, m)
    else:
        mnt.mnt_master = None
        if type_ == MS_UNBINDABLE:
            mnt.mnt_flags |= MNT_UNBINDABLE
        else:
            mnt.mnt_flags &= ~MNT_UNBINDABLE


def trace_transfers(kernel: "Kernel", m: Mount) -> Optional[Mount]:
    """``trace_transfers``: take ``m`` (and the victims it leads to) out of the graph;
    return where ``m``'s slaves end up.  ``mnt_master`` is borrowed as the chain."""
    while True:
        nxt: Optional[Mount] = next_peer(m)
        if nxt is not m:
            _list_del_init(m.mnt_share)
            m.mnt_group_id = 0
            m.mnt_master = nxt
        else:
            if IS_MNT_SHARED(m):
                mnt_release_group_id(kernel, m)
            nxt = m.mnt_master
        hlist_del_init(m)
        m.mnt_flags &= ~MNT_SHARED
        SET_MNT_MARK(m)
        if nxt is None or not will_be_unmounted(nxt):
            return nxt
        if IS_MNT_MARKED(nxt):
            return nxt.mnt_master
        m = nxt


def set_destinations(m: Mount, master: Optional[Mount]) -> None:
    while True:
        nxt = m.mnt_master
        if nxt is master:
            return
        m.mnt_master = master
        assert nxt is not None
        m = nxt


def bulk_make_private(kernel: "Kernel", victims: list[Mount]) -> None:
    """``bulk_make_private`` (6.18 ``umount_tree``): every victim leaves the propagation
    graph; surviving slaves of a victim move to the nearest surviving source."""
    for m in victims:
        if not IS_MNT_MARKED(m):
            set_destinations(m, trace_transfers(kernel, m))
    for m in victims:
        transfer_propagation(m, m.mnt_master)
        m.mnt_master = None
        CLEAR_MNT_MARK(m)


# --- walking the propagation graph -------------------------------------------------------

def __propagation_next(m: Mount, origin: Mount) -> Optional[Mount]:
    while True:
        master = m.mnt_master
        if master is origin.mnt_master:
            nxt = next_peer(m)
            return None if nxt is origin else nxt
        if _slave_next(m) is not None:
            return next_slave(m)
        assert master is not None
        m = master  # back at master


def propagation_next(m: Mount, origin: Mount) -> Optional[Mount]:
    """``propagation_next``: the next mount in the propagation tree of ``origin``."""
    if not IS_MNT_NEW(m) and m.mnt_slave_list:
        return first_slave(m)
    return __propagation_next(m, origin)


def skip_propagation_subtree(m: Mount, origin: Mount) -> Optional[Mount]:
    p = __propagation_next(m, origin)
    while p is not None and peers(m, p):
        p = __propagation_next(p, origin)
    return p


def next_group(m: Mount, origin: Mount) -> Optional[Mount]:
    """``next_group``: the first mount of the next peer group, depth first."""
    while True:
        while True:
            if not IS_MNT_NEW(m) and m.mnt_slave_list:
                return first_slave(m)
            nxt = next_peer(m)
            if m.mnt_group_id == origin.mnt_group_id:
                if nxt is origin:
                    return None
            elif _slave_next(m) is not nxt:
                break
            m = nxt
        # m is the last peer
        while True:
            master = m.mnt_master
            assert master is not None
            if _slave_next(m) is not None:
                return next_slave(m)
            m = next_peer(master)
            if master.mnt_group_id == origin.mnt_group_id:
                break
            if _slave_next(master) is m:
                break
            m = master
        if m is origin:
            return None


def _is_subdir(dentry: bytes, root: bytes) -> bool:
    return root == b"/" or dentry == root or dentry.startswith(root.rstrip(b"/") + b"/")


def need_secondary(m: Mount, dest_mp: bytes) -> bool:
    if IS_MNT_NEW(m):  # skip ones added by this propagate_mnt()
        return False
    return _is_subdir(dest_mp, m.mnt_root)  # the mount point is visible in m


def find_master(m: Mount, last_copy: Mount, original: Mount) -> Mount:
    # ascend until there's a copy for something with the same master
    while True:
        p = m.mnt_master
        if p is None or IS_MNT_MARKED(p):
            break
        m = p
    while not peers(last_copy, original):
        parent = last_copy.mnt_parent
        if parent.mnt_master is p:
            if not peers(parent, m):
                last_copy = last_copy.mnt_master  # type: ignore[assignment]
            break
        last_copy = last_copy.mnt_master  # type: ignore[assignment]
    return last_copy


def propagate_mnt(ns: "MountNamespace", dest_mnt: Mount, dest_mp: bytes, source_mnt: Mount,
                  tree_list: list[Mount]) -> None:
    """``propagate_mnt``: a copy of the tree ``source_mnt`` for every mount that receives
    propagation from ``dest_mnt`` (peers get ``CL_MAKE_SHARED`` copies, slaves
    ``CL_SLAVE`` ones), each set on ``dest_mp`` of its mount; the copies go on
    ``tree_list`` in creation order (the kernel's hlist holds them newest first)."""
    if dest_mnt.mnt_master is not None:
        SET_MNT_MARK(dest_mnt.mnt_master)
    copy = source_mnt
    m: Optional[Mount] = dest_mnt
    while m is not None:  # iterate over peer groups, depth first
        if m is dest_mnt:
            copy = source_mnt
            type_ = CL_MAKE_SHARED
            n = next_peer(m)
            if n is m:
                m = next_group(m, dest_mnt)
                continue
        else:
            type_ = CL_SLAVE
            if IS_MNT_SHARED(m):  # beginning of peer group among the slaves?
                type_ |= CL_MAKE_SHARED
            n = m
        while True:
            if need_secondary(n, dest_mp):
                if type_ & CL_SLAVE:  # first in this peer group
                    copy = find_master(n, copy, source_mnt)
                this = ns.copy_tree(copy, copy.mnt_root, type_)
                mnt_set_mountpoint(n, dest_mp, this)
                if n.mnt_master is not None:
                    SET_MNT_MARK(n.mnt_master)
                copy = this
                tree_list.append(this)
                type_ = CL_MAKE_SHARED
            n = next_peer(n)
            if n is m:
                break
        m = next_group(m, dest_mnt)
    for n in tree_list:
        if n.mnt_parent.mnt_master is not None:
            CLEAR_MNT_MARK(n.mnt_parent.mnt_master)
    if dest_mnt.mnt_master is not None:
        CLEAR_MNT_MARK(dest_mnt.mnt_master)


def mnt_set_mountpoint(parent: Mount, mp: bytes, child: Mount) -> None:
    """``mnt_set_mountpoint``: ``child`` will sit on ``mp`` of ``parent`` (not hashed yet)."""
    child.mnt_mountpoint = mp
    child.mnt_parent = parent


# --- umount ------------------------------------------------------------------------------

def propagate_mount_busy(mnt: Mount) -> bool:
    """``propagate_mount_busy(mnt, 2)`` (6.18 ``fs/pnode.c``): busy if ``mnt`` has children or
    a reference beyond the tree's (``do_refcount_check``: a task's root or cwd in it,
    ``Mount.mnt_pins``), or if one of the copies the umount would propagate to -- the mount
    at the same mount point on each mount ``mnt``'s parent propagates to, with no children
    but maybe one covering it whole (``overmount``) -- has such a reference.  A copy with
    other children is left alone, so it cannot be busy."""
    if mnt.mnt_children or mnt.mnt_pins:
        return True
    parent = mnt.mnt_parent
    if parent is mnt:
        return False
    m = propagation_next(parent, parent)
    while m is not None:
        child = _lookup(m, mnt.mnt_mountpoint)
        if child is not None and (not child.mnt_children or
                                  (len(child.mnt_children) == 1 and child.overmount is not None)):
            if child.mnt_pins:
                return True
        m = propagation_next(m, parent)
    return False


def is_candidate(m: Mount) -> bool:
    return bool(m.mnt_t_flags & T_UMOUNT_CANDIDATE)


def _ns(m: Mount) -> "MountNamespace":
    from .namespace import ns_of  # fs/pnode.c calls into fs/namespace.c

    return ns_of(m)


def _lookup(m: Mount, dentry: bytes) -> Optional[Mount]:
    """``__lookup_mnt(&m->mnt, dentry)``."""
    return _ns(m)._child_on(m, dentry) if m.mnt_ns is not None else None


def umount_one(m: Mount, to_umount: list[Mount]) -> None:
    m.mnt_flags |= MNT_UMOUNT
    if m.mnt_parent is not m:
        m.mnt_parent.mnt_children.pop(m, None)  # list_del_init(&m->mnt_child)
    _ns(m).move_from_ns(m)
    to_umount.append(m)


def remove_from_candidate_list(m: Mount, candidates: list[Mount]) -> None:
    m.mnt_t_flags &= ~(T_MARKED | T_UMOUNT_CANDIDATE)
    candidates.remove(m)


def gather_candidates(victims: list[Mount], candidates: list[Mount]) -> None:
    for m in victims:
        if is_candidate(m):
            continue
        m.mnt_t_flags |= T_UMOUNT_CANDIDATE
        p = m.mnt_parent
        q = propagation_next(p, p)
        while q is not None:
            child = _lookup(q, m.mnt_mountpoint)
            if child is not None:
                # already seen on an earlier pass: nothing new below q either
                if is_candidate(child):
                    q = skip_propagation_subtree(q, p)
                    continue
                child.mnt_t_flags |= T_UMOUNT_CANDIDATE
                if not will_be_unmounted(child):
                    candidates.insert(0, child)  # list_add
            q = propagation_next(q, p)
    for m in victims:
        m.mnt_t_flags &= ~T_UMOUNT_CANDIDATE


def trim_ancestors(m: Mount) -> None:
    p = m.mnt_parent
    while is_candidate(p):
        if IS_MNT_MARKED(m):  # all candidates beneath are overmounts
            return
        SET_MNT_MARK(m)
        if m is not p.overmount:
            p.mnt_t_flags &= ~T_UMOUNT_CANDIDATE
        m, p = p, p.mnt_parent


def trim_one(m: Mount, candidates: list[Mount], to_umount: list[Mount]) -> None:
    remove_this = found = umount_this = False
    if not is_candidate(m):  # trim_ancestors() left it on list
        remove_from_candidate_list(m, candidates)
        return
    for n in m.mnt_children:
        if not is_candidate(n):
            found = True
            if n is not m.overmount:
                remove_this = True
                break
    if found:
        trim_ancestors(m)
    elif not m.mnt_flags & MNT_LOCKED and not m.mnt_children:
        remove_this = umount_this = True
    if remove_this:
        remove_from_candidate_list(m, candidates)
        if umount_this:
            umount_one(m, to_umount)


def handle_locked(m: Mount, candidates: list[Mount], to_umount: list[Mount]) -> None:
    cutoff = m
    if not is_candidate(m):  # trim_ancestors() left it on list
        remove_from_candidate_list(m, candidates)
        return
    p = m
    while is_candidate(p):
        remove_from_candidate_list(p, candidates)
        if not p.mnt_flags & MNT_LOCKED:
            cutoff = p.mnt_parent
        p = p.mnt_parent
    if will_be_unmounted(p):
        cutoff = p
    while m is not cutoff:
        umount_one(m, to_umount)
        m = m.mnt_parent


def reparent(m: Mount) -> None:
    """``reparent``: ``m`` stays, the stack under it goes: slide ``m`` down to where the
    bottom of the stack is attached."""
    p = m
    while True:
        mp = p.mnt_mountpoint
        p = p.mnt_parent
        if not will_be_unmounted(p):
            break
    _ns(p).mnt_change_mountpoint(p, mp, m)


def propagate_umount(victims: list[Mount]) -> None:
    """``propagate_umount``: add to ``victims`` every mount that receives propagation of
    their unmount and can go (no surviving children but an overmount, not locked); an
    overmount of one of those that survives (not ``will_be_unmounted``: an overmount that
    is a victim or a candidate itself goes too) slides down to where the stack was."""
    to_umount: list[Mount] = []
    candidates: list[Mount] = []
    gather_candidates(victims, candidates)
    for m in list(candidates):  # reduce the set until it's non-shifting
        trim_one(m, candidates, to_umount)
    while candidates:  # ... and non-revealing
        handle_locked(candidates[0], candidates, to_umount)
    for m in to_umount:  # reparent the surviving overmounts on those
        over = m.overmount
        if over is not None and not will_be_unmounted(over):
            reparent(over)
    victims.extend(to_umount)
