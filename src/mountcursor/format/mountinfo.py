"""``/proc/<pid>/mountinfo``: one line per mount, as ``show_mountinfo()`` prints it.

Follows fs/proc_namespace.c ``show_mountinfo()`` (same shape from v2.6.26 to v6.18)::

    36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    mnt_id parent_id major:minor root mount_point mnt_opts [tags...] - fstype source super_opts

``seq_printf("%i %i %u:%u ", mnt_id, parent_id, MAJOR, MINOR)``; the root (``seq_dentry``
or ``->show_path``) and the mount point (``seq_path_root``), both escaped with
``" \\t\\n\\\\"``; ``ro``/``rw`` (``MNT_READONLY``) and ``show_vfsmnt_opts()``; the optional
tags ``shared:N``, ``master:N``, ``propagate_from:N``, ``unbindable`` in that order;
``" - "``; the fs type with its ``.subtype`` and the device name, both through
``mangle()``; then ``ro``/``rw`` of the super block, ``show_sb_opts()`` and the fs's own
``->show_options()``, which escapes its own values and is kept verbatim here.

A mount without a device name prints ``none``: ``show_mountinfo()`` used to substitute it
for a NULL ``mnt_devname``, which cannot happen since 8f2918898eb5 (2018, the fs_context
mount API: ``vfs_create_mount()`` passes "none"; ``alloc_vfsmnt()`` does since 6.16).  An
empty device name (``mount("", ...)``) prints nothing, leaving two spaces before the
super options.  Both seen on 6.18.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._fields import (
    INT_MAX,
    MAJOR_MAX,
    MINOR_MAX,
    check_int,
    check_opts,
    check_string,
    numbered_lines,
    one_line,
    parse_decimal,
    parse_escaped,
    show,
)
from .errors import FormatError
from .escaping import Era, escape_path, mangle, mangle_escapes

__all__ = ["MountInfoRecord", "render_mountinfo", "parse_mountinfo_line", "parse_mountinfo"]

_FIXED_FIELDS = ("mnt_id", "parent_id", "major:minor", "root", "mount_point", "mnt_opts")
_TAIL_FIELDS = ("fstype", "source", "super_opts")
_SEPARATOR = b"-"
# The known optional tags in the order show_mountinfo() prints them.
_NUMBERED_TAGS = ("shared", "master", "propagate_from")
_TAG_RANK = {"shared": 0, "master": 1, "propagate_from": 2, "unbindable": 3}


@dataclass(frozen=True)
class MountInfoRecord:
    """One mountinfo line, its fields unescaped.

    ``mnt_opts`` and ``super_opts`` are kept exactly as printed (the kernel prints the
    per-mount options from flags, and each filesystem escapes its own option values).
    ``extra_tags`` holds optional tags this module does not know, verbatim and in order;
    the kernel model never produces them.
    """

    mnt_id: int
    parent_id: int
    major: int
    minor: int
    root: bytes
    mount_point: bytes
    mnt_opts: bytes
    fstype: bytes
    source: bytes
    super_opts: bytes
    shared: int | None = None
    master: int | None = None
    propagate_from: int | None = None
    unbindable: bool = False
    extra_tags: tuple[bytes, ...] = ()


def render_mountinfo(rec: MountInfoRecord, era: Era = "current", *, check: bool = True) -> bytes:
    """The line ``show_mountinfo()`` prints for ``rec``, with its trailing newline.

    Raises :class:`FormatError` (``lineno`` None) for a record no kernel could print,
    e.g. an empty mount point or ``propagate_from`` without ``master``.  With
    ``check=False`` the record is printed as it is, as the kernel prints what it has
    (the model's ``show_mountinfo`` under the verifier, which parses every line a
    reader gets back strictly and reports a bad one as ``malformed``).
    """
    mangle_escapes(era)
    if check:
        _check_record(rec)
    parts = [
        b"%d %d %d:%d " % (rec.mnt_id, rec.parent_id, rec.major, rec.minor),
        escape_path(rec.root),
        b" ",
        escape_path(rec.mount_point),
        b" ",
        rec.mnt_opts,
    ]
    for tag in _tags(rec):
        parts += (b" ", tag)
    parts += (b" - ", mangle(rec.fstype, era), b" ", mangle(rec.source, era), b" ", rec.super_opts, b"\n")
    return b"".join(parts)


def parse_mountinfo_line(line: bytes, lineno: int | None = None, era: Era = "current") -> MountInfoRecord:
    """Parse one mountinfo line (its trailing newline optional) into a record.

    Strict: raises :class:`FormatError` naming ``lineno`` and the field for anything
    ``show_mountinfo()`` does not print.  Unknown optional tags after the known ones go
    to ``extra_tags``.  ``era`` only has to be valid: unescaping is the same for both.
    """
    mangle_escapes(era)
    text = one_line(line, lineno)
    tokens = text.split(b" ")
    if len(tokens) < len(_FIXED_FIELDS):
        raise FormatError(
            lineno, _FIXED_FIELDS[len(tokens)], f"missing (the line has only {len(tokens)} space-separated fields)"
        )
    sep = _find_separator(tokens, lineno)
    tail = tokens[sep + 1 :]
    if len(tail) < len(_TAIL_FIELDS):
        raise FormatError(lineno, _TAIL_FIELDS[len(tail)], "missing after the ' - ' separator")
    mnt_id = parse_decimal(tokens[0], "mnt_id", lineno, 0, INT_MAX)
    parent_id = parse_decimal(tokens[1], "parent_id", lineno, 0, INT_MAX)
    major, minor = _parse_device_number(tokens[2], lineno)
    root = parse_escaped(tokens[3], "root", lineno)
    mount_point = parse_escaped(tokens[4], "mount_point", lineno)
    check_opts(tokens[5], "mnt_opts", lineno, flag_list=True)
    tags = _parse_tags(tokens[6:sep], lineno)
    fstype = parse_escaped(tail[0], "fstype", lineno)
    source = parse_escaped(tail[1], "source", lineno, allow_empty=True)
    super_opts = b" ".join(tail[2:])
    check_opts(super_opts, "super_opts", lineno, flag_list=False)
    return MountInfoRecord(
        mnt_id, parent_id, major, minor, root, mount_point, tokens[5], fstype, source, super_opts, **tags  # type: ignore[arg-type]  # each tag's type is its field's
    )


def parse_mountinfo(data: bytes, era: Era = "current") -> list[MountInfoRecord]:
    """Parse a whole mountinfo file; lines are split on ``\\n`` only and numbered from 1.

    Non-empty ``data`` must end with a newline (a short read ends inside a line).
    """
    return [parse_mountinfo_line(line, lineno, era) for lineno, line in numbered_lines(data)]


def _find_separator(tokens: list[bytes], lineno: int | None) -> int:
    try:
        sep = tokens.index(_SEPARATOR, len(_FIXED_FIELDS) - 1)
    except ValueError:
        raise FormatError(
            lineno, "separator", "missing the ' - ' between the mount options and the filesystem type"
        ) from None
    if sep == len(_FIXED_FIELDS) - 1:
        raise FormatError(lineno, "mnt_opts", "missing (' - ' follows the mount point)")
    return sep


def _parse_device_number(token: bytes, lineno: int | None) -> tuple[int, int]:
    major, colon, minor = token.partition(b":")
    if not colon:
        raise FormatError(lineno, "major:minor", f"expected 'major:minor', got {show(token)}")
    return (
        parse_decimal(major, "major", lineno, 0, MAJOR_MAX),
        parse_decimal(minor, "minor", lineno, 0, MINOR_MAX),
    )


def _known_tag(token: bytes, lineno: int | None) -> tuple[str, int | bool] | None:
    """``(name, value)`` for a tag ``show_mountinfo()`` prints, ``None`` for another one."""
    if token == b"unbindable":
        return "unbindable", True
    for name in _NUMBERED_TAGS:
        prefix = name.encode() + b":"
        if token.startswith(prefix):
            return name, parse_decimal(token[len(prefix) :], name, lineno, 1, INT_MAX)
    return None


def _parse_tags(tokens: list[bytes], lineno: int | None) -> dict[str, object]:
    values: dict[str, object] = {}
    extra: list[bytes] = []
    for token in tokens:
        known = _known_tag(token, lineno)
        if known is None:
            if not token:
                raise FormatError(lineno, "extra_tags", "empty optional field (two spaces in a row)")
            extra.append(token)
            continue
        name, value = known
        if extra:
            raise FormatError(lineno, name, f"{show(token)} follows the unknown tag {show(extra[0])}")
        if name in values:
            raise FormatError(lineno, name, f"{show(token)} is repeated")
        later = [other for other in values if _TAG_RANK[other] > _TAG_RANK[name]]
        if later:
            raise FormatError(lineno, name, f"{show(token)} follows {later[0]}, which the kernel prints after it")
        values[name] = value
    _check_propagate_from(values.get("master"), values.get("propagate_from"), lineno)
    return {**values, "extra_tags": tuple(extra)}


def _check_propagate_from(master: object, propagate_from: object, lineno: int | None) -> None:
    """``show_mountinfo()`` prints ``propagate_from:N`` only after ``master:M`` and if N != M."""
    if propagate_from is None:
        return
    if master is None:
        raise FormatError(lineno, "propagate_from", "present without master (only slaves show it)")
    if propagate_from == master:
        raise FormatError(lineno, "propagate_from", f"equals master ({master}); the kernel omits it then")


def _tags(rec: MountInfoRecord) -> list[bytes]:
    tags = [b"%s:%d" % (name.encode(), getattr(rec, name)) for name in _NUMBERED_TAGS if getattr(rec, name) is not None]
    if rec.unbindable:
        tags.append(b"unbindable")
    return tags + list(rec.extra_tags)


def _check_record(rec: MountInfoRecord) -> None:
    """Refuse a record whose line would not parse back to it."""
    check_int(rec.mnt_id, "mnt_id", 0, INT_MAX)
    check_int(rec.parent_id, "parent_id", 0, INT_MAX)
    check_int(rec.major, "major", 0, MAJOR_MAX)
    check_int(rec.minor, "minor", 0, MINOR_MAX)
    check_string(rec.root, "root")
    check_string(rec.mount_point, "mount_point")
    check_string(rec.fstype, "fstype")
    check_string(rec.source, "source", allow_empty=True)
    check_opts(rec.mnt_opts, "mnt_opts", None, flag_list=True)
    check_opts(rec.super_opts, "super_opts", None, flag_list=False)
    for name in _NUMBERED_TAGS:
        if getattr(rec, name) is not None:
            check_int(getattr(rec, name), name, 1, INT_MAX)
    _check_propagate_from(rec.master, rec.propagate_from, None)
    if not isinstance(rec.unbindable, bool):
        raise FormatError(None, "unbindable", f"expected a bool, got {type(rec.unbindable).__name__}")
    if not isinstance(rec.extra_tags, tuple):
        raise FormatError(None, "extra_tags", f"expected a tuple, got {type(rec.extra_tags).__name__}")
    for tag in rec.extra_tags:
        _check_extra_tag(tag)


def _check_extra_tag(tag: object) -> None:
    if not isinstance(tag, bytes):
        raise FormatError(None, "extra_tags", f"expected bytes, got {type(tag).__name__}")
    if not tag or tag == _SEPARATOR or any(c in tag for c in b" \n\0"):
        raise FormatError(None, "extra_tags", f"{show(tag)} is empty, '-', or holds a space, newline or NUL")
    if tag == b"unbindable" or tag.startswith(tuple(name.encode() + b":" for name in _NUMBERED_TAGS)):
        raise FormatError(None, "extra_tags", f"{show(tag)} is a known tag: set the record's field instead")
