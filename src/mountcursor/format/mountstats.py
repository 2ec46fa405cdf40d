"""``/proc/<pid>/mountstats``: as ``show_vfsstat()`` prints it.

Follows fs/proc_namespace.c ``show_vfsstat()``::

    device <device> mounted on <mount point> with fstype <fstype>[ <stats>]

The device name and fs type go through ``mangle()``, the mount point through
``seq_path_root(..., " \\t\\n\\\\")``.  ``<stats>`` is printed (after a space) only by
filesystems with ``->show_stats()``, i.e. NFS, whose statistics run over several lines:
each further line starts with a tab, and the last one is empty (``rpc_clnt_show_stats()``
ends its lines with ``\\n`` and ``show_vfsstat()`` adds one more).  A record is therefore
its first line plus those continuation lines, and ``stats`` holds them joined by ``\\n``.

``show_vfsstat()`` printed ``no device`` for a NULL ``mnt_devname`` (``source`` ``None``
here); since 8f2918898eb5 (2018, the fs_context mount API) a mount without a device name
gets "none", so current kernels print ``device none`` (seen on 6.18), and 6.16 dropped
the dead branch.  Both forms render and parse in either era.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._fields import as_bytes, check_string, numbered_lines, parse_escaped, show
from .errors import FormatError
from .escaping import Era, escape_path, mangle, mangle_escapes

__all__ = ["MountStatsRecord", "render_mountstats", "parse_mountstats_line", "parse_mountstats"]

_DEVICE = b"device "
_NO_DEVICE = b"no device "
_MOUNTED_ON = b"mounted on "
_WITH_FSTYPE = b"with fstype "


@dataclass(frozen=True)
class MountStatsRecord:
    """One mountstats record: ``source`` ``None`` prints ``no device``, ``stats`` ``None`` nothing."""

    source: bytes | None
    mount_point: bytes
    fstype: bytes
    stats: bytes | None = None


def render_mountstats(rec: MountStatsRecord, era: Era = "current") -> bytes:
    """The record ``show_vfsstat()`` prints for ``rec``, ending in a newline.

    Raises :class:`FormatError` (``lineno`` None) for a record that would not parse
    back, e.g. statistics with a continuation line that does not start with a tab.
    """
    mangle_escapes(era)
    if rec.source is not None:
        check_string(rec.source, "source", allow_empty=True)
    check_string(rec.mount_point, "mount_point")
    check_string(rec.fstype, "fstype")
    if rec.stats is not None:
        check_string(rec.stats, "stats", allow_empty=True)
        _check_continuations([(None, cont) for cont in rec.stats.split(b"\n")[1:]])
    device = _NO_DEVICE if rec.source is None else _DEVICE + mangle(rec.source, era) + b" "
    stats = b"" if rec.stats is None else b" " + rec.stats
    return b"".join(
        (device, _MOUNTED_ON, escape_path(rec.mount_point), b" ", _WITH_FSTYPE, mangle(rec.fstype, era), stats, b"\n")
    )


def parse_mountstats_line(line: bytes, lineno: int | None = None, era: Era = "current") -> MountStatsRecord:
    """Parse one mountstats record: a ``device``/``no device`` line and its continuations.

    One trailing newline is removed if present; an NFS record whose ``stats`` end in a
    newline must therefore be passed with its own final newline.
    """
    mangle_escapes(era)
    text = as_bytes(line, "line")
    if text.endswith(b"\n"):
        text = text[:-1]
    first, *rest = text.split(b"\n")
    continuations = [(None if lineno is None else lineno + i, cont) for i, cont in enumerate(rest, 1)]
    return _parse_record(first, lineno, continuations)


def parse_mountstats(data: bytes, era: Era = "current") -> list[MountStatsRecord]:
    """Parse a whole mountstats file; lines split on ``\\n`` only, numbered from 1."""
    mangle_escapes(era)
    records: list[MountStatsRecord] = []
    pending: tuple[bytes, int, list[tuple[int | None, bytes]]] | None = None
    for lineno, line in numbered_lines(data):
        if pending is None or _starts_record(line):
            if pending is not None:
                records.append(_parse_record(*pending))
            pending = (line, lineno, [])
        else:
            pending[2].append((lineno, line))
    if pending is not None:
        records.append(_parse_record(*pending))
    return records


def _starts_record(line: bytes) -> bool:
    return line.startswith(_DEVICE) or line.startswith(_NO_DEVICE)


def _parse_record(
    first: bytes, lineno: int | None, continuations: list[tuple[int | None, bytes]]
) -> MountStatsRecord:
    if not first:
        raise FormatError(lineno, "", "empty line")
    if first.startswith(_DEVICE):
        source_raw, _, rest = first[len(_DEVICE) :].partition(b" ")
        source: bytes | None = parse_escaped(source_raw, "source", lineno, allow_empty=True)
    elif first.startswith(_NO_DEVICE):
        source, rest = None, first[len(_NO_DEVICE) :]
    else:
        raise FormatError(lineno, "device", f"expected 'device ' or 'no device ', got {show(first[:20])}")
    mount_point_raw, after_mount_point = _after_keyword(rest, _MOUNTED_ON, "mount_point", lineno)
    fstype_raw, stats = _after_keyword(after_mount_point or b"", _WITH_FSTYPE, "fstype", lineno)
    mount_point = parse_escaped(mount_point_raw, "mount_point", lineno)
    fstype = parse_escaped(fstype_raw, "fstype", lineno)
    if continuations:
        if stats is None:
            cont_lineno, cont = continuations[0]
            if not cont:
                raise FormatError(cont_lineno, "", "empty line")
            raise FormatError(cont_lineno, "device", f"expected 'device ' or 'no device ', got {show(cont[:20])}")
        _check_continuations(continuations)
        stats = b"\n".join([stats, *(cont for _, cont in continuations)])
    return MountStatsRecord(source, mount_point, fstype, stats)


def _after_keyword(rest: bytes, keyword: bytes, field: str, lineno: int | None) -> tuple[bytes, bytes | None]:
    """Split ``keyword value[ remainder]``: the value and the remainder (None without a space)."""
    if not rest:
        raise FormatError(lineno, field, f"missing (expected {keyword.decode().strip()!r} and a value)")
    if not rest.startswith(keyword):
        raise FormatError(lineno, field, f"expected {keyword.decode().strip()!r} before it, got {show(rest[:20])}")
    value, space, remainder = rest[len(keyword) :].partition(b" ")
    return value, (remainder if space else None)


def _check_continuations(continuations: list[tuple[int | None, bytes]]) -> None:
    """Each statistics line after the first is empty or starts with a tab (NFS's shape)."""
    for lineno, line in continuations:
        if line and not line.startswith(b"\t"):
            raise FormatError(
                lineno, "stats", f"a continuation line must be empty or start with a tab, got {show(line[:20])}"
            )
