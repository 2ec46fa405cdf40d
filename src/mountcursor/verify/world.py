"""A scenario made concrete: a model kernel, its threads, the state key, the property checks.

The properties (docs/DESIGN.md, "The property"), each with the name the verdicts use:

``missed``        a mount present from the reader's open to its EOF is not shown
``twice``         a mount is shown more than once
``malformed``     a line is torn or not well formed, or a cursor is shown
``order``         lines of mounts present throughout are not in list (= unique id) order
``list-corrupt``  the list is not well formed (``prev``/``next`` disagree, a poisoned link)
``cursor-left``   a cursor is still in the list after every file is closed
``livelock``      a reader never reaches EOF (within a generous bound), or a walker spins
``deadlock``      no thread can run
``lock-order``    lock order inversion, or a sleeping lock taken under ``ns_lock``
``walker``        a list walker returned a wrong answer about a mount present throughout
``crash``         any other exception in the model

Mounts are identified by their 64-bit unique id, which is never reused, so a
line is attributed to the right mount even when mnt_id and the slab object
are reused.
"""

from __future__ import annotations

import copyreg
import io
import pickle
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..format import Era, FormatError, parse_mountinfo_line, render_mountinfo
from ..kernel import hooks
from ..kernel import Kernel, MNT_DETACH, MountNamespace, ProcFile, open_proc
from ..kernel.list import ListCorruption, list_check, list_empty, list_for_each
from ..kernel.locks import LockChecker, install_checker
from ..kernel.mount import Mount
from ..kernel.iterators import STRATEGIES
from ..kernel.procfs import era_of, mountinfo_record
from ..kernel.walkers import Livelock, is_local_mountpoint, mnt_already_visible, sync_collect_filesystems
from .scenarios import PAGE_RECORD, Op, Scenario
from .scheduler import Chooser, Deadlock, Scheduler, StepLimit

PROPERTIES = ("missed", "twice", "malformed", "order", "list-corrupt", "cursor-left", "livelock",
              "deadlock", "lock-order", "walker", "crash")


@dataclass
class ReaderState:
    kind: str
    size: int
    f: Optional[ProcFile] = None
    out: bytearray = field(default_factory=bytearray)
    reads: int = 0
    results: list[bytes] = field(default_factory=list)
    eof: bool = False
    closed: bool = False
    open_alive: frozenset[int] = frozenset()
    open_removed: int = 0
    eof_removed: int = -1
    cursor_after_eof: bool = False


@dataclass
class Violation:
    prop: str
    message: str


def _pad_options(line_len: int, target: int) -> bytes:
    """An overlay-style ``lowerdir=`` option that makes a line about ``target`` bytes long."""
    need = max(0, target - line_len - len(",lowerdir="))
    layers = []
    n = 0
    i = 0
    while n < need:
        layer = f"/var/lib/overlay/l/L{i:05d}"
        layers.append(layer)
        n += len(layer) + 1
        i += 1
    return (",lowerdir=" + ":".join(layers)).encode() if layers else b""


_SIZES: dict[Scenario, tuple[int, int]] = {}


MIN_STEPS = 200_000
"""The scheduler's step limit for the smallest scenarios (see :func:`step_limit`)."""

STEPS_PER_OP = 64
"""A generous bound on the scheduler steps one ``read()``, or one churn or walker operation
per mount, takes: at most 20 were seen over the default and ``ns_lock`` scopes at fine
granularity (a read's lock operations and pointer writes), 2 at syscall granularity."""


def step_limit(sc: Scenario, read_budget: int) -> int:
    """The steps after which a run is cut off as a livelock: a backstop for a thread that
    spins without reading, never reached by readers that stay within their own bound
    (``read_budget`` reads each, after which a reader stops with "no EOF").  A fixed limit
    cut off legitimate runs: two readers reading 32 page-long lines a byte at a time need
    about 275,000 steps."""
    ops = (len(sc.churn) + len(sc.walker)) * (len(sc.mounts) + len(sc.churn) + 2)
    return MIN_STEPS + STEPS_PER_OP * (len(sc.readers) * (read_budget + 1) + ops)


class World:
    """One run's model and threads.  Build a fresh one for every run."""

    def __init__(self, sc: Scenario, strategy: str, semantics: str, granularity: str = "syscall",
                 ns_lock: bool = True, slab_reuse: bool = True, max_steps: Optional[int] = None,
                 faithful_sync: bool = False, symmetry: bool = True, memo: Optional[dict[object, bool]] = None,
                 summarise: bool = True, initial: Optional[bytes] = None) -> None:
        self.sc = sc
        self.faithful_sync = faithful_sync
        self.strategy = strategy
        self.semantics = semantics
        self.kernel: Kernel
        self.ns: MountNamespace
        self.path_uid: dict[bytes, int]
        if initial is not None:  # the scenario's mounts as another World built them (freeze_initial)
            self.kernel, self.ns, self.path_uid = pickle.loads(initial)
        else:
            self.kernel = Kernel(slab_reuse=slab_reuse, ns_lock=ns_lock)
            self.ns = self.kernel.create_namespace()
            self.path_uid = {b"/": self.ns.root.mnt.mnt_id_unique}
            self._mount_initial()
        self.removed: list[int] = []
        self.checker = LockChecker()
        # a walker op and its answer: is_local_mountpoint/mnt_already_visible's, or the
        # superblocks sync_collect_filesystems returned, by s_dev (major, minor)
        self.walk_results: list[tuple[Op, bool | list[tuple[int, int]]]] = []
        self.churn_pc = 0
        self.walker_pc = 0
        self.log: list[str] = []  # what each syscall did, for traces
        table_len, ten = _SIZES.get(sc) or _SIZES.setdefault(sc, (len(self._table_bytes()), self._ten_records()))
        self.readers = [ReaderState(k, n if n else ten) for k, n in sc.readers]
        # identical readers: the state key is taken up to a permutation of them (_canonical)
        self.symmetric = symmetry and len(sc.readers) > 1 and len(set(sc.readers)) == 1 and not sc.shared_file
        self._shared_left = len(self.readers)
        # a reader's verdict is final at its EOF unless a later mount can take a path it printed
        paths = [m.path for m in sc.mounts] + [op.to or op.path for op in sc.churn if op.kind in ("mount", "bind", "move")]
        self._summarise = summarise and not sc.shared_file and len(set(paths)) == len(paths)
        self.memo: dict[object, bool] = memo if memo is not None else {}
        self.cursors_in_list = STRATEGIES[strategy].uses_cursor
        if sc.shared_file:
            self._open_shared()
        # a reader that got three times the table (plus what churn can add) is repeating itself
        self.max_bytes = 3 * table_len + 3 * 200 * len(sc.churn) + 8192
        self.max_reads = sc.max_reads or (self.max_bytes + 16)
        if max_steps is None:  # every read returns a byte or more, until max_bytes or max_reads
            max_steps = step_limit(sc, min(self.max_reads, self.max_bytes + 1))
        self.sched = Scheduler(granularity=granularity, max_steps=max_steps)
        for i, r in enumerate(self.readers):
            self.sched.spawn(f"reader{i + 1}" if len(self.readers) > 1 else "reader", self._reader(r))
        if sc.churn:
            self.sched.spawn("churn", self._churn)
        if sc.walker:
            self.sched.spawn("walker", self._walker)

    # --- setup helpers -------------------------------------------------------------------

    def _mount_initial(self) -> None:
        """The scenario's mounts, padded to their length class."""
        ref_size = max((n for _, n in self.sc.readers), default=1024)
        for spec in self.sc.mounts:
            m = self._mount(spec.path)
            if spec.length != "short":
                target = PAGE_RECORD if spec.length == "page" else max(int(ref_size * 1.5), 120)
                m.mnt_sb.options += _pad_options(self._line_len(m), target)  # type: ignore[union-attr]

    @classmethod
    def initial_mounts(cls, sc: Scenario, slab_reuse: bool = True, ns_lock: bool = True) -> Optional[bytes]:
        """A kernel, its namespace and the scenario's mounts, as bytes for ``World(initial=...)``.

        Building a scenario's mounts through ``MountNamespace.mount`` is a third of a run
        in the larger scenarios, and every run of an exploration starts from the same
        mounts, so the explorer builds them once and unpickles a copy for each run.  The
        copy is the same object graph (``tests/verify/test_explorer.py`` compares keys
        and runs); the kernel's locks, idle here, come back new, and a mount's fields are
        set past ``Mount.__setattr__``, which would only drop cached lines (there are
        none: nothing has been read).  Pickling follows ``ns->list`` link by link, so a
        scenario of more than about a hundred mounts is too deep for it: then this
        returns None and every run mounts its own (``tests/verify/test_explorer.py``)."""
        w = cls.__new__(cls)
        w.sc = sc
        w.kernel = Kernel(slab_reuse=slab_reuse, ns_lock=ns_lock)
        w.ns = w.kernel.create_namespace()
        w.path_uid = {b"/": w.ns.root.mnt.mnt_id_unique}
        w._mount_initial()
        buf = io.BytesIO()
        p = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
        p.dispatch_table = {**copyreg.dispatch_table, **_FREEZE}  # type: ignore[dict-item]
        try:
            p.dump((w.kernel, w.ns, w.path_uid))
        except RecursionError:
            return None
        return buf.getvalue()

    def _mount(self, path: bytes) -> Mount:
        m = self.ns.mount(path, b"tmpfs", b"tmpfs", options=b",inode64")
        self.path_uid[path] = m.mnt_id_unique
        return m

    @property
    def era(self) -> Era:
        """The format era: a generation prints in its own (3.10: ``old``)."""
        return era_of(self.semantics)

    def _line_len(self, m: Mount) -> int:
        return len(self._render(m))

    def _table_bytes(self) -> bytes:
        return b"".join(self._render(m) for m in self.ns.mounts_in_list_order())

    def _render(self, m: Mount) -> bytes:
        """A line for sizing the scenario (cached per scenario, shared by every semantics):
        the scenario's tmpfs mounts print alike in both eras (no ``#``, ``lazytime`` or
        ``nosymfollow``)."""
        rec = mountinfo_record(self.ns, m, self.ns.root)
        return render_mountinfo(rec) if rec is not None else b""

    def _ten_records(self) -> int:
        lines = [self._render(m) for m in self.ns.mounts_in_list_order()]
        return sum(len(x) for x in [ln for ln in lines if ln][:10])

    def alive(self) -> frozenset[int]:
        """The mounts a reader can see (rootfs and others outside its root excluded)."""
        return frozenset(m.mnt_id_unique for m in self.ns.mounts_by_id() if self.ns.path_of(m) is not None)

    def _open_shared(self) -> None:
        """``shared_file``: the process opened the file before it started its threads; every
        reader thread holds a reference (``file_count > 1``) and they share one output."""
        f = open_proc(self.ns, self.readers[0].kind, strategy=self.strategy,  # type: ignore[arg-type]
                      semantics=self.semantics, era=self.era)
        f.cursor.mnt_list.name = "cursor1"
        out = bytearray()
        alive = self.alive()
        for i, r in enumerate(self.readers):
            if i:
                f.m.get_file()
            r.f, r.out, r.open_alive = f, out, alive

    # --- threads -------------------------------------------------------------------------

    def _reader(self, r: ReaderState) -> Callable[[], None]:
        def run() -> None:
            if r.f is None:
                r.f = open_proc(self.ns, r.kind, strategy=self.strategy,  # type: ignore[arg-type]
                                semantics=self.semantics, era=self.era)
                r.f.cursor.mnt_list.name = f"cursor{self.readers.index(r) + 1}"  # stable across runs
                r.open_alive = self.alive()
                r.open_removed = len(self.removed)
            while r.reads < self.max_reads and len(r.out) <= self.max_bytes:
                b = r.f.read(r.size)
                r.reads += 1
                r.results.append(b)
                if not b:
                    r.eof = True
                    r.eof_removed = len(self.removed)
                    r.cursor_after_eof = not list_empty(r.f.cursor.mnt_list)
                    break
                r.out += b
            if not r.eof:
                r.eof_removed = len(self.removed)
            self._shared_left -= 1
            if not self.sc.shared_file or not self._shared_left:
                r.f.close()  # a shared file: the last thread closes it
            r.closed = True

        return run

    def _churn(self) -> None:
        for op in self.sc.churn:
            self._do(op)
            self.churn_pc += 1

    def _do(self, op: Op) -> None:
        ns = self.ns
        try:
            if op.kind == "umount":
                gone = ns.umount(op.path)
            elif op.kind == "umount-lazy":
                gone = ns.umount(op.path, flags=MNT_DETACH)
            elif op.kind == "mount":
                self._mount(op.path)
                gone = []
            elif op.kind == "bind":
                m = ns.bind(op.path, op.to)
                self.path_uid[op.to] = m.mnt_id_unique
                gone = []
            elif op.kind == "move":
                m = ns.move(op.path, op.to)
                self.path_uid[op.to] = m.mnt_id_unique
                gone = []
            else:
                raise ValueError(f"unknown churn op {op.kind!r}")
        except OSError as e:
            self.log.append(f"{op}: {e}")
            return
        self.removed.extend(m.mnt_id_unique for m in gone)

    def _walker(self) -> None:
        for op in self.sc.walker:
            hooks.step("syscall", str(op))
            root_sb = self.ns.root.mnt.mnt_sb
            res: bool | list[tuple[int, int]]
            if op.kind == "walk-local":
                res = is_local_mountpoint(self.ns, root_sb, op.path)  # type: ignore[arg-type]
            elif op.kind == "walk-visible":
                res = mnt_already_visible(self.ns, op.path)
            elif op.kind == "walk-sync":
                # each superblock by its device number (unique among live superblocks, and the
                # same in every run, so the state key of two runs can match)
                res = [sb.s_dev for sb in sync_collect_filesystems(self.ns, faithful=self.faithful_sync, budget=10_000)]
            else:
                raise ValueError(f"unknown walker op {op.kind!r}")
            self.walk_results.append((op, res))
            self.walker_pc += 1

    # --- state key (syscall granularity) ---------------------------------------------------

    def key(self) -> tuple[object, ...]:
        """Everything the rest of the run and its verdict depend on, at a syscall boundary."""
        return self.key_perm()[0]

    def key_perm(self) -> tuple[tuple[object, ...], tuple[int, ...]]:
        """:meth:`key`, and where each thread stands in it: ``perm[tid]`` is the thread's
        place in the key (the identity unless identical readers were permuted, see
        :meth:`_canonical`).  The explorer keeps each state's sleep set in these places,
        so that a sleep set recorded for a state holds for its mirror image too."""
        ns, k = self.ns, self.kernel
        lst: list[object] = []
        for lh in list_for_each(ns.list):
            m: Mount = lh.owner  # type: ignore[assignment]
            lst.append(m.mnt_list.name if m.is_cursor else (m.mnt_id_unique, m.slot, m.mnt_id))
        tree = tuple((m.mnt_id_unique, m.mnt_parent.mnt_id_unique, m.mnt_mountpoint, m.mnt_flags)
                     for m in ns.mounts_by_id())
        readers: list[object] = []
        for i, r in enumerate(self.readers):
            if r.f is None:
                readers.append(("unopened",))
                continue
            if r.eof and self._passed(i, r):
                readers.append(("passed", r.closed))  # its one step left is close(): see _passed
                continue
            mm, p = r.f.m, r.f.p
            pend = bytes(mm.buf[mm.from_:mm.from_ + mm.count]) if mm.buf is not None and mm.count < mm.size else b""
            readers.append((
                r.reads, r.eof, r.closed, bytes(r.out), r.open_alive, r.open_removed, r.eof_removed,
                mm.index, mm.count, mm.from_, mm.read_pos, mm.f_pos, mm.size, pend, mm.poll_event, mm.in_call,
                p.last_pos, _ident(p.last_mntpos), p.last_mnt_id, _ident(p.cached_mount), p.cached_event,
                p.cached_index,
            ))
        threads: list[object] = [(t.done, t.pending) for t in self.sched.threads]
        perm: tuple[int, ...] = tuple(range(len(threads)))
        if self.symmetric:
            lst, readers, threads, perm = self._canonical(lst, readers, threads)
        return (
            tuple(lst), tree, k.event, ns.event, k.mnt_cache.ida._next, tuple(sorted(k.mnt_cache.ida._free)),
            tuple(m.slot for m in k.mnt_cache._free), k.mnt_cache.last_unique, tuple(readers),
            self.churn_pc, self.walker_pc, tuple(self.removed), repr(self.walk_results), tuple(threads),
        ), perm

    def _canonical(self, lst: list[object], readers: list[object],
                   threads: list[object]) -> tuple[list[object], list[object], list[object], tuple[int, ...]]:
        """Symmetry reduction: identical readers (same file, same read size, the same code,
        spawned first as threads 0..n-1) are interchangeable, so a state and the same state
        with the readers permuted have the same future up to that permutation, and the same
        verdict (every property is checked for each reader alike).  The key lists the
        readers in an order that depends only on their own state (its hash), with their
        threads and their cursors' names in the list renamed to match.  Equal keys then
        mean equal states up to a permutation of the readers; the first counterexample is
        the same, as depth-first search only prunes the mirror of a subtree it has
        explored completely."""
        n = len(readers)
        order = sorted(range(n), key=lambda i: hash((readers[i], threads[i])))
        rename = {f"cursor{i + 1}": f"cursor{j + 1}" for j, i in enumerate(order)}
        lst = [rename.get(x, x) if isinstance(x, str) else x for x in lst]
        perm = [0] * len(threads)
        for j, i in enumerate(order):
            perm[i] = j
        for t in range(n, len(threads)):
            perm[t] = t
        return lst, [readers[i] for i in order], [threads[i] for i in order] + threads[n:], tuple(perm)

    def _passed(self, i: int, r: ReaderState) -> bool:
        """Reader ``r`` (its own file) is at EOF and what it read already passes every check
        of :meth:`_check_reader`.  :meth:`key` then keeps only ``("passed", closed)`` for
        it, which merges states that differ only in what a finished reader read.  Sound,
        whatever the strategy does, because:

        * the verdict cannot change any more: the check reads the reader's output, the
          mounts alive at its open, the unmounts between its open and its EOF (all fixed
          at EOF), and ``path_uid`` for the paths it printed, which keep their mounts in a
          scenario that never mounts on one path twice (``_summarise``, else no merging);
        * the future cannot differ: no other thread (nor the model kernel) ever looks at
          a reader's output or bookkeeping, and the one step the reader has left is
          ``close()``, i.e. ``mounts_release`` (``fs/proc_namespace.c``), which reads
          only ``p->ns`` and ``p->cursor`` — and where the cursor is, is in the key's list.

        A reader whose reading fails keeps its whole state in the key.  The check is
        memoised on what it reads, across the runs of one exploration (``memo``)."""
        if not self._summarise:
            return False
        k = (bytes(r.out), r.open_alive, tuple(self.removed[r.open_removed:r.eof_removed]), r.cursor_after_eof)
        ok = self.memo.get(k)
        if ok is None:
            ok = self.memo[k] = not self._check_reader(i, r)
        return ok

    # --- independence (for the explorer's sleep sets) ---------------------------------------

    def role(self, tid: int) -> str:
        """``reader``, ``churn`` or ``walker``: what thread ``tid`` runs (spawned in that order)."""
        n = len(self.readers)
        if tid < n:
            return "reader"
        return "churn" if self.sc.churn and tid == n else "walker"

    def independent(self, a: int, b: int) -> bool:
        """Do the next steps of threads ``a`` and ``b`` commute, at syscall granularity?

        Two steps commute when running them in either order from one state gives the
        same state and neither enables or disables the other.  Steps that only *read*
        the shared model (the list, the tree, the allocators, ``ns->event``, the churn's
        record of unmounts) and write only state of their own commute.  Here that is:

        * a reader's step when the strategy parks no cursor in the list (``index``,
          ``idtree-6.8``, ``idtree``: ``MountsOp.uses_cursor`` is false): ``open``, one
          ``read()`` or ``close`` writes only the reader's own ``seq_file``,
          ``proc_mounts`` and output; ``namespace_sem`` is taken and released inside
          the step, and ``m->lock`` and ``f_pos_lock`` belong to its own file;
        * a walker's step: it walks the list under ``namespace_sem`` for read and writes
          only its own results.

        So two readers of different files commute, and a reader and the walker do.  With
        a cursor strategy, a reader's ``m_stop`` moves its cursor in the list, which the
        other readers and the walker step over: that they skip it is part of what
        ``check`` verifies (a broken ``mnt_list_next`` shows another reader's cursor),
        so those steps are *not* declared independent, and neither are two threads of
        one file (they share its locks and position) nor anything with the churn thread,
        which changes the mounts.  The explorer checks the premise as it goes: after a
        step it treats as commuting, the shared part of the key must be unchanged
        (:meth:`shared_key`), or it stops with an error."""
        if a == b:
            return False
        ra, rb = self.role(a), self.role(b)
        if "churn" in (ra, rb):
            return False
        if self.cursors_in_list and "reader" in (ra, rb):
            return False
        return not (ra == rb == "reader" and self.sc.shared_file)

    def commutes(self, tid: int) -> bool:
        """Is thread ``tid``'s step independent of some other thread's (:meth:`independent`)?"""
        return any(self.independent(tid, u) for u in range(len(self.sched.threads)))

    @staticmethod
    def shared_key(key: tuple[object, ...]) -> tuple[object, ...]:
        """The part of a :meth:`key` no reader or walker step may change when the steps are
        declared independent: the list, the tree, the events, the allocators, the
        churn's progress and its record of unmounts."""
        return key[:8] + (key[9], key[11])

    # --- checks --------------------------------------------------------------------------

    def check_list(self) -> Optional[Violation]:
        try:
            list_check(self.ns.list, limit=10_000)
        except ListCorruption as e:
            return Violation("list-corrupt", str(e))
        return None

    def quiescent(self) -> bool:
        """No thread is between two pointer writes (so the list must be well formed)."""
        return all(t.done or t.pending[0] != "write" for t in self.sched.threads)

    def run(self, choose: Chooser) -> list[Violation]:
        """Run to the end under ``choose``; return the violations found."""
        install_checker(self.checker)
        out: list[Violation] = []
        if self.sched.granularity == "fine":
            def on_step(s: Scheduler, st: object) -> None:
                if not out and self.quiescent():
                    v = self.check_list()
                    if v is not None:
                        out.append(Violation(v.prop, f"after step {s.count - 1}: {v.message}"))

            self.sched.on_step = on_step
        try:
            self.sched.run(choose)
        except Deadlock as e:
            out.append(Violation("deadlock", str(e)))
        except StepLimit as e:
            out.append(Violation("livelock", str(e)))
        finally:
            install_checker(None)
        found = self.verdict()
        if out and any(v.prop == "list-corrupt" for v in found):
            found = [v for v in found if v.prop != "list-corrupt"]
        return out + found

    def verdict(self) -> list[Violation]:
        out: list[Violation] = []
        for t in self.sched.threads:
            e = t.error
            if e is None:
                continue
            if isinstance(e, ListCorruption):
                out.append(Violation("list-corrupt", f"{t.name}: {e}"))
            elif isinstance(e, Livelock):
                out.append(Violation("livelock", f"{t.name}: {e}"))
            elif isinstance(e, AssertionError) and "without a superblock" in str(e):
                out.append(Violation("malformed", f"{t.name}: a cursor was shown ({e})"))
            else:
                out.append(Violation("crash", f"{t.name}: {type(e).__name__}: {e}"))
        for v in self.checker.violations:
            out.append(Violation("lock-order", v))
        if any(isinstance(t.error, ListCorruption) for t in self.sched.threads):
            return out
        lv = self.check_list()
        if lv is not None:
            out.append(lv)
            return out
        if self.sc.shared_file:
            out += self._check_reader(-1, self._merged())
        else:
            for i, r in enumerate(self.readers):
                if not (r.eof and self._passed(i, r)):  # a passing reading, memoised, adds nothing
                    out += self._check_reader(i, r)
        if all(r.closed for r in self.readers) and self.ns.cursors():
            out.append(Violation("cursor-left", f"{len(self.ns.cursors())} cursor(s) left in the list"))
        out += self._check_walkers()
        return out

    def _merged(self) -> ReaderState:
        """The threads of a shared file as one reader: their reads in the order they ran (one
        output), and the reading ends at the first EOF any of them saw."""
        rs = self.readers
        eofs = [r.eof_removed for r in rs if r.eof]
        return ReaderState(rs[0].kind, rs[0].size, f=rs[0].f, out=rs[0].out, reads=sum(r.reads for r in rs),
                           eof=all(r.eof for r in rs), closed=all(r.closed for r in rs),
                           open_alive=rs[0].open_alive, open_removed=0,
                           eof_removed=min(eofs) if eofs else len(self.removed),
                           cursor_after_eof=any(r.cursor_after_eof for r in rs))

    def _check_reader(self, i: int, r: ReaderState) -> list[Violation]:
        who = "the threads" if i < 0 else f"reader{i + 1}" if len(self.readers) > 1 else "reader"
        out: list[Violation] = []
        if r.f is None:
            return out
        if not r.eof:
            out.append(Violation("livelock", f"{who}: no EOF after {r.reads} reads of {r.size} bytes"))
        if r.cursor_after_eof:
            out.append(Violation("cursor-left", f"{who}: its cursor is still in the list after EOF"))
        lines = bytes(r.out).split(b"\n")
        tail = lines.pop()
        if tail and r.eof:
            out.append(Violation("malformed", f"{who}: output ends inside a line: {tail[-40:]!r}"))
        seen: list[int] = []
        for n, line in enumerate(lines, 1):
            try:
                rec = parse_mountinfo_line(line, n, self.era)
            except FormatError as e:
                out.append(Violation("malformed", f"{who}: {e}"))
                continue
            uid = self.path_uid.get(rec.mount_point)
            if uid is None:
                out.append(Violation("malformed", f"{who}: line {n} names no known mount: {rec.mount_point!r}"))
                continue
            seen.append(uid)
        removed = set(self.removed[r.open_removed:r.eof_removed])
        present = r.open_alive - removed
        counts = Counter(seen)
        names = {u: p for p, u in self.path_uid.items()}
        missed = sorted(present - set(counts))
        if missed and r.eof:  # a reader cut off for livelock has not missed anything yet
            out.append(Violation("missed", f"{who}: " + ", ".join(_n(names, u) for u in missed) + " never shown"))
        twice = sorted(u for u, c in counts.items() if c > 1)
        if twice:
            out.append(Violation("twice", f"{who}: " + ", ".join(f"{_n(names, u)} x{counts[u]}" for u in twice)))
        order = [u for u in seen if u in present]
        if any(a >= b for a, b in zip(order, order[1:])) and not twice:
            out.append(Violation("order", f"{who}: out of order: " + " ".join(_n(names, u) for u in order)))
        return out

    def _check_walkers(self) -> list[Violation]:
        out: list[Violation] = []
        for op, res in self.walk_results:
            if op.kind == "walk-local" and op.path in self.path_uid and self.path_uid[op.path] not in self.removed:
                if res is not True:
                    out.append(Violation("walker", f"is_local_mountpoint({op.path!r}) = {res}, it is mounted"))
            if op.kind == "walk-sync":
                assert isinstance(res, list), res
                if len(res) != len(set(res)):
                    out.append(Violation("walker", "sync_collect_filesystems returned a superblock twice"))
        return out


def _new_lock(kind: str) -> object:
    return threading.RLock() if kind == "rlock" else threading.Lock()


def _set_mount(m: Mount, state: tuple[object, ...]) -> None:
    for name, value in zip(Mount.__slots__, state):
        object.__setattr__(m, name, value)


_LOCK, _RLOCK = type(threading.Lock()), type(threading.RLock())
#: how freeze_initial pickles what plain pickling cannot (locks) or does slowly (a mount)
_FREEZE: dict[type, object] = {
    _LOCK: lambda lk: (_new_lock, ("lock",)),
    _RLOCK: lambda lk: (_new_lock, ("rlock",)),
    threading.Condition: lambda c: (threading.Condition, ()),
    Mount: lambda m: (Mount.__new__, (Mount,), tuple(getattr(m, n) for n in Mount.__slots__), None, None,
                      _set_mount),
}


def _ident(m: Optional[Mount]) -> object:
    return None if m is None else (m.slot, m.mnt_id_unique, m.freed)


def _n(names: dict[int, bytes], uid: int) -> str:
    return names.get(uid, str(uid).encode()).decode(errors="replace")
