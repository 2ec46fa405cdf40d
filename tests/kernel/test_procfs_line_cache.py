"""show_mountinfo's per-mount line cache: every change to what a line shows is seen,
and the verifier's scheduler never sees a cached line.

The reference is the uncached rendering (``mountinfo_record`` + ``render_mountinfo`` of
each mount in ``mnt_id_unique`` order, the order ``idtree`` reads), computed after every change and compared byte for byte with
what a fresh reader of the (warm) file gets.
"""

from __future__ import annotations

import errno
from typing import Callable

import pytest

from mountcursor.format import render_mountinfo
from mountcursor.kernel import hooks, open_proc
from mountcursor.kernel.mount import MNT_NOEXEC, MNT_READONLY
from mountcursor.kernel.namespace import Kernel, MountNamespace
from mountcursor.kernel.procfs import mountinfo_record


def _uncached(ns: MountNamespace) -> bytes:
    out = []
    for m in ns.mounts_by_id():
        rec = mountinfo_record(ns, m, ns.root)
        if rec is not None:
            out.append(render_mountinfo(rec))
    return b"".join(out)


def _read(ns: MountNamespace, size: int = 4096) -> bytes:
    with open_proc(ns, "mountinfo", strategy="idtree", semantics="modern") as f:
        return f.read_all(size)


def _ns() -> MountNamespace:
    ns = Kernel().create_namespace()
    for p in (b"/a", b"/a/b", b"/a/b/c", b"/d", b"/e", b"/f"):
        ns.mount(p)
    ns.change_type(b"/e", "shared")
    ns.bind(b"/e", b"/f/peer")
    ns.bind(b"/e", b"/f/slave")
    ns.change_type(b"/f/slave", "slave")
    return ns


def _master_group(ns: MountNamespace) -> None:
    """A raw write of the master's peer group id (no syscall renumbers a group): the slave
    prints it as ``master:``."""
    slave = ns.find(b"/f/slave")
    master = slave.mnt_master
    if master is None:
        raise OSError(errno.EINVAL, "/f/slave is no longer a slave")
    assert slave in master.mnt_slave_list
    master.mnt_group_id = 42


def _sb_options(ns: MountNamespace) -> None:
    ns.find(b"/d").mnt_sb.options += b",size=1024k"  # type: ignore[union-attr]


def _sb_readonly(ns: MountNamespace) -> None:
    sb = ns.find(b"/e").mnt_sb
    assert sb is not None
    sb.s_flags |= 1  # SB_RDONLY: every mount of the superblock (the peer, the slave) prints ro


CHANGES: dict[str, Callable[[MountNamespace], object]] = {
    "move a subtree (paths below change)": lambda ns: ns.move(b"/a", b"/d/x"),
    "umount and mount (ids reused)": lambda ns: (ns.umount(b"/a/b/c"), ns.mount(b"/a/b/c2")),
    "lazy umount of a subtree": lambda ns: ns.umount(b"/a", flags=2),
    "remount flags": lambda ns: ns.remount(b"/d", MNT_READONLY | MNT_NOEXEC),
    "superblock options": _sb_options,
    "superblock read-only": _sb_readonly,
    "make-shared (no event)": lambda ns: ns.change_type(b"/a/b", "shared"),
    "make-private of the master (the slave's master changes)": lambda ns: ns.change_type(b"/e", "private"),
    "make-slave of the peer": lambda ns: ns.change_type(b"/f/peer", "slave"),
    "make-unbindable": lambda ns: ns.change_type(b"/d", "unbindable"),
    "the master's group id": _master_group,
    "bind a shared mount (propagation)": lambda ns: ns.bind(b"/d", b"/e/sub"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_warm_table_shows_every_change(change: str) -> None:
    ns = _ns()
    before = _read(ns)
    assert before == _uncached(ns)
    assert all(m.shown is not None for m in ns.mounts_in_list_order() if m is not ns.root.mnt.mnt_parent)
    CHANGES[change](ns)
    after = _uncached(ns)
    assert after != before
    assert _read(ns) == after
    assert _read(ns, 7) == after  # again, warm, and split across reads


def test_every_change_in_a_row() -> None:
    ns = _ns()
    for change in CHANGES.values():
        _read(ns)
        try:
            change(ns)
        except OSError:
            continue  # a change the earlier ones made impossible (its mount is gone)
        assert _read(ns) == _uncached(ns)


class _Inert:
    """A scheduler that never switches: enough to make ``hooks.active`` not None."""

    def step(self, kind: str, detail: str) -> None:
        pass

    def block_until(self, ready: Callable[[], bool], why: str) -> None:
        assert ready(), why

    def current(self) -> int:
        return 0


def test_under_a_scheduler_nothing_is_cached() -> None:
    """The verifier explores the uncached path: under a scheduler no line is read from or
    written to the cache, even when a stale one is there."""
    ns = _ns()
    expected = _uncached(ns)
    mounts = ns.mounts_in_list_order()
    for m in mounts:
        m.shown = None
    d = ns.find(b"/d")
    hooks.install(_Inert(), frozenset())
    try:
        assert _read(ns) == expected
        assert all(m.shown is None for m in mounts)
    finally:
        hooks.install(None)
    _read(ns)
    object.__setattr__(d, "shown", d.shown[:-1] + (b"stale\n",))  # type: ignore[index]  # a wrongly kept line
    hooks.install(_Inert(), frozenset())
    try:
        assert _read(ns) == expected
    finally:
        hooks.install(None)
    assert b"stale\n" in _read(ns)  # and outside the scheduler the cache is what is used
