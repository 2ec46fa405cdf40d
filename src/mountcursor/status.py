"""Exit statuses of every ``mountcursor`` command, and how a one-line error is said.

    0  success: the property holds, the scripts agreed, something was printed
    1  a finding: a property failed, a mismatch was found, or nothing matched (as findmnt)
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

__all__ = ["EXIT_OK", "EXIT_FOUND", "EXIT_USAGE", "EXIT_RUNTIME", "EXIT_INTERRUPTED", "EXIT_STATUS_HELP", "say",
           "guarded"]

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_USAGE = 2
EXIT_RUNTIME = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C

EXIT_STATUS_HELP = (
    "Exit status: 0 success; 1 a property failed, a mismatch was found or nothing matched; "
    "2 usage error (bad option, argument or input file); 3 runtime error (no sandbox or root, "
    "no consistent snapshot, the watched process exited, output or results not written)."
)


def say(text: str) -> None:
    """``mountcursor: <text>`` on stderr, as one line (what ``click.echo(err=True)`` writes)."""
    stream = sys.stderr
    if stream is None:
        return
    stream.write(f"mountcursor: {text}\n")
    stream.flush()


def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        where = f"{os.fsdecode(err.filename)}: " if err.filename else ""
        return where + err.strerror
    return str(err)


_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG)


def guarded(run: Callable[[], object]) -> int:
    """Call ``run``; the expected failures become one line on stderr and an exit status:
    3 when no consistent snapshot could be taken or the output could not be written (a
    full disk, ``/dev/full``), 2 for other system errors and bad values (a bad pid, a
    missing or malformed file), 130 on Ctrl-C.  0 when ``run`` returns."""
    try:
        run()
        return EXIT_OK
    except OSError as err:
        say(_message(err))
        return EXIT_RUNTIME if err.errno in _OUTPUT_ERRNOS and not err.filename else EXIT_USAGE
    except ValueError as err:  # mountcursor.format.FormatError is one
        say(_message(err))
        return EXIT_USAGE
    except RuntimeError as err:
        from .live.reader import InconsistentSnapshotError  # only now: imported on an error alone

        if not isinstance(err, InconsistentSnapshotError):
            raise
        say(_message(err))
        return EXIT_RUNTIME
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
