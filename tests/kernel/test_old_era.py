"""The 3.10 proc formats (era ``old``) against the current ones, byte for byte: seq_path()
in show_vfsmnt/show_vfsstat (no skip outside the reader's root), ``no device``, no
``lazytime``; and -ENAMETOOLONG before SEQ_SKIP at a buffer boundary (every era)."""

from __future__ import annotations

import pytest

from mountcursor.kernel import Kernel, open_proc
from mountcursor.kernel.mount import SB_LAZYTIME
from mountcursor.kernel.namespace import Path


def _read(ns, kind: str, era: str, **kw) -> list[bytes]:  # noqa: ANN001, ANN003
    f = open_proc(ns, kind, era=era, **kw)  # type: ignore[arg-type]
    out = []
    while b := f.read(1000):
        out.append(b)
    return out


def test_rootfs_and_no_device_on_3_10() -> None:
    """RHEL7's /proc/mounts starts with ``rootfs / rootfs rw 0 0``: rootfs is outside the
    reader's root (``/`` is mounted on it) and 3.10's seq_path() prints it anyway, as
    mountstats does; mountinfo (seq_path_root) skips it in both eras.  A mount without a
    device name: ``none`` in mounts and mountinfo, ``no device`` in 3.10's mountstats."""
    ns = Kernel().create_namespace()
    ns.mount(b"/x", b"tmpfs", None)
    assert b"".join(_read(ns, "mounts", "old")) == (
        b"rootfs / rootfs rw 0 0\n/dev/vda / ext4 rw 0 0\nnone /x tmpfs rw 0 0\n")
    assert b"".join(_read(ns, "mounts", "current")) == b"/dev/vda / ext4 rw 0 0\nnone /x tmpfs rw 0 0\n"
    assert b"".join(_read(ns, "mountstats", "old")) == (
        b"device rootfs mounted on / with fstype rootfs\n"
        b"device /dev/vda mounted on / with fstype ext4\n"
        b"no device mounted on /x with fstype tmpfs\n")
    assert b"".join(_read(ns, "mountstats", "current")) == (
        b"device /dev/vda mounted on / with fstype ext4\n"
        b"device none mounted on /x with fstype tmpfs\n")
    for era in ("old", "current"):
        assert b"".join(_read(ns, "mountinfo", era)) == (
            b"2 1 254:0 / / rw - ext4 /dev/vda rw\n3 2 0:20 / /x rw - tmpfs none rw\n")


def test_no_lazytime_on_3_10() -> None:
    ns = Kernel().create_namespace(with_rootfs=False)
    ns.mount(b"/l", sb_flags=SB_LAZYTIME)
    assert _read(ns, "mounts", "old")[0].splitlines()[1] == b"tmpfs /l tmpfs rw 0 0"
    assert _read(ns, "mounts", "current")[0].splitlines()[1] == b"tmpfs /l tmpfs rw,lazytime 0 0"
    assert _read(ns, "mountinfo", "old")[0].splitlines()[1] == b"2 1 0:20 / /l rw - tmpfs tmpfs rw"
    assert _read(ns, "mountinfo", "current")[0].splitlines()[1] == b"2 1 0:20 / /l rw - tmpfs tmpfs rw,lazytime"


def _jail() -> tuple[object, Path]:
    """``/jail/a``, a mount outside the jail with a 152-byte path, ``/jail/b``; the reader's
    root is ``/jail`` (a chroot)."""
    ns = Kernel().create_namespace()
    ns.mount(b"/jail/a")
    ns.mount(b"/o" + b"x" * 150)
    ns.mount(b"/jail/b")
    return ns, Path(ns.root.mnt, b"/jail")


def test_a_chrooted_reader_on_3_10_sees_every_mount_in_mounts_only() -> None:
    ns, root = _jail()
    assert b"".join(_read(ns, "mounts", "old", root=root)).splitlines() == [
        b"rootfs / rootfs rw 0 0", b"/dev/vda / ext4 rw 0 0", b"tmpfs /a tmpfs rw 0 0",
        b"tmpfs /o" + b"x" * 150 + b" tmpfs rw 0 0", b"tmpfs /b tmpfs rw 0 0"]
    assert b"".join(_read(ns, "mounts", "current", root=root)) == b"tmpfs /a tmpfs rw 0 0\ntmpfs /b tmpfs rw 0 0\n"
    assert b"".join(_read(ns, "mountstats", "old", root=root)).count(b"\n") == 5
    assert b"".join(_read(ns, "mountinfo", "old", root=root)) == (
        b"3 2 0:20 / /a rw - tmpfs tmpfs rw\n5 2 0:22 / /b rw - tmpfs tmpfs rw\n")


@pytest.mark.parametrize("kind,era,a,b", [
    ("mountinfo", "old", b"3 2 0:20 / /a rw - tmpfs tmpfs rw\n", b"5 2 0:22 / /b rw - tmpfs tmpfs rw\n"),
    ("mountinfo", "current", b"3 2 0:20 / /a rw - tmpfs tmpfs rw\n", b"5 2 0:22 / /b rw - tmpfs tmpfs rw\n"),
    ("mounts", "current", b"tmpfs /a tmpfs rw 0 0\n", b"tmpfs /b tmpfs rw 0 0\n"),
    ("mountstats", "current", b"device tmpfs mounted on /a with fstype tmpfs\n",
     b"device tmpfs mounted on /b with fstype tmpfs\n"),
])
def test_enametoolong_ends_the_read_before_the_skip(kind: str, era: str, a: bytes, b: bytes) -> None:
    """A 180-byte buffer: after /a's line, the out-of-root mount's head, a NUL and its
    152-byte path no longer fit, so __d_path fails with -ENAMETOOLONG (an overflow) before
    it learns the mount is outside the root: the read ends after /a.  The next read starts
    on that mount in an empty buffer, where the walk fits: SEQ_SKIP, then /b."""
    ns, root = _jail()
    for sem in ("3.10", "4.19-5.9", "5.10+"):
        assert _read(ns, kind, era, root=root, page_size=180, semantics=sem) == [a, b], (sem, kind, era)
    # with a page large enough for the walk after /a, it is skipped inside the first read
    assert _read(ns, kind, era, root=root, page_size=400) == [a + b]


def test_enametoolong_on_a_first_record_grows_the_buffer() -> None:
    """With a 100-byte buffer even an empty one cannot hold the walk: the first record
    overflows, seq_read doubles the buffer (200 bytes, kept for the file's life) and the
    retry skips the mount."""
    ns, root = _jail()
    f = open_proc(ns, "mountinfo", root=root, page_size=100)
    assert f.read(1000) == b"3 2 0:20 / /a rw - tmpfs tmpfs rw\n"
    assert f.m.size == 100
    assert f.read(1000) == b"5 2 0:22 / /b rw - tmpfs tmpfs rw\n"
    assert f.m.size == 200


def _over_root() -> tuple[object, Path]:
    """``/jail/a``, then a tmpfs mounted over ``/`` with a 100-byte device name (its path
    from the namespace's root is ``/``: outside the jail), then ``/jail/b`` under the old
    root (ids imposed so that the id tree and the list show a, the overmount, b)."""
    ns = Kernel().create_namespace()
    ns.mount(b"/jail/a", ids=(3, 3))
    ns.mount(b"/jail/b", ids=(5, 10))
    ns.mount(b"/", source=b"d" * 100, ids=(4, 4))
    return ns, Path(ns.root.mnt, b"/jail")


@pytest.mark.parametrize("d_path,reads", [
    ("5.14+", [b"tmpfs /a tmpfs rw 0 0\ntmpfs /b tmpfs rw 0 0\n"]),
    ("3.10-5.13", [b"tmpfs /a tmpfs rw 0 0\n", b"tmpfs /b tmpfs rw 0 0\n"]),
])
@pytest.mark.parametrize("semantics", ["3.10", "4.19-5.9", "5.10+"])
def test_a_mount_on_slash_outside_the_root_needs_one_byte_less_from_5_14(
        d_path: str, reads: list[bytes], semantics: str) -> None:
    """The buffer holds /a's line (22 bytes); the overmount's head is its device name and a
    space (101); a page of 22 + 101 + 1 bytes leaves room for __d_path's NUL only.  Since
    v5.14 that is enough to learn the mount is unreachable (SEQ_SKIP: /b follows in the
    same read); up to 5.13 the '/' an empty walk prepends must fit too (-ENAMETOOLONG: the
    read ends after /a, the next one skips the mount in an empty buffer)."""
    ns, root = _over_root()
    kw = dict(root=root, page_size=22 + 101 + 1, semantics=semantics, d_path=d_path)
    assert _read(ns, "mounts", "current", **kw) == reads
    # one byte more and both generations skip inside the first read
    kw["page_size"] = 22 + 101 + 2
    assert _read(ns, "mounts", "current", **kw) == [b"tmpfs /a tmpfs rw 0 0\ntmpfs /b tmpfs rw 0 0\n"]


def test_the_era_implies_the_d_path() -> None:
    ns, root = _over_root()
    assert open_proc(ns, "mounts", era="old").p.d_path == "3.10-5.13"
    assert open_proc(ns, "mounts").p.d_path == "5.14+"
    with pytest.raises(ValueError, match="unknown d_path '5.13'"):
        open_proc(ns, "mounts", d_path="5.13")  # type: ignore[arg-type]


def test_3_10_mounts_prints_paths_from_the_reading_tasks_root() -> None:
    """3.10's show_vfsmnt/show_vfsstat call seq_path(): d_path() from current->fs->root,
    the task that reads, whatever /proc/<pid>/ names; mountinfo (seq_path_root) and every
    current-era file use the root of the task whose file was opened (p->root)."""
    ns, jail = _jail()
    # we (at the namespace's root) read /proc/<pid>/mounts of a process chrooted into /jail
    other = dict(root=jail, reader_root=ns.root)
    assert b"".join(_read(ns, "mounts", "old", **other)).splitlines() == [
        b"rootfs / rootfs rw 0 0", b"/dev/vda / ext4 rw 0 0", b"tmpfs /jail/a tmpfs rw 0 0",
        b"tmpfs /o" + b"x" * 150 + b" tmpfs rw 0 0", b"tmpfs /jail/b tmpfs rw 0 0"]
    assert b"".join(_read(ns, "mountstats", "old", **other)).splitlines()[2] == (
        b"device tmpfs mounted on /jail/a with fstype tmpfs")
    assert b"".join(_read(ns, "mounts", "current", **other)) == b"tmpfs /a tmpfs rw 0 0\ntmpfs /b tmpfs rw 0 0\n"
    assert b"".join(_read(ns, "mountinfo", "old", **other)) == (
        b"3 2 0:20 / /a rw - tmpfs tmpfs rw\n5 2 0:22 / /b rw - tmpfs tmpfs rw\n")
    # a process chrooted into /jail reads /proc/1/mounts of a process at the namespace's root
    chrooted = dict(reader_root=jail)
    assert b"".join(_read(ns, "mounts", "old", **chrooted)).splitlines() == [
        b"rootfs / rootfs rw 0 0", b"/dev/vda / ext4 rw 0 0", b"tmpfs /a tmpfs rw 0 0",
        b"tmpfs /o" + b"x" * 150 + b" tmpfs rw 0 0", b"tmpfs /b tmpfs rw 0 0"]
    assert b"".join(_read(ns, "mounts", "current", **chrooted)).splitlines()[1] == b"tmpfs /jail/a tmpfs rw 0 0"
    assert b"".join(_read(ns, "mountinfo", "old", **chrooted)).splitlines()[1] == (
        b"3 2 0:20 / /jail/a rw - tmpfs tmpfs rw")
