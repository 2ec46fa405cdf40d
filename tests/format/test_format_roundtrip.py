"""Generated records: ``parse(render(x)) == x``; and no other exception than FormatError."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mountcursor.format import (
    ERAS,
    Era,
    FormatError,
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

INT_MAX = 2**31 - 1
# Bytes that matter to the formats, drawn often; any other non-NUL byte, drawn sometimes.
SPECIAL = [b" ", b"\t", b"\n", b"\\", b"#", b"\r", b"\xff", b"-", b"0", b"4", b":", b",", b"/"]
any_byte = st.one_of(st.sampled_from(SPECIAL), st.integers(1, 255).map(lambda i: bytes((i,))))
line_byte = any_byte.filter(lambda b: b != b"\n")


def byte_strings(element: st.SearchStrategy[bytes], min_size: int) -> st.SearchStrategy[bytes]:
    return st.lists(element, min_size=min_size, max_size=24).map(b"".join)


paths = byte_strings(any_byte, 1)
sources = byte_strings(any_byte, 0)
eras = st.sampled_from(ERAS)
ro_rw = st.sampled_from([b"ro", b"rw"])
MOUNT_FLAGS = [b"nosuid", b"nodev", b"noexec", b"noatime", b"nodiratime", b"relatime", b"nosymfollow", b"idmapped"]
mnt_opts = st.builds(
    lambda head, flags: b",".join([head, *flags]), ro_rw, st.lists(st.sampled_from(MOUNT_FLAGS), max_size=4)
)
# Super-block options: ro/rw, then whatever the filesystem prints, on one line.
super_opts = st.builds(
    lambda head, rest: head + (b"," + rest if rest else b""), ro_rw, byte_strings(line_byte, 0)
)
group_ids = st.integers(1, INT_MAX)
KNOWN_TAG_PREFIXES = (b"shared:", b"master:", b"propagate_from:")
extra_tags = st.lists(
    byte_strings(line_byte.filter(lambda b: b != b" "), 1).filter(
        lambda t: t not in (b"-", b"unbindable") and not t.startswith(KNOWN_TAG_PREFIXES)
    ),
    max_size=3,
).map(tuple)


@st.composite
def mountinfo_records(draw: st.DrawFn) -> MountInfoRecord:
    master = draw(st.none() | group_ids)
    propagate_from = None
    if master is not None:
        propagate_from = draw(st.none() | group_ids.filter(lambda g: g != master))
    return MountInfoRecord(
        mnt_id=draw(st.integers(0, INT_MAX)),
        parent_id=draw(st.integers(0, INT_MAX)),
        major=draw(st.integers(0, 4095)),
        minor=draw(st.integers(0, 2**20 - 1)),
        root=draw(paths),
        mount_point=draw(paths),
        mnt_opts=draw(mnt_opts),
        fstype=draw(paths),
        source=draw(sources),
        super_opts=draw(super_opts),
        shared=draw(st.none() | group_ids),
        master=master,
        propagate_from=propagate_from,
        unbindable=draw(st.booleans()),
        extra_tags=draw(extra_tags),
    )


mounts_records = st.builds(MountsRecord, sources, paths, paths, super_opts)
continuation = st.one_of(st.just(b""), byte_strings(line_byte, 0).map(lambda b: b"\t" + b))
stats = st.none() | st.builds(
    lambda first, rest: b"\n".join([first, *rest]), byte_strings(line_byte, 0), st.lists(continuation, max_size=4)
)
mountstats_records = st.builds(MountStatsRecord, st.none() | sources, paths, paths, stats)


@given(st.lists(mountinfo_records(), max_size=4), eras)
def test_mountinfo_roundtrip(records: list[MountInfoRecord], era: Era) -> None:
    lines = [render_mountinfo(rec, era) for rec in records]
    assert [parse_mountinfo_line(line, 1, era) for line in lines] == records
    assert parse_mountinfo(b"".join(lines), era) == records


@given(st.lists(mounts_records, max_size=4), eras)
def test_mounts_roundtrip(records: list[MountsRecord], era: Era) -> None:
    lines = [render_mounts(rec, era) for rec in records]
    assert [parse_mounts_line(line, 1, era) for line in lines] == records
    assert parse_mounts(b"".join(lines), era) == records


@given(st.lists(mountstats_records, max_size=4), eras)
def test_mountstats_roundtrip(records: list[MountStatsRecord], era: Era) -> None:
    texts = [render_mountstats(rec, era) for rec in records]
    assert [parse_mountstats_line(text, 1, era) for text in texts] == records
    assert parse_mountstats(b"".join(texts), era) == records


@given(mountinfo_records(), eras)
def test_eras_differ_only_by_hash(rec: MountInfoRecord, era: Era) -> None:
    """The old era's line is the current one with '\\043' left as '#' in type and source."""
    old, current = render_mountinfo(rec, "old"), render_mountinfo(rec, "current")
    assert (old == current) == (b"#" not in rec.fstype + rec.source)
    assert parse_mountinfo_line(old, None, era) == parse_mountinfo_line(current, None, era) == rec


# --- mutated kernel output: never an exception other than FormatError -------------

PARSERS: list[tuple[Callable[..., object], Callable[..., bytes]]] = [
    (parse_mountinfo_line, render_mountinfo),
    (parse_mounts_line, render_mounts),
    (parse_mountstats_line, render_mountstats),
]


@st.composite
def mutated(draw: st.DrawFn, strategy: st.SearchStrategy[object], render: Callable[..., bytes]) -> bytes:
    data = bytearray(render(draw(strategy)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from([b" ", b"-", b":", b"\\", b"\n", b"x", b"0", b" - ", b"shared:", b"\t"]))
        if action == "insert":
            data[at:at] = piece
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        else:
            data[at : at + len(piece)] = piece
    return bytes(data)


def _check_tolerated(parse: Callable[..., object], render: Callable[..., bytes], data: bytes) -> None:
    """``parse`` either refuses with FormatError or gives a record that renders and parses back."""
    try:
        rec = parse(data)
    except FormatError:
        return
    assert parse(render(rec)) == rec


@given(mutated(mountinfo_records(), render_mountinfo))
def test_mutated_mountinfo(data: bytes) -> None:
    _check_tolerated(parse_mountinfo_line, render_mountinfo, data)


@given(mutated(mounts_records, render_mounts))
def test_mutated_mounts(data: bytes) -> None:
    _check_tolerated(parse_mounts_line, render_mounts, data)


@given(mutated(mountstats_records, render_mountstats))
def test_mutated_mountstats(data: bytes) -> None:
    _check_tolerated(parse_mountstats_line, render_mountstats, data)


@given(st.binary(max_size=80))
def test_arbitrary_bytes(data: bytes) -> None:
    for parse, render in PARSERS:
        _check_tolerated(parse, render, data)
    for parse_file in (parse_mountinfo, parse_mounts, parse_mountstats):
        try:
            parse_file(data)
        except FormatError:
            pass


# --- records the kernel could not print: render refuses them, or they round-trip ----

loose_bytes = st.binary(max_size=12) | byte_strings(any_byte, 0)
loose_ints = st.integers(-2, 2**32)
loose_groups = st.none() | loose_ints


@given(
    st.builds(
        MountInfoRecord,
        loose_ints, loose_ints, loose_ints, loose_ints, loose_bytes, loose_bytes,
        loose_bytes | mnt_opts, loose_bytes, loose_bytes, loose_bytes | super_opts,
        loose_groups, loose_groups, loose_groups, st.booleans(),
        st.lists(loose_bytes, max_size=2).map(tuple),
    ),
    eras,
)
def test_render_refuses_or_roundtrips(rec: MountInfoRecord, era: Era) -> None:
    try:
        line = render_mountinfo(rec, era)
    except FormatError:
        return
    assert parse_mountinfo_line(line, None, era) == rec


@pytest.mark.parametrize("line, field", [(b" \\040 \\000 ro 0 0\n", "fstype"), (b"a /m\\000n tmpfs rw 0 0\n", "mount_point"),
                                         (b"\\000 /m tmpfs rw 0 0\n", "source")])
def test_an_escaped_nul_is_refused_as_the_record_would_be(line: bytes, field: str) -> None:
    """``\\000`` stands for a byte no kernel string can hold: the line is refused, in the
    field it is in, as rendering the record would refuse it (found by hypothesis:
    ``b' \\\\040 \\\\000 ro 0 0'`` parsed, and its record did not render)."""
    with pytest.raises(FormatError) as refused:
        parse_mounts_line(line, 3)
    assert (refused.value.lineno, refused.value.field) == (3, field)
    assert "NUL" in str(refused.value)
