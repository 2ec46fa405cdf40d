"""A list whose every row is picked for itself is printed a slice of the live table at a
time (:func:`~mountcursor.findmnt.command.selected_slices`): on generated tables and
queries, the cells of the slices one after the other are the cells of the rows the whole
table's selection picks, in the same order."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mountcursor.findmnt.cells import Context, column_texts
from mountcursor.findmnt.command import selected_slices
from mountcursor.findmnt.rows import Rows
from mountcursor.findmnt.select import Query, by_slices, select

COLUMNS = ["ID", "TARGET", "SOURCE", "FSTYPE", "OPTIONS", "PROPAGATION", "TID"]
TYPES = ["tmpfs", "proc", "ext4", "fuse.x"]
SOURCES = ["t1", "t2", "/dev/vda", "none", "a\\040b"]


@st.composite
def _table(draw) -> bytes:
    lines = [b"1 0 8:1 / / rw - ext4 /dev/vda rw\n"]
    for i in range(draw(st.integers(0, 40))):
        tag = draw(st.sampled_from([b"", b" shared:1", b" master:2"]))
        lines.append(b"%d %d 0:%d / /m/%d %s%s - %s %s %s\n" % (
            i + 2, draw(st.integers(1, i + 1)), i, i, draw(st.sampled_from([b"rw", b"ro", b"rw,nosuid"])), tag,
            draw(st.sampled_from(TYPES)).encode(), draw(st.sampled_from(SOURCES)).encode(),
            draw(st.sampled_from([b"rw", b"rw,size=4k", b"ro"]))))
    return b"".join(lines)


_QUERY = st.fixed_dictionaries({}, optional={
    "types": st.sampled_from(["tmpfs", "notmpfs", "ext4,proc"]),
    "options": st.sampled_from(["rw", "noro", "nosuid", "size=4k"]),
    "source": st.sampled_from(SOURCES + ["0:3", "nowhere"]),
    "target": st.sampled_from(["/m/3", "/", "/m/x"]),
    "first_only": st.booleans(), "backward": st.booleans(), "invert": st.booleans(),
    "real": st.booleans(), "pseudo": st.booleans(), "df": st.booleans(),
    "ids": st.sampled_from([(1,), (3, 5)]),
})


@settings(max_examples=300, deadline=None)
@given(_table(), _QUERY, st.integers(1, 300))
def test_the_slices_print_what_the_whole_table_prints(data: bytes, options: dict, size: int) -> None:
    q = Query(strict_target="target" in options, **options)
    if q.real and q.pseudo:
        q.pseudo = False
    assert by_slices(q, False, False)
    ctx = Context(pad_majmin=True)
    whole = Rows.from_mountinfo(data)
    assert whole is not None
    want = select(whole.with_tid(7), q, False)
    expected = column_texts(COLUMNS, whole.take(want.order), ctx)
    got: list[list[str | None]] = [[] for _ in COLUMNS]
    pieces = 0
    for grid in selected_slices(data, 7, q, COLUMNS, ctx, size):
        assert len(grid) > 0
        pieces += 1
        for column, cells in zip(got, grid.columns):
            column += cells
    assert got == expected
    assert (pieces > 0) == want.found


def test_which_selections_go_by_slices() -> None:
    assert by_slices(Query(), False, False) and by_slices(Query(source="x"), True, False)
    assert by_slices(Query(target="/x", strict_target=True), False, False)       # -M: the row's own mount point
    assert not by_slices(Query(), True, False)                                    # a tree
    assert not by_slices(Query(), False, True)                                    # --tree
    assert not by_slices(Query(target="/x"), False, False)                        # -T: the mount holding a path
    assert not by_slices(Query(source="x", positional_source=True), False, False)  # a source, else a target
    assert not by_slices(Query(shadowed=True), False, False)
    assert not by_slices(Query(source="x", submounts=True), False, False)
    assert not by_slices(Query(unique_ids=(5,)), False, False)


_CELL = st.one_of(st.none(), st.sampled_from(["", "/", "/a b", "x\\y", 'q"$`', "\u00e9", "\udcff", "12", "a\nb",
                                            "tab\there"]))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 4), st.lists(st.integers(0, 5), min_size=1, max_size=5), st.data(),
       st.sampled_from(["raw", "pairs", "json", "human"]), st.booleans(), st.booleans())
def test_a_list_printed_by_pieces_is_the_list_printed_whole(width, sizes, data, fmt, headings, arrays) -> None:
    from mountcursor.findmnt.render import Col, Grid, Layout, render_grid, render_pieces

    cols = [Col(f"C{k}", 0.1, json_number=k == 1, json_array=arrays and k == 2) for k in range(width)]
    pieces = [Grid([data.draw(st.lists(_CELL, min_size=n, max_size=n)) for _ in cols]) for n in sizes]
    whole = Grid([[cell for piece in pieces for cell in piece.columns[k]] for k in range(width)])
    layout = Layout(fmt=fmt, headings=headings)
    assert "".join(render_pieces(cols, pieces, layout)) == "".join(render_grid(cols, whole, layout))


_SOURCES = ["t1", "t1/", "//t1", "/x/t1", "t2", "/dev/vda", "LABEL=t1", "none", "a\\040b", "t#1"]


@st.composite
def _sourced(draw) -> bytes:
    lines = [b"1 0 8:1 / / rw - ext4 /dev/vda rw\n"]
    for i in range(draw(st.integers(0, 30))):
        lines.append(b"%d 1 %d:%d / /m/%d rw - %s %s rw\n" % (
            i + 2, draw(st.integers(0, 2)), draw(st.integers(0, 3)), i, draw(st.sampled_from(TYPES)).encode(),
            draw(st.sampled_from(_SOURCES)).encode()))
    return b"".join(lines)


@settings(max_examples=300, deadline=None)
@given(_sourced(), st.sampled_from(_SOURCES + ["a b", "/nowhere/t1", "1:2", "0:0", "LABEL=t1", "UUID=t1", "/", "/tmp"]),
       st.booleans(), st.sampled_from([{}, {"types": "tmpfs"}, {"first_only": True}, {"backward": True}]))
@example(b"1 0 8:1 / / rw - ext4 /dev/vda rw\n2 1 1:2 / /m/0 rw - tmpfs t1 rw\n", "1:2", False, {})  # a device
def test_a_source_is_looked_for_in_the_lines_that_hold_it(data: bytes, source: str, nocanon: bool, extra) -> None:
    """``-S``: the lines that hold what :func:`source_keys` names are all the lines the
    whole table's selection picks (else the keys are None and every line is read)."""
    from mountcursor.findmnt.rows import lines_holding
    from mountcursor.findmnt.select import source_keys

    q = Query(source=source.replace("\\040", " "), nocanonicalize=nocanon, **extra)
    whole = Rows.from_mountinfo(data)
    assert whole is not None
    want = [whole.ids[i] for i in select(whole, q, False).order]
    keys = source_keys(q)
    if keys is None:
        return
    from mountcursor.findmnt.command import _as_kernel_prints, _sound

    saved = _sound(data, held=keys)  # a saved table (sound): the lines whose device or source holds a key
    assert saved is not None
    for few in (lines_holding(data, keys), saved if _as_kernel_prints(data) else None):
        if few is None:
            continue
        part = Rows.from_mountinfo(few) if few else Rows("mountinfo")
        assert part is not None
        assert [part.ids[i] for i in select(part, q, False).order] == want
    NARROWED.append(bool(want))


NARROWED: list[bool] = []


def test_the_comparison_above_compared_sources_found_and_not() -> None:
    if not NARROWED:
        import pytest

        pytest.skip("run with the property test above")
    assert len(NARROWED) >= 30 and set(NARROWED) == {True, False}, (len(NARROWED), set(NARROWED))


_CLEAN = [b"a", b"/", b",", b"=", b"[", b"#", b"~", b"-"]
_ODD = [b'"', b"$", b"`", b"\\040", b"\\134", b"\xc3\xa9", b"\x01", b"\x7f", b"\r"]


@st.composite
def _fields(draw) -> list[tuple[bytes, ...]]:
    """Lines of fields made of the clean bytes and at most one odd one."""
    alphabet = _CLEAN + draw(st.sampled_from([[]] + [[odd] for odd in _ODD]))
    field = st.lists(st.sampled_from(alphabet), min_size=1, max_size=4).map(b"".join)
    return draw(st.lists(st.tuples(field, field, field, field, field), min_size=1, max_size=8))


@settings(max_examples=300, deadline=None)
@given(_fields(), st.sampled_from([False, True]))
def test_a_column_said_plain_needs_no_escape_in_any_format(fields, nofsroot) -> None:
    """:func:`~mountcursor.findmnt.cells.plain_columns` lets the printer skip its checks:
    every cell of a column it calls plain passes each format's check."""
    from mountcursor.findmnt.cells import plain_columns
    from mountcursor.findmnt.render import _QUOTED, _json_plain, _plain, _simple

    data = b"".join(b"%d 1 0:%d %s /m%s %s - %s %s %s\n" % (i + 2, i, b"/" + root, target, opts, fstype, source, opts)
                    for i, (root, target, opts, fstype, source) in enumerate(fields))
    rows = Rows.from_mountinfo(data)
    if rows is None:
        return
    names = [*COLUMNS, "FSROOT", "VFS-OPTIONS", "FS-OPTIONS", "PARENT", "OPT-FIELDS", "MAJ:MIN"]
    ctx = Context(pad_majmin=True, nofsroot=nofsroot)
    said = plain_columns(names, rows.with_tid(7), ctx)
    assert said[names.index("OPT-FIELDS")] is False and said[names.index("MAJ:MIN")] is False
    for name, plain, cells in zip(names, said, column_texts(names, rows, ctx)):
        if plain:
            texts = [cell or "" for cell in cells]
            for text in texts:
                assert _plain(text, " \t\\") and _plain(text, _QUOTED) and _json_plain(text), (name, text)
            assert _simple(texts)
            PLAIN.append(name)


PLAIN: list[str] = []


def test_the_check_above_saw_plain_columns() -> None:
    if not PLAIN:
        import pytest

        pytest.skip("run with the property test above")
    assert {"TARGET", "SOURCE", "OPTIONS"} <= set(PLAIN)


@st.composite
def _linked(draw) -> bytes:
    """A table whose ids are a shuffle (the kernel gives freed ids again) and whose
    parents are mostly a tree's, sometimes with a cycle, a repeated id or a mount its own
    parent."""
    n = draw(st.integers(1, 12))
    ids = draw(st.permutations(list(range(2, n + 2))))
    # each under an earlier line; the root's parent 0 or 1
    parents = [draw(st.sampled_from([0, 1]))] + [ids[draw(st.integers(0, k - 1))] for k in range(1, n)]
    lines = []
    for k in range(n):
        lines.append([ids[k], parents[k], b"/" if k == 0 else b"/m/%d" % k])
    damage = draw(st.sampled_from(["none", "none", "cycle", "self", "repeat", "root", "escaped root", "zero",
                                   "zero parent"]))
    if damage == "cycle" and n > 2:
        a, b = draw(st.integers(1, n - 1)), draw(st.integers(1, n - 1))
        lines[a][1], lines[b][1] = lines[b][0], lines[a][0]
    elif damage == "self" and n > 1:
        k = draw(st.integers(1, n - 1))
        lines[k][1] = lines[k][0]
    elif damage == "repeat" and n > 1:
        lines[-1][0] = lines[0][0]
    elif damage == "root":
        lines[0][2] = b"/r"
    elif damage == "escaped root":  # "/" as the kernel never writes it, but a file may
        lines[0][2] = b"\\057"
    ids_text = [b"%d" % i for i, _, _ in lines]
    if damage == "zero" and n > 1:  # "02" is the id 2 (a repeat of line 1's "2"): the same number, other bytes
        k = draw(st.integers(1, n - 1))
        ids_text[k] = b"0" + ids_text[0]
    parents_text = [b"%d" % p for _, p, _ in lines]
    if damage == "zero parent":  # "02" is the parent 2: no problem, other bytes
        k = draw(st.integers(0, n - 1))
        parents_text[k] = b"0" + parents_text[k]
    return b"".join(b"%s %s 0:1 / %s rw - tmpfs t rw\n" % (i, p, t)
                    for i, p, (_, _, t) in zip(ids_text, parents_text, lines))


@settings(max_examples=400, deadline=None)
@given(_linked())
def test_a_table_said_well_formed_has_no_problems(data: bytes) -> None:
    """What ``_may_have_problems`` lets through, :meth:`MountTable.problems` finds
    nothing in: the warnings of a saved table are only skipped when there are none."""
    from mountcursor.findmnt.command import _may_have_problems
    from mountcursor.live.parse import parse_mountinfo
    from mountcursor.live.table import MountTable

    from mountcursor.findmnt.command import _sound

    rows = Rows.from_mountinfo(data)
    assert rows is not None
    problems = MountTable(parse_mountinfo(data).entries).problems()
    may = _may_have_problems(rows.ids, rows.parents, rows.targets.__getitem__)
    if not may:
        assert problems == []
    assert (_sound(data) is not None) is not may  # the ids and mount points as printed, or split and unescaped: the same answer
    WELL.append((may, bool(problems)))


WELL: list[tuple[bool, bool]] = []


def test_the_check_above_passed_reused_ids_and_caught_damage() -> None:
    if not WELL:
        import pytest

        pytest.skip("run with the property test above")
    assert (False, False) in WELL and (True, True) in WELL  # trees with ids in any order pass, damage does not


def test_ids_given_again_are_no_problem() -> None:
    from mountcursor.findmnt.command import _may_have_problems

    tree = b"10 9 0:1 / / rw - ext4 r rw\n3 10 0:2 / /a rw - tmpfs t rw\n2 3 0:3 / /a/b rw - tmpfs t rw\n"
    rows = Rows.from_mountinfo(tree)
    assert rows is not None and not _may_have_problems(rows.ids, rows.parents, rows.targets.__getitem__)
    looped = tree + b"4 5 0:4 / /x rw - tmpfs t rw\n5 4 0:5 / /y rw - tmpfs t rw\n"
    rows = Rows.from_mountinfo(looped)
    assert rows is not None and _may_have_problems(rows.ids, rows.parents, rows.targets.__getitem__)


@st.composite
def _rising(draw) -> bytes:
    """A table whose ids mostly rise (as a kernel since 6.8 prints them), across a change
    in their number of digits, with parents on earlier lines, sometimes on a later one
    (a moved mount), and sometimes damaged."""
    n = draw(st.integers(1, 30))
    base = draw(st.sampled_from([2, 8, 95, 995]))
    ids = list(range(base, base + n))
    order = draw(st.sampled_from(["rising", "rising", "swapped", "as text"]))
    if order == "swapped" and n > 1:  # two ids swapped: not rising
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        ids[a], ids[b] = ids[b], ids[a]
    elif order == "as text":  # rising as bytes compare ("10" before "9"), not as numbers
        ids.sort(key=b"%d".__mod__)
    few = draw(st.integers(1, 4))  # parents among the first lines' ids
    parents = [draw(st.sampled_from([0, 1, base - 1]))]
    for k in range(1, n):
        parents.append(ids[draw(st.integers(0, min(k, few) - 1))])
    if n > 2 and draw(st.integers(0, 3)) == 0:  # a mount moved under a later one (whose parent is earlier)
        k = draw(st.integers(1, n - 2))
        parents[k] = ids[k + 1]
        parents[k + 1] = ids[0]
    targets = [b"/"] + [b"/m/%d" % k for k in range(1, n)]
    ids_text = [b"%d" % i for i in ids]
    parents_text = [b"%d" % p for p in parents]
    damage = draw(st.sampled_from(["none", "none", "cycle", "self", "repeat", "root", "zero", "zero parent",
                                   "two roots"]))
    if damage == "cycle" and n > 2:
        a, b = draw(st.integers(1, n - 1)), draw(st.integers(1, n - 1))
        parents_text[a], parents_text[b] = ids_text[b], ids_text[a]
    elif damage == "self" and n > 1:
        k = draw(st.integers(1, n - 1))
        parents_text[k] = ids_text[k]
    elif damage == "repeat" and n > 1:
        ids_text[draw(st.integers(1, n - 1))] = ids_text[draw(st.integers(0, n - 1))]
    elif damage == "root":
        targets[0] = b"/r"
    elif damage == "zero":  # the id of a parent, most likely
        k = draw(st.integers(0, min(few, n) - 1))
        ids_text[k] = b"0" + ids_text[k]
    elif damage == "zero parent":
        k = draw(st.integers(0, n - 1))
        parents_text[k] = b"0" + parents_text[k]
    elif damage == "two roots" and n > 1:
        parents_text[draw(st.integers(1, n - 1))] = draw(st.sampled_from([b"7777", parents_text[0]]))
    return b"".join(b"%s %s 0:1 / %s rw - tmpfs t rw\n" % line for line in zip(ids_text, parents_text, targets))


@settings(max_examples=500, deadline=None)
@given(_rising(), st.lists(st.integers(1, 8), max_size=8), st.sampled_from([64, 2, 1]))
@example(b"10 1 0:1 / / rw - t s rw\n8 10 0:2 / /a rw - t s rw\n9 10 0:3 / /b rw - t s rw\n"
         b"10 10 0:4 / /c rw - t s rw\n", [2, 1, 1], 64)  # "10" before "8" as bytes, then 10 again
def test_links_given_by_slices_tell_a_well_formed_table(data: bytes, cuts: list[int], few: int) -> None:
    """:class:`_Links` fed the ids and parents a slice at a time (slices of any length)
    says what :func:`_may_have_problems` says of the whole table's ints, whichever way
    it takes (rising ids and few parents, else the whole table asked)."""
    from mountcursor.findmnt import command
    from mountcursor.findmnt.command import _Links, _may_have_problems

    rows = Rows.from_mountinfo(data)
    assert rows is not None
    want = _may_have_problems(rows.ids, rows.parents, rows.targets.__getitem__)
    ids, parents = rows.printed_ids, rows.printed_parents
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(command, "_FEW_PARENTS", few)
        links = _Links()
        start = 0
        for k, cut in enumerate([*cuts, len(ids)]):
            some, theirs = ids[start:start + cut], parents[start:start + cut]
            links.add(some, theirs, *((b" ".join(some), b" ".join(theirs)) if k % 2 else ()))  # joined already, or not
            start += cut
            if start >= len(ids):
                break
        rising = links.rising
        assert links.may_have_problems(data) is want
    LINKS.append((rising, want))


LINKS: list[tuple[bool, bool]] = []


def test_the_comparison_above_took_both_ways_with_and_without_problems() -> None:
    if not LINKS:
        pytest.skip("run with the property test above")
    assert set(LINKS) == {(True, True), (True, False), (False, True), (False, False)}, set(LINKS)


@settings(max_examples=300, deadline=None)
@example([(b"a", b"a", b"a", b"a", b"a")] * 2, "json", True, True, ["TARGET", "SOURCE"])    # an empty source: null
@example([(b"a", b"a", b"a", b"a", b'"')] * 2, "pairs", False, False, ["SOURCE"])           # a quote in pairs
@example([(b"a", b"a", b"$", b"a", b"a")] * 2, "pairs", False, False, ["OPTIONS"])
@example([(b"a", b"\\040", b"a", b"a", b"a")] * 2, "raw", False, False, ["TARGET"])          # a blank in raw
@example([(b"a", b"a", b"a", b"a", b"\x01")] * 2, "json", False, False, ["SOURCE"])          # a control byte
@given(_fields(), st.sampled_from(["raw", "pairs", "json"]), st.booleans(), st.booleans(),
       st.lists(st.sampled_from(["TARGET", "SOURCE", "FSTYPE", "OPTIONS", "FSROOT", "VFS-OPTIONS", "FS-OPTIONS",
                                 "ID"]), min_size=1, max_size=4))
def test_cells_printed_as_their_bytes_are_the_cells_printed_as_text(fields, fmt, empty, nofsroot, names) -> None:
    """A slice given as the lines' own bytes (:func:`~mountcursor.findmnt.cells.column_bytes`,
    nothing decoded or escaped) prints what its text prints, escapes and ``null`` included:
    bytes that need an escape in some format, or an empty cell, keep it as text."""
    from mountcursor.findmnt.command import _cols
    from mountcursor.findmnt.render import Layout, render_pieces

    data = b"".join(b"%d 1 0:%d %s /m%s %s - %s %s %s\n"
                    % (i + 2, i, b"/" + root, target, opts, fstype, b"" if empty and i == 1 else source, opts)
                    for i, (root, target, opts, fstype, source) in enumerate(fields))
    ctx = Context(nofsroot=nofsroot)
    cols = _cols(names, False, False)
    layout = Layout(fmt=fmt)

    def printed(as_bytes: bool) -> bytes:
        grids = list(selected_slices(data, 7, Query(), names, ctx, 100, as_bytes=as_bytes))
        return b"".join(c if isinstance(c, bytes) else c.encode("utf-8", "surrogateescape")
                        for c in render_pieces(cols, grids, layout))

    assert printed(True) == printed(False)


@pytest.mark.parametrize("line, as_bytes", [(b"2 1 0:2 / /m rw - tmpfs t rw\n", True),
                                            (b"2 1 0:2 / /m\\040x rw - tmpfs t rw\n", False),   # a blank to escape
                                            (b"2 1 0:2 / /m rw - tmpfs t$ rw\n", False),         # $ in pairs
                                            (b"2 1 0:2 / /m rw - tmpfs  rw\n", False)])          # an empty source
def test_a_slice_is_given_as_bytes_only_when_nothing_needs_an_escape(line: bytes, as_bytes: bool) -> None:
    """Both ways of the comparison above are taken: a plain slice comes as its bytes
    (:attr:`Grid.raw`), one with a byte to escape or an empty cell as text."""
    grids = list(selected_slices(line, 7, Query(), ["TARGET", "SOURCE"], Context(), 100, as_bytes=True))
    assert [grid.raw is not None for grid in grids] == [as_bytes]
