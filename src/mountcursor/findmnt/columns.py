"""The one column table of the findmnt engine: findmnt's ``infos[]``.

Every fact about a column lives here and nowhere else: its name, libsmartcols width
hint (below 1: a share of the terminal's width) and flags, how ``-J`` writes its cells,
its help line, whether ``--output-all`` lists it, whether it is one of ``--poll``'s
event columns, and what it is computed from (one mountinfo line's fields, or more).
The cells themselves are computed column by column by :mod:`mountcursor.findmnt.cells`.

Follows util-linux 2.38.1 ``misc-utils/findmnt.c`` (``infos[]``, ``column_name_to_id``,
``string_add_to_idarray``) and ``libsmartcols/src/libsmartcols.h`` (the flags): read for
behaviour, written anew.  ``UNIQ-ID`` is this project's own (the 64-bit id of Linux
6.8+'s listmount).

This module imports nothing: the plainest ``list`` reads it before anything else.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Container

__all__ = ["TRUNC", "TREE", "RIGHT", "NOEXTREMES", "STRICTWIDTH", "WRAP", "Info", "INFOS", "BY_NAME",
           "COLUMN_NAMES", "POLL_NAMES", "OUTPUT_ALL", "DEFAULT_COLUMNS", "DF_COLUMNS", "POLL_COLUMNS",
           "LINE_COLUMNS", "parse_columns", "shell_name", "json_kind"]

# libsmartcols column flags (SCOLS_FL_*)
TRUNC = 1
TREE = 2
RIGHT = 4
NOEXTREMES = 8
STRICTWIDTH = 16
WRAP = 32

# how -J writes a column's cells
STRING, NUMBER, SIZE, ARRAY = "string", "number", "size", "array"


class Info:
    """One column: ``name``, width hint ``whint``, libsmartcols ``flags``, ``json``
    (``string``; ``number``; ``size``: a number with ``-b``, else a string; ``array``:
    one string per line of the cell), ``help``, and three facts about it: ``poll``
    (an event column of ``--poll``/``watch`` only), ``in_all`` (listed by
    ``--output-all``), ``line`` (computed from one mountinfo line's fields alone)."""

    __slots__ = ("name", "whint", "flags", "json", "help", "poll", "in_all", "line")

    def __init__(self, name: str, whint: float, flags: int, json: str, help: str, *, poll: bool = False,
                 in_all: bool = True, line: bool = False) -> None:
        self.name = name
        self.whint = whint
        self.flags = flags
        self.json = json
        self.help = help
        self.poll = poll
        self.in_all = in_all and not poll
        self.line = line

    def __repr__(self) -> str:
        return f"Info({self.name!r})"


INFOS: tuple[Info, ...] = (
    Info("ACTION", 10, STRICTWIDTH, STRING, "action detected by --poll", poll=True),
    Info("AVAIL", 5, RIGHT, SIZE, "filesystem size available"),
    Info("FREQ", 1, RIGHT, NUMBER, "dump(8) period in days [fstab only]"),
    Info("FSROOT", 0.25, NOEXTREMES, STRING, "filesystem root", line=True),
    Info("FSTYPE", 0.10, TRUNC, STRING, "filesystem type", line=True),
    Info("FS-OPTIONS", 0.10, TRUNC, STRING, "FS specific mount options", line=True),
    Info("ID", 2, RIGHT, NUMBER, "mount ID", line=True),
    Info("LABEL", 0.10, 0, STRING, "filesystem label"),
    Info("MAJ:MIN", 6, 0, STRING, "major:minor device number", line=True),
    Info("OLD-OPTIONS", 0.10, TRUNC, STRING, "old mount options saved by --poll", poll=True),
    Info("OLD-TARGET", 0.30, 0, STRING, "old mountpoint saved by --poll", poll=True),
    Info("OPTIONS", 0.10, TRUNC, STRING, "all mount options", line=True),
    Info("OPT-FIELDS", 0.10, TRUNC, STRING, "optional mount fields", line=True),
    Info("PARENT", 2, RIGHT, NUMBER, "mount parent ID", line=True),
    Info("PARTLABEL", 0.10, 0, STRING, "partition label"),
    Info("PARTUUID", 36, 0, STRING, "partition UUID"),
    Info("PASSNO", 1, RIGHT, NUMBER, "pass number on parallel fsck(8) [fstab only]"),
    Info("PROPAGATION", 0.10, 0, STRING, "VFS propagation flags", line=True),
    Info("SIZE", 5, RIGHT, SIZE, "filesystem size"),
    Info("SOURCE", 0.25, NOEXTREMES, STRING, "source device", line=True),
    Info("SOURCES", 0.25, 0, ARRAY, "all possible source devices"),
    Info("TARGET", 0.30, TREE | NOEXTREMES, STRING, "mountpoint", line=True),
    Info("TID", 4, RIGHT, NUMBER, "task ID", line=True),
    Info("USED", 5, RIGHT, SIZE, "filesystem size used"),
    Info("USE%", 3, RIGHT, STRING, "filesystem use percentage"),
    Info("UUID", 36, 0, STRING, "filesystem UUID"),
    Info("VFS-OPTIONS", 0.20, TRUNC, STRING, "VFS specific mount options", line=True),
    Info("UNIQ-ID", 10, RIGHT, NUMBER, "64-bit unique mount ID (listmount, Linux 6.8+)", in_all=False),
)
"""findmnt 2.38.1's columns in its order (alphabetical), then this project's own."""

BY_NAME: dict[str, Info] = {info.name: info for info in INFOS}
COLUMN_NAMES: tuple[str, ...] = tuple(info.name for info in INFOS if not info.poll)
"""The columns of ``list`` and ``tree``."""
POLL_NAMES: tuple[str, ...] = tuple(info.name for info in INFOS if info.poll)
"""The event columns ``watch`` adds to those."""
OUTPUT_ALL: tuple[str, ...] = tuple(info.name for info in INFOS if info.in_all)
LINE_COLUMNS: frozenset[str] = frozenset(info.name for info in INFOS if info.line)
"""The columns computed from one mountinfo line's fields alone."""

DEFAULT_COLUMNS = ("TARGET", "SOURCE", "FSTYPE", "OPTIONS")
DF_COLUMNS = ("SOURCE", "FSTYPE", "SIZE", "USED", "AVAIL", "USE%", "TARGET")
POLL_COLUMNS = ("ACTION", "TARGET", "SOURCE", "FSTYPE", "OPTIONS")
"""findmnt's defaults: a table, ``--df``, ``--poll``."""


def parse_columns(spec: str | None, default: tuple[str, ...] = DEFAULT_COLUMNS,
                  known: Container[str] = COLUMN_NAMES) -> list[str]:
    """``-o`` as findmnt reads it: ``"TARGET,ID"`` replaces the default list, ``"+ID"``
    extends it; names are case-insensitive and may repeat.  An empty list or item
    (``""``, ``"+"``, ``",,,"``, ``"TARGET,"``) or a name not in ``known`` raises
    ValueError with findmnt's words: for a name it does not know, the list from that
    name on (``column_name_to_id()`` prints the name with ``%s``, which runs on to the
    end of the list: ``-o TARGET,NOPE,SOURCE`` says ``unknown column: NOPE,SOURCE``)."""
    if spec is None:
        return list(default)
    body = spec[1:] if spec.startswith("+") else spec
    if not body:
        raise ValueError(f"-o {spec!r}: no column named")
    names = body.split(",")
    if body.endswith(","):   # util-linux string_to_idarray reads "A," as one name "A,"
        names = names[:-2] + [names[-2] + ","]
    out = []
    for i, name in enumerate(names):
        if not name:
            raise ValueError(f"-o {spec!r}: an empty column name")
        if name.upper() not in known:
            raise ValueError(f"unknown column: {','.join(names[i:])}")
        out.append(name.upper())
    return list(default) + out if spec.startswith("+") else out


def shell_name(name: str) -> str:
    """``-y``/``--shell``: the header as a shell variable name (libsmartcols
    ``scols_shellvar_name``): ``%`` becomes ``_PCT``, every other character that is
    not a letter, digit or ``_`` becomes ``_``, and a leading digit gets a ``_``."""
    out = []
    for ch in name:
        if ch == "%":
            out.append("_PCT")
        elif ch.isascii() and (ch.isalnum() or ch == "_"):
            out.append(ch)
        else:
            out.append("_")
    text = "".join(out)
    return "_" + text if text[:1].isdigit() else text


def json_kind(name: str, in_bytes: bool) -> str:
    """How ``-J`` writes the column: ``string``, ``number`` or ``array`` (sizes are
    numbers with ``-b``)."""
    kind = BY_NAME[name].json
    if kind == SIZE:
        return NUMBER if in_bytes else STRING
    return kind
