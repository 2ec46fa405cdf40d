"""``mountcursor watch``: mount table changes as they happen, like ``findmnt --poll``.

    mountcursor watch [-p[ACTIONS] | --poll[=ACTIONS]] [-w MS] [-f] [--count N]
                      [-o COLS] [-n] [-r | -P | -J] [-t TYPES] [-O OPTS] [-T PATH] [-M PATH]
                      [-N PID] [--source auto|poll|reread|fanotify] [--interval S]

As util-linux findmnt 2.38 (misc-utils/findmnt.c ``poll_table``): ``-w`` is in
milliseconds, a timeout exits 0 whether or not anything was printed, ``-f`` stops after
the first event, ``--poll=mount,umount,remount,move`` picks the actions, the default
columns are ACTION TARGET SOURCE FSTYPE OPTIONS, and the header is printed once, with
the first event, its widths set by that first batch (ACTION is 10 wide).  OLD-TARGET is
filled for move and umount, OLD-OPTIONS for remount and umount, as findmnt fills them.
Filters apply to the mount after the change (before it, for an umount).  ``-T`` and
``-M`` match the event's mount point (``-T`` after resolving symlinks in this
namespace), as findmnt's poll does; they do not look for the mount holding a path.

Differences on purpose: ``--json`` prints one JSON object per event and line (findmnt
2.38 aborts on ``--poll --json``); ``propagation`` is a fifth action, off unless asked;
a watched process (``-N``) that exits ends the watch with a message and status 3
(findmnt does not notice); ``-w`` must be an integer >= 0 (findmnt takes a negative as
"forever"; at most 2147483647, as findmnt).  ``--interval`` (at most one re-read per that many
seconds) never holds the watch past ``-w``.
"""

from __future__ import annotations

import json
import os
import sys

from typing import TYPE_CHECKING, Any

import click

from ..live.tablediff import MountEvent
from ..findmnt.columns import COLUMN_NAMES, POLL_COLUMNS, POLL_NAMES, parse_columns
from ..live.findmnt import column_value
from ..live.table import match_fstype, match_options, normalize_target
from ..live.watcher import SOURCES, check_seconds
from .app import main
from ..status import BadInput, oserror_words
from .errors import RunError
from .live_cmds import _one_line_errors, _write, from_table

if TYPE_CHECKING:
    from ..live.watcher import Watch

ACTIONS = ("mount", "umount", "remount", "move", "propagation")
DEFAULT_ACTIONS = ("mount", "umount", "remount", "move")
TIMEOUT_MAX_MS = 2**31 - 1  # findmnt reads -w as a signed 32-bit number (strtos32_or_err): 24.8 days


def event_value(ev: MountEvent, name: str) -> str | int | None:
    """One column of an event: ACTION, OLD-TARGET (move, umount), OLD-OPTIONS
    (remount, umount), else the column of the mount after the change (before, for an
    umount).  ``None`` where findmnt prints an empty cell."""
    if name == "ACTION":
        return ev.action
    if name == "OLD-TARGET":
        return os.fsdecode(ev.old.target) if ev.old is not None and ev.action in ("move", "umount") else None
    if name == "OLD-OPTIONS":
        return os.fsdecode(ev.old.options) if ev.old is not None and ev.action in ("remount", "umount") else None
    return column_value(ev.entry, name)


def event_json(ev: MountEvent, columns: list[str]) -> dict[str, str | int | None]:
    """The JSON object of one event: a key per column, lower case; the OLD-* keys only
    where they mean something (see :func:`event_value`)."""
    row: dict[str, str | int | None] = {}
    for name in columns:
        value = event_value(ev, name)
        if value is None and name in ("OLD-TARGET", "OLD-OPTIONS"):
            continue
        row[name.lower()] = value
    return row


def parse_actions(spec: str | None) -> frozenset[str]:
    """``--poll`` list: ``"mount,umount"``; empty or absent: findmnt's four actions."""
    if not spec:
        return frozenset(DEFAULT_ACTIONS)
    out = set()
    for item in spec.split(","):
        name = item.strip().lower()
        if name not in ACTIONS:
            raise BadInput(f"--poll: unknown action {item!r} (known: {', '.join(ACTIONS)})")
        out.add(name)
    return frozenset(out)


def _integer(option: str, text: str | None, least: int, what: str, most: int | None = None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise BadInput(f"{option} expects {what} (an integer >= {least}), got {text!r}") from None
    if value < least:
        raise BadInput(f"{option} expects {what} (an integer >= {least}), got {text!r}")
    if most is not None and value > most:
        raise BadInput(f"{option} expects {what} (an integer from {least} to {most}), got {text!r}")
    return value


def _pid(text: str | None) -> int | str:
    if text is None:
        return "self"
    if not (text.isascii() and text.isdigit()):
        raise BadInput(f"-N/--pid expects a process id, got {text!r}")
    return int(text)


def start_watch(pid: str | None, **kwargs: Any) -> Watch:
    """:func:`~mountcursor.live.watcher.watch` of ``-N PID`` (this process without),
    its failures as one-line errors: a zombie exits 3 (it exited before its table could
    be read), no such process or one not ours to read 2 (said as the kernel says it)."""
    from ..live.watcher import WatchedProcessExited, watch  # here: list and tree need not load it

    try:
        return watch(_pid(pid), **kwargs)
    except WatchedProcessExited as err:
        raise RunError(err.strerror or str(err)) from None
    except OSError as err:
        raise BadInput(oserror_words(err)) from None


class _Printer:
    """Prints batches as findmnt's poll does, with the findmnt engine's printer
    (:func:`mountcursor.findmnt.render.render_grid`): the header once, with the first
    batch; each batch sized on its own (the header names counted, even with ``-n``),
    since findmnt prints each batch as a fresh range of one libsmartcols table."""

    def __init__(self, columns: list[str], mode: str, headings: bool) -> None:
        self.columns = columns
        self.mode = mode  # "human", "raw", "pairs" or "json"
        self.header_due = headings and mode in ("human", "raw")

    def batch(self, events: list[MountEvent]) -> None:
        if not events:
            return
        if self.mode == "json":
            _write("".join(json.dumps(event_json(ev, self.columns), ensure_ascii=False) + "\n" for ev in events))
            return
        from ..findmnt.columns import BY_NAME
        from ..findmnt.command import _is_term, terminal_width
        from ..findmnt.render import Col, Grid, Layout, locale_is_utf8, render_grid

        cells = [[None if (v := event_value(ev, name)) is None else str(v) for ev in events] for name in self.columns]
        cols = [Col(name, BY_NAME[name].whint, BY_NAME[name].flags) for name in self.columns]
        is_term = self.mode == "human" and _is_term()
        layout = Layout(fmt=self.mode, headings=self.header_due, utf8=locale_is_utf8(), is_term=is_term,
                        termwidth=terminal_width() if is_term else 80)
        self.header_due = False
        _write("".join(render_grid(cols, Grid(cells), layout)))


@main.command("watch")
@click.option("-p", "--poll", "poll", is_flag=False, flag_value="", default=None, metavar="[=ACTIONS]",
              help="Only these actions, comma-separated: mount, umount, remount, move (the default), "
                   "propagation.")
@from_table("poll_timeout", "Stop after this many milliseconds (as findmnt); a timeout exits 0.", name="timeout_ms")
@from_table("first_only", "Stop after the first event.")
@click.option("--count", "count_text", metavar="N", help="Stop after N events.")
@from_table("output", "Columns ('+COLS' adds to the default ACTION,TARGET,SOURCE,FSTYPE,OPTIONS): "
                      "ACTION, OLD-TARGET, OLD-OPTIONS and those of 'list'.")
@from_table("noheadings")
@from_table("raw")
@from_table("pairs")
@from_table("as_json", "One JSON object per event and line.")
@from_table("types")
@from_table("opts")
@from_table("target", "Only events at this mount point (symlinks resolved).")
@from_table("mountpoint", "Only events at this mount point, as written.")
@from_table("pid", "Watch the mount table of process PID (ends when it exits).")
@click.option("--source", "source", type=click.Choice(SOURCES), default="auto",
              show_default=True,
              help="poll: poll(POLLPRI) on mountinfo, then only the mount ids that changed (listmount, 6.8+; "
                   "auto); reread: the whole table at each wake-up; fanotify: mount events (6.15+, root, "
                   "no remounts).")
@click.option("--interval", type=float, default=0.1, show_default=True, metavar="SECONDS",
              help="Re-read the table at most this often.")
@_one_line_errors
def watch_cmd(poll: str | None, timeout_ms: str | None, first_only: bool, count_text: str | None,
              output: str | None, noheadings: bool, raw: bool, pairs: bool, as_json: bool, types: str | None,
              opts: str | None, target: str | None, mountpoint: str | None, pid: str | None, source: str,
              interval: float) -> None:
    """Print mount, umount, remount and move events as they happen (like ``findmnt
    --poll``).

    Propagation changes (``mount --make-shared`` ...) do not wake the watch: the
    kernel changes no event counter for them and sends no fanotify event.  With
    ``--poll=...,propagation`` they are printed when another change wakes it.
    Exit status: 0 at the timeout, the count or the first event; 2 for a bad
    argument; 3 when the watched process exits.  JSON: one object per event, a key per column in
    lower case (``action``, ``target`` ...; ``old-target`` for move and umount and
    ``old-options`` for remount and umount only).
    """

    try:
        check_seconds("min_interval", interval)
    except ValueError as err:
        raise BadInput(str(err)) from None

    if sum((raw, pairs, as_json)) > 1:
        raise BadInput("--raw, --pairs and --json cannot be used together")
    actions = parse_actions(poll)
    timeout = _integer("-w/--timeout", timeout_ms, 0, "milliseconds", TIMEOUT_MAX_MS)
    count = _integer("--count", count_text, 1, "a number of events")
    if first_only:
        count = 1
    try:  # findmnt's -o, with the --poll columns; a bad one exits 1, as findmnt
        columns = parse_columns(output, POLL_COLUMNS, (*COLUMN_NAMES, *POLL_NAMES))
    except ValueError as err:
        click.echo(f"mountcursor: {err}", err=True)
        sys.exit(1)
    if as_json and output is None:
        columns += ["OLD-TARGET", "OLD-OPTIONS"]
    paths = {normalize_target(os.path.realpath(target))} if target else set()
    if mountpoint:
        paths.add(normalize_target(mountpoint))

    def wanted(ev: MountEvent) -> bool:
        e = ev.entry
        return (ev.action in actions and (not types or match_fstype(e.fstype, types))
                and (not opts or match_options(e.options, opts)) and (not paths or e.target in paths))

    mode = "json" if as_json else "pairs" if pairs else "raw" if raw else "human"
    printer = _Printer(columns, mode, not noheadings)
    seen = 0
    started = start_watch(pid, source=source, timeout=None if timeout is None else timeout / 1000,
                          min_interval=interval)
    with started as w:
        if w.note:
            click.echo(f"mountcursor: {w.note}", err=True)
        try:
            for batch in w:
                events = [ev for ev in batch.events if wanted(ev)]
                if count is not None:
                    events = events[:count - seen]
                printer.batch(events)
                seen += len(events)
                if count is not None and seen >= count:
                    return
        except ProcessLookupError as err:  # the watched process exited
            raise RunError(err.strerror or str(err)) from None
    sys.exit(0)
