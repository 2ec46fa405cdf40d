"""``mountcursor check``: the verdict matrix, every strategy × semantics over a scope.

For each cell every scenario of the scope is explored (exhaustively, with the
reduction of :mod:`.explorer`); a cell *holds* if no scenario violates any
property.  For each violated property the first failing scenario is shrunk
(:func:`.explorer.shrink`) and kept as a replayable :class:`.trace.Trace`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from .explorer import Explorer, Result, shrink
from .scenarios import Scenario
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


def check_cell(strategy: str, semantics: str, scope: list[Scenario], granularity: str = "syscall",
               ns_lock: bool = True, slab_reuse: bool = True, shrink_traces: bool = True,
               random_runs: int = 0, seed: int = 1, faithful_sync: bool = False,
               progress: Optional[Callable[[Scenario], None]] = None) -> Cell:
    """Explore every scenario of ``scope`` for one strategy on one semantics."""
    ex = Explorer(strategy, semantics, granularity, ns_lock, slab_reuse,
                  preemptions=2 if granularity == "fine" else None, faithful_sync=faithful_sync)
    semantics = ex.semantics  # an alias ("modern") named after its kernel ("5.10+")
    cell = Cell(strategy, semantics)
    t0 = time.perf_counter()
    shortest: dict[str, tuple[Scenario, Result]] = {}  # property -> failing run with the shortest path
    for sc in scope:
        if progress is not None:
            progress(sc)
        r: Result = ex.random(sc, random_runs, seed) if random_runs else ex.explore(sc)
        cell.schedules += r.schedules + r.pruned
        cell.states += r.states
        cell.exhausted &= r.exhausted or bool(r.violations)
        for p in r.violated:
            cell.failing_scenarios.setdefault(p, []).append(sc.label())
            if p not in shortest or len(r.path or []) < len(shortest[p][1].path or []):
                shortest[p] = (sc, r)
    for p, (sc, r) in sorted(shortest.items()):
        if p in cell.failures:
            continue  # already covered by another property's shrunk trace
        sc2, r2 = shrink(ex, sc, r) if shrink_traces and not random_runs else (sc, r)
        if p not in r2.violated:
            sc2, r2 = sc, r
        assert r2.path is not None
        cell.failures[p] = Trace(sc2, strategy, semantics, granularity, ns_lock, slab_reuse, r2.path,
                                 r2.violations, faithful_sync)
    cell.elapsed = time.perf_counter() - t0
    return cell


def _cell_job(args: tuple[str, str, list[Scenario], dict[str, object]]) -> Cell:
    s, sem, scope, opts = args
    return check_cell(s, sem, scope, **opts)  # type: ignore[arg-type]


def check_cells(pairs: list[tuple[str, str]], scope: list[Scenario], jobs: int = 1,
                on_done: Optional[Callable[[Cell], None]] = None, **opts: object) -> list[Cell]:
    """:func:`check_cell` for every (strategy, semantics) pair, in ``jobs`` processes; the
    cells come back in the order of ``pairs``."""
    work = [(s, sem, scope, opts) for s, sem in pairs]
    if jobs <= 1 or len(work) <= 1:
        out = []
        for w in work:
            out.append(_cell_job(w))
            if on_done is not None:
                on_done(out[-1])
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: dict[int, Cell] = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        futs = {pool.submit(_cell_job, w): i for i, w in enumerate(work)}
        for f in as_completed(futs):
            results[futs[f]] = f.result()
            if on_done is not None:
                on_done(results[futs[f]])
    return [results[i] for i in range(len(work))]
