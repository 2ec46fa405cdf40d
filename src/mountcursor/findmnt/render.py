"""A table printer that lays out text as util-linux's libsmartcols does for findmnt.

    cols = [Col("TARGET", 0.30, TREE | NOEXTREMES), Col("ID", 2, RIGHT)]
    rows = [Row(["/", "20"]), ...]         # Row.parent/children for a tree
    text = render(cols, rows, Layout(fmt="human", tree=True))

Follows libsmartcols of util-linux 2.38.1 (``libsmartcols/src/calculate.c``,
``print.c``, ``print-api.c``, ``lib/mbsalign.c``, ``lib/jsonwrt.c``), read for its
behaviour, written anew:

* widths: each column is as wide as its widest cell or its header, at least its
  absolute width hint (``ID`` 2, ``SIZE`` 5, ...); cells of right-aligned columns are
  padded on the left; the last column is not padded unless it is right-aligned;
* on a terminal only, the table is fitted to the terminal width: columns with
  "extreme" cells (over twice the average) shrink first, then truncatable columns
  (``TRUNC``) above their relative share, then all truncatable ones, then the other
  relative ones; a cell longer than its column and not truncatable pushes the
  following columns onto the next line;
* the tree art (``├─``, ``│ ``, ``└─``; ``|-``, ``| ``, ```-`` in ASCII) goes into
  the ``TREE`` column wherever it is;
* cells are encoded: control characters, ``\\x`` and (per locale) unprintable or
  undecodable bytes become ``\\xHH``; ``raw`` also escapes blanks and backslashes,
  ``pairs`` (``NAME="value"``) also quotes, backslashes, backquotes and ``$``;
* JSON is written byte for byte as ``ul_jsonwrt`` writes it (``},{`` between
  objects, 3-space indent), with ``children`` arrays in a tree.

Text is ``str`` with undecodable bytes as surrogate escapes (``os.fsdecode``); the
result is ``str`` in the same convention, to be written with ``surrogateescape``.
"""

from __future__ import annotations

import os
import sys
from itertools import chain, repeat

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import AnyStr

from .columns import NOEXTREMES, RIGHT, STRICTWIDTH, TREE, TRUNC, WRAP, shell_name

__all__ = ["TRUNC", "TREE", "RIGHT", "NOEXTREMES", "STRICTWIDTH", "WRAP", "Col", "Row", "Layout", "render",
           "render_chunks", "render_grid", "render_pieces", "Grid", "flatten", "tree_arts", "tree_symbols", "locale_is_utf8", "render_json", "safe_encode", "safe_width"]

Format = str
"""``"human"``, ``"raw"``, ``"pairs"`` or ``"json"`` (a plain ``str``: the lean ``tree`` does not import
``typing``)."""


# Plain classes, not dataclasses: ``tree`` imports this module on its lean path, where
# the import of ``dataclasses`` (and ``inspect`` with it) would be a tenth of the run.


class Col:
    """An output column: header, width hint (< 1: a share of the terminal), flags; the
    layout fills in the widths."""

    __slots__ = ("name", "whint", "flags", "json_number", "json_array", "width", "width_min", "width_max",
                 "width_avg", "width_treeart", "extreme_sum", "extreme_count", "is_extreme", "hidden")

    def __init__(self, name: str, whint: float, flags: int = 0, json_number: bool = False,
                 json_array: bool = False) -> None:
        self.name = name
        self.whint = whint
        self.flags = flags
        self.json_number = json_number
        self.json_array = json_array        # a list of strings, one per line of the cell
        self.width = self.width_min = self.width_max = self.width_avg = self.width_treeart = 0
        self.extreme_sum = self.extreme_count = 0
        self.is_extreme = self.hidden = False

    def __repr__(self) -> str:
        return f"Col({self.name!r}, {self.whint!r}, {self.flags!r})"


class Row:
    """One output line: a cell per column (``None`` = no data) and its tree links."""

    __slots__ = ("cells", "parent", "children")

    def __init__(self, cells: list[str | None], parent: Row | None = None, children: list[Row] | None = None) -> None:
        self.cells = cells
        self.parent = parent
        self.children: list[Row] = [] if children is None else children

    def add_child(self, row: Row) -> Row:
        row.parent = self
        self.children.append(row)
        return row


class Layout:
    """How to print: format, tree art, headings, ASCII art, terminal and its width."""

    __slots__ = ("fmt", "tree", "headings", "ascii", "utf8", "is_term", "termwidth", "shellvar", "json_name")

    def __init__(self, fmt: Format = "human", tree: bool = False, headings: bool = True, ascii: bool = False,
                 utf8: bool = True, is_term: bool = False, termwidth: int = 80, shellvar: bool = False,
                 json_name: str = "filesystems") -> None:
        self.fmt: Format = fmt
        self.tree = tree
        self.headings = headings
        self.ascii = ascii
        self.utf8 = utf8
        self.is_term = is_term
        self.termwidth = termwidth
        self.shellvar = shellvar
        self.json_name = json_name


# ---- encoding (lib/mbsalign.c mbs_safe_encode_to_buffer, include/carefulputc.h) --------------


def _cell_width(ch: str) -> int:
    import unicodedata  # only for a cell that is not ASCII

    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    if unicodedata.category(ch) in ("Mn", "Me", "Cf") or ch == "\u200b":
        return 0
    return 1


def _printable(ch: str) -> bool:
    import unicodedata

    return unicodedata.category(ch) not in ("Cc", "Cs", "Cn", "Zl", "Zp")


def _hex(ch: str) -> str:
    """``\\xHH`` for each byte of ``ch`` as it was on the wire (UTF-8 or an escaped byte)."""
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return "".join(f"\\x{b:02x}" for b in ch.encode("utf-8"))


def safe_encode(text: str, utf8: bool) -> tuple[str, int]:
    """The text as a terminal cell shows it and its width in columns."""
    if text.isascii() and text.isprintable() and "\\x" not in text:
        return text, len(text)
    out: list[str] = []
    width = 0
    n = len(text)
    for i, ch in enumerate(text):
        code = ord(ch)
        if (ch == "\\" and i + 1 < n and text[i + 1] == "x") or code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
            width += 4
        elif code < 0x7F:
            out.append(ch)
            width += 1
        elif not utf8 or 0xDC80 <= code <= 0xDCFF or not _printable(ch) or 0x80 <= code <= 0x9F:
            hexed = _hex(ch)
            out.append(hexed)
            width += len(hexed)
        else:
            out.append(ch)
            width += _cell_width(ch)
    return "".join(out), width


def safe_width(text: str, utf8: bool) -> int:
    return safe_encode(text, utf8)[1]


def _byte_escape(text: str, extra: str) -> str:
    """Every byte that is not printable ASCII, and those in ``extra``, as ``\\xHH``
    (``fputs_nonblank`` / ``fputs_quoted``: byte-wise ``isprint``)."""
    if _plain(text, extra):
        return text  # nearly every cell: a few scans at C speed instead of a loop per character
    out = []
    for ch in text:
        code = ord(ch)
        if 0x20 <= code < 0x7F and ch not in extra:
            out.append(ch)
        else:
            out.append(_hex(ch) if code >= 0x80 else f"\\x{code:02x}")
    return "".join(out)


_QUOTED = '"`$\\'


def _plain(text: str, extra: str) -> bool:
    """Whether :func:`_byte_escape` leaves ``text`` as it is: printable ASCII only (for
    ASCII, ``isprintable`` is 0x20 to 0x7e) and none of ``extra``."""
    return text.isascii() and text.isprintable() and not any(ch in text for ch in extra)


def _truncate(encoded: str, width: int) -> tuple[str, int]:
    """The longest prefix of an encoded cell that fits ``width`` columns."""
    out = []
    used = 0
    for ch in encoded:
        w = _cell_width(ch) if ord(ch) >= 0x80 else 1
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out), used


# ---- layout ------------------------------------------------------------------------------


def walk(rows: list[Row]) -> Iterator[Row]:
    """Rows in tree pre-order (roots in order, then each one's children)."""
    stack = list(reversed(rows))
    while stack:
        row = stack.pop()
        yield row
        stack.extend(reversed(row.children))


def _is_last_child(row: Row) -> bool:
    return row.parent is not None and row.parent.children[-1] is row


def locale_is_utf8() -> bool:
    """Whether findmnt, started in this environment, would draw UTF-8 tree lines.

    Python switches a C/POSIX locale to UTF-8 at start-up (PEP 538/540), so the
    locale the user chose is recovered from that: UTF-8 mode that the user did not ask
    for means the locale was C or POSIX."""
    if sys.flags.utf8_mode and os.environ.get("PYTHONUTF8") != "1":
        return False
    try:  # the built-in module under locale, which would import re
        from _locale import CODESET, nl_langinfo
    except ImportError:  # another Python
        from locale import CODESET, nl_langinfo
    return nl_langinfo(CODESET).upper().replace("-", "") == "UTF8"


def tree_symbols(layout: Layout) -> tuple[str, str, str]:
    """(branch, vertical, right)"""
    if layout.ascii or not layout.utf8:
        return "|-", "| ", "`-"
    return "\u251c\u2500", "\u2502 ", "\u2514\u2500"


class _Printer:
    def __init__(self, cols: list[Col], rows: list[Row], layout: Layout) -> None:
        self.cols = cols
        self.rows = rows
        self.layout = layout
        self.tree = layout.tree and any(c.flags & TREE for c in cols)
        self.branch, self.vertical, self.right = tree_symbols(layout)
        self.order = list(walk(rows))
        self.out: list[str] = []
        # the tree art of each row's own ancestry (``tree_ascii_art_to_buffer(ln)``),
        # built parent first so that a deep tree costs one string per row
        self.art: dict[int, str] = {}
        if self.tree:
            for row in self.order:
                if row.parent is None:
                    self.art[id(row)] = ""
                else:
                    self.art[id(row)] = self.art[id(row.parent)] + ("  " if _is_last_child(row) else self.vertical)
        self._encoded: list[list[tuple[str, int, int]]] | None = None
        self._index = {id(row): i for i, row in enumerate(self.order)}

    # a cell's text before encoding, and how much of it is tree art
    def cell_text(self, row: Row, index: int) -> tuple[str, int]:
        data = row.cells[index] or ""
        col = self.cols[index]
        if not (self.tree and col.flags & TREE) or row.parent is None:
            return data, 0
        art = self.art[id(row.parent)] + (self.right if _is_last_child(row) else self.branch)
        return art + data, len(art)

    def ancestors_art(self, row: Row) -> str:
        return self.art.get(id(row), "")

    def _encode_all(self) -> list[list[tuple[str, int, int]]]:
        """Every cell encoded once: (text, width, width of its tree art)."""
        utf8 = self.layout.utf8
        tree_cols = {i for i, c in enumerate(self.cols) if self.tree and c.flags & TREE}
        table = []
        for row in self.order:
            cells = []
            for i, data in enumerate(row.cells):
                text = data or ""
                if text.isascii() and text.isprintable() and "\\x" not in text:
                    enc, width = text, len(text)
                else:
                    enc, width = safe_encode(text, utf8)
                if i in tree_cols and row.parent is not None:
                    # tree art is printable, one column a character
                    art = self.art[id(row.parent)] + (self.right if _is_last_child(row) else self.branch)
                    cells.append((art + enc, len(art) + width, len(art)))
                else:
                    cells.append((enc, width, 0))
            table.append(cells)
        return table

    def encoded(self, row: Row, index: int) -> tuple[str, int, int]:
        if self._encoded is None:
            self._encoded = self._encode_all()
        return self._encoded[self._index[id(row)]][index]

    # ---- calculate.c ------------------------------------------------------------------
    def count_column_width(self, index: int) -> None:
        col = self.cols[index]
        col.width = 0
        if not col.width_min:
            # the column's own name, even with -y (libsmartcols 2.38 counts the header
            # cell; the shell name is put in its place only when it is printed)
            col.width_min = max(safe_width(col.name, self.layout.utf8), 1)
        if self._encoded is None:
            self._encoded = self._encode_all()
        for cells in self._encoded:
            _, length, art = cells[index]
            col.width_max = max(col.width_max, length)
            if col.is_extreme and col.width_avg and length > col.width_avg * 2:
                continue
            if col.flags & NOEXTREMES:
                col.extreme_sum += length
                col.extreme_count += 1
            col.width = max(col.width, length)
            if col.flags & TREE and self.tree:
                col.width_treeart = max(col.width_treeart, art)
        if col.extreme_count and col.width_avg == 0:
            col.width_avg = col.extreme_sum // col.extreme_count
            if col.width_avg and col.width_max > col.width_avg * 2:
                col.is_extreme = True
        if col.width < col.width_min and not col.flags & STRICTWIDTH:
            col.width = col.width_min
        elif col.whint >= 1 and col.width < int(col.whint) and col.width_min < int(col.whint):
            col.width = int(col.whint)

    def calculate(self) -> None:
        cols = self.cols
        width = 0
        extremes = 0
        for i, col in enumerate(cols):
            self.count_column_width(i)
            width += col.width + (0 if i == len(cols) - 1 else 1)
            extremes += col.is_extreme
        if not self.layout.is_term:
            return
        term = self.layout.termwidth
        if width > term and extremes:
            for i, col in enumerate(cols):
                if not col.is_extreme:
                    continue
                before = col.width
                self.count_column_width(i)
                if before > col.width:
                    width -= before - col.width
                else:
                    extremes -= 1
        if width < term:
            if extremes:
                for col in cols:
                    if not col.is_extreme:
                        continue
                    add = term - width
                    if add and col.width + add > col.width_max:
                        add = col.width_max - col.width
                    col.width += add
                    width += add
                    if width == term:
                        break
            if width < term and not cols[-1].flags & RIGHT:
                cols[-1].width += term - width
                width = term
        stage = 1
        while width > term and stage <= 3:
            before = width
            for col in cols:
                if col.hidden:
                    continue
                if width <= term:
                    break
                if col.width == col.width_min:
                    continue
                if col.flags & TREE and self.tree and width <= col.width_treeart:
                    continue
                if col.width == 0:
                    continue
                trunc = bool(col.flags & TRUNC)
                relative = 0 < col.whint < 1
                if ((stage == 1 and trunc and relative and col.width >= int(col.whint * term))
                        or (stage == 2 and trunc) or (stage == 3 and relative)):
                    col.width -= 1
                    width -= 1
                if col.width == 0:
                    col.hidden = True
            if before == width:
                stage += 1

    # ---- print.c --------------------------------------------------------------------
    def print_empty_cell(self, index: int, row: Row | None) -> None:
        col = self.cols[index]
        used = 0
        if row is not None and col.flags & TREE and self.tree and row.parent is not None:
            art = self.ancestors_art(row)
            used = len(art)
            self.out.append(art)
        if index == len(self.cols) - 1:
            return
        self.out.append(" " * max(col.width - used, 0) + " ")

    def print_data(self, index: int, row: Row | None, enc: str, length: int) -> None:
        col = self.cols[index]
        last = index == len(self.cols) - 1
        width = col.width
        right = bool(col.flags & RIGHT)
        if last and length < width and not right:
            width = length
        if length > width and col.flags & TRUNC:
            enc, length = _truncate(enc, width)
        if enc:
            if right:  # print.c: a right-aligned cell counts as its column's width once printed
                self.out.append(" " * max(width - length, 0))
                length = width
            self.out.append(enc)
        if last:
            return
        if length < width:
            self.out.append(" " * (width - length))
        if length > width and not col.flags & TRUNC:
            self.out.append("\n")
            for i in range(index + 1):
                if not self.cols[i].hidden:
                    self.print_empty_cell(i, row)
        else:
            self.out.append(" ")

    def print_line(self, row: Row | None) -> None:
        for i, col in enumerate(self.cols):
            if col.hidden:
                continue
            if row is None:
                enc, length = safe_encode(_name(col, self.layout.shellvar), self.layout.utf8)
            else:
                enc, length, _ = self.encoded(row, i)
            self.print_data(i, row, enc, length)

    def human(self) -> str:
        self.calculate()
        lines: list[str] = []
        if self.layout.headings:
            self.print_line(None)
            lines.append("".join(self.out))
        for row in self.order:
            self.out = []
            self.print_line(row)
            lines.append("".join(self.out))
        return "\n".join(lines) + "\n"


def _name(col: Col, shellvar: bool) -> str:
    """The column's name in a header, a ``-P`` pair or a JSON key (``-y``: as a shell
    variable, ``USE%`` -> ``USE_PCT``)."""
    return shell_name(col.name) if shellvar else col.name


def render(cols: list[Col], rows: list[Row], layout: Layout) -> str:
    """The whole table as findmnt prints it (``""`` for no rows, except in JSON)."""
    return "".join(render_chunks(cols, rows, layout))


_BATCH = 4096  # lines per chunk of output


class Grid:
    """A table ready to print: its cells column by column, rows in print order (tree
    pre-order); in a tree, each row's depth (0 for a root) and the tree art before its
    ``TREE`` cell (from :func:`tree_arts`); ``plain`` says of each column whether its
    cells are known to be printable ASCII that no format escapes (no blank, none of
    ``\\ " $`` or a backquote), so that they are printed without being looked at."""

    __slots__ = ("columns", "depths", "arts", "plain", "raw")

    def __init__(self, columns: list[list[str | None]], depths: list[int] | None = None,
                 arts: list[str] | None = None, plain: list[bool] | None = None,
                 raw: list[list[bytes]] | None = None) -> None:
        self.columns = columns
        self.depths = depths
        self.arts = arts
        self.plain = plain if plain is not None else [False] * len(columns)
        self.raw = raw
        """Instead of ``columns`` (then empty), for a list printed raw, as pairs or JSON:
        each column's cells as the bytes printed, none empty and none needing an escape
        in any format (:func:`~.cells.column_bytes`)."""

    def __len__(self) -> int:
        if self.raw is not None:
            return len(self.raw[0]) if self.raw else 0
        return len(self.columns[0]) if self.columns else 0


def flatten(roots: list[Row], symbols: tuple[str, str, str]) -> tuple[list[Row], list[int], list[str]]:
    """Tree nodes (anything with ``children``) in pre-order, each one's depth and the art
    before its ``TREE`` cell (:func:`tree_arts`)."""
    order: list[Row] = []
    depths: list[int] = []
    stack: list[tuple[Row, int]] = [(node, 0) for node in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        order.append(node)
        depths.append(depth)
        kids = node.children
        if kids:
            stack.extend(zip(reversed(kids), repeat(depth + 1)))
    return order, depths, tree_arts(depths, symbols)


def tree_arts(depths: list[int], symbols: tuple[str, str, str]) -> list[str]:
    """The art before each row's ``TREE`` cell, from the depths of the rows in pre-order
    (``symbols``: branch, vertical, right): a line for each ancestor below the top (a
    vertical where the ancestor has a later sibling, else blanks), then the row's own
    branch (the right angle for a last child), as ``tree_ascii_art_to_buffer``.

    One pass from the last row up.  ``later[d]`` says whether a row of depth ``d``
    follows with no shallower row in between: for the row at hand that is whether it
    has a later sibling, and for each of its ancestors the same.  ``lines[d]`` is the
    ancestors' art down to depth ``d``, kept for the rows above.  Equal art strings are
    one string (a tree has few distinct ones)."""
    branch, vertical, right = symbols
    arts = [""] * len(depths)
    later: list[bool] = [False]
    lines: list[str] = [""]
    # the ancestors' art -> (it for a node without a later sibling, with one, art of a
    # last child, art of another child)
    known: dict[str, tuple[str, str, str, str]] = {}
    i = len(depths)
    for depth in reversed(depths):
        i -= 1
        if depth == 0:
            del later[1:], lines[1:]
            continue
        if depth < len(later):
            above = lines[depth - 1]
            ext = known.get(above)
            if ext is None:
                ext = known[above] = (above + "  ", above + vertical, above + right, above + branch)
            if later[depth]:
                arts[i] = ext[3]
                del later[depth + 1:], lines[depth + 1:]
                continue
            arts[i] = ext[2]
            del later[depth:], lines[depth:]
        else:
            while len(later) < depth:  # ancestors with no later sibling
                above = lines[-1]
                ext = known.get(above)
                if ext is None:
                    ext = known[above] = (above + "  ", above + vertical, above + right, above + branch)
                later.append(False)
                lines.append(ext[0])
            above = lines[depth - 1]
            ext = known.get(above)
            if ext is None:
                ext = known[above] = (above + "  ", above + vertical, above + right, above + branch)
            arts[i] = ext[2]
        later.append(True)
        lines.append(ext[1])
    return arts


def grid_of_rows(cols: list[Col], rows: list[Row], layout: Layout) -> Grid:
    if not layout.tree:
        order = list(walk(rows))
        return Grid([[row.cells[i] for row in order] for i in range(len(cols))])
    order, depths, arts = flatten(rows, tree_symbols(layout))
    return Grid([[row.cells[i] for row in order] for i in range(len(cols))], depths, arts)


def rows_of_grid(grid: Grid) -> list[Row]:
    """The rows of a grid again, linked to their parents (for the terminal printer)."""
    roots: list[Row] = []
    path: list[Row] = []  # the last row seen at each depth
    depths = grid.depths
    for i, cells in enumerate(zip(*grid.columns)):
        row = Row(list(cells))
        depth = depths[i] if depths is not None else 0
        if depth == 0:
            roots.append(row)
        else:
            path[depth - 1].add_child(row)
        del path[depth:]
        path.append(row)
    return roots


def render_chunks(cols: list[Col], rows: list[Row], layout: Layout) -> Iterator[str]:
    """:func:`render` in pieces of a few thousand lines, to be written as they come
    (a table of 100,000 wide lines is never one string)."""
    if layout.fmt == "human" and layout.is_term and rows:
        yield _Printer(cols, rows, layout).human()
        return
    yield from render_grid(cols, grid_of_rows(cols, rows, layout), layout)


def render_grid(cols: list[Col], grid: Grid, layout: Layout) -> Iterator[str]:
    """:func:`render_chunks` of a :class:`Grid`: column by column, nothing built per cell
    but its text."""
    if layout.fmt == "json":
        yield from _json_chunks(cols, grid, layout)
        return
    if not len(grid):
        return
    if layout.fmt == "human" and layout.is_term:
        # fitting to a terminal (shrinking, truncating, wrapping): the cell-by-cell printer
        yield _Printer(cols, rows_of_grid(grid), layout).human()
        return
    arts = grid.arts if layout.tree and any(c.flags & TREE for c in cols) else None
    columns = _filled(grid.columns)
    plain = list(grid.plain)
    if layout.fmt == "human":
        yield from _human_chunks(cols, columns, arts, layout, plain)
        return
    for i, col in enumerate(cols):
        if arts is not None and col.flags & TREE:
            columns[i] = list(map(str.__add__, arts, columns[i]))
            plain[i] = False  # the art is not ASCII
    yield from _raw_chunks(cols, columns, layout, layout.headings, plain)


def _filled(columns: list[list[str | None]]) -> list[list[str]]:
    """The columns with ``""`` for no data (``all``, a truth test of each cell, is what
    finds a ``None`` fastest: ``None in`` compares each string with it)."""
    return [column if all(column) else [text or "" for text in column] for column in columns]  # type: ignore[misc]


def render_pieces(cols: list[Col], pieces: Iterable[Grid], layout: Layout) -> Iterator[str | bytes]:
    """:func:`render_grid` of a list (no tree) given a piece of its rows at a time, in
    print order.  Raw, pairs and JSON are written as the pieces come, so what a piece
    made is freed before the next is made; a human table needs every cell for its
    widths, so it is laid out once all pieces are in.  A piece given as bytes
    (:attr:`Grid.raw`, not for a human table) is written as bytes."""
    if layout.fmt == "json":
        yield from _json_list(cols, pieces, layout)
        return
    if layout.fmt == "human":
        grids = [grid for grid in pieces if len(grid)]
        if len(grids) == 1:
            yield from render_grid(cols, grids[0], layout)
        elif grids:
            yield from render_grid(cols, Grid([list(chain.from_iterable(grid.columns[i] for grid in grids))
                                               for i in range(len(cols))], plain=[all(grid.plain[i] for grid in grids)
                                                                                  for i in range(len(cols))]), layout)
        return
    headings = layout.headings
    for grid in pieces:
        if len(grid):
            if grid.raw is not None:  # bytes to print as they are
                if headings:
                    yield from _raw_heading(cols, layout)
                yield from _interleaved([_encode(part) for part in _raw_parts(cols, layout)], grid.raw)
            else:
                yield from _raw_chunks(cols, _filled(grid.columns), layout, headings, grid.plain)
            headings = False


def _simple(texts: list[str]) -> bool:
    """Whether every cell prints as it is, one column a character (checked at C speed
    on the joined column; a ``\\x`` across two cells only costs the slow path)."""
    joined = "".join(texts)
    return joined.isascii() and joined.isprintable() and "\\x" not in joined


def _human_chunks(cols: list[Col], columns: list[list[str]], arts: list[str] | None,
                  layout: Layout, plain: list[bool]) -> Iterator[str]:
    """findmnt's human table, not on a terminal: every column as wide as its widest cell
    (``count_column_width``), nothing truncated or wrapped.  Widths column by column,
    then the lines padded a batch at a time."""
    utf8 = layout.utf8
    last = len(cols) - 1
    plan: list[tuple[list[str], list[int] | None, int, bool, list[str] | None]] = []
    heads: list[str] = []
    for i, (col, texts) in enumerate(zip(cols, columns)):
        tree_art = arts if arts is not None and col.flags & TREE else None
        if plain[i] or _simple(texts):
            widths = None
            cells = texts
        else:
            encoded = [safe_encode(t, utf8) for t in texts]
            cells = [e for e, _ in encoded]
            widths = [w for _, w in encoded]
        if tree_art is not None:   # tree art: one column a character
            longest = max(map(int.__add__, map(len, tree_art), map(len, cells) if widths is None else widths),
                          default=0)
        else:
            longest = max(map(len, cells) if widths is None else widths, default=0)
        head, head_width = safe_encode(_name(col, layout.shellvar), utf8)
        width_min = max(safe_width(col.name, utf8), 1)  # as count_column_width: the name, not -y's
        width = longest
        if width < width_min and not col.flags & STRICTWIDTH:
            width = width_min
        elif col.whint >= 1 and width < int(col.whint) and width_min < int(col.whint):
            width = int(col.whint)
        right = bool(col.flags & RIGHT)
        heads.append(_pad(head, head_width, width, right, i == last))
        plan.append((cells, widths, width, right, tree_art))
    if layout.headings:
        yield " ".join(heads) + "\n"
    # a line is one %-format of its cells: a column whose cells are one column a
    # character is padded by the format; the others are padded cell by cell first
    by_cell = [not (i == last and not right) and (widths is not None or i == last)
               for i, (_, widths, _, right, _) in enumerate(plan)]
    line = " ".join("%s" if by_cell[i] or i == last else f"%{'' if right else '-'}{width}s"
                    for i, (_, _, width, right, _) in enumerate(plan))
    for start in range(0, len(columns[0]) if columns else 0, _BATCH):
        stop = start + _BATCH
        parts = []
        for i, (cells, widths, width, right, tree_art) in enumerate(plan):
            part = cells[start:stop]
            if tree_art is not None:
                part = list(map(str.__add__, tree_art[start:stop], part))
            if by_cell[i]:
                if widths is None:
                    ws: list[int] | map[int] = map(len, part)
                else:
                    ws = widths[start:stop]
                    if tree_art is not None:
                        ws = map(int.__add__, map(len, tree_art[start:stop]), ws)
                part = [_pad(c, w, width, right, i == last) for c, w in zip(part, ws)]
            parts.append(part)
        yield "\n".join(map(line.__mod__, zip(*parts))) + "\n"


def _pad(cell: str, length: int, width: int, right: bool, last: bool) -> str:
    """One cell as ``print_data`` writes it when it fits its column."""
    if last and not right:
        return cell
    if right:
        return " " * (width - length) + cell if cell or not last else cell
    return cell + " " * (width - length)


def _raw_chunks(cols: list[Col], columns: list[list[str]], layout: Layout, headings: bool,
                plain: list[bool]) -> Iterator[str]:
    """The lines of ``-r`` (with the header if ``headings``) or ``-P``, a batch at a time."""
    if headings:
        yield from _raw_heading(cols, layout)
    yield from _interleaved(_raw_parts(cols, layout), _raw_columns(columns, layout.fmt == "raw", plain))


def _raw_heading(cols: list[Col], layout: Layout) -> Iterator[str]:
    """The header line of ``-r`` (none for ``-P``)."""
    if layout.fmt == "raw":
        yield " ".join(_byte_escape(_name(c, layout.shellvar), " \t\\") for c in cols) + "\n"


def _raw_parts(cols: list[Col], layout: Layout) -> list[str]:
    """What a line of ``-r`` or ``-P`` has before, between and after its cells."""
    if layout.fmt == "raw":
        return [""] + [" "] * (len(cols) - 1) + ["\n"]
    names = [_name(col, layout.shellvar) for col in cols]  # NAME="value" NAME="value"
    return [names[0] + '="'] + [f'" {name}="' for name in names[1:]] + ['"\n']


def _encode(text: str) -> bytes:
    """Text as written to stdout (undecodable bytes kept as surrogate escapes)."""
    return text.encode("utf-8", "surrogateescape")


def _raw_columns(columns: list[list[str]], raw: bool, plain: list[bool]) -> list[list[str]]:
    """The cells of ``-r`` (blanks and backslashes as ``\\xHH``) and ``-P`` (quotes,
    backquotes, ``$`` and backslashes too), column by column; a column with nothing to
    escape is used as it is."""
    extra = " \t\\" if raw else _QUOTED
    return [texts if known or _plain("".join(texts), extra) else [_byte_escape(t, extra) for t in texts]
            for texts, known in zip(columns, plain)]


def _interleaved(parts: list[AnyStr], columns: list[list[AnyStr]], first: AnyStr | None = None) -> Iterator[AnyStr]:
    """Rows of ``parts`` with a cell of each column between each two of them
    (``parts[0]``, the first column's cell, ``parts[1]``, ..., ``parts[-1]``; the very
    first row begins with ``first`` if given), a batch of rows at a time: the cells are
    put in place by slice assignment and each batch is one join, so nothing is made
    per row (a ``join`` or a ``%`` per row costs a third more).  What ends a row and
    what begins the next are one item."""
    width = 2 * len(columns)
    if not width:
        return
    joiner = parts[0][:0]  # "" or b""
    template: list[AnyStr | None] = [None] * width
    template[1::2] = parts[1:-1] + [parts[-1] + parts[0]]
    n = len(columns[0])
    for start in range(0, n, _BATCH):
        stop = min(start + _BATCH, n)
        out = template * (stop - start)
        for j, column in enumerate(columns):
            out[2 * j::width] = column if stop - start == n else column[start:stop]
        out[-1] = parts[-1]
        out.insert(0, first if first is not None and start == 0 else parts[0])
        yield joiner.join(out)  # type: ignore[arg-type]  # every None is replaced by a cell


# ---- JSON (lib/jsonwrt.c) ---------------------------------------------------------------------

_JSON_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _json_plain(text: str) -> bool:
    """Whether ``text`` goes into JSON as it is: no ``"``, no backslash, no control
    character (checked at C speed: printable text has none of the last)."""
    if '"' in text or "\\" in text:
        return False
    if text.isprintable():
        return True
    import re  # a cell that is not printable: rare

    return re.search("[\x00-\x1f]", text) is None


def _json_string(text: str) -> str:
    if _json_plain(text):
        return '"' + text + '"'
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append(_JSON_SHORT.get(ch, f"\\u00{ord(ch):02x}"))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def render_json(cols: list[Col], rows: list[Row], layout: Layout) -> str:
    """``{"filesystems": [...]}`` as ``ul_jsonwrt`` prints it; empty cells are ``null``,
    number columns unquoted, ``children`` only in a tree with children.  Any depth."""
    return "".join(_json_chunks(cols, grid_of_rows(cols, rows, layout), layout))


def _json_texts(col: Col, column: list[str | None]) -> list[str] | None:
    """A column's cells as JSON values (``None`` for an array column: its layout depends
    on the row's depth)."""
    if col.json_array:
        return None
    if col.json_number:
        return [text if text else "null" for text in column]
    if _json_plain("".join(text for text in column if text)):
        return ['"' + text + '"' if text else "null" for text in column]
    return [_json_string(text) if text else "null" for text in column]


def _json_head(layout: Layout) -> str:
    return "{\n   " + _json_string(layout.json_name) + ": [\n"


_JSON_TAIL = "\n   ]\n}\n"


def _json_slots(cols: list[Col], grid: Grid) -> tuple[list[str], list[list[str]]]:
    """Each column's place in a row's template and its values: a column with a value
    in every cell goes into the template as it is (quoted there when it is text that
    needs no escape); the others as JSON values made cell by cell."""
    slots = []
    texts: list[list[str]] = []
    for col, column, known in zip(cols, grid.columns, grid.plain):
        if not all(column) or not (col.json_number or known or _json_plain("".join(column))):  # type: ignore[arg-type]
            slots.append("%s")
            texts.append(_json_texts(col, column))  # type: ignore[arg-type]
        else:
            slots.append("%s" if col.json_number else '"%s"')
            texts.append(column)  # type: ignore[arg-type]
    return slots, texts


def _json_template(keys: list[str], slots: list[str], depth: int) -> str:
    """A row of ``depth`` with a ``%s`` for each value (a format: ``%`` in a key doubled)."""
    pad = "   " * (3 + 2 * depth)
    return "{\n" + ",\n".join(f"{pad}{key.replace('%', '%%')}: {slot}" for key, slot in zip(keys, slots))


def _json_parts(keys: list[str], slots: list[str], depth: int) -> list[str]:
    """The texts of a row of ``depth`` before, between and after its values (the row of
    :func:`_json_template` cut at each value: a NUL, which a JSON key never holds raw)."""
    pad = "   " * (3 + 2 * depth)
    return ("{\n" + ",\n".join(f"{pad}{key}: {slot}" for key, slot in zip(keys, slots)).replace("%s", "\0")
            ).split("\0")


def _json_keys(cols: list[Col], layout: Layout) -> list[str]:
    return [_json_string(_name(col, layout.shellvar).lower()) for col in cols]


def _json_list(cols: list[Col], pieces: Iterable[Grid], layout: Layout) -> Iterator[str | bytes]:
    """The JSON of a list (every row at depth 0, no ``children``), a piece of its rows
    at a time: the values of each row between the same texts (:func:`_interleaved`),
    a comma before each row but the first."""
    yield _json_head(layout)
    keys = _json_keys(cols, layout)
    arrays = any(col.json_array for col in cols)
    started = False
    for grid in pieces:
        n = len(grid)
        if not n:
            continue
        if arrays:
            yield "," if started else "      "
            started = True
            yield from _json_rows(cols, grid, [_json_texts(col, column) for col, column in zip(cols, grid.columns)],
                                  None, layout.shellvar)
            continue
        if grid.raw is not None:  # text that needs no escape, in every cell: in the template's quotes
            slots = ["%s" if col.json_number else '"%s"' for col in cols]
        else:
            slots, texts = _json_slots(cols, grid)
        parts = _json_parts(keys, slots, 0)
        parts[-1] += _json_after(0, 0)
        first = "      " + parts[0]
        parts[0] = "," + parts[0]
        if grid.raw is not None:
            yield from _interleaved([_encode(part) for part in parts], grid.raw, None if started else _encode(first))
        else:
            yield from _interleaved(parts, texts, None if started else first)
        started = True
    yield _JSON_TAIL


def _json_chunks(cols: list[Col], grid: Grid, layout: Layout) -> Iterator[str]:
    """:func:`render_json` in pieces.  A row opens ``children`` when the next row is
    one deeper, and closes as many arrays as the next row is shallower (a list:
    :func:`_json_list`).

    Each row is one %-format of its values with the template of its depth, and what
    follows it depends only on its depth and the next row's: both are looked up, so a
    batch of rows is put together at C speed.  A column of arrays (``SOURCES``) is
    written row by row (:func:`_json_rows`)."""
    depths = grid.depths if layout.tree else None
    if depths is None:
        for chunk in _json_list(cols, (grid,), layout):
            assert isinstance(chunk, str)  # a grid of text
            yield chunk
        return
    n = len(grid)
    yield _json_head(layout) + ("      " if n else "")
    if any(col.json_array for col in cols):
        yield from _json_rows(cols, grid, [_json_texts(col, column) for col, column in zip(cols, grid.columns)],
                              depths, layout.shellvar)
        yield _JSON_TAIL
        return
    slots, texts = _json_slots(cols, grid)
    keys = _json_keys(cols, layout)
    rows_of: dict[int, str] = {}          # depth -> the template of a row
    after: dict[tuple[int, int], str] = {}  # (depth, next row's depth) -> what follows the row
    for start in range(0, n, _BATCH):
        stop = min(start + _BATCH, n)
        ds = depths[start:stop]
        for depth in set(ds).difference(rows_of):
            rows_of[depth] = _json_template(keys, slots, depth)
        rows = list(map(str.__mod__, map(rows_of.__getitem__, ds), zip(*[t[start:stop] for t in texts])))
        pairs = list(zip(ds, depths[start + 1:stop + 1]))
        for depth, below in set(pairs).difference(after):
            after[depth, below] = _json_after(depth, below) + ("," if below <= depth else "")
        follow = list(map(after.__getitem__, pairs))
        if stop == n:
            follow.append(_json_after(ds[-1], 0))   # the last row closes every array
        yield "".join(chain.from_iterable(zip(rows, follow)))
    yield _JSON_TAIL


def _json_after(depth: int, below: int) -> str:
    """What follows a row of ``depth`` when the next row is of depth ``below``: its
    ``children`` opened, or the row closed with the arrays and rows above it."""
    pad = "   " * (2 + 2 * depth)
    if below > depth:
        return f",\n{pad}   \"children\": [\n{pad}      "
    out = [f"\n{pad}}}"]
    for up in range(depth - 1, below - 1, -1):
        upad = "   " * (2 + 2 * up)
        out.append(f"\n{upad}   ]\n{upad}}}")
    return "".join(out)


def _json_rows(cols: list[Col], grid: Grid, texts: list[list[str] | None], depths: list[int] | None,
               shellvar: bool) -> Iterator[str]:
    """The rows of :func:`_json_chunks` one by one (with a column of arrays)."""
    out: list[str] = []
    n = len(grid)
    keys = [_json_string(_name(col, shellvar).lower()) for col in cols]
    heads: dict[int, list[str]] = {}  # per depth: each field's indent and key
    for i in range(n):
        depth = depths[i] if depths is not None else 0
        pad = "   " * (2 + 2 * depth)
        if i and (depths is None or depths[i - 1] >= depth):  # not its parent's first child
            out.append(",")
        head = heads.get(depth)
        if head is None:
            head = heads[depth] = [f"{pad}   {key}: " for key in keys]
        parts = []
        for j, column in enumerate(texts):
            if column is None:
                value = grid.columns[j][i]
                items = ", ".join(_json_string(v) for v in value.split("\n")) if value else "null"
                parts.append(f"{head[j]}[\n{pad}       {items}\n{pad}   ]")
            else:
                parts.append(head[j] + column[i])
        out.append("{\n" + ",\n".join(parts))
        below = depths[i + 1] if depths is not None and i + 1 < n else 0
        out.append(_json_after(depth, below))
        if len(out) > _BATCH:
            yield "".join(out)
            out.clear()
    yield "".join(out)
