"""``mountcursor check``: the verdict matrix, every strategy × semantics over a scope.

For each cell every scenario of the scope is explored (exhaustively, with the
reduction of :mod:`.explorer`); a cell *holds* if no scenario violates any
property.  For each violated property the first failing scenario is shrunk
(:func:`.explorer.shrink`) and kept as a replayable :class:`.trace.Trace`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from ..kernel.seqfile import semantics_of
from .explorer import Explorer, Result, shrink
from .scenarios import PAGE_RECORD, Scenario
from .trace import Trace


@dataclass
class Cell:
    strategy: str
    semantics: str
    schedules: int = 0
    states: int = 0
    elapsed: float = 0.0
    exhausted: bool = True
    failures: dict[str, Trace] = field(default_factory=dict)  # property -> shortest trace
    failing_scenarios: dict[str, list[str]] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return not self.failures

    @property
    def violated(self) -> list[str]:
        return sorted(self.failures)

    @property
    def trace_len(self) -> Optional[int]:
        return min((len(t.path) for t in self.failures.values()), default=None)

    def as_json(self) -> dict[str, object]:
        return {"strategy": self.strategy, "semantics": self.semantics, "holds": self.holds,
                "violated": self.violated, "trace_len": self.trace_len, "schedules": self.schedules,
                "states": self.states, "elapsed_s": round(self.elapsed, 3), "exhausted": self.exhausted,
                "failing_scenarios": self.failing_scenarios}


@dataclass(frozen=True)
class CheckOptions:
    """How every cell is explored (the ``mountcursor check`` options)."""

    granularity: str = "syscall"
    ns_lock: bool = True
    slab_reuse: bool = True
    shrink_traces: bool = True
    random_runs: int = 0
    seed: int = 1
    faithful_sync: bool = False
    reduce: bool = True  # sleep sets and finished-reader merging (explorer docstring); False: for comparison

    def explorer(self, strategy: str, semantics: str) -> Explorer:
        return Explorer(strategy, semantics, self.granularity, self.ns_lock, self.slab_reuse,
                        preemptions=2 if self.granularity == "fine" else None, faithful_sync=self.faithful_sync,
                        sleep_sets=self.reduce, summaries=self.reduce)


def explore_one(strategy: str, semantics: str, sc: Scenario, o: CheckOptions) -> Result:
    """One unit of work: one scenario for one cell (exhaustive, or ``random_runs`` schedules)."""
    ex = o.explorer(strategy, semantics)
    return ex.random(sc, o.random_runs, o.seed) if o.random_runs else ex.explore(sc)


def assemble(strategy: str, semantics: str, results: list[Result]) -> tuple[Cell, dict[str, Result]]:
    """The cell from its scenarios' results (in scope order), and for each violated property
    the failing run with the shortest schedule (the first one of that length in scope order)."""
    cell = Cell(strategy, semantics)
    shortest: dict[str, Result] = {}
    for r in results:
        cell.schedules += r.schedules + r.pruned
        cell.states += r.states
        cell.elapsed += r.elapsed
        cell.exhausted &= r.exhausted or bool(r.violations)
        for p in r.violated:
            cell.failing_scenarios.setdefault(p, []).append(r.scenario.label())
            if p not in shortest or len(r.path or []) < len(shortest[p].path or []):
                shortest[p] = r
    return cell, shortest


def make_trace(strategy: str, semantics: str, r: Result, prop: str, o: CheckOptions) -> Trace:
    """The replayable trace for ``prop``: ``r`` shrunk (:func:`.explorer.shrink`) when asked,
    kept as it is when shrinking loses the property."""
    ex = o.explorer(strategy, semantics)
    sc2, r2 = shrink(ex, r.scenario, r) if o.shrink_traces and not o.random_runs else (r.scenario, r)
    if prop not in r2.violated:
        sc2, r2 = r.scenario, r
    assert r2.path is not None
    return Trace(sc2, strategy, semantics, o.granularity, o.ns_lock, o.slab_reuse, r2.path, r2.violations,
                 o.faithful_sync)


def check_cell(strategy: str, semantics: str, scope: list[Scenario], granularity: str = "syscall",
               ns_lock: bool = True, slab_reuse: bool = True, shrink_traces: bool = True,
               random_runs: int = 0, seed: int = 1, faithful_sync: bool = False, reduce: bool = True) -> Cell:
    """Explore every scenario of ``scope`` for one strategy on one semantics, in this process."""
    o = CheckOptions(granularity=granularity, ns_lock=ns_lock, slab_reuse=slab_reuse, shrink_traces=shrink_traces,
                     random_runs=random_runs, seed=seed, faithful_sync=faithful_sync, reduce=reduce)
    return check_cells([(strategy, semantics)], scope, options=o)[0]


# --- many cells, in processes ---------------------------------------------------------------

def scenario_cost(sc: Scenario) -> float:
    """A rough guess of how long exploring ``sc`` takes, to start the longest units first.

    The states are about the product over threads of (steps + 1): a reader takes one step
    per read plus open and close (readers sharing one file read one table between them),
    churn and walker one per operation.  Each run renders the table once per reader."""
    table = sum(PAGE_RECORD if m.length == "page" else 100 for m in sc.mounts) + 60
    states = 1.0
    for _, size in sc.readers[:1] if sc.shared_file else sc.readers:  # one file: one table between them
        states *= table / (size or 1024) + 3
    for ops in (sc.churn, sc.walker):
        states *= len(ops) + 1
    return states * table * len(sc.readers)


@dataclass(frozen=True)
class UnitTime:
    """Where and when one (cell, scenario) unit ran: the process, its start and end on the
    machine-wide monotonic clock (``time.perf_counter``), and the CPU time it took in
    that process (``time.process_time``: user + system)."""

    cell: int
    scenario: int
    worker: int
    start: float
    end: float
    cpu: float


def _timed_explore(pairs: Sequence[tuple[str, str]], scope: list[Scenario], o: CheckOptions,
                   i: int, j: int) -> tuple[Result, UnitTime]:
    s, sem = pairs[i]
    t0, c0 = time.perf_counter(), time.process_time()
    r = explore_one(s, sem, scope[j], o)
    return r, UnitTime(i, j, os.getpid(), t0, time.perf_counter(), time.process_time() - c0)


@dataclass(frozen=True)
class _Job:
    """What a worker process needs: set in the parent before the pool forks."""

    pairs: Sequence[tuple[str, str]]
    scope: list[Scenario]
    opts: CheckOptions


_JOB: Optional[_Job] = None


def _job() -> _Job:
    assert _JOB is not None, "a check_cells worker outside check_cells"
    return _JOB


def _explore_job(unit: tuple[int, int]) -> tuple[int, int, Result, UnitTime]:
    i, j = unit
    job = _job()
    r, t = _timed_explore(job.pairs, job.scope, job.opts, i, j)
    return i, j, r, t


def _timed_trace(strategy: str, semantics: str, r: Result, prop: str, o: CheckOptions) -> tuple[float, Trace]:
    t0 = time.perf_counter()
    t = make_trace(strategy, semantics, r, prop, o)
    return time.perf_counter() - t0, t


def _trace_job(unit: tuple[int, str, Result]) -> tuple[int, str, float, Trace]:
    job = _job()
    i, prop, r = unit
    s, sem = job.pairs[i]
    return (i, prop) + _timed_trace(s, sem, r, prop, job.opts)


def check_cells(pairs: Sequence[tuple[str, str]], scope: list[Scenario], jobs: int = 1,
                on_progress: Optional[Callable[[int, int], None]] = None,
                timings: Optional[list[UnitTime]] = None, options: CheckOptions = CheckOptions()) -> list[Cell]:
    """:func:`check_cell` for every (strategy, semantics) pair; the cells come back in the
    order of ``pairs``, the same as :func:`check_cell` gives one by one.

    With ``jobs`` > 1 the work is a queue of units, one per cell and scenario, handed out
    longest first (:func:`scenario_cost`) one at a time to ``jobs`` forked processes, then
    one unit per counterexample to shrink.  Cells differ in cost by two orders of
    magnitude and within a cell one scenario can be most of the time, so whole cells as
    units would leave a process idle at the end.  ``on_progress(done, total)`` is called
    after each unit; ``timings``, if given, gets a :class:`UnitTime` for each unit in the
    order they finished (what ``benchmarks/verifier.py`` accounts the processes' time with).
    ``options``: how every cell is explored."""
    global _JOB
    o = options
    pairs = [(s, semantics_of(sem)) for s, sem in pairs]  # "modern" is named "5.10+" in the cells
    total = len(pairs) * len(scope)
    cells: list[Cell] = []
    if jobs <= 1:
        for s, sem in pairs:
            results: list[Result] = []
            for j in range(len(scope)):
                r, ut = _timed_explore(pairs, scope, o, len(cells), j)
                results.append(r)
                if timings is not None:
                    timings.append(ut)
                if on_progress is not None:
                    on_progress(len(cells) * len(scope) + len(results), total)
            cell, shortest = assemble(s, sem, results)
            for p, r in sorted(shortest.items()):
                took, cell.failures[p] = _timed_trace(s, sem, r, p, o)
                cell.elapsed += took
            cells.append(cell)
        return cells
    import multiprocessing

    _JOB = _Job(pairs, scope, o)
    units = sorted(((i, j) for i in range(len(pairs)) for j in range(len(scope))),
                   key=lambda u: -scenario_cost(scope[u[1]]))
    explored: dict[tuple[int, int], Result] = {}
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = 0
            for i, j, r, ut in pool.imap_unordered(_explore_job, units, chunksize=1):
                explored[i, j] = r
                if timings is not None:
                    timings.append(ut)
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
            shrinks: list[tuple[int, str, Result]] = []
            for i, (s, sem) in enumerate(pairs):
                cell, shortest = assemble(s, sem, [explored[i, j] for j in range(len(scope))])
                cells.append(cell)
                shrinks += [(i, p, r) for p, r in sorted(shortest.items())]
            traces: dict[tuple[int, str], Trace] = {}
            for i, p, took, trace in pool.imap_unordered(_trace_job, shrinks, chunksize=1):
                traces[i, p] = trace
                cells[i].elapsed += took
    finally:
        _JOB = None
    for i, p, _ in shrinks:  # in property order, as check_cell adds them
        cells[i].failures[p] = traces[i, p]
    return cells
