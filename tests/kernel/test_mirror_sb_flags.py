"""The mirror keeps a superblock's flags apart from its filesystem's options
(``procfs.sb_flags_of``): ``show_vfsmnt`` prints the per-mount flags between them.

Found by diff-kernel's ``mounts@root`` vantage point in the 6.1 guest, whose root is a 9p
mount with ``dirsync``: the kernel's ``/proc/mounts`` says ``ro,dirsync,relatime,loose``,
the mirror said ``ro,relatime,dirsync,loose`` (it kept ``,dirsync`` in the options).
"""

from __future__ import annotations

import pytest

from mountcursor.format import parse_mountinfo
from mountcursor.kernel import open_proc
from mountcursor.kernel.mirror import namespace_from_table
from mountcursor.kernel.mount import SB_DIRSYNC, SB_LAZYTIME, SB_RDONLY, SB_SYNCHRONOUS
from mountcursor.kernel.procfs import sb_flags_of, show_sb_opts

TABLE = (b"20 1 0:25 / / ro,relatime - 9p hostroot ro,dirsync,loose,access=client,msize=262144,trans=virtio\n"
         b"21 20 0:26 / /run/out rw,relatime - 9p vmout rw,sync,dirsync,lazytime,access=client\n"
         b"22 20 0:27 / /tmp rw,nosuid - tmpfs tmpfs rw,inode64\n")


@pytest.mark.parametrize("opts,flags,rest", [
    (b"ro,dirsync,loose", SB_RDONLY | SB_DIRSYNC, b",loose"),
    (b"rw,sync,dirsync,lazytime,access=client", SB_SYNCHRONOUS | SB_DIRSYNC | SB_LAZYTIME, b",access=client"),
    (b"rw", 0, b""),
    (b"rw,dirsync", SB_DIRSYNC, b""),
    (b"rw,dirsyncx,sync", 0, b",dirsyncx,sync"),  # an fs option, and a flag out of show_sb_opts' order
])
def test_sb_flags_of_inverts_show_sb_opts(opts: bytes, flags: int, rest: bytes) -> None:
    assert sb_flags_of(opts) == (flags, rest)
    if rest in (b"", b",loose", b",access=client"):
        assert (b"ro" if flags & SB_RDONLY else b"rw") + show_sb_opts(flags) + rest == opts


def test_mirrored_mounts_print_the_flags_where_the_kernel_does() -> None:
    recs = parse_mountinfo(TABLE)
    ns = namespace_from_table(recs, {r.mnt_id: 100 + r.mnt_id for r in recs})
    with open_proc(ns, "mounts") as f:
        assert f.read_all(4096) == (
            b"hostroot / 9p ro,dirsync,relatime,loose,access=client,msize=262144,trans=virtio 0 0\n"
            b"vmout /run/out 9p rw,sync,dirsync,lazytime,relatime,access=client 0 0\n"
            b"tmpfs /tmp tmpfs rw,nosuid,inode64 0 0\n")
    with open_proc(ns, "mountinfo") as f:
        assert f.read_all(4096) == TABLE
