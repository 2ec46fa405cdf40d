"""Reading a live process's mount table: :func:`snapshot` (a point-in-time table) and
:func:`is_mountpoint`.

    snap = snapshot()                       # this thread, mountinfo, strict
    snap.table, snap.consistent, snap.attempts, snap.method, snap.elapsed
    snapshot(pid=1234, consistency="best-effort")
    snapshot(method="listmount")            # listmount(2) + statmount(2), Linux 6.8+

Why: one ``read()`` of ``/proc/<pid>/mountinfo`` returns at most about one page, so any
real table takes many reads, and mounts can come and go between them.  The kernel
bumps a per-namespace event counter on every mount, umount, move and remount, and a
``poll()`` on the open file reports ``POLLPRI`` once when the counter moved since
``open()`` (or since the last poll that reported it).  So a pass that read to EOF with
no such report saw one unchanged table.  The ``mountinfo`` method reads in
``chunk_size`` pieces to EOF, polls once with a zero timeout, and on a change seeks to
0 and starts again (libmount 2.35's protocol, suggested by Al Viro, which polls after
every read: as the report stays pending until a poll takes it, one poll at EOF sees
every change of the pass); the ``listmount``
method lists the unique ids, statmounts each (a mount gone in between is a change) and
checks the same poll at the end.  Never gated on the kernel version string.

Consistency modes:

* ``"strict"``: retry until a pass sees no change; after ``max_attempts`` (or
  ``deadline`` seconds) raise :class:`InconsistentSnapshotError` (it carries the last
  pass);
* ``"best-effort"``: the same retries, then return the last pass with
  ``consistent=False``;
* ``"single-pass"``: one pass, no retries; ``consistent`` still says whether a change
  was seen (one ``poll`` at the end).

``consistent`` is about time only.  Tree oddities of a consistent table (a parent
outside the reader's root, an orphan in an edited file) are in ``problems``.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import InitVar, dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from ..status import RunFailed
from .procread import backoff as _backoff, give_up as _give_up, mountinfo_path, open_mountinfo, read_consistent
from .entry import MountEntry
from .table import MountTable

if TYPE_CHECKING:
    from .syscalls import StatMount

__all__ = [
    "Method", "Consistency", "Snapshot", "InconsistentSnapshotError", "snapshot", "is_mountpoint",
    "mountinfo_path", "open_mountinfo", "entry_from_statmount", "statmount_entry", "list_mount_ids",
]

Method = Literal["auto", "mountinfo", "listmount"]
Consistency = Literal["strict", "best-effort", "single-pass"]
_CONSISTENCIES = ("strict", "best-effort", "single-pass")
_METHODS = ("auto", "mountinfo", "listmount")



def _masks() -> tuple[int, int]:
    """The statmount fields this module asks for: those every kernel with statmount
    gives, and with the string fields of Linux 6.10+ (options, subtype, source)."""
    from . import syscalls

    base = (syscalls.STATMOUNT_SB_BASIC | syscalls.STATMOUNT_MNT_BASIC | syscalls.STATMOUNT_PROPAGATE_FROM
            | syscalls.STATMOUNT_MNT_ROOT | syscalls.STATMOUNT_MNT_POINT | syscalls.STATMOUNT_FS_TYPE)
    return base, base | syscalls.STATMOUNT_MNT_OPTS | syscalls.STATMOUNT_FS_SUBTYPE | syscalls.STATMOUNT_SB_SOURCE


@dataclass(frozen=True)
class Snapshot:
    """One table and how it was obtained.

    ``consistent``: no namespace change was seen during the pass returned.
    ``attempts``: passes made (1 = first pass was clean).  ``reads``: ``read()`` calls
    (mountinfo) or syscalls (listmount) in the last pass.  ``data``: the raw mountinfo
    bytes of the last pass (``None`` for listmount).  ``elapsed``: seconds spent reading.
    ``table``: the :class:`MountTable`, parsed from ``data`` on first use (a
    ``strict_parse`` snapshot parsed it before returning, to raise on a bad line);
    ``problems``: what :meth:`MountTable.problems` finds in it.
    """

    consistent: bool
    attempts: int
    method: str
    elapsed: float
    path: str
    reads: int
    data: bytes | None
    parsed: InitVar[MountTable | None] = None  # the table, when it is built at once

    def __post_init__(self, parsed: MountTable | None) -> None:
        if parsed is not None:
            self.__dict__["table"] = parsed  # what @cached_property would store

    @cached_property
    def table(self) -> MountTable:
        return MountTable.from_bytes(self.data or b"")

    @cached_property
    def problems(self) -> tuple[str, ...]:
        return tuple(self.table.problems())


class InconsistentSnapshotError(RunFailed, RuntimeError):
    """``consistency="strict"`` gave up: the table kept changing.  ``.snapshot`` is the
    last (inconsistent) pass."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        super().__init__(
            f"the mount table of {snapshot.path} changed during each of {snapshot.attempts} passes "
            f"({snapshot.elapsed:.3f} s); use consistency='best-effort' to take the last one anyway"
        )


def _check_args(method: str, consistency: str, max_attempts: int) -> None:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if consistency not in _CONSISTENCIES:
        raise ValueError(f"consistency must be one of {_CONSISTENCIES}, got {consistency!r}")
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")


def _changed(fd: int) -> bool:
    from . import syscalls

    return bool(syscalls.poll_fd(fd, syscalls.POLLPRI, 0) & syscalls.POLLPRI)


def snapshot(
    pid: int | str = "self",
    method: Method = "auto",
    consistency: Consistency = "strict",
    *,
    max_attempts: int = 100,
    deadline: float | None = None,
    chunk_size: int = 65536,
    strict_parse: bool = False,
    statmount_mask: int | None = None,
) -> Snapshot:
    """Read the mount table of ``pid`` (``"self"``: the calling thread) consistently.

    ``method``: ``"mountinfo"``, ``"listmount"`` (another process's namespace by its id,
    ``NS_GET_MNTNS_ID``, Linux 6.10+; mount points relative to that namespace's root), or
    ``"auto"`` (mountinfo, which is cheaper in ordinary namespaces; listmount if
    mountinfo cannot be opened).  ``chunk_size``: bytes asked per ``read()`` (the
    kernel returns at most about a page anyway).  ``deadline``: seconds after which
    retries stop.  ``strict_parse``: reject lines the kernel would not print.
    ``statmount_mask``: the statmount fields to ask (default: all this module uses).
    Raises :class:`OSError` subclasses with clear messages (``ProcessLookupError``,
    ``PermissionError``; ``ENOSYS``/``EPERM`` when listmount is unavailable).
    """
    _check_args(method, consistency, max_attempts)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    start = time.perf_counter()
    try:
        fd, path = open_mountinfo(pid)
    except FileNotFoundError:
        from .syscalls import has_listmount  # here: the mountinfo way needs no system call of its own

        if method == "auto" and pid in ("self", "thread-self") and has_listmount():
            return _listmount_loop(None, "listmount(2)", consistency, max_attempts, deadline, start, statmount_mask)
        raise
    try:
        if method == "listmount":
            from .syscalls import mnt_ns_id  # here: the mountinfo way needs no system call of its own

            ns_id = 0 if pid in ("self", "thread-self") else mnt_ns_id(pid)
            return _listmount_loop(fd, path, consistency, max_attempts, deadline, start, statmount_mask, ns_id)
        return _mountinfo_loop(fd, path, consistency, max_attempts, deadline, start, chunk_size, strict_parse)
    finally:
        os.close(fd)


def _finish(snap: Snapshot, consistency: str) -> Snapshot:
    if not snap.consistent and consistency == "strict":
        raise InconsistentSnapshotError(snap)
    return snap


def _mountinfo_loop(fd: int, path: str, consistency: str, max_attempts: int, deadline: float | None,
                    start: float, chunk_size: int, strict_parse: bool) -> Snapshot:
    data, attempts, reads, changed = read_consistent(fd, consistency, max_attempts, deadline, start, chunk_size)
    elapsed = time.perf_counter() - start
    parsed = MountTable.from_bytes(data, strict=True) if strict_parse else None  # a bad line raises here
    return _finish(Snapshot(not changed, attempts, "mountinfo", elapsed, path, reads, data, parsed), consistency)


_supported_mask: list[int] = []


def _statmount_mask(requested: int | None, probe_id: int, mnt_ns_id: int = 0) -> int:
    """The default mask, minus the string fields an older kernel refuses (EINVAL)."""
    from . import syscalls

    if requested is not None:
        return requested
    if not _supported_mask:
        base, full = _masks()
        try:
            syscalls.statmount(probe_id, full, mnt_ns_id=mnt_ns_id)
            _supported_mask.append(full)
        except OSError as err:
            if err.errno != errno.EINVAL:
                raise
            _supported_mask.append(base)
    return _supported_mask[0]


def statmount_entry(unique_id: int, mnt_ns_id: int = 0, lineno: int = 0) -> MountEntry:
    """One mount by its unique id (in the namespace ``mnt_ns_id``, 0: the calling
    thread's), via statmount(2) with the default fields.  ``ENOENT`` if it is gone."""
    from . import syscalls

    mask = _statmount_mask(None, unique_id, mnt_ns_id)
    return entry_from_statmount(syscalls.statmount(unique_id, mask, mnt_ns_id=mnt_ns_id), lineno)


_ID_PAGE = 32768  # 256 KiB a call: 4 calls for 100,000 mounts


def list_mount_ids(mnt_ns_id: int = 0, page: int = _ID_PAGE) -> tuple[list[int], int]:
    """Every unique mount id of a namespace (0: the calling thread's), ascending, with
    listmount(2) a ``page`` at a time: ``(ids, calls)``.  Each page is one consistent
    look under the namespace lock; a change between pages is the caller's to notice."""
    from . import syscalls

    ids: list[int] = []
    calls = 0
    while True:
        got = syscalls.listmount(last=ids[-1] if ids else 0, count=page, mnt_ns_id=mnt_ns_id)
        calls += 1
        ids.extend(got)
        if len(got) < page:
            return ids, calls


def _listmount_pass(mask: int | None, mnt_ns_id: int = 0) -> tuple[list[MountEntry], int, bool]:
    from . import syscalls

    ids, calls = list_mount_ids(mnt_ns_id)
    entries: list[MountEntry] = []
    gone = False
    if not ids:
        return entries, calls, gone
    mask = _statmount_mask(mask, ids[0], mnt_ns_id)
    for unique in ids:
        calls += 1
        try:
            sm = syscalls.statmount(unique, mask, mnt_ns_id=mnt_ns_id)
        except OSError as err:
            if err.errno == errno.ENOENT:  # unmounted since listmount
                gone = True
                continue
            raise
        entries.append(entry_from_statmount(sm, len(entries) + 1))
    return entries, calls, gone


def _listmount_loop(fd: int | None, path: str, consistency: str, max_attempts: int, deadline: float | None,
                    start: float, mask: int | None, mnt_ns_id: int = 0) -> Snapshot:
    attempts = 0
    while True:
        attempts += 1
        entries, calls, gone = _listmount_pass(mask, mnt_ns_id)
        # Without a proc file to poll only a vanished mount shows a change.
        changed = gone or (fd is not None and _changed(fd))
        if not changed or _give_up(consistency, attempts, max_attempts, deadline, start):
            break
        _backoff(attempts)
    snap = Snapshot(not changed, attempts, "listmount", time.perf_counter() - start, path, calls, None,
                    MountTable(entries))
    return _finish(snap, consistency)


_SB_FLAG_NAMES = ((16, b"sync"), (128, b"dirsync"), (1 << 25, b"lazytime"))  # SB_SYNCHRONOUS, SB_DIRSYNC, SB_LAZYTIME


def _vfs_options(attr: int) -> bytes:
    """The per-mount option string ``show_vfsmnt_opts()`` prints for ``mnt_attr``."""
    from . import syscalls

    out = [b"ro" if attr & syscalls.MOUNT_ATTR_RDONLY else b"rw"]
    out += [name for bit, name in ((syscalls.MOUNT_ATTR_NOSUID, b"nosuid"), (syscalls.MOUNT_ATTR_NODEV, b"nodev"),
                                   (syscalls.MOUNT_ATTR_NOEXEC, b"noexec")) if attr & bit]
    atime = attr & syscalls.MOUNT_ATTR__ATIME
    if atime == syscalls.MOUNT_ATTR_NOATIME:
        out.append(b"noatime")
    if attr & syscalls.MOUNT_ATTR_NODIRATIME:
        out.append(b"nodiratime")
    if atime == 0:  # MOUNT_ATTR_RELATIME
        out.append(b"relatime")
    if attr & syscalls.MOUNT_ATTR_NOSYMFOLLOW:
        out.append(b"nosymfollow")
    if attr & syscalls.MOUNT_ATTR_IDMAP:
        out.append(b"idmapped")
    return b",".join(out)


def entry_from_statmount(sm: StatMount, lineno: int = 0) -> MountEntry:
    """A :class:`MountEntry` from statmount(2), shaped like its mountinfo line.

    Differences a caller may see: without ``STATMOUNT_SB_SOURCE`` (before ~6.13) the
    source is empty; security options (``seclabel``) are not in ``STATMOUNT_MNT_OPTS``.
    """
    from . import syscalls

    fs_opts = [b"ro" if sm.sb_flags & 1 else b"rw"] + [n for bit, n in _SB_FLAG_NAMES if sm.sb_flags & bit]
    if sm.mnt_opts:
        fs_opts.append(sm.mnt_opts)
    fstype = sm.fs_type or b""
    if sm.fs_subtype:
        fstype += b"." + sm.fs_subtype
    shared = sm.mnt_peer_group if sm.mnt_propagation & syscalls.MS_SHARED else None
    master = sm.mnt_master if sm.mnt_propagation & syscalls.MS_SLAVE else None
    prop_from = sm.propagate_from if master is not None and sm.propagate_from not in (0, master) else None
    return MountEntry(
        mnt_id=sm.mnt_id_old, parent_id=sm.mnt_parent_id_old, major=sm.sb_dev_major, minor=sm.sb_dev_minor,
        root=sm.mnt_root or b"", target=sm.mnt_point or b"", vfs_options=_vfs_options(sm.mnt_attr),
        fstype=fstype, source=sm.sb_source if sm.sb_source is not None else b"", fs_options=b",".join(fs_opts),
        shared=shared, master=master, propagate_from=prop_from,
        unbindable=bool(sm.mnt_propagation & syscalls.MS_UNBINDABLE),
        unique_id=sm.mnt_id, parent_unique_id=sm.mnt_parent_id, lineno=lineno,
    )


def is_mountpoint(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> bool:
    """Whether ``path`` is a mount point, right for bind mounts.

    Asks statx(2) for ``STATX_ATTR_MOUNT_ROOT`` (Linux 5.8+, does not follow a final
    symlink, never triggers an automount); where the kernel does not give it, looks the
    canonical path up in this thread's mount table.  Raises :class:`OSError` if
    ``path`` does not exist (:class:`FileNotFoundError` if it holds a NUL, which C
    would take for its end: ``/proc\\0/x`` is not ``/proc``).
    """
    from . import syscalls

    info = syscalls.statx_mount(path)
    if info.mount_root is not None:
        return info.mount_root
    real = os.path.join(os.path.realpath(os.path.dirname(os.path.abspath(os.fsencode(path)))),
                        os.path.basename(os.fsencode(path)))
    return snapshot(consistency="best-effort").table.is_mountpoint(real)
