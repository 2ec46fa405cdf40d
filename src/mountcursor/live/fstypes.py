"""findmnt's ``-t`` list: :func:`match_fstype`, with nothing imported but ``os`` (the
lean ``list`` path filters with it; :mod:`mountcursor.live.table` re-exports it)."""

from __future__ import annotations

import os

__all__ = ["match_fstype"]


def match_fstype(fstype: bytes, pattern: str | bytes) -> bool:
    """libmount's ``mnt_match_fstype``: a comma list, case-insensitive; a leading
    ``no`` negates the whole list; an item ``noX`` always excludes ``X``."""
    pat = os.fsencode(pattern).lower()
    t = fstype.lower()
    negate = pat.startswith(b"no")
    items = pat.split(b",")
    if negate:
        items[0] = items[0][2:]
    for item in items:
        if item == b"no" + t:
            return False
        if item == t:
            return not negate
    return negate
