"""Thin ctypes bindings for the mount-related Linux system calls.

Python 3.11 has none of these in :mod:`os`.  Every function raises :class:`OSError`
with the errno and a message naming the call and its argument; nothing here checks the
kernel version string: a feature is there when the call works (backports exist).

Mount changes (the sandbox uses them; they need CAP_SYS_ADMIN):
    :func:`mount`, :func:`umount2`, :func:`unshare`, :func:`prctl_set_pdeathsig`,
    :func:`mount_fs` (fsopen/fsconfig/fsmount/move_mount: options as separate strings,
    so a value may hold commas).
Reading mounts:
    :func:`listmount` (458), :func:`statmount` (457) returning :class:`StatMount`,
    :func:`statx_mount` returning :class:`StatxMount` (``STATX_MNT_ID``,
    ``STATX_MNT_ID_UNIQUE``, ``STATX_ATTR_MOUNT_ROOT``), :func:`poll_fd`.
fanotify mount events (6.15+, CAP_SYS_ADMIN):
    :func:`fanotify_init`, :func:`fanotify_mark`, :func:`parse_fanotify_events`.
Feature probes (cached, by trying the call):
    :func:`has_listmount`, :func:`has_statx_mnt_id_unique`.

Syscall numbers are those of x86_64 and the asm-generic table (aarch64 and most newer
ports); on other architectures :func:`listmount`/:func:`statmount` raise ``ENOSYS``.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import select
import struct
from dataclasses import dataclass

__all__ = [
    "MS_RDONLY", "MS_NOSUID", "MS_NODEV", "MS_NOEXEC", "MS_REMOUNT", "MS_BIND", "MS_MOVE",
    "MS_REC", "MS_UNBINDABLE", "MS_PRIVATE", "MS_SLAVE", "MS_SHARED",
    "MNT_FORCE", "MNT_DETACH", "MNT_EXPIRE", "UMOUNT_NOFOLLOW", "CLONE_NEWNS",
    "LSMT_ROOT", "LISTMOUNT_REVERSE", "STATMOUNT_SB_BASIC", "STATMOUNT_MNT_BASIC",
    "STATMOUNT_PROPAGATE_FROM", "STATMOUNT_MNT_ROOT", "STATMOUNT_MNT_POINT",
    "STATMOUNT_FS_TYPE", "STATMOUNT_MNT_NS_ID", "STATMOUNT_MNT_OPTS",
    "STATMOUNT_FS_SUBTYPE", "STATMOUNT_SB_SOURCE",
    "MOUNT_ATTR_RDONLY", "MOUNT_ATTR_NOSUID", "MOUNT_ATTR_NODEV", "MOUNT_ATTR_NOEXEC",
    "MOUNT_ATTR__ATIME", "MOUNT_ATTR_NOATIME", "MOUNT_ATTR_STRICTATIME",
    "MOUNT_ATTR_NODIRATIME", "MOUNT_ATTR_IDMAP", "MOUNT_ATTR_NOSYMFOLLOW",
    "POLLPRI", "POLLERR",
    "FAN_MNT_ATTACH", "FAN_MNT_DETACH", "FAN_Q_OVERFLOW",
    "mount", "umount2", "unshare", "prctl_set_pdeathsig", "mount_fs",
    "listmount", "statmount", "StatMount", "statx_mount", "StatxMount", "poll_fd",
    "fanotify_init", "fanotify_mark", "parse_fanotify_events", "FanotifyEvent",
    "has_listmount", "has_statx_mnt_id_unique",
]

# mount(2) flags (include/uapi/linux/mount.h)
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_MOVE = 8192
MS_REC = 16384
MS_UNBINDABLE = 1 << 17
MS_PRIVATE = 1 << 18
MS_SLAVE = 1 << 19
MS_SHARED = 1 << 20
# umount2(2) flags
MNT_FORCE = 1
MNT_DETACH = 2
MNT_EXPIRE = 4
UMOUNT_NOFOLLOW = 8
CLONE_NEWNS = 0x00020000

# listmount(2) / statmount(2)
_NR_STATMOUNT = 457
_NR_LISTMOUNT = 458
LSMT_ROOT = 0xFFFFFFFFFFFFFFFF
LISTMOUNT_REVERSE = 1
STATMOUNT_SB_BASIC = 0x0001
STATMOUNT_MNT_BASIC = 0x0002
STATMOUNT_PROPAGATE_FROM = 0x0004
STATMOUNT_MNT_ROOT = 0x0008
STATMOUNT_MNT_POINT = 0x0010
STATMOUNT_FS_TYPE = 0x0020
STATMOUNT_MNT_NS_ID = 0x0040
STATMOUNT_MNT_OPTS = 0x0080
STATMOUNT_FS_SUBTYPE = 0x0100
STATMOUNT_SB_SOURCE = 0x0200
_STATMOUNT_STRINGS = (
    STATMOUNT_MNT_ROOT | STATMOUNT_MNT_POINT | STATMOUNT_FS_TYPE | STATMOUNT_MNT_OPTS
    | STATMOUNT_FS_SUBTYPE | STATMOUNT_SB_SOURCE
)
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_NOEXEC = 0x8
MOUNT_ATTR__ATIME = 0x70
MOUNT_ATTR_NOATIME = 0x10
MOUNT_ATTR_STRICTATIME = 0x20
MOUNT_ATTR_NODIRATIME = 0x80
MOUNT_ATTR_IDMAP = 0x100000
MOUNT_ATTR_NOSYMFOLLOW = 0x200000

# statx(2)
_AT_FDCWD = -100
_AT_SYMLINK_NOFOLLOW = 0x100
_AT_NO_AUTOMOUNT = 0x800
_STATX_BASIC_STATS = 0x7FF
_STATX_MNT_ID = 0x1000
_STATX_MNT_ID_UNIQUE = 0x4000
_STATX_ATTR_MOUNT_ROOT = 0x2000

POLLPRI = select.POLLPRI
POLLERR = select.POLLERR

# fanotify (include/uapi/linux/fanotify.h)
_FAN_CLOEXEC = 0x00000001
_FAN_REPORT_MNT = 0x00004000
_FAN_MARK_ADD = 0x00000001
_FAN_MARK_MNTNS = 0x00000110
FAN_MNT_ATTACH = 0x01000000
FAN_MNT_DETACH = 0x02000000
FAN_Q_OVERFLOW = 0x00004000
_FAN_EVENT_INFO_TYPE_MNT = 7

_PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.statx.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_libc.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
_libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p]


def _cstr(value: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bytes:
    """``value`` as the C string ctypes passes: refused with a NUL in it (C would stop
    there and the call act on a prefix: ``/proc\\0/x`` would be ``/proc``)."""
    raw = os.fsencode(value)
    if b"\0" in raw:
        raise ValueError(f"embedded NUL in {raw!r}")
    return raw


def _fs(value: str | bytes | os.PathLike[str] | os.PathLike[bytes] | None) -> bytes | None:
    return None if value is None else _cstr(value)


def _path(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bytes:
    """``path`` as a C string; with a NUL it names no file: ``ENOENT``, as for a path
    that does not exist (``os.path.ismount`` and ``exists`` say False likewise)."""
    raw = os.fsencode(path)
    if b"\0" in raw:
        raise FileNotFoundError(errno.ENOENT, f"{raw!r}: a NUL in a path: no such file or directory")
    return raw


def _fail(call: str, what: object = None) -> OSError:
    code = ctypes.get_errno()
    detail = f"{call}({what!r})" if what is not None else call
    return OSError(code, f"{detail}: {os.strerror(code)}")


def mount(
    source: str | bytes | None,
    target: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    fstype: str | bytes | None,
    flags: int = 0,
    data: str | bytes | None = None,
) -> None:
    """mount(2): any bytes are allowed in ``source``, ``target`` and ``data`` (not NUL)."""
    if _libc.mount(_fs(source), _path(target), _fs(fstype), flags, _fs(data)) != 0:
        raise _fail("mount", os.fsencode(target))


def umount2(target: str | bytes | os.PathLike[str] | os.PathLike[bytes], flags: int = 0) -> None:
    """umount2(2) with ``MNT_DETACH`` (lazy), ``MNT_FORCE`` or ``UMOUNT_NOFOLLOW``."""
    if _libc.umount2(_path(target), flags) != 0:
        raise _fail("umount2", os.fsencode(target))


def unshare(flags: int) -> None:
    """unshare(2).  In a multi-threaded process it moves only the calling thread."""
    if _libc.unshare(flags) != 0:
        raise _fail("unshare", hex(flags))


def prctl_set_pdeathsig(signum: int) -> None:
    """prctl(PR_SET_PDEATHSIG): get ``signum`` when the parent (thread) exits."""
    if _libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        raise _fail("prctl(PR_SET_PDEATHSIG)")


class _MntIdReq(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("spare", ctypes.c_uint32),
        ("mnt_id", ctypes.c_uint64),
        ("param", ctypes.c_uint64),
        ("mnt_ns_id", ctypes.c_uint64),
    ]


def _req(mnt_id: int, param: int, mnt_ns_id: int) -> _MntIdReq:
    # MNT_ID_REQ_SIZE_VER0 (24, 6.8) unless a namespace is named (VER1, 32, 6.11).
    return _MntIdReq(32 if mnt_ns_id else 24, 0, mnt_id, param, mnt_ns_id)


_NR_MOVE_MOUNT = 429
_NR_FSOPEN = 430
_NR_FSCONFIG = 431
_NR_FSMOUNT = 432
_FSCONFIG_SET_FLAG = 0
_FSCONFIG_SET_STRING = 1
_FSCONFIG_CMD_CREATE = 6
_FSMOUNT_CLOEXEC = 1
_MOVE_MOUNT_F_EMPTY_PATH = 4
_FSOPEN_CLOEXEC = 1


def _syscall_fd(nr: int, name: str, what: object, *args: object) -> int:
    fd = int(_libc.syscall(nr, *args))
    if fd < 0:
        raise _fail(name, what)
    return fd


def mount_fs(
    fstype: str | bytes,
    target: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    options: list[tuple[str | bytes, str | bytes | None]] = (),  # type: ignore[assignment]
    source: str | bytes | None = None,
) -> None:
    """Mount a new filesystem with the new mount API (Linux 5.2+).

    Each option goes to ``fsconfig`` on its own (``value`` ``None`` for a flag), so a
    value can hold ``,``, ``=``, spaces and any byte but NUL; ``source`` likewise.
    """
    fsfd = _syscall_fd(_NR_FSOPEN, "fsopen", fstype, _fs(fstype), ctypes.c_uint(_FSOPEN_CLOEXEC))
    try:
        settings = ([(b"source", _fs(source))] if source is not None else []) + [
            (_cstr(k), _fs(v)) for k, v in options
        ]
        for key, value in settings:
            cmd = _FSCONFIG_SET_FLAG if value is None else _FSCONFIG_SET_STRING
            if _libc.syscall(_NR_FSCONFIG, fsfd, ctypes.c_uint(cmd), key, value, 0) != 0:
                raise _fail("fsconfig", key if value is None else key + b"=" + value)
        if _libc.syscall(_NR_FSCONFIG, fsfd, ctypes.c_uint(_FSCONFIG_CMD_CREATE), None, None, 0) != 0:
            raise _fail("fsconfig(FSCONFIG_CMD_CREATE)", fstype)
        mfd = _syscall_fd(_NR_FSMOUNT, "fsmount", fstype, fsfd, ctypes.c_uint(_FSMOUNT_CLOEXEC), ctypes.c_uint(0))
        try:
            if _libc.syscall(_NR_MOVE_MOUNT, mfd, b"", _AT_FDCWD, _path(target),
                             ctypes.c_uint(_MOVE_MOUNT_F_EMPTY_PATH)) != 0:
                raise _fail("move_mount", os.fsencode(target))
        finally:
            os.close(mfd)
    finally:
        os.close(fsfd)


_NS_GET_MNTNS_ID = 0x8008B705  # _IOR(NSIO = 0xb7, 5, __u64), include/uapi/linux/nsfs.h (Linux 6.10+)


def mnt_ns_id(pid: int | str = "self") -> int:
    """The 64-bit id of the mount namespace of ``pid`` (``ioctl(NS_GET_MNTNS_ID)`` on
    ``/proc/<pid>/ns/mnt``), for listmount(2) and statmount(2) of another namespace.
    ``ENOTTY`` before Linux 6.10; ``ENOENT`` for a process that has exited."""
    import fcntl  # here: only this call needs it

    fd = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
    try:
        (ns_id,) = struct.unpack("=Q", fcntl.ioctl(fd, _NS_GET_MNTNS_ID, bytes(8)))
    finally:
        os.close(fd)
    return int(ns_id)


def listmount(mnt_id: int = LSMT_ROOT, last: int = 0, count: int = 512, *,
              reverse: bool = False, mnt_ns_id: int = 0) -> list[int]:
    """listmount(2): up to ``count`` unique mount ids under ``mnt_id``, after ``last``.

    Ids come in ascending order (descending with ``reverse``); page by passing the last
    id returned as ``last``.  ``ENOSYS`` before 6.8.
    """
    req = _req(mnt_id, last, mnt_ns_id)
    out = (ctypes.c_uint64 * count)()
    flags = LISTMOUNT_REVERSE if reverse else 0
    n = _libc.syscall(_NR_LISTMOUNT, ctypes.byref(req), out, ctypes.c_size_t(count), ctypes.c_uint(flags))
    if n < 0:
        raise _fail("listmount", mnt_id)
    return list(out[:n])


@dataclass(frozen=True)
class StatMount:
    """What statmount(2) filled in (``mask`` says which groups); strings are raw bytes.

    ``mnt_root``/``mnt_point`` come unescaped; ``mnt_opts`` is the filesystem's own
    option string as ``->show_options`` prints it, without the leading comma.
    """

    mask: int
    sb_dev_major: int
    sb_dev_minor: int
    sb_magic: int
    sb_flags: int
    mnt_id: int
    mnt_parent_id: int
    mnt_id_old: int
    mnt_parent_id_old: int
    mnt_attr: int
    mnt_propagation: int
    mnt_peer_group: int
    mnt_master: int
    propagate_from: int
    mnt_ns_id: int
    fs_type: bytes | None
    mnt_root: bytes | None
    mnt_point: bytes | None
    mnt_opts: bytes | None
    fs_subtype: bytes | None
    sb_source: bytes | None


# struct statmount, offsets of include/uapi/linux/mount.h (6.8 .. 6.18)
_SM_HEAD = struct.Struct("=IIQIIQIIQQIIQQQQQIIQII")
_SM_SIZE = 512


def _sm_string(buf: bytes, mask: int, bit: int, offset: int) -> bytes | None:
    if not mask & bit:
        return None
    start = _SM_SIZE + offset
    end = buf.index(b"\0", start)
    return buf[start:end]


def statmount(mnt_id: int, mask: int, *, mnt_ns_id: int = 0, bufsize: int = 4096) -> StatMount:
    """statmount(2) of one unique mount id; the buffer grows on ``EOVERFLOW``.

    ``ENOENT``: the mount is gone (or not in the namespace); ``EINVAL``: a mask bit this
    kernel does not know, or an old 32-bit id.
    """
    req = _req(mnt_id, mask, mnt_ns_id)
    while True:
        buf = ctypes.create_string_buffer(bufsize)
        r = _libc.syscall(_NR_STATMOUNT, ctypes.byref(req), buf, ctypes.c_size_t(bufsize), ctypes.c_uint(0))
        if r == 0:
            break
        if ctypes.get_errno() == errno.EOVERFLOW and bufsize < (1 << 24):
            bufsize *= 4
            continue
        raise _fail("statmount", mnt_id)
    raw = buf.raw
    (size, o_opts, got, major, minor, magic, sb_flags, o_type, uid, parent, id_old, parent_old, attr, prop,
     peer, master, prop_from, o_root, o_point, ns_id, o_subtype, o_source) = _SM_HEAD.unpack_from(raw, 0)
    return StatMount(
        mask=got, sb_dev_major=major, sb_dev_minor=minor, sb_magic=magic, sb_flags=sb_flags,
        mnt_id=uid, mnt_parent_id=parent, mnt_id_old=id_old, mnt_parent_id_old=parent_old,
        mnt_attr=attr, mnt_propagation=prop, mnt_peer_group=peer, mnt_master=master,
        propagate_from=prop_from, mnt_ns_id=ns_id,
        fs_type=_sm_string(raw, got, STATMOUNT_FS_TYPE, o_type),
        mnt_root=_sm_string(raw, got, STATMOUNT_MNT_ROOT, o_root),
        mnt_point=_sm_string(raw, got, STATMOUNT_MNT_POINT, o_point),
        mnt_opts=_sm_string(raw, got, STATMOUNT_MNT_OPTS, o_opts),
        fs_subtype=_sm_string(raw, got, STATMOUNT_FS_SUBTYPE, o_subtype),
        sb_source=_sm_string(raw, got, STATMOUNT_SB_SOURCE, o_source),
    )


@dataclass(frozen=True)
class StatxMount:
    """The mount facts statx(2) gives for a path (``None`` where the kernel did not)."""

    mnt_id: int | None
    unique_id: int | None
    dev_major: int
    dev_minor: int
    mount_root: bool | None
    """``STATX_ATTR_MOUNT_ROOT``: the path is the root of a mount (bind mounts too)."""


def statx_mount(path: str | bytes | os.PathLike[str] | os.PathLike[bytes], *, follow_symlinks: bool = False) -> StatxMount:
    """statx(2) of ``path`` asking for the mount id (unique if the kernel has it).

    Never triggers an automount.  ``mount_root`` is ``None`` on kernels before 5.8.
    """
    flags = _AT_NO_AUTOMOUNT | (0 if follow_symlinks else _AT_SYMLINK_NOFOLLOW)
    got, attrs, attrs_mask, major, minor, mnt_id = _statx(path, flags, _STATX_BASIC_STATS | _STATX_MNT_ID)
    unique_id = None
    if got & _STATX_MNT_ID:  # a second call: the kernel puts one id in stx_mnt_id
        got_u, *_, uid = _statx(path, flags, _STATX_MNT_ID_UNIQUE)
        unique_id = uid if got_u & _STATX_MNT_ID_UNIQUE else None
    return StatxMount(
        mnt_id=mnt_id if got & _STATX_MNT_ID else None,
        unique_id=unique_id,
        dev_major=major,
        dev_minor=minor,
        mount_root=bool(attrs & _STATX_ATTR_MOUNT_ROOT) if attrs_mask & _STATX_ATTR_MOUNT_ROOT else None,
    )


def _statx(path: str | bytes | os.PathLike[str] | os.PathLike[bytes], flags: int, want: int) -> tuple[int, int, int, int, int, int]:
    buf = ctypes.create_string_buffer(256)
    if _libc.statx(_AT_FDCWD, _path(path), flags, want, buf) != 0:
        raise _fail("statx", os.fsencode(path))
    raw = buf.raw
    (got,) = struct.unpack_from("=I", raw, 0)
    (attrs,) = struct.unpack_from("=Q", raw, 8)
    (attrs_mask,) = struct.unpack_from("=Q", raw, 56)
    major, minor = struct.unpack_from("=II", raw, 136)
    (mnt_id,) = struct.unpack_from("=Q", raw, 144)
    return got, attrs, attrs_mask, major, minor, mnt_id


def poll_fd(fd: int, events: int = POLLPRI, timeout_ms: int = 0) -> int:
    """poll(2) on one fd; returns its ``revents`` (0 on timeout).

    On a ``/proc/<pid>/mount*`` file a namespace change since the last poll (or since
    ``open``) reports ``POLLPRI | POLLERR`` once; the next poll is quiet again.
    """
    p = select.poll()
    p.register(fd, events)
    for _, revents in p.poll(timeout_ms):
        return revents
    return 0


def fanotify_init(flags: int = _FAN_REPORT_MNT, event_f_flags: int = os.O_RDONLY) -> int:
    """fanotify_init(2); by default the mount-event group (``FAN_REPORT_MNT``, 6.15+)."""
    fd = int(_libc.fanotify_init(flags | _FAN_CLOEXEC, event_f_flags))
    if fd < 0:
        raise _fail("fanotify_init", hex(flags))
    return fd


def fanotify_mark(fd: int, ns_fd: int, mask: int = FAN_MNT_ATTACH | FAN_MNT_DETACH) -> None:
    """Watch the mount namespace behind ``ns_fd`` (``/proc/<pid>/ns/mnt``) for ``mask``."""
    if _libc.fanotify_mark(fd, _FAN_MARK_ADD | _FAN_MARK_MNTNS, mask, ns_fd, None) != 0:
        raise _fail("fanotify_mark", hex(mask))


@dataclass(frozen=True)
class FanotifyEvent:
    """One fanotify event: ``mask`` (``FAN_MNT_ATTACH``/``DETACH``/``Q_OVERFLOW``)
    and the unique mount id (``None`` if the event carried none)."""

    mask: int
    unique_id: int | None


_FAN_META = struct.Struct("=IBBHQii")  # event_len, vers, reserved, metadata_len, mask, fd, pid
_FAN_INFO = struct.Struct("=BBH")  # info_type, pad, len


def parse_fanotify_events(data: bytes) -> list[FanotifyEvent]:
    """Decode the ``fanotify_event_metadata`` records returned by one ``read``."""
    events: list[FanotifyEvent] = []
    pos = 0
    while pos + _FAN_META.size <= len(data):
        event_len, _vers, _res, meta_len, mask, _fd, _pid = _FAN_META.unpack_from(data, pos)
        if event_len < _FAN_META.size:
            break
        unique: int | None = None
        info = pos + meta_len
        while info + _FAN_INFO.size <= pos + event_len:
            info_type, _pad, info_len = _FAN_INFO.unpack_from(data, info)
            if info_len == 0:
                break
            if info_type == _FAN_EVENT_INFO_TYPE_MNT:
                (unique,) = struct.unpack_from("=Q", data, info + 8)
            info += info_len
        events.append(FanotifyEvent(mask, unique))
        pos += event_len
    return events


@functools.cache
def has_listmount() -> bool:
    """Whether listmount(2)/statmount(2) work here (tried once, not read off uname)."""
    try:
        ids = listmount(count=1)
        if ids:
            statmount(ids[0], STATMOUNT_MNT_BASIC)
    except OSError:
        return False
    return True


@functools.cache
def has_statx_mnt_id_unique() -> bool:
    """Whether statx(2) returns 64-bit unique mount ids (6.8+)."""
    try:
        return statx_mount("/").unique_id is not None
    except OSError:
        return False
