"""``-T``/``-M`` of a live table reads only the lines at the mount points that decide
the answer (:func:`~mountcursor.findmnt.select.mount_point_keys`,
:func:`~mountcursor.findmnt.rows.lines_at`), and of a sound saved table only the lines
whose mount point they are (``command._sound``): on generated tables and queries, what
that picks is what the whole table picks, or the narrowing says it must be redone."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from mountcursor.findmnt.command import _as_kernel_prints, _sound
from mountcursor.findmnt.rows import Rows, lines_at
from mountcursor.findmnt.select import Query, mount_point_keys, narrowed_in_vain, select

NAMES = ["a", "b", "a b", "c\\d"]  # a blank and a backslash: escaped in the table


def _escape(name: bytes) -> bytes:
    return name.replace(b"\\", b"\\134").replace(b" ", b"\\040")


@st.composite
def _case(draw, base: str):
    dirs = [base]
    for _ in range(draw(st.integers(1, 5))):
        parent = draw(st.sampled_from(dirs))
        dirs.append(os.path.join(parent, draw(st.sampled_from(NAMES))))
    lines = [b"1 0 8:1 / / rw - ext4 /dev/vda rw\n"]
    for i in range(draw(st.integers(1, 12))):
        target = os.fsencode(draw(st.sampled_from(dirs)))
        root = draw(st.sampled_from([b"/", target]))  # a root that reads like a mount point
        lines.append(b"%d %d 0:%d %s %s rw - tmpfs %s rw\n" % (i + 2, draw(st.integers(1, i + 1)), i,
                                                                _escape(root), _escape(target), _escape(target)))
    query = draw(st.sampled_from(dirs + [os.path.join(d, "x") for d in dirs] + ["/", "/nowhere/at/all"]))
    strict = draw(st.booleans())
    extra = draw(st.sampled_from([{}, {"types": "tmpfs"}, {"first_only": True}, {"backward": True},
                                  {"options": "rw"}]))
    return b"".join(lines), Query(target=query, strict_target=strict, **extra)


def test_the_keys_are_the_mount_points_that_decide() -> None:
    assert mount_point_keys(Query(target="/nowhere/b"), False) == [b"/nowhere/b", b"/nowhere"]
    assert mount_point_keys(Query(target="/nowhere/b", strict_target=True), False) == [b"/nowhere/b"]
    assert mount_point_keys(Query(target="/"), False) is None  # the root: the whole table
    for q in (Query(target="/x", invert=True), Query(target="/x", submounts=True),
              Query(target="/x", shadowed=True), Query(source="/x", positional_source=True, target="/y")):
        assert mount_point_keys(q, False) is None
    assert mount_point_keys(Query(target="/x"), True) is None  # --tree


def test_the_lines_are_found_by_their_escaped_mount_point() -> None:
    data = b"1 0 8:1 / / rw - ext4 /dev/vda rw\n2 1 0:2 / /a\\040b rw - tmpfs t rw\n3 1 0:3 / /a rw - tmpfs t rw\n"
    assert lines_at(data, [b"/a b"]) == b"2 1 0:2 / /a\\040b rw - tmpfs t rw\n"
    assert lines_at(data, [b"/a", b"/a b"]) == data.split(b"\n", 1)[1]
    assert lines_at(data, [b"/nowhere"]) == b""


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_narrowed_picks_what_the_whole_table_picks(tmp_path_factory, data) -> None:
    base = str(tmp_path_factory.mktemp("narrow"))
    table, q = data.draw(_case(base))
    for name in NAMES:  # the mount points exist: -T canonicalizes and looks up the path
        for d in (base, *[os.path.join(base, n) for n in NAMES]):
            os.makedirs(os.path.join(d, name), exist_ok=True)
    whole = Rows.from_mountinfo(table)
    assert whole is not None
    want = select(whole, q, False)
    keys = mount_point_keys(q, False)
    if keys is None:
        return
    # a live table: the lines that hold a mount point; a saved one (the same table, sound):
    # the lines whose mount point it is, found while the table is checked
    saved = _sound(table, keys)
    assert _as_kernel_prints(table) and saved is not None
    for few in (lines_at(table, keys), saved):
        part = Rows.from_mountinfo(few) if few else None
        if part is None:
            assert not want.found or all(whole.targets[i] == b"/" for i in want.order)
            continue
        got = select(part, q, False)
        if narrowed_in_vain(part, got):
            continue  # the command reads the whole table then
        assert [part.ids[i] for i in got.order] == [whole.ids[i] for i in want.order]
        COMPARED.append(q.strict_target)


COMPARED: list[bool] = []


def test_the_comparison_above_compared_both_kinds() -> None:
    """The property means something only if narrowed answers were compared, for -T and -M."""
    if not COMPARED:
        import pytest

        pytest.skip("run with the property test above")
    assert len(COMPARED) >= 20 and set(COMPARED) == {True, False}, (len(COMPARED), set(COMPARED))
