"""The ``mountcursor`` command line.

    main()                      # the entry point: console script, ``python -m mountcursor``
    main(["list", "-r"])        # the same with these arguments (exits, as click's main)

A ``list`` or ``tree`` line runs at once (:func:`mountcursor.cli.findmnt_cmd.run_line`:
the findmnt engine's own parser, help and usage errors), without click: that is most of
``mountcursor list``'s start-up.  Every other line goes to the click group
:data:`mountcursor.cli.app.main`, which loads each command's module when it runs.

``list``, ``tree``, ``wait`` and ``watch`` only print, so they die of ``SIGPIPE`` when the reader
of their output goes away (``mountcursor list | head -1``), as findmnt does, instead of
reporting a broken pipe.
"""

from __future__ import annotations

import signal
import sys

__all__ = ["main"]

_PRINTERS = ("list", "tree", "wait", "watch")


def main(args: list[str] | None = None, prog_name: str = "mountcursor") -> None:
    """Run the command line ``args`` (default: ``sys.argv[1:]``) and exit with its status."""
    argv = sys.argv[1:] if args is None else list(args)
    if argv and argv[0] in _PRINTERS and args is None:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if argv in (["--version"], ["-V"]) and sys.stdout is not None:  # what click's version option prints
        from .. import __version__

        sys.stdout.write(f"{prog_name}, version {__version__}\n")
        sys.exit(0)
    if argv and argv[0] in ("list", "tree") and sys.stdout is not None:
        from .findmnt_cmd import run_line

        sys.exit(run_line(argv[0], argv[1:]))
    from .app import main as group

    group(argv, prog_name=prog_name)
