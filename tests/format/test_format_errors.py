"""Malformed input: the exact FormatError (line number, field, message); refused records."""

from __future__ import annotations

import pickle

import pytest

from mountcursor.format import (
    FormatError,
    MountInfoRecord,
    MountsRecord,
    MountStatsRecord,
    parse_mountinfo,
    parse_mountinfo_line,
    parse_mounts,
    parse_mountstats,
    parse_mountstats_line,
    render_mountinfo,
    render_mounts,
    render_mountstats,
)

GOOD = b"22 27 0:21 / /proc rw,relatime - proc proc rw\n"


def _error(parse, data: bytes) -> FormatError:  # type: ignore[no-untyped-def]
    with pytest.raises(FormatError) as info:
        parse(data)
    return info.value


# (bad third line, field, message): parse_mountinfo(GOOD * 2 + bad) must say "line 3".
MOUNTINFO_BAD_LINES = [
    (b"22 27 0:21 / /proc rw,relatime proc proc rw", "separator",
     "missing the ' - ' between the mount options and the filesystem type"),
    (b"x1 27 0:21 / /proc rw - proc proc rw", "mnt_id", "expected a decimal integer, got b'x1'"),
    (b"22 -1 0:21 / /proc rw - proc proc rw", "parent_id", "expected a decimal integer, got b'-1'"),
    (b"022 27 0:21 / /proc rw - proc proc rw", "mnt_id", "expected a decimal integer without leading zeros, got b'022'"),
    (b"2147483648 27 0:21 / /proc rw - proc proc rw", "mnt_id", "2147483648 is out of range 0..2147483647"),
    (b"22 27 0-21 / /proc rw - proc proc rw", "major:minor", "expected 'major:minor', got b'0-21'"),
    (b"22 27 0:x / /proc rw - proc proc rw", "minor", "expected a decimal integer, got b'x'"),
    (b"22 27 :21 / /proc rw - proc proc rw", "major", "expected a decimal integer, got b''"),
    (b"22 27 4096:0 / /proc rw - proc proc rw", "major", "4096 is out of range 0..4095"),
    (b"22 27 0:1048576 / /proc rw - proc proc rw", "minor", "1048576 is out of range 0..1048575"),
    (b"22 27 0:21 /", "mount_point", "missing (the line has only 4 space-separated fields)"),
    (b"22 27", "major:minor", "missing (the line has only 2 space-separated fields)"),
    (b"22 27 0:21 / /proc - proc proc rw", "mnt_opts", "missing (' - ' follows the mount point)"),
    (b"22 27 0:21 / /proc rw -", "fstype", "missing after the ' - ' separator"),
    (b"22 27 0:21 / /proc rw - proc proc", "super_opts", "missing after the ' - ' separator"),
    (b"22 27 0:21 / /proc rw shared:x - proc proc rw", "shared", "expected a decimal integer, got b'x'"),
    (b"22 27 0:21 / /proc rw shared:0 - proc proc rw", "shared", "0 is out of range 1..2147483647"),
    (b"22 27 0:21 / /proc rw master: - proc proc rw", "master", "expected a decimal integer, got b''"),
    (b"22 27 0:21 / /proc rw shared:1 shared:2 - proc proc rw", "shared", "b'shared:2' is repeated"),
    (b"22 27 0:21 / /proc rw master:1 shared:2 - proc proc rw", "shared",
     "b'shared:2' follows master, which the kernel prints after it"),
    (b"22 27 0:21 / /proc rw unbindable master:1 - proc proc rw", "master",
     "b'master:1' follows unbindable, which the kernel prints after it"),
    (b"22 27 0:21 / /proc rw new:1 shared:2 - proc proc rw", "shared", "b'shared:2' follows the unknown tag b'new:1'"),
    (b"22 27 0:21 / /proc rw propagate_from:1 - proc proc rw", "propagate_from",
     "present without master (only slaves show it)"),
    (b"22 27 0:21 / /proc rw master:4 propagate_from:4 - proc proc rw", "propagate_from",
     "equals master (4); the kernel omits it then"),
    (b"22 27 0:21 / /proc rw  - proc proc rw", "extra_tags", "empty optional field (two spaces in a row)"),
    (b"22 27 0:21 / /proc xx - proc proc rw", "mnt_opts", "expected 'ro' or 'rw', then ','-separated options, got b'xx'"),
    (b"22 27 0:21 / /proc rw,,noexec - proc proc rw", "mnt_opts",
     "expected options without spaces or empty items, got b'rw,,noexec'"),
    (b"22 27 0:21 / /proc rwx - proc proc rw", "mnt_opts",
     "expected 'ro' or 'rw', then ','-separated options, got b'rwx'"),
    (b"22 27 0:21 / /proc rw - proc proc size=1", "super_opts",
     "expected 'ro' or 'rw', then ','-separated options, got b'size=1'"),
    (b"22 27 0:21 / /pr\\oc rw - proc proc rw", "mount_point",
     "backslash at byte 3 does not start an octal escape \\000-\\377: b'/pr\\\\oc'"),
    (b"22 27 0:21 / /proc\\400 rw - proc proc rw", "mount_point",
     "backslash at byte 5 does not start an octal escape \\000-\\377: b'/proc\\\\400'"),
    (b"22 27 0:21 / /proc rw - proc pr\toc rw", "source", "raw tab (the kernel writes \\011) at byte 2: b'pr\\toc'"),
    (b"22 27 0:21  /proc rw - proc proc rw", "root", "must not be empty"),
    (b"22 27 0:21 / /proc rw -  proc rw", "fstype", "must not be empty"),
    (b"22 27 0:21 / /proc rw - proc pro\0c rw", "source", "NUL byte at byte 3: b'pro\\x00c'"),
    (b"", "", "empty line"),
]


@pytest.mark.parametrize(("bad", "field", "message"), MOUNTINFO_BAD_LINES)
def test_mountinfo_errors(bad: bytes, field: str, message: str) -> None:
    error = _error(parse_mountinfo, GOOD * 2 + bad + b"\n" + GOOD)
    assert (error.lineno, error.field, error.message) == (3, field, message)
    where = f"line 3, field {field!r}: " if field else "line 3: "
    assert str(error) == where + message


def test_missing_trailing_newline_names_the_last_line() -> None:
    error = _error(parse_mountinfo, GOOD * 3 + GOOD[:-1])
    assert str(error) == "line 4: missing the trailing newline (the data ends inside a line)"
    assert _error(parse_mounts, b"x").lineno == 1
    assert _error(parse_mountstats, b"device x mounted on /y with fstype z\nde").lineno == 2


def test_single_line_without_number() -> None:
    error = _error(parse_mountinfo_line, b"1 2 0:3 / / rw - t")
    assert (error.lineno, error.field) == (None, "source")
    assert str(error) == "field 'source': missing after the ' - ' separator"
    assert str(_error(parse_mountinfo_line, b"1 2 0:3 / / rw - t s rw\n\n")) == (
        "more than one line (a newline inside the line)"
    )
    assert str(_error(parse_mountinfo_line, b"\n")) == "empty line"


MOUNTS_BAD_LINES = [
    (b"proc /proc proc rw 0 1", "passno", "expected b'0', got b'1'"),
    (b"proc /proc proc rw 1 0", "freq", "expected b'0', got b'1'"),
    (b"proc /proc proc rw", "passno", "expected b'0', got b'rw'"),
    (b"0", "freq", "missing (the line must end in ' 0 0')"),
    (b"proc /proc proc 0 0", "opts", "missing (the line has only 5 fields)"),
    (b"proc proc 0 0", "fstype", "missing (the line has only 4 fields)"),
    (b"proc /proc proc relatime 0 0", "opts", "expected 'ro' or 'rw', then ','-separated options, got b'relatime'"),
    (b"pr\\c /proc proc rw 0 0", "source", "backslash at byte 2 does not start an octal escape \\000-\\377: b'pr\\\\c'"),
    (b"proc  proc rw 0 0", "mount_point", "must not be empty"),
    (b"", "", "empty line"),
]


@pytest.mark.parametrize(("bad", "field", "message"), MOUNTS_BAD_LINES)
def test_mounts_errors(bad: bytes, field: str, message: str) -> None:
    good = b"proc /proc proc rw,relatime 0 0\n"
    error = _error(parse_mounts, good + bad + b"\n" + good)
    assert (error.lineno, error.field, error.message) == (2, field, message)


STATS_GOOD = b"device proc mounted on /proc with fstype proc\n"
NFS = b"device s:/e mounted on /n with fstype nfs statvers=1.1\n\topts:\trw\n\n"

MOUNTSTATS_BAD = [
    (STATS_GOOD + b"devices proc mounted on /proc with fstype proc\n", 2, "device",
     "expected 'device ' or 'no device ', got b'devices proc mounted'"),
    (STATS_GOOD + b"device proc mounted at /proc with fstype proc\n", 2, "mount_point",
     "expected 'mounted on' before it, got b'mounted at /proc wit'"),
    (STATS_GOOD + b"device proc mounted on /proc\n", 2, "fstype", "missing (expected 'with fstype' and a value)"),
    (STATS_GOOD + b"device proc mounted on /proc with fstype \n", 2, "fstype", "must not be empty"),
    (STATS_GOOD + b"no device mounted on  with fstype proc\n", 2, "mount_point", "must not be empty"),
    (STATS_GOOD + b"\n", 2, "", "empty line"),
    (b"\n" + STATS_GOOD, 1, "", "empty line"),
    (STATS_GOOD + b"\topts:\trw\n", 2, "device", "expected 'device ' or 'no device ', got b'\\topts:\\trw'"),
    (NFS + b"opts: rw\n", 4, "stats", "a continuation line must be empty or start with a tab, got b'opts: rw'"),
    (STATS_GOOD + b"device pr\\oc mounted on /proc with fstype proc\n", 2, "source",
     "backslash at byte 2 does not start an octal escape \\000-\\377: b'pr\\\\oc'"),
]


@pytest.mark.parametrize(("data", "lineno", "field", "message"), MOUNTSTATS_BAD)
def test_mountstats_errors(data: bytes, lineno: int, field: str, message: str) -> None:
    error = _error(parse_mountstats, data)
    assert (error.lineno, error.field, error.message) == (lineno, field, message)


def test_mountstats_record_lines_are_numbered_from_its_first() -> None:
    error = _error(lambda text: parse_mountstats_line(text, 10), b"device a mounted on /b with fstype c x\n\tok\nbad\n")
    assert (error.lineno, error.field) == (12, "stats")


def test_format_error_is_a_value_error_and_pickles() -> None:
    error = FormatError(3, "mnt_id", "expected a decimal integer, got b'x1'")
    assert isinstance(error, ValueError)
    assert str(error) == "line 3, field 'mnt_id': expected a decimal integer, got b'x1'"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.lineno, copy.field, copy.message, str(copy)) == (3, "mnt_id", error.message, str(error))
    assert str(FormatError(None, "", "bare")) == "bare"


def _info(**changes: object) -> MountInfoRecord:
    fields: dict[str, object] = dict(mnt_id=1, parent_id=2, major=0, minor=3, root=b"/", mount_point=b"/m",
                                     mnt_opts=b"rw", fstype=b"tmpfs", source=b"s", super_opts=b"rw")
    fields.update(changes)
    return MountInfoRecord(**fields)  # type: ignore[arg-type]


REFUSED_MOUNTINFO = [
    (_info(mount_point=b""), "mount_point", "must not be empty"),
    (_info(root=b"/a\0b"), "root", "contains a NUL byte, which no kernel string can hold"),
    (_info(fstype="tmpfs"), "fstype", "expected bytes, got str"),
    (_info(mnt_id=-1), "mnt_id", "-1 is out of range 0..2147483647"),
    (_info(minor=True), "minor", "expected an int, got bool"),
    (_info(major=4096), "major", "4096 is out of range 0..4095"),
    (_info(mnt_opts=b"rw,no exec"), "mnt_opts", "expected options without spaces or empty items, got b'rw,no exec'"),
    (_info(super_opts=b"rw,a\nb"), "super_opts", "contains a newline or NUL byte: b'rw,a\\nb'"),
    (_info(super_opts=b""), "super_opts", "expected 'ro' or 'rw', then ','-separated options, got b''"),
    (_info(shared=0), "shared", "0 is out of range 1..2147483647"),
    (_info(propagate_from=2), "propagate_from", "present without master (only slaves show it)"),
    (_info(master=2, propagate_from=2), "propagate_from", "equals master (2); the kernel omits it then"),
    (_info(unbindable=1), "unbindable", "expected a bool, got int"),
    (_info(extra_tags=[b"x"]), "extra_tags", "expected a tuple, got list"),
    (_info(extra_tags=(b"shared:1",)), "extra_tags", "b'shared:1' is a known tag: set the record's field instead"),
    (_info(extra_tags=(b"-",)), "extra_tags", "b'-' is empty, '-', or holds a space, newline or NUL"),
    (_info(extra_tags=(b"a b",)), "extra_tags", "b'a b' is empty, '-', or holds a space, newline or NUL"),
]


@pytest.mark.parametrize(("rec", "field", "message"), REFUSED_MOUNTINFO)
def test_render_mountinfo_refuses(rec: MountInfoRecord, field: str, message: str) -> None:
    error = _error(render_mountinfo, rec)
    assert (error.lineno, error.field, error.message) == (None, field, message)


def test_render_mounts_and_mountstats_refuse() -> None:
    assert _error(render_mounts, MountsRecord(b"s", b"/m", b"t", b"size=1")).field == "opts"
    assert _error(render_mounts, MountsRecord(b"s", b"/m", b"", b"rw")).field == "fstype"
    assert _error(render_mountstats, MountStatsRecord(b"s", b"/m", b"t", b"a\nb")).message == (
        "a continuation line must be empty or start with a tab, got b'b'"
    )
    assert _error(render_mountstats, MountStatsRecord(b"s\0", b"/m", b"t")).field == "source"


def test_unknown_era_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown era"):
        render_mounts(MountsRecord(b"s", b"/m", b"t", b"rw"), "new")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown era"):
        parse_mountinfo(GOOD, "5.10")  # type: ignore[arg-type]
