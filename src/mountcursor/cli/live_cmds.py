"""``mountcursor list`` and ``tree`` on the click group: the live mount table,
findmnt-style (``watch`` is in :mod:`mountcursor.cli.watch_cmd`).

    mountcursor list  [findmnt's options] [SOURCE] [TARGET]      (findmnt -l)
    mountcursor tree  [findmnt's options] [SOURCE] [TARGET]      (findmnt)

click parses nothing of these lines: the findmnt engine has its own parser, help and
usage errors, made from its one options table (:mod:`mountcursor.findmnt.options`), and
:func:`mountcursor.cli.findmnt_cmd.run_line` runs them.  ``mountcursor list ...`` does
not even load click (:func:`mountcursor.cli.main`); these commands are the same lines
reached through the group (``CliRunner``, ``python -m mountcursor``).

Also the helpers the other printing commands (``watch``, ``wait``) share: one-line errors,
writing text with its undecodable bytes as they were, and their options that are list's
(:func:`from_table`).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..findmnt.options import FLAG, SUMMARY, option
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


_F = TypeVar("_F", bound=Callable[..., Any])


def from_table(dest: str, help: str | None = None, *, name: str | None = None) -> Callable[[_F], _F]:
    """The click option of ``list``'s option ``dest``: its names, metavar and help from
    the one options table (:mod:`mountcursor.findmnt.options`), ``help`` where the
    command reads it otherwise, ``name`` the parameter's name where it is not ``dest``."""
    opt = option(dest)
    # is_flag only for a flag: click (8.2+) takes an explicit is_flag=False as a value
    # that may be left out (`wait -t` was `wait`, `watch -w` ran forever)
    flag: dict[str, Any] = {"is_flag": True} if opt.kind == FLAG else {}
    return click.option(*opt.names, name or dest, metavar=opt.metavar, help=help or opt.help, **flag)


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
