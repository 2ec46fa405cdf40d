"""Progress of the long commands (``race``, ``check``, ``diff-kernel``) on stderr, never stdout.

When stderr is a terminal a transient rich progress bar shows the current phase; otherwise
(a log, a pipe, a test) a quiet line per phase is written, only once the run has lasted
:data:`QUIET_FOR` seconds (quick runs print nothing at all) and at most one a second::

    mountcursor race: [3/14] cursor-vz / legacy (12 s)

stdout stays clean for ``--json``.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

QUIET_FOR = 1.5
"""Seconds a run may last before the line-per-phase mode starts writing."""
LINE_EVERY = 1.0
"""Seconds between two lines of the line-per-phase mode (phases in between are not shown)."""


class PhaseProgress:
    """``with PhaseProgress("race", total=14) as p: p.phase("cursor / modern"); ...; p.advance()``."""

    def __init__(self, command: str, total: int, *, tty: bool | None = None) -> None:
        self.command = command
        self.total = total
        self.done = 0
        self.text = ""
        self._t0 = time.perf_counter()
        self._last_line = 0.0
        err = Console(stderr=True)
        self._tty = err.is_terminal if tty is None else tty
        self._bar: Progress | None = None
        if self._tty:
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                                 console=err, transient=True)
            self._task = self._bar.add_task(command, total=total)

    def __enter__(self) -> PhaseProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def phase(self, text: str) -> None:
        """A new phase starts (a row, a cell, a script, a step of a long row)."""
        self.text = text
        if self._bar is not None:
            self._bar.update(self._task, description=text)
            return
        elapsed = time.perf_counter() - self._t0
        if elapsed >= QUIET_FOR and elapsed - self._last_line >= LINE_EVERY:
            self._last_line = elapsed
            sys.stderr.write(f"mountcursor {self.command}: [{self.done}/{self.total}] {text} ({elapsed:.0f} s)\n")
            sys.stderr.flush()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.advance(self._task, n)
