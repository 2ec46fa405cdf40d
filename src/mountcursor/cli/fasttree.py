"""The lean path of ``mountcursor tree``: findmnt's tree of a whole live table, printed
from the split lines, without a :class:`~mountcursor.live.MountEntry` per mount and
without the selection, the table's indexes or the rest of the findmnt view.

It takes the command lines the lean ``list`` takes (:mod:`mountcursor.cli.fastlist`: a
kernel table read through mountinfo, no selection, columns made from one line's fields,
the same cells) in the two formats in which findmnt draws a tree: the human table when
it is not written to a terminal, and ``-J``; and the tables whose every line has the
kernel's shape today (ten fields, or eleven with one ``shared:N``/``master:N`` tag),
names with escapes or bytes above 0x7f included.  The rows come in the order of
:func:`mountcursor.live.treeorder.preorder` and are laid out by
:func:`mountcursor.cli.smartcols.render_grid`, as the findmnt view orders and lays them
out, so the bytes are the same (the tests compare the two).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

from ..live.gcpause import gc_paused
from ..live.treeorder import preorder
from .fastlist import _MAY_BE_EMPTY, _column, _plain, _read, _rows, _wanted, line_slices
from .findmnt_columns import COLUMN_LAYOUT, JSON_NUMBERS, TRUNC
from .smartcols import Col, Grid, Layout, locale_is_utf8, render_grid, tree_arts, tree_symbols

__all__ = ["lean_tree", "lean_tree_output"]

_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


def _unescape() -> Callable[[bytes], bytes]:
    """:func:`mountcursor.format.unescape`, imported only for a table that has escapes."""
    from ..format import unescape

    return unescape


def lean_tree(params: dict[str, object]) -> bool:
    """Print ``tree`` if this path can: True when done, False (having printed nothing)
    when the general path must do it."""
    if params["as_list"]:
        return False
    wanted = _wanted(False, params)  # what the lean list takes, in a list's formats
    if wanted is None or wanted[1] not in ("human", "json"):
        return False
    columns, fmt = wanted
    data = _read(params["pid"], params["consistency"])  # type: ignore[arg-type]
    if not data:
        return False
    with gc_paused():  # nothing made here is a cycle: the collector would only rescan it
        chunks = lean_tree_output(data, columns, fmt, params, locale_is_utf8())
        if chunks is None:
            return False
        write = sys.stdout.buffer.write
        for chunk in chunks:
            write(chunk.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return True


def lean_tree_output(data: bytes, columns: list[str], fmt: str, params: dict[str, object],
                     utf8: bool) -> Iterator[str] | None:
    """What ``tree`` prints for the mountinfo ``data`` in ``fmt`` (``human``, not on a
    terminal, or ``json``) as pieces of text to write as they come, or None when the
    general path must print it.

    The lines are taken a slice at a time (as the lean list takes them): each slice is
    split and its cells made and decoded before the next, and equal cells of a column
    are one string, so the split fields of the whole table never live at once."""
    if not data.endswith(b"\n") or data.startswith(b"\n") or b"\n\n" in data or b"\0" in data:
        return None  # a line not ended, an empty line: the general path says so
    if not _plain(data) and (_FS_ENCODING, _FS_ERRORS) != ("utf-8", "surrogateescape"):
        return None
    # names with escapes (\040...), control characters or bytes above 0x7f: the names
    # unescaped as the parser does, every cell decoded as the findmnt view decodes it,
    # and escaped for the terminal by the same layout
    unescape = _unescape() if b"\\" in data else None
    human = fmt == "human"
    ids: list[int] = []
    parents: list[int] = []
    texts: list[list[str]] = [[] for _ in columns]
    shared: list[dict[str, str]] = [{} for _ in columns]
    merged: dict[tuple[bytes, bytes], bytes] = {}
    for lines in line_slices(data):
        split = _rows(lines)
        if split is None:
            return None
        rows, tags = split
        if unescape is not None:
            for r in rows:  # root, mount point, type, source (not the options: shown as printed)
                r[3], r[4], r[7], r[8] = unescape(r[3]), unescape(r[4]), unescape(r[7]), unescape(r[8])
        ids += [int(r[0]) for r in rows]
        parents += [int(r[1]) for r in rows]
        for name, column, same in zip(columns, texts, shared):
            cells = _column(name, rows, tags, params, merged, human)
            if name in _MAY_BE_EMPTY:
                cells = [b"" if c is None else c for c in cells]
            # decoded in one call and cut again: UTF-8 starts afresh at each NUL, which no
            # cell holds (an escaped \000 would: then the general path)
            decoded = b"\0".join(cells).decode(_FS_ENCODING, _FS_ERRORS).split("\0")  # type: ignore[arg-type]
            if len(decoded) != len(cells):
                return None
            column += decoded if name == "TARGET" else map(same.setdefault, decoded, decoded)
    if not ids:
        return None
    order, depths = preorder(ids, parents)
    del ids, parents
    for i, column in enumerate(texts):
        texts[i] = list(map(column.__getitem__, order))
    cols = []
    for name in columns:
        whint, flags = COLUMN_LAYOUT[name]
        if params["notruncate"]:
            flags &= ~TRUNC
        cols.append(Col(name, whint, flags, json_number=name in JSON_NUMBERS))
    tree = "TARGET" in columns  # as the findmnt view: only TARGET makes a tree
    layout = Layout(fmt=fmt, tree=tree, headings=not params["noheadings"], ascii=bool(params["ascii"]), utf8=utf8,
                    is_term=False, termwidth=80, shellvar=False)
    if not tree:
        return render_grid(cols, Grid(texts), layout)  # type: ignore[arg-type]
    arts = tree_arts(depths, tree_symbols(layout)) if human else None
    return render_grid(cols, Grid(texts, depths, arts), layout)  # type: ignore[arg-type]
