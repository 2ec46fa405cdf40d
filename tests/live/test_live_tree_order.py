"""The column-by-column paths of ``tree``/``list`` give what the entry-by-entry ones give.

``tree_order`` (the rows findmnt prints, with their depths) against a plain reference
of findmnt's tree built node by node; ``column_texts`` against ``column_value`` of each
entry; ``tree_arts`` against the art read off each row's ancestors one by one.  Tables
come from the util-linux fixtures and from random parent links (duplicates, cycles,
mounts that are their own parent, orphans) with random filters.
"""

from __future__ import annotations

import gc
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mountcursor.live.entry import MountEntry
from mountcursor.findmnt.cells import Context, column_texts as engine_texts
from mountcursor.findmnt.rows import Rows
from mountcursor.live.findmnt import (COLUMNS, ColumnContext, Node, Preorder, column_value, tree,
                                      tree_order)
from mountcursor.live.gcpause import gc_paused
from mountcursor.live.table import MountTable
from mountcursor.live.tabfile import parse_tab
from mountcursor.findmnt.render import tree_arts

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("util-linux-*"))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def reference_tree(table: MountTable, keep=None) -> list[Node]:
    """findmnt's tree as a forest of nodes, written as util-linux 2.38.1 writes it
    (``create_treenode`` calling itself for each ``mnt_table_next_child_fs``, a scan
    for the smallest id above the last child's): root_fs first, then, if that gave
    fewer rows than the table has lines, every mount without a row yet in table order
    with all its descendants; a rejected mount's children take its place.  One
    addition: a walk does not enter an id already on its path (findmnt loops)."""
    entries = table.entries
    shown: set[int] = set()
    top: list[Node] = []

    def next_child(parent: MountEntry, last: int | None) -> MountEntry | None:
        best = None
        for e in entries:
            if e.parent_id == parent.mnt_id and e.mnt_id != parent.mnt_id and (last is None or e.mnt_id > last) \
                    and (best is None or e.mnt_id < best.mnt_id):
                best = e
        return best

    def create(e: MountEntry, siblings: list[Node], path: frozenset[int]) -> None:
        if e.mnt_id in path:
            return
        into = siblings
        if keep is None or keep(e):
            node = Node(e, [])
            siblings.append(node)
            into = node.children
            shown.add(id(e))
        last = None
        while (child := next_child(e, last)) is not None:
            create(child, into, path | {e.mnt_id})
            last = child.mnt_id

    root = None  # libmount's mnt_table_get_root_fs: the smallest parent id, then up
    for e in entries:
        if root is None or e.parent_id < root.parent_id:
            root = e
    seen: set[int] = set()
    while root is not None and id(root) not in seen:
        seen.add(id(root))
        parent = next((p for p in entries if p.mnt_id == root.parent_id), None)
        if parent is None or parent is root:
            break
        root = parent
    if root is not None:
        create(root, top, frozenset())
    if len(Preorder.of(top).entries) < len(entries):
        for e in entries:
            if id(e) not in shown and (keep is None or keep(e)):
                create(e, top, frozenset())
    return top


def shape(nodes: list[Node]) -> list:
    return [(id(n.entry), shape(n.children)) for n in nodes]


def entry(mnt_id: int, parent_id: int, target: bytes = b"/x", fstype: bytes = b"tmpfs") -> MountEntry:
    return MountEntry(mnt_id, parent_id, 0, mnt_id, b"/", target, b"rw", fstype, b"src", b"rw")


links = st.lists(st.tuples(st.integers(1, 12), st.integers(0, 13), st.sampled_from([b"tmpfs", b"proc", b"ext4"])),
                 max_size=14)


@SETTINGS
@given(links, st.sampled_from([None, b"tmpfs", b"proc"]))
def test_tree_order_is_findmnts_tree_in_print_order(rows, only) -> None:
    table = MountTable([entry(i, p, b"/m%d" % k, t) for k, (i, p, t) in enumerate(rows)])
    keep = None if only is None else (lambda e: e.fstype == only)
    want = reference_tree(table, keep)
    got = tree_order(table, keep)
    assert got == Preorder.of(want)
    assert shape(got.nodes()) == shape(want) == shape(tree(table, keep))
    kept = {id(e) for e in table.entries if keep is None or keep(e)}
    assert set(map(id, got.entries)) <= kept
    if len({e.mnt_id for e in table.entries}) == len(table.entries):  # then each kept mount at least once
        assert set(map(id, got.entries)) == kept


def test_tree_order_of_the_fixtures_and_a_deep_chain() -> None:
    for path in FIXTURES:
        table = MountTable.from_file(path)
        assert tree_order(table) == Preorder.of(reference_tree(table))
    chain = MountTable([entry(1, 0, b"/")] + [entry(i, i - 1) for i in range(2, 5001)])
    order = tree_order(chain)
    assert order.depths == list(range(5000)) and [e.mnt_id for e in order.entries] == list(range(1, 5001))


def reference_arts(depths: list[int], symbols: tuple[str, str, str]) -> list[str]:
    """Each row's art from its ancestors, looked up one by one: an ancestor (below the
    top) shows a vertical when a row as deep as it follows before a shallower one."""
    branch, vertical, right = symbols

    def has_later_sibling(i: int) -> bool:
        for j in range(i + 1, len(depths)):
            if depths[j] <= depths[i]:
                return depths[j] == depths[i]
        return False

    arts = []
    for i, depth in enumerate(depths):
        if depth == 0:
            arts.append("")
            continue
        ancestors = {}
        for j in range(i - 1, -1, -1):
            if depths[j] < depth and depths[j] not in ancestors and all(depths[j] < d for d in ancestors):
                ancestors[depths[j]] = j
        lines = "".join(vertical if has_later_sibling(ancestors[d]) else "  " for d in range(1, depth))
        arts.append(lines + (branch if has_later_sibling(i) else right))
    return arts


def forest_depths(parents: list[int]) -> list[int]:
    """Depths in pre-order of the forest where row k hangs below row ``parents[k]`` (or
    is a root when that is not an earlier row)."""
    kids: dict[int, list[int]] = {}
    roots = []
    for k, p in enumerate(parents):
        (kids.setdefault(p, []) if 0 <= p < k else roots).append(k)
    depths: list[int] = []
    stack = [(r, 0) for r in reversed(roots)]
    while stack:
        k, d = stack.pop()
        depths.append(d)
        stack.extend((c, d + 1) for c in reversed(kids.get(k, [])))
    return depths


@SETTINGS
@given(st.lists(st.integers(-1, 30), max_size=40))
def test_tree_arts_follow_each_rows_ancestors(parents) -> None:
    depths = forest_depths(parents)
    for symbols in (("|-", "| ", "`-"), ("\u251c\u2500", "\u2502 ", "\u2514\u2500")):
        assert tree_arts(depths, symbols) == reference_arts(depths, symbols)


def test_tree_arts_exactly() -> None:
    # /, /a, /a/b, /a/b/c, /a/d, /e, then a second root /z with one child
    assert tree_arts([0, 1, 2, 3, 2, 1, 0, 1], ("|-", "| ", "`-")) == [
        "", "|-", "| |-", "| | `-", "| `-", "`-", "", "`-"]


CONTEXTS = [ColumnContext(), ColumnContext(pad_majmin=True, tid=7), ColumnContext(nofsroot=True, vfs_all=True)]
PLAIN_COLUMNS = [name for name in COLUMNS if name not in ("SIZE", "USED", "AVAIL", "USE%")]  # statvfs: the host


def _texts(entries, ctx):
    return [[None if (v := column_value(e, name, ctx)) is None else str(v) for e in entries] for name in PLAIN_COLUMNS]


def column_texts(names: list[str], entries, ctx: ColumnContext) -> list[list[str | None]]:
    """The findmnt engine's cells of ``entries`` (as rows made from entries)."""
    kind = "fstab" if any(hasattr(e, "optstr") for e in entries) else "mountinfo"
    rows = Rows.from_entries(entries, kind).with_tid(ctx.tid)
    return engine_texts(names, rows, Context(in_bytes=ctx.in_bytes, evaluate=ctx.evaluate,
                                             canonicalize=ctx.canonicalize, nofsroot=ctx.nofsroot,
                                             vfs_all=ctx.vfs_all, pad_majmin=ctx.pad_majmin))


def test_column_texts_are_each_entrys_value() -> None:
    """The engine computes a column for a whole table at once; each cell is what the
    library's formula for one mount gives (:func:`column_value`), on tables as parsed
    and as split by the engine itself."""
    hostile = (b"1 0 0:1 / / rw - ext4 /dev/sda1 rw\n"
               b"2 1 0:0 /sub /a\\040b rw,nosuid shared:3 - btrfs LABEL=x ro\n"
               b"3 2 8:1 / /\xff\\134x ro master:2 - fuse.sshfs u@h:/ rw,a=b\\054c\n"
               b"0 3 0:4 / /\\011tab rw shared:4 master:1 unbindable - tmpfs  rw\n"
               b"5 0 0:5 / /\\000nul rw - \\040 x rw\n")
    tables = [MountTable.from_file(p) for p in FIXTURES] + [MountTable.from_bytes(hostile)]
    fstab = parse_tab(b"/dev/sda1 / ext4 defaults,ro 1 1\nproc /proc proc rw\n")
    for entries in [list(t.entries) for t in tables] + [fstab.entries, []]:
        for ctx in CONTEXTS:
            assert column_texts(PLAIN_COLUMNS, entries, ctx) == _texts(entries, ctx)
    split = Rows.from_mountinfo(hostile)
    assert split is not None
    entries = list(MountTable.from_bytes(hostile).entries)
    for ctx in CONTEXTS:
        cctx = Context(nofsroot=ctx.nofsroot, vfs_all=ctx.vfs_all, pad_majmin=ctx.pad_majmin)
        assert engine_texts(PLAIN_COLUMNS, split.with_tid(ctx.tid), cctx) == _texts(entries, ctx)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from([b"/", b"/a", b"/a b", b"\xff\xfe", b"\xe2\x82", b"", b"/\0"]),
                          st.sampled_from([b"/", b"/sub", b""]), st.sampled_from([b"rw", b"ro,nosuid", b""]),
                          st.integers(0, 3)), max_size=12))
def test_column_texts_of_repeated_and_undecodable_fields(fields) -> None:
    entries = [MountEntry(i, p, i, p, root, target, opts, b"tmpfs", target.replace(b"\0", b""), opts)
               for i, (target, root, opts, p) in enumerate(fields)]
    for ctx in CONTEXTS:
        assert column_texts(PLAIN_COLUMNS, entries, ctx) == _texts(entries, ctx)


def test_gc_paused_hands_what_it_built_to_the_oldest_generation() -> None:
    gc.collect()
    with gc_paused():
        assert not gc.isenabled()
        built = [[i] for i in range(20000)]
    assert gc.isenabled()
    assert gc.get_count()[0] < 1000          # no young collection over 20,000 lists is due
    assert all(gc.is_tracked(x) for x in built[:10]) and gc.get_freeze_count() == 0
    gc.collect()
    with gc_paused():                        # a little: left to the young collection
        few = [[i] for i in range(100)]
    assert gc.get_count()[0] >= 100 and len(few) == 100
    gc.freeze()                              # a program's own frozen objects stay frozen
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            more = [[i] for i in range(20000)]
        assert gc.get_freeze_count() == frozen and gc.isenabled() and len(more) == 20000
    finally:
        gc.unfreeze()


def test_the_root_of_a_table_that_is_one_cycle() -> None:
    # libmount: the smallest parent id (5, on mount 6), then up: 5, then 6 again, where
    # the walk stops -- on 6, the mount it came round to
    table = MountTable([entry(5, 6, b"/a"), entry(6, 5, b"/a/b"), entry(7, 9, b"/c")])
    assert table.root_fs is not None and table.root_fs.mnt_id == 6
    order = tree_order(table)
    assert [(e.mnt_id, d) for e, d in zip(order.entries, order.depths)] == [(6, 0), (5, 1), (7, 0)]


@SETTINGS
@given(links)
def test_a_table_is_all_reached_from_its_roots_exactly_when_the_walk_says_so(rows) -> None:
    """The quick answers of ``problems()`` (ids falling along every parent link, or a
    count a level at a time) agree with the walk from the roots, cycles included."""
    table = MountTable([entry(i, p, b"/m%d" % k, t) for k, (i, p, t) in enumerate(rows)])
    walked = len(list(table.walk())) if not table.duplicates else len(table._reached())
    assert table._all_reached() == (walked == len(table.entries))
    assert any("parent cycle" in text for text in table.problems()) == (walked < len(table.entries))
