"""The options of ``list`` and ``tree`` as data, and a parser for them that needs no click.

:data:`OPTIONS` is the one description of findmnt's options: click's options for
``list``/``tree`` are made from it (:func:`mountcursor.cli.live_cmds.findmnt_options`),
and :func:`parse` reads a command line with it the way click's parser does, so that
``mountcursor list`` starts without importing click (about 20 ms of a 40 ms start).

:func:`parse` returns the keyword arguments click would pass to the command, or
``None`` for anything it leaves to click: ``-h``/``--help``, ``-V``/``--version``, an
unknown option, a missing or bad value.  Then click parses the same line again and
prints its help, version or usage error; a test checks that every line :func:`parse`
accepts gives exactly click's arguments.

click 8's rules, followed here: ``--`` ends the options; an argument that starts with
``-`` and is longer than one character is an option; ``--name=value`` or ``--name
value``; ``-abc`` is ``-a -b -c`` until a letter that takes a value, which takes the
rest of the argument or else the next argument (whatever it looks like); long options
are not abbreviated; options and arguments may be interleaved; a value option given
twice keeps the last value, a repeatable one keeps all.

This module imports nothing: it runs before everything else on the ``list`` path.
"""

from __future__ import annotations

__all__ = ["Opt", "OPTIONS", "defaults", "parse"]

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
    Opt("max_lines", ("--max-lines",), INT_MIN1,
        "Stop reading an -F file after this many lines.",
        metavar="N"),
)
"""findmnt's options (util-linux 2.38.1 names and letters) and this project's own
(``--method``, ``--consistency``, ``--strict``, ``--max-lines``, ``--id``, ``--uniq-id``)."""

_BY_NAME: dict[str, Opt] = {name: opt for opt in OPTIONS for name in opt.names}
_BY_DEST: dict[str, Opt] = {opt.dest: opt for opt in OPTIONS}
_HANDED_TO_CLICK = frozenset(("-h", "--help", "-V", "--version"))


def defaults() -> dict[str, object]:
    """The keyword arguments of a command line with no options: ``positional`` and
    every option's default."""
    params: dict[str, object] = {opt.dest: opt.default for opt in OPTIONS}
    params["positional"] = ()
    return params


def _convert(opt: Opt, value: str) -> object:
    """The value as click's type converts it; ValueError where click would refuse it."""
    if opt.kind in (VALUE, MULTI):
        return value
    if opt.kind == CHOICE:
        if value not in opt.choices:
            raise ValueError(value)
        return value
    number = int(value)  # click's INT: Python's int(), spaces, sign and underscores included
    if opt.kind == INT_MIN1 and number < 1:
        raise ValueError(value)
    return number


def _store(params: dict[str, object], raw: dict[str, str], opt: Opt, value: str | None) -> None:
    """Take one occurrence of ``opt``.  As click: each value of a repeatable option is
    converted as it comes; of any other option only the last value is kept (in
    ``raw``), and converted at the end (``--id x --id 3`` fails, ``--method x
    --method auto`` does not)."""
    if opt.kind == FLAG:
        params[opt.dest] = True
    elif opt.kind in (MULTI, INT_MULTI):
        assert value is not None
        params[opt.dest] = (*params[opt.dest], _convert(opt, value))  # type: ignore[misc]
    else:
        assert value is not None
        raw[opt.dest] = value


def parse(args: list[str]) -> dict[str, object] | None:
    """The keyword arguments click would give ``list``/``tree`` for ``args`` (the words
    after the command's name), or ``None`` to leave the line to click."""
    params = defaults()
    raw: dict[str, str] = {}  # the last value of each single-valued option given
    positional: list[str] = []
    rest = list(reversed(args))  # popped from the end: the next word is rest[-1]
    try:
        while rest:
            arg = rest.pop()
            if arg == "--":
                positional.extend(reversed(rest))
                break
            if arg[:1] != "-" or len(arg) == 1:
                positional.append(arg)
            elif arg[:2] == "--":
                name, eq, value = arg.partition("=")
                opt = _BY_NAME.get(name)
                if opt is None or name in _HANDED_TO_CLICK:
                    return None
                if opt.kind == FLAG:
                    if eq:
                        return None  # "does not take a value"
                    _store(params, raw, opt, None)
                else:
                    _store(params, raw, opt, value if eq else rest.pop())
            else:
                for i in range(1, len(arg)):
                    name = "-" + arg[i]
                    opt = _BY_NAME.get(name)
                    if opt is None or name in _HANDED_TO_CLICK:
                        return None
                    if opt.kind == FLAG:
                        _store(params, raw, opt, None)
                        continue
                    _store(params, raw, opt, arg[i + 1:] if i + 1 < len(arg) else rest.pop())
                    break
        for dest, value in raw.items():
            params[dest] = _convert(_BY_DEST[dest], value)
    except (IndexError, ValueError):  # a value missing at the end, or one click's type refuses
        return None
    params["positional"] = tuple(positional)
    return params
