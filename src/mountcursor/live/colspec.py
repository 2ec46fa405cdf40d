"""findmnt's column names and its ``-o`` list, with nothing else imported (the lean
``list`` path reads ``-o`` with it; :mod:`mountcursor.live.findmnt` has the columns
themselves, in the same order)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Container

__all__ = ["COLUMN_NAMES", "DEFAULT_COLUMNS", "DF_COLUMNS", "parse_columns"]

COLUMN_NAMES = (
    "TARGET", "SOURCE", "SOURCES", "FSTYPE", "OPTIONS", "VFS-OPTIONS", "FS-OPTIONS", "ID", "PARENT", "UNIQ-ID",
    "MAJ:MIN", "FSROOT", "PROPAGATION", "OPT-FIELDS", "SIZE", "USED", "AVAIL", "USE%", "FREQ", "PASSNO", "TID",
    "LABEL", "UUID", "PARTLABEL", "PARTUUID",
)
"""Every column ``-o`` knows (findmnt 2.38's, without the ``--poll`` ones)."""
DEFAULT_COLUMNS = ("TARGET", "SOURCE", "FSTYPE", "OPTIONS")
DF_COLUMNS = ("SOURCE", "FSTYPE", "SIZE", "USED", "AVAIL", "USE%", "TARGET")


def parse_columns(spec: str | None, default: tuple[str, ...] = DEFAULT_COLUMNS,
                  known: Container[str] = COLUMN_NAMES) -> list[str]:
    """``-o`` as findmnt reads it: ``"TARGET,ID"`` replaces the default list, ``"+ID"``
    extends it; names are case-insensitive and may repeat.  An empty list or item
    (``""``, ``"+"``, ``",,,"``, ``"TARGET,"``) or a name not in ``known`` raises
    ValueError."""
    if spec is None:
        return list(default)
    body = spec[1:] if spec.startswith("+") else spec
    if not body:
        raise ValueError(f"-o {spec!r}: no column named")
    names = body.split(",")
    if body.endswith(","):   # util-linux string_to_idarray reads "A," as one name "A,"
        names = names[:-2] + [names[-2] + ","]
    out = []
    for name in names:
        if not name:
            raise ValueError(f"-o {spec!r}: an empty column name")
        if name.upper() not in known:
            raise ValueError(f"unknown column: {name}")
        out.append(name.upper())
    return list(default) + out if spec.startswith("+") else out
