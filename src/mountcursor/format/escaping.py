"""Octal escaping as the kernel does it for the proc mount files.

Three kernel helpers print strings into ``/proc/<pid>/{mounts,mountinfo,mountstats}``, all
with the same escape: each byte listed in ``esc`` becomes a backslash and three octal
digits (``' '`` -> ``\\040``); every other byte, including ``\\r`` and non-UTF-8 bytes,
passes unchanged.

* ``seq_escape(m, s, esc)`` (fs/seq_file.c; since v5.15 a wrapper of
  ``seq_escape_str(m, s, ESCAPE_OCTAL, esc)``, same output), used by ``mangle()`` in
  fs/proc_namespace.c for device names and filesystem types;
* ``mangle_path()`` (fs/seq_file.c), used by ``seq_path_root()`` and ``seq_dentry()``
  for mount points and mount roots, always with ``esc = " \\t\\n\\\\"``.

``mangle()``'s set gained ``#`` in ed5fce76b5ea "vfs: escape hash as well" (posted by
Siddhesh Poyarekar as "proc: Escape more characters in /proc/mounts output", Dec 2020,
~v5.12); paths never escape ``#``.  The :data:`Era` picks the set.  Filesystems that
print their own device name do not follow it: NFS and btrfs escape ``" \t\n\\"`` only
and AFS writes a raw ``#`` (Al Viro on linux-fsdevel, Aug 2025), so the parsers accept
a raw ``#`` in either era.
"""

from __future__ import annotations

__all__ = ["Era", "ERAS", "escape", "unescape", "c_string", "mangle", "escape_path"]

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    import re
    from typing import Literal

    Era = Literal["old", "current"]
else:
    Era = str  # at run time: the plain list path does not import typing
"""``"old"``: before ~v5.12, ``mangle()`` escapes ``" \\t\\n\\\\"``.
``"current"``: ``mangle()`` also escapes ``"#"`` (this machine's 6.18)."""

ERAS: tuple[Era, ...] = ("old", "current")

PATH_ESCAPES = b" \t\n\\"
"""What ``seq_path_root()``/``seq_dentry()`` escape in every era (fs/proc_namespace.c)."""

_MANGLE_ESCAPES: dict[str, bytes] = {"old": b" \t\n\\", "current": b" \t\n\\#"}

# re is imported on first use: findmnt's plainest queries read names that hold nothing
# to escape, and the import (with enum) is a good part of a small command's start
_PATTERNS: dict[bytes, re.Pattern[bytes]] = {}


def _escape_pattern(chars: bytes) -> re.Pattern[bytes]:
    pattern = _PATTERNS.get(chars)
    if pattern is None:
        import re

        if len(_PATTERNS) >= 16:
            _PATTERNS.clear()
        pattern = _PATTERNS[chars] = re.compile(b"[" + re.escape(chars) + b"]")
    return pattern


_SEQUENCE: list[re.Pattern[bytes]] = []


def _escape_sequence() -> re.Pattern[bytes]:
    """One escape as the kernel writes it: the first digit is (c & 0300) >> 6, so 0-3."""
    if not _SEQUENCE:
        import re

        _SEQUENCE.append(re.compile(rb"\\([0-3][0-7][0-7])"))
    return _SEQUENCE[0]


def _octal(match: re.Match[bytes]) -> bytes:
    return b"\\%03o" % match[0][0]


def escape(s: bytes, chars: bytes) -> bytes:
    """Replace each byte of ``s`` that is in ``chars`` by ``\\`` and 3 octal digits.

    Follows ``seq_escape()``/``mangle_path()`` (fs/seq_file.c, v2.6 to v6.18):
    ``escape(b"a b", b" ")`` is ``b"a\\\\040b"``.
    """
    if not chars or len(s.translate(None, chars)) == len(s):  # nothing to escape
        return s
    return _escape_pattern(chars).sub(_octal, s)


def unescape(s: bytes) -> bytes:
    """Decode every ``\\ooo`` escape (3 octal digits, ``\\000``-``\\377``) in ``s``.

    The inverse of :func:`escape` for any set of escaped characters.  A backslash that
    does not start such an escape is kept as it is (the strict parsers reject it
    before calling this).
    """
    if b"\\" not in s:
        return s
    return _escape_sequence().sub(lambda m: bytes((int(m[1], 8),)), s)


def c_string(s: bytes) -> bytes:
    """What a C program holds of unescaped bytes: the string up to its first NUL.  No
    kernel prints ``\\000``, but a saved or edited table may hold one; libmount's
    ``unmangle()`` writes it as a NUL, which ends the string there (findmnt shows and
    compares ``/a/\\000b`` as ``/a/``)."""
    return s if b"\0" not in s else s[:s.index(b"\0")]


def mangle_escapes(era: Era) -> bytes:
    """The bytes ``mangle()`` escapes in ``era``; a :class:`ValueError` for an unknown era."""
    try:
        return _MANGLE_ESCAPES[era]
    except KeyError:
        raise ValueError(f"unknown era {era!r}: expected one of {ERAS}") from None


def mangle(s: bytes, era: Era) -> bytes:
    """Escape a device name or filesystem type as fs/proc_namespace.c ``mangle()``.

    ``era="current"`` escapes ``" \\t\\n\\\\#"`` (since ~v5.12), ``era="old"``
    ``" \\t\\n\\\\"``.
    """
    return escape(s, mangle_escapes(era))


def escape_path(s: bytes) -> bytes:
    """Escape a mount point or mount root as ``seq_path_root()``/``seq_dentry()``.

    The set is ``" \\t\\n\\\\"`` in every era: ``#`` and ``\\r`` stay raw.
    """
    return escape(s, PATH_ESCAPES)
