"""findmnt-compatible views of a :class:`MountTable`: columns, tree order, JSON shape.

    COLUMNS                                  # name -> Column
    column_value(entry, "SOURCE")            # str | int | None, as findmnt shows it
    tree(table) -> list[Node]                # findmnt's tree: roots, children by id
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from itertools import repeat
from operator import attrgetter

from .entry import MountEntry
from .parse import gc_paused
from .table import MountTable

__all__ = ["Column", "COLUMNS", "DEFAULT_COLUMNS", "column_value", "Node", "tree", "to_json", "parse_columns"]


@dataclass(frozen=True)
class Column:
    """An output column: its findmnt name, help text, and how to get the value."""

    name: str
    help: str
    get: Callable[[MountEntry], str | int | None]
    number: bool = False


def _s(raw: bytes) -> str:
    return os.fsdecode(raw)


def _source(e: MountEntry) -> str | None:
    if not e.source:
        return None
    if e.root and e.root != b"/":
        return f"{_s(e.source)}[{_s(e.root)}]"
    return _s(e.source)


COLUMNS: dict[str, Column] = {c.name: c for c in (
    Column("TARGET", "mount point", lambda e: _s(e.target)),
    Column("SOURCE", "source device, [root] for a bind mount or subvolume", _source),
    Column("FSTYPE", "filesystem type", lambda e: _s(e.fstype)),
    Column("OPTIONS", "all mount options", lambda e: _s(e.options)),
    Column("VFS-OPTIONS", "per-mount options", lambda e: _s(e.vfs_options)),
    Column("FS-OPTIONS", "super-block and filesystem options", lambda e: _s(e.fs_options)),
    Column("ID", "mount id", lambda e: e.mnt_id, number=True),
    Column("PARENT", "parent mount id", lambda e: e.parent_id, number=True),
    Column("UNIQ-ID", "64-bit unique mount id (listmount)", lambda e: e.unique_id, number=True),
    Column("MAJ:MIN", "device major:minor", lambda e: e.devno),
    Column("FSROOT", "root of the mount inside its filesystem", lambda e: _s(e.root)),
    Column("PROPAGATION", "shared/private, slave, unbindable", lambda e: e.propagation),
    Column("OPT-FIELDS", "optional fields of mountinfo", lambda e: _s(e.opt_fields) or None),
)}
DEFAULT_COLUMNS = ("TARGET", "SOURCE", "FSTYPE", "OPTIONS")


def parse_columns(spec: str | None) -> list[str]:
    """``-o`` syntax: ``"TARGET,ID"``; a leading ``+`` extends the default list."""
    if not spec:
        return list(DEFAULT_COLUMNS)
    extend = spec.startswith("+")
    names = [n.strip().upper() for n in spec.lstrip("+").split(",") if n.strip()]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown column: {unknown[0]} (known: {', '.join(COLUMNS)})")
    return list(DEFAULT_COLUMNS) + names if extend else names


def column_value(entry: MountEntry, name: str) -> str | int | None:
    return COLUMNS[name].get(entry)


@dataclass(slots=True)
class Node:
    """One line of findmnt's tree."""

    entry: MountEntry
    children: list[Node] = field(default_factory=list)


_MNT_ID = attrgetter("mnt_id")


def tree(table: MountTable, keep: Callable[[MountEntry], bool] | None = None) -> list[Node]:
    """findmnt's tree of ``table`` (see the module docstring).

    ``keep``: a filter; a mount it rejects is left out and its children hang from the
    nearest kept ancestor, as findmnt does with ``-t``/``-O`` in tree mode.
    """
    by_id = table.by_id
    unique = not table.duplicates  # then every entry is the one by_id() answers
    children: dict[int, list[MountEntry]] = {}
    for e in table.entries:
        if e.parent_id != e.mnt_id and (unique or by_id(e.mnt_id) is e):
            kids = children.get(e.parent_id)
            if kids is None:
                children[e.parent_id] = [e]
            else:
                kids.append(e)
    for kids in children.values():
        if len(kids) > 1:
            kids.sort(key=_MNT_ID)
    shown: set[int] = set()
    top: list[Node] = []

    def add_subtree(start: MountEntry) -> None:
        stack: list[tuple[MountEntry, list[Node]]] = [(start, top)]
        pop, push_all = stack.pop, stack.extend
        while stack:
            e, siblings = pop()
            if id(e) in shown:
                continue
            shown.add(id(e))
            into = siblings
            if keep is None or keep(e):
                node = Node(e, [])
                siblings.append(node)
                into = node.children
            kids = children.get(e.mnt_id)
            if kids and (unique or by_id(e.mnt_id) is e):
                push_all(zip(reversed(kids), repeat(into)))

    with gc_paused():
        root = table.root_fs
        if root is not None:
            add_subtree(root)
        for e in table.entries:
            if id(e) not in shown and (keep is None or keep(e)):
                add_subtree(e)
    return top


def _row(entry: MountEntry, columns: Iterable[str]) -> dict[str, str | int | None]:
    return {name.lower(): column_value(entry, name) for name in columns}


def to_json(items: Iterable[MountEntry] | Iterable[Node], columns: Iterable[str]) -> dict[str, Any]:
    """``{"filesystems": [...]}`` like ``findmnt --json``; nodes get ``"children"``
    when they have any.  Numbers stay numbers, missing values are ``null``.  Built with an
    explicit stack: any depth (print it with :func:`mountcursor.live.jsonout.dumps`)."""
    cols = list(columns)
    out: list[dict[str, Any]] = []
    stack: list[tuple[Node, list[dict[str, Any]]]] = []
    for item in items:
        if not isinstance(item, Node):
            out.append(_row(item, cols))
            continue
        stack.append((item, out))
        while stack:
            node, into = stack.pop()
            row: dict[str, Any] = _row(node.entry, cols)
            into.append(row)
            if node.children:
                kids: list[dict[str, Any]] = []
                row["children"] = kids
                stack.extend((c, kids) for c in reversed(node.children))
    return {"filesystems": out}
