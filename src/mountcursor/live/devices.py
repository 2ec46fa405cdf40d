"""Paths, device tags and filesystem kinds as util-linux sees them.

    canonicalize(b"/dev/disk/by-uuid/1234")      # -> b"/dev/vda1" (dm-N as /dev/mapper/NAME)
    parse_tag(b"LABEL=root")                     # -> ("LABEL", b"root")
    resolve_tag("LABEL", b"my disk")             # -> the device (libblkid), else the udev link resolved
    resolve_spec(b"UUID=...") / resolve_spec(b"/dev/root")
    device_tag(b"/dev/vda1", "UUID")             # -> the device's UUID (a probe), else from the udev links
    streq_paths(b"/a//b/", b"/a/b")              # -> True

Tags are resolved and devices probed with the system's libblkid, as findmnt does
(:mod:`mountcursor.live.blkid`); where it cannot be loaded, or for a ``disk_dir`` other
than ``/dev/disk`` (a test's), through the udev links in ``disk_dir/by-*`` alone, said
once on stderr.  Follows util-linux 2.38.1 ``lib/canonicalize.c``
(``canonicalize_path``), ``lib/strutils.c`` (``streq_paths``), libmount
``mnt_resolve_spec`` and ``mnt_fs_match_source``, and libblkid's
``blkid_parse_tag_string`` and udev evaluation of tags (``blkid_encode_string``):
read for behaviour, written anew.
"""

from __future__ import annotations

import errno
import os
import stat

from ..format.escaping import c_string

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["TAG_NAMES", "DISK_DIR", "streq_paths", "path_key", "canonicalize", "split_tag", "parse_tag", "resolve_tag",
           "resolve_spec", "device_tag", "is_pseudofs", "is_netfs", "source_matches"]

TAG_NAMES = ("LABEL", "UUID", "PARTUUID", "PARTLABEL")
"""The tags findmnt names (a positional argument that is one of them is never a target)."""
_VALID_TAGS = (*TAG_NAMES, "ID")  # libmount mnt_valid_tagname
DISK_DIR = b"/dev/disk"


def streq_paths(a: bytes, b: bytes) -> bool:
    """Equal as paths, as util-linux ``streq_paths`` compares them (:func:`path_key`).
    A query compared with every mount is split once (the last few paths are kept)."""
    return _components(a) == _components(b)


def path_key(path: bytes) -> tuple[bytes, ...]:
    """What util-linux ``streq_paths`` (``lib/strutils.c``) sees of a path: two paths are
    equal as paths exactly when their keys are.  It compares segments that each keep the
    ``/`` before them (a run of ``/`` counts as one) and ignores one trailing ``/``: so
    ``/a//b/`` is ``/a/b``, ``""`` is ``/``, and a relative ``a`` is not ``/a``.  The key
    of an absolute path is its non-empty components (those of a directory above it are a
    prefix of them); a relative path's starts with ``b""``, which no component is."""
    path = c_string(path)  # libmount's path ends at an escaped NUL
    parts = tuple(s for s in path.split(b"/") if s)
    return parts if not path or path[:1] == b"/" or not parts else (b"",) + parts


_SPLIT: dict[bytes, tuple[bytes, ...]] = {}  # the paths split last (functools' cache costs an import)


def _components(path: bytes) -> tuple[bytes, ...]:
    parts = _SPLIT.get(path)
    if parts is None:
        if len(_SPLIT) >= 16:
            _SPLIT.clear()
        parts = _SPLIT[path] = path_key(path)
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


def split_tag(spec: bytes) -> tuple[bytes, bytes] | None:
    """libblkid ``blkid_parse_tag_string``: ``(NAME, value)`` of any ``NAME=value``, the
    value up to its closing quote when it starts with one; None without ``=``, for an
    empty value or a quote never closed."""
    name, eq, value = spec.partition(b"=")
    if not eq:
        return None
    if value[:1] in (b'"', b"'"):
        end = value.rfind(value[:1], 1)
        if end < 0:
            return None
        value = value[1:end]
    return (name, value) if value else None


def parse_tag(spec: bytes) -> tuple[str, bytes] | None:
    """``(NAME, value)`` when libmount sees ``spec`` as a tag (``LABEL=x``, ``UUID=x``,
    ``PARTUUID=x``, ``PARTLABEL=x``, ``ID=x``; see :func:`split_tag`), else ``None``."""
    tag = split_tag(spec)
    if tag is None or tag[0].decode("ascii", "replace") not in _VALID_TAGS:
        return None
    return tag[0].decode(), tag[1]


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


def _blkid(disk_dir: bytes) -> bool:
    """Whether to ask libblkid (the real /dev/disk, the library here); if not, and it
    is for want of the library, say so once."""
    if disk_dir != DISK_DIR:
        return False
    from . import blkid

    if blkid.unavailable() is None:
        return True
    blkid.say_missing()
    return False


def resolve_tag(name: str, value: bytes, disk_dir: bytes = DISK_DIR) -> bytes | None:
    """The device a tag names (libmount ``mnt_resolve_tag``): libblkid's
    ``blkid_evaluate_tag``, else the block device ``disk_dir/by-<name>/<value>``
    points at (udev's link, as libblkid's ``evaluate_by_udev`` reads it), or ``None``."""
    if _blkid(disk_dir):
        from .blkid import evaluate_tag

        return evaluate_tag(name, value)
    link = os.path.join(disk_dir, b"by-" + name.lower().encode(), _udev_encode(value))
    try:
        if not stat.S_ISBLK(os.stat(link).st_mode):
            return None
    except (OSError, ValueError):
        return None
    return canonicalize(link)


def _udev_decode(name: bytes) -> bytes:
    import re

    return re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m[1], 16)]), name)


def device_tag(dev: bytes | None, name: str, disk_dir: bytes = DISK_DIR) -> bytes | None:
    """A device's tag ``name`` (LABEL, UUID, PARTUUID, PARTLABEL, or TYPE): libmount's
    ``mnt_cache_find_tag_value``, a probe of ``dev`` with libblkid; else the name of the
    udev link in ``disk_dir/by-<name>`` that points at the device (no TYPE)."""
    if not dev:
        return None
    if _blkid(disk_dir):
        from .blkid import read_tags

        return read_tags(dev).values.get(name)
    if not dev.startswith(b"/dev/"):
        return None
    folder = os.path.join(disk_dir, b"by-" + name.lower().encode())
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for link in names:
        if canonicalize(os.path.join(folder, link)) == dev:
            return _udev_decode(link)
    return None


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
    filesystem) the canonical forms: ``spec`` resolved (a tag to its device, a path
    through its symlinks; ``resolved`` gives it from a cache, once per query), compared
    with the source's path or its canonical path; for a source that is a tag, whether
    that device has it (probed; or, unreadable or without libblkid, whether the tag
    names that device)."""
    source, fstype = c_string(source), c_string(fstype)  # what libmount holds of them
    # an empty source is a path (libmount keeps it as ""): equal to "" and, as a path, to "/"
    src = source if not source or parse_tag(source) is None else None
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
    if tag is None:
        return False
    if _blkid(disk_dir):  # does the device have the mount's tag? (it may be unreadable: then the tag's device)
        from .blkid import read_tags

        read = read_tags(cn)
        if read.values or read.errno != errno.EACCES:
            return read.values.get(tag[0]) == tag[1]
    return resolve_tag(tag[0], tag[1], disk_dir) == cn
