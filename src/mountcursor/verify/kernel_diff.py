"""The running kernel as oracle: one script of operations played on a sandbox and on the model.

The sandbox (:class:`mountcursor.verify.sandbox.Sandbox`) is a worker process in a
private mount namespace of its own.  The model namespace is built from the
sandbox's real table (:func:`mountcursor.kernel.mirror.namespace_from_table`),
so both print the same lines; every later mount in the model takes the ids and
device the kernel gave.  A script mixes ``read(n)`` of open proc files (sizes
from 1 byte to beyond the kernel buffer), mounts (some with hostile names, some at
mount points whose lines are about a page long: :func:`long_path`), umounts (plain and
lazy), ``lseek`` (to 0 and into a line), ``poll``, and close/reopen; reads after EOF
with new mounts added are part of it.  Every read's bytes, every poll result, every
lseek result and every error must agree.

Vantage points (:class:`Vantage`): stream 0 is the ``mountinfo`` of the namespace's
root, open from the start (all a script saved before vantage points reads); ``open``
opens ``mountinfo``, ``mounts`` or ``mountstats`` as another stream, read by the worker
at the namespace's root (``root``), by a child of the worker chrooted into a jail
(``chroot``: its ``/proc/self/``), or by the worker through that child's
``/proc/<pid>/`` (``pid``: the file's root is the child's).  The child lives as long
as the sandbox, so its root keeps the mount it chrooted into (and pins it: the model's
``MountNamespace.chroot``).  The stream operations name their stream as an optional
last argument.  After every operation that changes the table, the whole file of every
vantage point opened so far is compared too.

The model runs the strategy and seq_file semantics it is asked to hold the kernel to
(``idtree`` on ``5.10+`` unless told: what 6.18 runs; ``mountcursor diff-kernel`` asks
:mod:`mountcursor.verify.probe` by default), with the current format.
The model's mounts take the kernel's unique ids, from listmount(2) on 6.8+ and made up
from the mnt_ids before (:class:`UniqueIds`).

Propagation scripts (``propagation=True``) add ``make`` (shared, slave, private,
unbindable, and the recursive ``r...`` forms), ``bind``, ``rbind`` and ``move``, and mount
and unmount at nested paths (``m00001/n3``), so that mounts and unmounts
propagate to peers and slaves.  One such operation makes or removes several
mounts and peer groups, whose ids come from IDAs the kernel shares with every
other namespace: the mirror takes them from the kernel's table
(:func:`mountcursor.kernel.mirror.impose_new_ids`).  After every operation that
changes the table, the whole ``mountinfo`` of both is compared too, and an id
the model did not use is a mismatch.  A directory an umount or make names is
created first (``mkdir -p``, which changes no mount), since the model has no
directories to say ``ENOENT``; while the table has more than
:data:`MAX_TABLE` mounts, operations that add mounts are skipped on both sides
(binds of a shared mount into its own peer group double the table).

A mismatching script is shrunk (operations dropped one at a time while it still
mismatches) and can be saved for replay.
"""

from __future__ import annotations

import errno
import json
import os
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..format import escape_path, parse_mountinfo
from ..format.escaping import PATH_ESCAPES
from ..kernel import MNT_DETACH, open_proc
from ..kernel.mirror import KernelTable, impose_new_ids, imposed_left, mount_as, namespace_from_table
from ..kernel.procfs import POLLERR, POLLHUP, POLLPRI
from ..kernel.seqfile import PAGE_SIZE
from .sandbox import DEFAULT_ROOT, Sandbox
from . import schema
from .trace import read_json

READ_SIZES = (1, 7, 50, 100, 1000, 1024, 4096, 8192, 65536)
HOSTILE = (b"sp ace", b"t\tab", b"new\nline", b"back\\slash", b"c\rr", b"#hash", b"\xff\xfe", b"a,b=c")

Op = tuple[Any, ...]

#: the proc files a script opens, and the readers it opens them from: ``root`` (the worker,
#: at the namespace's root: ``/proc/self/``), ``chroot`` (a process chrooted into a jail
#: opens ``/proc/self/``), ``pid`` (the worker opens ``/proc/<pid>/`` of that process)
FILES = ("mountinfo", "mounts", "mountstats")
READERS = ("root", "chroot", "pid")
MAX_STREAMS = 16


@dataclass(frozen=True)
class Vantage:
    """Where a stream reads from: a file, a reader, and the jail (a directory relative to the
    sandbox's root) of a ``chroot`` or ``pid`` reader."""

    file: str
    reader: str = "root"
    jail: Optional[bytes] = None

    @property
    def key(self) -> str:
        """``file@reader``, the vantage point ``--json`` counts reads for."""
        return f"{self.file}@{self.reader}"

    @staticmethod
    def of(op: Op) -> "Vantage":
        """The vantage point of an ``open`` operation."""
        return Vantage(op[2], op[3], op[4] if len(op) > 4 else None)


#: stream 0, open from the start: the mountinfo of the namespace's root (what every
#: script read before vantage points; a script without ``open`` reads only this)
DEFAULT_VANTAGE = Vantage("mountinfo")
#: the operations on a stream, whose last argument (optional: stream 0) names it
_STREAM_OPS = ("read", "lseek", "poll", "reopen")

#: ``make`` kinds; an ``r`` in front is ``MS_REC``.
MAKE_KINDS = ("shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable")
_MAKE_WEIGHTS = (35, 15, 10, 8, 10, 5, 7, 10)  # mostly shared: propagation needs peer groups
#: above this many mounts, operations that add mounts are skipped on both sides
MAX_TABLE = 150
_GROWING = ("mount", "bind", "rbind", "move")
_CHANGING = _GROWING + ("umount", "lazy", "make")


@dataclass
class Mismatch:
    step: int
    op: Op
    kernel: Any
    model: Any

    def as_json(self) -> dict[str, Any]:
        return {"step": self.step, "op": _op_json(self.op), "kernel": _val(self.kernel), "model": _val(self.model)}


@dataclass
class ScriptResult:
    script: list[Op]
    steps: int = 0
    mismatch: Optional[Mismatch] = None
    reads: int = 0
    tables: int = 0  # whole tables compared after an operation that changed them
    propagated: int = 0  # plain mounts and umounts that added or removed more than one mount
    log: list[str] = field(default_factory=list)
    #: reads and whole tables compared per vantage point (``file@reader``)
    vantage_reads: dict[str, int] = field(default_factory=dict)
    vantage_tables: dict[str, int] = field(default_factory=dict)


def _val(v: Any) -> Any:
    if isinstance(v, bytes):
        return os.fsdecode(v)
    if isinstance(v, tuple):
        return [_val(x) for x in v]
    return v


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 100 else f"{r[:45]}…{r[-45:]} ({len(v) if isinstance(v, bytes) else '?'} B)"


def _op_json(op: Op) -> list[Any]:
    return [_val(x) for x in op]


#: every script ends reading each stream to EOF, then polling it
_END: list[Op] = [("read", 65536), ("poll",)]
#: the jail of plain scripts: a directory the script mounts over and under
JAIL = b"j"


def with_vantages(rng: random.Random, ops: list[Op], jails: list[bytes], streams: int = 3) -> list[Op]:
    """``ops`` with up to ``streams`` more files opened (``open``, in the first half) from
    random vantage points (:data:`FILES` x :data:`READERS`, jails from ``jails``), part of
    the stream operations after each open moved to it, and every stream read to EOF and
    polled at the end."""
    out = list(ops)
    opened: list[tuple[int, int]] = []  # (stream, position of its open)
    for n in range(1, rng.randint(1, streams) + 1):
        file, reader = rng.choice(FILES), rng.choice(READERS)
        op: Op = ("open", n, file, reader) if reader == "root" else ("open", n, file, reader, rng.choice(jails))
        at = rng.randrange(len(out) // 2 + 1)
        out.insert(at, op)
        opened = [(s, i + (i >= at)) for s, i in opened] + [(n, at)]
    for i, op in enumerate(out):
        if op[0] in _STREAM_OPS and rng.random() < 0.6:
            ready = [s for s, at in opened if at < i]
            if ready:
                out[i] = (*op, rng.choice(ready))
    for n in [0] + sorted(s for s, _ in opened):
        out += [(*o, n) if n else o for o in _END]
    return out


#: the share of new mount points that :func:`long_path` makes long
LONG_RATE = 0.05
#: what a sandbox mountinfo line holds besides its escaped mount point, about
#: (``"<id> <parent> 0:<minor> / "``, ``" rw,relatime - tmpfs tmpfs rw\n"``, maybe ``shared:N``)
_LINE_OVERHEAD = 56
#: bytes a long path leaves below PATH_MAX: a peer's copy of it (``m00000/..`` for
#: ``b0/..``) is a few bytes longer
_SLACK = 16
_ROOT = os.fsencode(DEFAULT_ROOT)


def fits(path: bytes, more: int = 0) -> bool:
    """Whether the sandbox path of ``path`` (relative to its root), ``more`` bytes longer,
    stays :data:`_SLACK` bytes below PATH_MAX (with its NUL)."""
    return len(_ROOT) + 1 + len(path) + more + _SLACK < schema.PATH_MAX


def pad_path(start: bytes, add: int, room: int, every: int = 0) -> bytes:
    """``start`` made longer by ``add`` printed bytes (as ``mangle_path`` escapes them): more
    letters on its last component and then ``/``-separated components of at most NAME_MAX
    bytes, every ``every``-th byte (0: none) one that prints as four (space, tab, newline,
    backslash in turn).  At most ``room`` bytes are added: where that runs out first, the
    path is shorter than asked (and one byte more than a last component of NAME_MAX bytes
    is two: a new component never stands empty)."""
    out = bytearray(start)
    comp = len(out) - out.rfind(b"/") - 1
    i = 0
    while add > 0 and room > 0:
        if comp >= schema.NAME_MAX or (add == 2 and comp >= schema.NAME_MAX - 1):
            if room < 2:
                break
            out += b"/"  # a new component (never an empty one: a byte follows)
            add -= 1
            room -= 1
            comp = 0
        i += 1
        if every and i % every == 0 and add >= 6:
            out.append(PATH_ESCAPES[i // every % len(PATH_ESCAPES)])
            add -= 4
        else:
            out += b"x"
            add -= 1
        room -= 1
        comp += 1
    return bytes(out)


def long_path(rng: random.Random, parent: bytes, stem: bytes) -> bytes:
    """``parent/stem-…`` (``stem-…`` without a parent): a mount point whose mountinfo line
    is about a page long, to reach the records that end within a few bytes of the
    seq_file buffer (issue 20: the overflow retry, the buffer doubling).  The escaped
    line aims within 48 bytes of :data:`~mountcursor.kernel.seqfile.PAGE_SIZE`, and one
    time in five near two or three pages, which needs escapes (:func:`pad_path`; a name
    near one page has some now and then too).  The sandbox path stays below PATH_MAX
    (:func:`fits`)."""
    start = (parent + b"/" if parent else b"") + stem + b"-"
    pages = rng.choice((2, 3)) if rng.random() < 0.2 else 1
    add = pages * PAGE_SIZE + rng.randint(-48, 48) - _LINE_OVERHEAD - len(escape_path(_ROOT + b"/" + start))
    room = schema.PATH_MAX - 1 - _SLACK - len(_ROOT) - 1 - len(start)
    if add > room > 0:  # r bytes, one in `every` escaped, print as r * (1 + 3 / every)
        every = max(1, round(3 * room / (add - room)))
    else:
        every = rng.choice((0, 0, 0, 20))
    return pad_path(start, add, room, every)


def _fd_op(rng: random.Random, r: float, lseek_below: float, poll_below: float) -> Op:
    """An operation on the open file: lseek (to 0 or into a line), poll, or close/reopen."""
    if r < lseek_below:
        return ("lseek", 0 if rng.random() < 0.5 else rng.randrange(1, 400))
    return ("poll",) if r < poll_below else ("reopen",)


def random_script(rng: random.Random, length: int, n_mounts: int) -> list[Op]:
    """A random script over mounts ``m00000``.. (created by the sandbox) and new ones, some
    in and over the jails (:data:`JAIL`, the last sandbox mount, a directory in the first)
    that the files it opens from a chroot look from (:func:`with_vantages`)."""
    names = [b"m%05d" % i for i in range(n_mounts)]
    live = list(names)
    jails = [JAIL] + names[-1:] + [m + b"/d" for m in names[:1]]
    out: list[Op] = []
    new = 0
    for _ in range(length):
        r = rng.random()
        if r < 0.5:
            out.append(("read", rng.choice(READ_SIZES)))
        elif r < 0.65:
            base = rng.choice(HOSTILE) if rng.random() < 0.3 else b"n"
            where = rng.random()
            if where < 0.08:  # over a jail
                name = rng.choice(jails)
            else:
                parent = rng.choice(jails) if where < 0.4 else b""
                name = base + b"%d" % new
                if rng.random() < LONG_RATE:
                    name = long_path(rng, parent, name)
                elif parent:
                    name = parent + b"/" + name
            new += 1
            live.append(name)
            out.append(("mount", name))
        elif r < 0.77 and live:
            out.append(("umount", live.pop(rng.randrange(len(live)))))
        elif r < 0.8 and live:
            out.append(("lazy", live.pop(rng.randrange(len(live)))))
        else:
            out.append(_fd_op(rng, r, 0.88, 0.95))
    return with_vantages(rng, out, jails)


def propagation_script(rng: random.Random, length: int, n_mounts: int) -> list[Op]:
    """A random script of propagation operations over the sandbox's first mounts
    ``m00000``.., bind targets ``b0``.. and nested mounts below them."""
    tops = [b"m%05d" % i for i in range(min(n_mounts, 4))] or [b"m"]
    binds = [b"b%d" % i for i in range(3)]
    known = tops + [JAIL]  # paths made mount points by the script (or the sandbox), and the jail
    # jails: a peer of the first top (it propagates into them), a slave, a directory in a top
    jails = [JAIL, binds[0], binds[1], tops[0] + b"/d", tops[-1]]
    out: list[Op] = []
    new = 0

    def somewhere() -> bytes:
        """A known mount point (often a top one: those are the peer groups), now and then
        seen through another top (a peer's copy)."""
        path = rng.choice(tops + binds if rng.random() < 0.4 else known)
        if b"/" in path and rng.random() < 0.4:
            path = rng.choice(tops + binds) + path[path.index(b"/"):]
        return path

    def _nested(parent: bytes, name: bytes) -> bytes:
        """``parent/name``, or ``m00000/name`` where that would come near PATH_MAX."""
        return parent + b"/" + name if fits(parent, 1 + len(name)) else tops[0] + b"/" + name

    if rng.random() < 0.8:  # most scripts start with a peer group, half of them with a slave
        out += [("make", tops[0], "shared"), ("bind", tops[0], binds[0])]
        if rng.random() < 0.5:
            out += [("bind", tops[0], binds[1]), ("make", binds[1], "slave")]
    while len(out) < length:
        r = rng.random()
        if r < 0.32:
            out.append(("read", rng.choice(READ_SIZES)))
        elif r < 0.48:
            out.append(("make", somewhere(), rng.choices(MAKE_KINDS, _MAKE_WEIGHTS)[0]))
        elif r < 0.58:
            dst = rng.choice(binds + [JAIL]) if rng.random() < 0.5 else _nested(rng.choice(known), b"n%d" % new)
            new += 1
            u = rng.random()
            src = somewhere()
            if u >= 0.15 and rng.random() < 0.25 and fits(src, 2):  # a bind of a directory: its root is /d
                src += b"/d"
            out.append(("move" if u < 0.15 else "rbind" if u < 0.45 else "bind", src, dst))
            known.append(dst)
        elif r < 0.72:
            base = rng.choice(HOSTILE) if rng.random() < 0.15 else b"n"
            where, stem = somewhere(), base + b"%d" % new
            if rng.random() < LONG_RATE and fits(where, 512):
                name = long_path(rng, where, stem)
            else:
                name = _nested(where, stem)
            new += 1
            known.append(name)
            out.append(("mount", name))
        elif r < 0.84:
            out.append(("lazy" if rng.random() < 0.3 else "umount", somewhere()))
        else:
            out.append(_fd_op(rng, r, 0.9, 0.96))
    return with_vantages(rng, out, jails)


def _call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except OSError as e:
        return ("error", e.errno)


class UniqueIds:
    """Each mount's unique id: listmount/statmount's (Linux 6.8+), or where the kernel has
    no listmount (``ENOSYS``: every kernel before 6.8) one made up from the table.

    6.8+ gives ``mnt_id_unique`` in ``mnt_alloc_id`` (``alloc_vfsmnt``): the unique ids order
    the mounts by allocation.  Before 6.8 nothing in the table says that order directly:
    ``/proc/<pid>/mountinfo`` walks ``ns->list``, where ``commit_tree`` adds a mount at the
    tail when it is attached, and ``attach_recursive_mnt`` commits the propagated copies
    newest first (``propagate_one`` puts each on ``tree_list`` with ``hlist_add_head``;
    5.10-6.7 ``fs/pnode.c``, read in 6.1.176), so the list is not allocation order.  The
    mnt_id is: ``mnt_alloc_id`` takes the lowest free id (``ida_alloc``), and one operation
    only adds mounts or only removes them (a table is read after each), so the ids one
    operation allocates grow in allocation order.  Hence a mount keeps the number it was
    first given, and the mounts new in a table take the next numbers in mnt_id order; the
    first table's (many operations, ids reused) in mountinfo order.  An mnt_id in two tables
    in a row is one mount (a freed id is forgotten at once)."""

    FIRST = 1 << 20  # made-up ids start here (the hidden parent of / takes the lowest minus one)

    def __init__(self, listmount: Optional[bool] = None) -> None:
        self.listmount = listmount  # None until the kernel was asked; False: made up (from_order)
        self.known: dict[int, int] = {}  # mnt_id -> made-up unique id, of the last table
        self.next = self.FIRST

    def of(self, sb: Any, records: list[Any]) -> dict[int, int]:
        if self.listmount is not False:
            try:
                uids = {e.mnt_id: e.unique_id for e in sb.snapshot(method="listmount").table.entries}
                self.listmount = True
                return uids
            except OSError as e:
                if e.errno not in (errno.ENOSYS, errno.EPERM) or self.listmount:
                    raise
                self.listmount = False
        return self.from_order([r.mnt_id for r in records])

    def from_order(self, mnt_ids: list[int]) -> dict[int, int]:
        """Unique ids for one table's mnt_ids (in mountinfo order): the known ones kept, the
        new ones numbered in allocation order (mnt_id order; the first table: list order)."""
        fresh = [m for m in mnt_ids if m not in self.known]
        if self.known:  # after one operation: allocation order is mnt_id order
            fresh.sort()
        uid = dict(self.known)
        for mnt_id in fresh:
            uid[mnt_id] = self.next
            self.next += 1
        self.known = {m: uid[m] for m in mnt_ids}
        return self.known


def _kernel_table(sb: Sandbox, uids: UniqueIds) -> tuple[bytes, KernelTable]:
    """The sandbox's whole mountinfo and every mount's unique id (:class:`UniqueIds`)."""
    data = sb.read_proc("mountinfo")
    records = parse_mountinfo(data)
    return data, KernelTable(records, uids.of(sb, records))


def _kernel_op(sb: Sandbox, op: Op) -> Any:
    """Play one table-changing operation in the sandbox: None, or ("error", errno)."""
    kind = op[0]
    try:
        if kind == "mount":
            sb.mount_tmpfs(op[1])
        elif kind in ("bind", "rbind"):
            sb.mkdir(op[1])
            sb.bind(op[1], op[2], recursive=kind == "rbind")
        elif kind == "move":
            sb.mkdir(op[1])
            sb.move(op[1], op[2])
        elif kind in ("umount", "lazy"):
            sb.mkdir(op[1])
            sb.umount(op[1], lazy=kind == "lazy")
        else:
            sb.mkdir(op[1])
            sb.make(op[1], op[2].removeprefix("r"), recursive=op[2].startswith("r"))
    except OSError as e:
        return ("error", e.errno)
    return None


def _model_op(ns: Any, sb: Sandbox, op: Op, first: Any) -> Any:
    """The same operation on the model: None, ("error", errno) or ("model", what went wrong)."""
    kind = op[0]
    try:
        if kind == "mount":
            mount_as(ns, sb.path(op[1]), first)
        elif kind in ("bind", "rbind"):
            ns.bind(sb.path(op[1]), sb.path(op[2]), recursive=kind == "rbind")
        elif kind == "move":
            ns.move(sb.path(op[1]), sb.path(op[2]))
        elif kind in ("umount", "lazy"):
            ns.umount(sb.path(op[1]), MNT_DETACH if kind == "lazy" else 0)
        else:
            ns.change_type(sb.path(op[1]), op[2].removeprefix("r"), recursive=op[2].startswith("r"))
    except OSError as e:
        return ("error", e.errno)
    except ValueError as e:  # an imposed id the model still holds
        return ("model", str(e))
    return None


def _model_open(ns: Any, v: Vantage, jails: dict[bytes, Any], strategy: str, semantics: str) -> Any:
    """The model's file for a vantage point: a ``chroot`` reader's root is its jail (also the
    root of the task that reads), a ``pid`` reader opens the jail's process's file from the
    namespace's root."""
    if v.reader == "root":
        return open_proc(ns, v.file, strategy=strategy, semantics=semantics)  # type: ignore[arg-type]
    root = jails[v.jail]  # type: ignore[index]
    return open_proc(ns, v.file, strategy=strategy, semantics=semantics, root=root,  # type: ignore[arg-type]
                     reader_root=root if v.reader == "chroot" else ns.root)


def _model_table(ns: Any, strategy: str, semantics: str, v: Vantage = DEFAULT_VANTAGE,
                 jails: Optional[dict[bytes, Any]] = None) -> bytes:
    f = _model_open(ns, v, jails or {}, strategy, semantics)
    try:
        return f.read_all(65536)  # type: ignore[no-any-return]
    finally:
        f.close()


def _kernel_reader(sb: Sandbox, v: Vantage) -> dict[str, Any]:
    """Who opens the vantage point's file on the kernel's side, as :meth:`Sandbox.open_proc`
    and :meth:`Sandbox.read_proc` take it: the worker (``root``), the process chrooted into
    the jail (``chroot``), or the worker through that process's ``/proc/<pid>/`` (``pid``)."""
    if v.reader == "root":
        return {}
    if v.reader == "chroot":
        return {"jail": v.jail}
    assert v.jail is not None  # a chroot or pid reader has its jail (Vantage)
    return {"pid": sb.jail(v.jail)}


def _kernel_open(sb: Sandbox, v: Vantage) -> int:
    return sb.open_proc(v.file, **_kernel_reader(sb, v))


def _kernel_whole(sb: Sandbox, v: Vantage) -> bytes:
    return sb.read_proc(v.file, **_kernel_reader(sb, v))


class _Streams:
    """The files a script has open, each on both sides: stream -> (vantage, kernel handle,
    model file); and the jails, each chrooted on both sides at its first use."""

    def __init__(self, sb: Sandbox, ns: Any, strategy: str, semantics: str) -> None:
        self.sb, self.ns, self.strategy, self.semantics = sb, ns, strategy, semantics
        self.open: dict[int, tuple[Vantage, int, Any]] = {}
        self.jails: dict[bytes, Any] = {}  # jail -> the model's root (Path) for it
        self.seen: list[Vantage] = []  # every vantage point opened, in order

    def start(self, n: int, v: Vantage) -> None:
        if v.jail is not None and v.jail not in self.jails:
            self.sb.mkdir(v.jail)  # the model has no directories to say ENOENT
            self.sb.jail(v.jail)
            self.jails[v.jail] = self.ns.chroot(self.sb.path(v.jail))
        if n in self.open:
            self.close(n)
        self.open[n] = (v, _kernel_open(self.sb, v), _model_open(self.ns, v, self.jails, self.strategy,
                                                                  self.semantics))
        if v not in self.seen:
            self.seen.append(v)

    def get(self, n: int) -> tuple[Vantage, int, Any]:
        if n not in self.open:
            raise ValueError(f"stream {n} is not open")
        return self.open[n]

    def close(self, n: int) -> None:
        v, h, f = self.open.pop(n)
        self.sb.close_proc(h)
        f.close()

    def close_all(self) -> None:
        for n in list(self.open):
            self.close(n)


def run_script(script: list[Op], n_mounts: int = 8, log: bool = False, strategy: str = "idtree",
               semantics: str = "5.10+", listmount: Optional[bool] = None) -> ScriptResult:
    """Play ``script`` on a fresh sandbox and its mirror (``strategy`` on ``semantics``);
    stop at the first difference.  ``listmount=False`` makes the unique ids up as
    before 6.8 even where listmount(2) exists (:class:`UniqueIds`).  Stream 0 is the
    namespace root's ``mountinfo``, open from the start; ``open`` opens more (a
    :class:`Vantage` each); after every operation that changes the table, the whole
    file of every vantage point opened so far is compared too."""
    res = ScriptResult(script)
    script = check_script([_op_json(op) for op in script])  # nothing outside the sandbox's directory
    uids = UniqueIds(listmount)
    with Sandbox(n=n_mounts) as sb:
        data, ktab = _kernel_table(sb, uids)
        ns = namespace_from_table(ktab.records, ktab.unique_ids)
        streams = _Streams(sb, ns, strategy, semantics)
        streams.start(0, DEFAULT_VANTAGE)
        for i, op in enumerate(script):
            kind = op[0]
            n = op[-1] if kind in _STREAM_OPS and len(op) == len(SCRIPT_OPS[kind]) + 2 else 0
            if kind == "read":
                v, h, f = streams.get(n)
                k, m = _call(sb.read, h, op[1]), _call(f.read, op[1])
                res.reads += 1
                res.vantage_reads[v.key] = res.vantage_reads.get(v.key, 0) + 1
            elif kind in _CHANGING:
                if kind in _GROWING and len(ktab.records) > MAX_TABLE:
                    k = m = ("skipped",)
                else:
                    k = _kernel_op(sb, op)
                    data, after = _kernel_table(sb, uids)
                    first = impose_new_ids(ns, ktab, after)
                    m = _model_op(ns, sb, op, first)
                    if kind in ("mount", "umount") and abs(len(after.records) - len(ktab.records)) > 1:
                        res.propagated += 1
                    ktab = after
                    left = imposed_left(ns)
                    if m == k and left is not None:
                        m = ("model", left)
                    for v in [DEFAULT_VANTAGE] + [w for w in streams.seen if w != DEFAULT_VANTAGE]:
                        if m != k:
                            break
                        res.tables += 1
                        res.vantage_tables[v.key] = res.vantage_tables.get(v.key, 0) + 1
                        theirs = data if v == DEFAULT_VANTAGE else _kernel_whole(sb, v)
                        mine = _model_table(ns, strategy, semantics, v, streams.jails)
                        if mine != theirs:
                            k, m = (v.key, theirs), (v.key, mine)
            elif kind == "open":
                streams.start(op[1], Vantage.of(op))
                k = m = None
            elif kind == "lseek":
                _, h, f = streams.get(n)
                k, m = _call(sb.lseek, h, op[1]), _call(f.lseek, op[1])
            elif kind == "poll":
                _, h, f = streams.get(n)
                k = sb.poll(h)
                m = f.poll() & (POLLPRI | POLLERR | POLLHUP)
            elif kind == "reopen":
                streams.start(n, streams.get(n)[0])
                k = m = None
            else:
                raise ValueError(f"unknown script operation {op!r}")
            if log:
                res.log.append(f"{i:3d} {_op_json(op)}: kernel {_short(k)} model {_short(m)}")
            res.steps = i + 1
            if k != m:
                res.mismatch = Mismatch(i, op, k, m)
                break
        streams.close_all()
    return res


def shrink_script(script: list[Op], n_mounts: int, budget: int = 120, strategy: str = "idtree",
                  semantics: str = "5.10+") -> list[Op]:
    """Cut the script after its first difference, then drop operations one at a time, from
    the last to the first (a stream's reads go before its ``open``), while it still
    mismatches; again while a pass dropped something, within ``budget`` runs."""
    def mismatch(cand: list[Op]) -> Optional[Mismatch]:
        try:
            return run_script(cand, n_mounts, strategy=strategy, semantics=semantics).mismatch
        except (OSError, StopIteration, ValueError):
            return None  # the shorter script is not valid (e.g. a read of a stream never opened)

    first = mismatch(script)
    if first is None:
        return script
    best = script[:first.step + 1]
    tries = 1
    dropped = True
    while dropped and tries < budget:
        dropped = False
        i = len(best) - 1
        while i >= 0 and tries < budget:
            cand = best[:i] + best[i + 1:]
            tries += 1
            if mismatch(cand) is not None:
                best = cand
                dropped = True
            i -= 1
    return best


def diff_kernel(scripts: int, seed: int, length: int = 40, n_mounts: int = 8,
                on_script: Optional[Callable[[int, int], None]] = None,
                propagation: bool = False, strategy: str = "idtree", semantics: str = "5.10+") -> dict[str, Any]:
    """Run ``scripts`` random scripts (:func:`propagation_script` ones with ``propagation``)
    with the model as ``strategy`` on the ``semantics`` seq_file; the JSON shape of
    ``mountcursor diff-kernel --json``.  ``on_script(n, agreed)`` is called before script
    ``n`` (for progress)."""
    rng = random.Random(seed)
    agreed = 0
    first: Optional[dict[str, Any]] = None
    reads = tables = propagated = propagating = 0
    make = propagation_script if propagation else random_script
    vantage = {f"{file}@{reader}": {"reads": 0, "tables": 0, "scripts": 0} for reader in READERS for file in FILES}
    for n in range(scripts):
        if on_script is not None:
            on_script(n, agreed)
        script = make(rng, length, n_mounts)
        r = run_script(script, n_mounts, strategy=strategy, semantics=semantics)
        reads += r.reads
        tables += r.tables
        propagated += r.propagated
        propagating += r.propagated > 0
        for key in {DEFAULT_VANTAGE.key} | {Vantage.of(op).key for op in script if op[0] == "open"}:
            vantage[key]["scripts"] += 1
        for key, count in r.vantage_reads.items():
            vantage[key]["reads"] += count
        for key, count in r.vantage_tables.items():
            vantage[key]["tables"] += count
        if r.mismatch is None:
            agreed += 1
            continue
        if first is None:
            small = shrink_script(script, n_mounts, strategy=strategy, semantics=semantics)
            r2 = run_script(small, n_mounts, strategy=strategy, semantics=semantics)
            mm = r2.mismatch or r.mismatch
            first = {"script_index": n, "script": [_op_json(o) for o in (small if r2.mismatch else script)],
                     "first_difference": mm.as_json()}
    return {"scripts": scripts, "propagation": propagation, "strategy": strategy, "semantics": semantics,
            "agreed": agreed, "reads": reads,
            "tables": tables, "propagated": propagated, "scripts_propagated": propagating,
            "vantage_points": {key: {**c, "share": round(c["reads"] / reads, 4) if reads else 0.0}
                               for key, c in vantage.items()},
            "first_mismatch": first}


def vantage_line(res: dict[str, Any]) -> str:
    """The share of reads per vantage point of a :func:`diff_kernel` result, in one line."""
    return "reads per vantage point: " + ", ".join(
        f"{key} {c['share'] * 100:.1f}%" for key, c in res["vantage_points"].items())


def save_script(script: list[Op], path: str) -> None:
    """Write a script as JSON (names as file-system strings), atomically."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump([_op_json(o) for o in script], fh)
    os.replace(tmp, path)


class ScriptFileError(ValueError):
    """A script file that cannot be read back, or does not fit the script schema."""


MAX_SCRIPT_OPS = 100_000
MAX_READ = 1 << 20
MAX_LSEEK = 1 << 24

#: Each operation and the checkers of its arguments.  Paths are relative paths of file
#: names, inside the sandbox's own directory (its private tmpfs): a script can name
#: nothing outside it, so it can never create or unmount anything on the host.
SCRIPT_OPS: dict[str, tuple[schema.Checker, ...]] = {
    "read": (schema.integer(0, MAX_READ),),
    "mount": (schema.rel_path_in_dir,),
    "umount": (schema.rel_path_in_dir,),
    "lazy": (schema.rel_path_in_dir,),
    "make": (schema.rel_path_in_dir, schema.text(16, MAKE_KINDS)),
    "bind": (schema.rel_path_in_dir, schema.rel_path_in_dir),
    "rbind": (schema.rel_path_in_dir, schema.rel_path_in_dir),
    "move": (schema.rel_path_in_dir, schema.rel_path_in_dir),
    "lseek": (schema.integer(0, MAX_LSEEK),),
    "poll": (),
    "reopen": (),
    # open STREAM FILE root | open STREAM FILE chroot|pid JAIL (the jail's argument is checked
    # by check_op: only a root reader goes without one)
    "open": (schema.integer(1, MAX_STREAMS - 1), schema.text(16, FILES), schema.text(16, READERS)),
}
_STREAM = schema.integer(0, MAX_STREAMS - 1)


def check_op(raw: Any, where: str) -> Op:
    """One operation of a script, checked against :data:`SCRIPT_OPS`.  ``read``, ``lseek``,
    ``poll`` and ``reopen`` take one more, optional argument: the stream (0 when left out,
    as in scripts saved before vantage points); ``open`` of a ``chroot`` or ``pid`` reader
    takes its jail, a relative path."""
    if not isinstance(raw, list) or not raw or not isinstance(raw[0], str) or raw[0] not in SCRIPT_OPS:
        raise schema.SchemaError(f"{where}: expected one of {sorted(SCRIPT_OPS)} with its arguments, got {_short(raw)}")
    args = SCRIPT_OPS[raw[0]]
    takes = f"{len(args)} argument(s)"
    if raw[0] in _STREAM_OPS:
        takes += " and an optional stream"
        if len(raw) == len(args) + 2:
            args = (*args, _STREAM)
    elif raw[0] == "open" and len(raw) >= 4 and raw[3] in READERS[1:]:
        args = (*args, schema.rel_path_in_dir)
        takes = f"{len(args)} argument(s) (a chroot or pid reader's jail last)"
    if len(raw) != len(args) + 1:
        raise schema.SchemaError(f"{where}: {raw[0]!r} takes {takes}, got {len(raw) - 1}")
    return (raw[0], *(check(v, f"{where}[{i + 1}]") for i, (check, v) in enumerate(zip(args, raw[1:]))))


def check_script(raw: Any) -> list[Op]:
    """A whole script (a JSON list of operations), every operation checked before any runs."""
    if not isinstance(raw, list):
        raise schema.SchemaError("not a script (a JSON list of operations)")
    if len(raw) > MAX_SCRIPT_OPS:
        raise schema.SchemaError(f"{len(raw)} operations, more than the {MAX_SCRIPT_OPS} allowed")
    return [check_op(op, f"operation {i}") for i, op in enumerate(raw)]


def load_script(path: str) -> list[Op]:
    """Read a script saved by :func:`save_script` (or the ``script`` of ``--json`` output)."""
    raw = read_json(path, ScriptFileError)
    if isinstance(raw, dict):
        mm = raw.get("first_mismatch")
        raw = mm.get("script") if isinstance(mm, dict) else raw.get("script")
    try:
        return check_script(raw)
    except schema.SchemaError as e:
        raise ScriptFileError(f"{path}: {e}") from None
