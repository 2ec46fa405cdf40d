"""findmnt's ``-t`` list: :func:`match_fstype`, with nothing imported but ``os`` (the
lean ``list`` path filters with it; :mod:`mountcursor.live.table` re-exports it)."""

from __future__ import annotations

import os

__all__ = ["match_fstype"]


def match_fstype(fstype: bytes, pattern: str | bytes) -> bool:
    """libmount's ``mnt_match_fstype`` (util-linux 2.38 ``lib/match.c``
    ``match_fstype``): a comma list of types compared without regard to ASCII case; a
    leading ``no`` negates the whole list and an item ``noX`` always excludes ``X``,
    both ``no`` prefixes case-sensitive (``NOtmpfs`` names the type ``notmpfs``)."""
    pat = os.fsencode(pattern)
    negate = pat.startswith(b"no")
    if negate:
        pat = pat[2:]
    t = fstype.lower()
    for item in pat.split(b","):
        if item.startswith(b"no") and item[2:].lower() == t:
            return False
        if item.lower() == t:
            return not negate
    return negate
