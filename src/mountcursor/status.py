"""Exit statuses of every ``mountcursor`` command, and how a one-line error is said.

    0  success: the property holds, the scripts agreed, something was printed
    1  a finding: a property failed, a mismatch was found, nothing matched (as findmnt), or a wait
       timed out
    2  usage error: a bad option or argument, or an input file that is missing,
       unreadable, malformed or over a limit (nothing was run)
    3  runtime error: the run could not be done here or stopped (no sandbox or root,
       no consistent snapshot, the watched process exited, output or results not written)

Errors are one line on stderr, ``mountcursor: <what>``, never a traceback.  This module
imports nothing, so that the click-free ``list``/``tree`` path can use it; the click
exceptions that carry these statuses are in :mod:`mountcursor.cli.errors`.
"""

from __future__ import annotations

import errno
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["EXIT_OK", "EXIT_FOUND", "EXIT_USAGE", "EXIT_RUNTIME", "EXIT_INTERRUPTED", "EXIT_STATUSES",
           "EXIT_STATUS_HELP", "say", "guarded", "Failure", "BadInput", "RunFailed", "output_failed", "oserror_words"]

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_USAGE = 2
EXIT_RUNTIME = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C

EXIT_STATUSES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "success: the property holds, the scripts agreed, something was printed"),
    (EXIT_FOUND, "a finding: a property failed, a mismatch was found, nothing matched (as findmnt), or a wait "
                 "timed out"),
    (EXIT_USAGE, "usage error: a bad option or argument, or an input file that is missing, unreadable, "
                 "malformed or over a limit (nothing was run)"),
    (EXIT_RUNTIME, "runtime error: the run could not be done here or stopped (no sandbox or root, no consistent "
                   "snapshot, the watched process exited, output or results not written)"),
    (EXIT_INTERRUPTED, "interrupted by Ctrl-C (128 + SIGINT)"),
)
"""Each status and what it means, for every command (the man pages' EXIT STATUS)."""

EXIT_STATUS_HELP = (
    "Exit status: 0 success; 1 a property failed, a mismatch was found, nothing matched or a wait timed out; "
    "2 usage error (bad option, argument or input file); 3 runtime error (no sandbox or root, "
    "no consistent snapshot, the watched process exited, output or results not written)."
)


class Failure(Exception):
    """What the project says in one line and ends a command with: its own failures, not
    its bugs.  ``exit_status`` is 2 or 3."""

    exit_status = EXIT_USAGE


class BadInput(Failure):
    """Bad input from the user: an option's value, an argument, an input file that is
    missing, unreadable, malformed or over a limit (exit 2).  The format's
    :class:`~mountcursor.format.FormatError` is one."""

    exit_status = EXIT_USAGE


class RunFailed(Failure):
    """The run could not be done or finished here: no consistent snapshot, the watched
    process exited, the output could not be written (exit 3)."""

    exit_status = EXIT_RUNTIME


def say(text: str) -> None:
    """``mountcursor: <text>`` on stderr, as one line (what ``click.echo(err=True)`` writes)."""
    stream = sys.stderr
    if stream is None:
        return
    stream.write(f"mountcursor: {text}\n")
    stream.flush()


def oserror_words(err: OSError) -> str:
    """An :class:`OSError` as one line: the file, then what is wrong with it."""
    if err.strerror:
        where = f"{os.fsdecode(err.filename)}: " if err.filename else ""
        return where + err.strerror
    return str(err)


_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG)


def output_failed(err: OSError) -> RunFailed | None:
    """The failure to say for an error writing the output (a full disk, ``/dev/full``),
    or None for another error (a bug, or the caller's to say)."""
    if err.errno in _OUTPUT_ERRNOS and not err.filename:
        return RunFailed(oserror_words(err))
    return None


def guarded(run: Callable[[], object]) -> int:
    """Call ``run``; the project's own failures (:class:`Failure`) become one line on
    stderr and their exit status (2 bad input, 3 could not run), Ctrl-C 130.  Anything
    else is a bug and goes up with its traceback.  0 when ``run`` returns."""
    try:
        run()
        return EXIT_OK
    except Failure as err:
        say(str(err))
        return err.exit_status
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
