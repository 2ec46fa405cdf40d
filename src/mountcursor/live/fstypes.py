"""findmnt's ``-t`` list: :func:`match_fstype`, with nothing imported but ``os`` (the
lean ``list`` path filters with it; :mod:`mountcursor.live.table` re-exports it)."""

from __future__ import annotations

import os

__all__ = ["match_fstype", "types_error"]


def match_fstype(fstype: bytes, pattern: str | bytes) -> bool:
    """libmount's ``mnt_match_fstype`` (util-linux 2.38 ``lib/match.c``
    ``match_fstype``): a comma list of types compared without regard to ASCII case; a
    leading ``no`` negates the whole list and an item ``noX`` always excludes ``X``,
    both ``no`` prefixes case-sensitive (``NOtmpfs`` names the type ``notmpfs``)."""
    pat = os.fsencode(pattern)
    negate = pat.startswith(b"no")
    if negate:
        pat = pat[2:]
    if b"\0" in fstype:  # libmount's string ends at an escaped NUL
        from ..format.escaping import c_string

        fstype = c_string(fstype)
    t = fstype.lower()
    for item in pat.split(b","):
        if item.startswith(b"no") and item[2:].lower() == t:
            return False
        if item.lower() == t:
            return not negate
    return negate


def types_error(pattern: str | bytes) -> str | None:
    """Why :func:`match_fstype` can match nothing useful with ``pattern``, else None:
    an empty list or item (``""``, ``"ext4,,xfs"``, a bare ``no``), or a type with a
    blank or a control character, which no filesystem type has.  findmnt takes any
    list; a command that waits for a match checks it first (``mountcursor wait -t``)."""
    raw = os.fsdecode(pattern)
    body = raw[2:] if raw.startswith("no") else raw
    for item in body.split(","):
        name = item[2:] if item.startswith("no") else item
        if not name:
            return f"empty type in {raw!r}"
        if any(c.isspace() or not c.isprintable() for c in name):
            return f"type {name!r} in {raw!r} has a blank or a control character"
    return None
