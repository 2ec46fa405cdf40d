"""``mountcursor list`` and ``tree``: a command line read by the findmnt engine's own
parser (:func:`mountcursor.findmnt.options.parse`), its ``--help``, ``--version`` and
usage errors, and the run (:mod:`mountcursor.findmnt.command`) with the one-line errors
of :mod:`.status`.  No click: the click group hands these lines here unparsed."""

from __future__ import annotations

import sys

from ..status import EXIT_USAGE, guarded

__all__ = ["run_line", "run_command"]


def run_line(command: str, args: list[str]) -> int:
    """Run ``mountcursor list ARGS`` (``command`` ``"list"``) or ``tree``: the exit status."""
    from ..findmnt.options import HELP, VERSION, UsageError, help_text, parse, usage

    try:
        params = parse(args)
    except UsageError as err:
        sys.stderr.write(f"{usage(command)}\nError: {err}\n")
        return EXIT_USAGE
    if params == HELP:
        from ..findmnt.columns import COLUMN_NAMES

        sys.stdout.write(help_text(command, COLUMN_NAMES))
        return 0
    if params == VERSION:
        from .. import __version__

        sys.stdout.write(f"mountcursor, version {__version__}\n")
        return 0
    assert isinstance(params, dict)
    return run_command(command == "tree", params)


def run_command(tree_mode: bool, params: dict[str, object]) -> int:
    """Run ``list`` (``tree_mode`` false) or ``tree`` with the options' keyword arguments;
    the exit status (0; 1 when nothing matched; that of a one-line error)."""
    status = 0

    def run() -> None:
        nonlocal status
        from ..findmnt.command import run as engine

        status = engine(tree_mode, **params)  # type: ignore[arg-type]  # the options table gives each its type

    return guarded(run) or status
