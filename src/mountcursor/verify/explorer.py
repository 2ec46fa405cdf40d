"""Exploring schedules: exhaustive DFS with state hashing, a preemption bound, and seeded random.

Exhaustive mode is stateless model checking (re-execution): a *path* is the
list of thread ids chosen at each step, printable, saveable and replayable.
A run follows a prefix of choices, then keeps choosing the first enabled
thread, and pushes every untried sibling choice as a new prefix to explore.

Reduction (``syscall`` granularity): at each step the model's full state is
hashed (:meth:`World.key` — list and tree, allocators, every seq_file and
proc_mounts field, what each reader has read, each thread's position).  A
state seen before has had its whole future explored already (depth-first
order finishes a subtree before leaving it, and runs are finite), so the run
stops there.  That keeps the search exhaustive: two schedules reaching the
same state have the same futures and the same verdicts.  Three reductions
make states equal that would otherwise differ, or skip steps, each without
changing what is found:

* symmetry: with identical readers the key is taken up to a permutation of
  them (:meth:`World._canonical`): a state whose mirror image was explored is
  pruned too;
* finished readers: a reader at EOF whose reading passes every check is keyed
  as just "passed" (:meth:`World._passed`), so the futures after it finished
  are explored once, not once for every way it could have read;
* sleep sets (Godefroid 1996): when two threads' steps commute
  (:meth:`World.independent`: readers and walkers of a strategy that parks no
  cursor in the list), running them in the other order reaches the same state,
  so after exploring one of them first the other order is not tried again.
  With state caching each state keeps the sleep set it was explored with
  (:meth:`Explorer._visit`).  The premise is checked as the search goes: a step
  treated as commuting must leave the shared part of the key unchanged.

Children of a state are tried in the same order as without the reductions (the
thread that ran last, then the others from the last), and every state or step
left out has an equivalent, already explored, one whose future holds the same
violations; so the first counterexample found, and its path, are the same
(``tests/verify/test_explorer.py`` compares them with the unreduced search).
(States are kept as 64-bit hashes of the key; a collision, about 1 in 10^10
at 10^5 states, would prune a state wrongly.)  In ``fine`` granularity a thread's Python locals
between two pointer writes are not part of the key, so hashing is off and a
preemption bound (CHESS-style: at most ``preemptions`` switches away from a
thread that could have continued; ``check`` uses 2) keeps the search small
instead; every schedule within the bound is explored.

Random mode draws ``runs`` schedules from a seed (each step picks uniformly
among enabled threads, a simple PCT-like sampler).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Optional

from ..kernel.seqfile import semantics_of
from .scenarios import Scenario
from .scheduler import Scheduler
from .world import Violation, World


class _Prune(Exception):
    pass


@dataclass
class Result:
    """What an exploration found for one scenario × strategy × semantics."""

    scenario: Scenario
    strategy: str
    semantics: str
    granularity: str
    ns_lock: bool
    schedules: int = 0  # runs that reached the end of the scenario
    pruned: int = 0  # runs cut at an already explored state
    states: int = 0  # distinct states seen (syscall granularity)
    elapsed: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    path: Optional[list[int]] = None  # the schedule of the first violation
    exhausted: bool = True

    @property
    def holds(self) -> bool:
        return not self.violations

    @property
    def violated(self) -> list[str]:
        return sorted({v.prop for v in self.violations})


@dataclass
class Explorer:
    """Explore one scenario for one strategy/semantics; see the module docstring."""

    strategy: str
    semantics: str
    granularity: str = "syscall"
    ns_lock: bool = True
    slab_reuse: bool = True
    preemptions: Optional[int] = None  # None: unbounded
    faithful_sync: bool = False
    max_runs: int = 200_000
    stop_at_first: bool = True
    hashing: Optional[bool] = None  # None: on in syscall granularity, off in fine
    symmetry: bool = True  # hash states up to a permutation of identical readers (World._canonical)
    sleep_sets: bool = True  # skip orders of commuting steps (World.independent); with hashing only
    summaries: bool = True  # merge states that differ only in what a finished, passing reader read (World._passed)

    def __post_init__(self) -> None:
        self.semantics = semantics_of(self.semantics)  # "legacy"/"modern" -> "3.10"/"5.10+"

    def world(self, sc: Scenario, memo: Optional[dict[object, bool]] = None, initial: Optional[bytes] = None) -> World:
        return World(sc, self.strategy, self.semantics, self.granularity, self.ns_lock, self.slab_reuse,
                     faithful_sync=self.faithful_sync, symmetry=self.symmetry, memo=memo, summarise=self.summaries,
                     initial=initial)

    def replay(self, sc: Scenario, path: list[int]) -> tuple[World, list[Violation]]:
        """Run ``path`` exactly (then the first enabled thread if it is short)."""
        w = self.world(sc)
        it = iter(path)

        def choose(en: list[int], s: Scheduler) -> int:
            nxt = next(it, None)
            if nxt is None or nxt not in en:
                return en[0] if nxt is None else _bad_path(nxt, en)
            return nxt

        return w, w.run(choose)

    def explore(self, sc: Scenario) -> Result:
        res = Result(sc, self.strategy, self.semantics, self.granularity, self.ns_lock)
        t0 = time.perf_counter()
        hashing = self.hashing if self.hashing is not None else self.granularity == "syscall"
        if hashing and self.preemptions is not None:
            raise ValueError("a preemption bound needs hashing off (the same state can be reached with "
                             "different budgets left)")
        sleeping = hashing and self.sleep_sets
        bound = self.preemptions
        # state hash -> its sleep set when it was explored, in the key's places (World.key_perm)
        visited: dict[int, frozenset[int]] = {}
        memo: dict[object, bool] = {}  # World._passed, shared by the runs
        initial = World.initial_mounts(sc, self.slab_reuse, self.ns_lock)  # each run starts from a copy
        # prefixes still to run, each as (a run's path, how much of it, the step after, its sleep set): a
        # run's path only grows, so siblings share it instead of copying it (a long run pushes a sibling
        # at every step)
        todo: list[tuple[list[int], int, Optional[int], frozenset[int]]] = [([], 0, None, frozenset())]
        runs = 0
        while todo:
            if runs >= self.max_runs:
                res.exhausted = False
                break
            base, n, alt0, sleep0 = todo.pop()
            prefix = base[:n] + [alt0] if alt0 is not None else []
            runs += 1
            path: list[int] = []
            pre = [0]  # preemptions so far
            sleep = [sleep0]  # the sleep set of the state the run is in (tids)
            last: list[Optional[tuple[object, int]]] = [None]  # shared key and step of the state before

            def choose(en: list[int], s: Scheduler, prefix: list[int] = prefix, path: list[int] = path,
                       pre: list[int] = pre, sleep: list[frozenset[int]] = sleep,
                       last: list[Optional[tuple[object, int]]] = last) -> int:
                depth = len(path)
                prev = path[-1] if path else None
                if depth < len(prefix):
                    tid = prefix[depth]
                else:
                    first = prev if prev in en else en[0]
                    order = [first] + [t for t in reversed(en) if t != first]  # depth-first order of the children
                    if hashing:
                        key, perm = w.key_perm()
                        if sleeping:
                            shared = World.shared_key(key)
                            if last[0] is not None and last[0][0] != shared and w.commutes(last[0][1]):
                                raise RuntimeError(f"sleep sets: thread {last[0][1]}'s step changed the shared "
                                                   "state, but World.independent says it commutes")
                        order, zs = self._visit(visited, hash(key), perm, order, sleep[0])
                    else:
                        zs = frozenset()
                    tid = order[0]
                    for i in range(len(order) - 1, 0, -1):  # pushed last first: popped in `order`
                        alt = order[i]
                        cost = 1 if (prev in en and alt != prev) else 0
                        if bound is None or pre[0] + cost <= bound:
                            todo.append((path, depth, alt, self._child_sleep(w, zs.union(order[:i]), alt)
                                         if sleeping else frozenset()))
                    if sleeping:
                        sleep[0] = self._child_sleep(w, zs, tid)
                        last[0] = (shared, tid)
                if prev is not None and prev in en and tid != prev:
                    pre[0] += 1
                path.append(tid)
                return tid

            w = self.world(sc, memo, initial)
            try:
                found = w.run(choose)
            except _Prune:
                res.pruned += 1
                continue
            res.schedules += 1
            if found:
                if res.path is None:
                    res.path = list(path)
                    res.violations = found
                else:
                    res.violations += [v for v in found if v.prop not in {x.prop for x in res.violations}]
                if self.stop_at_first:
                    res.exhausted = False
                    break
        res.states = len(visited)
        res.elapsed = time.perf_counter() - t0
        return res

    def _visit(self, visited: dict[int, frozenset[int]], k: int, perm: tuple[int, ...], order: list[int],
               sleep: frozenset[int]) -> tuple[list[int], frozenset[int]]:
        """State caching with sleep sets (Godefroid 1996, section 5.3): the children of the
        state hashed ``k`` that are still to explore, in ``order``, and the sleep set they
        start from; raise :class:`_Prune` when there are none.

        A state seen before has had its whole future explored, except the steps that were
        asleep then (``visited[k]``, kept in the key's places so that it holds for the
        state's mirror image too).  Seen first, every step not asleep now is explored;
        seen again, only the steps asleep then and awake now, and the state's record
        shrinks to what is asleep both times."""
        mine = frozenset(perm[t] for t in sleep)
        old = visited.get(k)
        if old is None:
            visited[k] = mine
            todo = [t for t in order if t not in sleep]
            base = sleep
        elif old <= mine:
            raise _Prune
        else:
            visited[k] = old & mine
            back = {t for t in range(len(perm)) if perm[t] in old - mine}
            todo = [t for t in order if t in back]
            base = frozenset(t for t in sleep if perm[t] in old)
        if not todo:  # every enabled step asleep: each of its futures is explored elsewhere
            raise _Prune
        return todo, base

    def _child_sleep(self, w: World, asleep: frozenset[int], tid: int) -> frozenset[int]:
        """The sleep set after ``tid`` runs: the steps asleep (or explored before it as
        siblings) that commute with it (:meth:`World.independent`)."""
        return frozenset(u for u in asleep if w.independent(u, tid))

    def random(self, sc: Scenario, runs: int, seed: int) -> Result:
        res = Result(sc, self.strategy, self.semantics, self.granularity, self.ns_lock, exhausted=False)
        t0 = time.perf_counter()
        rng = random.Random(seed)
        for _ in range(runs):
            path: list[int] = []

            def choose(en: list[int], s: Scheduler, path: list[int] = path) -> int:
                tid = en[rng.randrange(len(en))]
                path.append(tid)
                return tid

            w = self.world(sc)
            found = w.run(choose)
            res.schedules += 1
            if found and res.path is None:
                res.path, res.violations = list(path), found
                if self.stop_at_first:
                    break
        res.elapsed = time.perf_counter() - t0
        return res


def _bad_path(tid: int, en: list[int]) -> int:
    raise ValueError(f"schedule does not replay: thread {tid} is not runnable here (runnable: {en})")


def shrink(ex: Explorer, sc: Scenario, res: Result) -> tuple[Scenario, Result]:
    """Make a failing case smaller while the same property still fails: drop churn
    operations one at a time, then look for the schedule with the fewest preemptions
    (iterative deepening, hashing off, bound 0, 1, 2, 3)."""
    want = set(res.violated)
    best_sc, best = sc, res
    changed = True
    while changed and best_sc.churn:
        changed = False
        for i in range(len(best_sc.churn)):
            cand = best_sc.with_churn(best_sc.churn[:i] + best_sc.churn[i + 1:])
            r = ex.explore(cand)
            if want & set(r.violated):
                best_sc, best, changed = cand, r, True
                break
    for bound in range(0, 4):
        b = Explorer(ex.strategy, ex.semantics, ex.granularity, ex.ns_lock, ex.slab_reuse,
                     preemptions=bound, max_runs=20_000, hashing=False, faithful_sync=ex.faithful_sync)
        r = b.explore(best_sc)
        if want & set(r.violated):
            r.schedules += best.schedules
            return best_sc, r
    return best_sc, best
