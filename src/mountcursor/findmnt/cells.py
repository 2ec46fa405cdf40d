"""The cells of the findmnt engine: each column of the selected rows as text.

    texts = column_texts(["TARGET", "ID"], rows, Context(pad_majmin=True))

A column made from one mountinfo line's fields (:data:`~.columns.LINE_COLUMNS`) is
computed from the row's columns directly, once per distinct value where the cell
depends on a value (a type, an option string, a source and root): a 100,000-row table
of one type decodes one type.  The other columns (sizes from ``statvfs``, tags and
devices, ``-e``/``-c`` sources, fstab's FREQ and PASSNO, UNIQ-ID) are computed per row
from the row's :class:`~mountcursor.live.entry.MountEntry` by
:data:`mountcursor.live.findmnt.COLUMNS`; a device's tags (LABEL, UUID, PARTUUID,
PARTLABEL) once per distinct source, as they depend on nothing else.  Cells are ``str`` with undecodable bytes as
surrogate escapes, ``None`` where findmnt prints nothing; numbers in decimal.

Follows findmnt of util-linux 2.38.1 (``get_data``, ``get_tag``, ``get_vfs_attr``).
"""

from __future__ import annotations

import sys

from .columns import LINE_COLUMNS
from .rows import Rows

__all__ = ["Context", "column_texts", "column_bytes", "plain_columns"]

_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


class Context:
    """The options that change how cells read: ``-b`` (sizes in bytes), ``-e`` (tags as
    devices), ``-c`` (canonical source paths), ``-v`` (no ``[root]``), ``--vfs-all``,
    padded ``MAJ:MIN`` (the human table), ``-C`` (no device is probed for its tags)."""

    __slots__ = ("in_bytes", "evaluate", "canonicalize", "nofsroot", "vfs_all", "pad_majmin", "nocache")

    def __init__(self, *, in_bytes: bool = False, evaluate: bool = False, canonicalize: bool = False,
                 nofsroot: bool = False, vfs_all: bool = False, pad_majmin: bool = False,
                 nocache: bool = False) -> None:
        self.in_bytes = in_bytes
        self.evaluate = evaluate
        self.canonicalize = canonicalize
        self.nofsroot = nofsroot
        self.vfs_all = vfs_all
        self.pad_majmin = pad_majmin
        self.nocache = nocache


def _decode_all(raws: list[bytes]) -> list[str]:
    """Each as ``os.fsdecode`` decodes it, in one decoding of them all joined by NUL,
    which no name holds (UTF-8 starts afresh at each NUL, so each piece decodes as it
    would alone, surrogate escapes included)."""
    if _FS_ENCODING == "utf-8" and _FS_ERRORS == "surrogateescape":
        texts = b"\0".join(raws).decode(_FS_ENCODING, _FS_ERRORS).split("\0")
        if len(texts) == len(raws):
            return texts
    return [raw.decode(_FS_ENCODING, _FS_ERRORS) for raw in raws]


def _texts(raws: list[bytes]) -> list[str | None]:
    """The cells of a column of bytes, decoded; nothing for b"".  A column of one value
    is decoded once; a column of few values once per value, its equal cells one string;
    a column of many (as its first cells show) in one call for the whole column."""
    n = len(raws)
    if n and raws[-1] == raws[0] and raws.count(raws[0]) == n:  # one value (compared, not hashed)
        return [_decode_all(raws[:1])[0] or None] * n
    head = raws[:_SAMPLE]
    if len(set(head)) * 4 <= len(head):
        distinct = set(raws)
        if len(distinct) * 4 <= n:
            values = list(distinct)
            decoded: dict[bytes, str | None] = dict(zip(values, _decode_all(values)))
            decoded[b""] = None
            return list(map(decoded.__getitem__, raws))
    texts: list[str | None] = list(_decode_all(raws))
    if b"" in raws:
        texts = [text or None for text in texts]
    return texts


_SAMPLE = 64
"""Cells of a column looked at to guess whether it holds few values."""


def _number(value: int) -> str | None:
    return str(value) if value else None


def _majmin(devno: bytes, pad: bool) -> str | None:
    major, _, minor = devno.partition(b":")
    major_n, minor_n = int(major), int(minor)
    if not (major_n or minor_n):
        return None
    return f"{major_n:3d}:{minor_n:<3d}" if pad else f"{major_n}:{minor_n}"


def _line_column(name: str, rows: Rows, ctx: Context) -> list[str | None]:
    """A column of :data:`~.columns.LINE_COLUMNS` (without ``-e``/``-c``/``--vfs-all``
    where they change it)."""
    if name == "TARGET":  # never empty, mostly distinct
        return list(_decode_all(rows.targets))
    if name in _AS_PRINTED:
        return _texts(_printed(name, rows, ctx))
    if name == "ID":
        return list(map(_number, rows.ids))
    if name == "PARENT":
        return list(map(_number, rows.parents))
    if name == "MAJ:MIN":
        shown_devno = {d: _majmin(d, ctx.pad_majmin) for d in set(rows.devnos)}
        return list(map(shown_devno.__getitem__, rows.devnos))
    if name == "PROPAGATION":
        return list(rows.propagations)
    if name == "OPT-FIELDS":
        return _texts(rows.tags)
    assert name == "TID"
    if len(rows.tids) != len(rows):  # no reader said whose table this is
        return [None] * len(rows)
    return [None if tid is None else str(tid) for tid in rows.tids]


_AS_PRINTED = frozenset({"SOURCE", "FSTYPE", "OPTIONS", "VFS-OPTIONS", "FS-OPTIONS", "FSROOT", "TARGET"})
"""The columns whose cells are the bytes of the line's fields (and ``[]``), as findmnt
prints them when nothing needs an escape; an empty one is no data."""


def _printed(name: str, rows: Rows, ctx: Context) -> list[bytes]:
    """A column of :data:`_AS_PRINTED`, as bytes."""
    if name == "SOURCE":
        if ctx.nofsroot or rows.roots.count(b"/") == len(rows):  # no bind root to show: the sources
            return rows.sources
        shown = {pair: _source(*pair) for pair in set(zip(rows.sources, rows.roots))}
        return list(map(shown.__getitem__, zip(rows.sources, rows.roots)))
    if name == "OPTIONS":
        return rows.options()
    column: list[bytes] = getattr(rows, _FIELD[name])
    return column


_FIELD = {"TARGET": "targets", "FSTYPE": "fstypes", "VFS-OPTIONS": "vfs", "FS-OPTIONS": "fs", "FSROOT": "roots"}


def column_bytes(names: list[str], rows: Rows, ctx: Context) -> list[list[bytes]] | None:
    """The cells of each column of ``names`` as the bytes findmnt prints in a list, a
    pairs or a JSON line, when every column is made of the lines' fields, none of which
    needs an escape in any format (:attr:`Rows.plain`), and no cell is empty (no data:
    nothing, or JSON's ``null``); else None (then :func:`column_texts`).  Such cells are
    printed as they are: nothing is decoded and encoded again."""
    if not rows.plain or not all(name in _AS_PRINTED and not _general(name, ctx) for name in names):
        return None
    out = []
    for name in names:
        column = _printed(name, rows, ctx)
        if not all(column):
            return None
        out.append(column)
    return out


def _source(source: bytes, root: bytes) -> bytes:
    """findmnt's SOURCE of a source and root as given: ``[root]`` after it when the root
    is not ``/`` (a bind mount, a subvolume; an empty source too: findmnt's ``"%s[%s]"``)."""
    if root and root != b"/":
        return source + b"[" + root + b"]"
    return source


_BY_SOURCE = frozenset(("LABEL", "UUID", "PARTUUID", "PARTLABEL"))
"""The columns that depend on a row's source alone (its own tag, or its device's)."""


def _cell(value: str | int | None) -> str | None:
    return value if value is None or isinstance(value, str) else str(value)


def _general(name: str, ctx: Context) -> bool:
    """Whether the column is computed from a row's entry (not from its line's fields alone)."""
    return name not in LINE_COLUMNS or (name == "SOURCE" and (ctx.evaluate or ctx.canonicalize)) \
        or (name == "VFS-OPTIONS" and ctx.vfs_all)


_PLAIN = frozenset({"TARGET", "SOURCE", "FSTYPE", "OPTIONS", "VFS-OPTIONS", "FS-OPTIONS", "FSROOT", "ID", "PARENT",
                    "PROPAGATION", "TID"})
"""The columns made of a line's fields with nothing added but ``,[]`` and digits (not
OPT-FIELDS: a blank between tags; not MAJ:MIN: padded with blanks in a table)."""


def plain_columns(names: list[str], rows: Rows, ctx: Context) -> list[bool]:
    """Of each column of ``names`` that :func:`column_texts` makes of ``rows``, whether
    its cells are known to need no escape in any format (:attr:`Rows.plain`)."""
    if not any(name in _PLAIN for name in names) or not rows.plain:
        return [False] * len(names)
    return [name in _PLAIN and not _general(name, ctx) for name in names]


def column_texts(names: list[str], rows: Rows, ctx: Context) -> list[list[str | None]]:
    """The cells of each column of ``names``, column by column, for every row of ``rows``."""
    out: list[list[str | None]] = []
    for name in names:
        general = _general(name, ctx)
        if not general:
            out.append(_line_column(name, rows, ctx))
            continue
        from ..live.findmnt import COLUMNS, ColumnContext

        column = COLUMNS[name]
        cctx = ColumnContext(in_bytes=ctx.in_bytes, evaluate=ctx.evaluate, canonicalize=ctx.canonicalize,
                             nofsroot=ctx.nofsroot, pad_majmin=ctx.pad_majmin, vfs_all=ctx.vfs_all,
                             nocache=ctx.nocache)
        if name in _BY_SOURCE:  # a device's tag: once per distinct source (a probe each, else)
            first: dict[bytes, int] = {}
            for i, source in enumerate(rows.sources):
                first.setdefault(source, i)
            tags = {source: column.get(rows.entry(i), cctx) for source, i in first.items()}
            out.append([_cell(tags[source]) for source in rows.sources])
            continue
        out.append([_cell(column.get(rows.entry(i), cctx)) for i in range(len(rows))])
    return out
