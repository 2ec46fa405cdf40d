"""findmnt-compatible views of a :class:`MountTable`: columns, tree order, JSON shape.

    COLUMNS                                  # name -> Column
    column_value(entry, "SOURCE")            # str | int | None, as findmnt shows it
    tree(table) -> list[Node]                # findmnt's tree: roots, children by id
    tree_order(table) -> Preorder            # the same as rows in print order, with depths
    to_json(rows_or_nodes, columns)          # {"filesystems": [...]} (with "children")

Where this follows findmnt (util-linux 2.38, the one installed here) and why:

* SOURCE is the source, with ``[root]`` appended when the mount's root is not ``/``
  (bind mounts, btrfs subvolumes); an empty source is ``null``.
* OPTIONS merges per-mount and super-block options behind one ``ro``/``rw``
  (:func:`~mountcursor.live.entry.merge_options`).  Options are shown as the kernel
  printed them (escaped): findmnt unescapes the whole string first, which turns an
  escaped comma inside a value into a separator.
* The tree: the root is libmount's ``mnt_table_get_root_fs`` (the entry with the
  smallest parent id, then up while the parent is in the table); children in ascending
  id order, skipping a mount that is its own parent; then every mount not yet shown,
  in table order, as a further top-level node with its subtree (findmnt 2a8375976).
  Built iteratively, so a 100,000-deep chain does not hit the recursion limit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter

from .devices import canonicalize, device_tag, parse_tag, resolve_spec
from .entry import MountEntry
from .gcpause import gc_paused
from .table import MountTable
from .tabfile import all_options
from .treeorder import preorder

__all__ = ["Column", "ColumnContext", "COLUMNS", "column_value", "size_to_human", "Node", "Preorder", "tree",
           "tree_order", "to_json"]


@dataclass(frozen=True)
class ColumnContext:
    """findmnt options that change how cells read: ``-b`` (sizes in bytes), ``-e``
    (tags as devices), ``-c`` (canonical source paths), ``-v`` (no ``[root]``), padded
    ``MAJ:MIN`` (the human table), the ``-N`` task id, where the udev links are, and
    ``-C`` (no cache: findmnt then reads no device's tags)."""

    in_bytes: bool = False
    evaluate: bool = False
    canonicalize: bool = False
    nofsroot: bool = False
    pad_majmin: bool = False
    tid: int | None = None
    vfs_all: bool = False
    disk_dir: bytes = b"/dev/disk"
    nocache: bool = False


_PLAIN = ColumnContext()


@dataclass(frozen=True)
class Column:
    """How findmnt computes a column for one mount: its name and ``get``.  Everything
    else about a column (width, flags, JSON type, help) is in the findmnt engine's one
    table, :data:`mountcursor.findmnt.columns.INFOS`; the engine computes the columns of
    one line's fields for a whole table at once and is held to these by the tests."""

    name: str
    get: Callable[[MountEntry, ColumnContext], str | int | None]


_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()


def _s(raw: bytes) -> str:
    """``os.fsdecode(raw)`` for bytes, without its checks (once per cell of 100,000 rows)."""
    return raw.decode(_FS_ENCODING, _FS_ERRORS)


def _kernel(e: MountEntry) -> bool:
    return not hasattr(e, "optstr")


def _source(e: MountEntry, ctx: ColumnContext = _PLAIN) -> str | None:
    spec: bytes | None = e.source if e.source and parse_tag(e.source) is None else None
    if spec is not None and ctx.canonicalize:
        spec = canonicalize(spec)
    if not spec:
        spec = e.source or None
        if spec and ctx.evaluate:
            spec = resolve_spec(spec, ctx.disk_dir)
    if e.root and e.root != b"/" and not ctx.nofsroot and (spec or e.source == b""):
        return f"{_s(spec or b'')}[{_s(e.root)}]"  # an empty source too: findmnt's "%s[%s]" of ""
    if not spec:
        return None
    return _s(spec)


def _options(e: MountEntry) -> str | None:
    return _s(all_options(e)) or None


def _majmin(e: MountEntry, ctx: ColumnContext) -> str | None:
    if not (e.major or e.minor):
        return None
    return f"{e.major:3d}:{e.minor:<3d}" if ctx.pad_majmin else e.devno


def size_to_human(n: int) -> str:
    """util-linux ``size_to_human_string(SIZE_SUFFIX_1LETTER)``: ``1.5G``, ``512M``, ``0``."""
    exp = 0
    for shift in range(10, 70, 10):
        if n < 1 << shift:
            exp = shift - 10
            break
    else:
        exp = 60
    letter = "BKMGTPE"[exp // 10]
    dec = n >> exp if exp else n
    frac = n % (1 << exp) if exp else 0
    if frac:
        frac = ((frac * 1000) >> exp) if frac < (2**64 - 1) // 1000 else (frac // 1024 * 1000) >> (exp - 10)
        frac = (frac + 50) // 100 * 10
        if frac == 100:
            dec, frac = dec + 1, 0
    if frac:
        text = f"{dec}.{frac:02d}"
        if text.endswith("0"):
            text = text[:-1]
        return text + letter
    return f"{dec}{letter}"


def _vfs(which: str) -> Callable[[MountEntry, ColumnContext], str | None]:
    def get(e: MountEntry, ctx: ColumnContext) -> str | None:
        try:
            st = os.statvfs(e.target)
        except (OSError, ValueError):
            return None
        if which == "USE%":
            if st.f_blocks == 0:
                return "-"
            return f"{(st.f_blocks - st.f_bfree) / st.f_blocks * 100:.0f}%"
        value = {"SIZE": st.f_blocks, "AVAIL": st.f_bavail, "USED": st.f_blocks - st.f_bfree}[which] * st.f_frsize
        if not value:
            return "0"
        return str(value) if ctx.in_bytes else size_to_human(value)
    return get


def _tag(tag: str) -> Callable[[MountEntry, ColumnContext], str | None]:
    """LABEL, UUID, PARTUUID, PARTLABEL: findmnt's ``get_tag``: the source's own tag,
    else (unless ``-C``) the tag of the device the source resolves to, probed
    (:func:`~mountcursor.live.devices.device_tag`)."""
    def get(e: MountEntry, ctx: ColumnContext) -> str | None:
        own = parse_tag(e.source) if e.source else None
        if own is not None and own[0] == tag:
            return _s(own[1])
        if ctx.nocache or not e.source:
            return None
        value = device_tag(resolve_spec(e.source, ctx.disk_dir), tag, ctx.disk_dir)
        return None if value is None else _s(value)
    return get


def _sources(e: MountEntry, ctx: ColumnContext) -> str | None:
    """SOURCES: findmnt's ``get_data_col_sources``, every device holding the source's
    tag (with ``-e``) or the UUID of its device, one a line, from libblkid's scan of
    all devices; without libblkid the udev link of ``/dev/disk/by-uuid``, so at most
    one.  Else, as findmnt, the SOURCE cell."""
    tag = parse_tag(e.source) if e.source else None
    if tag is not None and not ctx.evaluate:
        return _source(e, ctx)
    if tag is None and not e.source.startswith(b"/dev/"):
        return _source(e, ctx)
    from .blkid import sources, unavailable

    if ctx.disk_dir == b"/dev/disk" and unavailable() is None:
        found = sources(tag[0].encode(), tag[1], None) if tag is not None else sources(b"UUID", None, e.source)
        return _source(e, ctx) if not found else "\n".join(map(_s, found))
    dev = canonicalize(e.source) if tag is None else resolve_spec(e.source, ctx.disk_dir)
    if dev is not None and device_tag(dev, "UUID", ctx.disk_dir) is not None:
        return _s(dev)
    return _source(e, ctx)


def _opt_str(value: bytes) -> str | None:
    return _s(value) or None


# libmount/src/optmap.c (2.38) linux_flags_map as built on Linux: name, MS_* bits, inverted
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_SYNC, _MS_REMOUNT, _MS_MANDLOCK, _MS_DIRSYNC = 2, 4, 8, 16, 32, 64, 128
_MS_NOSYMFOLLOW, _MS_NOATIME, _MS_NODIRATIME, _MS_BIND, _MS_REC, _MS_SILENT = 256, 1024, 2048, 4096, 16384, 32768
_MS_UNBINDABLE, _MS_PRIVATE, _MS_SLAVE, _MS_SHARED, _MS_RELATIME = 1 << 17, 1 << 18, 1 << 19, 1 << 20, 1 << 21
_MS_I_VERSION, _MS_STRICTATIME, _MS_LAZYTIME = 1 << 23, 1 << 24, 1 << 25
_LINUX_MAP: tuple[tuple[str, int, bool], ...] = (
    ("ro", 1, False), ("rw", 1, True), ("exec", _MS_NOEXEC, True), ("noexec", _MS_NOEXEC, False),
    ("suid", _MS_NOSUID, True), ("nosuid", _MS_NOSUID, False), ("dev", _MS_NODEV, True), ("nodev", _MS_NODEV, False),
    ("sync", _MS_SYNC, False), ("async", _MS_SYNC, True), ("dirsync", _MS_DIRSYNC, False),
    ("remount", _MS_REMOUNT, False), ("bind", _MS_BIND, False), ("rbind", _MS_BIND | _MS_REC, False),
    ("silent", _MS_SILENT, False), ("loud", _MS_SILENT, True), ("mand", _MS_MANDLOCK, False),
    ("nomand", _MS_MANDLOCK, True), ("atime", _MS_NOATIME, True), ("noatime", _MS_NOATIME, False),
    ("iversion", _MS_I_VERSION, False), ("noiversion", _MS_I_VERSION, True), ("diratime", _MS_NODIRATIME, True),
    ("nodiratime", _MS_NODIRATIME, False), ("relatime", _MS_RELATIME, False), ("norelatime", _MS_RELATIME, True),
    ("strictatime", _MS_STRICTATIME, False), ("nostrictatime", _MS_STRICTATIME, True),
    ("lazytime", _MS_LAZYTIME, False), ("nolazytime", _MS_LAZYTIME, True),
    ("unbindable", _MS_UNBINDABLE, False), ("runbindable", _MS_UNBINDABLE | _MS_REC, False),
    ("private", _MS_PRIVATE, False), ("rprivate", _MS_PRIVATE | _MS_REC, False), ("slave", _MS_SLAVE, False),
    ("rslave", _MS_SLAVE | _MS_REC, False), ("shared", _MS_SHARED, False), ("rshared", _MS_SHARED | _MS_REC, False),
    ("symfollow", _MS_NOSYMFOLLOW, True), ("nosymfollow", _MS_NOSYMFOLLOW, False),
)
_BY_NAME = {name: (bits, inverted) for name, bits, inverted in _LINUX_MAP}


def vfs_options_all(options: bytes) -> str | None:
    """``--vfs-all``: every per-mount flag spelled out, defaults included (libmount
    ``mnt_fs_get_vfs_options_all``): ``rw,relatime`` -> ``rw,exec,suid,dev,async,...``;
    ``None`` for no options at all."""
    if not options:
        return None
    flags = 0
    for item in options.split(b","):
        name = item.decode("ascii", "replace")
        hit = _BY_NAME.get(name)
        if hit is not None:
            flags = flags & ~hit[0] if hit[1] else flags | hit[0]
        elif name in ("user", "users"):        # the userspace map: MS_SECURE
            flags |= _MS_NOEXEC | _MS_NOSUID | _MS_NODEV
        elif name in ("owner", "group"):       # MS_OWNERSECURE
            flags |= _MS_NOSUID | _MS_NODEV
    names = [name for name, bits, inverted in _LINUX_MAP if (bool(bits & flags) != inverted)]
    return ",".join(names) or None


def _vfs_options(e: MountEntry, ctx: ColumnContext) -> str | None:
    if ctx.vfs_all:
        return vfs_options_all(all_options(e))
    return _opt_str(e.vfs_options)


COLUMNS: dict[str, Column] = {c.name: c for c in (
    Column("TARGET", lambda e, c: _s(e.target)),
    Column("SOURCE", _source),
    Column("SOURCES", _sources),
    Column("FSTYPE", lambda e, c: _s(e.fstype) or None),
    Column("OPTIONS", lambda e, c: _options(e)),
    Column("VFS-OPTIONS", _vfs_options),
    Column("FS-OPTIONS", lambda e, c: _opt_str(e.fs_options)),
    Column("ID", lambda e, c: e.mnt_id or None),
    Column("PARENT", lambda e, c: e.parent_id or None),
    Column("UNIQ-ID", lambda e, c: e.unique_id),
    Column("MAJ:MIN", _majmin),
    Column("FSROOT", lambda e, c: _s(e.root) or None),
    Column("PROPAGATION", lambda e, c: e.propagation if _kernel(e) else None),
    Column("OPT-FIELDS", lambda e, c: _s(e.opt_fields) or None),
    Column("SIZE", _vfs("SIZE")),
    Column("USED", _vfs("USED")),
    Column("AVAIL", _vfs("AVAIL")),
    Column("USE%", _vfs("USE%")),
    Column("FREQ", lambda e, c: None if _kernel(e) else getattr(e, "freq")),
    Column("PASSNO", lambda e, c: None if _kernel(e) else getattr(e, "passno")),
    Column("TID", lambda e, c: c.tid),
    Column("LABEL", _tag("LABEL")),
    Column("UUID", _tag("UUID")),
    Column("PARTLABEL", _tag("PARTLABEL")),
    Column("PARTUUID", _tag("PARTUUID")),
)}


def column_value(entry: MountEntry, name: str, ctx: ColumnContext = _PLAIN) -> str | int | None:
    return COLUMNS[name].get(entry, ctx)


@dataclass(slots=True)
class Node:
    """One line of findmnt's tree."""

    entry: MountEntry
    children: list[Node] = field(default_factory=list)


_MNT_ID = attrgetter("mnt_id")
_PARENT_ID = attrgetter("parent_id")


@dataclass(slots=True)
class Preorder:
    """A forest in print order: the entries in pre-order (each node, then its children's
    subtrees in order) and each one's depth (0 at the top).  The depths alone give the
    shape: a node's children are the rows one deeper that follow it before the next row
    as shallow as it."""

    entries: list[MountEntry]
    depths: list[int]

    def __len__(self) -> int:
        return len(self.entries)

    def nodes(self) -> list[Node]:
        """The same forest as :class:`Node` objects."""
        top: list[Node] = []
        path: list[list[Node]] = [top]  # path[d]: where a node of depth d goes
        for e, depth in zip(self.entries, self.depths):
            node = Node(e, [])
            path[depth].append(node)
            del path[depth + 1:]
            path.append(node.children)
        return top

    @classmethod
    def of(cls, nodes: list[Node]) -> Preorder:
        """The pre-order of a forest of :class:`Node` objects."""
        entries: list[MountEntry] = []
        depths: list[int] = []
        stack = [(node, 0) for node in reversed(nodes)]
        while stack:
            node, depth = stack.pop()
            entries.append(node.entry)
            depths.append(depth)
            if node.children:
                stack.extend(zip(reversed(node.children), repeat(depth + 1)))
        return cls(entries, depths)


def tree(table: MountTable, keep: Callable[[MountEntry], bool] | None = None) -> list[Node]:
    """findmnt's tree of ``table`` (see the module docstring).

    ``keep``: a filter; a mount it rejects is left out and its children hang from the
    nearest kept ancestor, as findmnt does with ``-t``/``-O`` in tree mode.
    """
    with gc_paused():
        return tree_order(table, keep).nodes()


def tree_order(table: MountTable, keep: Callable[[MountEntry], bool] | None = None) -> Preorder:
    """:func:`tree` as the rows findmnt prints, in order, with their depths
    (:func:`mountcursor.live.treeorder.preorder` of the table's ids)."""
    entries = table.entries
    with gc_paused():
        rows, depths = preorder(list(map(_MNT_ID, entries)), list(map(_PARENT_ID, entries)),
                                None if keep is None else (lambda i: keep(entries[i])))
        return Preorder(list(map(entries.__getitem__, rows)), depths)


JsonRow = dict[str, "str | int | None | list[JsonRow]"]


def _row(entry: MountEntry, columns: Iterable[str]) -> JsonRow:
    return {name.lower(): column_value(entry, name) for name in columns}


def to_json(items: Iterable[MountEntry] | Iterable[Node], columns: Iterable[str]) -> dict[str, list[JsonRow]]:
    """``{"filesystems": [...]}`` like ``findmnt --json``; nodes get ``"children"``
    when they have any.  Numbers stay numbers, missing values are ``null``.  Built with an
    explicit stack: any depth (print it with :func:`mountcursor.live.jsonout.dumps`)."""
    cols = list(columns)
    out: list[JsonRow] = []
    stack: list[tuple[Node, list[JsonRow]]] = []
    for item in items:
        if not isinstance(item, Node):
            out.append(_row(item, cols))
            continue
        stack.append((item, out))
        while stack:
            node, into = stack.pop()
            row = _row(node.entry, cols)
            into.append(row)
            if node.children:
                kids: list[JsonRow] = []
                row["children"] = kids
                stack.extend((c, kids) for c in reversed(node.children))
    return {"filesystems": out}
