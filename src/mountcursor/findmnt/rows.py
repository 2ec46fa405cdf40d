"""A mount table stored column by column: what the findmnt engine selects from and prints.

    rows = Rows.from_mountinfo(data)      # the split lines of a kernel-shaped table, or None
    rows = Rows.from_entries(entries, "fstab")
    rows.targets[i], rows.entry(i)        # a column's cell; one mount as an object

A table read from mountinfo is split into its fields a slice of about 64 KiB at a time
(:func:`line_slices`: what a slice makes and drops is freed before the next, so the
memory is used again instead of the kernel faulting in fresh pages), and kept as one
list per field: no :class:`~mountcursor.live.entry.MountEntry` is built for a row unless a
matcher or a column needs one (:meth:`Rows.entry`).  Every line must have the shape
``show_mountinfo()`` prints (fs/proc_namespace.c, Linux 3.10 to 6.18): the six fields,
the optional ``shared:N``/``master:N``/``propagate_from:N``/``unbindable`` fields in
that order, ``-``, and exactly three fields after it; a table with any other line is
parsed by the tolerant parser (:func:`mountcursor.live.parse.parse_mountinfo`) and
given as entries (:meth:`Rows.from_entries`), so that the same rows come out of both
(the tests compare them).

Names (root, mount point, type, source) are unescaped (``\\040`` is a space); options
are kept as printed, as the parser keeps them.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from ..live.entry import MountEntry

__all__ = ["Rows", "line_slices", "tag_facts", "lines_at", "lines_holding", "kernel_shaped", "printed_target"]

_SLICE = 1 << 16  # bytes of a table split at a time (about 900 lines): what one slice makes is
# freed before the next is split, so its memory is used again (a page the process touches
# first costs the kernel a fault)
_MAX_DIGITS = 20
_KNOWN_TAGS = (b"shared", b"master", b"propagate_from")


def _numbers(column: list[bytes], joined: bytes) -> bool:
    """Every token (a field of lines split on blanks: none holds a blank) decimal
    digits, one to 20 of them, checked at C speed: none is empty, and the tokens joined
    by blanks (``joined``), each digit read as a 0, hold nothing but 0s and blanks and
    no run of 21 digits."""
    zeros = joined.translate(_DIGITS_AS_0)
    return all(column) and not zeros.translate(None, b"0 ") and _TOO_LONG not in zeros


def _devnos(column: list[bytes]) -> bool:
    """Every token (as in :func:`_numbers`) ``MAJOR:MINOR``, each one to 20 decimal
    digits, checked the same way: without the digits each token is one colon, which a
    digit comes before and after in each (``0:0`` once a token)."""
    zeros = b" ".join(column).translate(_DIGITS_AS_0)
    return zeros.translate(None, b"0") == b": " * (len(column) - 1) + b":" and zeros.count(b"0:0") == len(column) \
        and _TOO_LONG not in zeros


_PLAIN_BYTES = bytes(sorted(set(range(0x20, 0x7F)).difference(b'\\"$`'))) + b"\n"
"""The bytes of a table whose fields need no escape in any format (the blank separates them)."""
_DIGITS_AS_0 = bytes.maketrans(b"0123456789", b"0" * 10)
_TOO_LONG = b"0" * (_MAX_DIGITS + 1)


def lines_at(data: bytes, mount_points: list[bytes]) -> bytes:
    """The lines of a mountinfo table that may have one of ``mount_points`` as their
    mount point: those holding it, escaped as the kernel escapes it, between two spaces
    (found by searching the bytes, not by splitting every line).  A line found for
    another field's sake does no harm: the selection reads its mount point."""
    from ..format.escaping import escape_path

    return lines_holding(data, [b" " + escape_path(path) + b" " for path in mount_points])


def lines_holding(data: bytes, keys: list[bytes]) -> bytes:
    """The lines of ``data`` (each ended by a newline) that hold one of ``keys`` (none
    holds a newline), in table order, each once.  Searched from the end (``rfind`` is
    two to four times faster than ``find`` here: a table is full of the digits a key
    ends with), a line at a time."""
    starts: set[int] = set()
    for key in keys:
        at = data.rfind(key)
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            starts.add(start)
            at = data.rfind(key, 0, start)
    out = []
    for start in sorted(starts):
        end = data.find(b"\n", start)
        out.append(data[start:] if end < 0 else data[start:end + 1])
    return b"".join(out)


def line_slices(data: bytes, size: int = _SLICE) -> Iterator[bytes]:
    """``data`` a piece of whole lines (each ended by a newline) at a time, each piece
    about ``size`` bytes or one line."""
    start = 0
    while start < len(data):
        stop = data.find(b"\n", start + size) + 1 or len(data)
        yield data[start:stop]
        start = stop


def _fields(piece: bytes) -> list[list[bytes]] | None:
    """The fields of the lines of ``piece`` (whole lines, each ended by a newline),
    column by column: ids, parents, devices, roots, mount points, mount options, the
    optional fields (joined by a blank as printed, ``b""`` for none), types, sources,
    super-block options; None when a line has no ``-`` with three fields after it, or
    an empty optional field.  Nothing else is checked here.

    When every line has the same number of fields (the kernel prints as many optional
    fields on most lines of a table), the whole piece is split at once and each column
    is a slice of that (at C speed); else each line is split on its own."""
    spaced = piece.replace(b"\n", b" \n ")
    n = (len(spaced) - len(piece)) >> 1  # the lines (two bytes more each): cheaper than counting them
    flat = spaced.split(b" ")  # each line's fields, then a b"\n" of its own
    del spaced
    flat.pop()  # what follows the last newline: b""
    stride, rest = divmod(len(flat), n)
    if not rest and stride >= 11 and flat[stride - 1::stride].count(b"\n") == n \
            and flat[stride - 5::stride].count(b"-") == n:
        # every line has stride - 1 fields, the "-" fifth from its end (the b"\n"
        # tokens, as many as the lines, are all where each line's own is)
        if stride == 11:
            line_tags = [b""] * n
        else:
            optional = [flat[k::stride] for k in range(6, stride - 5)]
            if any(b"" in column for column in optional):
                return None
            line_tags = optional[0] if len(optional) == 1 else list(map(b" ".join, zip(*optional)))
        return [flat[k::stride] for k in range(6)] + [line_tags] + [flat[k::stride] for k in range(stride - 4,
                                                                                                   stride - 1)]
    del flat
    lines = piece.split(b"\n")
    lines.pop()
    split = [line.split(b" ") for line in lines]
    line_tags = []
    for r in split:
        k = len(r)
        if k == 10 and r[6] == b"-":
            line_tags.append(b"")
            continue
        if k < 10 or r[k - 4] != b"-" or b"" in r[6:k - 4]:
            return None
        line_tags.append(b" ".join(r[6:k - 4]))
        del r[6:k - 4]
    return [[r[k] for r in split] for k in range(6)] + [line_tags] + [[r[k] for r in split] for k in range(7, 10)]


def _may_split(data: bytes) -> bool:
    """What :meth:`Rows.from_mountinfo` asks of a whole table before its lines: every
    line ended, the first not empty (an empty line further on has too few fields for
    :func:`_fields`), no tab (which libmount takes for a blank)."""
    return data.endswith(b"\n") and not data.startswith(b"\n") and b"\t" not in data


def _checked(piece: bytes, known_tags: dict[bytes, bool], kernel_printed: bool = False) -> list[list[bytes]] | None:
    """The fields of a slice of a table (:func:`_fields`) whose every line has the
    kernel's shape: ids and parents in decimal, devices ``MAJOR:MINOR`` (not checked
    again where ``kernel_printed``: see :meth:`Rows.from_mountinfo`), optional fields
    that ``show_mountinfo()`` prints (``known_tags`` keeps what each one seen said), or
    None.  The checks of :meth:`Rows.from_mountinfo` and :func:`kernel_shaped`."""
    fields = _fields(piece)
    if fields is None or not kernel_printed and _joined_numbers(fields) is None:
        return None
    return fields if _tags_known(fields[6], known_tags) else None


def _joined_numbers(fields: list[list[bytes]]) -> tuple[bytes, bytes] | None:
    """The ids and the parents of a slice's fields, each joined by blanks, when the
    numbers have the kernel's shape (a column at a time: ids and parents in decimal,
    devices ``MAJOR:MINOR``); else None."""
    ids, parents = b" ".join(fields[0]), b" ".join(fields[1])
    if _numbers(fields[0], ids) and _numbers(fields[1], parents) and _devnos(fields[2]):
        return ids, parents
    return None


def _tags_known(line_tags: list[bytes], known_tags: dict[bytes, bool]) -> bool:
    """Whether each line's optional fields are what ``show_mountinfo()`` prints
    (:func:`tag_facts`); ``known_tags`` keeps what each one seen said."""
    if line_tags[-1] or line_tags.count(b"") != len(line_tags):  # some line has optional fields
        for tag in set(line_tags).difference(known_tags):
            known_tags[tag] = tag_facts(tag) is not None
            if not known_tags[tag]:
                return False
    return True


def kernel_shaped(data: bytes, each: Callable[[bytes, list[list[bytes]], bytes, bytes], None]) -> bool:
    """Whether :meth:`Rows.from_mountinfo` splits a mountinfo table (the same checks as
    :func:`_checked`), without making its columns; ``each`` is given each slice that
    passes, its fields as printed (:func:`_fields`), and its ids and its parents each
    joined by blanks (made for the checks): what a saved table's ``-T``/``-M``/``-S``
    needs of the lines it does not print, to know that the table is sound
    (:func:`printed_target` gives a line's mount point again)."""
    if not _may_split(data):
        return False
    known_tags: dict[bytes, bool] = {b"": True}
    for piece in line_slices(data):
        fields = _fields(piece)
        joined = None if fields is None else _joined_numbers(fields)
        if fields is None or joined is None or not _tags_known(fields[6], known_tags):
            return False
        each(piece, fields, *joined)
    return True


def printed_target(data: bytes, row: int) -> bytes:
    """The mount point of line ``row`` (from 0) of a table split by
    :meth:`Rows.from_mountinfo` (or checked by :func:`kernel_shaped`), as printed."""
    for piece in line_slices(data):
        lines = piece.count(b"\n")
        if row < lines:
            fields = _fields(piece)
            assert fields is not None
            return fields[4][row]
        row -= lines
    raise IndexError(row)


def tag_facts(tags: bytes) -> tuple[str, bytes] | None:
    """findmnt's PROPAGATION and OPT-FIELDS of a line's optional fields as printed
    (``b"shared:1 master:2"``), or None when they are not what ``show_mountinfo()``
    prints (a tag it does not know, out of order, repeated).

    The same words as :attr:`MountEntry.propagation` and :attr:`MountEntry.opt_fields`
    of the parsed line (the tests hold the two together)."""
    if not tags:
        return "private", b""
    shared = master = unbindable = False
    rank = 0
    for tag in tags.split(b" "):
        if tag == b"unbindable":
            if rank >= 4:
                return None
            rank, unbindable = 4, True
            continue
        name, colon, value = tag.partition(b":")
        if not (colon and value.isdigit() and len(value) <= _MAX_DIGITS) or name not in _KNOWN_TAGS:
            return None
        order = _KNOWN_TAGS.index(name) + 1
        if order <= rank:
            return None
        rank = order
        shared = shared or order == 1
        master = master or order == 2
    text = "shared" if shared else "private"
    if master:
        text += ",slave"
    if unbindable:
        text += ",unbindable"
    return text, tags


class Rows:
    """A table column by column.  ``kind`` is ``"mountinfo"`` (a kernel table) or
    ``"fstab"`` (``/etc/fstab``, ``/proc/<pid>/mounts`` and other fstab-format files).

    Each attribute is a list with a cell per row, in table order: ``ids``, ``parents``
    (ints, 0 where the format has none), ``devnos`` (``b"8:1"``), ``roots``,
    ``targets``, ``fstypes``, ``sources`` (unescaped bytes), ``vfs``, ``fs`` (option
    strings as printed), ``tags`` (the optional fields as printed, ``b""`` for none)
    and ``propagations`` (findmnt's PROPAGATION; None for an fstab line); ``tids``, the
    task whose table the row came from (findmnt's TID), is set by the reader
    (:meth:`with_tid`).  ``entries`` holds the entries the
    rows were made from, if any (fstab lines, listmount, utab-merged tables)."""

    __slots__ = ("kind", "_ids", "_parents", "devnos", "roots", "targets", "vfs", "tags", "fstypes", "sources", "fs",
                 "_propagations", "tids", "entries", "_options", "_built", "_raw_ids", "_raw_parents", "_split_from",
                 "_plain")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._ids: list[int] | None = []
        self._parents: list[int] | None = []
        self._raw_ids: list[bytes] = []  # a split table's ids as printed, made ints on first use
        self._raw_parents: list[bytes] = []
        self.devnos: list[bytes] = []
        self.roots: list[bytes] = []
        self.targets: list[bytes] = []
        self.vfs: list[bytes] = []
        self.tags: list[bytes] = []
        self.fstypes: list[bytes] = []
        self.sources: list[bytes] = []
        self.fs: list[bytes] = []
        self._propagations: list[str | None] | None = []
        self.tids: list[int | None] = []
        self.entries: list[MountEntry] | None = None
        self._options: list[bytes] | None = None
        self._built: dict[int, MountEntry] = {}
        self._split_from: bytes | None = None  # the mountinfo lines the rows were split from
        self._plain: bool | None = None

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def ids(self) -> list[int]:
        """Each row's mount id (0 for an fstab line)."""
        if self._ids is None:
            self._ids = list(map(int, self._raw_ids))
        return self._ids

    @ids.setter
    def ids(self, value: list[int]) -> None:
        self._ids = value

    @property
    def parents(self) -> list[int]:
        """Each row's parent mount id (0 for an fstab line)."""
        if self._parents is None:
            self._parents = list(map(int, self._raw_parents))
        return self._parents

    @parents.setter
    def parents(self, value: list[int]) -> None:
        self._parents = value

    @property
    def printed_ids(self) -> list[bytes]:
        """Each row's mount id as printed, of rows split from mountinfo (empty for rows
        made from entries); :attr:`ids` makes them ints on first use."""
        return self._raw_ids

    @property
    def printed_parents(self) -> list[bytes]:
        """Each row's parent id as printed (as :attr:`printed_ids`)."""
        return self._raw_parents

    @property
    def plain(self) -> bool:
        """Whether every field of every row is printable ASCII with none of
        ``\\ " $ `` and a backquote (found by one scan of the lines the rows were split
        from; False for rows made from entries): then a cell made of fields needs no
        escape in any of findmnt's formats and is as wide as it is long."""
        if self._plain is None:
            data = self._split_from
            self._plain = data is not None and not data.translate(None, _PLAIN_BYTES)
        return self._plain

    @property
    def propagations(self) -> list[str | None]:
        """findmnt's PROPAGATION of each row (None for an fstab line)."""
        if self._propagations is None:
            facts = {tag: tag_facts(tag) for tag in set(self.tags)}
            self._propagations = [facts[tag][0] for tag in self.tags]  # type: ignore[index]  # checked when split
        return self._propagations

    @propagations.setter
    def propagations(self, value: list[str | None]) -> None:
        self._propagations = value

    # ---- made from ---------------------------------------------------------------------

    @classmethod
    def from_mountinfo(cls, data: bytes, kernel_printed: bool = False) -> Rows | None:
        """The rows of a mountinfo table whose every line has the kernel's shape (see the
        module's docstring), or None.

        ``kernel_printed``: the lines are as a kernel printed them (read from
        ``/proc/<pid>/mountinfo``, or a saved table :func:`kernel_shaped` has passed).
        Their first three fields are then ``show_mountinfo()``'s ``"%i %i %u:%u "``
        (fs/proc_namespace.c, the same in 3.10 and 6.18), decimal by construction, and
        are not checked again: about a fifth of what splitting the lines costs.
        The shape of each line (the fields, the ``-``, the optional fields) still is."""
        if not _may_split(data):
            return None
        unescape: Callable[[bytes], bytes] | None = None
        if b"\\" in data:
            from ..format.escaping import unescape
        rows = cls("mountinfo")
        rows._ids = rows._parents = rows._propagations = None  # made from the split fields on first use
        rows._split_from = data
        known_tags: dict[bytes, bool] = {b"": True}
        columns: list[list[bytes]] | None = None
        for piece in line_slices(data):
            fields = _checked(piece, known_tags, kernel_printed)
            if fields is None:
                return None
            if unescape is not None:
                for k in (3, 4, 7, 8):  # roots, mount points, types, sources
                    fields[k] = list(map(unescape, fields[k]))
            if columns is None:
                columns = fields  # the first slice's lists are the table's (a slice of a live table: its only)
            else:
                for column, more in zip(columns, fields):
                    column += more
        assert columns is not None  # data holds a line
        rows._raw_ids, rows._raw_parents, rows.devnos, rows.roots, rows.targets, rows.vfs, rows.tags, \
            rows.fstypes, rows.sources, rows.fs = columns
        return rows

    @classmethod
    def from_entries(cls, entries: Sequence[MountEntry], kind: str) -> Rows:
        """The rows of parsed entries (any source: a tolerant parse, listmount, fstab)."""
        rows = cls(kind)
        rows.entries = list(entries)
        rows.ids = [e.mnt_id for e in entries]
        rows.parents = [e.parent_id for e in entries]
        rows.devnos = [b"%d:%d" % (e.major, e.minor) for e in entries]
        rows.roots = [e.root for e in entries]
        rows.targets = [e.target for e in entries]
        rows.vfs = [e.vfs_options for e in entries]
        rows.tags = [e.opt_fields for e in entries]
        rows.fstypes = [e.fstype for e in entries]
        rows.sources = [e.source for e in entries]
        rows.fs = [e.fs_options for e in entries]
        rows.propagations = [None if hasattr(e, "optstr") else e.propagation for e in entries]  # fstab: none
        return rows

    # ---- views -------------------------------------------------------------------------

    def options(self) -> list[bytes]:
        """Each row's option string as findmnt shows and matches it (OPTIONS, ``-O``):
        a kernel mount's per-mount and super-block options merged once for each
        distinct pair, an fstab line's as written (:func:`mountcursor.live.tabfile.all_options`)."""
        if self._options is None:
            if self.entries is not None:
                from ..live.tabfile import all_options

                self._options = [all_options(e) for e in self.entries]
            else:
                from ..live.optstr import merge_options

                vfs, fs = self.vfs, self.fs
                if vfs and vfs.count(vfs[0]) == len(vfs) == fs.count(fs[0]):  # one pair for the whole table
                    self._options = [merge_options(vfs[0], fs[0])] * len(vfs)
                else:
                    merged = {pair: merge_options(*pair) for pair in set(zip(self.vfs, self.fs))}
                    self._options = list(map(merged.__getitem__, zip(self.vfs, self.fs)))
        return self._options

    def entry(self, i: int) -> MountEntry:
        """Row ``i`` as a :class:`~mountcursor.live.entry.MountEntry` (made on first use
        for a row of a split table)."""
        if self.entries is not None:
            return self.entries[i]
        built = self._built.get(i)
        if built is None:
            from ..format.escaping import escape_path
            from ..live.parse import parse_mountinfo_line

            fields = [b"%d" % self.ids[i], b"%d" % self.parents[i], self.devnos[i], escape_path(self.roots[i]),
                      escape_path(self.targets[i])]
            fields += [self.vfs[i], *([self.tags[i]] if self.tags[i] else []), b"-",
                       escape_path(self.fstypes[i]), escape_path(self.sources[i]), self.fs[i]]
            built = self._built[i] = parse_mountinfo_line(b" ".join(fields), i + 1)
        return built

    def take(self, order: list[int]) -> Rows:
        """The rows at ``order`` (indices), in that order."""
        if len(order) == len(self) and order == list(range(len(self))):
            return self  # all of them, as they are
        out = Rows(self.kind)
        pick = order.__iter__
        for name in ("devnos", "roots", "targets", "vfs", "tags", "fstypes", "sources", "fs", "tids"):
            column = getattr(self, name)
            if len(column) == len(self):  # the task ids are set by the reader, if at all
                setattr(out, name, list(map(column.__getitem__, pick())))
        # the columns made on first use stay so: only the picked rows are made
        if self._ids is None:
            out._raw_ids, out._ids = list(map(self._raw_ids.__getitem__, pick())), None
        else:
            out._ids = list(map(self._ids.__getitem__, pick()))
        if self._parents is None:
            out._raw_parents, out._parents = list(map(self._raw_parents.__getitem__, pick())), None
        else:
            out._parents = list(map(self._parents.__getitem__, pick()))
        out._propagations = None if self._propagations is None \
            else list(map(self._propagations.__getitem__, pick()))
        if self.entries is not None:
            out.entries = list(map(self.entries.__getitem__, order))
        else:
            out._built = {j: self._built[i] for j, i in enumerate(order) if i in self._built}
        if self._options is not None:
            out._options = list(map(self._options.__getitem__, order))
        out._plain = self._plain if self._split_from is None else self.plain
        return out

    def with_tid(self, tid: int | None) -> Rows:
        """The rows, each read from the table of task ``tid`` (None: not a task's table)."""
        self.tids = [tid] * len(self)
        return self

    def lineno(self, i: int) -> int:
        """The line of row ``i`` in its table (1-based)."""
        if self.entries is not None:
            return self.entries[i].lineno
        return i + 1
