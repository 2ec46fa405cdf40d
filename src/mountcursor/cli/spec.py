"""The command line as data, for the man pages and the shell completions: every
command's summary, description, usage, options (their names, value, help and what a
value is), arguments, ``-o`` columns and exit status, read from the definitions
themselves and nowhere else.

``list`` and ``tree`` come from the findmnt engine's one options table
(:func:`mountcursor.findmnt.options.help_rows`, the rows of their ``--help``) and its
column table (:data:`mountcursor.findmnt.columns.INFOS`); every other command from its
click definition (the records of its ``--help``).  :func:`commands` loads every
command's module, the verifier's included: it runs where the man pages and completions
are made (``make share``), not when a command runs.

What an option's value is (a column list, fs types, a directory ...) comes from its
click type where it has one (``Choice``, ``Path``), else from :data:`VALUE_OF`, by the
option's long name, the same for every command that has it.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

import click

from ..findmnt import options as findmnt_options
from ..findmnt.columns import INFOS
from ..status import EXIT_STATUS_HELP

__all__ = ["NONE", "CHOICE", "WORDS", "COLUMNS", "FSTYPES", "MOUNTOPTS", "DIRS", "FILES", "PIDS", "VALUE_OF", "Option",
           "Argument", "Command", "commands", "top", "column_help"]

# what a value is, for completion
NONE, CHOICE, WORDS, COLUMNS, FSTYPES, MOUNTOPTS, DIRS, FILES, PIDS = (
    "none", "choice", "words", "columns", "fstypes", "mountopts", "dirs", "files", "pids")
"""What a value is: nothing to offer; one of the choices; a comma list of the choices
(``words``); a comma list of columns, of fs types, of the mount options in the table; a
directory, a file, a process id."""

VALUE_OF: dict[str, str] = {
    "--output": COLUMNS,     # comma-separated column names, '+' adds to the default
    "--types": FSTYPES,      # comma-separated fs types, 'no' excludes
    "--options": MOUNTOPTS,  # comma-separated mount options (those of the table, when completing)
    "--target": DIRS,
    "--mountpoint": DIRS,
    "--source": FILES,       # list/tree: a device (or a tag); watch's is a choice, which wins
    "--tab-file": FILES,
    "--pid": PIDS,
    "--task": PIDS,
    "PATH": DIRS,            # wait's argument: a mount point
}
"""What the value of an option (by its long name) or an argument (by its name in the
usage) is, where its type does not say."""


def _words_of() -> dict[str, tuple[str, ...]]:
    """Options whose value is a comma list of fixed words (not a click type): the words."""
    from .watch_cmd import ACTIONS

    return {"--poll": ACTIONS}


@dataclass(frozen=True)
class Option:
    """One option: ``names`` (``-o``, ``--output``), ``term`` (the names and value as
    ``--help`` prints them), ``help`` (as ``--help`` prints it), whether it takes a value
    (``value``), may be given without one (``optional``: ``-p``, ``--poll=LIST``), what
    the value is (``kind``), its ``choices``, and whether it may be given again for
    more (``many``)."""

    names: tuple[str, ...]
    term: str
    help: str
    value: bool
    kind: str = NONE
    choices: tuple[str, ...] = ()
    optional: bool = False
    many: bool = False


@dataclass(frozen=True)
class Argument:
    """A positional argument: its name in the usage, what it is, whether it may repeat,
    and its choices."""

    name: str
    kind: str
    many: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """One command (``name`` ``""``: ``mountcursor`` itself): the first paragraph of its
    help (``summary``), the other paragraphs, its usage after the name, options,
    arguments, the columns its ``-o`` knows (name and help) and what it says of its exit
    status beyond :data:`mountcursor.status.EXIT_STATUSES`."""

    name: str
    summary: str
    paragraphs: tuple[str, ...]
    usage: str
    options: tuple[Option, ...]
    arguments: tuple[Argument, ...] = ()
    columns: tuple[tuple[str, str], ...] = ()
    exit_status: str = ""

    @property
    def prog(self) -> str:
        """``mountcursor list``; ``mountcursor`` for the top."""
        return f"mountcursor {self.name}".rstrip()


def column_help(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The columns called ``names``, with their help, in ``infos[]`` order."""
    return tuple((info.name, info.help) for info in INFOS if info.name in names)


_COLUMNS_OF: dict[str, tuple[str, ...]] = {
    "watch": tuple(info.name for info in INFOS),  # the event columns and those of list
}
"""The columns of a command's ``-o``, where not those of ``list`` (:data:`COLUMN_NAMES`)."""


def _kind(names: tuple[str, ...], choices: tuple[str, ...]) -> str:
    if choices:
        return CHOICE
    for name in names:
        if name in VALUE_OF:
            return VALUE_OF[name]
    return NONE


def _findmnt(name: str) -> Command:
    """``list`` or ``tree`` from the findmnt engine's options table."""
    from ..findmnt.columns import COLUMN_NAMES

    options = []
    for opt, term, text in findmnt_options.help_rows():
        if opt is None:
            options.append(Option(tuple(term.split(", ")), term, text, False))
            continue
        value = opt.kind != findmnt_options.FLAG
        many = opt.kind in (findmnt_options.MULTI, findmnt_options.INT_MULTI)
        options.append(Option(opt.names, term, text, value, _kind(opt.names, opt.choices) if value else NONE,
                              opt.choices, many=many))
    first, rest = findmnt_options.SUMMARY[name]
    usage = findmnt_options.usage(name).split("\n")[0].split(f"mountcursor {name} ", 1)[1]
    return Command(name, first, (rest,), usage, tuple(options),
                   (Argument("SOURCE", FILES), Argument("TARGET", DIRS)),
                   column_help(COLUMN_NAMES), findmnt_options.EXIT_STATUS)


def _paragraphs(text: str) -> list[str]:
    """click's help text as paragraphs, each on one line."""
    return [" ".join(p.split()) for p in inspect.cleandoc(text).split("\n\n") if p.strip()]


def _from_click(name: str, cmd: click.Command, parent: click.Context) -> Command:
    ctx = click.Context(cmd, info_name=name, parent=parent, **cmd.context_settings)
    options: list[Option] = []
    arguments: list[Argument] = []
    for param in cmd.get_params(ctx):
        choices = tuple(str(c) for c in param.type.choices) if isinstance(param.type, click.Choice) else ()
        names = (*param.opts, *param.secondary_opts)
        if isinstance(param, click.Argument):
            kind = CHOICE if choices else FILES if isinstance(param.type, click.Path) else VALUE_OF.get(
                param.human_readable_name, NONE)
            arguments.append(Argument(param.human_readable_name, kind, param.nargs < 0, choices))
            continue
        if not isinstance(param, click.Option) or param.hidden:
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        value = not (param.is_flag or param.count)
        if not value:
            kind = NONE
        elif isinstance(param.type, click.Path):
            kind = FILES if param.type.file_okay else DIRS
        else:
            kind = _kind(tuple(names), choices)
            words = [w for n in names for w in _words_of().get(n, ())]
            if words:
                kind, choices = WORDS, tuple(words)
        options.append(Option(tuple(names), record[0], record[1], value, kind, choices,
                              bool(getattr(param, "_flag_needs_value", False)), param.multiple))
    paragraphs = _paragraphs(cmd.help or "")
    epilog = cmd.epilog or ""
    own = epilog[len(EXIT_STATUS_HELP):].strip() if epilog.startswith(EXIT_STATUS_HELP) else epilog.strip()
    columns = column_help(_COLUMNS_OF[name]) if name in _COLUMNS_OF else ()
    if any(o.kind == COLUMNS for o in options) and not columns:
        from ..findmnt.columns import COLUMN_NAMES

        columns = column_help(COLUMN_NAMES)
    return Command(name, paragraphs[0] if paragraphs else "", tuple(paragraphs[1:]),
                   " ".join(cmd.collect_usage_pieces(ctx)), tuple(options), tuple(arguments), columns, own)


def _group() -> tuple[click.Group, click.Context]:
    from .app import main

    return main, click.Context(main, info_name="mountcursor", **main.context_settings)


def commands() -> list[Command]:
    """Every command of the ``mountcursor`` group, by name (each module loaded)."""
    from .app import COMMANDS

    group, ctx = _group()
    out = []
    for name in sorted(COMMANDS):
        if name in ("list", "tree"):
            out.append(_findmnt(name))
            continue
        importlib.import_module(f"mountcursor.cli.{COMMANDS[name][0]}")
        out.append(_from_click(name, group.commands[name], ctx))
    return out


def top() -> Command:
    """``mountcursor`` itself: its options; its commands are :func:`commands`."""
    group, ctx = _group()
    return _from_click("", group, ctx)

