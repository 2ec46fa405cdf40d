"""Exit statuses of every ``mountcursor`` command, and the one-line errors that carry them.

    0  success: the property holds, the scripts agreed, something was printed
    1  a finding: a property failed, a mismatch was found, or nothing matched (as findmnt)
    2  usage error: a bad option or argument, or an input file that is missing,
       unreadable, malformed or over a limit (nothing was run)
    3  runtime error: the run could not be done here or stopped (no sandbox or root,
       no consistent snapshot, the watched process exited, output or results not written)

click's own usage errors already exit with 2.  Errors are one line on stderr,
``mountcursor: <what>``, never a traceback.
"""

from __future__ import annotations

from typing import IO, Any

import click

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_USAGE = 2
EXIT_RUNTIME = 3

EXIT_STATUS_HELP = (
    "Exit status: 0 success; 1 a property failed, a mismatch was found or nothing matched; "
    "2 usage error (bad option, argument or input file); 3 runtime error (no sandbox or root, "
    "no consistent snapshot, the watched process exited, output or results not written)."
)


class _OneLine(click.ClickException):
    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"mountcursor: {self.format_message()}", err=True)


class InputError(_OneLine):
    """Bad input from the user (an option value or a file): exit status 2."""

    exit_code = EXIT_USAGE


class RunError(_OneLine):
    """The run could not be done or finished here: exit status 3."""

    exit_code = EXIT_RUNTIME
