"""The ``mounts_op`` iteration strategies (``m_start``/``m_next``/``m_stop``/``m_show``).

Each class reads beside one version of ``fs/namespace.c`` (``CONFIG_PROC_FS``
section) and ``struct proc_mounts`` in ``fs/mount.h``:

========================  ==========================================================
``index``                 pre-5.8 (5.7): the position is a record index into
                          ``ns->list``, with the ``cached_event``/``cached_index``
                          shortcut; ``seq_list_start``/``seq_list_next``.
``cursor``                mainline 9f6c61f96f2d (5.8 to 6.7): a cursor per open
                          file, parked in ``m_stop`` before the record ``stop`` got.
``cursor-vz``             the seed: the cursor patch backported to the RHEL7 3.10
                          seq_file, with ``last_pos``/``last_mntpos``.
``cursor-vz-id``          the seed plus the reviewers' idea: compare the mount id
                          as well as the pointer (pointer reuse).
``cursor-vz-fixed``       the seed with ``last_pos`` also recorded by ``m_start``
                          (see :class:`CursorVzFixed`).
``idtree-6.8``            2eea9ce4310d (6.8): mounts ordered by 64-bit unique id,
                          the position is an id; repeats the last mount under churn.
``idtree``                the same with 4a403d7aa907 (2026): ``*pos`` always equals
                          the id of the mount start/next returned.
========================  ==========================================================

Iterators return :class:`~mountcursor.kernel.mount.Mount` objects (the kernel
returns ``&mnt->mnt_list`` or the mount; ``list_entry`` is the identity here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional

from .list import ListHead, list_del, list_del_init, list_empty, list_for_each, list_move_tail
from .mount import Mount, make_cursor
from .namespace import MountNamespace, Path
from .seqfile import Pos, SeqFile

if TYPE_CHECKING:  # procfs imports this module
    from ..format import Era
    from .procfs import DPath

ShowFn = Callable[[SeqFile, "ProcMounts", Mount], int]

_cursor_names = iter(range(1, 1 << 62))


@dataclass(eq=False)
class ProcMounts:
    """``struct proc_mounts`` (the union of its fields over the versions modelled)."""

    ns: MountNamespace
    root: Path
    show: ShowFn
    era: Era = "current"  # the proc format era
    d_path: DPath = "5.14+"  # fs/d_path.c's generation
    # not struct proc_mounts: current->fs->root of the task that reads (None: the one whose
    # file was opened, root); 3.10's seq_path() prints paths from it
    reader_root: Optional[Path] = None
    cursor: Mount = field(default_factory=lambda: make_cursor(f"cursor{next(_cursor_names)}"))
    # the seed (cursor-vz*)
    last_mntpos: Optional[Mount] = None
    last_mnt_id: int = 0
    last_pos: int = 0
    # pre-5.8 cache (index)
    cached_mount: Optional[Mount] = None
    cached_event: int = ~0
    cached_index: int = 0


class MountsOp:
    """Common parts: ``m_show`` and ``release``; ``namespace_sem`` held from start to stop."""

    name = "?"
    uses_cursor = False
    #: the open file's ``struct proc_mounts`` comes from ``kmalloc`` (RHEL7 3.10), not
    #: ``seq_open_private``'s kzalloc: the cursor's other fields are uninitialised
    kmalloc_cursor = False

    def start(self, m: SeqFile, pos: Pos) -> Optional[Mount]:
        raise NotImplementedError

    def next(self, m: SeqFile, v: object, pos: Pos) -> Optional[Mount]:
        raise NotImplementedError

    def stop(self, m: SeqFile, v: Optional[object]) -> None:
        p: ProcMounts = m.private  # type: ignore[assignment]
        p.ns.kernel.namespace_sem.up_read()

    def show(self, m: SeqFile, v: object) -> int:
        """``m_show``: ``p->show(m, &r->mnt)``."""
        p: ProcMounts = m.private  # type: ignore[assignment]
        return p.show(m, p, v)  # type: ignore[arg-type]

    def release(self, p: ProcMounts) -> None:
        """What ``mounts_release`` does for the iterator (nothing before the cursor patch)."""


# ---------------------------------------------------------------------------------------------
# pre-5.8: the position is an index


def seq_list_start(ns: MountNamespace, head: ListHead, pos: int) -> Optional[Mount]:
    """``seq_list_start()``: the ``pos``-th entry of the list, or NULL."""
    for lh in list_for_each(head):
        ns.hops += 1
        if pos == 0:
            return lh.owner  # type: ignore[return-value]
        pos -= 1
    return None


def seq_list_next(ns: MountNamespace, v: Mount, head: ListHead, ppos: Pos) -> Optional[Mount]:
    """``seq_list_next()``: ``++*ppos`` and the entry after ``v``, or NULL at the head."""
    lh = v.mnt_list.next
    ppos.value += 1
    ns.hops += 1
    return None if lh is head else lh.owner  # type: ignore[return-value]


class IndexOp(MountsOp):
    """``index``: 5.7's ``m_start``/``m_next`` (record index + ``cached_event`` shortcut)."""

    name = "index"

    def start(self, m: SeqFile, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        p.ns.kernel.namespace_sem.down_read()
        if p.cached_event == p.ns.event:
            v = p.cached_mount
            if pos.value == p.cached_index:
                return v
            if pos.value == p.cached_index + 1:
                if v is None:
                    raise RuntimeError("index: m_start would dereference a NULL cached_mount")
                ci = Pos(p.cached_index)
                v = seq_list_next(p.ns, v, p.ns.list, ci)
                p.cached_index = ci.value
                p.cached_mount = v
                return v
        p.cached_event = p.ns.event
        p.cached_mount = seq_list_start(p.ns, p.ns.list, pos.value)
        p.cached_index = pos.value
        return p.cached_mount

    def next(self, m: SeqFile, v: object, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        p.cached_mount = seq_list_next(p.ns, v, p.ns.list, pos)  # type: ignore[arg-type]
        p.cached_index = pos.value
        return p.cached_mount


# ---------------------------------------------------------------------------------------------
# 5.8: the cursor


class CursorOp(MountsOp):
    """``cursor``: mainline 9f6c61f96f2d (5.8 to 6.7)."""

    name = "cursor"
    uses_cursor = True

    def start(self, m: SeqFile, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        p.ns.kernel.namespace_sem.down_read()
        if not pos.value:
            prev = p.ns.list
        else:
            prev = p.cursor.mnt_list
            if list_empty(prev):  # read after we'd reached the end?
                return None
        return p.ns.mnt_list_next(prev)

    def next(self, m: SeqFile, v: object, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        pos.value += 1
        return p.ns.mnt_list_next(v.mnt_list)  # type: ignore[attr-defined]

    def stop(self, m: SeqFile, v: Optional[object]) -> None:
        p: ProcMounts = m.private  # type: ignore[assignment]
        p.ns.lock_ns_list()
        if v is not None:
            list_move_tail(p.cursor.mnt_list, v.mnt_list)  # type: ignore[attr-defined]  # cursor just before v
        else:
            list_del_init(p.cursor.mnt_list)  # EOF: off the list
        p.ns.unlock_ns_list()
        p.ns.kernel.namespace_sem.up_read()

    def release(self, p: ProcMounts) -> None:
        """``mnt_cursor_del()`` from ``mounts_release()``."""
        sem = p.ns.kernel.namespace_sem
        sem.down_read()
        p.ns.lock_ns_list()
        list_del(p.cursor.mnt_list)
        p.ns.unlock_ns_list()
        sem.up_read()


class CursorVzOp(CursorOp):
    """``cursor-vz``: the seed (RH7 v2).  ``m_start`` detects that the old seq_read advanced
    the index itself (``*pos == last_pos + 1``) and, unless the mount the cursor sits in
    front of was unmounted (``last_mntpos != mnt``), steps over that mount, which the
    previous read already showed.  ``last_pos`` is only written by ``m_next``."""

    name = "cursor-vz"
    record_pos_in_start = False  # the seed; True is cursor-vz-fixed
    kmalloc_cursor = True  # RHEL7's mounts_open_common kmallocs struct proc_mounts

    def _same(self, p: ProcMounts, mnt: Mount) -> bool:
        """The seed's ``!(p->last_mntpos && (p->last_mntpos != mnt))``."""
        return not (p.last_mntpos is not None and p.last_mntpos is not mnt)

    def _remember(self, p: ProcMounts, mnt: Optional[Mount]) -> None:
        p.last_mntpos = mnt
        p.last_mnt_id = mnt.mnt_id if mnt is not None else 0

    def start(self, m: SeqFile, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        p.ns.kernel.namespace_sem.down_read()
        if not pos.value:
            prev = p.ns.list
        else:
            prev = p.cursor.mnt_list
            if list_empty(prev):
                return None
        mnt = p.ns.mnt_list_next(prev)
        if mnt is not None and pos.value == p.last_pos + 1 and self._same(p, mnt):
            mnt = p.ns.mnt_list_next(mnt.mnt_list)
        self._remember(p, mnt)
        if self.record_pos_in_start:
            p.last_pos = pos.value
        return mnt

    def next(self, m: SeqFile, v: object, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        pos.value += 1
        p.last_pos = pos.value
        mnt = p.ns.mnt_list_next(v.mnt_list)  # type: ignore[attr-defined]
        self._remember(p, mnt)
        return mnt


class CursorVzIdOp(CursorVzOp):
    """``cursor-vz-id``: the seed plus the reviewers' suggestion: the mount in front of the
    cursor counts as "the same" only if both the pointer and ``mnt_id`` match."""

    name = "cursor-vz-id"

    def _same(self, p: ProcMounts, mnt: Mount) -> bool:
        return not (p.last_mntpos is not None and (p.last_mntpos is not mnt or p.last_mnt_id != mnt.mnt_id))


class CursorVzFixed(CursorVzOp):
    """``cursor-vz-fixed``: the seed with one line added to ``m_start``::

            p->last_mntpos = mnt;
        +   p->last_pos = *pos;
            return mnt;

    The seed's test ``*pos == p->last_pos + 1`` means "the 3.10 seq_read advanced
    past the mount it showed last, without calling ->next".  That mount may have
    been returned by ``m_start`` as well as by ``m_next``, but the seed records
    its index only in ``m_next``.  So when two consecutive records both come from
    ``m_start`` — every record longer than what is left of a read (a user buffer
    of 1 byte, or of 1024 bytes as stdio asks, under a long overlay line), or a
    record that overflows the page and is retried — ``last_pos`` lags, the test
    fails, and the mount the previous read already finished is returned again:
    shown twice, and with reads shorter than a record, forever.  The overflow
    retry is worse: ``m_start`` steps over the mount it is about to show, which
    is then missed.  Recording ``*pos`` in ``m_start`` makes ``last_pos`` always
    the index of ``last_mntpos``, which is what the test assumes.
    """

    name = "cursor-vz-fixed"
    record_pos_in_start = True


# ---------------------------------------------------------------------------------------------
# 6.8+: id-ordered


class IdTree68Op(MountsOp):
    """``idtree-6.8``: 2eea9ce4310d.  ``m_start`` = ``mnt_find_id_at(ns, *pos)`` without
    syncing ``*pos``; ``m_next`` does ``++*pos`` and then ``*pos = next id`` if any."""

    name = "idtree-6.8"

    def start(self, m: SeqFile, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        p.ns.kernel.namespace_sem.down_read()
        return p.ns.mnt_find_id_at(pos.value)

    def next(self, m: SeqFile, v: object, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        nxt = p.ns.rb_next(v)  # type: ignore[arg-type]
        pos.value += 1
        if nxt is not None:
            pos.value = nxt.mnt_id_unique
        return nxt


class IdTreeOp(MountsOp):
    """``idtree``: 6.8 with 4a403d7aa907 ("namespace: fix proc mount iteration", 2026):
    ``*pos`` always equals the id of the mount start/next returned; at the end
    ``*pos = last id + 1`` so a restart finds nothing (or the mounts added since)."""

    name = "idtree"

    def start(self, m: SeqFile, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        p.ns.kernel.namespace_sem.down_read()
        mnt = p.ns.mnt_find_id_at(pos.value)
        if mnt is not None:
            pos.value = mnt.mnt_id_unique
        return mnt

    def next(self, m: SeqFile, v: object, pos: Pos) -> Optional[Mount]:
        p: ProcMounts = m.private  # type: ignore[assignment]
        nxt = p.ns.rb_next(v)  # type: ignore[arg-type]
        if nxt is not None:
            pos.value = nxt.mnt_id_unique
            return nxt
        pos.value = v.mnt_id_unique + 1  # type: ignore[attr-defined]
        return None


STRATEGIES: dict[str, type[MountsOp]] = {
    cls.name: cls
    for cls in (IndexOp, CursorOp, CursorVzOp, CursorVzIdOp, CursorVzFixed, IdTree68Op, IdTreeOp)
}


def strategy(name: str) -> MountsOp:
    """A fresh ``mounts_op`` by name; a clear error for an unknown one."""
    try:
        return STRATEGIES[name]()
    except KeyError:
        raise ValueError(f"unknown strategy {name!r} (one of {', '.join(STRATEGIES)})") from None
