"""``mountcursor list`` and ``tree``: findmnt's options, its selection and its output.

``tree`` is ``findmnt`` (a tree when the table is one and nothing asks for a list) and
``list`` is ``findmnt -l``.  The selection is :mod:`mountcursor.live.query`, the cells
:mod:`mountcursor.live.findmnt`, the layout :mod:`mountcursor.cli.smartcols`.  The
column width hints and flags below are findmnt's (util-linux 2.38.1
``misc-utils/findmnt.c``).

Exit status as findmnt: 0 when something was printed, or for a whole tree (even one
whose filter kept nothing); 1 when a list selection found nothing, and for a bad
``-o``; 2 for other errors (one line on stderr, never a traceback).
"""

from __future__ import annotations

import fcntl
import locale
import os
import struct
import sys
import termios
from itertools import repeat
from collections.abc import Callable

from ..live.findmnt import COLUMNS, DEFAULT_COLUMNS, DF_COLUMNS, ColumnContext, column_texts, parse_columns
from ..live.gcpause import gc_paused
from ..live.query import Query, Selection, select, uniq
from ..format import FormatError
from ..live.table import MAX_LINES, MountTable, read_table_file
from .findmnt_columns import COLUMN_LAYOUT
from .status import say
from ..live.tabfile import merge_utab, parse_tab, utab_path
from .smartcols import NOEXTREMES, RIGHT, STRICTWIDTH, TREE, TRUNC, Col, Grid, Layout, locale_is_utf8, tree_arts, tree_symbols, render_grid

__all__ = ["run", "COLUMN_LAYOUT", "locale_is_utf8", "terminal_width"]

# --output-all: findmnt's column order without the --poll ones
OUTPUT_ALL = ("AVAIL", "FREQ", "FSROOT", "FSTYPE", "FS-OPTIONS", "ID", "LABEL", "MAJ:MIN", "OPTIONS",
              "OPT-FIELDS", "PARENT", "PARTLABEL", "PARTUUID", "PASSNO", "PROPAGATION", "SIZE", "SOURCE",
              "SOURCES", "TARGET", "TID", "USED", "USE%", "UUID", "VFS-OPTIONS")


def terminal_width() -> int:
    """util-linux ``get_terminal_width(80)``: the window of stdout, else ``$COLUMNS``."""
    try:
        rows_cols = fcntl.ioctl(sys.stdout.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        cols = struct.unpack("HHHH", rows_cols)[1]
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


def _fail(message: str | None, status: int = 1) -> None:
    if message:
        say(message)
    sys.exit(status)


def _load(tab_files: tuple[str, ...], fstab: bool, pid: str | None, method: str, consistency: str,
          strict: bool, max_lines: int) -> tuple[MountTable, str]:
    from ..live.reader import snapshot

    if tab_files or fstab:
        if pid is not None:
            raise ValueError("-F/--tab-file and -N/--pid cannot be used together")
        if len(tab_files) <= 1:
            return _load_file(tab_files[0] if tab_files else "/etc/fstab", strict, max_lines)
        # several files: one table of all their lines, each file's format guessed
        loaded = [_load_file(path, strict, max_lines) for path in tab_files]
        kinds = {kind for _, kind in loaded}
        table = MountTable([e for t, _ in loaded for e in t.entries], errors=[err for t, _ in loaded for err in t.errors])
        return table, "mountinfo" if kinds == {"mountinfo"} else "fstab"
    target: int | str = "self"
    if pid is not None:
        if not (pid.isascii() and pid.isdigit()):
            raise ValueError(f"-N/--pid expects a process id, got {pid!r}")
        target = int(pid)
    snap = snapshot(target, method=method, consistency=consistency, strict_parse=strict)  # type: ignore[arg-type]
    return snap.table, "mountinfo"


def _load_file(tab_file: str, strict: bool, max_lines: int) -> tuple[MountTable, str]:
    """A saved table in any of findmnt's formats, with a warning on stderr for each
    line skipped and for what :meth:`MountTable.problems` finds in a mountinfo table
    but orphans (as findmnt warns about parse errors)."""
    try:
        data = read_table_file(tab_file, max_lines=max_lines)
        tab = parse_tab(data, strict=strict)
        table = MountTable(tab.entries, errors=tab.errors)
    except OSError as err:
        if err.filename:
            raise
        raise ValueError(f"{tab_file}: {err.strerror or err}") from None
    except FormatError as err:
        raise ValueError(f"{tab_file}: {err}") from None
    warn = (lambda text: say(f"{tab_file}: {text}"))
    for err in table.errors[:_MAX_WARNINGS]:
        warn(f"{err} -- ignored")
    if not data.strip(b" \t\r\n"):  # blanks as libmount sees them: a \v line is an error, not empty
        warn("empty: no mounts")
    crlf = data.count(b"\r\n")
    if crlf:
        first = data[:data.find(b"\r\n")].count(b"\n") + 1
        what = ("the \\r is kept in the last field, as the kernel never prints it" if tab.kind == "mountinfo"
                else "the \\r is dropped, as findmnt drops it")
        warn(f"line {first}: ends with \\r\\n (a DOS line end?), {crlf} lines in all: {what}")
    # orphans (problems() lists them first) are a chroot's or a container's table by
    # nature and change nothing in a list: run() warns once where a tree shows them
    problems = table.problems()[len(table.orphans):] if tab.kind == "mountinfo" else []
    for text in problems[:_MAX_WARNINGS]:
        warn(text)
    hidden = len(table.errors[_MAX_WARNINGS:]) + len(problems[_MAX_WARNINGS:])
    if hidden:
        warn(f"{hidden} more warnings not shown")
    return table, tab.kind


_MAX_WARNINGS = 20


def _warn_orphans(tab_file: str, table: MountTable) -> None:
    """One line for the mounts of a tree whose parent is not in the table (each starts
    a tree of its own, below the root's, as in findmnt)."""
    orphans = table.orphans
    if orphans:
        parents = sorted({e.parent_id for e in orphans})
        many = len(orphans) > 1
        say(f"{tab_file}: {len(orphans)} {'mounts have' if many else 'mount has'} no parent in the table (parent "
            + ", ".join(map(str, parents[:5])) + (", ..." if len(parents) > 5 else "")
            + f"): each starts a tree of its own: line{'s' if many else ''} "
            + ", ".join(str(e.lineno) for e in orphans[:10]) + (", ..." if len(orphans) > 10 else ""))


def _read_utab() -> bytes:
    try:
        with open(utab_path(), "rb") as f:
            return f.read(1 << 24)
    except OSError:
        return b""            # no utab: nothing to merge, as libmount


def _exclusive(pairs: dict[str, bool]) -> None:
    given = [name for name, on in pairs.items() if on]
    if len(given) > 1:
        raise ValueError(f"{given[0]} and {given[1]} cannot be used together")


def run(tree_mode: bool, positional: tuple[str, ...], as_list, output, output_all, types, opts, source, target, mountpoint,
        ids, uniq_ids, first_only, submounts, shadowed, uniq, real, pseudo, df, all_, in_bytes, invert, direction,
        evaluate, canonicalize, nocanonicalize, vfs_all, force_tree, nofsroot, tab_files, fstab, kernel, mtab, pid,
        as_json, raw, pairs, shell, noheadings, notruncate, ascii, method, consistency, strict_parse,
        max_lines) -> None:
    _exclusive({"--json": as_json, "--pairs": pairs, "--raw": raw})
    tree_mode = tree_mode and not as_list
    _exclusive({"--mountpoint": mountpoint is not None, "--target": target is not None})
    _exclusive({"--real": real, "--pseudo": pseudo})
    _exclusive({"--task": pid is not None, "--kernel": kernel, "--mtab": mtab, "--fstab": fstab})
    _exclusive({"--nocanonicalize": nocanonicalize, "--canonicalize": canonicalize})
    _exclusive({"--nocanonicalize": nocanonicalize, "--evaluate": evaluate})
    if len(positional) > 2:
        raise ValueError(f"too many arguments: {' '.join(positional[2:])}")
    if positional and (source is not None or target is not None or mountpoint is not None):
        _fail("options --target and --source can't be used together with command line element that is not an option")
    default = OUTPUT_ALL if output_all else DF_COLUMNS if df else DEFAULT_COLUMNS
    try:
        columns = parse_columns(output, default)
    except ValueError as err:
        _fail(str(err))
    q = Query(types=types, options=opts, source=source, target=target if mountpoint is None else mountpoint,
              strict_target=mountpoint is not None, first_only=first_only, submounts=submounts, df=df, all=all_,
              real=real, pseudo=pseudo, shadowed=shadowed, invert=invert, nocanonicalize=nocanonicalize,
              ids=tuple(ids), unique_ids=tuple(uniq_ids),
              backward=direction == "backward")
    if positional:
        q.source, q.positional_source = positional[0], True
        if len(positional) > 1:
            q.target = positional[1]
    # everything built from here on lives until the process exits and forms no
    # garbage: the cyclic collector would only walk the growing heap again and again
    with gc_paused():
        table, kind = _load(tab_files, fstab, pid, method, consistency, strict_parse, max_lines or MAX_LINES)
        if mtab and kind == "mountinfo" and table.entries:
            table = MountTable(merge_utab(list(table.entries), _read_utab()), errors=table.errors)
        if uniq:
            table = uniq_table(table, kind)
        fmt = "json" if as_json else "raw" if raw else "pairs" if pairs else "human"
        want_tree = tree_mode and fmt in ("human", "json") and not fstab and not mtab and len(tab_files) < 2
        sel = select(table, q, kind, want_tree, kernel_tab=not fstab, force_tree=force_tree and len(tab_files) < 2)
        if not sel.found:
            sys.exit(1)
        ctx = ColumnContext(in_bytes=in_bytes, evaluate=evaluate, canonicalize=canonicalize, nofsroot=nofsroot,
                            pad_majmin=fmt == "human", tid=int(pid) if pid is not None else None, vfs_all=vfs_all)
        cols = []
        for name in columns:
            whint, flags = COLUMN_LAYOUT[name]
            if notruncate:
                flags &= ~TRUNC
            number = COLUMNS[name].number or (in_bytes and name in ("SIZE", "USED", "AVAIL"))
            cols.append(Col(name, whint, flags, json_number=number, json_array=name == "SOURCES"))
        utf8 = locale_is_utf8()
        is_term = fmt == "human" and _is_term()
        # a tree only with TARGET: the one column findmnt gives SCOLS_FL_TREE (without
        # it libsmartcols prints the same rows as a flat list, -J without "children")
        layout = Layout(fmt=fmt, tree=sel.tree and "TARGET" in columns, headings=not noheadings, ascii=ascii, utf8=utf8, is_term=is_term,
                        termwidth=terminal_width() if is_term else 80, shellvar=shell)
        if layout.tree and len(tab_files) == 1:
            _warn_orphans(tab_files[0], table)
        write = sys.stdout.buffer.write
        for chunk in render_grid(cols, _grid(sel, columns, ctx, layout), layout):
            write(chunk.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()


def uniq_table(table: MountTable, kind: str) -> MountTable:
    return uniq(table) if kind == "mountinfo" else MountTable(_uniq_flat(table))


def _uniq_flat(table: MountTable) -> list:
    last = {tuple(s for s in e.target.split(b"/") if s): i for i, e in enumerate(table.entries)}
    return [e for i, e in enumerate(table.entries) if last[tuple(s for s in e.target.split(b"/") if s)] == i]


def _grid(sel: Selection, columns: list[str], ctx: ColumnContext, layout: Layout) -> Grid:
    """The cells, column by column, of the selection in print order (tree pre-order)."""
    order = sel.order
    cells = column_texts(columns, order.entries, ctx)
    if not layout.tree:
        return Grid(cells)
    arts = None if layout.fmt == "json" else tree_arts(order.depths, tree_symbols(layout))  # JSON nests by depth
    return Grid(cells, order.depths, arts)
