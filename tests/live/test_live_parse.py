"""The real-world parser: tolerant by default, strict on request, bytes exact."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mountcursor.format import FormatError, MountInfoRecord, render_mountinfo
from mountcursor.live import MountEntry, Option, parse_mountinfo, parse_mountinfo_line, split_options
from mountcursor.live.entry import merge_options


def test_fields_and_tags():
    e = parse_mountinfo_line(b"36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 propagate_from:2 - ext3 /dev/root rw,errors=continue")
    assert (e.mnt_id, e.parent_id, e.major, e.minor) == (36, 35, 98, 0)
    assert (e.root, e.target, e.fstype, e.source) == (b"/mnt1", b"/mnt2", b"ext3", b"/dev/root")
    assert (e.shared, e.master, e.propagate_from, e.unbindable) == (None, 1, 2, False)
    assert e.vfs_options == b"rw,noatime" and e.fs_options == b"rw,errors=continue"
    assert e.options == b"rw,noatime,errors=continue"
    assert e.propagation == "private,slave"


def test_empty_source_two_spaces():
    e = parse_mountinfo_line(b"21 20 0:53 / /mnt/test rw,relatime shared:212 - tmpfs  rw")
    assert e.source == b"" and e.fs_options == b"rw" and e.shared == 212


def test_unknown_tags_kept_and_doubled_spaces_tolerated():
    e = parse_mountinfo_line(b"1 0 0:1 / / rw  shared:1 foo:bar  unbindable - x y rw")
    assert e.extra_tags == (b"foo:bar",) and e.shared == 1 and e.unbindable


def test_every_escape_decoded_and_cr_kept_raw():
    line = b"5 1 0:2 /a\\040b /x\\011y\\012z\\134w\rv\\303\\251 rw - t\\043p s\\040\\043rc rw\n"
    e = parse_mountinfo_line(line)
    assert e.root == b"/a b"
    assert e.target == b"/x\ty\nz\\w\rv\xc3\xa9"
    assert e.target_str == "/x\ty\nz\\w\rv\u00e9"
    assert (e.fstype, e.source) == (b"t#p", b"s #rc")


def test_split_on_newline_only():
    data = b"1 0 0:1 / /a\rb rw - t s rw\n2 1 0:2 / /a\x0bc\x0cd rw - t s rw\n"
    entries = parse_mountinfo(data).entries
    assert [e.target for e in entries] == [b"/a\rb", b"/a\x0bc\x0cd"]


def test_non_utf8_bytes_survive():
    e = parse_mountinfo_line(b"3 1 0:3 / /bad\xff\xfe rw - tmpfs src\xe9 rw")
    assert e.target == b"/bad\xff\xfe" and e.source == b"src\xe9"
    import os

    assert os.fsencode(e.target_str) == e.target


def test_super_options_end_at_a_blank_as_findmnt_reads_them():
    # libmount's mnt_parse_mountinfo_line takes one field and ignores the rest
    # (tests/hostile/test_like_findmnt.py compares this line with findmnt)
    e = parse_mountinfo_line(b"47 20 0:38 / /mnt rw - cifs //h/s rw,unc=\\\\h\\s x,user=me")
    assert e.fs_options == b"rw,unc=\\\\h\\s"


def test_very_long_line():
    target = b"/" + b"d" * 70000
    e = parse_mountinfo_line(b"9 1 0:9 / " + target + b" rw - overlay o rw,lowerdir=" + b"l" * 50000)
    assert e.target == target and len(e.fs_options) > 50000


def test_tolerant_reports_bad_lines_with_line_and_field():
    data = b"1 0 0:1 / / rw - t s rw\nnot a mountinfo line at all\nx 0 0:1 / / rw - t s rw\n2 1 0:2 / /m rw shared:1 t s rw\n"
    result = parse_mountinfo(data)
    assert [e.mnt_id for e in result.entries] == [1]
    assert [(err.lineno, err.field) for err in result.errors] == [(2, "mnt_id"), (3, "mnt_id"), (4, "separator")]
    assert str(result.errors[1]).startswith("line 3, field 'mnt_id'")


def test_missing_final_newline_tolerated_not_strict():
    data = b"1 0 0:1 / / rw - t s rw"
    assert len(parse_mountinfo(data).entries) == 1
    with pytest.raises(FormatError) as info:
        parse_mountinfo(data, strict=True)
    assert info.value.lineno == 1 and "newline" in info.value.message


@pytest.mark.parametrize(
    "line, field",
    [
        (b"1 0 0:1 / / rw  - t s rw\n", "extra_tags"),           # empty optional field
        (b"01 0 0:1 / / rw - t s rw\n", "mnt_id"),               # leading zero
        (b"1 0 0:1 / /a\\9b rw - t s rw\n", "mount_point"),      # not an octal escape
        (b"1 0 0:1 / / rw - t s xx\n", "super_opts"),            # options must start ro/rw
        (b"1 0 0:1 / / rw unbindable shared:1 - t s rw\n", "shared"),  # tag order
    ],
)
def test_strict_names_line_and_field(line, field):
    parse_mountinfo(line)  # tolerant mode reads it
    with pytest.raises(FormatError) as info:
        parse_mountinfo(b"1 0 0:1 / / rw - t s rw\n" + line, strict=True)
    assert info.value.lineno == 2 and info.value.field == field


def test_option_split_before_unescape():
    opts = split_options(b"rw,upperdir=/a\\054b=c\\040d,x\\075y=1,flag")
    assert opts == (Option(b"rw", None), Option(b"upperdir", b"/a,b=c d"), Option(b"x=y", b"1"), Option(b"flag", None))


@pytest.mark.parametrize(
    "vfs, fs, merged",
    [
        (b"rw,noatime", b"rw,errors=continue", b"rw,noatime,errors=continue"),
        (b"ro,nosuid", b"ro,mode=755", b"ro,nosuid,mode=755"),
        (b"ro,nosuid", b"rw,perf_event", b"ro,nosuid,perf_event"),
        (b"rw,relatime", b"ro", b"ro,relatime"),
        (b"rw", b"rw", b"rw"),
    ],
)
def test_merge_options_like_libmount(vfs, fs, merged):
    assert merge_options(vfs, fs) == merged


_path = st.binary(min_size=1, max_size=20).filter(lambda b: b"\0" not in b).map(lambda b: b"/" + b)
_records = st.builds(
    MountInfoRecord,
    mnt_id=st.integers(1, 2**31 - 1), parent_id=st.integers(0, 2**31 - 1),
    major=st.integers(0, 4095), minor=st.integers(0, 2**20 - 1),
    root=_path, mount_point=_path,
    mnt_opts=st.sampled_from([b"rw", b"ro,nosuid", b"rw,relatime"]),
    fstype=st.binary(min_size=1, max_size=8).filter(lambda b: b"\0" not in b),
    source=st.binary(max_size=12).filter(lambda b: b"\0" not in b),
    super_opts=st.sampled_from([b"rw", b"ro,size=4k", b"rw,mode=755"]),
    shared=st.none() | st.integers(1, 1000), master=st.none() | st.integers(1, 1000),
    unbindable=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_records, min_size=1, max_size=5), st.sampled_from(["old", "current"]))
def test_tolerant_equals_strict_on_kernel_output(records, era):
    data = b"".join(render_mountinfo(r, era) for r in records)
    tolerant = parse_mountinfo(data)
    strict = parse_mountinfo(data, strict=True, era=era)
    assert tolerant.errors == []
    assert tolerant.entries == strict.entries
    for rec, e in zip(records, tolerant.entries):
        assert (e.root, e.target, e.fstype, e.source, e.shared, e.master) == (
            rec.root, rec.mount_point, rec.fstype, rec.source, rec.shared, rec.master)


def test_entry_is_hashable_and_lineno_not_part_of_identity():
    a = parse_mountinfo_line(b"1 0 0:1 / / rw - t s rw", lineno=1)
    b = parse_mountinfo_line(b"1 0 0:1 / / rw - t s rw", lineno=7)
    assert a == b and hash(a) == hash(b) and isinstance(a, MountEntry)


_TRICKY = [
    b"20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw",  # ten fields
    b"21 20 0:53 / /mnt/a rw,relatime shared:212 - tmpfs tmpfs rw",  # one tag
    b"22 20 0:54 / /mnt/b rw master:7 - tmpfs tmpfs rw",
    b"23 20 0:55 / /mnt/c rw unbindable - tmpfs tmpfs rw",  # a tag the fast path leaves alone
    b"24 20 0:56 / /mnt/d rw propagate_from:3 - tmpfs tmpfs rw",
    b"25 20 0:57 / /mnt/e rw shared:x - tmpfs tmpfs rw",  # a tag with a bad number: kept as extra
    b"26 20 0:58 / /mnt/f rw foo:1 - tmpfs tmpfs rw",
    b"27 20 0:59 / /mnt/g rw shared:1 master:2 - tmpfs tmpfs rw",
    b"28 20 0:60 / /mnt/h rw  - tmpfs tmpfs rw",  # doubled space: an empty tag
    b"29 20 0:61 / /mnt/i rw - cifs //srv/x rw,unc=\\\\srv x",  # a space in the super options
    b"39 20 0:71 / /mnt/t\x0b\x0c rw - tmpfs tmpfs rw ",  # a trailing space
    b"40 20 0:72 / /mnt/u rw -  tmpfs tmpfs rw",  # two spaces after the separator
    b"  41 20 0:73 / /mnt/v rw - tmpfs tmpfs rw",  # indented
    b"42 20 0:74 / /mnt/w rw\tshared:3 - tmpfs\t tmpfs rw",  # tabs
    b"43 20 0:75  / /mnt/x rw - tmpfs tmpfs rw",  # a run of blanks is one separator
    b"44 20 0:76 / /mnt/y rw - tmpfs  ",  # an empty source, no options (an error)
    b"# 45 20 0:77 / /mnt/z rw - tmpfs tmpfs rw",  # comments
    b" \t# x",
    b"\t",
    b"30 20 0:62 / /mnt/j rw - tmpfs  rw",  # empty source
    b"31 20 0:63 /a\\040b /x\\011y\\134z rw - t\\043p s\\040rc rw",  # escapes
    b"32 20 0:64 / /mnt/k\r rw - tmpfs tmpfs rw",
    b"x 20 0:65 / /mnt/l rw - tmpfs tmpfs rw",  # errors: each field
    b"33 y 0:66 / /mnt/m rw - tmpfs tmpfs rw",
    b"34 20 066 / /mnt/n rw - tmpfs tmpfs rw",
    b"35 20 a:67 / /mnt/o rw - tmpfs tmpfs rw",
    b"36 20 0:b / /mnt/p rw - tmpfs tmpfs rw",
    b"37 20 0:68 / /mnt/q rw shared:1 tmpfs tmpfs rw x",
    b"38 20 0:69 / /mnt/r rw - tmpfs",
    b"0012 20 0:70 / /mnt/s rw - tmpfs tmpfs rw",
    b"",
    b"   ",
]


def _one_by_one(lines: list[bytes]) -> tuple[list[MountEntry], list[str]]:
    entries, errors = [], []
    for lineno, line in enumerate(lines, 1):
        if not line.lstrip(b" \t") or line.lstrip(b" \t").startswith(b"#"):
            continue
        try:
            entries.append(parse_mountinfo_line(line, lineno))
        except FormatError as err:
            errors.append(str(err))
    return entries, errors


def _same(lines: list[bytes]) -> None:
    result = parse_mountinfo(b"".join(line + b"\n" for line in lines))
    entries, errors = _one_by_one(lines)
    assert result.entries == entries
    assert [e.lineno for e in result.entries] == [e.lineno for e in entries]
    assert [str(err) for err in result.errors] == errors


def test_whole_table_parse_equals_line_by_line_parse():
    """The table parser's fast path gives what the general line parser gives, line
    for line (entries, line numbers, errors)."""
    _same(_TRICKY)
    _same([line for line in _TRICKY if b"\t" not in line])  # no tab in the table: the fast path is taken
    assert len(parse_mountinfo(b"".join(line + b"\n" for line in _TRICKY)).errors) == 8


_TOKENS = st.sampled_from([b"1", b"20", b"0:5", b"/", b"/m", b"rw", b"-", b"shared:1", b"master:2", b"tmpfs", b"",
                           b"a\\040b", b"x:y", b"\t", b"#", b"s\x0b", b"\r"])
_LINE = st.tuples(st.sampled_from([b"21", b"x"]), st.sampled_from([b"20", b""]), st.sampled_from([b"0:5", b"05"]),
                  st.lists(_TOKENS, min_size=5, max_size=10)).map(lambda t: b" ".join([*t[:3], *t[3]]))


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=6))
def test_whole_table_parse_equals_line_by_line_parse_on_random_lines(lines):
    _same(lines)


def _merge_by_items(vfs: bytes, fs: bytes) -> bytes:
    """merge_options written the long way: split both sides, drop each leading ro/rw."""
    if vfs == fs:
        return vfs
    ro, rest = False, []
    for items in (vfs.split(b",") if vfs else [], fs.split(b",") if fs else []):
        if items and items[0] in (b"ro", b"rw"):
            ro = ro or items[0] == b"ro"
            items = items[1:]
        rest.extend(items)
    return b",".join([b"ro" if ro else b"rw", *rest])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"ro", b"rw", b"", b"x=1", b"rwx", b"ro2", b"relatime"]), max_size=4),
       st.lists(st.sampled_from([b"ro", b"rw", b"", b"x=1", b"rwx", b"ro2", b"relatime"]), max_size=4))
def test_merge_options_equals_the_item_by_item_merge(vfs, fs):
    assert merge_options(b",".join(vfs), b",".join(fs)) == _merge_by_items(b",".join(vfs), b",".join(fs))
