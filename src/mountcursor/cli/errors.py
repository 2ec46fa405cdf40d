"""The click exceptions that end a command with one of the exit statuses of
:mod:`mountcursor.status` (re-exported here): a one-line ``mountcursor: <what>`` on
stderr, never a traceback.  click's own usage errors already exit with 2.
"""

from __future__ import annotations

from typing import IO, Any

import click

from ..status import EXIT_FOUND, EXIT_OK, EXIT_RUNTIME, EXIT_STATUS_HELP, EXIT_USAGE

__all__ = ["EXIT_OK", "EXIT_FOUND", "EXIT_USAGE", "EXIT_RUNTIME", "EXIT_STATUS_HELP", "InputError", "RunError"]


class _OneLine(click.ClickException):
    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"mountcursor: {self.format_message()}", err=True)


class InputError(_OneLine):
    """Bad input from the user (an option value or a file): exit status 2."""

    exit_code = EXIT_USAGE


class RunError(_OneLine):
    """The run could not be done or finished here: exit status 3."""

    exit_code = EXIT_RUNTIME
