"""The click group of the ``mountcursor`` command line (:data:`main`).

The entry point, :func:`mountcursor.cli.main`, hands every command line to this group
except the ``list``/``tree`` lines it can read without click.  Each subcommand lives
in its own module and registers itself on :data:`main`.  The modules are imported
only when their command runs (or its ``--help`` is asked), so ``mountcursor list``
never loads the verifier, rich or greenlet, and ``mountcursor --help`` loads nothing
but click: :data:`COMMANDS` names each command's module and
the first paragraph of its help, which ``--help`` lists (a test checks that they match
the commands themselves).
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from .. import __version__
from ..findmnt.options import SUMMARY
from ..status import EXIT_INTERRUPTED, EXIT_STATUS_HELP

COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", 'Prove or refute "no mount present throughout a read is missed or shown twice". '
                       "Exit 1 when a property fails in any cell checked (or in the --replay trace)."),
    "completion": ("share_cmd", "Print the completion script of SHELL (bash, zsh or fish)."),
    "diff-kernel": ("diff_kernel", "Play random scripts on a private mount namespace and on the model (as the "
                                   "generation `probe` names, or --strategy/--semantics); compare every read(), "
                                   "poll() and lseek() of mountinfo, mounts and mountstats, opened at the "
                                   "namespace's root, from a chroot, and through /proc/<pid>/ of a chrooted "
                                   "process. Exit 1 on a mismatch."),
    "list": ("live_cmds", SUMMARY["list"][0]),
    "man": ("share_cmd", "Show the manual page of mountcursor, or of COMMAND, with man(1)."),
    "probe": ("probe", "Which kernel generation is this?  Short scripts played in a private mount namespace and on "
                       "the model in every configuration.  Exit 1 when a known bug reproduces or nothing matches."),
    "race": ("race", "One reader reads mountinfo to EOF while mounts come and go, for every strategy. Exit 1 "
                     "when a row is BROKEN (mounts missed or shown twice, no EOF, cursors left)."),
    "tree": ("live_cmds", SUMMARY["tree"][0]),
    "vm": ("vm_cmd", "Boot Debian's newest kernel of a generation under QEMU and run a mountcursor command in "
                     "it.  The guest's root is this machine's / (read-only); its status, stdout and stderr come "
                     "back."),
    "wait": ("wait_cmd", "Wait until PATH is a mount point (or, with --unmounted, no longer one), or until a mount "
                         "matching -t/-O/-S/-T/-M appears (or, with --gone, goes)."),
    "watch": ("watch_cmd", "Print mount, umount, remount and move events as they happen (like ``findmnt "
                           "--poll``)."),
}
"""Command name -> (module in this package, first paragraph of its help)."""


VERIFY_EXTRA = ("greenlet", "rich")
"""What ``pip install 'mountcursor[verify]'`` adds: the verifier's and its commands'
dependencies.  ``mountcursor.live`` and ``list``/``tree``/``watch`` need only click."""


class LazyGroup(click.Group):
    """A click group that imports a command's module on first use (click's lazy
    loading pattern: ``list_commands``/``get_command`` overridden)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            try:
                importlib.import_module(f"mountcursor.cli.{COMMANDS[cmd_name][0]}")  # registers on main
            except ModuleNotFoundError as err:
                missing = (err.name or "").split(".")[0]
                if missing not in VERIFY_EXTRA:
                    raise
                from .errors import RunError

                raise RunError(f"{cmd_name} needs the verifier's dependencies ({missing} is not installed): "
                               "pip install 'mountcursor[verify]'") from None
        return self.commands.get(cmd_name)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: object) -> click.Context:
        """The context of a command line, with the width of its help given (as
        :func:`help_width`), which spares click's formatter the import of shutil (and
        of lzma, bz2 and zlib with it: a twentieth of ``--help``)."""
        if parent is None and extra.get("terminal_width") is None and "terminal_width" not in self.context_settings:
            extra["terminal_width"] = help_width(self.context_settings.get("max_content_width"))
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> object:
        """Ctrl-C ends any command with 130 (128 + SIGINT), as a shell reports it; click
        would say "Aborted!" and exit 1, the status of a finding here."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``, as click prints it, without importing a command."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            # a command not loaded yet is shortened from its summary by a stand-in
            cmd = self.commands.get(name) or click.Command(name, help=COMMANDS[name][1])
            rows.append((name, cmd.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def help_width(max_width: int | None = None) -> int:
    """The width click's ``HelpFormatter`` gives itself (click 8: ``max(min(columns,
    max_width) - 2, 50)``, ``FORCED_WIDTH`` first) with ``columns`` as
    ``shutil.get_terminal_size`` finds it: ``$COLUMNS`` when a positive number, else the
    window of the process's stdout, else 80."""
    forced = click.formatting.FORCED_WIDTH
    if forced is not None:
        return forced
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]  # None: caught
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(min(columns, max_width or 80) - 2, 50)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_STATUS_HELP)
# no metadata lookup (fast); the name given, as the fast path in cli/__init__.py says it: click keeps
# the first name it was run under for every later --version of the process otherwise
@click.version_option(__version__, "-V", "--version", package_name="mountcursor", prog_name="mountcursor")
def main() -> None:
    """Read the Linux mount table correctly while it changes."""
    if sys.stdout is None:  # started with stdout closed (``>&-``): say so, not AttributeError
        click.echo("mountcursor: standard output is closed", err=True)
        sys.exit(3)
