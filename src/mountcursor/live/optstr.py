"""Option strings as libmount reads them: findmnt's OPTIONS from the two option fields
of a mountinfo line, an option string cut into items, and ``-O`` matching.  Nothing
heavy imported: the findmnt engine uses these on its plainest path
(:mod:`mountcursor.live.entry` and :mod:`mountcursor.live.table` re-export them)."""

from __future__ import annotations

import os

from ..format.escaping import unescape

__all__ = ["merge_options", "split_items", "match_options", "options_error"]


def merge_options(vfs: bytes, fs: bytes) -> bytes:
    """findmnt's OPTIONS: per-mount then super-block options, one leading ``ro``/``rw``.

    ``ro`` if either side is read-only (libmount ``merge_optstr``): the leading
    ``ro``/``rw`` of each side is dropped and one is put in front.
    """
    if vfs == fs:
        return vfs
    ro = False
    pieces = [b""]  # the flag goes here; then what follows each side's own flag
    for side in (vfs, fs):
        head = side[:3]
        if head == b"rw," or head == b"ro,":
            ro = ro or head == b"ro,"
            pieces.append(side[3:])
        elif side == b"rw" or side == b"ro":
            ro = ro or side == b"ro"
        elif side:
            pieces.append(side)
    pieces[0] = b"ro" if ro else b"rw"
    return b",".join(pieces)


def _cut(raw: bytes) -> list[bytes]:
    """Cut an option string on the commas outside double quotes (libmount's
    ``ul_optstr_next``: a ``"`` not after a backslash opens or closes a quote)."""
    if b'"' not in raw:
        return raw.split(b",")
    items: list[bytes] = []
    start = 0
    quoted = False
    for i, c in enumerate(raw):
        if c == 0x22 and (i == 0 or raw[i - 1] != 0x5C):
            quoted = not quoted
        elif c == 0x2C and not quoted:
            items.append(raw[start:i])
            start = i + 1
    items.append(raw[start:])
    return items


def split_items(raw: bytes) -> list[tuple[bytes, bytes | None]]:
    """An option string as ``(name, value)`` items (``value`` None for a flag), names
    and values unescaped: cut on ``,`` before unescaping and each item on its first raw
    ``=``, except inside double quotes; empty items dropped (see
    :func:`mountcursor.live.entry.split_options`, which makes :class:`Option` of them)."""
    out: list[tuple[bytes, bytes | None]] = []
    for item in _cut(raw):
        if not item:
            continue
        eq = item.find(b"=")
        quote = item.find(b'"')
        if eq < 0 or 0 <= quote < eq:
            out.append((unescape(item), None))
        else:
            out.append((unescape(item[:eq]), unescape(item[eq + 1:])))
    return out


def match_options(options: bytes, pattern: str | bytes) -> bool:
    """libmount's ``mnt_match_options`` (util-linux 2.39+, libmount/src/optstr.c):
    every item of ``pattern`` must hold.

    ``name`` or ``name=value`` must be present (the first ``name``; a value compared
    as written, quotes included); ``noname`` must be absent; ``+noname`` is the
    literal option ``noname``; an empty item or a lone ``+`` matches anything; a lone
    ``no`` is an error and matches nothing.  Quoted values with commas are one item.

    >>> match_options(b"rw,nosuid", "+"), match_options(b"rw", "nosuid"), match_options(b"rw", "no")
    (True, True, False)
    """
    have: dict[bytes, bytes | None] = {}
    for name, value in split_items(options):
        have.setdefault(name, value)
    for name, value in split_items(os.fsencode(pattern)):
        negated = False
        if name.startswith(b"+"):
            name = name[1:]
        elif name.startswith(b"no"):
            name, negated = name[2:], True
            if not name:
                return False  # a lone "no" is an error
        if not name:
            continue  # an empty pattern matches
        found = name in have and (not value or have[name] == value)
        if found == negated:
            return False
    return True


def options_error(pattern: str | bytes) -> str | None:
    """Why :func:`match_options` matches nothing with ``pattern``, else None: an item
    that is a lone ``no`` (libmount's error).  findmnt takes it and finds nothing; a
    command that waits for a match checks it first (``mountcursor wait -O``)."""
    raw = os.fsencode(pattern)
    if any(name == b"no" for name, _ in split_items(raw)):
        return f"a lone 'no' in {os.fsdecode(raw)!r} names no option"
    return None
