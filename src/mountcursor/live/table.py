"""A mount table as a tree: :class:`MountTable`.

    table = MountTable.from_bytes(open("/proc/self/mountinfo", "rb").read())
    table.roots, table.children(e), table.parent(e), table.ancestors(e), table.walk()
    table.orphans, table.outside_root, table.duplicates, table.problems()
    table.is_shadowed(e), table.top(target), table.stack(target), table.is_visible(e)
    table.find_target(p), table.find_source(s), table.find_fstype(t), table.find_options(o)
    table.by_id(n), table.by_unique_id(n), table.mount_of(path), table.is_mountpoint(path)

Built once in O(n): a dict by id and a list of children per id, in table order (the
kernel's order).  Nothing here touches the running system (the module-level
:func:`~mountcursor.live.reader.is_mountpoint` does).

Missing parents are normal, not errors.  A mount whose parent id is absent is either
*outside the root* (no mount in the table covers a directory above its mount point:
the reader's root mount, a chroot's or container's top mounts, tables with no ``/``)
or an *orphan* (some mount covers a directory above it, so its parent should have been
listed: a table read while mounts changed, or an edited file).  A consistent snapshot
of a live namespace has no orphans.

Stacked mounts: a mount made on top of mount P at the same mount point has P as its
parent and P's target; P is then *shadowed*.  The visible mounts are those not
shadowed whose ancestors are all visible; :meth:`MountTable.mount_of` answers with
them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from functools import cached_property
from itertools import chain, compress, repeat
from operator import attrgetter, eq, ge

from ..format import FormatError
from .entry import MountEntry
from .parse import parse_mountinfo
from .fstypes import match_fstype
from .optstr import match_options
from .tabread import MAX_LINE_BYTES, MAX_LINES, MAX_TABLE_BYTES, TableLimitError, read_table_file
from .treeorder import root_index

__all__ = ["MountTable", "read_table_file", "TableLimitError", "MAX_LINES", "normalize_target", "ancestor_ends", "match_fstype", "match_options"]

_DEVNO = re.compile(rb"^(\d+):(\d+)$")
_MNT_ID, _PARENT_ID, _TARGET = attrgetter("mnt_id"), attrgetter("parent_id"), attrgetter("target")



def normalize_target(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bytes:
    """An absolute path as bytes, ``.``/``..``/``//`` folded lexically (no symlinks)."""
    raw = os.fsencode(path)
    if not raw.startswith(b"/"):
        raise ValueError(f"expected an absolute path, got {os.fsdecode(raw)!r}")
    norm = os.path.normpath(raw)
    return b"/" + norm.lstrip(b"/")


def ancestor_ends(path: bytes) -> list[int]:
    """Where each directory above ``path`` ends, nearest first: its parent is
    ``path[:ends[0]]``, and so on up; ``/`` (end 1) is last for an absolute path.  A
    relative path (``a/b``: only in edited tables) stops at its first component; ``/``
    and a single component have nothing above them.  O(len(path)).

    The one definition of "the directories above a mount point" in this package.

    >>> p = b"/a/b/c"; [p[:i] for i in ancestor_ends(p)], [b"a/b"[:i] for i in ancestor_ends(b"a/b")]
    ([b'/a/b', b'/a', b'/'], [b'a'])
    """
    ends: list[int] = []
    end = len(path)
    while (end := path.rfind(b"/", 0, end)) > 0:
        ends.append(end)
    if end == 0 and len(path) > 1 and ends[-1:] != [1]:
        ends.append(1)
    return ends


def _deepest(path: bytes, index: dict[bytes, MountEntry], lengths: set[int]) -> MountEntry | None:
    """``index``'s entry for ``path`` or the nearest directory above it; ``lengths`` are the
    lengths of ``index``'s keys.  Only prefixes of such a length are cut and hashed,
    so one lookup costs O(len(path) + the bytes of the keys), never O(len(path)²)."""
    hit = index.get(path)
    if hit is not None:
        return hit
    for end in ancestor_ends(path):
        if end in lengths:
            hit = index.get(path[:end])
            if hit is not None:
                return hit
    return None


def _segment_keys(path: bytes) -> Iterator[tuple[int, int]]:
    """``(end, key)`` for each ``path[:end]`` that ends where a ``/`` follows it (the
    directories above ``path`` but ``/``) and, last, for ``path`` itself: ``key`` folds
    the hashes of the ``/``-separated pieces, so two such prefixes with equal bytes have
    equal keys, computed in O(len(path)) for all of them."""
    key, end = 0, -1
    for piece in path.split(b"/"):
        end += len(piece) + 1
        key = (key * 1_000_003 + hash(piece)) & 0xFFFF_FFFF_FFFF_FFFF
        yield end, key


def _covered_from_above(paths: list[bytes], targets: set[bytes]) -> list[bool]:
    """For each of ``paths``: whether a directory above it (:func:`ancestor_ends`) is one
    of ``targets``.  O(bytes of ``paths`` and ``targets``), however deep the paths: a
    prefix is compared only when a target has its length and its key
    (:func:`_segment_keys`), and the bytes only then."""
    covered = [p != b"/" and p.startswith(b"/") and b"/" in targets for p in paths]
    lengths = set(map(len, targets))
    wanted: dict[tuple[int, int], list[int]] = {}
    for k, p in enumerate(paths):
        if covered[k]:
            continue
        if len(lengths) < p.count(b"/"):  # few lengths to try: a cheap look first
            ends = {n for n in lengths if 0 < n < len(p) and p[n] == 47}  # 47: "/"
            if not ends:
                continue
        else:
            ends = lengths
        for end, key in _segment_keys(p):  # "/" was done above, p itself is too long
            if end in ends and 0 < end < len(p):
                wanted.setdefault((end, key), []).append(k)
    if not wanted:
        return covered
    want_lengths = {end for end, _ in wanted}
    for t in targets:
        if len(t) in want_lengths:
            *_, (end, key) = _segment_keys(t)
            for k in wanted.get((end, key), ()):
                if not covered[k]:  # one comparison per path that matches
                    covered[k] = paths[k].startswith(t)
    return covered


class MountTable:
    """An immutable mount table with the tree, stacks and lookups built in O(n).

    ``entries`` keeps the order of the source.  ``errors`` holds the lines a tolerant
    parse skipped.  Entries with a duplicate ``mnt_id`` (only in damaged tables) are
    listed in :attr:`duplicates`; lookups by id see the first one.
    """

    def __init__(self, entries: Iterable[MountEntry], *, errors: Iterable[FormatError] = ()) -> None:
        self.entries: tuple[MountEntry, ...] = tuple(entries)
        self.errors: tuple[FormatError, ...] = tuple(errors)
        self._by_id: dict[int, MountEntry] = {}
        self._by_unique: dict[int, MountEntry] = {}
        self.duplicates: list[MountEntry] = []
        by_id = self._by_id
        for e in self.entries:
            if e.mnt_id in by_id:
                self.duplicates.append(e)
            else:
                by_id[e.mnt_id] = e
            if e.unique_id is not None:
                self._by_unique.setdefault(e.unique_id, e)
        # The rest (children, roots, stacks, visibility, orphans) is built on first use.

    @cached_property
    def _children(self) -> dict[int, list[MountEntry]]:
        children: dict[int, list[MountEntry]] = {}
        self.__dict__["roots"] = roots = []
        by_id = self._by_id
        for e in self.entries:
            if e.parent_id in by_id and e.parent_id != e.mnt_id:
                kids = children.get(e.parent_id)
                if kids is None:
                    children[e.parent_id] = [e]
                else:
                    kids.append(e)
            else:
                roots.append(e)
        return children

    @cached_property
    def roots(self) -> list[MountEntry]:
        """The mounts whose parent is not in the table (or is themselves), table order."""
        self._children  # noqa: B018 -- builds both
        roots: list[MountEntry] = self.__dict__["roots"]
        return roots

    @cached_property
    def _shadowed(self) -> set[int]:
        shadowed: set[int] = set()
        for e in self.entries:
            parent = self._by_id.get(e.parent_id)
            if parent is not None and parent is not e and parent.target == e.target:
                shadowed.add(id(parent))
        return shadowed

    @cached_property
    def orphans(self) -> list[MountEntry]:
        """Roots that some mount covers from above: their parent should have been listed."""
        return self._split_roots()[0]

    @cached_property
    def outside_root(self) -> list[MountEntry]:
        """Roots no mount in the table covers: the reader's root mount, a container's top."""
        return self._split_roots()[1]

    def _split_roots(self) -> tuple[list[MountEntry], list[MountEntry]]:
        orphans: list[MountEntry] = []
        outside: list[MountEntry] = []
        candidates = [e for e in self.roots if not e.is_self_parent]
        covered = _covered_from_above([e.target for e in candidates], set(map(_TARGET, self.entries)))
        under = {id(e) for e, c in zip(candidates, covered) if c}
        for e in self.roots:
            (orphans if id(e) in under else outside).append(e)
        self.__dict__["orphans"], self.__dict__["outside_root"] = orphans, outside
        return orphans, outside

    # ---- construction ----------------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes, *, strict: bool = False) -> MountTable:
        """Parse mountinfo bytes (see :func:`~mountcursor.live.parse.parse_mountinfo`)."""
        result = parse_mountinfo(data, strict=strict)
        return cls(result.entries, errors=result.errors)

    @classmethod
    def from_file(cls, path: str | bytes | os.PathLike[str] | os.PathLike[bytes], *, strict: bool = False,
                  max_lines: int = MAX_LINES) -> MountTable:
        """Read a saved mountinfo file (no consistency check: use snapshot), within the
        limits of :func:`read_table_file`."""
        return cls.from_bytes(read_table_file(path, max_lines=max_lines), strict=strict)

    # ---- container protocol -------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[MountEntry]:
        return iter(self.entries)

    def __reduce__(self) -> tuple[object, ...]:  # the caches key on object identity: rebuild them
        return (_rebuild, (self.entries, self.errors))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MountTable) and self.entries == other.entries

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<MountTable {len(self.entries)} mounts, {len(self.roots)} roots, {len(self.orphans)} orphans>"

    # ---- ids and tree -------------------------------------------------------------
    def by_id(self, mnt_id: int) -> MountEntry | None:
        return self._by_id.get(mnt_id)

    @property
    def root_fs(self) -> MountEntry | None:
        r"""The root of the tree as libmount's ``mnt_table_get_root_fs`` finds it (what
        findmnt's tree starts from): the entry with the smallest parent id, then up
        while its parent is in the table (stops on a cycle).  ``None`` if empty.

        >>> MountTable.from_bytes(b"21 20 0:1 / /a rw - t s rw\n20 1 0:2 / / rw - t s rw\n").root_fs.mnt_id
        20
        """
        entries = self.entries
        root = root_index([e.mnt_id for e in entries], [e.parent_id for e in entries])
        return None if root is None else entries[root]

    def by_unique_id(self, unique_id: int) -> MountEntry | None:
        return self._by_unique.get(unique_id)

    def parent(self, entry: MountEntry) -> MountEntry | None:
        """The parent mount, or ``None`` if it is not in the table (or is ``entry``)."""
        p = self._by_id.get(entry.parent_id)
        return None if p is None or p is entry else p

    def children(self, entry: MountEntry) -> list[MountEntry]:
        """The mounts whose parent is ``entry``, in table order."""
        if self._by_id.get(entry.mnt_id) is not entry:
            return []
        return list(self._children.get(entry.mnt_id, ()))

    def ancestors(self, entry: MountEntry) -> list[MountEntry]:
        """Parent, grandparent, ... up to a root (stops on a cycle)."""
        out: list[MountEntry] = []
        seen = {id(entry)}
        p = self.parent(entry)
        while p is not None and id(p) not in seen:
            out.append(p)
            seen.add(id(p))
            p = self.parent(p)
        return out

    def walk(self, *, by_id: bool = False) -> Iterator[tuple[int, MountEntry]]:
        """``(depth, entry)`` in tree pre-order from each root (children in table order,
        or by ascending id).  Mounts on a parent cycle (no root) are not reached."""
        for root in self.roots:
            stack = [(0, root)]
            while stack:
                depth, e = stack.pop()
                yield depth, e
                kids = self._children.get(e.mnt_id, ()) if self._by_id.get(e.mnt_id) is e else ()
                if by_id:
                    kids = sorted(kids, key=lambda k: k.mnt_id)
                stack.extend((depth + 1, k) for k in reversed(kids))

    def _reached(self) -> set[int]:
        """``id()`` of every entry :meth:`walk` reaches (without its generator)."""
        reached: set[int] = set()
        children, by_id = self._children, self._by_id
        stack = list(self.roots)
        while stack:
            e = stack.pop()
            reached.add(id(e))
            if by_id.get(e.mnt_id) is e:
                stack.extend(children.get(e.mnt_id, ()))
        return reached

    def _all_reached(self) -> bool:
        """Whether :meth:`walk` reaches every entry (no parent cycle), counted a level of
        the tree at a time.  Without duplicate ids every entry is in one list of
        children, that of its parent, so it is counted at most once."""
        if self.duplicates:
            return len(self._reached()) == len(self.entries)
        ids = list(map(_MNT_ID, self.entries))
        parents = list(map(_PARENT_ID, self.entries))
        up = list(map(ge, parents, ids))  # a parent id not below the mount's own
        if not any(p in self._by_id and p != i for p, i in zip(compress(parents, up), compress(ids, up))):
            return True  # every parent link present goes down in id: no cycle, every way up ends at a root
        get = self._children.get
        count = 0
        level: list[MountEntry] = self.roots
        while level:
            count += len(level)
            if len(level) == 1:  # a chain: one step
                level = get(level[0].mnt_id, [])
            else:
                level = list(chain.from_iterable(map(get, map(_MNT_ID, level), repeat(()))))
        return count == len(self.entries)

    def descendants(self, entry: MountEntry) -> list[MountEntry]:
        """All mounts below ``entry``, pre-order, each once: on a parent cycle (only in
        damaged tables) the walk stops where it comes back, ``entry`` is not listed."""
        out: list[MountEntry] = []
        seen = {id(entry)}
        stack = list(reversed(self.children(entry)))
        children, by_id = self._children, self._by_id
        while stack:
            e = stack.pop()
            if id(e) in seen:
                continue
            seen.add(id(e))
            out.append(e)
            if by_id.get(e.mnt_id) is e:
                stack.extend(reversed(children.get(e.mnt_id, ())))
        return out

    def problems(self) -> list[str]:
        """What makes this table not a well-formed tree: orphans, duplicate ids, cycles, and
        a mount that is its own parent anywhere but at ``/`` (only a namespace's root mount
        is, in what the kernel prints)."""
        out = [f"line {e.lineno}: mount {e.mnt_id} at {e.target_str!r}: parent {e.parent_id} missing"
               for e in self.orphans]
        out += [f"line {e.lineno}: mount id {e.mnt_id} repeated" for e in self.duplicates]
        own_parent = compress(self.entries, map(eq, map(_MNT_ID, self.entries), map(_PARENT_ID, self.entries)))
        out += [f"line {e.lineno}: mount {e.mnt_id} at {e.target_str!r} is its own parent"
                for e in own_parent if e.is_self_parent and e.target != b"/"]
        cycle = []
        if not self._all_reached():
            reached = self._reached()
            cycle = [e for e in self.entries if id(e) not in reached]
        if cycle:
            out.append(f"{len(cycle)} mounts are on a parent cycle (no way up to a root): ids "
                       + ", ".join(str(e.mnt_id) for e in cycle[:10]) + (", ..." if len(cycle) > 10 else ""))
        return out

    # ---- stacks and visibility -----------------------------------------------------
    def is_shadowed(self, entry: MountEntry) -> bool:
        """Another mount sits on top of ``entry`` at the same mount point."""
        return id(entry) in self._shadowed

    @property
    def shadowed(self) -> list[MountEntry]:
        return [e for e in self.entries if id(e) in self._shadowed]

    def stack(self, target: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> list[MountEntry]:
        """The mounts at ``target``, bottom first, following the parent links."""
        path = normalize_target(target)
        here = [e for e in self.entries if e.target == path]
        members = {id(e) for e in here}
        bottoms = [e for e in here if id(self.parent(e)) not in members or self.parent(e) is None]
        out: list[MountEntry] = []
        seen: set[int] = set()  # by identity: O(1), where "in out" compared dataclasses, O(n²)
        for e in bottoms:
            cur: MountEntry | None = e
            while cur is not None and id(cur) not in seen:
                out.append(cur)
                seen.add(id(cur))
                cur = next((c for c in self._children.get(cur.mnt_id, ()) if c.target == path), None)
        return out

    def top(self, target: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> MountEntry | None:
        """The mount at ``target`` that nothing is stacked on (the last one if several)."""
        path = normalize_target(target)
        tops = [e for e in self.entries if e.target == path and id(e) not in self._shadowed]
        return tops[-1] if tops else None

    def is_visible(self, entry: MountEntry) -> bool:
        """Reachable by path: not shadowed, and no ancestor shadowed."""
        return id(entry) in self._visible

    @cached_property
    def _visible(self) -> set[int]:
        self._visible_by_target  # noqa: B018 -- builds both
        visible: set[int] = self.__dict__["_visible"]
        return visible

    @cached_property
    def _visible_by_target(self) -> dict[bytes, MountEntry]:
        visible: set[int] = set()
        by_target: dict[bytes, MountEntry] = {}
        # A shadowed mount hides its children except the ones stacked on it.
        stack = list(reversed(self.roots))
        while stack:
            e = stack.pop()
            kids = self._children.get(e.mnt_id, ()) if self._by_id.get(e.mnt_id) is e else ()
            if id(e) in self._shadowed:
                stack.extend(k for k in reversed(kids) if k.target == e.target)
                continue
            visible.add(id(e))
            by_target[e.target] = e
            stack.extend(reversed(kids))
        self.__dict__["_visible"] = visible
        return by_target

    # ---- lookups ------------------------------------------------------------------
    def mount_of(self, path: str | bytes | os.PathLike[str] | os.PathLike[bytes], *,
                 lexical: bool = False) -> MountEntry | None:
        """The visible mount holding ``path``: the deepest visible mount point that is
        ``path`` or a directory above it, or ``None``.

        Symlinks in ``path`` are resolved first (``os.path.realpath``, in the calling
        process's view), so ``/tmp/link/x`` with ``link -> /mnt/disk`` answers the mount
        on ``/mnt/disk``.  ``lexical=True`` folds ``.``/``..`` only, for tables of
        another namespace or a saved file, where this process's symlinks mean nothing.
        """
        where = normalize_target(path)  # refuses a relative path
        if not lexical and b"\0" not in where:  # with a NUL it names no file: nothing to resolve
            where = normalize_target(os.path.realpath(where))
        return _deepest(where, self._visible_by_target, self._visible_lengths)

    @cached_property
    def _visible_lengths(self) -> set[int]:
        return set(map(len, self._visible_by_target))

    def is_mountpoint(self, path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bool:
        """``path`` is the mount point of a visible mount, according to this table."""
        return normalize_target(path) in self._visible_by_target

    def find_target(self, path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> list[MountEntry]:
        """All mounts at exactly ``path`` (stacked ones included), table order."""
        p = normalize_target(path)
        return [e for e in self.entries if e.target == p]

    def find_source(self, source: str | bytes) -> list[MountEntry]:
        """Mounts whose source is ``source``; ``"major:minor"`` matches the device."""
        raw = os.fsencode(source)
        m = _DEVNO.match(raw)
        if m:
            major, minor = int(m[1]), int(m[2])
            return [e for e in self.entries if (e.major, e.minor) == (major, minor)]
        return [e for e in self.entries if e.source == raw]

    def find_fstype(self, pattern: str | bytes) -> list[MountEntry]:
        """Mounts matching a findmnt ``-t`` list (``"tmpfs,proc"``, ``"nonfs,cifs"``)."""
        return [e for e in self.entries if match_fstype(e.fstype, pattern)]

    def find_options(self, pattern: str | bytes) -> list[MountEntry]:
        """Mounts matching a findmnt ``-O`` list (``"ro,nosuid"``, ``"noexec"`` = not
        exec... see :func:`match_options`)."""
        return [e for e in self.entries if match_options(e.options, pattern)]

    def find_devno(self, major: int, minor: int) -> list[MountEntry]:
        return [e for e in self.entries if (e.major, e.minor) == (major, minor)]


def _rebuild(entries: tuple[MountEntry, ...], errors: tuple[FormatError, ...]) -> MountTable:
    return MountTable(entries, errors=errors)
