"""A deterministic scheduler for model threads: greenlets that pass control at every step.

Model threads are ordinary Python callables.  Each runs in its own greenlet;
whenever the model announces an atomic step (:func:`mountcursor.kernel.hooks.step`)
the running greenlet switches back to the scheduler, which picks the next
thread with a *chooser* — a function of the enabled threads.  The same
choices give the same run, step for step.

Why greenlets: a switch costs about a microsecond and everything runs in one
OS thread, so the model needs no real locking while it is explored, runs are
exactly reproducible, and a thread can be stopped in the middle of a
``list_move_tail`` to let another one write.  Threads passing a baton through
OS semaphores would give the same semantics at ~20x the cost per step and with
the GIL's timing in the way.

Granularities: ``syscall`` (threads switch only at syscall boundaries, and inside one
``read()`` or ``lseek()`` where the C drops the iterator's lock between a ``->stop``
and the next ``->start``: a whole ``umount()`` and every ``start..stop`` cycle is atomic) and ``fine`` (also at every lock
operation and every list pointer write).

Blocking: a thread that waits for a lock (``block_until``) is disabled until its
predicate holds; if no thread is enabled and some are unfinished, the run ends
in a deadlock.  A run that exceeds ``max_steps`` is cut off (livelock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import greenlet

from ..kernel import hooks

Granularity = str  # "syscall" | "fine"
GRANULARITIES = ("syscall", "fine")
# "relock": inside one read()/lseek(), between a ->stop and the next ->start (the C drops
# namespace_sem there); in fine granularity the lock steps themselves already mark it
#: picks the thread to run next: ``choose(enabled tids, scheduler)`` returns one of them
Chooser = Callable[[list[int], "Scheduler"], int]

_KINDS = {"syscall": frozenset({"syscall", "relock"}), "fine": frozenset({"syscall", "lock", "write"})}


class Deadlock(Exception):
    """No thread can run, and some have not finished."""


class StepLimit(Exception):
    """The run took more than ``max_steps`` steps."""


@dataclass
class Step:
    """One scheduling decision: ``thread`` ran from this point until its next step."""

    index: int
    thread: int
    kind: str
    detail: str
    enabled: tuple[int, ...]


@dataclass
class _Thread:
    tid: int
    name: str
    fn: Callable[[], None]
    glet: Optional[greenlet.greenlet] = None
    done: bool = False
    blocked: Optional[Callable[[], bool]] = None
    blocked_on: str = ""
    pending: tuple[str, str] = ("start", "")
    error: Optional[BaseException] = None
    cut_off: bool = False  # stopped by run()'s cleanup (a deadlock or the step limit)


@dataclass
class Scheduler:
    """Runs a set of model threads under a chooser; see :meth:`run`."""

    granularity: Granularity = "syscall"
    max_steps: int = 200_000
    threads: list[_Thread] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    record: bool = True  # keep every Step in ``steps`` (a replay that prints them as it goes need not)
    count: int = 0  # steps run
    _current: int = -1
    _main: Optional[greenlet.greenlet] = None
    on_step: Optional[Callable[["Scheduler", Step], None]] = None

    def spawn(self, name: str, fn: Callable[[], None]) -> int:
        t = _Thread(len(self.threads), name, fn)
        self.threads.append(t)
        return t.tid

    # --- hooks.Scheduler ---------------------------------------------------------------

    def step(self, kind: str, detail: str) -> None:
        t = self.threads[self._current]
        t.pending = (kind, detail)
        assert self._main is not None
        self._main.switch()

    def block_until(self, ready: Callable[[], bool], why: str) -> None:
        t = self.threads[self._current]
        t.blocked = ready
        t.blocked_on = why
        t.pending = ("blocked", why)
        assert self._main is not None
        self._main.switch()
        t.blocked = None
        t.blocked_on = ""

    def current(self) -> int:
        return self._current

    # --- running -----------------------------------------------------------------------

    def enabled(self) -> list[int]:
        return [t.tid for t in self.threads if not t.done and (t.blocked is None or t.blocked())]

    def _body(self, t: _Thread) -> Callable[[], None]:
        def body() -> None:
            try:
                t.fn()
            except greenlet.GreenletExit:  # thrown in by run() when the run ends early: not the thread's error
                t.cut_off = True
            except BaseException as e:  # noqa: BLE001 - reported as a violation by the caller
                t.error = e
            t.done = True

        return body

    def run(self, choose: Chooser) -> None:
        """Run every thread to the end.  ``choose(enabled, self)`` returns the tid to run next.

        Raises :class:`Deadlock` or :class:`StepLimit`; a thread's own exception is kept in
        its ``error`` (and ends that thread).  The threads still running when the run ends
        early are stopped (``GreenletExit``) and marked ``cut_off``, with no ``error``.
        """
        hooks.install(self, _KINDS[self.granularity])
        self._main = greenlet.getcurrent()
        try:
            for t in self.threads:
                t.glet = greenlet.greenlet(self._body(t))
            # run every thread up to its first step: what a thread does before its first
            # syscall touches nothing shared, so it is not a scheduling decision
            for t in self.threads:
                self._current = t.tid
                assert t.glet is not None
                t.glet.switch()
                self._current = -1
            while True:
                live = [t for t in self.threads if not t.done]
                if not live:
                    return
                en = self.enabled()
                if not en:
                    raise Deadlock("; ".join(f"{t.name} waits for {t.blocked_on}" for t in live))
                if self.count >= self.max_steps:
                    raise StepLimit(f"more than {self.max_steps} steps")
                tid = choose(en, self)
                t = self.threads[tid]
                st = Step(self.count, tid, t.pending[0], t.pending[1], tuple(en))
                self.count += 1
                if self.record:
                    self.steps.append(st)
                self._current = tid
                assert t.glet is not None
                t.glet.switch()
                self._current = -1
                if self.on_step is not None:
                    self.on_step(self, st)
        finally:
            hooks.install(None)
            for t in self.threads:
                if t.glet is not None and not t.glet.dead:
                    t.glet.throw(greenlet.GreenletExit)
