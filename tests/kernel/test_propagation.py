"""Propagation as Linux 6.18 does it (fs/pnode.c, attach_recursive_mnt, umount_tree).

Every expected table here is what the running kernel (6.18) printed for the same
operations in a private mount namespace, with its ids replaced by the model's: the
model numbers mounts from its own IDA (lowest free, like the kernel's), so only the
offset differs.  ``tests/oracle/test_propagation_oracle.py`` replays these operations
on the kernel itself and compares the bytes.
"""

from __future__ import annotations

import errno

import pytest

from mountcursor.kernel import open_proc
from mountcursor.kernel.mount import MNT_LOCK_READONLY, MNT_LOCKED, MNT_READONLY, SB_RDONLY
from mountcursor.kernel.namespace import Kernel, MountNamespace
from mountcursor.kernel.walkers import mnt_already_visible


def tmp_ns() -> MountNamespace:
    ns = Kernel().create_namespace()
    ns.mount(b"/tmp")  # mnt 3, 0:20
    return ns


def peer_and_slave(ns: MountNamespace) -> None:
    """/tmp/m0 shared, /tmp/p its peer, /tmp/s its slave (4, 5, 6 when nothing precedes)."""
    ns.mount(b"/tmp/m0")
    ns.change_type(b"/tmp/m0", "shared")
    ns.bind(b"/tmp/m0", b"/tmp/p")
    ns.bind(b"/tmp/m0", b"/tmp/s")
    ns.change_type(b"/tmp/s", "slave")


def table(ns: MountNamespace) -> list[str]:
    """The mountinfo lines of the mounts under /tmp, in the order the file prints them."""
    f = open_proc(ns, "mountinfo", strategy="idtree", semantics="modern")
    data = f.read(1 << 20)
    f.close()
    return [line for line in data.decode().splitlines() if " /tmp/" in line]


def test_mount_under_a_shared_parent_gets_a_fresh_group_and_reaches_peers_and_slaves() -> None:
    ns = tmp_ns()
    ns.mount(b"/tmp/m0")  # 4, 0:21
    ns.mount(b"/tmp/m1")  # 5
    ns.change_type(b"/tmp/m0", "shared")
    ns.bind(b"/tmp/m0", b"/tmp/p")  # a bind of a shared mount is its peer (clone_mnt keeps the group)
    ns.bind(b"/tmp/m0", b"/tmp/s")
    ns.change_type(b"/tmp/s", "slave")  # s has a peer: it becomes a slave of next_peer(s)
    ns.mount(b"/tmp/s/pre")  # under a slave that is not shared: private, no propagation
    before = ns.kernel.event
    ns.mount(b"/tmp/m0/x")
    assert table(ns) == [
        "4 3 0:21 / /tmp/m0 rw shared:1 - tmpfs tmpfs rw",
        "5 3 0:22 / /tmp/m1 rw - tmpfs tmpfs rw",
        "6 3 0:21 / /tmp/p rw shared:1 - tmpfs tmpfs rw",
        "7 3 0:21 / /tmp/s rw master:1 - tmpfs tmpfs rw",
        "8 7 0:23 / /tmp/s/pre rw - tmpfs tmpfs rw",
        "9 4 0:24 / /tmp/m0/x rw shared:2 - tmpfs tmpfs rw",
        "10 6 0:24 / /tmp/p/x rw shared:2 - tmpfs tmpfs rw",
        "11 7 0:24 / /tmp/s/x rw master:2 - tmpfs tmpfs rw",
    ]
    assert ns.kernel.event - before == 3  # one touch_mnt_namespace per commit_tree


def test_a_copy_slides_under_a_mount_already_there() -> None:
    """attach_recursive_mnt: the mount that sat on s/pre goes on top of the propagated copy."""
    ns = tmp_ns()
    peer_and_slave(ns)
    ns.mount(b"/tmp/s/pre")  # 7
    ns.mount(b"/tmp/p/pre")  # 8 on p, 9 on m0 (next_peer of p), 10 on s (the slave)
    assert table(ns) == [
        "4 3 0:21 / /tmp/m0 rw shared:1 - tmpfs tmpfs rw",
        "5 3 0:21 / /tmp/p rw shared:1 - tmpfs tmpfs rw",
        "6 3 0:21 / /tmp/s rw master:1 - tmpfs tmpfs rw",
        "7 10 0:22 / /tmp/s/pre rw - tmpfs tmpfs rw",
        "8 5 0:23 / /tmp/p/pre rw shared:2 - tmpfs tmpfs rw",
        "9 4 0:23 / /tmp/m0/pre rw shared:2 - tmpfs tmpfs rw",
        "10 6 0:23 / /tmp/s/pre rw master:2 - tmpfs tmpfs rw",
    ]


def test_umount_propagates_except_to_copies_with_children() -> None:
    ns = tmp_ns()
    peer_and_slave(ns)
    ns.mount(b"/tmp/m0/x")  # 7, 8, 9
    event = ns.kernel.event
    gone = ns.umount(b"/tmp/m0/x")
    assert sorted(m.mnt_id for m in gone) == [7, 8, 9]
    assert ns.kernel.event == event + 1 and ns.event == ns.kernel.event  # do_umount: event++
    ns.mount(b"/tmp/p/y")  # 7 on p, 8 on m0, 9 on s (ids are the lowest free)
    ns.mount(b"/tmp/s/y/z")  # 10
    ns.umount(b"/tmp/m0/y")  # m0/y and p/y go; s/y has a child: it stays, now private
    assert table(ns) == [
        "4 3 0:21 / /tmp/m0 rw shared:1 - tmpfs tmpfs rw",
        "5 3 0:21 / /tmp/p rw shared:1 - tmpfs tmpfs rw",
        "6 3 0:21 / /tmp/s rw master:1 - tmpfs tmpfs rw",
        "9 6 0:22 / /tmp/s/y rw - tmpfs tmpfs rw",  # x's device, freed with its superblock
        "10 9 0:23 / /tmp/s/y/z rw - tmpfs tmpfs rw",
    ]
    # group 2 went with its last peer (bulk_make_private): the next shared mount reuses it
    ns.change_type(b"/tmp/s/y", "shared")
    assert table(ns)[3] == "9 6 0:22 / /tmp/s/y rw shared:2 - tmpfs tmpfs rw"


def test_make_slave_without_peers_is_private_and_unbindable_stays() -> None:
    """change_mnt_propagation(MS_SLAVE): a shared mount with no peers gives its group back
    and, having no master, becomes private; an unbindable mount keeps T_UNBINDABLE."""
    ns = tmp_ns()
    ns.mount(b"/tmp/u")
    ns.change_type(b"/tmp/u", "unbindable")
    ns.change_type(b"/tmp/u", "slave")
    ns.mount(b"/tmp/a")
    ns.change_type(b"/tmp/a", "shared")
    ns.change_type(b"/tmp/a", "slave")
    assert table(ns) == [
        "4 3 0:21 / /tmp/u rw unbindable - tmpfs tmpfs rw",
        "5 3 0:22 / /tmp/a rw - tmpfs tmpfs rw",
    ]
    assert not ns.kernel.group_ida.in_use(1)


def test_slaves_of_a_mount_made_private_go_to_its_peer() -> None:
    ns = tmp_ns()
    ns.mount(b"/tmp/a")
    ns.change_type(b"/tmp/a", "shared")
    ns.bind(b"/tmp/a", b"/tmp/b")  # peer of a
    ns.bind(b"/tmp/a", b"/tmp/c")
    ns.change_type(b"/tmp/c", "slave")  # master: next_peer(c)
    ns.change_type(b"/tmp/a", "private")
    ns.change_type(b"/tmp/b", "slave")  # b alone in group 1: released; b has no master
    assert table(ns) == [
        "4 3 0:21 / /tmp/a rw - tmpfs tmpfs rw",
        "5 3 0:21 / /tmp/b rw - tmpfs tmpfs rw",
        "6 3 0:21 / /tmp/c rw - tmpfs tmpfs rw",
    ]


def test_bind_keeps_master_and_peer_group_of_every_copied_mount() -> None:
    """clone_mnt: a bind of a slave is a slave of the same master; --rbind copies keep the
    groups of the mounts they copy, depth first."""
    ns = tmp_ns()
    ns.mount(b"/tmp/d")
    ns.change_type(b"/tmp/d", "shared")
    ns.bind(b"/tmp/d", b"/tmp/e")
    ns.change_type(b"/tmp/e", "slave")
    ns.mount(b"/tmp/e/a")  # private under the slave
    ns.change_type(b"/tmp/e/a", "shared")
    ns.bind(b"/tmp/e", b"/tmp/f", recursive=True)
    assert table(ns) == [
        "4 3 0:21 / /tmp/d rw shared:1 - tmpfs tmpfs rw",
        "5 3 0:21 / /tmp/e rw master:1 - tmpfs tmpfs rw",
        "6 5 0:22 / /tmp/e/a rw shared:2 - tmpfs tmpfs rw",
        "7 3 0:21 / /tmp/f rw master:1 - tmpfs tmpfs rw",
        "8 7 0:22 / /tmp/f/a rw shared:2 - tmpfs tmpfs rw",
    ]


def test_copy_tree_is_depth_first() -> None:
    ns = tmp_ns()
    ns.mount(b"/tmp/d/a")
    ns.mount(b"/tmp/d/b")
    ns.mount(b"/tmp/d/a/x")
    ns.bind(b"/tmp/d", b"/tmp/e", recursive=True)
    assert table(ns)[3:] == [
        "7 3 0:20 /d /tmp/e rw - tmpfs tmpfs rw",
        "8 7 0:21 / /tmp/e/a rw - tmpfs tmpfs rw",
        "9 8 0:23 / /tmp/e/a/x rw - tmpfs tmpfs rw",
        "10 7 0:22 / /tmp/e/b rw - tmpfs tmpfs rw",
    ]


def test_rbind_skips_unbindable_subtrees_and_refuses_an_unbindable_root() -> None:
    ns = tmp_ns()
    ns.mount(b"/tmp/d/a")
    ns.mount(b"/tmp/d/a/x")
    ns.mount(b"/tmp/d/b")
    ns.change_type(b"/tmp/d/a", "unbindable")
    ns.bind(b"/tmp/d", b"/tmp/e", recursive=True)
    assert [line.split()[4] for line in table(ns)] == ["/tmp/d/a", "/tmp/d/a/x", "/tmp/d/b", "/tmp/e", "/tmp/e/b"]
    with pytest.raises(OSError) as e:
        ns.bind(b"/tmp/d/a", b"/tmp/g")
    assert e.value.errno == errno.EINVAL


def test_move_out_from_under_a_shared_mount_is_refused() -> None:
    ns = tmp_ns()
    ns.mount(b"/tmp/a")
    ns.mount(b"/tmp/a/x")
    ns.change_type(b"/tmp/a", "shared")
    with pytest.raises(OSError) as e:
        ns.move(b"/tmp/a/x", b"/tmp/y")
    assert e.value.errno == errno.EINVAL


def test_mnt_already_visible_rejects_only_locked_children_over_non_empty_dirs() -> None:
    ns = tmp_ns()
    proc = ns.mount(b"/tmp/proc", fstype=b"proc", source=b"proc")
    assert proc.mnt_sb is not None
    proc.mnt_sb.empty_dirs = frozenset({b"/sys/fs/binfmt_misc"})
    ns.mount(b"/tmp/proc/sys/fs/binfmt_misc")
    ns.mount(b"/tmp/proc/1")  # unlocked: hides nothing a user namespace could not see
    assert mnt_already_visible(ns, b"proc")
    locked = ns.find(b"/tmp/proc/sys/fs/binfmt_misc")
    locked.mnt_flags |= MNT_LOCKED  # locked on a permanently empty directory: still visible
    assert mnt_already_visible(ns, b"proc")
    ns.find(b"/tmp/proc/1").mnt_flags |= MNT_LOCKED  # locked over a real directory
    assert not mnt_already_visible(ns, b"proc")


def test_mnt_already_visible_flag_checks() -> None:
    ns = tmp_ns()
    sysfs = ns.mount(b"/tmp/sys", fstype=b"sysfs", source=b"sysfs", sb_flags=SB_RDONLY)
    assert not mnt_already_visible(ns, b"sysfs")  # read-only superblock: the new mount must be ro
    assert mnt_already_visible(ns, b"sysfs", MNT_READONLY)
    sysfs.mnt_sb.s_flags = 0  # type: ignore[union-attr]
    sysfs.mnt_flags |= MNT_LOCK_READONLY
    assert not mnt_already_visible(ns, b"sysfs")
    assert mnt_already_visible(ns, b"sysfs", MNT_READONLY)


def test_move_under_a_shared_mount_propagates_the_moved_tree() -> None:
    """do_move_mount -> attach_recursive_mnt: the moved tree keeps its ids and becomes
    shared, with copies on the peers (the kernel printed the same, ids aside)."""
    ns = tmp_ns()
    ns.mount(b"/tmp/a")
    ns.change_type(b"/tmp/a", "shared")
    ns.bind(b"/tmp/a", b"/tmp/b")
    ns.mount(b"/tmp/c")
    ns.mount(b"/tmp/c/x")
    ns.move(b"/tmp/c", b"/tmp/a/c")
    assert table(ns) == [
        "4 3 0:21 / /tmp/a rw shared:1 - tmpfs tmpfs rw",
        "5 3 0:21 / /tmp/b rw shared:1 - tmpfs tmpfs rw",
        "6 4 0:22 / /tmp/a/c rw shared:2 - tmpfs tmpfs rw",
        "7 6 0:23 / /tmp/a/c/x rw shared:3 - tmpfs tmpfs rw",
        "8 5 0:22 / /tmp/b/c rw shared:2 - tmpfs tmpfs rw",
        "9 8 0:23 / /tmp/b/c/x rw shared:3 - tmpfs tmpfs rw",
    ]
