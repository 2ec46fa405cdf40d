"""``namespace_sem`` (an rwsem), ``ns_lock`` (a spinlock), ``seq_file->lock`` (a mutex); a lock checker.

Kernel: ``fs/namespace.c`` declares ``static DECLARE_RWSEM(namespace_sem)``
(global); the cursor patch (9f6c61f96f2d, v5.8, and the seed's RHEL7
backport) adds ``spinlock_t ns_lock`` to ``struct mnt_namespace``:

    Traversal and modification of .list is protected by either
    - taking namespace_sem for write, OR
    - taking namespace_sem for read AND taking .ns_lock.

Both locks work with real :mod:`threading` threads (blocking on a
:class:`threading.Condition`) and, when the verifier's scheduler is installed
(:mod:`.hooks`), cooperatively: every acquire and release is a ``"lock"`` step
and waiting is ``hooks.active.block_until``.

:class:`LockChecker` is a small lockdep: it records the order in which
lock classes are taken, reports an inversion, reports a sleeping lock taken
while a spinlock is held ("ns_lock never held across a sleep"), and a release
by a thread that does not hold the lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from . import hooks


class LockError(RuntimeError):
    """A locking rule was broken (recorded by the checker, raised when strict)."""


@dataclass
class LockChecker:
    """Lock-order and sleep-under-spinlock checker (lockdep-like).

    ``held`` maps a model thread to the lock classes it holds, in order.
    ``order`` holds every (outer, inner) pair seen.  Violations are appended to
    ``violations``; with ``strict=True`` they are raised as :class:`LockError`.
    """

    strict: bool = False
    held: dict[int, list[str]] = field(default_factory=dict)
    order: set[tuple[str, str]] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)

    def _report(self, what: str) -> None:
        self.violations.append(what)
        if self.strict:
            raise LockError(what)

    def acquiring(self, name: str, sleeps: bool) -> None:
        stack = self.held.setdefault(hooks.current_thread(), [])
        if sleeps:
            spins = [s for s in stack if s.endswith("ns_lock")]
            if spins:
                self._report(f"sleeping lock {name} taken while holding spinlock {spins[-1]}")
        for outer in stack:
            if outer == name:
                self._report(f"recursive acquire of {name}")
            elif (name, outer) in self.order:
                self._report(f"lock order inversion: {outer} -> {name}, but {name} -> {outer} seen before")
            else:
                self.order.add((outer, name))

    def acquired(self, name: str) -> None:
        self.held.setdefault(hooks.current_thread(), []).append(name)

    def released(self, name: str) -> None:
        stack = self.held.get(hooks.current_thread(), [])
        if name not in stack:
            self._report(f"release of {name} by a thread that does not hold it")
            return
        # remove the innermost occurrence
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] == name:
                del stack[i]
                break

    def held_by_anyone(self) -> list[tuple[int, str]]:
        return [(t, n) for t, names in self.held.items() for n in names]


#: The installed checker, or None (no checking: zero cost).
checker: LockChecker | None = None


def install_checker(c: LockChecker | None) -> None:
    global checker
    checker = c


class RwSemaphore:
    """``struct rw_semaphore``: ``down_read``/``up_read``/``down_write``/``up_write``.

    Writers are preferred once waiting (new readers queue behind a waiting
    writer), as the kernel's rwsem does to avoid writer starvation.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.readers = 0
        self.writer: int | None = None
        self.writers_waiting = 0
        self._cond = threading.Condition()

    def _can_read(self) -> bool:
        return self.writer is None and self.writers_waiting == 0

    def _can_write(self) -> bool:
        return self.writer is None and self.readers == 0

    def down_read(self) -> None:
        if checker is not None:
            checker.acquiring(self.name, sleeps=True)
        sched = hooks.active
        if sched is not None:
            hooks.step("lock", f"down_read({self.name})")
            if not self._can_read():
                sched.block_until(self._can_read, f"down_read({self.name})")
            self.readers += 1
        else:
            with self._cond:
                while not self._can_read():
                    self._cond.wait()
                self.readers += 1
        if checker is not None:
            checker.acquired(self.name)

    def up_read(self) -> None:
        if hooks.active is not None:
            hooks.step("lock", f"up_read({self.name})")
            self.readers -= 1
        else:
            with self._cond:
                self.readers -= 1
                self._cond.notify_all()
        if checker is not None:
            checker.released(self.name)

    def down_write(self) -> None:
        if checker is not None:
            checker.acquiring(self.name, sleeps=True)
        me = hooks.current_thread()
        sched = hooks.active
        if sched is not None:
            hooks.step("lock", f"down_write({self.name})")
            if not self._can_write():
                self.writers_waiting += 1
                sched.block_until(self._can_write, f"down_write({self.name})")
                self.writers_waiting -= 1
            self.writer = me
        else:
            with self._cond:
                self.writers_waiting += 1
                while not self._can_write():
                    self._cond.wait()
                self.writers_waiting -= 1
                self.writer = me
        if checker is not None:
            checker.acquired(self.name)

    def up_write(self) -> None:
        if hooks.active is not None:
            hooks.step("lock", f"up_write({self.name})")
            self.writer = None
        else:
            with self._cond:
                self.writer = None
                self._cond.notify_all()
        if checker is not None:
            checker.released(self.name)

    def held_for_write(self) -> bool:
        return self.writer is not None


class SpinLock:
    """``spinlock_t``: ``spin_lock``/``spin_unlock``.  Must never be held across a sleep.

    ``enabled=False`` turns the lock into a no-op, which is how the verifier's
    ``--no-ns-lock`` runs the model with the spinlock removed.
    """

    def __init__(self, name: str, enabled: bool = True) -> None:
        self.name = name
        self.enabled = enabled
        self.owner: int | None = None
        self._lock = threading.Lock()

    def _free(self) -> bool:
        return self.owner is None

    def spin_lock(self) -> None:
        if not self.enabled:
            return
        if checker is not None:
            checker.acquiring(self.name, sleeps=False)
        me = hooks.current_thread()
        sched = hooks.active
        if sched is not None:
            hooks.step("lock", f"spin_lock({self.name})")
            if self.owner is not None:
                sched.block_until(self._free, f"spin_lock({self.name})")
        else:
            self._lock.acquire()
        self.owner = me
        if checker is not None:
            checker.acquired(self.name)

    def spin_unlock(self) -> None:
        if not self.enabled:
            return
        if hooks.active is not None:
            hooks.step("lock", f"spin_unlock({self.name})")
            self.owner = None
        else:
            self.owner = None
            self._lock.release()
        if checker is not None:
            checker.released(self.name)


class Mutex:
    """``struct mutex``: ``mutex_lock``/``mutex_unlock`` (a sleeping lock with one owner).

    The model uses it for ``seq_file->lock``, which serializes ``read``, ``pread``
    and ``lseek`` of one open file (``fs/seq_file.c``, every version).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.owner: int | None = None
        self._cond = threading.Condition()

    def _free(self) -> bool:
        return self.owner is None

    def mutex_lock(self) -> None:
        if checker is not None:
            checker.acquiring(self.name, sleeps=True)
        me = hooks.current_thread()
        sched = hooks.active
        if sched is not None:
            hooks.step("lock", f"mutex_lock({self.name})")
            if self.owner is not None:
                sched.block_until(self._free, f"mutex_lock({self.name})")
        else:
            with self._cond:
                while self.owner is not None:
                    self._cond.wait()
        self.owner = me
        if checker is not None:
            checker.acquired(self.name)

    def mutex_unlock(self) -> None:
        if hooks.active is not None:
            hooks.step("lock", f"mutex_unlock({self.name})")
            self.owner = None
        else:
            with self._cond:
                self.owner = None
                self._cond.notify_all()
        if checker is not None:
            checker.released(self.name)
