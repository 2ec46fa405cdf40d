"""Paths, device tags and filesystem kinds as util-linux sees them (no libblkid, no libudev).

    canonicalize(b"/dev/disk/by-uuid/1234")      # -> b"/dev/vda1" (dm-N as /dev/mapper/NAME)
    parse_tag(b"LABEL=root")                     # -> ("LABEL", b"root")
    resolve_tag("LABEL", b"my disk")             # -> /dev/disk/by-label/my\\x20disk, resolved
    resolve_spec(b"UUID=...") / resolve_spec(b"/dev/root")
    streq_paths(b"/a//b/", b"/a/b")              # -> True

Follows util-linux 2.38.1 ``lib/canonicalize.c`` (``canonicalize_path``),
``lib/strutils.c`` (``streq_paths``), libmount ``mnt_resolve_spec`` and libblkid's
udev evaluation of tags (``blkid_encode_string``): read for behaviour, written anew.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["TAG_NAMES", "DISK_DIR", "streq_paths", "canonicalize", "parse_tag", "resolve_tag", "resolve_spec",
           "is_pseudofs", "is_netfs", "source_matches"]

TAG_NAMES = ("LABEL", "UUID", "PARTUUID", "PARTLABEL")
DISK_DIR = b"/dev/disk"


def streq_paths(a: bytes, b: bytes) -> bool:
    """Equal as paths: the same non-empty components (``//`` and a trailing ``/`` ignored).
    A query compared with every mount is split once (the last few paths are kept)."""
    return _components(a) == _components(b)


_SPLIT: dict[bytes, tuple[bytes, ...]] = {}  # the paths split last (functools' cache costs an import)


def _components(path: bytes) -> tuple[bytes, ...]:
    parts = _SPLIT.get(path)
    if parts is None:
        if len(_SPLIT) >= 16:
            _SPLIT.clear()
        parts = _SPLIT[path] = tuple(s for s in path.split(b"/") if s)
    return parts


def canonicalize(path: bytes) -> bytes | None:
    """util-linux ``canonicalize_path``: ``realpath`` if the path resolves, else the path
    itself; ``/dev/dm-N`` as ``/dev/mapper/NAME``; ``None`` for an empty path.  A path
    with a NUL in it (from a ``\\000`` escape) names no file: it is kept as it is."""
    if not path:
        return None
    try:
        real = os.path.realpath(path, strict=True)
    except (OSError, ValueError):  # ValueError: a NUL
        return path
    if real.startswith(b"/dev/dm-"):
        try:
            with open(b"/sys/block/" + real[5:] + b"/dm/name", "rb") as f:
                name = f.read().rstrip(b"\n")
            if name:
                return b"/dev/mapper/" + name
        except OSError:
            pass
    return real


def parse_tag(spec: bytes) -> tuple[str, bytes] | None:
    """``(NAME, value)`` for ``LABEL=x``, ``UUID=x``, ``PARTUUID=x``, ``PARTLABEL=x``
    (value unquoted), else ``None``."""
    name, eq, value = spec.partition(b"=")
    if not eq or name.decode("ascii", "replace") not in TAG_NAMES:
        return None
    if len(value) >= 2 and value[:1] in (b'"', b"'") and value[-1:] == value[:1]:
        value = value[1:-1]
    return name.decode(), value


def _udev_encode(value: bytes) -> bytes:
    """libblkid ``blkid_encode_string``: keep alphanumerics, ``#+-.:=@_`` and valid UTF-8,
    every other byte as ``\\xHH`` (how udev names ``/dev/disk/by-label`` links)."""
    out = bytearray()
    text = value.decode("utf-8", "surrogateescape")
    for ch in text:
        raw = ch.encode("utf-8", "surrogateescape")
        if (ch.isascii() and (ch.isalnum() or ch in "#+-.:=@_")) or (len(raw) > 1 and not 0xDC80 <= ord(ch) <= 0xDCFF):
            out += raw
        else:
            out += b"".join(b"\\x%02x" % b for b in raw)
    return bytes(out)


def resolve_tag(name: str, value: bytes, disk_dir: bytes = DISK_DIR) -> bytes | None:
    """The device a tag names, through ``/dev/disk/by-<name>/<value>`` (udev), or ``None``."""
    link = os.path.join(disk_dir, b"by-" + name.lower().encode(), _udev_encode(value))
    if not os.path.lexists(link):
        return None
    return canonicalize(link)


def resolve_spec(spec: bytes, disk_dir: bytes = DISK_DIR) -> bytes | None:
    """libmount ``mnt_resolve_spec``: a tag to its device, a path to its canonical form."""
    tag = parse_tag(spec)
    if tag is not None:
        return resolve_tag(tag[0], tag[1], disk_dir)
    return canonicalize(spec)


# libmount/src/utils.c (2.38): mnt_fstype_is_pseudofs() and mnt_fstype_is_netfs()
_PSEUDOFS = frozenset(
    b"anon_inodefs apparmorfs autofs bdev binder binfmt_misc bpf cgroup cgroup2 configfs cpuset debugfs "
    b"devfs devpts devtmpfs dlmfs dmabuf drm efivarfs fuse fuse.archivemount fuse.avfsd fuse.dumpfs "
    b"fuse.encfs fuse.gvfs-fuse-daemon fuse.gvfsd-fuse fuse.lxcfs fuse.rofiles-fuse fuse.vmware-vmblock "
    b"fuse.xwmfs fusectl hugetlbfs ipathfs mqueue nfsd none nsfs overlay pipefs proc pstore ramfs resctrl "
    b"rootfs rpc_pipefs securityfs selinuxfs smackfs sockfs spufs sysfs tmpfs tracefs vboxsf virtiofs".split())


def is_pseudofs(fstype: bytes) -> bool:
    return fstype in _PSEUDOFS


def is_netfs(fstype: bytes) -> bool:
    return (fstype in (b"cifs", b"smb3", b"smbfs", b"afs", b"ncpfs", b"glusterfs", b"fuse.curlftpfs", b"fuse.sshfs")
            or fstype.startswith((b"nfs", b"9p")))


def source_matches(source: bytes, fstype: bytes, spec: bytes, disk_dir: bytes = DISK_DIR,
                   canonical: bool = True, *, resolved: Callable[[], bytes | None] | None = None) -> bool:
    """libmount ``mnt_fs_match_source`` of a mount's source and type: the source as
    written (a path compared as a path, unless the filesystem is pseudo), then (with
    ``canonical``: findmnt without ``-C``, and neither a pseudo nor a network
    filesystem) the canonical forms: ``spec`` resolved (a tag through the udev links,
    a path through its symlinks; ``resolved`` gives it from a cache, once per query),
    compared with the source's path or its canonical path, or with the device of the
    source's own tag."""
    src = source if source and parse_tag(source) is None else None
    pseudo = is_pseudofs(fstype)
    if src is not None and (src == spec if pseudo else streq_paths(src, spec)):
        return True
    if not source:
        return False
    if src is None and spec == source:
        return True
    if not canonical or pseudo or is_netfs(fstype):
        return False
    cn = resolve_spec(spec, disk_dir) if resolved is None else resolved()
    if cn is None:
        return False
    if src is not None:
        return streq_paths(src, cn) or canonicalize(src) == cn
    tag = parse_tag(source)
    return tag is not None and resolve_tag(tag[0], tag[1], disk_dir) == cn
