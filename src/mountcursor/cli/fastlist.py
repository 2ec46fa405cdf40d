"""The lean path of ``mountcursor list``: the kernel's table printed column by column
from the split lines, without building a :class:`~mountcursor.live.MountEntry`
per mount and without importing click, dataclasses or the rest of the package.

It takes only what it can print byte for byte as the whole findmnt view
(:mod:`mountcursor.cli.findmnt_view`) would, and declines everything else, which then
goes the general way (tests compare the two on generated tables and live sandboxes):

* the live table of this process or ``-N PID`` through mountinfo, no ``-F``/``-s``/``-m``,
  no selection but ``-t`` (and ``-i`` with it; no ``-O``, source, target, ``--id``,
  ``-U``, ``--real``...), no ``-e``/``-c``/``--vfs-all``/``-y``; ``-r`` or ``-P``
  output (``list`` or ``tree``: neither draws a tree in those formats), or ``-J`` or
  the human table of ``list`` (or ``tree -l``), the human table only when it is not
  written to a terminal (which it would be fitted to);
* the columns TARGET, SOURCE, FSTYPE, OPTIONS, VFS-OPTIONS, FS-OPTIONS, FSROOT, ID,
  PARENT, MAJ:MIN, PROPAGATION, OPT-FIELDS and TID;
* a table with nothing to escape or decode: ASCII, no backslash (so no ``\\040``-style
  escape in any field), no control character but the newlines, and every line as the
  kernel prints it today: ten fields, or eleven with one ``shared:N`` or ``master:N`` tag,
  the last one ended; no ``"`` in ``-J`` and ``-P``, nor a backquote or ``$`` in ``-P``;
* a pass that saw no change, in ``strict`` consistency (else the general path retries).

Every cell is then the field's bytes as they are, so the output is assembled as bytes.
"""

from __future__ import annotations

import os
import sys
import time
from itertools import compress

from ..live.colspec import DEFAULT_COLUMNS, parse_columns
from ..live.fstypes import match_fstype
from ..live.gcpause import gc_paused
from ..live.optstr import merge_options
from ..live.procread import open_mountinfo, read_consistent
from .findmnt_columns import COLUMN_LAYOUT, JSON_NUMBERS, RIGHT

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["lean_list", "LEAN_COLUMNS", "lean_output"]

LEAN_COLUMNS = frozenset(("TARGET", "SOURCE", "FSTYPE", "OPTIONS", "VFS-OPTIONS", "FS-OPTIONS", "FSROOT", "ID",
                          "PARENT", "MAJ:MIN", "PROPAGATION", "OPT-FIELDS", "TID"))
"""The columns this path prints (those made from one line's fields alone)."""

_AS_DEFAULT = {
    "positional": (), "output_all": False, "opts": None, "source": None, "target": None,
    "mountpoint": None, "ids": (), "uniq_ids": (), "first_only": False, "submounts": False, "shadowed": False,
    "uniq": False, "real": False, "pseudo": False, "df": False, "all_": False,
    "direction": "forward", "evaluate": False, "canonicalize": False, "nocanonicalize": False, "vfs_all": False,
    "force_tree": False, "tab_files": (), "fstab": False, "mtab": False, "shell": False,
    "strict_parse": False,
}
"""Options that must have their defaults here (the others do not change these formats'
output of a whole kernel table: -l, -n, -u, -a, -b, -v, -k, -N, --max-lines...; ``-t``
and ``-i`` with it select, which the lean list does and the lean tree does not)."""

_CONTROL = bytes(range(0x20)).replace(b"\n", b"") + b"\x7f"
_MAX_TAG_DIGITS = 20
_QUOTED = {"pairs": (b'"', b"`", b"$"), "json": (b'"',), "human": (), "raw": ()}  # what -P and -J escape
_CHUNK = 1 << 18  # bytes of the table taken at a time (about 4,000 lines)
_MAY_BE_EMPTY = frozenset(("ID", "PARENT", "MAJ:MIN", "OPT-FIELDS", "TID"))  # the others: a field, never empty


def _is_term() -> bool:
    try:
        return os.isatty(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False


def _wanted(tree_mode: bool, params: dict[str, object], types: bool = False) -> tuple[list[str], str] | None:
    """The columns and the format (``raw``, ``pairs``, ``json`` or ``human``) when this
    path may print; else None.  ``types``: the caller selects by ``-t`` (and ``-i``)."""
    for name, default in _AS_DEFAULT.items():
        if params[name] != default:
            return None
    if params["types"] is None and params["invert"] or params["types"] is not None and not types:
        return None
    flags = [fmt for fmt, key in (("json", "as_json"), ("raw", "raw"), ("pairs", "pairs")) if params[key]]
    if len(flags) > 1:  # a usage error, said by the general path
        return None
    fmt = flags[0] if flags else "human"
    if fmt in ("human", "json") and tree_mode and not params["as_list"]:
        return None  # findmnt's tree
    if fmt == "human" and _is_term():
        return None  # fitted to the terminal's width
    pid = params["pid"]
    if params["method"] not in ("auto", "mountinfo"):
        return None
    if pid is not None and (params["kernel"] or not (isinstance(pid, str) and pid.isascii() and pid.isdigit())):
        return None
    try:
        columns = parse_columns(params["output"], DEFAULT_COLUMNS)  # type: ignore[arg-type]
    except ValueError:
        return None
    if not LEAN_COLUMNS.issuperset(columns):
        return None
    return columns, fmt


def _read(pid: str | None, consistency: str) -> bytes | None:
    try:
        fd, _ = open_mountinfo("self" if pid is None else int(pid))
    except OSError:
        return None  # the general path says why (or reads listmount)
    try:
        data, _, _, changed = read_consistent(fd, consistency, 100, None, time.perf_counter(), 65536)
    except OSError:
        return None
    finally:
        os.close(fd)
    if changed and consistency == "strict":
        return None
    return data


def _plain(data: bytes) -> bool:
    """Whether no line needs escaping or decoding, and the lines are ended and not empty."""
    if not data.endswith(b"\n") or data.startswith(b"\n") or b"\n\n" in data or b"\\" in data:
        return False
    return data.isascii() and len(data.translate(None, _CONTROL)) == len(data)


def _rows(lines: list[bytes]) -> tuple[list[list[bytes]], list[bytes | None]] | None:
    """The lines split into their ten fields (a tag taken out), and each line's tag;
    None when a line is not one this path takes.  The numbers are not checked: they
    are the kernel's ``%i %i %u:%u`` (``show_mountinfo()``), and only the lines'
    shape depends on names and options."""
    rows = [line.split(b" ") for line in lines]
    tags: list[bytes | None] = [None] * len(rows)
    if {len(r) for r in rows} != {10}:
        for i, r in enumerate(rows):
            if len(r) == 11 and r[7] == b"-":
                tag = r.pop(6)
                name, _, value = tag.partition(b":")
                if name not in (b"shared", b"master") or not value.isdigit() or len(value) > _MAX_TAG_DIGITS:
                    return None
                tags[i] = tag
            elif len(r) != 10:
                return None
    if {r[6] for r in rows} != {b"-"}:
        return None
    return rows, tags


def _number(token: bytes) -> bytes | None:
    """An id as findmnt shows it: in decimal, and nothing for 0."""
    value = int(token)
    return b"%d" % value if value else None


def _devno(token: bytes, human: bool) -> bytes | None:
    """``major:minor``, padded in the human table as findmnt pads it; nothing for 0:0."""
    major, _, minor = token.partition(b":")
    major_n, minor_n = int(major), int(minor)
    if not (major_n or minor_n):
        return None
    return b"%3d:%-3d" % (major_n, minor_n) if human else b"%d:%d" % (major_n, minor_n)


def _propagation(tag: bytes | None) -> bytes:
    if tag is None:
        return b"private"
    return b"shared" if tag.startswith(b"shared:") else b"private,slave"


def _column(name: str, rows: list[list[bytes]], tags: list[bytes | None], params: dict[str, object],
            merged: dict[tuple[bytes, bytes], bytes], human: bool) -> list[bytes | None] | list[bytes]:
    """One column's cells (bytes, or None for an empty cell), from the fields
    (0 id, 1 parent, 2 major:minor, 3 root, 4 mount point, 5 per-mount options,
    6 "-", 7 fs type, 8 source, 9 super-block options)."""
    if name == "TARGET":
        return [r[4] for r in rows]
    if name == "SOURCE":
        if params["nofsroot"]:
            return [r[8] for r in rows]
        return [r[8] if r[3] == b"/" else b"%s[%s]" % (r[8], r[3]) for r in rows]
    if name == "FSTYPE":
        return [r[7] for r in rows]
    if name == "OPTIONS":  # merged once for each distinct pair of option fields
        pairs = list(zip([r[5] for r in rows], [r[9] for r in rows]))
        for vfs, fs in set(pairs).difference(merged):
            merged[vfs, fs] = merge_options(vfs, fs)
        return list(map(merged.__getitem__, pairs))
    if name == "VFS-OPTIONS":
        return [r[5] for r in rows]
    if name == "FS-OPTIONS":
        return [r[9] for r in rows]
    if name == "FSROOT":
        return [r[3] for r in rows]
    if name == "ID":
        return [_number(r[0]) for r in rows]
    if name == "PARENT":
        return [_number(r[1]) for r in rows]
    if name == "MAJ:MIN":
        return [_devno(r[2], human) for r in rows]
    if name == "PROPAGATION":
        return list(map(_propagation, tags))
    if name == "OPT-FIELDS":
        return tags
    assert name == "TID"
    pid = params["pid"]
    return [None if pid is None else b"%d" % int(str(pid))] * len(rows)


def line_slices(data: bytes) -> Iterator[list[bytes]]:
    """The lines of ``data`` (each ended by a newline, which is cut), a slice of about
    :data:`_CHUNK` bytes at a time."""
    start = 0
    while start < len(data):
        stop = data.find(b"\n", start + _CHUNK) + 1 or len(data)
        lines = data[start:stop].split(b"\n")
        lines.pop()
        start = stop
        yield lines


def lean_output(data: bytes, columns: list[str], fmt: str, params: dict[str, object]) -> bytes | None:
    """What ``list`` prints for ``data`` in ``fmt`` (``raw``, ``pairs``, ``json`` or
    ``human``, not on a terminal), or None when the general path must print it.

    The table is taken a slice of about :data:`_CHUNK` bytes at a time, each slice
    split and made into columns before the next: the objects of one slice stay in the
    processor's cache, where a pass over 100,000 rows would miss it on every row (ten
    times the time per row at 100,000 mounts)."""
    if not _plain(data):
        return None
    pattern, invert = params["types"], bool(params["invert"])
    assert pattern is None or isinstance(pattern, str)
    merged: dict[tuple[bytes, bytes], bytes] = {}
    slices: list[list[list[bytes]]] = []  # each slice's cells, column by column (b"" for an empty cell)
    for lines in line_slices(data):
        split = _rows(lines)
        if split is None:
            return None
        rows, tags = split
        if pattern is not None:  # -t: findmnt's mnt_match_fstype, inverted by -i
            keep = [match_fstype(r[7], pattern) != invert for r in rows]
            rows, tags = list(compress(rows, keep)), list(compress(tags, keep))
            if not rows:
                continue
        cells = [_column(name, rows, tags, params, merged, fmt == "human") for name in columns]
        slices.append([[b"" if c is None else c for c in column] if name in _MAY_BE_EMPTY else column  # type: ignore
                       for name, column in zip(columns, cells)])
    if not slices:
        return None  # nothing matched: the general path says so (exit status 1)
    quoted = _QUOTED[fmt]
    if quoted and any(q in text for text in map(b"".join, (c for cells in slices for c in cells)) for q in quoted):
        return None  # escaped in -P and -J: the general path does it
    if fmt == "human":
        return _human(columns, slices, not params["noheadings"])
    if fmt == "json":
        return _json(columns, slices)
    out = [] if fmt == "pairs" or params["noheadings"] else [" ".join(columns).encode() + b"\n"]
    for texts in slices:
        if fmt == "pairs":
            texts = [[name.encode() + b'="' + t + b'"' for t in column] for name, column in zip(columns, texts)]
        out.append(b"\n".join(map(b" ".join, zip(*texts))) + b"\n")
    return b"".join(out)


def _human(columns: list[str], slices: list[list[list[bytes]]], headings: bool) -> bytes:
    """findmnt's table not on a terminal (libsmartcols, nothing truncated): each column
    as wide as its widest cell or header, at least its absolute width hint; right-aligned
    columns padded on the left; the last column not padded unless right-aligned."""
    last = len(columns) - 1
    widths, rights = [], []
    for i, name in enumerate(columns):
        whint, flags = COLUMN_LAYOUT[name]
        width = max(max(map(len, cells[i]), default=0) for cells in slices)
        width_min = max(len(name), 1)
        if width < width_min:
            width = width_min
        elif whint >= 1 and width < int(whint) and width_min < int(whint):
            width = int(whint)
        widths.append(width)
        rights.append(bool(flags & RIGHT))
    out = []
    if headings:
        heads = [name if i == last and not right else name.rjust(width) if right else name.ljust(width)
                 for i, (name, width, right) in enumerate(zip(columns, widths, rights))]
        out.append(" ".join(heads).encode() + b"\n")
    line = b" ".join(b"%s" if i == last else b"%%%s%ds" % (b"" if right else b"-", width)
                     for i, (width, right) in enumerate(zip(widths, rights)))
    for cells in slices:
        if rights[last]:  # padded on the left, an empty cell left empty
            cells = cells[:last] + [[c.rjust(widths[last]) if c else c for c in cells[last]]]
        out.append(b"\n".join(map(line.__mod__, zip(*cells))) + b"\n")
    return b"".join(out)


def _json(columns: list[str], slices: list[list[list[bytes]]]) -> bytes:
    """``-J``: ``{"filesystems": [...]}`` as util-linux's ``ul_jsonwrt`` writes a list
    (3-space indents, ``},{`` between objects); an empty cell is ``null``, a number
    column's cells are numbers."""
    keys = [b'         "' + name.lower().encode() + b'": ' for name in columns]
    row = b"{\n" + b",\n".join(key + b"%s" for key in keys) + b"\n      }"
    out = []
    for cells in slices:
        values = [[t if t else b"null" for t in column] if name in JSON_NUMBERS
                  else [b'"' + t + b'"' if t else b"null" for t in column] for name, column in zip(columns, cells)]
        out.append(b",".join(map(row.__mod__, zip(*values))))
    return b'{\n   "filesystems": [\n      ' + b",".join(out) + b"\n   ]\n}\n"


def lean_list(tree_mode: bool, params: dict[str, object]) -> bool:
    """Print the table if this path can (see the module's docstring): True when done,
    False (having printed nothing) when the general path must do it.  ``tree_mode``
    does not matter in these formats: findmnt draws no tree in ``-r`` or ``-P``."""
    wanted = _wanted(tree_mode, params, types=True)
    if wanted is None:
        return False
    columns, fmt = wanted
    data = _read(params["pid"], params["consistency"])  # type: ignore[arg-type]
    if not data:
        return False
    with gc_paused():  # the lists made here are not cycles: the collector would only rescan them
        out = lean_output(data, columns, fmt, params)
    if out is None:
        return False
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    return True
