"""``/proc/<pid>/mounts``: the fstab-like view, as ``show_vfsmnt()`` prints it.

Follows fs/proc_namespace.c ``show_vfsmnt()`` (v2.6 to v6.18)::

    <device> <mount point> <fstype> <ro|rw><sb opts><mount opts><fs opts> 0 0

The device name and fs type go through ``mangle()`` (era-dependent ``#``), the mount
point through ``seq_path_root(..., " \\t\\n\\\\")``.  ``ro`` here means the mount *or* its
super block is read-only (``__mnt_is_readonly()``).  The options come from
``show_sb_opts()``, ``show_vfsmnt_opts()`` and the fs's ``->show_options()``, and are
kept verbatim.  A missing device name prints ``none``, an empty one nothing (see
:mod:`mountcursor.format.mountinfo`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._fields import check_opts, check_string, numbered_lines, one_line, parse_escaped, show
from .errors import FormatError
from .escaping import Era, escape_path, mangle, mangle_escapes

__all__ = ["MountsRecord", "render_mounts", "parse_mounts_line", "parse_mounts"]

_FIELDS = ("source", "mount_point", "fstype", "opts")
_TRAILER = b" 0 0\n"


@dataclass(frozen=True)
class MountsRecord:
    """One ``/proc/<pid>/mounts`` line, its fields unescaped (``opts`` as printed)."""

    source: bytes
    mount_point: bytes
    fstype: bytes
    opts: bytes


def render_mounts(rec: MountsRecord, era: Era = "current") -> bytes:
    """The line ``show_vfsmnt()`` prints for ``rec``, with its trailing newline.

    Raises :class:`FormatError` (``lineno`` None) for a record no kernel could print.
    """
    mangle_escapes(era)
    check_string(rec.source, "source", allow_empty=True)
    check_string(rec.mount_point, "mount_point")
    check_string(rec.fstype, "fstype")
    check_opts(rec.opts, "opts", None, flag_list=False)
    return b" ".join(
        (mangle(rec.source, era), escape_path(rec.mount_point), mangle(rec.fstype, era), rec.opts + _TRAILER)
    )


def parse_mounts_line(line: bytes, lineno: int | None = None, era: Era = "current") -> MountsRecord:
    """Parse one ``/proc/<pid>/mounts`` line (trailing newline optional) into a record.

    Strict like :func:`~mountcursor.format.parse_mountinfo_line`; the options may hold
    spaces (a filesystem's ``->show_options()`` may print them), the line must end in
    ``" 0 0"`` (fields ``freq`` and ``passno``).
    """
    mangle_escapes(era)
    tokens = one_line(line, lineno).split(b" ")
    for field, index in (("passno", -1), ("freq", -2)):
        if len(tokens) < -index:
            raise FormatError(lineno, field, "missing (the line must end in ' 0 0')")
        if tokens[index] != b"0":
            raise FormatError(lineno, field, f"expected b'0', got {show(tokens[index])}")
    head = tokens[:-2]
    if len(head) < len(_FIELDS):
        raise FormatError(lineno, _FIELDS[len(head)], f"missing (the line has only {len(tokens)} fields)")
    source = parse_escaped(head[0], "source", lineno, allow_empty=True)
    mount_point = parse_escaped(head[1], "mount_point", lineno)
    fstype = parse_escaped(head[2], "fstype", lineno)
    opts = b" ".join(head[3:])
    check_opts(opts, "opts", lineno, flag_list=False)
    return MountsRecord(source, mount_point, fstype, opts)


def parse_mounts(data: bytes, era: Era = "current") -> list[MountsRecord]:
    """Parse a whole mounts file; lines split on ``\\n`` only, numbered from 1."""
    return [parse_mounts_line(line, lineno, era) for lineno, line in numbered_lines(data)]
