"""Parse real-world ``/proc/<pid>/mountinfo`` tables into :class:`MountEntry` objects.

    parse_mountinfo(data, strict=False) -> ParseResult(entries, errors)
    parse_mountinfo_line(line, lineno=0, strict=False) -> MountEntry

Bytes in, never text: records are split on ``b"\\n"`` only (the kernel escapes ``\\n``
but not ``\\r``, so :meth:`bytes.splitlines` would cut a mount point in two).  Every
``\\ooo`` escape is decoded in the root, mount point, fs type and source
(:func:`mountcursor.format.unescape`); options are kept as printed and split later
(:func:`~mountcursor.live.entry.split_options`).

Tolerant by default, reading a line as libmount does (util-linux 2.38
``libmount/src/tab_parse.c``, ``mnt_parse_mountinfo_line``), so that findmnt and we
see the same mounts: fields are separated by runs of spaces and tabs (leading ones
skipped), an empty source is two spaces after the fs type, unknown optional tags are
kept in ``extra_tags``, the super-block options end at the next blank (anything after
them is ignored, as findmnt ignores it), blank lines and ``#`` comments are skipped, a
missing final newline and very long lines are accepted; a line that cannot be read is
skipped and reported in ``errors`` as a :class:`~mountcursor.format.FormatError`
naming the line and field.  A ``\\r`` before the newline is kept, where libmount
drops it as a DOS line end: there it ends the super-block options, which the kernel
prints unescaped, so it is data.  ``strict=True`` accepts only what
``show_mountinfo()`` prints, delegating to
:func:`mountcursor.format.parse_mountinfo_line`, and raises on the first bad line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..format import Era, FormatError, MountInfoRecord, parse_mountinfo_line as _strict_line, unescape
from .entry import MountEntry
from .gcpause import gc_paused

__all__ = ["ParseResult", "parse_mountinfo", "parse_mountinfo_line", "entry_from_record"]

_SEP = b"-"


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
            result.entries = _tolerant_lines(lines, result.errors, b"\t" not in data)
    return result


def _tolerant_lines(lines: list[bytes], errors: list[FormatError], no_tabs: bool) -> list[MountEntry]:
    """The tolerant parse of every line, fast for the lines the kernel prints today.

    A line of ten fields, or of eleven with one ``shared:N``/``master:N`` tag, split
    on single spaces with no field empty but the source, in a table with no tab
    (``no_tabs``), is taken apart here directly, without a function call per field and
    with :func:`~mountcursor.format.unescape` only when the line holds a backslash;
    every other line (more tags, other blanks, an error) goes through
    :func:`_tolerant_line`, which gives the same entry for the lines handled here.
    A line that is blank or a ``#`` comment once its leading blanks are skipped is no
    entry (libmount skips it in any format).
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
        if not (n and no_tabs and mnt_id.isdigit() and parent_id.isdigit() and major.isdigit() and minor.isdigit()
                and root and target and vfs and fstype and fs_opts):
            if line[:1] in b" \t#\r":
                lead = line.lstrip(b" \t")
                if lead in (b"", b"\r") or lead.startswith(b"#"):  # a \r alone: a blank DOS line
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
    """A decimal number as libmount's ``strtol``/``sscanf("%u")`` read it, leading C
    whitespace (``\\v \\f \\r``: a field has no space or tab) skipped; no sign."""
    token = token.lstrip(b"\n\v\f\r")
    if not token.isdigit():
        raise FormatError(lineno or None, name, f"expected a decimal integer, got {token[:40]!r}")
    if len(token) > _MAX_DIGITS:
        raise FormatError(lineno or None, name, f"a number of {len(token)} digits (at most {_MAX_DIGITS})")
    return int(token)


def _tolerant_line(line: bytes, lineno: int) -> MountEntry:
    """One line as libmount's ``mnt_parse_mountinfo_line`` (util-linux 2.38
    ``libmount/src/tab_parse.c``) reads it: fields are runs of anything but space and
    tab, separated by runs of spaces and tabs, leading ones skipped; the optional fields
    run up to the first ``" - "``; after the fs type two spaces are an empty source;
    the super-block options are one field and anything after them is ignored."""
    pos = 0

    def take(name: str) -> bytes:
        nonlocal pos
        m = _FIELD.match(line, pos)
        if m is None:
            raise FormatError(lineno or None, name, "missing (the line ends before it)")
        pos = m.end()
        return m[1]

    mnt_id = _number(take("mnt_id"), "mnt_id", lineno)
    parent_id = _number(take("parent_id"), "parent_id", lineno)
    devno = take("major:minor")
    major, colon, minor = devno.partition(b":")
    if not colon:
        raise FormatError(lineno or None, "major:minor", f"expected 'major:minor', got {devno[:40]!r}")
    root, target, vfs = take("root"), take("mount_point"), take("mnt_opts")
    sep = line.find(b" - ", pos)
    if sep < 0:
        raise FormatError(lineno or None, "separator", "no ' - ' after the mount options")
    tags: dict[str, int | bool] = {}
    extra: list[bytes] = []
    for token in WORD.findall(line, pos, sep):
        name, colon, value = token.partition(b":")
        if token == b"unbindable":
            tags["unbindable"] = True
        elif colon and name in (b"shared", b"master", b"propagate_from") and value.isdigit() \
                and len(value) <= _MAX_DIGITS:
            tags[name.decode()] = int(value)
        else:
            extra.append(token)
    pos = sep + 3
    fstype = take("fstype")
    if line.startswith(b"  ", pos):  # "fstype  options": the kernel's empty source
        source = b""
    else:
        source = take("source")
    fs_options = take("super_opts")
    return MountEntry(
        mnt_id=mnt_id,
        parent_id=parent_id,
        major=_number(major, "major", lineno),
        minor=_number(minor, "minor", lineno),
        root=unescape(root),
        target=unescape(target),
        vfs_options=vfs,
        fstype=unescape(fstype),
        source=unescape(source),
        fs_options=fs_options,
        extra_tags=tuple(extra),
        lineno=lineno,
        **tags,  # type: ignore[arg-type]
    )


_FIELD = re.compile(rb"[ \t]*([^ \t]+)")  # libmount's skip_separator, then unmangle's word
WORD = re.compile(rb"[^ \t]+")
"""A field as libmount's ``unmangle`` takes it, in every table format: up to a space or tab."""
