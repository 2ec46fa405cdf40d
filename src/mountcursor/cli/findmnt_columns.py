"""findmnt's columns as libsmartcols lays them out: the column flags, and each column's
width hint and flags (util-linux 2.38.1 ``misc-utils/findmnt.c`` ``infos[]``,
``libsmartcols/src/libsmartcols.h``).  Nothing imported: the lean ``list`` path uses it
as :mod:`mountcursor.cli.smartcols` and :mod:`mountcursor.cli.findmnt_view` do."""

from __future__ import annotations

__all__ = ["TRUNC", "TREE", "RIGHT", "NOEXTREMES", "STRICTWIDTH", "WRAP", "COLUMN_LAYOUT", "JSON_NUMBERS"]

TRUNC = 1
TREE = 2
RIGHT = 4
NOEXTREMES = 8
STRICTWIDTH = 16
WRAP = 32

# name -> (width hint, libsmartcols flags), from findmnt.c infos[]
COLUMN_LAYOUT: dict[str, tuple[float, int]] = {
    "AVAIL": (5, RIGHT), "FREQ": (1, RIGHT), "FSROOT": (0.25, NOEXTREMES), "FSTYPE": (0.10, TRUNC),
    "FS-OPTIONS": (0.10, TRUNC), "ID": (2, RIGHT), "LABEL": (0.10, 0), "MAJ:MIN": (6, 0),
    "OPTIONS": (0.10, TRUNC), "OPT-FIELDS": (0.10, TRUNC), "PARENT": (2, RIGHT), "PARTLABEL": (0.10, 0),
    "PARTUUID": (36, 0), "PASSNO": (1, RIGHT), "PROPAGATION": (0.10, 0), "SIZE": (5, RIGHT),
    "SOURCE": (0.25, NOEXTREMES), "SOURCES": (0.25, 0), "TARGET": (0.30, TREE | NOEXTREMES), "TID": (4, RIGHT), "USED": (5, RIGHT),
    "USE%": (3, RIGHT), "UUID": (36, 0), "VFS-OPTIONS": (0.20, TRUNC), "UNIQ-ID": (10, RIGHT),
    "ACTION": (10, STRICTWIDTH),
}

JSON_NUMBERS = frozenset(("ID", "PARENT", "UNIQ-ID", "FREQ", "PASSNO", "TID"))
"""Columns whose cells ``-J`` writes as JSON numbers (SIZE, USED and AVAIL too with ``-b``)."""
