"""``mountcursor wait``: until a path is a mount point, or is no longer one, or until a
mount matching findmnt's filters appears or goes -- without the race of check-then-poll.

    mountcursor wait [--mounted | --unmounted | --gone] [-t LIST] [-O LIST] [-S SRC]
                     [-T PATH | -M DIR] [-w MS] [-J [-o COLS]] [-N PID] [PATH]

``wait PATH`` is ``wait -M PATH``.  Filters as findmnt's (:mod:`mountcursor.findmnt.select`):
every one given must hold; ``-T`` and ``-M`` both mean a mount *at* that mount point
(findmnt's ``-T`` would also show the mount holding the path, which is always there).
``-w`` is in milliseconds, as findmnt's, and counts from the start.  The wait is the
watch's eager baseline (:mod:`mountcursor.findmnt.wait`): a mount made at any moment
after the command starts is seen, one already there answers at once.

Exit status: 0 when it happened (at once included), 1 at the timeout (nothing printed),
2 for bad input, 3 when the watched process (``-N``) exits.  ``--json`` prints the
mounts as ``list -J`` prints them (the same columns, ``-o``, and the same printer):
those that appeared, or with ``--unmounted``/``--gone`` those that went (nothing when
none matched at the start).  A bad ``-o`` exits 2 here (``list`` exits 1, as findmnt,
but 1 is the timeout's status here).
"""

from __future__ import annotations

import os
import sys

import click

from ..status import BadInput, RunFailed
from .app import main
from .live_cmds import _one_line_errors, from_table as _from_table
from .watch_cmd import TIMEOUT_MAX_MS, _integer, start_watch


@main.command("wait")
@click.argument("path", required=False)
@click.option("--mounted/--unmounted", " /--gone", "present", default=True,
              help="Wait until a mount matches (the default), or until none does (--gone is --unmounted).")
@_from_table("types")
@_from_table("opts")
@_from_table("source")
@_from_table("target", "A mount at PATH (symlinks resolved; not the mount holding PATH).")
@_from_table("mountpoint", "A mount at mount point DIR (what PATH means).")
@_from_table("poll_timeout", "Give up after this many milliseconds (as findmnt's -w): exit 1.")
@_from_table("as_json", "Print the mounts as 'list -J' does.")
@_from_table("output")
@_from_table("pid")
@_one_line_errors
def wait_cmd(path: str | None, present: bool, types: str | None, opts: str | None, source: str | None,
             target: str | None, mountpoint: str | None, poll_timeout: str | None, as_json: bool,
             output: str | None, pid: str | None) -> None:
    """Wait until PATH is a mount point (or, with --unmounted, no longer one), or until a
    mount matching -t/-O/-S/-T/-M appears (or, with --gone, goes).

    A mount made at any moment after the command starts is seen: the table is read once
    the kernel's change reports are on, so no mount falls between a check and a poll.
    One already there answers at once.  Exit status: 0 when it happened; 1 at the
    timeout; 2 for bad input; 3 when the watched process (-N) exits.
    """
    from ..findmnt.columns import DEFAULT_COLUMNS, parse_columns
    from ..findmnt.select import Query
    from ..findmnt.wait import CONSISTENCY, Awaited, wait_for
    from ..live.fstypes import types_error
    from ..live.optstr import options_error

    places = [name for name, value in (("PATH", path), ("-T/--target", target), ("-M/--mountpoint", mountpoint))
              if value is not None]
    if len(places) > 1:
        raise BadInput(f"{places[0]} and {places[1]} cannot be used together")
    at = path if path is not None else target if target is not None else mountpoint
    if at is None and types is None and opts is None and source is None:
        raise BadInput("wait for what? Give a PATH or a filter (-t, -O, -S, -T, -M)")
    if at == "":
        raise BadInput("the mount point to wait for is empty")
    for name, value, error in (("-t/--types", types, types_error), ("-O/--options", opts, options_error)):
        why = None if value is None else error(value)
        if why:
            raise BadInput(f"{name}: {why}")
    timeout = _integer("-w/--timeout", poll_timeout, 0, "milliseconds", TIMEOUT_MAX_MS)
    try:
        columns = parse_columns(output, DEFAULT_COLUMNS)
    except ValueError as err:
        raise BadInput(f"-o/--output: {err}") from None
    query = Query(types=types, options=opts, source=source, target=at, strict_target=True)
    w = start_watch(pid, timeout=None if timeout is None else timeout / 1000, consistency=CONSISTENCY)
    try:
        got = wait_for(w, Awaited(query, present), os.getpid() if pid is None else int(pid))
    except ProcessLookupError as err:  # the watched process exited
        raise RunFailed(err.strerror or str(err)) from None
    if got is None:
        sys.exit(1)
    if as_json and len(got.shown):
        from ..findmnt.cells import Context
        from ..findmnt.command import print_rows

        print_rows(got.shown, columns, "json", Context())
    sys.exit(0)
