"""``fs/proc_namespace.c``: ``/proc/<pid>/{mounts,mountinfo,mountstats}`` over the model.

``open_proc(ns, kind, strategy=..., semantics=..., era=...)`` returns a
:class:`ProcFile` with ``read``, ``pread``, ``lseek``, ``poll`` and ``close``
(``mounts_open_common``, ``mounts_poll``, ``mounts_release``).  The show
functions (``show_vfsmnt``, ``show_mountinfo``, ``show_vfsstat``) build a
record from the mount and render it with :mod:`mountcursor.format`, byte for
byte as the kernel of the chosen *era* prints it.

Era differences modelled: ``old`` (v3.10 ``fs/proc_namespace.c``, the RHEL7 family)
mangles device names and fs types with ``" \\t\\n\\\\"``, knows no ``nosymfollow``
and, in ``show_sb_opts``, no ``lazytime`` (added in v4.0); its ``show_vfsmnt`` and
``show_vfsstat`` print the mount point with ``seq_path()`` (``d_path`` from the root
of the task that reads, ``current``, not of the task whose ``/proc/<pid>/`` file was
opened: ``reader_root`` of :func:`open_proc`), which never skips: a mount outside the reader's root is printed with
its path from the namespace's root (RHEL7's ``rootfs / rootfs rw 0 0`` first line of
``/proc/mounts``), and ``show_vfsstat`` prints ``no device`` for a mount without a
device name.  Only ``show_mountinfo`` uses ``seq_path_root()`` there.  ``current``
(this machine's 6.x) also escapes ``#``, prints ``nosymfollow`` and ``lazytime``, and
all three files use ``seq_path_root()``.

``seq_path_root()`` on a mount outside the root: ``__d_path`` builds the path
backwards into what is left of the buffer, walking up to the namespace's root, and
learns only there that the mount is unreachable (SEQ_SKIP).  If the buffer runs out
first (3.10 ``prepend_path``, 5.14+ ``__prepend_path``) the result is
``-ENAMETOOLONG``, which ``seq_path_root`` commits as an overflow: the start of the
line is written and the record does not fit, so the read ends there (or the buffer
grows, for a first record) and the next ``->start`` meets the mount again, in an
emptier buffer, where it is skipped (:func:`seq_path_root_outside`).  For a mount
whose path is ``/`` the room differs by one byte before and after v5.14
(:func:`d_path_room`; ``d_path`` of :func:`open_proc`, implied by the era).
"""

from __future__ import annotations

import errno
from typing import Literal, Optional

from .. import format as fmt
from . import hooks
from .iterators import MountsOp, ProcMounts, strategy as make_strategy
from .mount import (
    make_cursor, MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_READONLY,
    MNT_RELATIME, MNT_SHARED, MNT_UNBINDABLE, SB_DIRSYNC, SB_LAZYTIME, SB_MANDLOCK, SB_RDONLY,
    SB_SYNCHRONOUS, Mount, SuperBlock,
)
from .namespace import MountNamespace, Path
from .pnode import get_dominating_id
from .seqfile import PAGE_SIZE, SEEK_SET, SEQ_SKIP, Pos, SeqFile, semantics_of

Kind = Literal["mounts", "mountinfo", "mountstats"]
#: ``fs/d_path.c`` before and after v5.14's 01a4428ee706 (see :func:`d_path_room`)
DPath = Literal["3.10-5.13", "5.14+"]
D_PATHS: tuple[DPath, ...] = ("3.10-5.13", "5.14+")


def era_of(semantics: str) -> fmt.Era:
    """The format era a seq_file generation implies: ``old`` for 3.10 (the RHEL7 family),
    ``current`` for the others (4.19-5.9 prints as ``current`` does, but for ``#``,
    ``nosymfollow`` and the d_path edge: pass ``era``/``d_path`` to say otherwise)."""
    return "old" if semantics_of(semantics) == "3.10" else "current"


def d_path_of(era: fmt.Era) -> DPath:
    """The ``d_path`` an era implies: 3.10's for ``old``, this machine's for ``current``."""
    return "3.10-5.13" if era == "old" else "5.14+"
KINDS: tuple[Kind, ...] = ("mounts", "mountinfo", "mountstats")

POLLIN = 0x001
POLLPRI = 0x002
POLLOUT = 0x004
POLLERR = 0x008
POLLHUP = 0x010
POLLRDNORM = 0x040
POLLWRNORM = 0x100
DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM

_MNT_OPTS = (
    (MNT_NOSUID, b",nosuid"), (MNT_NODEV, b",nodev"), (MNT_NOEXEC, b",noexec"),
    (MNT_NOATIME, b",noatime"), (MNT_NODIRATIME, b",nodiratime"), (MNT_RELATIME, b",relatime"),
    (MNT_NOSYMFOLLOW, b",nosymfollow"),
)
_SB_OPTS = ((SB_SYNCHRONOUS, b",sync"), (SB_DIRSYNC, b",dirsync"), (SB_MANDLOCK, b",mand"),
            (SB_LAZYTIME, b",lazytime"))


def show_mnt_opts(flags: int, era: fmt.Era) -> bytes:
    """``show_mnt_opts()`` / ``show_vfsmnt_opts()``: per-mount flags after ro/rw."""
    return b"".join(s for f, s in _MNT_OPTS if flags & f and (era == "current" or f != MNT_NOSYMFOLLOW))


def show_sb_opts(s_flags: int, era: fmt.Era = "current") -> bytes:
    """``show_sb_opts()``: superblock flags after ro/rw (3.10's has no ``lazytime``)."""
    return b"".join(s for f, s in _SB_OPTS if s_flags & f and (era == "current" or f != SB_LAZYTIME))


def sb_flags_of(super_opts: bytes) -> tuple[int, bytes]:
    """The superblock flags a mountinfo line's super options print, and the rest
    (``show_options``' part): the inverse of ``ro``/``rw`` + :func:`show_sb_opts`, which
    ``show_mountinfo`` prints first, in that order.  ``/proc/<pid>/mounts`` puts the
    per-mount flags between the two parts, so a mirror must keep them apart
    (``rw,dirsync,loose`` is ``SB_DIRSYNC`` and ``,loose``)."""
    flags = SB_RDONLY if super_opts.startswith(b"ro") else 0
    rest = super_opts[2:]
    for flag, text in _SB_OPTS:
        if rest == text or rest.startswith(text + b","):
            flags |= flag
            rest = rest[len(text):]
    return flags, rest


def _fstype(mnt: Mount) -> bytes:
    sb = mnt.mnt_sb
    assert sb is not None
    return sb.s_type.name + (b"." + sb.s_subtype if sb.s_subtype else b"")


def _devname(mnt: Mount) -> bytes:
    return mnt.mnt_devname if mnt.mnt_devname is not None else b"none"


def propagate_from(mnt: Mount, root: Path) -> Optional[int]:
    """What ``show_mountinfo()`` prints as ``propagate_from:`` for ``mnt`` read from ``root``:
    the dominating id of a slave when it is not its master's group, else None."""
    if mnt.mnt_master is None:
        return None
    dom = get_dominating_id(mnt, root)
    return dom if dom and dom != mnt.mnt_master.mnt_group_id else None


def mountinfo_record(ns: MountNamespace, mnt: Mount, root: Path,
                     era: fmt.Era = "current") -> Optional[fmt.MountInfoRecord]:
    """The fields ``show_mountinfo()`` prints for ``mnt``, or None (SEQ_SKIP: outside ``root``).
    A slave also shows ``propagate_from:`` (``get_dominating_id``): the nearest master
    group above it with a member the reader's ``root`` can reach, when that is not its
    own master's group (every version from v2.6.26)."""
    sb = mnt.mnt_sb
    assert sb is not None, f"show of a mount without a superblock: {mnt!r} (a cursor?)"
    mp = ns.path_of(mnt, root)
    if mp is None:
        return None
    return fmt.MountInfoRecord(
        mnt_id=mnt.mnt_id,
        parent_id=mnt.mnt_parent.mnt_id,
        major=sb.major,
        minor=sb.minor,
        root=mnt.mnt_root,
        mount_point=mp,
        mnt_opts=(b"ro" if mnt.mnt_flags & MNT_READONLY else b"rw") + show_mnt_opts(mnt.mnt_flags, era),
        fstype=_fstype(mnt),
        source=_devname(mnt),
        super_opts=(b"ro" if sb.s_flags & SB_RDONLY else b"rw") + show_sb_opts(sb.s_flags, era) + sb.options,
        shared=mnt.mnt_group_id if mnt.mnt_flags & MNT_SHARED else None,
        master=mnt.mnt_master.mnt_group_id if mnt.mnt_master is not None else None,
        propagate_from=propagate_from(mnt, root),
        unbindable=bool(mnt.mnt_flags & MNT_UNBINDABLE),
    )


def _global_path(ns: MountNamespace, mnt: Mount) -> bytes:
    """``d_path`` of the mount's root from the namespace's root (the mount without a parent)."""
    top = mnt
    while top.mnt_parent is not top:
        top = top.mnt_parent
    path = ns.d_path(mnt, mnt.mnt_root, Path(top, top.mnt_root))
    assert path is not None
    return path


def d_path_room(path: bytes, d_path: DPath) -> int:
    """The bytes ``__d_path()`` fills before it learns that a mount whose path from the
    namespace's root is ``path`` is outside the reader's root: the NUL, then ``/name`` for
    every component.  An empty walk (``path`` is ``/``) also prepends the ``/`` and, up to
    v5.13, fails with ``-ENAMETOOLONG`` when that byte does not fit (3.10 ``prepend_path``'s
    ``global_root``, 4.x-5.13 ``if (error >= 0 && bptr == *buffer)``); from v5.14
    (01a4428ee706 "d_path: lift -ENAMETOOLONG handling into callers of prepend_path()",
    Al Viro's d_path series) ``__d_path`` returns NULL on the "not reachable" answer
    whatever the buffer holds, so only the NUL counts (``fs/d_path.c``)."""
    if path == b"/":
        return 1 + (d_path == "3.10-5.13")
    return 1 + len(path)


def seq_path_root_outside(m: SeqFile, p: ProcMounts, mnt: Mount, head: bytes) -> int:
    """What a show function returns for a mount outside the reader's root, having written
    ``head`` (the start of the line) before its ``seq_path_root()``: SEQ_SKIP when the
    walk to the namespace's root fits in what is left of the buffer (:func:`d_path_room`),
    else an overflow (``seq_commit(m, -ENAMETOOLONG)``: ``count = size``) and 0.  Held to
    6.18 byte for byte at both sides of the edge, in all three files, for a mount after a
    line (the read ends before it) and first in the buffer (the buffer doubles):
    ``tests/oracle/test_page_edge_oracle.py``."""
    if m.count + len(head) + d_path_room(_global_path(p.ns, mnt), p.d_path) > m.size:
        m.count = m.size
        return 0
    return SEQ_SKIP


def show_mountinfo(m: SeqFile, p: ProcMounts, mnt: Mount) -> int:
    """``show_mountinfo()``.

    Not the kernel's: outside the verifier's scheduler (``hooks.active`` None) the line
    is kept in ``mnt.shown`` and printed again while nothing it shows has changed.
    ``Mount.__setattr__`` drops it when a field of the mount, of a mount above it or of
    its master changes; the entry also names the reader's root, the era and the
    superblock's ``shown_version``.  Under the scheduler every line is built from the mount, so the
    verifier explores the uncached path.  A mount outside the reader's root is never
    cached (what it gives depends on what is left of the buffer).  A slave's entry also
    names its ``propagate_from``, found again at every show: it depends on where its
    masters' peers are, which no field of the mount or its parents records."""
    if hooks.active is not None:
        return _show_mountinfo(m, p, mnt)
    sb = mnt.mnt_sb
    assert sb is not None, f"show of a mount without a superblock: {mnt!r} (a cursor?)"
    c = mnt.shown
    dom = propagate_from(mnt, p.root) if mnt.mnt_master is not None else None
    if c is None or c[0] is not p.root or c[1] != p.era or c[2] != sb.shown_version \
            or c[3] != dom:
        rec = mountinfo_record(p.ns, mnt, p.root, p.era)
        if rec is None:
            return _mountinfo_outside(m, p, mnt)
        c = mnt.shown = (p.root, p.era, sb.shown_version, rec.propagate_from, fmt.render_mountinfo(rec, p.era))
    m.seq_put_record(c[4])
    return 0


def _show_mountinfo(m: SeqFile, p: ProcMounts, mnt: Mount) -> int:
    """The uncached path: the record from the mount, printed unchecked (the verifier
    parses every line back; the cached path checks each line once, when it builds it)."""
    rec = mountinfo_record(p.ns, mnt, p.root, p.era)
    if rec is None:
        return _mountinfo_outside(m, p, mnt)
    m.seq_put_record(fmt.render_mountinfo(rec, p.era, check=False))
    return 0


def _mountinfo_outside(m: SeqFile, p: ProcMounts, mnt: Mount) -> int:
    sb = mnt.mnt_sb
    assert sb is not None
    head = b"%d %d %d:%d " % (mnt.mnt_id, mnt.mnt_parent.mnt_id, sb.major, sb.minor)
    return seq_path_root_outside(m, p, mnt, head + fmt.escape_path(mnt.mnt_root) + b" ")


def _sb_and_path(p: ProcMounts, mnt: Mount) -> tuple[SuperBlock, Optional[bytes]]:
    """The superblock (a cursor has none: showing one is a bug) and the mount point: in the
    current era as ``seq_path_root`` prints it relative to the root of the task whose file
    was opened (``p->root``; None: outside it); in the old era as 3.10's ``seq_path()``
    does: ``d_path()`` from ``current->fs->root``, the root of the task that *reads*
    (:attr:`ProcMounts.reader_root`, the opened task's unless set), which prints a mount
    outside it with its path from the namespace's root (v3.10 ``fs/proc_namespace.c``,
    ``fs/dcache.c``)."""
    sb = mnt.mnt_sb
    assert sb is not None, f"show of a mount without a superblock: {mnt!r} (a cursor?)"
    if p.era != "old":
        return sb, p.ns.path_of(mnt, p.root)
    mp = p.ns.path_of(mnt, p.reader_root or p.root)
    return sb, mp if mp is not None else _global_path(p.ns, mnt)


def show_vfsmnt(m: SeqFile, p: ProcMounts, mnt: Mount) -> int:
    """``show_vfsmnt()``: ``/proc/<pid>/mounts``."""
    sb, mp = _sb_and_path(p, mnt)
    era = p.era
    if mp is None:
        return seq_path_root_outside(m, p, mnt, fmt.mangle(_devname(mnt), era) + b" ")
    ro = mnt.mnt_flags & MNT_READONLY or sb.s_flags & SB_RDONLY
    opts = (b"ro" if ro else b"rw") + show_sb_opts(sb.s_flags, era) + show_mnt_opts(mnt.mnt_flags, era) + sb.options
    m.seq_put_record(fmt.render_mounts(fmt.MountsRecord(_devname(mnt), mp, _fstype(mnt), opts), era))
    return 0


def show_vfsstat(m: SeqFile, p: ProcMounts, mnt: Mount) -> int:
    """``show_vfsstat()``: ``/proc/<pid>/mountstats`` (3.10: ``no device`` without a device
    name; current kernels never have a mount without one, the model prints ``none``)."""
    sb, mp = _sb_and_path(p, mnt)
    if mp is None:
        head = b"device " + fmt.mangle(_devname(mnt), p.era) + b" mounted on "
        return seq_path_root_outside(m, p, mnt, head)
    source = mnt.mnt_devname if p.era == "old" else _devname(mnt)
    rec = fmt.MountStatsRecord(source=source, mount_point=mp, fstype=_fstype(mnt), stats=sb.stats)
    m.seq_put_record(fmt.render_mountstats(rec, p.era))
    return 0


_SHOW = {"mounts": show_vfsmnt, "mountinfo": show_mountinfo, "mountstats": show_vfsstat}


class ProcFile:
    """An open ``/proc/<pid>/{mounts,mountinfo,mountstats}`` of the model."""

    def __init__(self, ns: MountNamespace, kind: Kind, op: MountsOp, semantics: str,
                 era: fmt.Era, root: Optional[Path], page_size: int, log_calls: bool,
                 traverse_fixed: bool = True, d_path: Optional[DPath] = None,
                 reader_root: Optional[Path] = None) -> None:
        if kind not in _SHOW:
            raise ValueError(f"unknown proc file {kind!r} (one of {', '.join(KINDS)})")
        if d_path is not None and d_path not in D_PATHS:
            raise ValueError(f"unknown d_path {d_path!r} (one of {', '.join(D_PATHS)})")
        self.ns = ns
        self.kind = kind
        self.op = op
        self.p = ProcMounts(ns=ns, root=root or ns.root, show=_SHOW[kind], era=era,
                            d_path=d_path or d_path_of(era), reader_root=reader_root)
        if op.kmalloc_cursor:  # RHEL7's mounts_open_common: kmalloc, then the two fields
            self.p.cursor = make_cursor(self.p.cursor.mnt_list.name, kmalloc=True)
        self.m = SeqFile(op, semantics, private=self.p, page_size=page_size, log_calls=log_calls,
                         traverse_fixed=traverse_fixed)
        self.m.poll_event = ns.event  # mounts_open_common: m->poll_event = ns->event
        self.closed = False

    @property
    def cursor(self) -> Mount:
        return self.p.cursor

    def _check_open(self) -> None:
        if self.closed:
            raise OSError(errno.EBADF, "file is closed")

    def read(self, count: int) -> bytes:
        """``read(fd, buf, count)``."""
        self._check_open()
        hooks.step("syscall", f"read({self.kind}, {count})")
        return self.m.read(count)

    def pread(self, count: int, offset: int) -> bytes:
        """``pread(fd, buf, count, offset)``: the file position is left alone."""
        self._check_open()
        if offset < 0:
            raise OSError(errno.EINVAL, "pread: negative offset")
        hooks.step("syscall", f"pread({self.kind}, {count}, {offset})")
        return self.m.read(count, Pos(offset))

    def lseek(self, offset: int, whence: int = SEEK_SET) -> int:
        """``lseek(fd, offset, whence)`` (``seq_lseek``)."""
        self._check_open()
        hooks.step("syscall", f"lseek({self.kind}, {offset}, {whence})")
        return self.m.lseek(offset, whence)

    def poll(self) -> int:
        """``poll()`` mask: ``mounts_poll`` reports ``POLLERR|POLLPRI`` once per change of
        ``ns->event``; mountstats has no ``.poll`` (``DEFAULT_POLLMASK``)."""
        self._check_open()
        hooks.step("syscall", f"poll({self.kind})")
        if self.kind == "mountstats":
            return DEFAULT_POLLMASK
        res = POLLIN | POLLRDNORM
        event = self.ns.event
        if self.m.poll_event != event:
            self.m.poll_event = event
            res |= POLLERR | POLLPRI
        return res

    def close(self) -> None:
        """``close(fd)`` → ``mounts_release`` (takes the cursor out of the list)."""
        if self.closed:
            return
        hooks.step("syscall", f"close({self.kind})")
        self.op.release(self.p)
        self.closed = True

    def read_all(self, count: int = 1024) -> bytes:
        """Read to EOF with reads of ``count`` bytes."""
        out = bytearray()
        while chunk := self.read(count):
            out += chunk
        return bytes(out)

    def __enter__(self) -> "ProcFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_proc(ns: MountNamespace, kind: Kind = "mountinfo", strategy: str = "idtree",
              semantics: str = "5.10+", era: Optional[fmt.Era] = None, root: Optional[Path] = None,
              page_size: int = PAGE_SIZE, log_calls: bool = False, traverse_fixed: bool = True,
              d_path: Optional[DPath] = None, reader_root: Optional[Path] = None) -> ProcFile:
    """Open a proc mount file of ``ns`` read through ``strategy`` on ``semantics`` (a
    :data:`~.seqfile.SEMANTICS` name or an alias; ``traverse_fixed=False``: 4.19.0-4.19.67),
    printed in ``era`` (default: the one the semantics implies, :func:`era_of`);
    ``d_path`` (default: the era's, :func:`d_path_of`) picks the buffer room a mount
    outside the reader's root needs (:func:`d_path_room`).  ``root`` is the root of the task
    whose file is opened (``/proc/<pid>/``), ``reader_root`` that of the task that reads it
    (default: the same, ``/proc/self/``; only 3.10's ``seq_path()`` uses it)."""
    hooks.step("syscall", f"open({kind})")
    return ProcFile(ns, kind, make_strategy(strategy), semantics, era or era_of(semantics), root, page_size,
                    log_calls, traverse_fixed, d_path, reader_root)
