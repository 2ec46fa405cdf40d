"""The engine's columns: a table split line by line into columns holds exactly what the
library's parser makes of it, the split declines every line of another shape (then the
parser's entries are used), and a plain ``list`` or a selection starts without click,
dataclasses or the parser."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mountcursor.findmnt.rows import Rows, kernel_shaped, tag_facts
from mountcursor.live.parse import parse_mountinfo

_NAME = st.text(alphabet="abcdefgh-_.:0123", min_size=1, max_size=6)
_PATH = st.lists(_NAME, max_size=3).map(lambda parts: "/" + "/".join(parts))
_OPTS = st.sampled_from(["rw", "ro", "rw,relatime", "ro,nosuid,nodev,noexec,relatime", "rw,size=4k,mode=755",
                         'rw,context="a,b"', "rw,x=$y", "rw,a`b"])
_TAG = st.sampled_from(["", "", "shared:1", "master:7", "shared:12 master:3", "unbindable", "shared:1 unbindable",
                        "master:2 propagate_from:1", "shared:4 master:2 propagate_from:1 unbindable"])
_ESCAPED = st.sampled_from(["", "", "\\040x", "\\134y", "\\011t", "\\012n", "\u00e9", "\x01", "\\ooo"])


@st.composite
def _line(draw) -> bytes:
    root = draw(st.one_of(st.just("/"), _PATH))
    target = draw(_PATH) + draw(_ESCAPED)
    tag = draw(_TAG)
    fields = [str(draw(st.integers(1, 99999))), str(draw(st.integers(0, 99999))),
              f"{draw(st.integers(0, 300))}:{draw(st.integers(0, 300))}", root, target, draw(_OPTS)]
    if tag:
        fields.append(tag)
    fields += ["-", draw(st.sampled_from(["tmpfs", "ext4", "fuse.sshfs", "proc"])),
               draw(st.sampled_from(["tmpfs", "/dev/vda1", "LABEL=x", "none", "a\\040b"])), draw(_OPTS)]
    return " ".join(fields).encode() + b"\n"


_COLUMNS = ("ids", "parents", "devnos", "roots", "targets", "vfs", "tags", "fstypes", "sources", "fs", "propagations")


def _columns(rows: Rows) -> dict[str, list[object]]:
    return {name: getattr(rows, name) for name in _COLUMNS} | {"options": list(rows.options())}


@settings(max_examples=200, deadline=None)
@given(st.lists(_line(), min_size=1, max_size=12))
def test_split_columns_are_the_parsers_entries(lines: list[bytes]) -> None:
    data = b"".join(lines)
    split = Rows.from_mountinfo(data)
    parsed = Rows.from_entries(parse_mountinfo(data).entries, "mountinfo")
    assert split is not None
    assert _columns(split) == _columns(parsed)
    printed = Rows.from_mountinfo(data, kernel_printed=True)   # the numbers not checked again: the same rows
    assert printed is not None and _columns(printed) == _columns(parsed)
    for i in range(len(split)):   # and a row made into an entry is the parser's entry
        assert split.entry(i) == parsed.entry(i)
    _same_links(data, split)


def _same_links(data: bytes, split: Rows) -> None:
    """:func:`kernel_shaped` of a table gives each slice's fields: the split rows' ids and parents (and
    each joined by blanks), and :func:`printed_target` their mount points."""
    from mountcursor.format.escaping import unescape

    from mountcursor.findmnt.rows import printed_target

    ids: list[bytes] = []
    parents: list[bytes] = []

    def each(piece: bytes, fields: list[list[bytes]], joined_ids: bytes, joined_parents: bytes) -> None:
        assert (joined_ids, joined_parents) == (b" ".join(fields[0]), b" ".join(fields[1]))
        ids.extend(fields[0])
        parents.extend(fields[1])

    assert kernel_shaped(data, each)
    assert list(map(int, ids)) == split.ids and list(map(int, parents)) == split.parents
    rows = range(len(split)) if len(split) < 100 else (0, 1, 499, 500, 501, len(split) - 1)  # across slices
    assert [unescape(printed_target(data, i)) for i in rows] == [split.targets[i] for i in rows]


@st.composite
def _uniform(draw) -> list[bytes]:
    """Lines with as many optional fields each (the whole slice is split at once)."""
    tag = draw(_TAG)
    return [_swap_tag(line, tag) for line in draw(st.lists(_line(), min_size=1, max_size=12))]


def _swap_tag(line: bytes, tag: str) -> bytes:
    head, _, tail = line.partition(b" - ")
    fields = head.split(b" ")[:6] + ([tag.encode()] if tag else [])
    return b" ".join(fields) + b" - " + tail


@settings(max_examples=200, deadline=None)
@given(_uniform())
def test_lines_with_as_many_fields_are_split_as_the_parser_reads_them(lines: list[bytes]) -> None:
    data = b"".join(lines)
    split = Rows.from_mountinfo(data)
    assert split is not None
    assert _columns(split) == _columns(Rows.from_entries(parse_mountinfo(data).entries, "mountinfo"))


def test_lines_of_another_shape_are_left_to_the_parser() -> None:
    plain = (b"21 1 0:19 / / rw,relatime shared:1 - tmpfs tmpfs rw,size=4k\n"
             b"22 21 8:1 /sub /mnt rw master:3 - ext4 /dev/vda1 rw\n")
    assert Rows.from_mountinfo(plain) is not None
    for odd in (plain.replace(b"shared:1", b"shared:1  master:2"),    # an empty optional field
                plain.replace(b"shared:1", b"master:2 shared:1"),     # tags out of the kernel's order
                plain.replace(b"shared:1", b"shared:x"),
                plain.replace(b"shared:1", b"future:1"),              # a tag the kernel does not print today
                plain.replace(b"rw,size=4k", b"rw,unc=\\\\a b"),        # a blank in the super-block options
                plain.replace(b"0:19", b"0x19"), plain.replace(b"21 1", b"21 -1"),
                plain[:-1],                                           # the last line not ended
                plain + b"\n", b"\n" + plain,                          # an empty line
                plain.replace(b"\n", b"\n\n", 1),                      # one between two lines
                plain * 300 + b"\n" + plain * 300,                     # ... in a slice of lines of one shape
                plain.replace(b"/mnt", b"/m\tx")):                    # a tab: libmount's blank, as a space
        assert Rows.from_mountinfo(odd) is None, odd
        assert not kernel_shaped(odd, lambda piece, fields, ids, parents: None), odd
        if b"0x19" not in odd and b"-1" not in odd:  # a shape, not a number: refused as a kernel's table too
            assert Rows.from_mountinfo(odd, kernel_printed=True) is None, odd


_ODD_NUMBERS = [(b"21 1", b"0:19x"), (b"21 1", b":19"), (b"21 1", b"0:"), (b"21 1", b"0:1:9"), (b"21 1", b"019"),
                (b"21 1", b"0::19"), (b"21 1", b"0" * 21 + b":19"), (b"21 1", b"0:" + b"1" * 21), (b"2a 1", b"0:19"),
                (b"21 1x", b"0:19"), (b"21 " + b"1" * 21, b"0:19"), (b"21 +1", b"0:19"), (b"-21 1", b"0:19"),
                (b" 1", b"0:19"), (b"21 ", b"0:19")]   # the last two: an empty id, an empty parent


@pytest.mark.parametrize("ids, devno", _ODD_NUMBERS)
def test_a_number_or_device_of_another_shape_is_left_to_the_parser(ids: bytes, devno: bytes) -> None:
    """Ids, parents and devices are checked a column at a time: one bad cell in the
    middle of a slice (where the others hide it from a count) sends the table to the parser."""
    lines = [b"%d %d 0:%d / /m%d rw - tmpfs t rw\n" % (i + 2, i + 1, i, i) for i in range(40)]
    good = b"".join(lines)
    assert Rows.from_mountinfo(good) is not None
    assert Rows.from_mountinfo(b"".join(lines[:20]) + ids + b" " + devno + b" / /odd rw - tmpfs t rw\n"
                               + b"".join(lines[20:])) is None
    # at a slice's edges too
    assert Rows.from_mountinfo(ids + b" " + devno + b" / /odd rw - tmpfs t rw\n" + good) is None
    assert Rows.from_mountinfo(good + ids + b" " + devno + b" / /odd rw - tmpfs t rw\n") is None


def test_numbers_and_devices_of_every_length_are_split() -> None:
    """One to 20 digits on either side of a device's colon, ids of one to 20 digits."""
    for digits in (1, 2, 19, 20):
        number = b"9" * digits
        data = (b"21 1 0:19 / / rw - tmpfs t rw\n"
                + number + b" " + number + b" " + number + b":" + number + b" / /m rw - tmpfs t rw\n")
        split = Rows.from_mountinfo(data)
        assert split is not None and split.devnos[1] == number + b":" + number and split.ids[1] == int(number)


def test_a_long_line_is_split_as_the_parser_reads_it() -> None:
    """A line longer than the parser's fast path (4,300 bytes: its numbers are checked
    there) is split all the same: the split takes no number of over 20 digits."""
    data = (b"21 1 0:19 / / rw,relatime shared:1 - tmpfs tmpfs rw,size=4k\n"
            b"22 21 8:1 /sub /" + b"m" * 5000 + b" rw master:3 - ext4 /dev/vda1 rw\n")
    split = Rows.from_mountinfo(data)
    assert split is not None and split.targets[1] == b"/" + b"m" * 5000
    assert _columns(split) == _columns(Rows.from_entries(parse_mountinfo(data).entries, "mountinfo"))
    assert Rows.from_mountinfo(data.replace(b"22 21", b"2" * 21 + b" 21")) is None


@pytest.mark.parametrize("tags", [b"", b"shared:1", b"master:2", b"shared:1 master:2", b"unbindable",
                                  b"master:2 propagate_from:1 unbindable"])
def test_tag_facts_are_the_entrys(tags: bytes) -> None:
    line = b"2 1 0:1 / /m rw " + (tags + b" " if tags else b"") + b"- tmpfs t rw\n"
    (entry,) = parse_mountinfo(line).entries
    assert tag_facts(tags) == (entry.propagation, entry.opt_fields)


def test_a_table_of_many_slices_is_split_whole() -> None:
    lines = [b"%d %d 0:%d %s /m/%d rw,relatime%s - tmpfs t%d rw,size=%dk\n"
             % (i + 2, i + 1, i % 300, b"/" if i % 3 else b"/sub", i, b" shared:%d" % i if i % 5 == 0 else b"",
                i % 7, i % 11) for i in range(12000)]                           # 750 KiB: three slices
    data = b"".join(lines)
    split = Rows.from_mountinfo(data)
    assert split is not None and len(split) == 12000
    _same_links(data, split)
    assert _columns(split) == _columns(Rows.from_entries(parse_mountinfo(data).entries, "mountinfo"))
    assert Rows.from_mountinfo(b"".join(lines[:11999] + [lines[11999].replace(b" - ", b" x - ")])) is None
    same = [_swap_tag(line, "shared:1 master:2") for line in lines]   # every slice split at once
    split = Rows.from_mountinfo(b"".join(same))
    assert split is not None and split.tags == [b"shared:1 master:2"] * 12000
    assert _columns(split) == _columns(Rows.from_entries(parse_mountinfo(b"".join(same)).entries, "mountinfo"))
    # as many fields in all as if each line had as many, but one has fewer and the next more
    shifted = b"".join(same[:5000] + [same[5000].replace(b" master:2", b""),
                                      same[5001].replace(b" - ", b" propagate_from:3 - ")] + same[5002:])
    split = Rows.from_mountinfo(shifted)
    assert split is not None and split.tags[5000:5002] == [b"shared:1", b"shared:1 master:2 propagate_from:3"]
    assert _columns(split) == _columns(Rows.from_entries(parse_mountinfo(shifted).entries, "mountinfo"))


def _modules_after(args: list[str]) -> set[str]:
    code = ("import sys\nfrom mountcursor.cli import main\ntry:\n"
            f"    main({args!r})\nexcept SystemExit:\n    pass\n"
            "sys.stdout.flush()\nsys.stderr.write('\\n'.join(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    return set(done.stderr.decode().split("\n"))


@pytest.mark.parametrize("args", [["list", "-r"], ["list"], ["list", "-J", "-o", "+ID"], ["tree", "-P"],
                                  ["tree", "-l"], ["tree"], ["tree", "-J"], ["list", "-T", "/proc"],
                                  ["list", "-M", "/"], ["list", "-S", "proc"], ["list", "-t", "proc"], ["list", "-O", "ro"], ["tree", "-U"],
                                  ["tree", "-R", "-T", "/sys"]])
def test_list_starts_without_click_dataclasses_or_the_parser(args: list[str]) -> None:
    """What makes ``mountcursor list`` start in a few milliseconds, whatever the selection:
    the table is split into columns and printed by the engine alone."""
    with open("/proc/self/mountinfo", "rb") as f:
        if Rows.from_mountinfo(f.read()) is None:
            pytest.skip("this machine's mount table has a line of another shape: the parser reads it")
    loaded = _modules_after(args)
    heavy = {"click", "dataclasses", "typing", "mountcursor.live.entry", "mountcursor.live.table",
             "mountcursor.live.query", "mountcursor.format.mountinfo",
             # nor re and enum (a third of a small table's run), nor what they bring
             "re", "enum", "functools", "collections", "locale", "signal", "operator", "unicodedata"}
    assert sorted(loaded & heavy) == []
    if args in (["list", "-r"], ["list"]):  # paths and devices only where a selection names one
        assert "mountcursor.live.devices" not in loaded
    general = _modules_after(["list", "-r", "-o", "TARGET,SIZE"])   # a column made from more than the line
    assert "mountcursor.live.entry" in general
    assert sorted(general & {"click", "ctypes", "mountcursor.live.syscalls"}) == []  # listmount's, not needed


def test_a_reader_that_goes_away_ends_list_by_sigpipe_as_findmnt(tmp_path) -> None:
    path = tmp_path / "fstab"
    path.write_bytes(b"".join(b"/dev/vd%d /mnt/%d ext4 defaults 0 0\n" % (i, i) for i in range(20000)))
    proc = subprocess.Popen([sys.executable, "-m", "mountcursor", "list", "-F", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().startswith(b"TARGET")
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -13 and err == b""  # killed by SIGPIPE, no "Broken pipe" message


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(alphabet="0129:", max_size=24).map(str.encode), min_size=1, max_size=6))
@example([b"0:0", b"254:12"])
@example([b"1:" + b"9" * 20, b"9" * 20 + b":1"])
@example([b"1:" + b"9" * 21])
def test_devices_are_checked_as_one_token_at_a_time(tokens: list[bytes]) -> None:
    """The device column's check at C speed (no token made) says what a check of each
    token says: ``MAJOR:MINOR``, one to 20 digits each."""
    from mountcursor.findmnt.rows import _devnos

    def one(token: bytes) -> bool:
        major, colon, minor = token.partition(b":")
        return bool(colon) and all(0 < len(n) <= 20 and n.isdigit() for n in (major, minor))

    assert _devnos(tokens) == all(map(one, tokens))
