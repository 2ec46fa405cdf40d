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

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

__all__ = ["main"]

_PRINTERS = ("list", "tree", "wait", "watch")


def main(args: list[str] | None = None, prog_name: str = "mountcursor") -> None:
    """Run the command line ``args`` (default: ``sys.argv[1:]``) and exit with its status."""
    argv = sys.argv[1:] if args is None else list(args)
    if argv and argv[0] in _PRINTERS and args is None:
        try:  # the built-in module under signal, which would import enum (a tenth of list's start)
            from _signal import SIG_DFL, SIGPIPE, signal  # type: ignore[import-not-found, unused-ignore]
        except ImportError:  # another Python
            from signal import SIG_DFL, SIGPIPE, signal
        signal(SIGPIPE, SIG_DFL)
    if argv in (["--version"], ["-V"]) and sys.stdout is not None:  # what click's version option prints
        from .. import __version__

        sys.stdout.write(f"{prog_name}, version {__version__}\n")
        sys.exit(0)
    if argv and argv[0] in ("list", "tree") and sys.stdout is not None:
        from .findmnt_cmd import run_line

        status = run_line(argv[0], argv[1:])
        if args is None:  # the process's own command line, not a caller's
            _leave(status)
        sys.exit(status)
    from .app import main as group

    group(argv, prog_name=prog_name)


def _leave(status: int) -> NoReturn:
    """End the process with ``status`` at once, as findmnt does, once what was printed
    is flushed: the interpreter's teardown (a last collection, every module's objects
    freed one by one) would cost 2 to 3 ms, a tenth of what ``list`` itself adds to the
    kernel's printing of 10,000 mounts.  A flush that fails leaves it to the usual exit."""
    import os

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(status)
    os._exit(status)
