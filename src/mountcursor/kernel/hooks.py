"""Interposition points for a scheduler (the verifier's), costing one ``is None`` test when unused.

The model announces its atomic steps here: every lock operation
(:mod:`.locks`), every list pointer write (:mod:`.list`) and every syscall
boundary (:mod:`.procfs`, :mod:`.namespace`).  With no scheduler installed
(``active is None``) the model is plain Python and works with real
:mod:`threading` threads.  A scheduler installed with :func:`install` decides,
at each step, which model thread runs next; it also provides cooperative
blocking for the locks, and the identity of the running model thread.

This mirrors the split in tokio-rs/loom: primitives call the runtime at each
branch point; the runtime knows nothing about what it schedules.
"""

from __future__ import annotations

import threading
from typing import Callable, Protocol


class Scheduler(Protocol):
    """What the model needs from a scheduler."""

    def step(self, kind: str, detail: str) -> None:
        """An atomic step is about to happen; the scheduler may switch threads."""

    def block_until(self, ready: Callable[[], bool], why: str) -> None:
        """Wait (cooperatively) until ``ready()`` is true; deadlock if it never is."""

    def current(self) -> int:
        """Identity of the running model thread."""


#: The installed scheduler, or None (plain Python / real threads).
active: Scheduler | None = None

#: What kinds of step the scheduler wants to hear about; ``step()`` is only
#: called for kinds in this set (the "syscall" granularity hears only syscalls).
kinds: frozenset[str] = frozenset()


def install(scheduler: Scheduler | None, step_kinds: frozenset[str] = frozenset()) -> None:
    """Install (or, with None, remove) the scheduler for the whole model."""
    global active, kinds
    active = scheduler
    kinds = step_kinds if scheduler is not None else frozenset()


def step(kind: str, detail: str) -> None:
    """Announce an atomic step of ``kind`` (e.g. ``"lock"``, ``"write"``, ``"syscall"``)."""
    s = active
    if s is not None and kind in kinds:
        s.step(kind, detail)


def current_thread() -> int:
    """The running model thread: the scheduler's notion when installed, else the OS thread."""
    s = active
    if s is not None:
        return s.current()
    return threading.get_ident()
