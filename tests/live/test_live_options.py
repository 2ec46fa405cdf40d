"""Options as the kernel prints them (SELinux quoted contexts), option() answers that
cannot be misread, libmount 2.39+ option matching, mount_of through symlinks, root_fs."""

from __future__ import annotations

import os

import pytest

from mountcursor.live import MountTable, Option, split_options
from mountcursor.live.table import match_options

CONTEXT = b'"system_u:object_r:container_file_t:s0:c314,c894"'
# A container's overlay root as mountinfo shows it under SELinux (selinux_sb_show_options).
SELINUX_LINE = (b"1 0 0:1 / / rw - ext4 /dev/sda1 rw\n"
                b"2 1 0:50 / /var/lib/ctr rw,nosuid,context=" + CONTEXT + b" - overlay overlay "
                b"rw,context=" + CONTEXT + b",lowerdir=/l,upperdir=/u\\054x,workdir=/w\n")


def test_split_options_keeps_a_quoted_context_whole():
    assert split_options(b"rw,context=" + CONTEXT + b",size=4k") == (
        Option(b"rw", None), Option(b"context", CONTEXT), Option(b"size", b"4k"))
    # a comma escaped by the kernel stays inside its value; "=" inside quotes is not a separator
    assert split_options(b'a=x\\054y,b="k=v,w",c') == (
        Option(b"a", b"x,y"), Option(b"b", b'"k=v,w"'), Option(b"c", None))


def test_entry_views_of_a_selinux_mount():
    e = MountTable.from_bytes(SELINUX_LINE, strict=True).entries[1]
    assert [o.name for o in e.vfs_opts] == [b"rw", b"nosuid", b"context"]
    assert [o.name for o in e.fs_opts] == [b"rw", b"context", b"lowerdir", b"upperdir", b"workdir"]
    assert e.option("context") == Option(b"context", CONTEXT)
    assert e.option("upperdir").value == b"/u,x"
    assert match_options(e.options, "context=" + CONTEXT.decode())
    assert not match_options(e.options, 'context="system_u:object_r:container_file_t:s0:c314"')
    assert match_options(e.options, "nosuid,lowerdir=/l")


def test_option_present_without_value_absent_or_empty():
    e = MountTable.from_bytes(b"1 0 0:1 / / rw,nosuid - tmpfs t rw,size=,mode=755\n").entries[0]
    assert e.option("nosuid") == Option(b"nosuid", None)   # a flag: present, no value
    assert e.option("size") == Option(b"size", b"")        # present, empty value
    assert e.option("noexec") is None                      # absent
    assert e.option("mode").value == b"755"


# The examples of mnt_match_options() in util-linux libmount/src/optstr.c (2.39+).
@pytest.mark.parametrize(
    "options, pattern, expected",
    [(b"xxx,yyy,zzz", "nozzz", False), (b"xxx,yyy,zzz", "xxx,noeee", True), (b"bar,zzz", "nofoo", True),
     (b"nofoo,bar", "nofoo", True), (b"nofoo,bar", "+nofoo", True), (b"bar,zzz", "+nofoo", False),
     (b"bar,zzz", "", True), (b"bar,zzz", "+", True), (b"", "", True), (b"", "foo", False),
     (b"", "nofoo", True), (b"", "no,foo", False), (b"no", "+no", True),
     (b"rw,size=4k", "size=", True), (b"rw,size=4k,size=8k", "size=8k", False)],
)
def test_match_options_as_libmount_2_39(options, pattern, expected):
    assert match_options(options, pattern) is expected


def test_mount_of_resolves_symlinks_unless_lexical(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    where = os.fsencode(real)
    table = MountTable.from_bytes(b"1 0 0:1 / / rw - ext4 /dev/sda1 rw\n"
                                  b"2 1 0:2 / " + where + b" rw - tmpfs t rw\n")
    inside = tmp_path / "link" / "x"
    assert table.mount_of(inside).target == where
    assert table.mount_of(inside, lexical=True).target == b"/"
    assert table.mount_of(real / "x", lexical=True).target == where
    with pytest.raises(ValueError, match="absolute"):
        table.mount_of("link/x")


def test_root_fs_is_public():
    table = MountTable.from_bytes(b"30 29 0:3 / /a rw - t s rw\n29 1 0:2 / / rw - t s rw\n"
                                  b"31 30 0:4 / /a/b rw - t s rw\n")
    assert table.root_fs is table.entries[1]
    assert MountTable([]).root_fs is None
