"""MountTable: tree, roots, orphans vs outside-root, stacks, lookups, diff."""

from __future__ import annotations

import pickle

import pytest

from mountcursor.live import MountTable, diff
from mountcursor.live.table import match_fstype, match_options

from .conftest import FIXTURES


def table(text: str) -> MountTable:
    return MountTable.from_bytes(text.encode())


SIMPLE = """\
20 1 8:4 / / rw - ext4 /dev/sda rw
21 20 0:30 / /a rw - tmpfs t rw
22 21 0:31 / /a/b rw - tmpfs t rw
23 21 0:32 / /a rw - tmpfs over rw
24 23 0:33 / /a/c rw - tmpfs t ro
25 20 8:4 /data /bind rw shared:5 - ext4 /dev/sda rw
"""


def test_tree_roots_children_ancestors():
    t = table(SIMPLE)
    root = t.by_id(20)
    assert t.roots == [root] and t.outside_root == [root] and t.orphans == []
    assert [e.mnt_id for e in t.children(root)] == [21, 25]
    assert [e.mnt_id for e in t.ancestors(t.by_id(24))] == [23, 21, 20]
    assert [(d, e.mnt_id) for d, e in t.walk()] == [(0, 20), (1, 21), (2, 22), (2, 23), (3, 24), (1, 25)]
    assert [e.mnt_id for e in t.descendants(t.by_id(21))] == [22, 23, 24]
    assert t.problems() == []


def test_stacks_shadowed_top_and_visibility():
    t = table(SIMPLE)
    assert t.is_shadowed(t.by_id(21)) and not t.is_shadowed(t.by_id(23))
    assert [e.mnt_id for e in t.stack("/a")] == [21, 23]
    assert t.top("/a").mnt_id == 23
    # /a/b hangs under the covered mount: hidden; /a/c under the top one: visible
    assert not t.is_visible(t.by_id(22)) and t.is_visible(t.by_id(24))
    assert t.mount_of("/a/b/file").mnt_id == 23
    assert t.mount_of("/a/c/x/../y").mnt_id == 24
    assert t.mount_of("/elsewhere").mnt_id == 20
    assert t.is_mountpoint("/a/c") and not t.is_mountpoint("/a/b") and t.is_mountpoint("/bind/")


def test_orphans_told_apart_from_outside_root():
    t = table("""\
20 1 8:4 / / rw - ext4 /dev/sda rw
30 99 0:40 / /lost/child rw - tmpfs t rw
""")
    assert [e.mnt_id for e in t.outside_root] == [20]
    assert [e.mnt_id for e in t.orphans] == [30]
    assert t.problems() == ["line 2: mount 30 at '/lost/child': parent 99 missing"]


def test_no_root_entry_is_outside_root_not_orphan():
    t = MountTable.from_file(FIXTURES / "util-linux-findmnt-mountinfo-nonroot")
    assert t.orphans == [] and len(t.outside_root) == 8
    assert t.mount_of("/") is None and t.mount_of("/dev/pts/3").target == b"/dev/pts"
    assert t.by_id(48).target_deleted and t.by_id(48).target == b"/mnt/foo (deleted)"


def test_messy_container_table():
    t = MountTable.from_file(FIXTURES / "util-linux-findmnt-mountinfo-messy")
    assert [e.target for e in t.roots] == [b"/"] and t.problems() == []
    assert t.by_id(105).root_deleted and t.by_id(225).master == 4
    assert [e.mnt_id for e in t.find_target("/proc/sys/kernel/random/boot_id")] == [105, 106]


def test_stacked_autofs_fixture():
    t = MountTable.from_file(FIXTURES / "util-linux-libmount-mountinfo")
    assert [e.fstype for e in t.stack("/dev/mqueue")] == [b"autofs", b"mqueue"]
    assert t.mount_of("/dev/mqueue/q").fstype == b"mqueue"
    assert t.by_id(49).target == b"/mnt/test/foo\rbar"


def test_duplicate_ids_and_cycles_reported():
    t = table("1 2 0:1 / /a rw - t s rw\n2 1 0:2 / /b rw - t s rw\n2 1 0:3 / /c rw - t s rw\n")
    assert [e.target for e in t.duplicates] == [b"/c"]
    assert any("cycle" in p for p in t.problems()) and any("repeated" in p for p in t.problems())


def test_lookups():
    t = MountTable.from_file(FIXTURES / "util-linux-libmount-mountinfo")
    assert [e.mnt_id for e in t.find_source("/dev/sda6")] == [40]
    assert [e.mnt_id for e in t.find_source("8:6")] == [40]
    assert {e.fstype for e in t.find_fstype("autofs,mqueue")} == {b"autofs", b"mqueue"}
    assert [e.mnt_id for e in t.find_options("noatime,data=ordered")] == [20, 40, 41]
    assert t.by_id(44).fs_subtype == b"gvfs-fuse-daemon" and t.by_id(44).fs_main_type == b"fuse"


@pytest.mark.parametrize(
    "fstype, pattern, expected",
    [(b"nfs", "nfs,cifs", True), (b"ext4", "nfs,cifs", False), (b"ext4", "nonfs,cifs", True),
     (b"nfs", "nonfs,cifs", False), (b"cifs", "nonfs,cifs", False), (b"NFS", "nfs", True),
     (b"tmpfs", "proc,notmpfs", False)],
)
def test_match_fstype_libmount_rules(fstype, pattern, expected):
    assert match_fstype(fstype, pattern) is expected


@pytest.mark.parametrize(
    "options, pattern, expected",
    [(b"rw,noatime,size=4k", "noatime", True),  # "noatime" means "no option atime" (libmount)
     (b"rw,noatime,size=4k", "+noatime", True), (b"rw,size=4k", "size=4k", True),
     (b"rw,size=4k", "size=8k", False), (b"rw,size=4k", "rw,nosuid", True), (b"rw,nosuid", "nonosuid", False)],
)
def test_match_options_libmount_rules(options, pattern, expected):
    assert match_options(options, pattern) is expected


def test_diff_actions():
    old = table(SIMPLE)
    new = table(SIMPLE.replace("22 21 0:31 / /a/b rw", "22 21 0:31 / /a/moved rw")
                .replace("24 23 0:33 / /a/c rw - tmpfs t ro", "24 23 0:33 / /a/c ro - tmpfs t ro")
                .replace("shared:5 ", "") + "26 20 0:40 / /new rw - tmpfs t rw\n")
    got = [(ev.action, ev.entry.mnt_id) for ev in diff(old, new)]
    assert got == [("move", 22), ("remount", 24), ("propagation", 25), ("mount", 26)]


def test_diff_not_fooled_by_reused_id():
    old = table("20 1 8:4 / / rw - ext4 /dev/sda rw\n21 20 0:30 / /x rw - tmpfs a rw\n")
    new = table("20 1 8:4 / / rw - ext4 /dev/sda rw\n21 20 0:31 / /x rw - tmpfs a rw\n")
    assert [ev.action for ev in diff(old, new)] == ["umount", "mount"]


def test_diff_by_unique_id_when_available():
    from dataclasses import replace

    a = table("20 1 8:4 / / rw - ext4 /dev/sda rw\n21 20 0:30 / /x rw - tmpfs a rw\n")
    old = MountTable(replace(e, unique_id=100 + e.mnt_id) for e in a)
    new = MountTable([old.entries[0], replace(old.entries[1], unique_id=999)])
    assert [ev.action for ev in diff(old, new)] == ["umount", "mount"]


def test_table_pickles_with_working_caches():
    t = pickle.loads(pickle.dumps(table(SIMPLE)))
    assert t.top("/a").mnt_id == 23 and t.mount_of("/a/b").mnt_id == 23 and t == table(SIMPLE)


def test_relative_path_is_an_error():
    with pytest.raises(ValueError, match="absolute"):
        table(SIMPLE).mount_of("a/b")
