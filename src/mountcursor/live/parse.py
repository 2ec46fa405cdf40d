"""Parse real-world ``/proc/<pid>/mountinfo`` tables into :class:`MountEntry` objects.

    parse_mountinfo(data, strict=False) -> ParseResult(entries, errors)
    parse_mountinfo_line(line, lineno=0, strict=False) -> MountEntry

Bytes in, never text: records are split on ``b"\\n"`` only (the kernel escapes ``\\n``
but not ``\\r``, so :meth:`bytes.splitlines` would cut a mount point in two), fields on
single spaces.  Every ``\\ooo`` escape is decoded in the root, mount point, fs type and
source (:func:`mountcursor.format.unescape`); options are kept as printed and split
later (:func:`~mountcursor.live.entry.split_options`).

Tolerant by default, like libmount: an empty source (two spaces), unknown optional
tags (kept in ``extra_tags``), doubled spaces among the optional fields, spaces inside
the super-block options (old cifs ``unc=``), a missing final newline and very long
lines are all accepted; a line that cannot be read at all is skipped and reported in
``errors`` as a :class:`~mountcursor.format.FormatError` naming the line and field.
``strict=True`` accepts only what ``show_mountinfo()`` prints, delegating to
:func:`mountcursor.format.parse_mountinfo_line`, and raises on the first bad line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..format import Era, FormatError, MountInfoRecord, parse_mountinfo_line as _strict_line, unescape
from .entry import MountEntry
from .gcpause import gc_paused

__all__ = ["ParseResult", "parse_mountinfo", "parse_mountinfo_line", "entry_from_record"]

_SEP = b"-"
_MIN_FIELDS = 10  # six fixed fields, "-", fstype, source, super options


@dataclass
class ParseResult:
    """The entries of a table in file order, and the lines skipped (tolerant mode)."""

    entries: list[MountEntry] = field(default_factory=list)
    errors: list[FormatError] = field(default_factory=list)


def parse_mountinfo(data: bytes, *, strict: bool = False, era: Era = "current") -> ParseResult:
    """Parse a whole mountinfo table.

    Tolerant mode skips empty lines and reports unreadable ones in ``errors``; strict
    mode raises :class:`~mountcursor.format.FormatError` for those and for a table
    that does not end with a newline.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"mountinfo data must be bytes, not {type(data).__name__}")
    data = bytes(data)
    result = ParseResult()
    lines = data.split(b"\n")
    last = lines.pop()
    if last:
        if strict:
            raise FormatError(len(lines) + 1, "", "missing the trailing newline (the data ends inside a line)")
        lines.append(last)
    with gc_paused():
        if strict:
            result.entries = [parse_mountinfo_line(line, lineno, strict=True, era=era)
                              for lineno, line in enumerate(lines, 1)]
        else:
            result.entries = _tolerant_lines(lines, result.errors)
    return result


def _tolerant_lines(lines: list[bytes], errors: list[FormatError]) -> list[MountEntry]:
    """The tolerant parse of every line, fast for the lines the kernel prints today.

    A line of ten fields, or of eleven with one ``shared:N``/``master:N`` tag, is
    taken apart here directly, without a function call per field and with
    :func:`~mountcursor.format.unescape` only when the line holds a backslash; every
    other line (more tags, spaces in the super-block options, an error) goes through
    :func:`_tolerant_line`, which gives the same entry for the lines handled here.
    """
    entries: list[MountEntry] = []
    append = entries.append
    # equal roots, options, types and sources are one object: they repeat on most lines
    shared_fields: dict[bytes, bytes] = {}
    one = shared_fields.setdefault
    lineno = 0
    for line in lines:
        lineno += 1
        t = line.split(b" ")
        n = len(t)
        shared = master = None
        if n == 10 and t[6] == _SEP:
            mnt_id, parent_id, devno, root, target, vfs, _, fstype, source, fs_opts = t
        elif n == 11 and t[7] == _SEP:
            mnt_id, parent_id, devno, root, target, vfs, tag, _, fstype, source, fs_opts = t
            name, colon, value = tag.partition(b":")
            if name == b"shared" and value.isdigit() and len(value) <= _MAX_DIGITS:
                shared = int(value)
            elif name == b"master" and value.isdigit() and len(value) <= _MAX_DIGITS:
                master = int(value)
            else:
                n = 0  # another tag: the general path
        else:
            n = 0
        major, colon, minor = devno.partition(b":") if n else (b"", b"", b"")
        if not (n and mnt_id.isdigit() and parent_id.isdigit() and major.isdigit() and minor.isdigit()):
            if not line.strip(b" "):
                continue
            try:
                append(_tolerant_line(line, lineno))
            except FormatError as err:
                errors.append(err)
            continue
        if len(line) > 4300:  # a number there may be too long for int(): the general path checks
            try:
                append(_tolerant_line(line, lineno))
            except FormatError as err:
                errors.append(err)
            continue
        if b"\\" in line:
            root, target, fstype, source = unescape(root), unescape(target), unescape(fstype), unescape(source)
        append(MountEntry(int(mnt_id), int(parent_id), int(major), int(minor), one(root, root), target, one(vfs, vfs),
                          one(fstype, fstype), one(source, source), one(fs_opts, fs_opts), shared, master, None, False,
                          (), None, None, lineno))
    return entries


def parse_mountinfo_line(line: bytes, lineno: int = 0, *, strict: bool = False, era: Era = "current") -> MountEntry:
    """Parse one line (its trailing newline optional) into a :class:`MountEntry`."""
    if strict:
        return entry_from_record(_strict_line(line, lineno or None, era), lineno)
    if line.endswith(b"\n"):
        line = line[:-1]
    return _tolerant_line(line, lineno)


def entry_from_record(rec: MountInfoRecord, lineno: int = 0) -> MountEntry:
    """The :class:`MountEntry` of a :class:`~mountcursor.format.MountInfoRecord`."""
    return MountEntry(
        mnt_id=rec.mnt_id, parent_id=rec.parent_id, major=rec.major, minor=rec.minor,
        root=rec.root, target=rec.mount_point, vfs_options=rec.mnt_opts, fstype=rec.fstype,
        source=rec.source, fs_options=rec.super_opts, shared=rec.shared, master=rec.master,
        propagate_from=rec.propagate_from, unbindable=rec.unbindable, extra_tags=rec.extra_tags,
        lineno=lineno,
    )


_MAX_DIGITS = 20
"""The longest number taken (a u64 has 20 digits; the kernel prints ids and devices of 10)."""


def _number(token: bytes, name: str, lineno: int) -> int:
    if not token.isdigit():
        raise FormatError(lineno or None, name, f"expected a decimal integer, got {token[:40]!r}")
    if len(token) > _MAX_DIGITS:
        raise FormatError(lineno or None, name, f"a number of {len(token)} digits (at most {_MAX_DIGITS})")
    return int(token)


def _tolerant_line(line: bytes, lineno: int) -> MountEntry:
    tokens = line.split(b" ")
    if len(tokens) < _MIN_FIELDS:
        raise FormatError(lineno or None, "", f"only {len(tokens)} space-separated fields, need at least {_MIN_FIELDS}")
    mnt_id = _number(tokens[0], "mnt_id", lineno)
    parent_id = _number(tokens[1], "parent_id", lineno)
    major, colon, minor = tokens[2].partition(b":")
    if not colon:
        raise FormatError(lineno or None, "major:minor", f"expected 'major:minor', got {tokens[2][:40]!r}")
    try:
        sep = tokens.index(_SEP, 6)
    except ValueError:
        raise FormatError(lineno or None, "separator", "no ' - ' after the mount options") from None
    if len(tokens) - sep - 1 < 3:
        raise FormatError(lineno or None, "super_opts", "fewer than three fields after ' - '")
    tags: dict[str, int | bool] = {}
    extra: list[bytes] = []
    for token in tokens[6:sep]:
        if not token:
            continue
        name, colon, value = token.partition(b":")
        if token == b"unbindable":
            tags["unbindable"] = True
        elif colon and name in (b"shared", b"master", b"propagate_from") and value.isdigit() \
                and len(value) <= _MAX_DIGITS:
            tags[name.decode()] = int(value)
        else:
            extra.append(token)
    return MountEntry(
        mnt_id=mnt_id,
        parent_id=parent_id,
        major=_number(major, "major", lineno),
        minor=_number(minor, "minor", lineno),
        root=unescape(tokens[3]),
        target=unescape(tokens[4]),
        vfs_options=tokens[5],
        fstype=unescape(tokens[sep + 1]),
        source=unescape(tokens[sep + 2]),
        fs_options=b" ".join(tokens[sep + 3 :]),
        extra_tags=tuple(extra),
        lineno=lineno,
        **tags,  # type: ignore[arg-type]
    )
