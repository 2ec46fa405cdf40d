"""Read any table findmnt reads with ``-F``: mountinfo, ``/proc/<pid>/mounts``, fstab.

    read_tab_file(path) -> TabFile(entries, errors, kind)      # kind: "mountinfo" | "fstab"

Lines are read as libmount reads them (util-linux 2.38 ``libmount/src/tab_parse.c``
``mnt_table_parse_next``): split on ``\\n`` only; a line that is empty or a ``#``
comment once its leading blanks (space and tab, ``skip_blank``) are skipped is not an
entry.  The format is guessed from the first entry line as ``guess_table_format``
does: a line that ``sscanf("%u %u")`` reads two numbers from is mountinfo (parsed by
:func:`~mountcursor.live.parse.parse_mountinfo`); anything else is the fstab format
that ``/proc/<pid>/mounts`` also uses, read as ``mnt_parse_table_line`` reads it:
``SOURCE TARGET TYPE [OPTIONS [FREQ [PASSNO]]]`` separated by runs of spaces and tabs
only (the kernel prints ``\\v``, ``\\f`` and ``\\r`` in a name unescaped: they are
part of it), one ``\\r`` before the line end dropped (a DOS line end), each field
``\\ooo``-unescaped, FREQ and PASSNO read by ``strtol`` into an ``int``, anything after
PASSNO (a ``# comment``) ignored.  A line that cannot be read is reported in ``errors``
(line, field and why), as findmnt reports ``parse error at line N -- ignored``.

fstab-format lines become :class:`TabEntry` (a :class:`MountEntry` with no ids, device
or root, plus ``freq``/``passno`` and the option string as written).  Their options
are split as libmount's ``mnt_split_optstr`` splits them: the names of its Linux map
(``ro``, ``nosuid``, ``relatime``, ...) are per-mount options, the names of its
userspace map (``noauto``, ``user``, ``x-*``, ...) are userspace options (left out of
the columns), ``defaults`` is none, and the rest are filesystem options.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Literal

from ..format import FormatError, unescape
from .devices import is_pseudofs, streq_paths
from .entry import MountEntry
from .parse import WORD, parse_mountinfo

__all__ = ["TabEntry", "UserEntry", "TabFile", "read_tab_file", "parse_tab", "entry_format", "TableFormat",
           "split_optstr", "split_fstab_options", "merge_utab", "utab_path", "all_options"]

# guess_table_format: sscanf(line, "%u %u") == 2 (each %u skips C whitespace, takes a
# sign and every digit; the space between matches any whitespace, or none)
_MOUNTINFO_LINE = re.compile(rb"[\t\n\v\f\r ]*[+-]?[0-9]+(?![0-9])[\t\n\v\f\r ]*[+-]?[0-9]")
# next_s32: strtol (C whitespace, a sign, base-10 digits) that must end at the field's end
_C_LONG = re.compile(rb"[\t\n\v\f\r ]*([+-]?)0*([0-9]+)")

# libmount/src/optmap.c (2.38): linux_flags_map and userspace_opts_map, names only.
_LINUX_OPTS = frozenset(
    b"ro rw exec noexec suid nosuid dev nodev sync async dirsync remount bind rbind sub nosub silent loud "
    b"mand nomand atime noatime iversion noiversion diratime nodiratime relatime norelatime strictatime "
    b"nostrictatime lazytime nolazytime unbindable runbindable private rprivate slave rslave shared rshared "
    b"symfollow nosymfollow".split())
_USER_NAMES = frozenset(  # names only (a value makes the option a filesystem one)
    b"auto noauto nouser users nousers owner noowner group nogroup _netdev nofail".split())
_USER_VALUED = frozenset(  # "user[=]", "loop[=]", "comment=", ...: with a value or without
    b"user loop comment offset sizelimit encryption uhelper helper verity.hashdevice verity.roothash "
    b"verity.hashoffset verity.roothashfile verity.fecdevice verity.fecoffset verity.fecroots "
    b"verity.roothashsig verity.oncorruption".split())


@dataclass(slots=True, unsafe_hash=True)
class TabEntry(MountEntry):
    """An fstab-format line: no mount id, parent, device or root (all 0 / empty)."""

    freq: int = 0
    passno: int = 0
    optstr: bytes = b""


@dataclass(slots=True, unsafe_hash=True)
class UserEntry(MountEntry):
    """A kernel mount with the userspace options libmount keeps for it in utab."""

    user_options: bytes = b""


def all_options(e: MountEntry) -> bytes:
    """The option string findmnt shows and matches: an fstab line's as written, a
    kernel mount's merged per-mount and super-block options (plus utab's, ``-m``)."""
    if isinstance(e, TabEntry):
        return e.optstr
    if isinstance(e, UserEntry) and e.user_options:
        return e.options + b"," + e.user_options
    return e.options


def utab_path() -> str:
    """libmount's utab: ``$LIBMOUNT_UTAB``, else ``/run/mount/utab``."""
    return os.environ.get("LIBMOUNT_UTAB") or "/run/mount/utab"


def _utab_lines(data: bytes) -> list[dict[bytes, bytes]]:
    out = []
    for line in data.split(b"\n"):
        if not line.strip() or line.lstrip().startswith(b"#"):
            continue
        fields: dict[bytes, bytes] = {}
        for token in line.split(b" "):
            key, eq, value = token.partition(b"=")
            if eq and key in (b"SRC", b"TARGET", b"ROOT", b"OPTS", b"ATTRS", b"BINDSRC", b"ID"):
                fields.setdefault(key, unescape(value))
        out.append(fields)
    return out


def merge_utab(entries: list[MountEntry], data: bytes) -> list[MountEntry]:
    """``findmnt -m``: add utab's userspace options (``OPTS=``) to the kernel mount with
    the same source, mount point and root, each mount at most once, both tables read
    from the end (libmount 2.38 ``mnt_table_merge_user_fs``)."""
    out = list(entries)
    merged: set[int] = set()
    for fields in reversed(_utab_lines(data)):
        src, target, root = fields.get(b"SRC"), fields.get(b"TARGET"), fields.get(b"ROOT")
        opts = fields.get(b"OPTS")
        if src is None or target is None or root is None or (opts is None and b"ATTRS" not in fields):
            continue
        for i in range(len(out) - 1, -1, -1):
            e = out[i]
            if i in merged or e.root != root or not streq_paths(e.target, target):
                continue
            if not (e.source == src if is_pseudofs(e.fstype) else streq_paths(e.source, src)):
                continue
            merged.add(i)
            if opts:
                out[i] = UserEntry(**{f: getattr(e, f) for f in _FIELDS}, user_options=opts)
            break
    return out


_FIELDS = tuple(f for f in MountEntry.__dataclass_fields__)


@dataclass
class TabFile:
    entries: list[MountEntry] = field(default_factory=list)
    errors: list[FormatError] = field(default_factory=list)
    kind: Literal["mountinfo", "fstab"] = "mountinfo"


def split_optstr(optstr: bytes) -> tuple[bytes, bytes, bytes]:
    """``(vfs, fs, user)`` option strings of an fstab option string, as libmount's
    ``mnt_split_optstr`` splits them: names of its Linux map without a value are
    per-mount options; names of its userspace map (``noauto``, ``user=x``, ``x-*``,
    ``comment=``...) are userspace options, unless one that takes no value has one;
    ``defaults`` is none; the rest are the filesystem's."""
    vfs: list[bytes] = []
    fs: list[bytes] = []
    user: list[bytes] = []
    for item in optstr.split(b","):
        if not item:
            continue
        name, eq, _ = item.partition(b"=")
        if name == b"defaults":
            continue
        if name in _LINUX_OPTS and not eq:      # "ro=1" is not the flag ro
            vfs.append(item)
        elif name in _USER_VALUED or (name in _USER_NAMES and not eq) or name.startswith((b"x-", b"X-")):
            user.append(item)
        else:
            fs.append(item)
    return b",".join(vfs), b",".join(fs), b",".join(user)


def split_fstab_options(optstr: bytes) -> tuple[bytes, bytes]:
    """``(vfs, fs)`` option strings of an fstab option string (:func:`split_optstr`)."""
    return split_optstr(optstr)[:2]


def _s32(token: bytes, name: str, lineno: int) -> int:
    """``next_s32``: ``strtol`` of the whole field, kept in a C ``int`` (``4294967295``
    is -1 there, as findmnt shows it); out of a ``long``'s range is an error."""
    m = _C_LONG.fullmatch(token)
    if m is None:
        raise FormatError(lineno, name, f"expected a decimal integer, got {token[:40]!r}")
    if len(m[2]) > 19 or not -2**63 <= (value := int(m[1] + m[2])) < 2**63:
        raise FormatError(lineno, name, f"{token[:40]!r} is out of the range of a C long")
    return (value + 2**31) % 2**32 - 2**31


def _fstab_line(line: bytes, lineno: int) -> TabEntry:
    """One fstab-format line (its line end and leading blanks gone), as libmount's
    ``mnt_parse_table_line`` reads it."""
    fields = WORD.findall(line)
    if len(fields) < 3:
        raise FormatError(lineno, ("source", "target", "fstype")[len(fields)],
                          "missing: an fstab line needs at least SOURCE, TARGET and TYPE")
    freq, passno = (_s32(raw, name, lineno) for name, raw in zip(("freq", "passno"), fields[4:6] + [b"0", b"0"]))
    optstr = fields[3] if len(fields) > 3 else b""
    vfs, fs = split_fstab_options(optstr)
    return TabEntry(
        mnt_id=0, parent_id=0, major=0, minor=0, root=b"", target=unescape(fields[1]), vfs_options=vfs,
        fstype=unescape(fields[2]), source=unescape(fields[0]), fs_options=fs,
        lineno=lineno, freq=freq, passno=passno, optstr=optstr,
    )


def _entry_line(line: bytes) -> bytes | None:
    """The line as libmount parses it (one ``\\r`` before the line end dropped, leading
    blanks skipped), or None for a blank line or a ``#`` comment."""
    if line.endswith(b"\r"):
        line = line[:-1]
    line = line.lstrip(b" \t")
    return line if line and not line.startswith(b"#") else None


TableFormat = Literal["mountinfo", "fstab"]
"""The formats libmount reads a table in (``/proc/<pid>/mounts`` is fstab's)."""


def entry_format(data: bytes) -> TableFormat | None:
    """The format libmount guesses from a table's first entry line (``guess_table_format``:
    ``"mountinfo"`` or ``"fstab"``), or None for a table of blank lines and comments,
    which leaves the guess to the next file's lines: findmnt parses every ``-F`` file
    of a command line into one table, in the format guessed once for that table."""
    first = next((s for s in map(_entry_line, data.split(b"\n")) if s is not None), None)
    if first is None:
        return None
    return "mountinfo" if _MOUNTINFO_LINE.match(first) else "fstab"


def parse_tab(data: bytes, *, strict: bool = False, fstab: bool = False, kind: TableFormat | None = None) -> TabFile:
    """Parse a table in whichever format its first entry line has (a table of blank
    lines and comments only is an empty fstab); with ``fstab``, as fstab whatever its
    lines look like (libmount's ``mnt_table_parse_fstab``: ``findmnt -s``, ``-x``); with
    ``kind``, in that format (``"mountinfo"`` or ``"fstab"``: one guessed from an
    earlier file, :func:`entry_format`)."""
    lines = data.split(b"\n")
    fstab = fstab or kind == "fstab"
    first = next((s for s in map(_entry_line, lines) if s is not None), None)
    if first is None and (fstab or kind or data.strip(b" \t\r\n")):
        return TabFile(kind=kind or "fstab")
    if not fstab and (first is None or kind == "mountinfo" or _MOUNTINFO_LINE.match(first)):
        result = parse_mountinfo(data, strict=strict)
        return TabFile(list(result.entries), list(result.errors), "mountinfo")
    out = TabFile(kind="fstab")
    if lines[-1] == b"":
        lines.pop()
    for lineno, line in enumerate(lines, 1):
        s = _entry_line(line)
        if s is None:
            continue
        try:
            out.entries.append(_fstab_line(s, lineno))
        except FormatError as err:
            if strict:
                raise
            out.errors.append(err)
    return out


def read_tab_file(path: str | bytes, *, strict: bool = False) -> TabFile:
    with open(path, "rb") as f:
        return parse_tab(f.read(), strict=strict)
