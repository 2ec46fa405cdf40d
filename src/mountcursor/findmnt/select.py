"""findmnt's selection over a table stored column by column (:class:`~.rows.Rows`).

    sel = select(rows, Query(types="tmpfs", target="/mnt"), want_tree=False)
    sel.order, sel.depths, sel.tree, sel.found     # rows in print order, and how

Follows ``misc-utils/findmnt.c`` of util-linux 2.38.1 (``match_func``, ``add_matching_lines``,
``create_treenode``) and libmount (``mnt_fs_match_target``, ``mnt_fs_match_source``,
``mnt_table_find_mountpoint``, ``mnt_table_uniq_fs``), read for behaviour, written anew:

* a mount matches when it passes every filter given: ``-t`` types, ``-O`` options,
  ``MAJ:MIN``, ``--id``, target, source; then ``--df`` keeps tmpfs and drops pseudo
  filesystems (unless ``--all``), ``--real``, ``--pseudo``, ``--shadowed``;
  ``--invert`` inverts the whole match;
* each filter is computed for a whole column at once, and once per distinct value where
  it depends on one field (a type, an option string, a source): a 100,000-mount table
  of one type costs one call of the matcher.  Paths are canonicalized once per query;
* a target matches a mount point equal to it or to its canonical path (an fstab line's
  canonical mount point too); with ``-T`` (not ``-M``), when nothing matches, the mount
  holding the path is found by walking up its canonical path, and every mount at that
  mount point is shown;
* a single positional argument is a source first and, if no source matches, a target;
* a source, target or ``--first-only`` without ``--submounts`` gives a list;
  ``--submounts`` gives each match with every mount below it, children by id;
* ``--uniq`` keeps the last mount of each mount point and hangs the children of the
  others on their parents (``MNT_UNIQ_KEEPTREE``).

The library's :func:`mountcursor.live.query.select` answers the same questions on a
:class:`~mountcursor.live.table.MountTable`; the tests hold the two together.
"""

from __future__ import annotations

import os
from itertools import compress

from .rows import Rows

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["Query", "Selection", "select", "uniq", "mount_point_keys", "narrowed_in_vain", "by_slices", "source_keys"]


class Query:
    """A findmnt command line's filters (``None``/``False``: not given)."""

    __slots__ = ("types", "options", "source", "target", "positional_source", "strict_target", "first_only",
                 "submounts", "df", "all", "real", "pseudo", "shadowed", "invert", "nocanonicalize", "ids",
                 "unique_ids", "backward")

    def __init__(self, *, types: str | None = None, options: str | None = None, source: str | None = None,
                 target: str | None = None, positional_source: bool = False, strict_target: bool = False,
                 first_only: bool = False, submounts: bool = False, df: bool = False, all: bool = False,
                 real: bool = False, pseudo: bool = False, shadowed: bool = False, invert: bool = False,
                 nocanonicalize: bool = False, ids: tuple[int, ...] = (), unique_ids: tuple[int, ...] = (),
                 backward: bool = False) -> None:
        self.types = types
        self.options = options
        self.source = source
        self.target = target
        self.positional_source = positional_source
        self.strict_target = strict_target
        self.first_only = first_only
        self.submounts = submounts
        self.df = df
        self.all = all
        self.real = real
        self.pseudo = pseudo
        self.shadowed = shadowed
        self.invert = invert
        self.nocanonicalize = nocanonicalize
        self.ids = ids
        self.unique_ids = unique_ids
        self.backward = backward

    def but(self, **changes: object) -> Query:
        """A copy with ``changes``."""
        out = Query()
        for name in self.__slots__:
            setattr(out, name, changes.get(name, getattr(self, name)))
        return out

    def lists_all(self) -> bool:
        """No filter that picks mounts (findmnt's ``_listall``)."""
        if (self.df or self.real or self.pseudo) and not self.all:
            return False
        return (self.source is None and self.target is None and self.types is None and self.options is None
                and not self.shadowed and not self.ids and not self.unique_ids)


class Selection:
    """What to print: ``order`` (row indices in print order), ``depths`` (each one's
    depth in a tree, else None), ``tree`` (drawn as a tree) and ``found`` (findmnt
    would call it a match: the exit status)."""

    __slots__ = ("order", "depths", "tree", "found", "every")

    def __init__(self, order: list[int], depths: list[int] | None, tree: bool, found: bool,
                 every: bool = False) -> None:
        self.order = order
        self.depths = depths
        self.tree = tree
        self.found = found
        self.every = every
        """``order`` is known to be every row in table order (then ``rows`` are the rows shown)."""

    def shown(self, rows: Rows) -> Rows:
        """The rows of ``rows`` this selection prints, in print order."""
        return rows if self.every else rows.take(self.order)


# ---- the filters, a column at a time ------------------------------------------------------


def _per_value(column: list[bytes], test: Callable[[bytes], bool]) -> list[bool]:
    """``test`` of each cell, called once per distinct value."""
    answers = {value: test(value) for value in set(column)}
    return list(map(answers.__getitem__, column))


def _devno(spec: str) -> bytes | None:
    """``MAJ:MIN`` as a kernel table prints it, when ``spec`` is one (findmnt's
    ``sscanf("%u:%u")``, as :func:`mountcursor.live.query.select` reads it), else None."""
    # the start of spec matches \s*[+-]?\d+:[+-]?\d (read without re: a tenth of -S's start)
    head, colon, tail = spec.lstrip().partition(":")
    digits = head[1:] if head[:1] in "+-" else head
    if not colon or not digits.isdecimal() or not (tail[1:] if tail[:1] in "+-" else tail)[:1].isdecimal():
        return None
    major, _, minor = spec.strip().partition(":")
    try:
        return b"%d:%d" % (int(major), int(minor.split()[0] if minor.split() else minor))
    except ValueError:
        return None


class _Filters:
    """The filters of a query, each a column of booleans (computed on first use)."""

    def __init__(self, rows: Rows, q: Query, kernel: bool) -> None:
        self.rows = rows
        self.q = q
        self.kernel = kernel
        self._canonical: dict[bytes, bytes | None] = {}

    def canonical(self, path: bytes) -> bytes | None:
        """``canonicalize(path)``, once per path for the whole query."""
        if path not in self._canonical:
            from ..live.devices import canonicalize

            self._canonical[path] = canonicalize(path)
        return self._canonical[path]

    def match(self) -> list[bool]:
        """findmnt's ``match_func`` of every row (before ``--invert``)."""
        rows, q, n = self.rows, self.q, len(self.rows)
        tests: list[list[bool]] = []
        if q.types is not None:
            from ..live.fstypes import match_fstype

            pattern = q.types
            tests.append(_per_value(rows.fstypes, lambda t: match_fstype(t, pattern)))
        if q.options is not None:
            from ..live.optstr import match_options

            wanted = q.options
            tests.append(_per_value(rows.options(), lambda have: bool(have) and match_options(have, wanted)))
        devno = _devno(q.source) if q.source is not None else None
        if devno is not None:
            tests.append([self.kernel and d == devno for d in rows.devnos])
        if q.ids:
            ids = set(q.ids)
            tests.append([i in ids for i in rows.ids])
        if q.unique_ids:
            uids = set(q.unique_ids)
            entries = rows.entries
            tests.append([False] * n if entries is None else [e.unique_id in uids for e in entries])
        if q.target is not None:
            tests.append(self.target(os.fsencode(q.target)))
        if q.source is not None and devno is None:
            tests.append(self.source(os.fsencode(q.source)))
        if not tests:
            hit = [True] * n
        elif len(tests) == 1:
            hit = tests[0]
        else:
            hit = list(map(all, zip(*tests)))
        if q.df and not q.all:
            from ..live.devices import is_pseudofs

            tmpfs = _per_value(rows.fstypes, lambda t: b"tmpfs" in t)
            pseudo = _per_value(rows.fstypes, is_pseudofs)
            late = self.late()
            return [h and (t or (not p and lt)) for h, t, p, lt in zip(hit, tmpfs, pseudo, late)]
        late = self.late()
        return [h and lt for h, lt in zip(hit, late)]

    def late(self) -> list[bool]:
        """``--real``, ``--pseudo`` and ``--shadowed`` (after ``--df``'s tmpfs rule)."""
        rows, q = self.rows, self.q
        out = [True] * len(rows)
        if q.real or q.pseudo:
            from ..live.devices import is_pseudofs

            pseudo = _per_value(rows.fstypes, is_pseudofs)
            if q.real:
                out = [o and not p for o, p in zip(out, pseudo)]
            if q.pseudo:
                out = [o and p for o, p in zip(out, pseudo)]
        if q.shadowed:
            out = [o and s for o, s in zip(out, self.shadowed())]
        return out

    def shadowed(self) -> list[bool]:
        """Another mount sits on top of the row at the same mount point (its child with
        the same target; only in a kernel table)."""
        rows = self.rows
        if not self.kernel:
            return [False] * len(rows)
        first: dict[int, int] = {}
        for i, mnt_id in enumerate(rows.ids):
            first.setdefault(mnt_id, i)
        under: set[int] = set()
        for i, (parent_id, target) in enumerate(zip(rows.parents, rows.targets)):
            p = first.get(parent_id)
            if p is not None and p != i and rows.targets[p] == target:
                under.add(p)
        return [i in under for i in range(len(rows))]

    def target(self, path: bytes) -> list[bool]:
        """libmount ``mnt_fs_match_target`` of every row: the mount point equal to
        ``path`` as a path, or (unless ``-C``) to its canonical form; for an fstab line
        also its own canonical mount point."""
        from ..live.devices import path_key as _parts  # a path as streq_paths compares it

        rows = self.rows
        wanted = {_parts(path)}
        cn = None if self.q.nocanonicalize else self.canonical(path)
        if cn is not None:
            wanted.add(_parts(cn))
        targets = rows.targets
        out = [False] * len(targets)
        for last in {parts[-1] if parts else b"/" for parts in wanted}:  # a cheap test first
            for i in compress(range(len(targets)), [last in t for t in targets]):
                out[i] = out[i] or _parts(targets[i]) in wanted
        if cn is not None and not self.kernel:
            out = [o or self.canonical(t) == cn for o, t in zip(out, rows.targets)]
        return out

    def source(self, spec: bytes) -> list[bool]:
        """libmount ``mnt_fs_match_source`` of every row, once per distinct (source,
        type) pair, the query resolved once.  A pseudo filesystem's source matches only
        as written (:func:`~mountcursor.live.devices.source_matches`' first test), so
        those rows are told at C speed, however many distinct sources they have (a
        container host's 100,000 tmpfs and overlay mounts)."""
        from ..format.escaping import c_string
        from ..live.devices import is_pseudofs, resolve_spec, source_matches

        rows = self.rows
        canonical = not self.q.nocanonicalize
        found: list[bytes | None] = []

        def resolved() -> bytes | None:  # the query's device or canonical path, once (a tag: a libblkid call)
            if not found:
                found.append(resolve_spec(spec))
            return found[0]

        sources, fstypes = rows.sources, rows.fstypes
        types = set(fstypes)
        pseudo = {t for t in types if is_pseudofs(c_string(t))}
        if pseudo and b"\0" in b"".join(sources):  # an escaped NUL: each row its own way
            pseudo = set()
        if not pseudo:
            out = [False] * len(fstypes)
            rest: Sequence[int] = range(len(fstypes))
        elif pseudo == types:
            return [source == spec for source in sources]
        else:
            out = [t in pseudo and source == spec for source, t in zip(sources, fstypes)]
            rest = [i for i, t in enumerate(fstypes) if t not in pseudo]
        keys = [(sources[i], fstypes[i]) for i in rest]
        answers = {key: source_matches(key[0], key[1], spec, canonical=canonical, resolved=resolved)
                   for key in set(keys)}
        for i, key in zip(rest, keys):
            out[i] = answers[key]
        return out


# ---- the selection ------------------------------------------------------------------------


def select(rows: Rows, q: Query, want_tree: bool = True, kernel_tab: bool = True,
           force_tree: bool = False) -> Selection:
    """The rows ``findmnt`` (``want_tree``) or ``findmnt -l`` shows for ``q``.
    ``kernel_tab`` is false for ``--fstab`` (``-T`` does not look up the mount holding a
    path); ``force_tree`` is ``--tree``: a tree whenever the table is one."""
    kind = rows.kind
    if q.source is not None and q.positional_source and q.target is None:
        from ..live.devices import parse_tag

        if parse_tag(os.fsencode(q.source)):
            q = q.but(positional_source=False)  # a tag cannot be a target
    submounts = q.submounts and not q.lists_all()
    as_tree = want_tree and kind == "mountinfo" and len(rows) > 0
    if not submounts and (q.first_only or q.source is not None or q.target is not None):
        as_tree = False
    if q.df:
        as_tree = False
    if force_tree and kind == "mountinfo" and len(rows):
        as_tree = True
    if as_tree and not submounts:
        from ..live.treeorder import preorder

        trivial = q.lists_all() and not (q.invert or q.real or q.pseudo or q.df)
        keep = None
        if not trivial:
            hit = _Filters(rows, q, True).match()
            keep = [h != q.invert for h in hit].__getitem__
        order, depths = preorder(rows.ids, rows.parents, keep)
        return Selection(order, depths, True, True)
    hits = _matching(rows, q, kind)
    if not hits and q.target is not None and not q.strict_target and kernel_tab and not q.positional_source:
        raw = os.fsencode(q.target)
        if q.nocanonicalize:
            holder = find_mountpoint(rows, raw)
        else:
            from ..live.devices import canonicalize

            holder = find_mountpoint(rows, canonicalize(raw) or b"")
        from ..live.devices import path_key as _parts

        if holder is not None and _parts(rows.targets[holder]) != _parts(raw):
            hits = _matching(rows, q.but(target=os.fsdecode(rows.targets[holder])), kind)
    if not submounts:
        # a list's rows come in table order, or all reversed: as many as the table's, in
        # table order when the first two are, are every row
        every = len(hits) == len(rows) and (len(hits) < 2 or hits[0] < hits[1])
        return Selection(hits, None, False, bool(hits), every)
    order, depths = _subtrees(rows, hits)
    return Selection(order, depths, as_tree, bool(order))


def _matching(rows: Rows, q: Query, kind: str) -> list[int]:
    """The matching rows in table order (``--direction backward``: reversed), the first
    only with ``--first-only``; a positional argument that matched as no source is
    tried as a target."""
    n = len(rows)
    if not q.lists_all() or q.invert:
        hit = _Filters(rows, q, kind == "mountinfo").match()
        hits = [i for i, h in enumerate(hit) if h != q.invert]
        if not hits and q.positional_source and q.target is None and q.source is not None \
                and _devno(q.source) is None:
            swapped = q.but(target=q.source, source=None, positional_source=False)
            hit = _Filters(rows, swapped, kind == "mountinfo").match()
            hits = [i for i, h in enumerate(hit) if h != q.invert]
    else:
        hits = list(range(n))
    if q.backward:
        hits.reverse()
    if q.first_only:
        hits = hits[:1]
    return hits


def find_mountpoint(rows: Rows, path: bytes) -> int | None:
    """libmount ``mnt_table_find_mountpoint``: the last row (table order) at the deepest
    mount point that is ``path`` or above it; None if ``path`` does not exist."""
    from ..live.devices import path_key as _parts  # a path as streq_paths compares it

    try:
        os.stat(path)
    except (OSError, ValueError):
        return None
    parts = _parts(path)
    prefixes = {parts[:n] for n in range(len(parts) + 1)}
    last: dict[tuple[bytes, ...], int] = {}
    for i, target in enumerate(rows.targets):
        key = _parts(target)
        if key in prefixes:
            last[key] = i
    for n in range(len(parts), -1, -1):
        hit = last.get(parts[:n])
        if hit is not None:
            return hit
    return None


def _subtrees(rows: Rows, hits: list[int]) -> tuple[list[int], list[int]]:
    """Each hit with every row below it, each row once (a parent cycle cannot loop): the
    rows in print order and their depths.  A row's children are the rows whose parent
    is its id, as libmount's ``mnt_table_next_child_fs()`` finds them: in ascending id
    order, each id once (its first row), a mount that is its own parent not its own child;
    so two rows with one id (several ``-F`` files) have the same children."""
    children: dict[int, list[int]] = {}  # a parent id: its children's rows
    counted: set[tuple[int, int]] = set()
    for i, (mnt_id, parent_id) in enumerate(zip(rows.ids, rows.parents)):
        if parent_id != mnt_id and (parent_id, mnt_id) not in counted:
            counted.add((parent_id, mnt_id))
            children.setdefault(parent_id, []).append(i)
    shown: set[int] = set()
    order: list[int] = []
    depths: list[int] = []
    for start in hits:
        if start in shown:
            continue
        shown.add(start)
        stack = [(start, 0)]
        while stack:
            i, depth = stack.pop()
            order.append(i)
            depths.append(depth)
            kids = [k for k in sorted(children.get(rows.ids[i], ()), key=rows.ids.__getitem__) if k not in shown]
            shown.update(kids)
            stack.extend((k, depth + 1) for k in reversed(kids))
    return order, depths


def uniq(rows: Rows) -> Rows:
    """``--uniq``: the last row of each mount point (table order); a kernel table's
    children of a dropped row move to its parent (``MNT_UNIQ_KEEPTREE``)."""
    from ..live.devices import path_key as _parts  # a path as streq_paths compares it

    keys = [_parts(t) for t in rows.targets]
    last = {key: i for i, key in enumerate(keys)}
    keep = [last[key] == i for i, key in enumerate(keys)]
    out = rows.take(list(compress(range(len(rows)), keep)))
    if rows.kind != "mountinfo":
        return out
    dropped = {rows.ids[i]: rows.parents[i] for i in range(len(rows)) if not keep[i]}
    parents = []
    for mnt_id, parent in zip(out.ids, out.parents):
        seen = set()
        while parent in dropped and parent not in seen:
            seen.add(parent)
            parent = dropped[parent]
        parents.append(parent)
    if parents != out.parents:
        out.parents = parents
        if out.entries is not None:
            import dataclasses

            out.entries = [e if e.parent_id == p else dataclasses.replace(e, parent_id=p)
                           for e, p in zip(out.entries, parents)]
        out._built = {}
    return out


# ---- a selection that needs only the rows at a few mount points -----------------------------


def mount_point_keys(q: Query, force_tree: bool) -> list[bytes] | None:
    """The mount points whose rows alone decide a ``-T``/``-M`` selection, or None when
    the selection needs the whole table (a tree, submounts, an inverted match, a
    positional argument that may be a source, ``--uniq``/``--shadowed``...).

    They are the target as written and (unless ``-C``) as canonicalized, and for ``-T``
    every directory above that (where the mount holding the path is looked for), but
    ``/``: the root's rows are not found by their mount point alone (see
    :func:`narrowed_in_vain`).  The rows whose mount point is one of them are the rows
    :func:`select` can pick or look at; every other filter is a test of the row itself."""
    if q.target is None or q.invert or q.positional_source or q.submounts or q.shadowed or force_tree:
        return None
    from ..live.devices import path_key as _parts  # a path as streq_paths compares it

    raw = os.fsencode(q.target)
    paths = [_parts(raw)]
    if not q.nocanonicalize:
        from ..live.devices import canonicalize

        cn = canonicalize(raw)
        if cn is not None:
            paths.append(_parts(cn))
    keys: list[tuple[bytes, ...]] = []
    for parts in paths:
        for n in range(len(parts), 0, -1) if not q.strict_target else (len(parts),):
            if parts[:n] and parts[:n] not in keys:
                keys.append(parts[:n])
    if not keys:
        return None  # "/" itself
    return [b"/" + b"/".join(parts) for parts in keys]


def narrowed_in_vain(rows: Rows, sel: Selection) -> bool:
    """Whether a selection made on the rows at :func:`mount_point_keys` must be made
    again on the whole table: it found nothing (the whole table says why, and with what
    status), or it picked a row at ``/`` (whose stack the narrowed rows may not hold)."""
    return not sel.found or any(rows.targets[i] == b"/" for i in sel.order)


# ---- a selection made a slice of the table at a time ------------------------------------------


def by_slices(q: Query, want_tree: bool, force_tree: bool) -> bool:
    """Whether :func:`select` of a kernel table is the selections of its slices (whole
    lines, in table order) one after the other: a list (no tree, no submounts) whose
    every row is picked for what it holds alone.  Not with ``-T`` (the mount holding a
    path is looked up in the whole table), ``--shadowed`` (a row's children), a
    positional argument (a source, else a target: known once the whole table is
    read) or ``--uniq-id`` (only the parser's entries have unique ids).  ``--first-only``
    stops at the first slice with a row picked; ``--direction backward`` takes the
    slices last first."""
    if force_tree or q.shadowed or q.positional_source or q.unique_ids:
        return False
    if q.target is not None and not q.strict_target:
        return False
    if q.submounts and not q.lists_all():
        return False
    return not want_tree or q.first_only or q.source is not None or q.target is not None or q.df


def source_keys(q: Query) -> list[bytes] | None:
    """Bytes that every line of a kernel table a ``-S`` selection (made by slices,
    :func:`by_slices`) can pick holds, or None when any line may be picked.

    A mount matches a ``MAJ:MIN`` by its device (printed between two blanks), else its
    source matches (:func:`mountcursor.live.devices.source_matches`) as written, equal
    or equal as a path, so it holds the last component of the source asked for; or by
    the canonical forms, which match other sources too: only when ``-C`` is not given
    and the source resolves (a tag to a device, a path through the file system: a path
    that names nothing is compared as it is).  A component the kernel escapes in a
    source (a blank, a backslash, ``#``) is not looked for."""
    if q.source is None or q.invert or q.positional_source:
        return None
    from ..live.devices import path_key as _parts  # a path as streq_paths compares it

    devno = _devno(q.source)
    if devno is not None:
        return [b" " + devno + b" "]
    spec = os.fsencode(q.source)
    parts = _parts(spec)
    if not parts or any(ch in parts[-1] for ch in (b" ", b"\t", b"\n", b"\\", b"#")):
        return None
    if not q.nocanonicalize:
        from ..live.devices import parse_tag, resolve_tag

        tag = parse_tag(spec)
        if tag is not None:
            if resolve_tag(tag[0], tag[1]) is not None:
                return None
        elif os.path.lexists(spec) or spec.startswith(b"/dev/mapper/"):  # a dm device's other name
            return None
    return [parts[-1]]
