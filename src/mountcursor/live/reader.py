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

``method="auto"`` times the first reads of mountinfo and picks the faster way for the
table at hand (:mod:`mountcursor.live.backend`: mountinfo, unless the lines cost the
kernel so much -- the peer walks of a slave namespace -- that listmount is faster);
``Snapshot.note`` says what it chose and why.

A kernel that repeats mounts (the 6.8 repeat, :mod:`mountcursor.live.kernel_bugs`): a
mountinfo pass may grow to twice the mounts listmount counts (or ``fs.mount-max``) and
1,024 more lines, then stops, and raises :class:`RepeatedMountError` when one mount id
makes up most of the excess; so does a pass that saw no change yet has more lines than
listmount counted and a mount id twice.  (A pass that saw changes may show an id twice
rightly: the kernel reuses a freed id for a new mount; that pass is retried as any
other.)  ``"auto"`` then reads with listmount, for the rest of the process too.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import InitVar, dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from ..status import RunFailed
from .kernel_bugs import REPEAT_6_8_FIX, REPEAT_6_8_KERNELS
from .procread import (TooManyLines, backoff as _backoff, give_up as _give_up, mount_max as _mount_max,
                       mountinfo_path, open_mountinfo, read_consistent, read_sample)
from .entry import MountEntry
from .table import MountTable

if TYPE_CHECKING:
    from .procread import Sample
    from .syscalls import StatMount

__all__ = [
    "Method", "Consistency", "Snapshot", "InconsistentSnapshotError", "RepeatedMountError", "snapshot",
    "is_mountpoint", "mountinfo_path", "open_mountinfo", "entry_from_statmount", "statmount_entry",
    "kernel_repeats", "repeated_mount", "list_mount_ids",
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
    ``problems``: what :meth:`MountTable.problems` finds in it.  ``note``: why
    ``method="auto"`` read the way it did (empty for a method asked by name).
    """

    consistent: bool
    attempts: int
    method: str
    elapsed: float
    path: str
    reads: int
    data: bytes | None
    parsed: InitVar[MountTable | None] = None  # the table, when it is built at once
    note: str = ""

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


class RepeatedMountError(RunFailed, RuntimeError):
    """A mountinfo read repeated a mount where no change explains it: the 6.8 repeat
    (:mod:`mountcursor.live.kernel_bugs`), not a change to retry.  ``mnt_id``: the mount
    repeated most; ``copies``: how often it came; ``lines``: lines read; ``bound``: the
    line count past which the read was cut (``None``: it reached EOF)."""

    def __init__(self, path: str, mnt_id: int, copies: int, lines: int, bound: int | None) -> None:
        self.path, self.mnt_id, self.copies, self.lines, self.bound = path, mnt_id, copies, lines, bound
        cut = f"; stopped past {bound:,} lines" if bound is not None else ""
        super().__init__(
            f"{path} showed mount {mnt_id} {copies:,} times in {lines:,} lines{cut}: this kernel repeats mounts "
            f"in mountinfo (the 6.8 repeat, {REPEAT_6_8_KERNELS}; fixed by {REPEAT_6_8_FIX}); "
            "read with method='listmount' or 'auto'"
        )


_repeats_seen: list[str] = []  # the first RepeatedMountError's message, once this kernel repeated


def kernel_repeats() -> bool:
    """Whether a mountinfo read in this process has repeated a mount (then ``"auto"``
    reads with listmount)."""
    return bool(_repeats_seen)


def repeated_mount(data: bytes) -> tuple[int, int] | None:
    """``(mount id, copies)`` of the mount id that comes most often in the mountinfo
    ``data`` if one comes twice, else ``None``."""
    seen: dict[bytes, int] = {}
    for line in data.split(b"\n"):
        key = line[:line.find(b" ")]
        if key:
            seen[key] = seen.get(key, 0) + 1
    if not seen:
        return None
    key, copies = max(seen.items(), key=lambda kv: kv[1])
    return (int(key), copies) if copies > 1 and key.isdigit() else None


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
    ``"auto"`` (the faster for this table, :mod:`mountcursor.live.backend`; listmount if
    mountinfo cannot be opened or the kernel repeats mounts in it).  ``chunk_size``: bytes asked per ``read()`` (the
    kernel returns at most about a page anyway).  ``deadline``: seconds after which
    retries stop.  ``strict_parse``: reject lines the kernel would not print.
    ``statmount_mask``: the statmount fields to ask (default: all this module uses).
    Raises :class:`OSError` subclasses with clear messages (``ProcessLookupError``,
    ``PermissionError``; ``ENOSYS``/``EPERM`` when listmount is unavailable), and
    :class:`RepeatedMountError` for ``"mountinfo"`` on a kernel that repeats mounts.
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
            return _listmount_loop(None, "listmount(2)", consistency, max_attempts, deadline, start, statmount_mask,
                                   note="listmount: no mountinfo to read")
        raise
    try:
        if method == "listmount":
            from .syscalls import mnt_ns_id  # here: the mountinfo way needs no system call of its own

            ns_id = 0 if pid in ("self", "thread-self") else mnt_ns_id(pid)
            return _listmount_loop(fd, path, consistency, max_attempts, deadline, start, statmount_mask, ns_id)
        if method == "auto":
            return _auto(fd, path, pid, consistency, max_attempts, deadline, start, chunk_size, strict_parse,
                         statmount_mask)
        return _mountinfo_loop(fd, path, consistency, max_attempts, deadline, start, chunk_size, strict_parse,
                               None, None)
    finally:
        os.close(fd)


def _auto(fd: int, path: str, pid: int | str, consistency: str, max_attempts: int, deadline: float | None,
          start: float, chunk_size: int, strict_parse: bool, mask: int | None) -> Snapshot:
    """``method="auto"``: mountinfo or listmount, whichever :func:`backend.choose` says
    is faster here, from the first reads of this pass."""
    from . import backend, syscalls

    ns_id: int | None = None
    why_not = "listmount(2) is not available"
    if syscalls.has_listmount():
        try:
            ns_id = 0 if pid in ("self", "thread-self") else _other_ns_id(pid)
        except OSError:  # before 6.10 another namespace has no id to list it by
            ns_id = None
        if ns_id is None:
            why_not = f"listmount(2) would not show process {pid}'s table as its mountinfo does"

    def by_listmount(why: str) -> Snapshot:
        assert ns_id is not None
        return _listmount_loop(fd, path, consistency, max_attempts, deadline, start, mask, ns_id, why)

    if ns_id is None:
        return _mountinfo_loop(fd, path, consistency, max_attempts, deadline, start, chunk_size, strict_parse,
                               None, None, note=f"mountinfo: {why_not}")
    if _repeats_seen:
        return by_listmount(backend.choose(0.0, 0, 0, listmount=True, kernel_repeats=True)[1])
    mounts = _count_mounts(ns_id)
    sample = read_sample(fd, chunk_size, backend.SAMPLE_LINES)
    slaves, masters = backend.propagation(sample.data[:sample.data.rfind(b"\n") + 1])
    choice, why = backend.choose(sample.us_per_line, slaves, masters, listmount=True)
    if choice == "listmount":
        return by_listmount(why)
    try:
        return _mountinfo_loop(fd, path, consistency, max_attempts, deadline, start, chunk_size, strict_parse,
                               mounts, sample, note=why)
    except RepeatedMountError as err:
        return by_listmount(str(err))


def _finish(snap: Snapshot, consistency: str) -> Snapshot:
    if not snap.consistent and consistency == "strict":
        raise InconsistentSnapshotError(snap)
    return snap


def _other_ns_id(pid: int | str) -> int | None:
    """The id of ``pid``'s mount namespace, for listmount(2) to read it as auto would
    read its mountinfo; ``None`` where it would not: listmount shows the mount points
    from the namespace's root, mountinfo from the process's, and a process in a chroot
    has its own."""
    from .syscalls import mnt_ns_id

    if os.readlink(f"/proc/{int(pid)}/root") != "/":
        return None
    return mnt_ns_id(pid)


def _mountinfo_loop(fd: int, path: str, consistency: str, max_attempts: int, deadline: float | None,
                    start: float, chunk_size: int, strict_parse: bool, mounts: int | None,
                    head: Sample | None, note: str = "") -> Snapshot:
    """Passes over mountinfo, each bounded (:func:`backend.line_bound`); ``mounts``: what
    listmount counted (``None``: not counted, the bound is ``fs.mount-max``'s);
    ``head``: the first reads of the first pass, made already."""
    from .backend import line_bound

    known = mounts if mounts is not None else _mount_max()
    bound = line_bound(mounts, known)
    try:
        data, attempts, reads, changed = read_consistent(fd, consistency, max_attempts, deadline, start, chunk_size,
                                                         bound, head)
    except TooManyLines as err:
        found = repeated_mount(err.data)
        if found is not None and known is not None and 2 * found[1] > err.lines - known:
            _repeating(RepeatedMountError(path, found[0], found[1], err.lines, err.bound))
        os.lseek(fd, 0, os.SEEK_SET)  # no runaway repeat: the table more than doubled during the read
        data, attempts, reads, changed = read_consistent(fd, consistency, max_attempts, deadline, start, chunk_size)
    if not changed and mounts is not None and data.count(b"\n") > mounts:
        found = repeated_mount(data)  # a pass that saw no change shows each mount once, its id unique
        if found is not None:
            _repeating(RepeatedMountError(path, found[0], found[1], data.count(b"\n"), None))
    elapsed = time.perf_counter() - start
    parsed = MountTable.from_bytes(data, strict=True) if strict_parse else None  # a bad line raises here
    return _finish(Snapshot(not changed, attempts, "mountinfo", elapsed, path, reads, data, parsed, note),
                   consistency)


def _repeating(err: RepeatedMountError) -> None:
    """Remember that this kernel repeats mounts, and raise ``err``."""
    if not _repeats_seen:
        _repeats_seen.append(str(err))
    raise err


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


def _count_mounts(mnt_ns_id: int = 0) -> int:
    """How many mounts listmount(2) lists in the namespace (``0``: this thread's)."""
    return len(list_mount_ids(mnt_ns_id)[0])


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
    """One pass: listmount, then statmount of each id.  ``STATMOUNT_PROPAGATE_FROM`` is
    asked once per master peer group, not per mount: the kernel answers it by walking
    the peers of the master (``get_dominating_id()``, ``fs/pnode.c``), and the answer
    is the same for every slave of one group (peers share their master)."""
    from . import syscalls

    ids, calls = list_mount_ids(mnt_ns_id)
    entries: list[MountEntry] = []
    gone = False
    if not ids:
        return entries, calls, gone
    mask = _statmount_mask(mask, ids[0], mnt_ns_id)
    per_group = mask & syscalls.STATMOUNT_PROPAGATE_FROM
    dominating: dict[int, int] = {}  # master group -> propagate_from
    for unique in ids:
        calls += 1
        try:
            sm = syscalls.statmount(unique, mask & ~per_group, mnt_ns_id=mnt_ns_id)
            prop_from = None
            if per_group and sm.mnt_propagation & syscalls.MS_SLAVE:
                prop_from = dominating.get(sm.mnt_master)
                if prop_from is None:
                    calls += 1
                    prop_from = syscalls.statmount(unique, per_group, mnt_ns_id=mnt_ns_id).propagate_from
                    dominating[sm.mnt_master] = prop_from
        except OSError as err:
            if err.errno == errno.ENOENT:  # unmounted since listmount
                gone = True
                continue
            raise
        entries.append(entry_from_statmount(sm, len(entries) + 1, prop_from))
    return entries, calls, gone


def _listmount_loop(fd: int | None, path: str, consistency: str, max_attempts: int, deadline: float | None,
                    start: float, mask: int | None, mnt_ns_id: int = 0, note: str = "") -> Snapshot:
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
                    MountTable(entries), note)
    return _finish(snap, consistency)


_SB_FLAG_NAMES = ((16, b"sync"), (128, b"dirsync"), (1 << 25, b"lazytime"))  # SB_SYNCHRONOUS, SB_DIRSYNC, SB_LAZYTIME


_vfs_seen: dict[int, bytes] = {}  # mnt_attr -> its option string: a table has a handful of distinct ones


def _vfs_options(attr: int) -> bytes:
    """The per-mount option string ``show_vfsmnt_opts()`` prints for ``mnt_attr``."""
    known = _vfs_seen.get(attr)
    if known is None:
        known = _vfs_seen[attr] = _vfs_options_of(attr)
    return known


def _vfs_options_of(attr: int) -> bytes:
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


def entry_from_statmount(sm: StatMount, lineno: int = 0, propagate_from: int | None = None) -> MountEntry:
    """A :class:`MountEntry` from statmount(2), shaped like its mountinfo line
    (``propagate_from``: the statmount field, asked apart; else ``sm``'s own).

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
    dominating = sm.propagate_from if propagate_from is None else propagate_from
    prop_from = dominating if master is not None and dominating not in (0, master) else None
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
