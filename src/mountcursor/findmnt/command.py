"""``mountcursor list`` and ``tree`` end to end: read the table, select, compute the
cells, print -- one program for every question, whatever the source or the selection.

``tree`` is ``findmnt`` (a tree when the table is one and nothing asks for a list) and
``list`` is ``findmnt -l``.  The steps, each one module of the engine:

1. the table (:func:`load`): the live table of this process or of ``-N PID`` is read
   from mountinfo (:mod:`mountcursor.live.procread`, strict consistency: a pass that saw
   no change) and split into columns (:meth:`~.rows.Rows.from_mountinfo`); a table with a
   line of another shape, ``--method listmount``, ``--strict``, ``-m`` and ``-F``/``-s``
   files are parsed into entries by the library and made into the same columns;
2. the selection (:func:`~.select.select`), over the columns;
3. the cells of the selected rows (:func:`~.cells.column_texts`);
4. the printer (:func:`~.render.render_grid`), libsmartcols' list, tree, raw, pairs
   and JSON.

A list whose every row is picked for itself (:func:`~.select.by_slices`) takes steps
1 to 4 a slice of the live table at a time (:func:`selected_slices`,
:func:`~.render.render_pieces`), so that what a slice makes is freed before the next.

Exit status as findmnt: 0 when something was printed, or for a whole tree (even one
whose filter kept nothing); 1 when a list selection found nothing, and for a bad
``-o``; 2 for other errors (one line on stderr, never a traceback; see
:mod:`mountcursor.status`).
"""

from __future__ import annotations

import os
import sys
from itertools import compress

from ..status import BadInput, oserror_words, output_failed
from .columns import (BY_NAME, COLUMN_NAMES, DEFAULT_COLUMNS, DF_COLUMNS, OUTPUT_ALL, POLL_NAMES, TRUNC, json_kind,
                      parse_columns)
from .rows import Rows
from .select import Query, by_slices, mount_point_keys, narrowed_in_vain, select, source_keys, uniq as uniq_rows

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from ..format.errors import FormatError
    from .cells import Context
    from ..live.entry import MountEntry
    from ..live.table import MountTable
    from ..live.tabfile import TableFormat
    from .render import Col, Grid, Layout

__all__ = ["run", "load", "print_rows", "selected_slices", "terminal_width", "MAX_WARNINGS"]

MAX_WARNINGS = 20
"""Warnings about one -F file shown at most (then how many more)."""


def _say(text: str) -> None:
    from ..status import say

    say(text)


def terminal_width() -> int:
    """util-linux ``get_terminal_width(80)``: the window of stdout, else ``$COLUMNS``."""
    import fcntl
    import struct
    import termios

    try:
        rows_cols = fcntl.ioctl(sys.stdout.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        cols: int = struct.unpack("HHHH", rows_cols)[1]
        if cols > 0:
            return cols
    except (OSError, ValueError, AttributeError):
        pass
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and 0 < int(env) <= 2**31 - 1:
        return int(env)
    return 80


def _is_term() -> bool:
    try:
        return os.isatty(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False


def _s32(text: str) -> bool | str | None:
    """util-linux ``strtos32_or_err``'s test: True for a decimal integer (blanks before
    it, a sign) that fits 32 bits; the error's words for one that does not fit; None for
    no number."""
    body = text.lstrip(" \t\n\r\f\v")
    digits = body[1:] if body[:1] in "+-" else body
    if not (digits.isascii() and digits.isdigit()):
        return None
    return True if -2**31 <= int(body) < 2**31 else "Numerical result out of range"


def _exclusive(pairs: dict[str, bool]) -> None:
    given = [name for name, on in pairs.items() if on]
    if len(given) > 1:
        raise BadInput(f"{given[0]} and {given[1]} cannot be used together")


# ---- the table ------------------------------------------------------------------------------


class Loaded:
    """A table as read: its rows, its format (``mountinfo`` or ``fstab``) and, for a
    file, what to warn about if a tree is drawn (mounts whose parent is missing)."""

    __slots__ = ("rows", "kind", "tree_warnings", "narrowed", "unsplit", "tid", "saved")

    def __init__(self, rows: Rows, kind: str, tree_warnings: list[str] | None = None,
                 narrowed: bytes | None = None, unsplit: bytes | None = None, tid: int | None = None,
                 saved: str | None = None) -> None:
        self.rows = rows
        self.kind = kind
        self.tree_warnings = tree_warnings or []
        self.narrowed = narrowed
        """The whole live table when ``rows`` holds only some of its lines (:func:`load`)."""
        self.unsplit = unsplit
        """A table not split yet (``rows`` is empty): :func:`run` splits and prints it a
        slice at a time, the rows read from the table of task ``tid``."""
        self.tid = tid
        self.saved = saved
        """The file ``unsplit`` was read from (-F), if any."""

    def whole(self) -> Loaded:
        """The whole table of a narrowed one."""
        assert self.narrowed is not None
        return Loaded(_rows_of(self.narrowed).with_tid(self.rows.tids[0] if self.rows.tids else None),
                      self.kind)


def _rows_of(data: bytes) -> Rows:
    """A live mountinfo table (or a saved one that :func:`_sound` has passed) as rows:
    split, else parsed.  Its numbers are the kernel's (``kernel_printed``)."""
    rows = Rows.from_mountinfo(data, kernel_printed=True)
    if rows is None:
        from ..live.parse import parse_mountinfo

        rows = Rows.from_entries(parse_mountinfo(data).entries, "mountinfo")
    return rows


def _read_live(pid: str | None, consistency: str, method: str) -> bytes | None:
    """The mountinfo table of this thread or ``pid`` from a pass that saw no change, or
    None (then :func:`mountcursor.live.reader.snapshot` retries, or says why not).  With
    ``method="auto"``, None too where the first reads say listmount is faster
    (:func:`mountcursor.live.backend.choose`) or the read grew past its bound (a kernel
    that repeats mounts): snapshot() decides again, with listmount's count at hand."""
    import time

    from ..live.backend import SAMPLE_LINES, choose, line_bound, propagation
    from ..live.procread import TooManyLines, mount_max, open_mountinfo, read_consistent, read_sample

    try:
        fd, _ = open_mountinfo("self" if pid is None else int(pid))
    except OSError:
        return None
    try:
        start = time.perf_counter()
        head = None
        if method == "auto":
            head = read_sample(fd, 65536, SAMPLE_LINES)
            slaves, masters = propagation(head.data[:head.data.rfind(b"\n") + 1])
            if choose(head.us_per_line, slaves, masters, listmount=True)[0] == "listmount":
                return None
        bound = line_bound(None, mount_max())
        data, _, _, changed = read_consistent(fd, consistency, 100, None, start, 65536, bound, head)
    except (OSError, TooManyLines):
        return None
    finally:
        os.close(fd)
    if changed and consistency == "strict":
        return None
    return data


def load(tab_files: tuple[str, ...], fstab: bool, pid: str | None, method: str, consistency: str,
         strict: bool, max_lines: int, mount_points: list[bytes] | None = None, split: bool = True) -> Loaded:
    """The table a command line asks for (see the module's docstring); with
    ``mount_points``, of a live table read from mountinfo only the lines at them
    (:func:`~.rows.lines_at`; ``Loaded.narrowed`` says so); without ``split``, a live
    table read from mountinfo as it was read (``Loaded.unsplit``)."""
    if tab_files or fstab:
        if pid is not None:
            raise BadInput("-F/--tab-file and -N/--pid cannot be used together")
        from ..live.tabread import MAX_LINES

        paths = tab_files or (fstab_path(),)
        if len(paths) == 1 and (mount_points or not split) and not strict and not fstab:
            saved = _read_file(paths[0], max_lines or MAX_LINES)
            few = _sound(saved, mount_points) if mount_points and _as_kernel_prints(saved) else None
            if few is not None:  # nothing to warn about: read as a live table is
                return _as_live(saved, _file_tid(paths[0]), few, split)
            if mount_points:
                return _load_file(paths[0], strict, max_lines, data=saved)
            return Loaded(Rows("mountinfo"), "mountinfo", unsplit=saved, tid=_file_tid(paths[0]), saved=paths[0])
        if len(paths) == 1:
            return _load_file(paths[0], strict, max_lines or MAX_LINES, fstab)
        loaded = [_load_file(path, strict, max_lines or MAX_LINES, fstab, data=text, kind=kind)
                  for path, text, kind in _one_table(paths, max_lines or MAX_LINES, fstab)]
        entries = [one.rows.entry(i) for one in loaded for i in range(len(one.rows))]
        joined_kind = "mountinfo" if {one.kind for one in loaded} == {"mountinfo"} else "fstab"
        joined = Rows.from_entries(entries, joined_kind)
        joined.tids = [t for one in loaded for t in one.rows.tids]
        return Loaded(joined, joined_kind)  # several files: findmnt draws no tree
    target: int | str = "self"
    if pid is not None:
        if not (pid.isascii() and pid.isdigit()):
            raise BadInput(f"-N/--pid expects a process id, got {pid!r}")
        target = int(pid)
    tid = os.getpid() if pid is None else int(pid)
    rows: Rows | None = None
    if method in ("auto", "mountinfo") and not strict:
        data = _read_live(pid, consistency, method)
        if data:
            if mount_points:
                from .rows import lines_at

                return _as_live(data, tid, lines_at(data, mount_points), split)
            return _as_live(data, tid, None, split)
    if rows is None:
        from ..live.reader import snapshot

        try:
            snap = snapshot(target, method=method, consistency=consistency, strict_parse=strict)  # type: ignore[arg-type]  # the options table checks both choices
            rows = Rows.from_entries(snap.table.entries, "mountinfo")
        except OSError as err:  # no such process, not ours to read, no listmount here: said as the kernel says it
            raise BadInput(oserror_words(err)) from None
    return Loaded(rows.with_tid(tid), "mountinfo")


def _one_table(paths: tuple[str, ...], max_lines: int,
               as_fstab: bool) -> Iterator[tuple[str, bytes, TableFormat | None]]:
    """Several ``-F`` files as findmnt reads them, one table: each file read in turn
    (what the caller says of one comes before the next is read), with the format it is
    read in: fstab for ``as_fstab``, else the one libmount guesses from the table's
    first entry line (:func:`~mountcursor.live.tabfile.entry_format`; a file of
    comments leaves the guess to the next)."""
    from ..live.tabfile import entry_format

    kind: TableFormat | None = "fstab" if as_fstab else None
    for path in paths:
        text = _read_file(path, max_lines)
        kind = kind or entry_format(text)
        yield path, text, kind


def _as_live(data: bytes, tid: int | None, few: bytes | None, split: bool) -> Loaded:
    """A mountinfo table as :func:`load` gives a live one: with ``few``, the lines at
    the mount points of a ``-T``/``-M`` (:func:`~.rows.lines_at`), only those
    (``Loaded.narrowed`` says so), or all where there are none; without ``split``, as it
    was read (``Loaded.unsplit``); else split."""
    if few:
        narrowed = Rows.from_mountinfo(few, kernel_printed=True)
        if narrowed is not None:
            return Loaded(narrowed.with_tid(tid), "mountinfo", narrowed=data)
    if not split:
        return Loaded(Rows("mountinfo"), "mountinfo", unsplit=data, tid=tid)
    return Loaded(_rows_of(data).with_tid(tid), "mountinfo")


_PIECE = 1 << 16
"""Bytes of a live table split, selected and printed at a time (about 900 lines: 32 KiB cost 1.5% more
at 100,000 mounts, a fixed cost per slice; 128 KiB no less)."""


class _OddSlice(Exception):
    """A slice of a saved table holds a line of another shape than the kernel's."""


def selected_slices(data: bytes, tid: int | None, q: Query, columns: list[str], ctx: Context,
                    size: int | None = None, seen: Callable[[Rows], None] | None = None,
                    as_bytes: bool = False) -> Iterator[Grid]:
    """The cells of the rows ``q`` picks from a table, a slice of the table at a time
    (only slices with a row picked; for ``--first-only``, the first such), in print order:
    a list whose rows are each picked for itself (:func:`~.select.by_slices`).  With
    ``as_bytes`` (a list printed raw, as pairs or JSON), a slice whose cells are all the
    lines' own bytes with nothing to escape is given as those bytes (:attr:`Grid.raw`).

    A slice of a live table with a line of another shape is read by the parser; with
    ``seen`` (a saved table), which is given each slice's rows, it raises
    :class:`_OddSlice` instead."""
    from .cells import column_bytes, column_texts, plain_columns
    from .render import Grid
    from .rows import line_slices

    pieces: Iterable[bytes] = line_slices(data, size or _PIECE)
    if q.backward:
        pieces = reversed(list(pieces))
    for piece in pieces:
        if seen is None:
            rows = _rows_of(piece)
        else:
            split = Rows.from_mountinfo(piece)
            if split is None:
                raise _OddSlice
            seen(split)
            rows = split
        rows = rows.with_tid(tid)
        sel = select(rows, q, False, kernel_tab=True)
        if sel.order:
            shown = sel.shown(rows)
            raw = column_bytes(columns, shown, ctx) if as_bytes else None
            if raw is not None:
                yield Grid([], raw=raw)
            else:
                yield Grid(column_texts(columns, shown, ctx), plain=plain_columns(columns, shown, ctx))
            if q.first_only:
                return


def _saved_by_slices(table: Loaded, q: Query, columns: list[str], ctx: Context, cols: list[Col],
                     look: Layout) -> int | None:
    """Print a list of a saved table a slice at a time (:func:`selected_slices`): what
    :func:`_load_file` warns about is known once every slice is split, and the warnings
    come first, so the printed text is kept until then.  The exit status; None when a
    line has another shape than the kernel's (nothing said or printed: the file is then
    read the general way)."""
    from .render import render_pieces

    assert table.unsplit is not None and table.saved is not None
    data = table.unsplit
    links = _Links()

    def seen(rows: Rows) -> None:
        links.add(rows.printed_ids, rows.printed_parents)

    found = []

    def picked() -> Iterator[Grid]:
        for grid in selected_slices(data, table.tid, q, columns, ctx, seen=seen, as_bytes=look.fmt != "human"):
            found.append(True)
            yield grid

    try:
        text = list(render_pieces(cols, picked(), look))
    except _OddSlice:
        return None
    if _dos(data) or links.may_have_problems(data):
        from ..live.parse import parse_mountinfo

        _warn_table(table.saved, data, "mountinfo", parse_mountinfo(data).entries, [])
    if not found:
        return 1
    _write(text)
    return 0


def _few_hold(data: bytes, keys: list[bytes]) -> bool:
    """Whether one line of a table in eight at most holds one of ``keys``, as far as
    its first MiB tells (counted, not found one by one): then checking the whole table
    first (:func:`_sound`) and reading only those lines costs less than reading every
    line while checking it.  (Only the cost depends on the answer.)"""
    return sum(data.count(key, 0, _SAMPLE) for key in keys) * 8 <= data.count(b"\n", 0, _SAMPLE)


_SAMPLE = 1 << 20


def _write(chunks: Iterable[str | bytes]) -> None:
    """Write the printer's text (or bytes) to stdout (a failed write is the one-line
    error of :func:`~mountcursor.status.output_failed`)."""
    write = sys.stdout.buffer.write
    try:
        for chunk in chunks:
            write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()
    except OSError as err:
        failed = output_failed(err)
        if failed is None:
            raise
        raise failed from None


def merge_mtab(rows: Rows) -> Rows:
    """``-m``: a kernel table with libmount's userspace options from utab."""
    from ..live.tabfile import merge_utab

    entries = [rows.entry(i) for i in range(len(rows))]
    merged = Rows.from_entries(merge_utab(entries, _read_utab()), rows.kind)
    merged.tids = rows.tids
    return merged


def _read_utab() -> bytes:
    from ..live.tabfile import utab_path

    try:
        with open(utab_path(), "rb") as f:
            return f.read(1 << 24)
    except OSError:
        return b""            # no utab: nothing to merge, as libmount


def _orphans(tab_file: str, table: MountTable) -> list[str]:
    """One line for the mounts of a tree whose parent is not in the table (each starts
    a tree of its own, below the root's, as in findmnt), said only where a tree is drawn."""
    orphans = table.orphans
    if not orphans:
        return []
    parents = sorted({e.parent_id for e in orphans})
    many = len(orphans) > 1
    return [f"{tab_file}: {len(orphans)} {'mounts have' if many else 'mount has'} no parent in the table (parent "
            + ", ".join(map(str, parents[:5])) + (", ..." if len(parents) > 5 else "")
            + f"): each starts a tree of its own: line{'s' if many else ''} "
            + ", ".join(str(e.lineno) for e in orphans[:10]) + (", ..." if len(orphans) > 10 else "")]


def _file_tid(path: str) -> int | None:
    """libmount's task id of a mountinfo file: the name of the directory that holds it,
    symlinks resolved, when that is a number (``/proc/self/mountinfo`` -> this process)."""
    parent = os.path.basename(os.path.dirname(os.path.realpath(path)))
    return int(parent) if parent.isascii() and parent.isdigit() else None


def _read_file(tab_file: str, max_lines: int) -> bytes:
    """The bytes of a saved table (:func:`~mountcursor.live.tabread.read_table_file`),
    or the one-line error of a file that cannot be one."""
    from ..format.errors import FormatError
    from ..live.tabread import read_table_file

    try:
        return read_table_file(tab_file, max_lines=max_lines)
    except OSError as err:  # missing, unreadable, a directory
        raise BadInput(oserror_words(err) if err.filename else f"{tab_file}: {err.strerror or err}") from None
    except FormatError as err:
        raise BadInput(f"{tab_file}: {err}") from None


def _load_file(tab_file: str, strict: bool, max_lines: int, as_fstab: bool = False,
               data: bytes | None = None, kind: TableFormat | None = None) -> Loaded:
    """A saved table in any of findmnt's formats (``as_fstab``: read as fstab, as
    ``findmnt -s`` reads it, whatever its lines look like; ``kind``: in that format,
    guessed from an earlier file), with a warning on stderr for each line
    skipped and for what :meth:`MountTable.problems` finds in a mountinfo table but
    orphans, which :func:`run` says only where a tree shows them.

    A table whose every line has the kernel's shape is split into columns as a live one
    is (no parser, no entry per line); its problems are looked for only when the
    columns show it may have one (:func:`_may_have_problems`).  ``data``: the file as
    read already."""
    from ..format.errors import FormatError

    if data is None:
        data = _read_file(tab_file, max_lines)
    try:
        rows = None if strict or as_fstab or kind == "fstab" else Rows.from_mountinfo(data)
        if rows is not None:
            if _dos(data) or _may_have_problems(rows.ids, rows.parents, rows.targets.__getitem__):
                from ..live.parse import parse_mountinfo

                return Loaded(rows.with_tid(_file_tid(tab_file)), "mountinfo",
                              _warn_table(tab_file, data, "mountinfo", parse_mountinfo(data).entries, []))
            return Loaded(rows.with_tid(_file_tid(tab_file)), "mountinfo")
        from ..live.tabfile import parse_tab

        tab = parse_tab(data, strict=strict, fstab=as_fstab, kind=kind)
    except FormatError as err:
        raise BadInput(f"{tab_file}: {err}") from None
    orphans = _warn_table(tab_file, data, tab.kind, tab.entries, tab.errors)
    parsed = Rows.from_entries(tab.entries, tab.kind)
    tid = _file_tid(tab_file) if tab.kind == "mountinfo" else None
    return Loaded(parsed.with_tid(tid), tab.kind, orphans)


def _may_have_problems(ids: list[int], parents: list[int], target_of: Callable[[int], bytes],
                       escaped: bool = False) -> bool:
    """False when a table (each row's id and parent, and ``target_of`` a row its mount
    point; ``escaped``: as printed) surely is a well-formed tree (unique ids, one root at ``/`` whose
    parent is not in the table, every other parent present, no mount its own parent and
    no cycle): then :meth:`MountTable.problems` has nothing to say and nobody is an
    orphan.  True otherwise (then the parser's entries are asked).

    A cycle of parents has a mount whose parent's id is above its own (ids cannot fall
    all the way round), so only from such mounts (the kernel gives a freed id again,
    so a table has some) is the way up followed."""
    from operator import eq, gt

    present = set(ids)
    if len(present) != len(ids):
        return True  # a repeated id
    missing = set(parents).difference(present)
    if len(missing) != 1:
        return True  # no root, or several
    (root_parent,) = missing
    if parents.count(root_parent) != 1:
        return True
    root = target_of(parents.index(root_parent))
    if (_unescaped(root) if escaped else root) != b"/":
        return True
    if any(map(eq, parents, ids)):
        return True  # its own parent
    up = list(compress(ids, map(gt, parents, ids)))
    if not up:
        return False
    parent_of = dict(zip(ids, parents))
    reaches_root: set[int] = set()
    for start in up:
        path: set[int] = set()
        mnt = start
        while mnt in parent_of and mnt not in reaches_root:
            if mnt in path:
                return True  # a cycle
            path.add(mnt)
            mnt = parent_of[mnt]
        reaches_root |= path
    return False


def _ints(column: list[bytes]) -> list[int]:
    """Decimal numbers (checked) as ints: each distinct one made once where few are
    distinct (the parents of a table: many mounts share one)."""
    distinct = set(column)
    if len(distinct) * 4 > len(column):
        return list(map(int, column))
    return list(map({text: int(text) for text in distinct}.__getitem__, column))


def _sound(data: bytes, mount_points: list[bytes] | None = None, held: list[bytes] | None = None) -> bytes | None:
    """Of a saved table that has nothing :func:`_load_file` would warn about (every
    line has the kernel's shape: :func:`~.rows.kernel_shaped`, the checks of
    :meth:`Rows.from_mountinfo` without the columns; no DOS line end;
    :func:`_may_have_problems` sees none: :class:`_Links`), the lines whose mount point
    is one of ``mount_points`` as the kernel escapes it (what :func:`~.rows.lines_at`
    looks for), or whose device or source holds one of ``held`` (the bytes
    :func:`~.rows.lines_holding` looks for in the lines a ``-S`` may pick:
    :func:`~.select.source_keys`), for a table that escapes as the kernel does
    (:func:`_as_kernel_prints`); ``b""`` for none.  None for a table with something to
    warn about.  A sound table is read as a live table is: only the lines a
    ``-T``/``-M``/``-S`` needs, or a slice at a time."""
    from .rows import kernel_shaped

    if _dos(data):
        return None
    links = _Links()
    keys = set()
    if mount_points:
        from ..format.escaping import escape_path

        keys = set(map(escape_path, mount_points))
    few: list[bytes] = []

    spaced = [b" " + key + b" " for key in keys]  # a mount point is between two blanks

    def each(piece: bytes, fields: list[list[bytes]], ids: bytes, parents: bytes) -> None:
        links.add(fields[0], fields[1], ids, parents)
        if any(piece.rfind(key) >= 0 for key in spaced) and not keys.isdisjoint(fields[4]):  # rfind: see lines_holding
            few.extend(line + b"\n" for line, target in zip(piece.split(b"\n"), fields[4]) if target in keys)
        if held:  # a device between blanks, a source's last component: in the two columns joined
            joined = b" " + b" ".join(fields[2] + fields[8]) + b" "
            if any(map(joined.__contains__, held)):
                few.extend(line + b"\n" for line, devno, source in zip(piece.split(b"\n"), fields[2], fields[8])
                           if any(map(b" %s %s ".__mod__((devno, source)).__contains__, held)))

    if not kernel_shaped(data, each) or links.may_have_problems(data):
        return None
    return b"".join(few)


def _as_kernel_prints(data: bytes) -> bool:
    """Whether every backslash of a saved table starts one of the escapes the kernel
    prints in a path (``escape_path``: a blank, a tab, a newline, a backslash): then a
    path or a source is written as the kernel writes it, and a byte search finds the
    lines that hold it (``lines_at``, ``lines_holding``).  A file may write any byte as
    an escape (``\\141``, an ``a``), where the search would miss the line."""
    if b"\\" not in data:
        return True
    from ..format.escaping import PATH_ESCAPES

    return data.count(b"\\") == sum(data.count(b"\\%03o" % byte) for byte in PATH_ESCAPES)


class _Links:
    """The ids and parents of a kernel-shaped table as printed, given a slice of rows at
    a time (:meth:`add`), and whether the table may have problems
    (:meth:`may_have_problems`, :func:`_may_have_problems`'s answer).

    Most tables are told as the slices come, without a set of every id: ids that rise
    from row to row (as a kernel since 6.8 prints them, and one that mounted in order)
    are each other's, and with few parents (each one's rows counted, its first child's
    row kept), a parent whose own row comes before its first child's leaves no cycle.
    Any other table is asked whole (:func:`_may_have_printed_problems`)."""

    __slots__ = ("joined_ids", "joined_parents", "starts", "rows", "rising", "last", "first_child", "children")

    def __init__(self) -> None:
        self.joined_ids: list[bytes] = []  # each slice's, a blank before and after each (no token kept past its slice)
        self.joined_parents: list[bytes] = []
        self.starts: list[int] = []  # each slice's first row
        self.rows = 0
        self.rising = True  # every id so far above the one before, none with a leading zero, few parents
        self.last = b""
        self.first_child: dict[bytes, int] = {}
        self.children: dict[bytes, int] = {}

    def add(self, ids: list[bytes], parents: list[bytes], joined: bytes | None = None,
            joined_parents: bytes | None = None) -> None:
        """The ids and parents (as printed: decimal, checked) of the next rows (and each
        joined by blanks, if made already)."""
        from operator import lt

        if joined is None or joined_parents is None:
            joined, joined_parents = b" ".join(ids), b" ".join(parents)
        self.joined_ids.append(b" " + joined + b" ")
        self.joined_parents.append(joined_parents + b" ")
        self.starts.append(self.rows)
        if self.rising and ids:
            if joined[:1] == b"0" or b" 0" in joined:  # a leading zero (or the id 0)
                self.rising = False
            elif _as_long(joined, len(ids[0]), len(ids)):  # as many digits each: the bytes compare as the numbers
                self.rising = _below(self.last, ids[0]) and all(map(lt, ids, ids[1:]))
            else:
                numbers = list(map(int, ids))
                self.rising = _below(self.last, ids[0]) and all(map(lt, numbers, numbers[1:]))
            self.last = ids[-1]
        if self.rising:
            for parent in set(parents):
                if parent not in self.children:
                    if len(self.children) >= _FEW_PARENTS or parent[:1] == b"0" != parent:
                        self.rising = False
                        break
                    self.first_child[parent] = self.rows + parents.index(parent)
                    self.children[parent] = 0
                self.children[parent] += parents.count(parent)
        self.rows += len(ids)

    def may_have_problems(self, data: bytes) -> bool:
        """:func:`_may_have_problems` of the table ``data`` whose rows were added."""
        if not self.rising:
            return _may_have_printed_problems(b"".join(self.joined_ids).split(), b"".join(self.joined_parents).split(),
                                              data)
        rows = {parent: self._row_of(parent) for parent in self.children}
        missing = [parent for parent, row in rows.items() if row is None]
        if len(missing) != 1:
            return True  # no root, or several
        (root_parent,) = missing
        if self.children[root_parent] != 1:
            return True
        from .rows import printed_target

        if _unescaped(printed_target(data, self.first_child[root_parent])) != b"/":
            return True
        # (a mount its own parent is on its first child's row: not before it)
        if all(row is None or row < self.first_child[parent] for parent, row in rows.items()):
            return False
        self.rising = False
        return self.may_have_problems(data)

    def _row_of(self, number: bytes) -> int | None:
        """The row whose id is ``number``, if any."""
        key = b" " + number + b" "
        for start, joined in zip(self.starts, self.joined_ids):
            at = joined.find(key)
            if at >= 0:
                return start + joined.count(b" ", 0, at)
        return None


def _as_long(joined: bytes, digits: int, count: int) -> bool:
    """Whether ``count`` numbers joined by blanks have ``digits`` digits each."""
    from .rows import _DIGITS_AS_0

    return joined.translate(_DIGITS_AS_0) == (b"0" * digits + b" ") * (count - 1) + b"0" * digits


def _below(a: bytes, b: bytes) -> bool:
    """``a`` (``b""``: none) below ``b``, both decimal without a leading zero."""
    return len(a) < len(b) or len(a) == len(b) and a < b


_FEW_PARENTS = 64
"""Distinct parents up to which :class:`_Links` and :func:`_may_have_printed_problems`
look for each one's line (a scan of the table's ids each)."""


def _may_have_printed_problems(ids: list[bytes], parents: list[bytes], data: bytes) -> bool:
    """:func:`_may_have_problems` of a kernel-shaped table (``data``) by its ids and
    parents as printed (decimal), mostly without making ints: where no number has a
    leading zero (no id starts with ``0``, nor a parent but ``0``, the root's parent in
    some tables), two numbers are equal when their digits are; and where each parent's
    line comes before the first line of its children (as the kernel prints a table
    mounted in order), the way up from every mount goes to earlier lines, so there is
    no cycle.  Otherwise the ints are made and asked."""
    from .rows import printed_target

    def target_of(row: int) -> bytes:
        return printed_target(data, row)

    distinct = set(parents)
    if min(ids)[:1] != b"0" and not _leading_zero(distinct):
        present = set(ids)
        if len(present) != len(ids):
            return True  # a repeated id
        missing = distinct.difference(present)
        if len(missing) != 1:
            return True  # no root, or several
        (root_parent,) = missing
        if parents.count(root_parent) != 1 or _unescaped(target_of(parents.index(root_parent))) != b"/":
            return True
        distinct.discard(root_parent)
        # (a mount its own parent is on its first child's line: not before it)
        if len(distinct) <= _FEW_PARENTS and all(ids.index(parent) < parents.index(parent) for parent in distinct):
            return False
    return _may_have_problems(list(map(int, ids)), _ints(parents), target_of, escaped=True)


def _leading_zero(distinct: set[bytes]) -> bool:
    """Whether a number (as printed) of ``distinct`` may have a leading zero: where
    they are few, one that starts with ``0`` and is not ``0``; else the least in byte
    order (where such a one would be) starts with ``0``."""
    if len(distinct) <= _FEW_PARENTS:
        return any(number[:1] == b"0" != number for number in distinct)
    return min(distinct)[:1] == b"0"


def _dos(data: bytes) -> bool:
    """Whether a line ends with ``\\r\\n`` (looked for only where there is a ``\\r``:
    one byte is found at C speed, two are searched for)."""
    return b"\r" in data and b"\r\n" in data


def _unescaped(name: bytes) -> bytes:
    """:func:`~mountcursor.format.escaping.unescape`, imported only for a name with a
    backslash (a plain ``-r -F`` never needs the module)."""
    if b"\\" not in name:
        return name
    from ..format.escaping import unescape

    return unescape(name)


def _warn_table(tab_file: str, data: bytes, kind: str, entries: list[MountEntry],
                errors: list[FormatError]) -> list[str]:
    """Say on stderr what is wrong with a file: lines skipped, an empty file, DOS line
    ends, and what :meth:`MountTable.problems` finds in a mountinfo table but orphans;
    the warning about orphans, to be said where a tree shows them."""

    def warn(text: str) -> None:
        _say(f"{tab_file}: {text}")

    for skipped in errors[:MAX_WARNINGS]:
        warn(f"{skipped} -- ignored")
    if not data.strip(b" \t\r\n"):  # blanks as libmount sees them: a \v line is an error, not empty
        warn("empty: no mounts")
    crlf = data.count(b"\r\n")
    if crlf:
        first = data[:data.find(b"\r\n")].count(b"\n") + 1
        what = ("the \\r is kept in the last field, as the kernel never prints it" if kind == "mountinfo"
                else "the \\r is dropped, as findmnt drops it")
        warn(f"line {first}: ends with \\r\\n (a DOS line end?), {crlf} lines in all: {what}")
    orphans: list[str] = []
    problems: list[str] = []
    if kind == "mountinfo":
        from ..live.table import MountTable

        table = MountTable(entries)
        # orphans (problems() lists them first) are a chroot's or a container's table by
        # nature and change nothing in a list: run() warns once where a tree shows them
        problems = table.problems()[len(table.orphans):]
        orphans = _orphans(tab_file, table)
    for text in problems[:MAX_WARNINGS]:
        warn(text)
    hidden = len(errors[MAX_WARNINGS:]) + len(problems[MAX_WARNINGS:])
    if hidden:
        warn(f"{hidden} more warnings not shown")
    return orphans


# ---- --verify -------------------------------------------------------------------------------


def fstab_path() -> str:
    """libmount's fstab: ``$LIBMOUNT_FSTAB``, else ``/etc/fstab``."""
    return os.environ.get("LIBMOUNT_FSTAB") or "/etc/fstab"


def _load_checked(paths: tuple[str, ...], strict: bool, max_lines: int, as_fstab: bool) -> tuple[Rows, int]:
    """Files as ``--verify`` reads them (``as_fstab``: as fstab whatever their lines
    look like): each line that cannot be read is said in findmnt's words (``FILE: parse
    error at line N -- ignored``) and counted."""
    from ..format.errors import FormatError
    from ..live.tabfile import parse_tab
    from ..live.tabread import MAX_LINES

    entries: list[MountEntry] = []
    kinds = set()
    errors = 0
    for path, text, kind in _one_table(paths, max_lines or MAX_LINES, as_fstab):
        try:
            tab = parse_tab(text, strict=strict, fstab=as_fstab, kind=kind)
        except FormatError as err:
            raise BadInput(f"{path}: {err}") from None
        for bad in tab.errors:
            _say(f"{path}: parse error at line {bad.lineno} -- ignored")
        errors += len(tab.errors)
        entries += tab.entries
        kinds.add(tab.kind)
    return Rows.from_entries(entries, "mountinfo" if kinds == {"mountinfo"} else "fstab"), errors


def _verify(q: Query, tab_files: tuple[str, ...], kernel: bool, pid: str | None, mtab: bool, uniq: bool,
            verbose: bool, method: str, consistency: str, strict: bool, max_lines: int) -> int:
    """``--verify`` of the table the options name (fstab, or ``-F`` files read as
    fstab, unless ``-k``, ``-m`` or ``-N``): the entries findmnt's filters pick,
    checked by :mod:`.verify`."""
    from .verify import Checks, verify_table

    parse_errors = 0
    is_fstab = not (kernel or mtab or pid is not None)  # findmnt's tabtype
    if tab_files or is_fstab:
        rows, parse_errors = _load_checked(tab_files or (fstab_path(),), strict, max_lines, is_fstab)
    else:
        rows = load((), False, pid, method, consistency, strict, max_lines).rows
        if mtab and len(rows):
            rows = merge_mtab(rows)
    mounted = None
    if is_fstab and not q.nocanonicalize:  # libmount's cache knows the mount points (cache_set_targets)
        live = load((), False, None, method, consistency, False, max_lines).rows
        mounted = {tuple(s for s in t.split(b"/") if s) for t in live.targets}
    if uniq:
        rows = uniq_rows(rows)
    if q.lists_all():  # findmnt's verify_table walks the table forward, whatever -d says
        order = list(range(len(rows)))
    else:
        order = select(rows, q.but(submounts=False, backward=False), want_tree=False, kernel_tab=False).order
    if q.first_only:
        order = order[:1]
    entries = [rows.entry(i) for i in range(len(rows))]
    report = verify_table(entries, order, Checks(listall=q.lists_all(), verbose=verbose, nocache=q.nocanonicalize,
                                                 mounted=mounted, first_only=q.first_only), parse_errors)
    _write((report.out.decode("utf-8", "surrogateescape"),))
    if report.err:
        sys.stderr.buffer.write(report.err)
        sys.stderr.flush()
    return report.status


# ---- the command ----------------------------------------------------------------------------


def run(tree_mode: bool, positional: tuple[str, ...], as_list, output, output_all, types, opts, source, target,  # type: ignore[no-untyped-def]
        mountpoint, ids, uniq_ids, first_only, submounts, shadowed, uniq, real, pseudo, df, all_, in_bytes, invert,
        direction, evaluate, canonicalize, nocanonicalize, vfs_all, force_tree, nofsroot, tab_files, fstab, kernel,
        mtab, pid, as_json, raw, pairs, shell, noheadings, notruncate, ascii, method, consistency, strict_parse,
        max_lines, poll_timeout=None, verify=False, verbose=False) -> int:
    """Print what ``findmnt`` (``tree_mode``) or ``findmnt -l`` prints for these options
    (the keyword arguments of :mod:`.options`); the exit status."""
    _exclusive({"--json": as_json, "--pairs": pairs, "--raw": raw, "--verify": verify})
    _exclusive({"--pairs": pairs, "--list": as_list, "--raw": raw, "--verify": verify})  # findmnt: {P,l,r,x}
    tree_mode = tree_mode and not as_list
    _exclusive({"--mountpoint": mountpoint is not None, "--target": target is not None})
    _exclusive({"--real": real, "--pseudo": pseudo})
    _exclusive({"--task": pid is not None, "--kernel": kernel, "--mtab": mtab, "--fstab": fstab})
    _exclusive({"--nocanonicalize": nocanonicalize, "--canonicalize": canonicalize})
    _exclusive({"--nocanonicalize": nocanonicalize, "--evaluate": evaluate})
    if len(positional) > 2:
        raise BadInput(f"too many arguments: {' '.join(positional[2:])}")
    if positional and (source is not None or target is not None or mountpoint is not None):
        _say("options --target and --source can't be used together with command line element that is not an option")
        return 1
    if poll_timeout is not None:  # findmnt's strtos32_or_err, then unused without --poll
        fits = _s32(poll_timeout)
        if fits is not True:
            _say(f"invalid timeout argument: '{poll_timeout}'" + ("" if fits is None else f": {fits}"))
            return 1
    default = OUTPUT_ALL if output_all else DF_COLUMNS if df else DEFAULT_COLUMNS
    try:
        columns = parse_columns(output, default, (*COLUMN_NAMES, *POLL_NAMES))
    except ValueError as err:
        _say(str(err))
        return 1
    q = Query(types=types, options=opts, source=source, target=target if mountpoint is None else mountpoint,
              strict_target=mountpoint is not None, first_only=first_only, submounts=submounts, df=df, all=all_,
              real=real, pseudo=pseudo, shadowed=shadowed, invert=invert, nocanonicalize=nocanonicalize,
              ids=tuple(ids), unique_ids=tuple(uniq_ids), backward=direction == "backward")
    if positional:
        q.source, q.positional_source = positional[0], True
        if len(positional) > 1:
            q.target = positional[1]
    if verify:
        return _verify(q, tab_files, kernel, pid, mtab, uniq, verbose, method, consistency, strict_parse, max_lines)
    poll_only = [name for name in columns if name in POLL_NAMES]
    if poll_only:  # findmnt reads the table (saying what is wrong with it), then looks at its columns
        load(tab_files, fstab, pid, method, consistency, strict_parse, max_lines)
        _say(f"{poll_only[0]} column is requested, but --poll is not enabled")
        return 1
    from ..live.gcpause import gc_paused

    # everything built from here on lives until the process exits and forms no garbage:
    # the cyclic collector would only walk the growing heap again and again
    with gc_paused():
        fmt = "json" if as_json else "raw" if raw else "pairs" if pairs else "human"
        many = len(tab_files) > 1
        want_tree = tree_mode and fmt in ("human", "json") and not fstab and not mtab and not many
        # -T/-M of a live table, or of a saved one with nothing to warn about: only the lines
        # at the mount points that decide it, when that is all the selection looks at (else,
        # or if that was not enough, all)
        keys = None if (fstab or mtab or uniq or many) else mount_point_keys(q, force_tree)
        # a list whose every row is picked for itself: a live table a slice at a time
        # (of a saved table, not with --first-only: its warnings need every slice)
        slices = keys is None and not (fstab or mtab or uniq or many) and by_slices(q, want_tree, force_tree) \
            and not (tab_files and q.first_only)
        table = load(tab_files, fstab, pid, method, consistency, strict_parse, max_lines, keys, split=not slices)
        from .cells import Context

        ctx = Context(in_bytes=in_bytes, evaluate=evaluate, canonicalize=canonicalize, nofsroot=nofsroot,
                      vfs_all=vfs_all, pad_majmin=fmt == "human", nocache=nocanonicalize)
        cols = _cols(columns, notruncate, in_bytes)

        def layout(tree: bool) -> Layout:
            return _layout(fmt, tree, noheadings=noheadings, ascii=ascii, shell=shell)

        held = source_keys(q)  # -S: only the lines that hold what every line it picks holds
        if table.unsplit is not None and table.saved is not None and held is not None \
                and _few_hold(table.unsplit, held) and _as_kernel_prints(table.unsplit):
            few = _sound(table.unsplit, held=held)
            if few is not None:  # nothing to warn about: read as a live table is
                table.saved, table.unsplit, held = None, few, None
        if table.unsplit is not None and table.saved is not None:
            status = _saved_by_slices(table, q, columns, ctx, cols, layout(False))
            if status is not None:
                return status
            table = _load_file(table.saved, strict_parse, max_lines, data=table.unsplit)  # the general way
        if table.unsplit is not None:
            from itertools import chain

            from .render import render_pieces

            data = table.unsplit
            if held is not None and _few_hold(data, held):  # else every slice is read: no search first
                from .rows import lines_holding

                data = lines_holding(data, held)
            pieces = selected_slices(data, table.tid, q, columns, ctx, as_bytes=fmt != "human")
            first = next(pieces, None)
            if first is None:
                return 1
            _write(render_pieces(cols, chain((first,), pieces), layout(False)))
            return 0
        sel = None
        if table.narrowed is not None:
            sel = select(table.rows, q, want_tree, kernel_tab=True)
            if narrowed_in_vain(table.rows, sel):
                table, sel = table.whole(), None
        rows = table.rows
        if mtab and table.kind == "mountinfo" and len(rows):
            rows = merge_mtab(rows)
        if uniq:
            rows = uniq_rows(rows)
        if sel is None:
            sel = select(rows, q, want_tree, kernel_tab=not fstab, force_tree=force_tree and not many)
        if not sel.found:
            return 1
        # the tree is drawn in the TARGET column (findmnt: SCOLS_FL_TREE): without it the
        # rows come in the tree's order, as a list
        drawn = sel.tree and "TARGET" in columns
        if drawn:
            for text in table.tree_warnings:
                _say(text)
        print_rows(sel.shown(rows), columns, fmt, ctx, depths=sel.depths if drawn else None,
                   noheadings=noheadings, notruncate=notruncate, ascii=ascii, shell=shell)
    return 0


def _cols(columns: list[str], notruncate: bool, in_bytes: bool) -> list[Col]:
    """The printer's columns of ``columns``: each one's width hint, flags and JSON type
    from :data:`~.columns.INFOS`."""
    from .render import Col

    cols = []
    for name in columns:
        info = BY_NAME[name]
        flags = info.flags & ~TRUNC if notruncate else info.flags
        kind_of = json_kind(name, in_bytes)
        cols.append(Col(name, info.whint, flags, json_number=kind_of == "number", json_array=kind_of == "array"))
    return cols


def _layout(fmt: str, tree: bool, *, noheadings: bool, ascii: bool, shell: bool) -> Layout:
    """How the printer lays out ``fmt`` (``human``, ``raw``, ``pairs``, ``json``), a tree or not."""
    from .render import Layout, locale_is_utf8

    is_term = fmt == "human" and _is_term()
    return Layout(fmt=fmt, tree=tree, headings=not noheadings, ascii=ascii, utf8=locale_is_utf8(),
                  is_term=is_term, termwidth=terminal_width() if is_term else 80, shellvar=shell)


def print_rows(shown: Rows, columns: list[str], fmt: str, ctx: Context, *, depths: list[int] | None = None,
               noheadings: bool = False, notruncate: bool = False, ascii: bool = False, shell: bool = False) -> None:
    """Print ``shown`` (the selected rows, in print order) as findmnt prints them: the
    cells of ``columns`` (:func:`~.cells.column_texts`) through libsmartcols' printer
    (:func:`~.render.render_grid`) in ``fmt`` (``human``, ``raw``, ``pairs``, ``json``);
    a tree drawn in TARGET when ``depths`` is given.  A full disk is :class:`RunFailed`."""
    from .cells import column_texts, plain_columns
    from .render import Grid, render_grid, tree_arts, tree_symbols

    look = _layout(fmt, depths is not None, noheadings=noheadings, ascii=ascii, shell=shell)
    arts = None
    if depths is not None and fmt != "json":  # JSON nests by depth
        arts = tree_arts(depths, tree_symbols(look))
    grid = Grid(column_texts(columns, shown, ctx), depths, arts, plain_columns(columns, shown, ctx))
    _write(render_grid(_cols(columns, notruncate, ctx.in_bytes), grid, look))
