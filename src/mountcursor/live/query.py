"""findmnt's selection: which mounts a command line picks, and whether as a tree.

    q = Query(source="UUID=...", types="ext4", submounts=True)
    sel = select(table, q, kind="mountinfo")     # -> Selection(nodes, tree, found)

Follows ``misc-utils/findmnt.c`` and libmount of util-linux 2.38.1 (read for behaviour,
written anew):

* matching (``match_func``): ``-t`` types, ``-O`` options, ``MAJ:MIN``, target, source,
  then ``--df`` (tmpfs kept, pseudo filesystems dropped unless ``--all``), ``--real``,
  ``--pseudo``, ``--shadowed``; ``--invert`` inverts the whole match;
* a target matches a mount whose mount point equals it, or its canonical path
  (:func:`canonicalize`, symlinks resolved); with ``-T`` (not ``-M``), when nothing
  matches and the path exists, the mount holding the path is found by walking up its
  canonical path and every mount at that mount point is shown (the whole stack);
* a source matches a mount whose source equals it or, for a filesystem that is neither
  pseudo nor network, whose source equals its canonical form: ``LABEL=``, ``UUID=``,
  ``PARTUUID=`` and ``PARTLABEL=`` are resolved through the udev links in
  ``/dev/disk/by-*`` (:func:`resolve_tag`), a path through its symlinks, and
  ``/dev/dm-N`` becomes ``/dev/mapper/NAME``; ``MAJ:MIN`` matches the device number;
* a single positional argument is a source first and, if no source matches, a target;
* with a source, target, device or ``--first-only``, and without ``--submounts``, the
  answer is a list; ``--submounts`` gives each match with its whole subtree;
* ``--uniq`` keeps the last mount of each mount point and hangs the children of the
  others on their parents (``MNT_UNIQ_KEEPTREE``).

Where findmnt 2.38 fails on a damaged table this does not: a parent cycle does not
hang ``--submounts`` or the tree, a mount that is its own parent is a root.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from .devices import (DISK_DIR, TAG_NAMES, canonicalize, is_netfs, is_pseudofs, parse_tag, resolve_spec, resolve_tag,
                      source_matches, streq_paths)
from .entry import MountEntry
from .findmnt import Node, Preorder, tree_order
from .table import MountTable, match_fstype, match_options
from .tabfile import all_options

__all__ = ["Query", "Selection", "select", "streq_paths", "canonicalize", "parse_tag", "resolve_tag",
           "resolve_spec", "is_pseudofs", "is_netfs", "match_source", "match_target", "find_mountpoint",
           "uniq", "TAG_NAMES"]

_DEVNO = re.compile(r"^\s*[+-]?\d+:[+-]?\d+")

def match_source(e: MountEntry, spec: bytes, disk_dir: bytes = DISK_DIR, canonical: bool = True, *,
                 resolved: Callable[[], bytes | None] | None = None) -> bool:
    """libmount ``mnt_fs_match_source`` of an entry (:func:`mountcursor.live.devices.source_matches`).
    ``resolved`` gives ``resolve_spec(spec)`` from a cache (one per query, not one per mount)."""
    return source_matches(e.source, e.fstype, spec, disk_dir, canonical, resolved=resolved)


def match_target(e: MountEntry, path: bytes, kernel: bool = True, canonical: bool = True, *,
                 resolved: Callable[[], bytes | None] | None = None) -> bool:
    """libmount ``mnt_fs_match_target``: native, then (``canonical``) canonical
    ``path``; for fstab entries also their canonical mount point.  ``resolved`` gives
    ``canonicalize(path)`` from a cache (one per query, not one per mount)."""
    if streq_paths(e.target, path):
        return True
    if not canonical:
        return False
    cn = canonicalize(path) if resolved is None else resolved()
    if cn is None:
        return False
    if streq_paths(e.target, cn):
        return True
    return not kernel and canonicalize(e.target) == cn


def find_mountpoint(table: MountTable, path: bytes) -> MountEntry | None:
    """libmount ``mnt_table_find_mountpoint``: the last mount (table order) at the
    deepest mount point that is ``path`` or above it; ``None`` if ``path`` does not exist."""
    try:
        os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL, no such path
        return None
    by_target: dict[tuple[bytes, ...], MountEntry] = {}
    for e in table.entries:
        by_target[tuple(s for s in e.target.split(b"/") if s)] = e
    parts = tuple(s for s in path.split(b"/") if s)
    for n in range(len(parts), -1, -1):
        hit = by_target.get(parts[:n])
        if hit is not None:
            return hit
    return None


def uniq(table: MountTable) -> MountTable:
    """``--uniq``: keep the last mount of each mount point (table order); the children
    of a dropped mount move to its parent (libmount ``MNT_UNIQ_KEEPTREE``)."""
    last: dict[tuple[bytes, ...], int] = {}
    for i, e in enumerate(table.entries):
        last[tuple(s for s in e.target.split(b"/") if s)] = i
    dropped = {e.mnt_id: e.parent_id for i, e in enumerate(table.entries)
               if last[tuple(s for s in e.target.split(b"/") if s)] != i}
    out: list[MountEntry] = []
    for i, e in enumerate(table.entries):
        if e.mnt_id in dropped and last[tuple(s for s in e.target.split(b"/") if s)] != i:
            continue
        parent = e.parent_id
        seen = set()
        while parent in dropped and parent not in seen:
            seen.add(parent)
            parent = dropped[parent]
        out.append(e if parent == e.parent_id else dataclasses.replace(e, parent_id=parent))
    return MountTable(out, errors=table.errors)


# ---- the selection ------------------------------------------------------------------------


@dataclass
class Query:
    """A findmnt command line's filters (``None``/``False`` = not given)."""

    types: str | None = None
    options: str | None = None
    source: str | None = None           # -S, or the first positional argument
    target: str | None = None           # -T/-M, or the second positional argument
    positional_source: bool = False     # the source came as a positional argument (may be a target)
    strict_target: bool = False         # -M: the mount point itself, no lookup of the path
    first_only: bool = False
    submounts: bool = False
    df: bool = False
    all: bool = False
    real: bool = False
    pseudo: bool = False
    shadowed: bool = False
    invert: bool = False
    nocanonicalize: bool = False        # -C: compare paths as written
    ids: tuple[int, ...] = ()
    unique_ids: tuple[int, ...] = ()
    backward: bool = False
    disk_dir: bytes = DISK_DIR


class Selection:
    """What to print: the nodes (a forest if ``tree``, else rows; a node's children are
    printed after it in both cases) and whether findmnt would call it a match.

    ``order`` is the same forest as the rows in print order (:class:`Preorder`); a whole
    tree is built in that form only, and its :class:`Node` objects on first use."""

    def __init__(self, nodes: list[Node] | None, tree: bool, found: bool, order: Preorder | None = None) -> None:
        if nodes is None and order is None:
            raise TypeError("Selection needs nodes or their order")
        self._nodes = nodes
        self._order = order
        self.tree = tree
        self.found = found

    @property
    def nodes(self) -> list[Node]:
        if self._nodes is None:
            assert self._order is not None
            self._nodes = self._order.nodes()
        return self._nodes

    @property
    def order(self) -> Preorder:
        if self._order is None:
            assert self._nodes is not None
            self._order = Preorder.of(self._nodes)
        return self._order

    def __repr__(self) -> str:
        return f"Selection({len(self.order)} mounts, tree={self.tree}, found={self.found})"


def _devno(spec: str) -> tuple[int, int] | None:
    if not _DEVNO.match(spec):
        return None
    major, _, minor = spec.strip().partition(":")
    try:
        return int(major), int(minor.split()[0] if minor.split() else minor)
    except ValueError:
        return None


class _Matcher:
    def __init__(self, table: MountTable, q: Query, kind: str) -> None:
        self.table = table
        self.q = q
        self.kernel = kind == "mountinfo"
        self.source: bytes | None = None
        self.devno: tuple[int, int] | None = None
        if q.source is not None:
            self.devno = _devno(q.source)
            if self.devno is None:
                self.source = os.fsencode(q.source)
        self.target: bytes | None = os.fsencode(q.target) if q.target is not None else None
        # the canonical forms of the query, each worked out once when first needed
        self.target_cn = functools.cache(lambda: canonicalize(self.target or b""))
        self.source_cn = functools.cache(lambda: resolve_spec(self.source or b"", q.disk_dir))

    def __call__(self, e: MountEntry) -> bool:
        q = self.q
        miss = q.invert
        if q.types is not None and not match_fstype(e.fstype, q.types):
            return miss
        if q.options is not None:
            have = all_options(e)
            if (not have and q.options) or not match_options(have, q.options):   # no options: no match
                return miss
        if self.devno is not None and (not self.kernel or (e.major, e.minor) != self.devno):
            return miss
        if q.ids and e.mnt_id not in q.ids:
            return miss
        if q.unique_ids and e.unique_id not in q.unique_ids:
            return miss
        if self.target is not None and not match_target(e, self.target, self.kernel, not q.nocanonicalize,
                                                        resolved=self.target_cn):
            return miss
        if self.source is not None and not match_source(e, self.source, q.disk_dir, not q.nocanonicalize,
                                                        resolved=self.source_cn):
            return miss
        if q.df and not q.all:
            if b"tmpfs" in e.fstype:
                return not miss
            if is_pseudofs(e.fstype):
                return miss
        if q.real and is_pseudofs(e.fstype):
            return miss
        if q.pseudo and not is_pseudofs(e.fstype):
            return miss
        if q.shadowed and not (self.kernel and self.table.is_shadowed(e)):
            return miss
        return not miss


def _listall(q: Query) -> bool:
    if (q.df or q.real or q.pseudo) and not q.all:
        return False
    return (q.source is None and q.target is None and q.types is None and q.options is None
            and not q.shadowed and not q.ids and not q.unique_ids)


def _subtree(table: MountTable, start: MountEntry, shown: set[int]) -> Node | None:
    """``start`` with every mount below it, each once (a parent cycle cannot loop)."""
    if id(start) in shown:
        return None
    root = Node(start)
    shown.add(id(start))
    stack = [root]
    while stack:
        node = stack.pop()
        kids = sorted(table.children(node.entry), key=lambda k: k.mnt_id)
        for kid in kids:
            if id(kid) in shown:
                continue
            shown.add(id(kid))
            child = Node(kid)
            node.children.append(child)
        stack.extend(reversed(node.children))
    return root


def select(table: MountTable, q: Query, kind: str = "mountinfo", want_tree: bool = True,
           kernel_tab: bool = True, force_tree: bool = False) -> Selection:
    """The mounts ``findmnt`` (``want_tree``) or ``findmnt -l`` shows for ``q``.

    ``kind`` is the table's format (``"mountinfo"`` or ``"fstab"``, which
    ``/proc/<pid>/mounts`` also uses); ``kernel_tab`` is false for ``--fstab``, where
    ``-T`` does not look up the mount holding a path; ``force_tree`` is ``--tree``: a
    tree whenever the table is one, whatever else was asked."""
    if q.source is not None and q.positional_source and q.target is None and parse_tag(os.fsencode(q.source)):
        q = dataclasses.replace(q, positional_source=False)      # a tag cannot be a target
    submounts = q.submounts and not _listall(q)
    as_tree = want_tree and kind == "mountinfo" and bool(table.entries)
    if not submounts and (q.first_only or q.source is not None or q.target is not None):
        as_tree = False
    if q.df:
        as_tree = False
    if force_tree and kind == "mountinfo" and table.entries:
        as_tree = True
    if as_tree and not submounts:
        match = _Matcher(table, q, kind)
        trivial = _listall(q) and not (q.invert or q.real or q.pseudo or q.df)
        order = tree_order(table, keep=None if trivial else match)   # findmnt's tree always filters
        return Selection(None, True, True, order)
    match = _Matcher(table, q, kind)
    nodes = _matching(table, q, kind, submounts, match)
    if not nodes and q.target is not None and not q.strict_target and kernel_tab and not q.positional_source:
        raw = os.fsencode(q.target)
        holder = find_mountpoint(table, raw if q.nocanonicalize else match.target_cn() or b"")
        if holder is not None and not streq_paths(holder.target, os.fsencode(q.target)):
            nodes = _matching(table, dataclasses.replace(q, target=os.fsdecode(holder.target)), kind, submounts)
    return Selection(nodes, as_tree and submounts, bool(nodes))


def _matching(table: MountTable, q: Query, kind: str, submounts: bool, matcher: _Matcher | None = None) -> list[Node]:
    entries = list(reversed(table.entries)) if q.backward else list(table.entries)
    match: Callable[[MountEntry], bool] = matcher or _Matcher(table, q, kind)
    if not _listall(q) or q.invert:
        hits = [e for e in entries if match(e)]
        if not hits and q.positional_source and q.target is None and q.source is not None and _devno(q.source) is None:
            swapped = dataclasses.replace(q, target=q.source, source=None, positional_source=False)
            match = _Matcher(table, swapped, kind)
            hits = [e for e in entries if match(e)]
    else:
        hits = entries
    if q.first_only:
        hits = hits[:1]
    if not submounts:
        return [Node(e) for e in hits]
    shown: set[int] = set()
    out = []
    for e in hits:
        node = _subtree(table, e, shown)
        if node is not None:
            out.append(node)
    return out
