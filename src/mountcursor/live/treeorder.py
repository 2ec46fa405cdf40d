"""findmnt's tree order on bare mount ids: which row comes where, at which depth.

    rows, depths = preorder(ids, parents)      # indices into the table, in print order

Only the ids and parent ids of the table's lines, in table order, so that a printer that
never builds a :class:`~mountcursor.live.entry.MountEntry` (the lean ``tree`` of the
CLI) and :func:`mountcursor.live.findmnt.tree_order` share one definition.  Follows
findmnt of util-linux 2.38.1 (``misc-utils/findmnt.c`` ``create_treenode``) and
libmount's ``mnt_table_get_root_fs`` (``libmount/src/tab.c``):

* the root is the first line with the smallest parent id, then its parent while the
  parent is in the table (the first line of that id), stopping on a cycle;
* a line's children are the lines whose parent id is its id, in ascending id order; a
  line that is its own parent is nobody's child; with duplicate ids only the first line
  of an id has children or is one;
* after the root's subtree, every line not shown yet, in table order, starts a further
  top-level subtree (findmnt 2a8375976), so a cycle or an orphan is shown too, once.

Nothing recurses: a chain 100,000 deep is a loop.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat

__all__ = ["preorder", "root_index"]


def _first_of(ids: list[int]) -> dict[int, int]:
    """Each id's first line."""
    n = len(ids)
    return dict(zip(reversed(ids), range(n - 1, -1, -1)))


def root_index(ids: list[int], parents: list[int], first: dict[int, int] | None = None) -> int | None:
    """The line ``mnt_table_get_root_fs`` starts the tree from, or None for no lines."""
    if not ids:
        return None
    if first is None:
        first = _first_of(ids)
    root = parents.index(min(parents))
    seen: set[int] = set()
    while root not in seen:  # up to a line whose parent is not in the table, or round a cycle once
        seen.add(root)
        parent = first.get(parents[root])
        if parent is None or parent == root:
            break
        root = parent
    return root


def preorder(ids: list[int], parents: list[int],
             keep: Callable[[int], bool] | None = None) -> tuple[list[int], list[int]]:
    """The lines of findmnt's tree in print order (indices into ``ids``) and each one's
    depth.  ``keep(i)`` false leaves line ``i`` out; its children take its place (its
    depth, among its siblings), as findmnt's filters do in tree mode."""
    n = len(ids)
    first = _first_of(ids)
    unique = len(first) == n  # then every line is its id's first
    children: dict[int, list[int]] = {}
    get = children.get
    for i, (mnt_id, parent) in enumerate(zip(ids, parents)):
        if parent != mnt_id and (unique or first[mnt_id] == i):
            kids = get(parent)
            if kids is None:
                children[parent] = [i]
            else:
                kids.append(i)
    by_id = ids.__getitem__
    for kids in children.values():
        if len(kids) > 1:
            kids.sort(key=by_id)
    shown = bytearray(n)
    rows: list[int] = []
    depths: list[int] = []
    row, depth_of_row = rows.append, depths.append

    def add_subtree(start: int) -> None:
        stack = [(start, 0)]
        pop, push, push_all = stack.pop, stack.append, stack.extend
        while stack:
            i, depth = pop()
            if shown[i]:
                continue
            shown[i] = 1
            if keep is None or keep(i):
                row(i)
                depth_of_row(depth)
                depth += 1
            kids = get(ids[i])
            if kids and (unique or first[ids[i]] == i):
                if len(kids) == 1:
                    push((kids[0], depth))
                else:
                    push_all(zip(reversed(kids), repeat(depth)))

    root = root_index(ids, parents, first)
    if root is not None:
        add_subtree(root)
    if len(rows) < n or keep is not None:
        for i in range(n):
            if not shown[i] and (keep is None or keep(i)):
                add_subtree(i)
    return rows, depths
