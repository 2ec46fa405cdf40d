"""The lean ``tree`` prints what the findmnt view prints, byte for byte: on generated
tables (random parent links: nested mounts, stacks, orphans, cycles, duplicate ids;
tags, bind roots, options with quotes, names with escapes, control characters, UTF-8
and undecodable bytes) in the human table and ``-J``, with the locale's
and ASCII art, and declines what it does not take.  The comparison with findmnt itself on
live sandboxes is in ``tests/live/test_live_lean_list.py``."""

from __future__ import annotations

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mountcursor.cli.app import main
from mountcursor.cli.fastlist import LEAN_COLUMNS
from mountcursor.cli.fasttree import lean_tree_output
from mountcursor.cli.findmnt_args import parse
from mountcursor.cli.smartcols import Col, Grid, Layout, _json_chunks, _json_rows, _json_texts, locale_is_utf8

_NAME = st.text(alphabet="abcdefgh-_.:0123", min_size=1, max_size=6) | st.sampled_from(
    ["\\040x", "a\\134b", "\\011t", "\u00e9t\u00e9", "\u4e2d", "c\x01", "d\x7f", "\\x41", "e\udcff", "\u0301"])
_PATH = st.lists(_NAME, max_size=3).map(lambda parts: "/" + "/".join(parts))
_OPTS = st.sampled_from(["rw", "ro", "rw,relatime", "ro,nosuid,nodev,noexec,relatime", "rw,size=4k,mode=755",
                         'rw,context="a,b"', "rw,x=$y"])
_TAG = st.sampled_from([None] * 12 + ["shared:1", "master:7", "shared:12"] * 4 + ["shared:1 master:2"])  # two: declined


@st.composite
def _table(draw) -> bytes:
    n = draw(st.integers(1, 14))
    ids = draw(st.lists(st.integers(1, 20), min_size=n, max_size=n))
    lines = []
    for mnt_id in ids:
        parent = draw(st.one_of(st.sampled_from(ids), st.integers(0, 22)))
        fields = [str(mnt_id), str(parent), f"{draw(st.integers(0, 300))}:{draw(st.integers(0, 300))}",
                  draw(st.one_of(st.just("/"), _PATH)), draw(_PATH), draw(_OPTS)]
        tag = draw(_TAG)
        if tag:
            fields.append(tag)
        fields += ["-", draw(st.sampled_from(["tmpfs", "ext4", "proc"])), draw(st.sampled_from(["tmpfs", "/dev/vda1"])),
                   draw(_OPTS)]
        if draw(st.integers(0, 200)) == 0:
            fields[4] += "\\000x"                # an escaped NUL: the general path's
        lines.append(" ".join(fields).encode("utf-8", "surrogateescape") + b"\n")
    return b"".join(lines)


_COLUMNS = st.lists(st.sampled_from(sorted(LEAN_COLUMNS)), min_size=1, max_size=6)
TAKEN: list[bool] = []


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(_table(), st.one_of(st.none(), _COLUMNS), st.sampled_from([[], ["-J"]]), st.booleans(), st.booleans())
def test_lean_tree_equals_the_findmnt_view(tmp_path_factory, data, columns, fmt, noheadings, ascii_art):
    args = [*fmt, *(["-o", ",".join(columns)] if columns else []), *(["-n"] if noheadings else []),
            *(["-a"] if ascii_art else [])]
    params = parse(args)
    assert params is not None
    names = columns or ["TARGET", "SOURCE", "FSTYPE", "OPTIONS"]
    ours = lean_tree_output(data, names, "json" if fmt else "human", params, locale_is_utf8())  # -a: ASCII art
    TAKEN.append(ours is not None)
    if ours is None:
        return
    path = tmp_path_factory.mktemp("tab") / "mountinfo"
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["tree", "-F", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0
    assert "".join(ours).encode("utf-8", "surrogateescape") == result.stdout_bytes


def test_the_generated_tables_were_mostly_taken_by_the_lean_tree() -> None:
    """The comparison above means something only if the lean path printed most tables."""
    assert TAKEN and sum(TAKEN) >= len(TAKEN) // 4, (sum(TAKEN), len(TAKEN))


def test_lean_tree_declines_what_it_does_not_take() -> None:
    params = parse([])
    assert params is not None
    plain = b"1 0 0:1 / / rw - ext4 /dev/vda1 rw\n2 1 0:2 / /a rw - tmpfs t rw\n"
    assert "".join(lean_tree_output(plain, ["TARGET"], "human", params, True) or []) == "TARGET\n/\n\u2514\u2500/a\n"
    for odd in (plain.replace(b"/a", b"/\\000a"),                  # an escaped NUL
                plain.replace(b" - tmpfs", b" unbindable - tmpfs"),  # a tag the lean list does not take
                plain[:-1],                                          # no final newline
                b""):
        assert lean_tree_output(odd, ["TARGET"], "human", params, True) is None, odd


_CELLS = st.sampled_from([None, "", "a", 'x"y', "b\\c", "tab\t", "12", "\u00e9", "%s", "%", "/m"])


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.integers(0, 6), max_size=30), st.lists(st.sampled_from(["TARGET", "ID", "USE%", "X"]), min_size=1,
                                                          max_size=4), st.data())
def test_json_rows_put_together_by_template_are_the_rows_written_one_by_one(steps, names, data) -> None:
    """``-J`` puts each batch of rows together from per-depth templates; the same rows
    written one at a time (the way kept for a column of arrays) are the reference."""
    depths: list[int] = []
    for step in steps:                      # a valid pre-order: each row at most one deeper
        depths.append(0 if not depths else min(step, depths[-1] + 1))
    columns = [[data.draw(st.sampled_from([None, "1", "22"]) if name == "ID" else _CELLS) for _ in depths]
               for name in names]
    cols = [Col(name, 0.1, json_number=name == "ID") for name in names]
    for tree in (True, False):
        grid = Grid(columns, depths if tree else None)
        whole = "".join(_json_chunks(cols, grid, Layout(fmt="json", tree=tree)))
        texts = [_json_texts(col, column) for col, column in zip(cols, columns)]
        head = '{\n   "filesystems": [\n' + ("      " if depths else "")
        assert whole == head + "".join(_json_rows(cols, grid, texts, grid.depths)) + "\n   ]\n}\n"


def test_a_table_of_many_slices_is_the_findmnt_view(tmp_path) -> None:
    """750 KiB, three slices of the lean path: a tree across them, parents after their
    children in the table too, tags and bind roots."""
    lines = [b"1 0 8:1 / / rw - ext4 /dev/vda rw\n"]
    for i in range(2, 12002):
        parent = 1 if i % 50 == 2 else (i - 1 if i % 7 else i + 3 if i + 3 < 12002 else 1)
        lines.append(b"%d %d 0:%d %s /m/%d rw,relatime%s - tmpfs t%d rw,size=%dk\n"
                     % (i, parent, i % 300, b"/" if i % 3 else b"/sub", i,
                        b" shared:%d" % i if i % 5 == 0 else b"", i % 7, i % 11))
    data = b"".join(lines)
    path = tmp_path / "mountinfo"
    path.write_bytes(data)
    for fmt, args in (("human", []), ("json", ["-J"])):
        params = parse([*args, "-o", "+ID,PARENT,PROPAGATION"])
        assert params is not None
        ours = lean_tree_output(data, ["TARGET", "SOURCE", "FSTYPE", "OPTIONS", "ID", "PARENT", "PROPAGATION"], fmt,
                                params, locale_is_utf8())
        assert ours is not None
        general = CliRunner().invoke(main, ["tree", "-F", str(path), *args, "-o", "+ID,PARENT,PROPAGATION"])
        assert "".join(ours).encode("utf-8", "surrogateescape") == general.stdout_bytes
