"""The options of ``list`` and ``tree`` as data, the one parser of their command lines,
and their ``--help``, all made from one table.

:data:`OPTIONS` is the one description of findmnt's options (and this project's own).
:func:`parse` reads a command line with it and returns the keyword arguments of
:func:`mountcursor.findmnt.command.run`, or :data:`HELP`/:data:`VERSION`; a bad line
raises :class:`UsageError`.  :func:`help_text` is ``--help``.  No click: ``mountcursor
list`` starts without it, and the click group hands ``list``/``tree`` lines here unparsed
(:mod:`mountcursor.cli.live_cmds`).

The conventions are click's (and getopt's, as findmnt takes them): ``--`` ends the
options; an argument that starts with ``-`` and is longer than one character is an
option; ``--name=value`` or ``--name value``; ``-abc`` is ``-a -b -c`` until a letter
that takes a value, which takes the rest of the argument or else the next argument
(whatever it looks like); long options are not abbreviated; options and arguments may
be interleaved; a value option given twice keeps the last value, a repeatable one keeps
all; ``--help`` and ``--version`` win over a bad value, not over an unknown option.  A
test holds the parser to click's reading of every generated line.

This module imports nothing: it runs before everything else on the ``list`` path.
"""

from __future__ import annotations

__all__ = ["Opt", "OPTIONS", "HELP", "VERSION", "UsageError", "option", "defaults", "parse", "help_rows", "help_text",
           "usage"]

FLAG, VALUE, MULTI, INT_MULTI, CHOICE, INT_MIN1 = "flag", "value", "multi", "int-multi", "choice", "int>=1"


class Opt:
    """One option: the keyword it fills (``dest``), its names (``-l``, ``--list``), its
    kind (a flag; a value; a repeatable value; a repeatable integer; one of
    ``choices``; an integer of at least 1), its default, metavar and help."""

    __slots__ = ("dest", "names", "kind", "default", "metavar", "help", "choices")

    def __init__(self, dest: str, names: tuple[str, ...], kind: str, help: str, *, metavar: str | None = None,
                 default: object = None, choices: tuple[str, ...] = ()) -> None:
        self.dest = dest
        self.names = names
        self.kind = kind
        self.help = help
        self.metavar = metavar
        self.choices = choices
        if kind == FLAG:
            default = False
        elif kind in (MULTI, INT_MULTI):
            default = ()
        self.default = default


OPTIONS: tuple[Opt, ...] = (
    Opt("as_list", ("-l", "--list"), FLAG, "A list (what the list command prints)."),
    Opt("output", ("-o", "--output"), VALUE, "Columns, comma-separated ('+COLS' adds to the default).",
        metavar="COLS"),
    Opt("output_all", ("--output-all",), FLAG, "All columns."),
    Opt("types", ("-t", "--types"), VALUE, "Only these fs types ('nofoo,bar' excludes).", metavar="LIST"),
    Opt("opts", ("-O", "--options"), VALUE, "Only mounts with these options.", metavar="LIST"),
    Opt("source", ("-S", "--source"), VALUE,
        "Only mounts of this source: a path, MAJ:MIN, LABEL=, UUID=, PARTUUID=, PARTLABEL=.", metavar="SRC"),
    Opt("target", ("-T", "--target"), VALUE, "The mounts at PATH, else the mount holding PATH.", metavar="PATH"),
    Opt("mountpoint", ("-M", "--mountpoint"), VALUE, "Only the mounts at mount point DIR.", metavar="DIR"),
    Opt("ids", ("--id",), INT_MULTI, "Only the mount with id N.", metavar="N"),
    Opt("uniq_ids", ("--uniq-id",), INT_MULTI, "Only the mount with 64-bit unique id N (listmount tables).",
        metavar="N"),
    Opt("first_only", ("-f", "--first-only"), FLAG, "Only the first match."),
    Opt("submounts", ("-R", "--submounts"), FLAG, "Each match with all mounts below it."),
    Opt("shadowed", ("--shadowed",), FLAG, "Only mounts over-mounted by another mount."),
    Opt("uniq", ("-U", "--uniq"), FLAG, "One mount per mount point (the top one)."),
    Opt("real", ("--real",), FLAG, "Only real filesystems (not pseudo)."),
    Opt("pseudo", ("--pseudo",), FLAG, "Only pseudo filesystems."),
    Opt("df", ("-D", "--df"), FLAG, "Like df(1): sizes from statvfs, no pseudo filesystems."),
    Opt("all_", ("-A", "--all"), FLAG, "No built-in filter (-D keeps pseudo filesystems)."),
    Opt("in_bytes", ("-b", "--bytes"), FLAG, "Sizes in bytes."),
    Opt("invert", ("-i", "--invert"), FLAG, "Invert the sense of matching."),
    Opt("direction", ("-d", "--direction"), CHOICE, "Search the table forward or backward.",
        default="forward", choices=("forward", "backward")),
    Opt("evaluate", ("-e", "--evaluate"), FLAG, "Show LABEL=/UUID=/... sources as devices."),
    Opt("canonicalize", ("-c", "--canonicalize"), FLAG, "Show source paths canonical."),
    Opt("nocanonicalize", ("-C", "--nocanonicalize"), FLAG, "Compare paths as written (no symlinks resolved)."),
    Opt("vfs_all", ("--vfs-all",), FLAG, "VFS-OPTIONS with every flag spelled out, defaults included."),
    Opt("force_tree", ("--tree",), FLAG, "A tree whenever the table is one (findmnt --tree)."),
    Opt("nofsroot", ("-v", "--nofsroot"), FLAG, "No [/dir] after the source of a bind mount."),
    Opt("tab_files", ("-F", "--tab-file"), MULTI,
        "Read a saved table: mountinfo, /proc/<pid>/mounts or fstab format (may repeat: a list).", metavar="FILE"),
    Opt("fstab", ("-s", "--fstab"), FLAG, "Read /etc/fstab (or -F FILE) as a list."),
    Opt("kernel", ("-k", "--kernel"), FLAG, "Read the kernel's table (the default)."),
    Opt("mtab", ("-m", "--mtab"), FLAG,
        "The kernel's table with libmount's userspace options from utab ($LIBMOUNT_UTAB), a list."),
    Opt("pid", ("-N", "--task", "--pid"), VALUE, "The mount table of process PID.", metavar="PID"),
    Opt("as_json", ("-J", "--json"), FLAG, "JSON in findmnt's shape."),
    Opt("raw", ("-r", "--raw"), FLAG, "Space-separated, blanks and \\ escaped as \\xHH."),
    Opt("pairs", ("-P", "--pairs"), FLAG, 'NAME="value" pairs.'),
    Opt("shell", ("-y", "--shell"), FLAG, "Column names usable as shell variables (USE% -> USE_PCT)."),
    Opt("noheadings", ("-n", "--noheadings"), FLAG, "No header line."),
    Opt("notruncate", ("-u", "--notruncate"), FLAG, "Never truncate cells to the terminal width."),
    Opt("ascii", ("-a", "--ascii"), FLAG, "ASCII tree lines."),
    Opt("method", ("--method",), CHOICE, "How to read the live table.", default="auto",
        choices=("auto", "mountinfo", "listmount")),
    Opt("consistency", ("--consistency",), CHOICE, "Retry until a pass saw no change?", default="strict",
        choices=("strict", "best-effort", "single-pass")),
    Opt("strict_parse", ("--strict",), FLAG, "Reject lines the kernel would not print."),
    Opt("poll_timeout", ("-w", "--timeout"), VALUE,
        "A --poll timeout in milliseconds: checked, then ignored, as findmnt does without --poll "
        "(mountcursor watch -w waits).", metavar="MS"),
    Opt("verify", ("-x", "--verify"), FLAG,
        "Check the table (default: fstab) as findmnt --verify does: targets, sources, tags, fs types, "
        "options, order; exit 1 on errors."),
    Opt("verbose", ("--verbose",), FLAG, "With --verify: say what was found right too."),
    Opt("max_lines", ("--max-lines",), INT_MIN1,
        "Stop reading an -F file after this many lines.",
        metavar="N"),
)
"""findmnt's options (util-linux 2.38.1 names and letters) and this project's own
(``--method``, ``--consistency``, ``--strict``, ``--max-lines``, ``--id``, ``--uniq-id``)."""

_BY_NAME: dict[str, Opt] = {name: opt for opt in OPTIONS for name in opt.names}
_BY_DEST: dict[str, Opt] = {opt.dest: opt for opt in OPTIONS}
_ASKED = {"-h": "help", "--help": "help", "-V": "version", "--version": "version"}
HELP, VERSION = "help", "version"
"""What :func:`parse` returns for a line that asks for ``--help`` or ``--version``."""


class UsageError(ValueError):
    """A command line :func:`parse` cannot take: the words say why (click's words)."""


def option(dest: str) -> Opt:
    """The option that fills keyword ``dest`` (for another command that takes it too:
    ``mountcursor wait`` takes its names, metavar and help from here)."""
    return _BY_DEST[dest]


def defaults() -> dict[str, object]:
    """The keyword arguments of a command line with no options: ``positional`` and
    every option's default."""
    params: dict[str, object] = {opt.dest: opt.default for opt in OPTIONS}
    params["positional"] = ()
    return params


def _convert(opt: Opt, name: str, value: str) -> object:
    """The value as the option's type reads it (Python's ``int()`` for numbers: blanks,
    a sign and underscores included), else :class:`UsageError`."""
    if opt.kind in (VALUE, MULTI):
        return value
    if opt.kind == CHOICE:
        if value not in opt.choices:
            choices = ", ".join(f"'{c}'" for c in opt.choices)
            raise UsageError(f"Invalid value for '{name}': '{value}' is not one of {choices}.")
        return value
    try:
        number = int(value)
    except ValueError:
        raise UsageError(f"Invalid value for '{name}': '{value}' is not a valid integer.") from None
    if opt.kind == INT_MIN1 and number < 1:
        raise UsageError(f"Invalid value for '{name}': {number} is not in the range x>=1.")
    return number


def parse(args: list[str]) -> dict[str, object] | str:
    """The keyword arguments of ``list``/``tree`` for ``args`` (the words after the
    command's name), or :data:`HELP`/:data:`VERSION`; :class:`UsageError` for a line
    that cannot be taken."""
    params = defaults()
    last: dict[str, tuple[str, str]] = {}  # the last (name, value) of each single-valued option given
    multi: list[tuple[Opt, str, str]] = []  # each value of a repeatable option, in order
    asked: list[str] = []
    positional: list[str] = []
    rest = list(reversed(args))  # popped from the end: the next word is rest[-1]

    def take(opt: Opt, name: str, value: str | None) -> None:
        if opt.kind == FLAG:
            params[opt.dest] = True
        elif value is None:
            if not rest:
                raise UsageError(f"Option '{name}' requires an argument.")
            value = rest.pop()
        if opt.kind in (MULTI, INT_MULTI):
            multi.append((opt, name, value))  # type: ignore[arg-type]
        elif opt.kind != FLAG:
            last[opt.dest] = (name, value)  # type: ignore[assignment]

    while rest:
        arg = rest.pop()
        if arg == "--":
            positional.extend(reversed(rest))
            break
        if arg[:1] != "-" or len(arg) == 1:
            positional.append(arg)
        elif arg[:2] == "--":
            name, eq, value = arg.partition("=")
            if name in _ASKED:
                if eq:
                    raise UsageError(f"Option '{name}' does not take a value.")
                asked.append(_ASKED[name])
                continue
            opt = _BY_NAME.get(name)
            if opt is None:
                raise UsageError(f"No such option: {name}")
            if opt.kind == FLAG and eq:
                raise UsageError(f"Option '{name}' does not take a value.")
            take(opt, name, value if eq else None)
        else:
            for i in range(1, len(arg)):
                name = "-" + arg[i]
                if name in _ASKED:
                    asked.append(_ASKED[name])
                    continue
                opt = _BY_NAME.get(name)
                if opt is None:
                    raise UsageError(f"No such option: {name}")
                if opt.kind == FLAG:
                    take(opt, name, None)
                    continue
                take(opt, name, arg[i + 1:] if i + 1 < len(arg) else None)
                break
    if asked:
        return asked[0]  # eager, as click's: before any value is converted
    for opt, name, value in multi:
        params[opt.dest] = (*params[opt.dest], _convert(opt, name, value))  # type: ignore[misc]
    for dest, (name, value) in last.items():
        params[dest] = _convert(_BY_DEST[dest], name, value)
    params["positional"] = tuple(positional)
    return params


# ---- --help -----------------------------------------------------------------------------------

SUMMARY = {
    "list": ("The mount table as a list, in kernel order (findmnt -l).",
             "SOURCE (a device, MAJ:MIN, LABEL=/UUID=/PARTUUID=/PARTLABEL= tag or, if no source matches, a "
             "mount point) and TARGET select like findmnt's arguments."),
    "tree": ("The mount table as findmnt's tree (findmnt): children by id, unreachable mounts at the top.",
             "A source, target, --first-only or a non-tree table (fstab, /proc/mounts) gives a list, as findmnt "
             "does."),
}
"""Each command's help: its first paragraph (also what ``mountcursor --help`` lists) and the rest."""

EXIT_STATUS = ("Exit status: 0 when something was printed (or a whole tree); 1 when nothing matched or for a "
               "bad -o, as findmnt; 2 for a usage error or a bad input file; 3 when no consistent snapshot "
               "could be taken or the output could not be written.")


def usage(command: str) -> str:
    """The usage line and where to look, as a usage error prints them."""
    return (f"Usage: mountcursor {command} [OPTIONS] [SOURCE] [TARGET]\n"
            f"Try 'mountcursor {command} -h' for help.\n")


def help_rows(columns: tuple[str, ...] = ()) -> list[tuple[Opt | None, str, str]]:
    """Each option as ``--help`` lists it: the option (None for ``-V`` and ``-h``), its
    names with its value (``-o, --output COLS``) and its help (``[default: ...]`` after a
    choice's; ``columns``: the names ``-o`` knows, named after its help).  The man pages
    are made from these rows too (:mod:`mountcursor.cli.manpage`)."""
    rows: list[tuple[Opt | None, str, str]] = []
    for opt in OPTIONS:
        names = ", ".join(opt.names)
        if opt.kind != FLAG:
            names += " " + (opt.metavar or ("[" + "|".join(opt.choices) + "]" if opt.choices else "TEXT"))
        text = opt.help
        if opt.dest == "output" and columns:
            text += " Known: " + ", ".join(columns) + "."
        if opt.kind == CHOICE:
            text += f"  [default: {opt.default}]"
        rows.append((opt, names, text))
    rows += [(None, "-V, --version", "Show the version and exit."), (None, "-h, --help", "Show this message and exit.")]
    return rows


def help_text(command: str, columns: tuple[str, ...] = (), width: int = 79) -> str:
    """``mountcursor list --help`` (or ``tree``), made from :data:`OPTIONS`;
    ``columns``: the names ``-o`` knows, listed under it."""
    import textwrap

    def para(text: str, indent: str = "  ") -> list[str]:
        return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent)

    first, rest = SUMMARY[command]
    out = [f"Usage: mountcursor {command} [OPTIONS] [SOURCE] [TARGET]", "", *para(first), "", *para(rest), "",
           "Options:"]
    rows = [(term, text) for _, term, text in help_rows(columns)]
    left = min(max(len(names) for names, _ in rows) + 4, 32)
    for names, text in rows:
        wrapped = textwrap.wrap(text, width - left) or [""]
        if len(names) + 4 > left:
            out.append(f"  {names}")
            out += [" " * left + line for line in wrapped]
        else:
            out.append(f"  {names.ljust(left - 2)}{wrapped[0]}")
            out += [" " * left + line for line in wrapped[1:]]
    out += ["", *para(EXIT_STATUS, "")]
    return "\n".join(out) + "\n"
