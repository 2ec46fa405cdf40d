"""``mountcursor list`` and ``tree`` on the click group: the live mount table,
findmnt-style (``watch`` is in :mod:`mountcursor.cli.watch_cmd`).

    mountcursor list  [findmnt's options] [SOURCE] [TARGET]      (findmnt -l)
    mountcursor tree  [findmnt's options] [SOURCE] [TARGET]      (findmnt)

click parses nothing of these lines: the findmnt engine has its own parser, help and
usage errors, made from its one options table (:mod:`mountcursor.findmnt.options`), and
:func:`mountcursor.cli.findmnt_cmd.run_line` runs them.  ``mountcursor list ...`` does
not even load click (:func:`mountcursor.cli.main`); these commands are the same lines
reached through the group (``CliRunner``, ``python -m mountcursor``).

Also the helpers the other printing command (``watch``) shares: one-line errors and
writing text with its undecodable bytes as they were.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from ..findmnt.options import SUMMARY
from .app import main
from .findmnt_cmd import run_line
from ..status import guarded, output_failed


class _FindmntCommand(click.Command):
    """A command whose words go to the findmnt engine as they are: click parses none
    of them (``--`` and ``--help`` included)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["mountcursor.args"] = list(args)
        return []


def _findmnt_command(name: str) -> None:
    def callback() -> None:
        sys.exit(run_line(name, click.get_current_context().meta["mountcursor.args"]))

    main.add_command(_FindmntCommand(name, callback=callback, help=SUMMARY[name][0], add_help_option=False))


_findmnt_command("list")
_findmnt_command("tree")


def _one_line_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into ``mountcursor: <what>`` and an exit status
    (:func:`mountcursor.status.guarded`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        status = guarded(lambda: fn(*args, **kwargs))
        if status:
            sys.exit(status)

    return wrapper


def _write(text: str) -> None:
    try:
        sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
        sys.stdout.flush()
    except OSError as err:  # a full disk: said and exit 3; anything else is not ours to say
        failed = output_failed(err)
        if failed is None:
            raise
        raise failed from None
