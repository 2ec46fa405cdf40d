"""Interim minimal proc-format renderer/parser (replaced by the full module from branch `format`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

Era = Literal["old", "current"]
ERAS: tuple[Era, ...] = ("old", "current")


class FormatError(ValueError):
    def __init__(self, message: str, lineno: Optional[int] = None, field: str = "") -> None:
        self.lineno, self.field, self.message = lineno, field, message
        where = f"line {lineno}, " if lineno is not None else ""
        super().__init__(f"{where}field {field!r}: {message}")


def escape(s: bytes, chars: bytes) -> bytes:
    out = bytearray()
    for c in s:
        if c in chars:
            out += b"\\%03o" % c
        else:
            out.append(c)
    return bytes(out)


def unescape(s: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == 0x5C and i + 3 < len(s) + 0 and all(0x30 <= c <= 0x37 for c in s[i + 1:i + 4]) and len(s[i + 1:i + 4]) == 3:
            out.append(int(s[i + 1:i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(s[i])
            i += 1
    return bytes(out)


def mangle(s: bytes, era: Era) -> bytes:
    return escape(s, b" \t\n\\#" if era == "current" else b" \t\n\\")


def escape_path(s: bytes) -> bytes:
    return escape(s, b" \t\n\\")


@dataclass(frozen=True)
class MountInfoRecord:
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
    shared: Optional[int] = None
    master: Optional[int] = None
    propagate_from: Optional[int] = None
    unbindable: bool = False
    extra_tags: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class MountsRecord:
    source: bytes
    mount_point: bytes
    fstype: bytes
    opts: bytes


@dataclass(frozen=True)
class MountStatsRecord:
    source: Optional[bytes]
    mount_point: bytes
    fstype: bytes
    stats: Optional[bytes] = None


def render_mountinfo(r: MountInfoRecord, era: Era = "current") -> bytes:
    tags = b""
    if r.shared is not None:
        tags += b" shared:%d" % r.shared
    if r.master is not None:
        tags += b" master:%d" % r.master
    if r.propagate_from is not None:
        tags += b" propagate_from:%d" % r.propagate_from
    if r.unbindable:
        tags += b" unbindable"
    for t in r.extra_tags:
        tags += b" " + t
    return (b"%d %d %d:%d " % (r.mnt_id, r.parent_id, r.major, r.minor) + escape_path(r.root) + b" "
            + escape_path(r.mount_point) + b" " + r.mnt_opts + tags + b" - " + mangle(r.fstype, era) + b" "
            + mangle(r.source, era) + b" " + r.super_opts + b"\n")


def render_mounts(r: MountsRecord, era: Era = "current") -> bytes:
    return mangle(r.source, era) + b" " + escape_path(r.mount_point) + b" " + mangle(r.fstype, era) + b" " + r.opts + b" 0 0\n"


def render_mountstats(r: MountStatsRecord, era: Era = "current") -> bytes:
    dev = b"device " + mangle(r.source, era) if r.source is not None else b"no device"
    return (dev + b" mounted on " + escape_path(r.mount_point) + b" with fstype " + mangle(r.fstype, era)
            + (b" " + r.stats if r.stats else b"") + b"\n")


def parse_mountinfo_line(line: bytes, lineno: Optional[int] = None, era: Era = "current") -> MountInfoRecord:
    line = line[:-1] if line.endswith(b"\n") else line
    f = line.split(b" ")
    if b"-" not in f:
        raise FormatError("no ' - ' separator", lineno, "separator")
    sep = f.index(b"-")
    if sep < 6 or len(f) - sep - 1 != 3:
        raise FormatError(f"expected 6+ fields, '-', 3 fields; got {len(f)}", lineno, "fields")
    try:
        mnt_id, parent = int(f[0]), int(f[1])
        major, minor = (int(x) for x in f[2].split(b":"))
    except ValueError:
        raise FormatError("bad number", lineno, "mnt_id") from None
    kw: dict[str, object] = {}
    extra = []
    for t in f[6:sep]:
        k, _, v = t.partition(b":")
        if k in (b"shared", b"master", b"propagate_from"):
            kw[k.decode()] = int(v)
        elif t == b"unbindable":
            kw["unbindable"] = True
        else:
            extra.append(t)
    return MountInfoRecord(mnt_id, parent, major, minor, unescape(f[3]), unescape(f[4]), f[5],
                           unescape(f[sep + 1]), unescape(f[sep + 2]), f[sep + 3], extra_tags=tuple(extra),
                           **kw)  # type: ignore[arg-type]
