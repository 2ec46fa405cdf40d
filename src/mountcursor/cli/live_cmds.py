"""``mountcursor list`` and ``tree``: the live mount table, findmnt-style (``watch`` is in
:mod:`mountcursor.cli.watch_cmd`).

    mountcursor list  [findmnt's options] [SOURCE] [TARGET]      (findmnt -l)
    mountcursor tree  [findmnt's options] [SOURCE] [TARGET]      (findmnt)

These are click's commands, for ``--help`` and usage errors; ``mountcursor list ...``
usually starts without click (:func:`mountcursor.cli.main` reads the options with
:mod:`mountcursor.cli.findmnt_args`, the same table click's options are made from here).
Both run :func:`mountcursor.cli.findmnt_cmd.run_command`.  The selection and the output
are in :mod:`mountcursor.cli.findmnt_view`.

Exit status: 0 when something was printed, 1 when nothing matched or for a bad ``-o``
(as findmnt),
2 on a usage error (bad option, bad or over-limit -F file), 3 when no consistent snapshot
could be taken (one line on stderr, never a traceback; see :mod:`.status`).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import click

from ..findmnt.columns import COLUMN_NAMES
from ..live.table import MAX_LINES
from .app import main
from ..findmnt.options import CHOICE, FLAG, INT_MIN1, INT_MULTI, MULTI, OPTIONS
from .findmnt_cmd import run_command
from .status import EXIT_STATUS_HELP, guarded

# ---- options and errors ----------------------------------------------------------------


def findmnt_options(fn: Callable) -> Callable:
    """click's options for ``list`` and ``tree``, made from
    :data:`mountcursor.cli.findmnt_args.OPTIONS` (findmnt's names and letters)."""
    from .. import __version__

    decorators = [
        click.version_option(__version__, "-V", "--version", package_name="mountcursor"),
        click.argument("positional", nargs=-1, metavar="[SOURCE] [TARGET]"),
    ]
    for opt in OPTIONS:
        decls = (*opt.names, opt.dest)
        if opt.kind == FLAG:
            decorators.append(click.option(*decls, is_flag=True, help=opt.help))
            continue
        help_text = opt.help
        if opt.dest == "output":
            help_text += f" Known: {', '.join(COLUMN_NAMES)}."
        extra: dict[str, object] = {}
        if opt.kind in (MULTI, INT_MULTI):
            extra["multiple"] = True
        if opt.kind == INT_MULTI:
            extra["type"] = int
        elif opt.kind == CHOICE:
            extra.update(type=click.Choice(opt.choices), default=opt.default, show_default=True)
        elif opt.kind == INT_MIN1:
            extra.update(type=click.IntRange(1), show_default=str(MAX_LINES))
        decorators.append(click.option(*decls, metavar=opt.metavar, help=help_text, **extra))
    for deco in reversed(decorators):
        fn = deco(fn)
    return fn


def _one_line_errors(fn: Callable) -> Callable:
    """Turn expected failures into ``mountcursor: <what>`` and an exit status
    (:func:`mountcursor.cli.status.guarded`)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        status = guarded(lambda: fn(*args, **kwargs))
        if status:
            sys.exit(status)

    return wrapper


# ---- output ------------------------------------------------------------------------


def _write(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()


@main.command("list", epilog=EXIT_STATUS_HELP)
@findmnt_options
def list_cmd(**kwargs) -> None:
    """The mount table as a list, in kernel order (``findmnt -l``).

    SOURCE (a device, MAJ:MIN, LABEL=/UUID=/PARTUUID=/PARTLABEL= tag or, if no source
    matches, a mount point) and TARGET select like findmnt's arguments."""
    status = run_command(False, kwargs)
    if status:
        sys.exit(status)


@main.command("tree", epilog=EXIT_STATUS_HELP)
@findmnt_options
def tree_cmd(**kwargs) -> None:
    """The mount table as findmnt's tree (``findmnt``): children by id, unreachable
    mounts at the top.

    A source, target, --first-only or a non-tree table (fstab, /proc/mounts) gives a
    list, as findmnt does."""
    status = run_command(True, kwargs)
    if status:
        sys.exit(status)
