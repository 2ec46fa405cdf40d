"""findmnt's tree order on bare mount ids: which row comes where, at which depth.

    rows, depths = preorder(ids, parents)      # indices into the table, in print order

Only the ids and parent ids of the table's lines, in table order, so that a printer that
never builds a :class:`~mountcursor.live.entry.MountEntry` (the lean ``tree`` of the
CLI) and :func:`mountcursor.live.findmnt.tree_order` share one definition.  Follows
findmnt of util-linux 2.38.1 (``misc-utils/findmnt.c`` ``create_treenode``) and
libmount's ``mnt_table_get_root_fs`` (``libmount/src/tab.c``):

* the root is the first line with the smallest parent id, then its parent while the
  parent is in the table (the first line of that id), stopping on a cycle;
* a line's children are the lines whose parent id is its id, in ascending id order,
  of several lines with one id the first (``mnt_table_next_child_fs``); a line that is
  its own parent is nobody's child; every line of an id has that id's children;
* the root's subtree is printed, then, if it has fewer rows than the table has lines,
  every line not shown yet, in table order, starts a further top-level subtree with
  *all* its descendants, shown before or not (findmnt's ``create_treenode`` checks
  ``has_line`` only for the tops): a mount listed before its new parent (a moved
  mount, a chroot's table) is shown on its own and again under its parent;
* findmnt loops for ever on a cycle of parent ids; here a walk does not enter a line
  whose id is already on its path, so a cycle is shown once per top.

Nothing recurses: a chain 100,000 deep is a loop.
"""

from __future__ import annotations

from itertools import repeat

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable

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
    unique = len(first) == n  # then a walk meets a line twice only round a cycle
    children: dict[int, list[int]] = {}
    get = children.get
    for i, (mnt_id, parent) in enumerate(zip(ids, parents)):
        if parent != mnt_id:
            kids = get(parent)
            if kids is None:
                children[parent] = [i]
            else:
                kids.append(i)
    by_id = ids.__getitem__
    for parent, kids in children.items():
        if len(kids) > 1:
            if not unique:  # one line of each id: the first
                kids = list({ids[k]: k for k in reversed(kids)}.values())
                children[parent] = kids
            kids.sort(key=by_id)
    shown = bytearray(n)
    rows: list[int] = []
    depths: list[int] = []
    row, depth_of_row = rows.append, depths.append
    walks = [0] * n if unique else None  # the last walk each line was met in

    def add_subtree(start: int, walk: int) -> None:
        stack = [(start, 0, 0)]
        pop, push, push_all = stack.pop, stack.append, stack.extend
        path: list[int] = []  # ids from the top to the line (lines of repeated ids)
        on_path: set[int] = set()
        while stack:
            i, depth, level = pop()
            mnt_id = ids[i]
            if walks is not None:
                if walks[i] == walk:
                    continue  # round a cycle
                walks[i] = walk
            else:
                while len(path) > level:
                    on_path.discard(path.pop())
                if mnt_id in on_path:
                    continue  # round a cycle
                path.append(mnt_id)
                on_path.add(mnt_id)
            if keep is None or keep(i):
                shown[i] = 1
                row(i)
                depth_of_row(depth)
                depth += 1
            kids = get(mnt_id)
            if kids:
                if len(kids) == 1:
                    push((kids[0], depth, level + 1))
                else:
                    push_all(zip(reversed(kids), repeat(depth), repeat(level + 1)))

    root = root_index(ids, parents, first)
    if root is not None:
        add_subtree(root, 1)
    if len(rows) < n:  # findmnt: nents > nlines
        walk = 1
        for i in range(n):
            if not shown[i] and (keep is None or keep(i)):
                walk += 1
                add_subtree(i, walk)
    return rows, depths
