"""Namespace operations, the list walkers with a parked cursor, seek/pread/poll."""

from __future__ import annotations

import errno

import pytest

from mountcursor.kernel import MNT_DETACH, Kernel
from mountcursor.kernel.list import list_check
from mountcursor.kernel.seqfile import Pos
from mountcursor.kernel.procfs import POLLERR, POLLIN, POLLPRI, POLLRDNORM
from mountcursor.kernel.walkers import Livelock, is_local_mountpoint, mnt_already_visible, sync_collect_filesystems

from .conftest import make_ns, open_seq, read_all


def test_ids_are_lowest_free_and_unique_ids_only_grow() -> None:
    ns = make_ns(3)
    ids = [m.mnt_id for m in ns.mounts_in_list_order()]
    assert ids == [1, 2, 3, 4]
    m2 = ns.find(b"/m02")
    u2 = m2.mnt_id_unique
    ns.umount(b"/m02")
    new = ns.mount(b"/n1")
    assert new.mnt_id == 3 and new.mnt_id_unique > u2 + 0 and new is m2  # same slab object
    assert [m.mnt_id for m in ns.mounts_in_list_order()] == [1, 2, 4, 3]


def test_umount_busy_lazy_recursive_and_move() -> None:
    ns = make_ns(1)
    ns.mount(b"/m01/a")
    ns.mount(b"/m01/a/b")
    with pytest.raises(OSError) as e:
        ns.umount(b"/m01")
    assert e.value.errno == errno.EBUSY
    ns.move(b"/m01/a", b"/m01")  # move a (with b under it) on top of /m01's root: stacked
    assert ns.path_of(ns.find(b"/m01/b")) == b"/m01/b"
    gone = ns.umount(b"/m01", flags=MNT_DETACH)
    assert [ns.path_of(m) for m in ns.mounts_in_list_order()] == [b"/", b"/m01"]
    assert len(gone) == 2
    ns.umount(b"/m01", recursive=True)
    assert [ns.path_of(m) for m in ns.mounts_in_list_order()] == [b"/"]


def test_bind_shares_the_superblock() -> None:
    ns = make_ns(1)
    ns.mount(b"/m01/sub")
    b = ns.bind(b"/m01", b"/b", recursive=True)
    src = ns.find(b"/m01")
    assert b.mnt_sb is src.mnt_sb and b.mnt_root == b"/"
    assert ns.path_of(ns.find(b"/b/sub")) == b"/b/sub"


@pytest.mark.parametrize("strategy", ["cursor", "cursor-vz", "cursor-vz-fixed"])
def test_walkers_skip_a_parked_cursor(strategy: str) -> None:
    ns = make_ns(4)
    ns.bind(b"/m01", b"/b1")  # a second mount of m01's filesystem
    m = open_seq(ns, strategy, "modern")
    m.read(7)  # stops mid-list: the cursor is parked in the list
    assert len(ns.cursors()) == 1
    root_sb = ns.root.mnt.mnt_sb
    assert is_local_mountpoint(ns, root_sb, b"/m03")
    assert not is_local_mountpoint(ns, root_sb, b"/nothing")
    assert mnt_already_visible(ns, b"tmpfs")
    assert not mnt_already_visible(ns, b"proc")
    sbs = sync_collect_filesystems(ns)
    assert len(sbs) == 5  # "/", m01..m04; the bind shares m01's


def test_sync_collect_filesystems_faithful_livelocks_on_a_shared_superblock() -> None:
    """The seed's ``continue`` never advances: the first mount whose superblock was already
    collected (here the bind mount of m01) is visited forever."""
    ns = make_ns(2)
    ns.bind(b"/m01", b"/b1")
    with pytest.raises(Livelock) as e:
        sync_collect_filesystems(ns, faithful=True, budget=1000)
    assert e.value.steps == 1000 and e.value.at is ns.find(b"/b1")
    assert ns.kernel.namespace_sem.readers == 0  # released on the way out


def test_sync_collect_filesystems_faithful_is_fine_without_shared_superblocks() -> None:
    ns = make_ns(3)
    assert len(sync_collect_filesystems(ns, faithful=True, budget=100)) == 4


@pytest.mark.parametrize("strategy,semantics", [
    ("index", "legacy"), ("index", "modern"), ("cursor", "modern"), ("cursor-vz-fixed", "legacy"),
    ("cursor-vz-fixed", "modern"), ("idtree", "legacy"), ("idtree", "modern"),
])  # ("cursor", "legacy") repeats records: see test_seed_cases
def test_lseek_and_pread_replay_from_record_zero(strategy: str, semantics: str) -> None:
    ns = make_ns(6)
    whole = b"".join(read_all(open_seq(ns, strategy, semantics), 4096))
    m = open_seq(ns, strategy, semantics)
    for off in (0, 1, 4, 5, 6, 12, 29, len(whole) - 1):
        assert m.lseek(off) == off
        assert b"".join(read_all(m, 7)) == whole[off:], (off, m.calls[-6:])
    m2 = open_seq(ns, strategy, semantics)
    assert m2.read(5, Pos(12)) == whole[12:17]
    assert m2.f_pos == 0
    with pytest.raises(OSError):
        m2.lseek(0, 2)  # SEEK_END


def test_poll_reports_each_change_once() -> None:
    from mountcursor.kernel import open_proc

    ns = make_ns(2)
    f = open_proc(ns, "mountinfo")
    assert f.poll() == POLLIN | POLLRDNORM
    ns.mount(b"/x")
    assert f.poll() == POLLIN | POLLRDNORM | POLLERR | POLLPRI
    assert f.poll() == POLLIN | POLLRDNORM
    ns.change_type(b"/x", "shared")  # do_change_type does not bump the event
    assert f.poll() == POLLIN | POLLRDNORM
    ns.umount(b"/x")
    assert f.poll() & POLLPRI
    f.close()


@pytest.mark.parametrize("strategy", ["cursor", "cursor-vz", "cursor-vz-id", "cursor-vz-fixed"])
def test_cursor_leaves_the_list_at_eof_and_on_close(strategy: str) -> None:
    from mountcursor.kernel import open_proc

    ns = make_ns(40)
    f = open_proc(ns, "mounts", strategy=strategy, semantics="modern")
    f.read(100)
    assert ns.cursors() == [f.cursor]
    f.read_all(100)
    assert ns.cursors() == []
    g = open_proc(ns, "mounts", strategy=strategy, semantics="legacy")
    g.read(100)
    assert ns.cursors() == [g.cursor]
    g.close()
    assert ns.cursors() == []
    assert list_check(ns.list) == 41


def test_root_outside_gives_seq_skip_rootfs_hidden() -> None:
    ns = make_ns(2, rootfs=True)
    out = b"".join(read_all(open_seq(ns, "cursor", "modern"), 100))
    assert out == b"/...\nm01.\nm02.\n"  # rootfs (mnt_id 1) is outside the reader's root
    assert ns.mounts_in_list_order()[0].mnt_id == 1
    assert Kernel().create_namespace().mounts_in_list_order()[0].mnt_sb.s_type.name == b"rootfs"


def test_lookup_after_a_subtree_is_freed_and_its_objects_reused() -> None:
    """umount_tree unhashes every victim: the slab hands a freed parent to a new mount, which
    must not inherit the old children in the mount hash."""
    ns = make_ns(1)
    a = ns.mount(b"/m01/a")
    ns.mount(b"/m01/a/b")
    ns.umount(b"/m01", flags=MNT_DETACH)  # frees m01, a, b in that order
    again = ns.mount(b"/m01")
    assert again is not a and ns.mount(b"/m01/x") is a  # LIFO: b's object, then a's
    ns.umount(b"/m01/x")
    assert ns.lookup(b"/m01/a").mnt is again
    assert [ns.path_of(m) for m in ns.mounts_in_list_order()] == [b"/", b"/m01"]
    assert ns._hash == {(ns.root.mnt, b"/m01"): [again]}


def test_is_local_mountpoint_counts_a_root_mount_as_its_own_mount_point() -> None:
    """``__is_local_mountpoint`` compares ``mnt_mountpoint == dentry`` only (issue 17 item 8):
    a mount without a parent has its own root as ``mnt_mountpoint``, so the namespace's
    root mount makes ``/`` of its filesystem a local mount point even with nothing on it."""
    ns = Kernel().create_namespace(with_rootfs=False)
    root = ns.root.mnt
    assert root.mnt_parent is root and root.mnt_mountpoint == root.mnt_root == b"/"
    assert is_local_mountpoint(ns, root.mnt_sb, b"/")  # type: ignore[arg-type]
    other = ns.mount(b"/t")
    assert not is_local_mountpoint(ns, other.mnt_sb, b"/")  # type: ignore[arg-type]
    assert not is_local_mountpoint(ns, root.mnt_sb, b"/x")  # type: ignore[arg-type]
