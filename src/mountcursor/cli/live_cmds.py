"""``mountcursor list`` and ``tree``: the live mount table, findmnt-style (``watch`` is in
:mod:`mountcursor.cli.watch_cmd`).

    mountcursor list  [-o COLS] [-t TYPES] [-O OPTS] [-S SOURCE] [-T PATH]
                      [-F FILE | -N PID] [--json | --raw] [--method M] [--consistency C]
    mountcursor tree  (the same options; findmnt's tree, ``children`` in JSON)

Exit status: 0 when something was printed, 1 when nothing matched (as findmnt),
2 on a usage error (bad option, bad or over-limit -F file), 3 when no consistent snapshot
could be taken (one line on stderr, never a traceback; see :mod:`.errors`).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable

import click

from ..format import FormatError
from ..live.entry import MountEntry
from ..live.findmnt import COLUMNS, Node, column_value, parse_columns, to_json, tree
from ..live.reader import InconsistentSnapshotError, snapshot
from ..live.jsonout import dumps
from ..live.table import MAX_LINES, MountTable, match_fstype, match_options, normalize_target, read_table_file
from . import main
from .errors import EXIT_RUNTIME, EXIT_STATUS_HELP, EXIT_USAGE

# ---- errors -------------------------------------------------------------------------


def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        where = f"{os.fsdecode(err.filename)}: " if err.filename else ""
        return where + err.strerror
    return str(err)


def _one_line_errors(fn: Callable) -> Callable:
    """Turn expected failures into ``mountcursor: <what>`` and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InconsistentSnapshotError as err:  # the table kept changing: a runtime error
            click.echo(f"mountcursor: {_message(err)}", err=True)
            sys.exit(EXIT_RUNTIME)
        except (OSError, ValueError, FormatError) as err:
            click.echo(f"mountcursor: {_message(err)}", err=True)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            sys.exit(130)

    return wrapper


# ---- text encoding (like libsmartcols) ----------------------------------------------


def _safe(text: str, raw: bool) -> str:
    r"""Escape what would break a line: control bytes and undecodable bytes as ``\xHH``;
    in ``--raw`` also space and backslash, so fields split on spaces."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: a byte that is not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or code == 0x7F or (raw and ch in " \\"):
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)


def _cell(entry: MountEntry, name: str, raw: bool) -> str:
    value = column_value(entry, name)
    return "" if value is None else _safe(str(value), raw)


def _write(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()


# ---- reading the table --------------------------------------------------------------


def _load(tab_file: str | None, pid: str | None, method: str, consistency: str, strict: bool,
          max_lines: int = MAX_LINES) -> MountTable:
    if tab_file is not None:
        if pid is not None:
            raise ValueError("-F/--tab-file and -N/--pid cannot be used together")
        return _load_file(tab_file, strict, max_lines)
    target: int | str = "self"
    if pid is not None:
        if not pid.isdigit():
            raise ValueError(f"-N/--pid expects a process id, got {pid!r}")
        target = int(pid)
    return snapshot(target, method=method, consistency=consistency, strict_parse=strict).table  # type: ignore[arg-type]


def _load_file(tab_file: str, strict: bool, max_lines: int) -> MountTable:
    """A saved table, with a warning on stderr for each line skipped and for what
    :meth:`MountTable.problems` finds (as findmnt warns about parse errors)."""
    try:
        data = read_table_file(tab_file, max_lines=max_lines)
        table = MountTable.from_bytes(data, strict=strict)
    except OSError as err:
        raise ValueError(_message(err) if err.filename else f"{tab_file}: {_message(err)}") from None
    except FormatError as err:
        raise ValueError(f"{tab_file}: {err}") from None
    warn = (lambda text: click.echo(f"mountcursor: {tab_file}: {text}", err=True))
    for err in table.errors[:_MAX_WARNINGS]:
        warn(f"{err} -- ignored")
    if not data.strip():
        warn("empty: no mounts")
    crlf = data.count(b"\r\n")
    if crlf:
        first = data[:data.find(b"\r\n")].count(b"\n") + 1
        warn(f"line {first}: ends with \\r\\n (a DOS line end?), {crlf} lines in all: "
             "the \\r is kept in the last field, as the kernel never prints it")
    problems = table.problems()
    for text in problems[:_MAX_WARNINGS]:
        warn(text)
    hidden = len(table.errors[_MAX_WARNINGS:]) + len(problems[_MAX_WARNINGS:])
    if hidden:
        warn(f"{hidden} more warnings not shown")
    return table


_MAX_WARNINGS = 20


def _matcher(table: MountTable, types, options, source, target, live: bool) -> Callable[[MountEntry], bool] | None:
    checks: list[Callable[[MountEntry], bool]] = []
    if types:
        checks.append(lambda e: match_fstype(e.fstype, types))
    if options:
        checks.append(lambda e: match_options(e.options, options))
    if source:
        wanted = table.find_source(source)
        ids = {id(e) for e in wanted}
        checks.append(lambda e: id(e) in ids)
    if target:
        path = os.path.realpath(target) if live else target
        holder = table.mount_of(normalize_target(path), lexical=True)  # resolved above if live
        where = holder.target if holder is not None else None
        checks.append(lambda e: e.target == where)
    if not checks:
        return None
    return lambda e: all(check(e) for check in checks)


# ---- output -------------------------------------------------------------------------


def _print_json(obj: dict) -> None:
    _write(dumps(obj, indent=3) + "\n")  # json.dumps's bytes, at any depth


def _print_columns(rows: list[list[str]], header: list[str] | None, raw: bool) -> None:
    """Rows under an optional header: single spaces in ``--raw``, else aligned."""
    lines = ([header] if header else []) + rows
    if raw:
        _write("".join(" ".join(r) + "\n" for r in lines))
        return
    widths = [max(len(r[i]) for r in lines) for i in range(len(lines[0]))]
    out = []
    for r in lines:
        cells = [c.ljust(widths[i]) if i < len(r) - 1 else c for i, c in enumerate(r)]
        out.append(" ".join(cells).rstrip() + "\n")
    _write("".join(out))


def _tree_rows(nodes: list[Node], columns: list[str], raw: bool) -> list[list[str]]:
    rows: list[list[str]] = []
    stack: list[tuple[Node, str, str]] = [(n, "", "") for n in reversed(nodes)]
    while stack:
        node, lead, child_lead = stack.pop()
        cells = [_cell(node.entry, c, raw) for c in columns]
        if not raw and columns and columns[0] == "TARGET":
            cells[0] = lead + cells[0]
        rows.append(cells)
        kids = node.children
        for i in range(len(kids) - 1, -1, -1):
            last = i == len(kids) - 1
            stack.append((kids[i], child_lead + ("└─" if last else "├─"), child_lead + ("  " if last else "│ ")))
    return rows


def _table_options(fn: Callable) -> Callable:
    decorators = [
        click.option("-o", "--output", "output", metavar="COLS",
                     help=f"Columns, comma-separated ('+COLS' adds to the default). Known: {', '.join(COLUMNS)}."),
        click.option("-t", "--types", metavar="LIST", help="Only these fs types ('nofoo,bar' excludes)."),
        click.option("-O", "--options", "opts", metavar="LIST", help="Only mounts with these options."),
        click.option("-S", "--source", metavar="SRC", help="Only mounts of this source (or MAJ:MIN)."),
        click.option("-T", "--target", metavar="PATH", help="Only the mount holding PATH."),
        click.option("-F", "--tab-file", "tab_file", metavar="FILE", help="Read a saved mountinfo file."),
        click.option("-N", "--pid", metavar="PID", help="The mount table of process PID."),
        click.option("-J", "--json", "as_json", is_flag=True, help="JSON in findmnt's shape."),
        click.option("-r", "--raw", is_flag=True, help="Space-separated, spaces and controls escaped as \\xHH."),
        click.option("-n", "--noheadings", is_flag=True, help="No header line."),
        click.option("--method", type=click.Choice(["auto", "mountinfo", "listmount"]), default="auto",
                     show_default=True, help="How to read the live table."),
        click.option("--consistency", type=click.Choice(["strict", "best-effort", "single-pass"]),
                     default="strict", show_default=True, help="Retry until a pass saw no change?"),
        click.option("--strict", "strict_parse", is_flag=True, help="Reject lines the kernel would not print."),
        click.option("--max-lines", type=click.IntRange(1), default=MAX_LINES, show_default=True, metavar="N",
                     help="Stop reading an -F file after this many lines."),
    ]
    for deco in reversed(decorators):
        fn = deco(fn)
    return fn


def _run_table(tree_mode: bool, output, types, opts, source, target, tab_file, pid, as_json, raw, noheadings,
               method, consistency, strict_parse, max_lines) -> None:
    if as_json and raw:
        raise ValueError("--json and --raw cannot be used together")
    columns = parse_columns(output)
    table = _load(tab_file, pid, method, consistency, strict_parse, max_lines)
    keep = _matcher(table, types, opts, source, target, live=tab_file is None)
    if tree_mode:
        nodes = tree(table, keep)
        if not nodes:
            sys.exit(1)
        if as_json:
            _print_json(to_json(nodes, columns))
            return
        rows = _tree_rows(nodes, columns, raw)
    else:
        entries = [e for e in table.entries if keep is None or keep(e)]
        if not entries:
            sys.exit(1)
        if as_json:
            _print_json(to_json(entries, columns))
            return
        rows = [[_cell(e, c, raw) for c in columns] for e in entries]
    _print_columns(rows, None if noheadings else columns, raw)


@main.command("list", epilog=EXIT_STATUS_HELP)
@_table_options
@_one_line_errors
def list_cmd(**kwargs) -> None:
    """The mount table as a list, in kernel order (like ``findmnt -l``)."""
    _run_table(False, **kwargs)


@main.command("tree", epilog=EXIT_STATUS_HELP)
@_table_options
@_one_line_errors
def tree_cmd(**kwargs) -> None:
    """The mount table as findmnt's tree (children by id; unreachable mounts at top)."""
    _run_table(True, **kwargs)
