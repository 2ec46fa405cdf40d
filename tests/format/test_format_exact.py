"""Hand-written records and the exact bytes the kernel prints for them, in both eras.

Lines marked "seen on 6.18" were printed by this machine's kernel (in a private mount
namespace) and are copied here verbatim.
"""

from __future__ import annotations

import pytest

from mountcursor.format import (
    MountInfoRecord,
    MountsRecord,
    MountStatsRecord,
    parse_mountinfo,
    parse_mountinfo_line,
    parse_mounts,
    parse_mounts_line,
    parse_mountstats,
    parse_mountstats_line,
    render_mountinfo,
    render_mounts,
    render_mountstats,
)

# A mount point and a source with every byte that matters: the escaped four, '#'
# (escaped only by mangle() and only since ~5.12), '\r' (never escaped), non-UTF-8.
NASTY_PATH = b"/mnt/a b\tc\nd\\e#f\rg\xff"
NASTY_PATH_ESCAPED = b"/mnt/a\\040b\\011c\\012d\\134e#f\rg\xff"
NASTY_SOURCE = b"s#rc a\tb\nc\\d\re\xff"
NASTY_SOURCE_CURRENT = b"s\\043rc\\040a\\011b\\012c\\134d\re\xff"
NASTY_SOURCE_OLD = b"s#rc\\040a\\011b\\012c\\134d\re\xff"

MOUNTINFO_CASES = [
    pytest.param(
        MountInfoRecord(64, 63, 0, 40, b"/", NASTY_PATH, b"rw,relatime", b"tmpfs", NASTY_SOURCE, b"rw,size=1024k"),
        {
            "current": b"64 63 0:40 / " + NASTY_PATH_ESCAPED + b" rw,relatime - tmpfs " + NASTY_SOURCE_CURRENT
            + b" rw,size=1024k\n",
            "old": b"64 63 0:40 / " + NASTY_PATH_ESCAPED + b" rw,relatime - tmpfs " + NASTY_SOURCE_OLD
            + b" rw,size=1024k\n",
        },
        id="nasty-source-and-mount-point",
    ),
    pytest.param(
        # Documentation/filesystems/proc.rst's example
        MountInfoRecord(36, 35, 98, 0, b"/mnt1", b"/mnt2", b"rw,noatime", b"ext3", b"/dev/root",
                        b"rw,errors=continue", master=1),
        {"current": b"36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"},
        id="proc-rst-example",
    ),
    pytest.param(
        MountInfoRecord(1, 1, 4095, 1048575, b"/r#t", b"/", b"ro,nosuid,nodev,noexec,noatime,nodiratime,relatime,"
                        b"nosymfollow,idmapped", b"ext4", b"/dev/x", b"ro,sync,dirsync,mand,lazytime,seclabel",
                        shared=7, master=2147483647, propagate_from=3, unbindable=True, extra_tags=(b"future:9", b"x")),
        {"current": b"1 1 4095:1048575 /r#t / ro,nosuid,nodev,noexec,noatime,nodiratime,relatime,nosymfollow,"
                    b"idmapped shared:7 master:2147483647 propagate_from:3 unbindable future:9 x - ext4 /dev/x "
                    b"ro,sync,dirsync,mand,lazytime,seclabel\n"},
        id="every-option-and-tag",
    ),
    pytest.param(
        # seen on 6.18: mount(2) with source "" prints nothing, leaving two spaces
        MountInfoRecord(74, 63, 0, 50, b"/", b"/tmp/probe/m/emptysrc", b"rw,relatime", b"tmpfs", b"", b"rw"),
        {"current": b"74 63 0:50 / /tmp/probe/m/emptysrc rw,relatime - tmpfs  rw\n"},
        id="empty-source",
    ),
    pytest.param(
        # seen on 6.18: mount(2) with a NULL source, and fsmount() without one, print "none"
        MountInfoRecord(73, 63, 0, 49, b"/", b"/tmp/probe/m/nullsrc", b"rw,relatime", b"tmpfs", b"none", b"rw"),
        {"current": b"73 63 0:49 / /tmp/probe/m/nullsrc rw,relatime - tmpfs none rw\n"},
        id="no-source-prints-none",
    ),
    pytest.param(
        # seen on 6.18: a fuse subtype goes through mangle() like the type
        MountInfoRecord(73, 63, 0, 45, b"/", b"/tmp/probe/m2/fuse", b"rw,relatime", b"fuse.my#sub x", b"fu#se src",
                        b"rw,user_id=0,group_id=0"),
        {
            "current": b"73 63 0:45 / /tmp/probe/m2/fuse rw,relatime - fuse.my\\043sub\\040x fu\\043se\\040src "
                       b"rw,user_id=0,group_id=0\n",
            "old": b"73 63 0:45 / /tmp/probe/m2/fuse rw,relatime - fuse.my#sub\\040x fu#se\\040src "
                   b"rw,user_id=0,group_id=0\n",
        },
        id="fstype-subtype-hash",
    ),
    pytest.param(
        # seen on 6.18: a bind of a file that was then unlinked; and a chroot's view
        MountInfoRecord(72, 71, 0, 44, b"/file//deleted", b"/tmp/probe/m2/x/target", b"rw,relatime", b"tmpfs", b"X",
                        b"rw"),
        {"current": b"72 71 0:44 /file//deleted /tmp/probe/m2/x/target rw,relatime - tmpfs X rw\n"},
        id="deleted-root",
    ),
    pytest.param(
        MountInfoRecord(67, 66, 0, 40, b"/", b"/c", b"rw,relatime", b"tmpfs", b"A", b"rw", master=2, propagate_from=1),
        {"current": b"67 66 0:40 / /c rw,relatime master:2 propagate_from:1 - tmpfs A rw\n"},
        id="propagate-from",
    ),
    pytest.param(
        # super options are the filesystem's business: kept verbatim, spaces and backslashes included
        MountInfoRecord(47, 20, 0, 38, b"/", b"/mnt/sounds", b"rw,relatime", b"cifs", b"//foo.home/bar/",
                        b"rw,unc=\\\\foo.home\\bar,odd opt"),
        {"current": b"47 20 0:38 / /mnt/sounds rw,relatime - cifs //foo.home/bar/ rw,unc=\\\\foo.home\\bar,odd opt\n"},
        id="verbatim-super-options",
    ),
]


MOUNTS_CASES = [
    pytest.param(
        MountsRecord(NASTY_SOURCE, NASTY_PATH, b"tmpfs", b"rw,relatime"),
        {
            "current": NASTY_SOURCE_CURRENT + b" " + NASTY_PATH_ESCAPED + b" tmpfs rw,relatime 0 0\n",
            "old": NASTY_SOURCE_OLD + b" " + NASTY_PATH_ESCAPED + b" tmpfs rw,relatime 0 0\n",
        },
        id="nasty",
    ),
    pytest.param(
        MountsRecord(b"", b"/tmp/probe/m/emptysrc", b"tmpfs", b"rw,relatime"),
        {"current": b" /tmp/probe/m/emptysrc tmpfs rw,relatime 0 0\n"},  # seen on 6.18
        id="empty-source",
    ),
    pytest.param(
        MountsRecord(b"fu#se src", b"/f", b"fuse.my#sub x", b"ro,nosuid,user_id=0 odd"),
        {
            "current": b"fu\\043se\\040src /f fuse.my\\043sub\\040x ro,nosuid,user_id=0 odd 0 0\n",
            "old": b"fu#se\\040src /f fuse.my#sub\\040x ro,nosuid,user_id=0 odd 0 0\n",
        },
        id="subtype-and-spaced-options",
    ),
]


NFS_STATS = (
    b"statvers=1.1\n\topts:\trw,vers=4.2\n\tage:\t17\n\tRPC iostats version: 1.1  p/v: 100003/4 (nfs)\n"
    b"\tper-op statistics\n\t        NULL: 0 0 0 0 0 0 0 0 0\n"
)

MOUNTSTATS_CASES = [
    pytest.param(
        MountStatsRecord(NASTY_SOURCE, NASTY_PATH, b"tmpfs"),
        {
            "current": b"device " + NASTY_SOURCE_CURRENT + b" mounted on " + NASTY_PATH_ESCAPED
            + b" with fstype tmpfs\n",
            "old": b"device " + NASTY_SOURCE_OLD + b" mounted on " + NASTY_PATH_ESCAPED + b" with fstype tmpfs\n",
        },
        id="nasty",
    ),
    pytest.param(
        MountStatsRecord(b"", b"/tmp/probe/m/emptysrc", b"tmpfs"),
        {"current": b"device  mounted on /tmp/probe/m/emptysrc with fstype tmpfs\n"},  # seen on 6.18
        id="empty-source",
    ),
    pytest.param(
        MountStatsRecord(b"none", b"/tmp/probe/m/nullsrc", b"tmpfs"),
        {"current": b"device none mounted on /tmp/probe/m/nullsrc with fstype tmpfs\n"},  # seen on 6.18
        id="no-source-on-6.18",
    ),
    pytest.param(
        MountStatsRecord(None, b"/old", b"proc"),
        {"current": b"no device mounted on /old with fstype proc\n"},  # a NULL device name, before 8f2918898eb5
        id="no-device",
    ),
    pytest.param(
        MountStatsRecord(b"srv:/export", b"/mnt/nfs", b"nfs4", NFS_STATS),
        {"current": b"device srv:/export mounted on /mnt/nfs with fstype nfs4 " + NFS_STATS + b"\n"},
        id="nfs-multi-line-stats",
    ),
    pytest.param(
        MountStatsRecord(b"x", b"/y", b"z", b""),
        {"current": b"device x mounted on /y with fstype z \n"},
        id="empty-stats",
    ),
]


FORMATS = {
    MountInfoRecord: (render_mountinfo, parse_mountinfo_line, parse_mountinfo),
    MountsRecord: (render_mounts, parse_mounts_line, parse_mounts),
    MountStatsRecord: (render_mountstats, parse_mountstats_line, parse_mountstats),
}


@pytest.mark.parametrize(("rec", "expected"), MOUNTINFO_CASES + MOUNTS_CASES + MOUNTSTATS_CASES)
def test_exact_bytes(rec: object, expected: dict[str, bytes]) -> None:
    render, parse_line, parse_file = FORMATS[type(rec)]
    for era in ("current", "old"):
        text = expected.get(era, expected["current"])  # cases that give only "current" print the same in "old"
        assert render(rec, era) == text
        assert parse_line(text, 1, era) == rec
        assert parse_file(text, era) == [rec]
        if not text.endswith(b"\n\n"):  # the trailing newline is optional for one line
            assert parse_line(text[:-1], 1, era) == rec


def test_whole_files_parse_in_order() -> None:
    infos = [case.values[0] for case in MOUNTINFO_CASES]
    assert parse_mountinfo(b"".join(render_mountinfo(r) for r in infos)) == infos
    mounts = [case.values[0] for case in MOUNTS_CASES]
    assert parse_mounts(b"".join(render_mounts(r) for r in mounts)) == mounts
    stats = [case.values[0] for case in MOUNTSTATS_CASES]
    text = b"".join(render_mountstats(r) for r in stats)
    assert parse_mountstats(text) == stats
    assert parse_mountstats(text + text) == stats + stats


def test_carriage_return_does_not_split_lines() -> None:
    rec = MountInfoRecord(49, 20, 0, 56, b"/", b"/mnt/test/foo\rbar", b"rw,relatime", b"tmpfs", b"tm\rpfs", b"rw",
                          shared=323)
    data = render_mountinfo(rec) * 2
    assert data.count(b"\n") == 2
    assert parse_mountinfo(data) == [rec, rec]


def test_empty_data_is_no_records() -> None:
    assert parse_mountinfo(b"") == []
    assert parse_mounts(b"") == []
    assert parse_mountstats(b"") == []


def test_accepts_bytearray_and_memoryview() -> None:
    line = b"1 2 0:3 / / rw - tmpfs t rw\n"
    assert parse_mountinfo(bytearray(line)) == parse_mountinfo(memoryview(line)) == [parse_mountinfo_line(line)]
    with pytest.raises(TypeError, match="must be bytes, not str"):
        parse_mountinfo(line.decode())  # type: ignore[arg-type]


def test_escapes_the_kernel_would_not_write_still_decode() -> None:
    """Other writers (and old tools) escape more than the kernel; any \\ooo decodes."""
    rec = parse_mountinfo_line(b"1 2 0:3 /\\101 /\\043 rw - tmp\\146s sr\\143 rw")
    assert (rec.root, rec.mount_point, rec.fstype, rec.source) == (b"/A", b"/#", b"tmpfs", b"src")
