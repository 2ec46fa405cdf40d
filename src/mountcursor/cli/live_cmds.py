"""``mountcursor list``, ``tree`` and ``watch``: the live mount table, findmnt-style.

    mountcursor list  [findmnt's options] [SOURCE] [TARGET]      (findmnt -l)
    mountcursor tree  [findmnt's options] [SOURCE] [TARGET]      (findmnt)
    mountcursor watch [-N PID] [--source auto|poll|fanotify] [--json] [--timeout S]
                      [--first-only] [--count N] [--interval S]

Exit status: 0 when something was printed, 1 when nothing matched (as findmnt; see
:mod:`mountcursor.cli.findmnt_view` for list/tree), 2 on an error (one line on
stderr, never a traceback).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable

import click

from ..format import FormatError
from ..live.diff import MountEvent
from ..live.entry import MountEntry
from ..live.findmnt import column_value
from ..live.snapshot import InconsistentSnapshotError
from ..live.watch import watch
from . import main
from .findmnt_view import findmnt_options, run

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
        except (OSError, ValueError, FormatError, InconsistentSnapshotError) as err:
            click.echo(f"mountcursor: {_message(err)}", err=True)
            sys.exit(2)
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


@main.command("list")
@findmnt_options
@_one_line_errors
def list_cmd(**kwargs) -> None:
    """The mount table as a list, in kernel order (``findmnt -l``).

    SOURCE (a device, MAJ:MIN, LABEL=/UUID=/PARTUUID=/PARTLABEL= tag or, if no source
    matches, a mount point) and TARGET select like findmnt's arguments."""
    run(False, **kwargs)


@main.command("tree")
@findmnt_options
@_one_line_errors
def tree_cmd(**kwargs) -> None:
    """The mount table as findmnt's tree (``findmnt``): children by id, unreachable
    mounts at the top.  A source, target, --first-only or a non-tree table (fstab,
    /proc/mounts) gives a list, as findmnt does."""
    run(True, **kwargs)


# ---- watch --------------------------------------------------------------------------

_WATCH_COLUMNS = ("TARGET", "SOURCE", "FSTYPE", "OPTIONS")


def _event_json(ev: MountEvent) -> dict:
    e = ev.entry
    row: dict = {"action": ev.action}
    row.update({name.lower(): column_value(e, name) for name in (*_WATCH_COLUMNS, "ID", "UNIQ-ID")})
    row["old-target"] = os.fsdecode(ev.old.target) if ev.action in ("move", "umount") and ev.old else None
    row["old-options"] = os.fsdecode(ev.old.options) if ev.action in ("remount", "umount") and ev.old else None
    return row


def _event_line(ev: MountEvent) -> str:
    e = ev.entry
    cells = [ev.action] + [_cell(e, c, True) for c in _WATCH_COLUMNS]
    if ev.action == "move" and ev.old is not None:
        cells.append("old-target=" + _safe(os.fsdecode(ev.old.target), True))
    if ev.action == "remount" and ev.old is not None:
        cells.append("old-options=" + _safe(os.fsdecode(ev.old.options), True))
    return " ".join(cells)


@main.command("watch")
@click.option("-N", "--pid", metavar="PID", help="Watch the mount table of process PID.")
@click.option("--source", "source", type=click.Choice(["auto", "poll", "fanotify"]), default="auto",
              show_default=True, help="poll(POLLPRI) on mountinfo, or fanotify mount events (6.15+, root).")
@click.option("-J", "--json", "as_json", is_flag=True, help="One JSON object per event.")
@click.option("-w", "--timeout", type=float, metavar="SECONDS", help="Stop after this long.")
@click.option("-f", "--first-only", is_flag=True, help="Stop after the first batch of events.")
@click.option("--count", type=int, metavar="N", help="Stop after N events.")
@click.option("--interval", type=float, default=0.1, show_default=True, metavar="SECONDS",
              help="Re-read the table at most this often.")
@_one_line_errors
def watch_cmd(pid, source, as_json, timeout, first_only, count, interval) -> None:
    """Print mount, umount, move, remount and propagation events as they happen
    (like ``findmnt --poll``; the raw-escaped fields are ACTION TARGET SOURCE FSTYPE
    OPTIONS, then old-target= or old-options=)."""
    target: int | str = "self"
    if pid is not None:
        if not pid.isdigit():
            raise ValueError(f"-N/--pid expects a process id, got {pid!r}")
        target = int(pid)
    seen = 0
    noted = False
    for batch in watch(target, source=source, timeout=timeout, min_interval=interval):  # type: ignore[arg-type]
        if batch.note and not noted:
            click.echo(f"mountcursor: {batch.note}", err=True)
            noted = True
        for ev in batch.events:
            _write((json.dumps(_event_json(ev), ensure_ascii=False) if as_json else _event_line(ev)) + "\n")
            seen += 1
            if count is not None and seen >= count:
                return
        if first_only:
            return
    if not seen:
        sys.exit(1)
