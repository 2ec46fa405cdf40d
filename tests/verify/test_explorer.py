"""The verifier: exhaustiveness, mutations it must catch, fine granularity, traces."""

from __future__ import annotations

import json
from math import factorial

import pytest

from mountcursor.kernel import iterators, namespace
from mountcursor.kernel.seqfile import SEMANTICS
from mountcursor.verify.check import check_cell
from mountcursor.verify.explorer import Explorer
from mountcursor.verify.scenarios import (
    Op, Scenario, _mounts, churn_both, default_scope, ns_lock_scope, umount_one, walkers,
)
from mountcursor.verify.trace import Trace, format_trace, load_trace, save_trace, trace_from_json, trace_to_json
from mountcursor.verify.world import World


def test_exhaustive_count_matches_the_multinomial() -> None:
    """Two readers (open, read, read -> EOF, close: 4 steps each) and a churn thread with two
    operations: with no reduction the explorer must run every interleaving, 10!/(4!4!2!)."""
    sc = Scenario("tiny", _mounts(2), (("mountinfo", 65536), ("mountinfo", 65536)),
                  (Op("umount", b"/m01"), Op("mount", b"/n01")))
    r = Explorer("cursor", "modern", hashing=False, stop_at_first=False).explore(sc)
    assert r.schedules == factorial(10) // (factorial(4) * factorial(4) * factorial(2)) == 3150
    assert r.pruned == 0 and r.holds
    h = Explorer("cursor", "modern").explore(sc)
    assert h.holds and h.schedules + h.pruned < r.schedules
    assert h.states < 3150


def test_index_misses_with_a_minimal_trace() -> None:
    r = Explorer("index", "modern").explore(umount_one(1, 3, "l", 1024))
    assert r.violated == ["missed"]
    assert r.violations[0].message == "reader: /m03 never shown"


def _mutant(monkeypatch: pytest.MonkeyPatch, which: str) -> None:
    if which == "no-cursor-skip":
        def mnt_list_next(self, p):  # noqa: ANN001,ANN202
            self.lock_ns_list()
            try:
                return None if p.next is self.list else p.next.owner
            finally:
                self.unlock_ns_list()
        monkeypatch.setattr(namespace.MountNamespace, "mnt_list_next", mnt_list_next)
    elif which == "no-last-mntpos":
        monkeypatch.setattr(iterators.CursorVzOp, "_same", lambda self, p, mnt: True)
    elif which == "cursor-stays-at-eof":
        def stop(self, m, v):  # noqa: ANN001,ANN202
            p = m.private
            p.ns.lock_ns_list()
            if v is not None:
                iterators.list_move_tail(p.cursor.mnt_list, v.mnt_list)
            p.ns.unlock_ns_list()
            p.ns.kernel.namespace_sem.up_read()
        monkeypatch.setattr(iterators.CursorOp, "stop", stop)


@pytest.mark.parametrize("which,strategy,semantics,scenario,prop", [
    ("no-cursor-skip", "cursor", "modern", ns_lock_scope()[0], "malformed"),
    pytest.param("no-cursor-skip", "cursor", "modern", churn_both(30, "s", 1024, readers=2), "malformed",
                 marks=pytest.mark.slow),
    ("no-last-mntpos", "cursor-vz-fixed", "legacy", umount_one(2, 3, "l", 1024), "missed"),
    ("cursor-stays-at-eof", "cursor", "modern", umount_one(1, 3, "s", 100), "twice"),
])
def test_mutations_are_caught(monkeypatch: pytest.MonkeyPatch, which: str, strategy: str, semantics: str,
                              scenario: Scenario, prop: str) -> None:
    """Break the model on purpose; the explorer must find it (this is how we know it can fail)."""
    assert Explorer(strategy, semantics).explore(scenario).holds  # the unbroken model holds
    _mutant(monkeypatch, which)
    r = Explorer(strategy, semantics).explore(scenario)
    assert prop in r.violated, r.violations


def test_faithful_sync_collect_livelocks_fixed_does_not() -> None:
    sc = walkers(100)
    bad = Explorer("cursor", "modern", faithful_sync=True).explore(sc)
    assert bad.violated == ["livelock"]
    assert "sync_collect_filesystems: no progress" in bad.violations[0].message
    assert Explorer("cursor", "modern").explore(sc).holds


@pytest.mark.parametrize("max_runs", [600, pytest.param(200_000, marks=pytest.mark.slow)])
def test_no_ns_lock_corrupts_the_list_with_two_readers_in_fine_mode(max_runs: int) -> None:
    """Bounded in the default suite: the first 600 schedules with the lock must hold;
    the full run (slow) explores every schedule within two preemptions."""
    sc = ns_lock_scope()[0]
    broken = Explorer("cursor", "modern", granularity="fine", ns_lock=False, preemptions=2).explore(sc)
    assert broken.violated == ["list-corrupt"]
    ok = Explorer("cursor", "modern", granularity="fine", preemptions=2, max_runs=max_runs).explore(sc)
    assert ok.holds and ok.schedules >= 600
    assert ok.exhausted == (max_runs > ok.schedules)


def test_trace_round_trip_and_replay(tmp_path) -> None:  # noqa: ANN001
    cell = check_cell("cursor-vz", "legacy", [Scenario("no-churn", _mounts(3, "ssp"), (("mountinfo", 100),))])
    t = cell.failures["missed"]
    f = tmp_path / "t.json"
    save_trace(t, str(f))
    back = load_trace(str(f))
    assert trace_to_json(back) == trace_to_json(t)
    text = format_trace(back)
    assert "strategy cursor-vz on 3.10 seq_file" in text
    assert "missed: reader: /m03 never shown" in text
    assert "read(mountinfo, 100)" in text and "[cursor1]" in text
    with pytest.raises(ValueError, match="x.json: scenario: missing field 'name'"):
        trace_from_json({"version": 1, "scenario": {}}, "x.json")


def test_trace_is_deterministic() -> None:
    t = check_cell("idtree-6.8", "modern", [umount_one(3, 3, "s", 100, remount=True)]).failures["twice"]
    assert format_trace(t) == format_trace(Trace(**{**t.__dict__}))
    assert json.dumps(trace_to_json(t))  # serialisable


@pytest.mark.parametrize("strategy,semantics,violated", [
    ("cursor", "modern", []), ("idtree-6.8", "modern", ["twice"]),
])
def test_symmetry_reduction_keeps_verdict_and_first_trace(strategy: str, semantics: str,
                                                          violated: list[str]) -> None:
    """Two identical readers: hashing states up to swapping them explores about half the
    states and finds the same verdict, and the same first counterexample (depth-first
    search only prunes the mirror of a subtree it has finished)."""
    sc = Scenario("two-readers", _mounts(2), (("mountinfo", 100), ("mountinfo", 100)),
                  (Op("umount", b"/m02"), Op("mount", b"/n01")))
    full = Explorer(strategy, semantics, symmetry=False, stop_at_first=False).explore(sc)
    sym = Explorer(strategy, semantics, stop_at_first=False).explore(sc)
    assert full.violated == sym.violated == violated
    assert full.states * 0.4 < sym.states < full.states * 0.6
    assert sym.path == full.path and (sym.path is not None) == bool(violated)


# --- the reductions: sleep sets, finished readers ---------------------------------------------

_SMALL = [
    Scenario("two-readers", _mounts(2), (("mountinfo", 100), ("mountinfo", 100)),
             (Op("umount", b"/m02"), Op("mount", b"/n01"))),
    umount_one(2, 3, "ssp", 100),
    umount_one(1, 2, "ls", 1024, remount=True),
    walkers(100),
]


def _same_findings(strategy: str, semantics: str, scope: list[Scenario], every_schedule: bool = True) -> None:
    """Explore each scenario with and without the reductions: the same properties, the same
    first failing schedule and messages, as ``check`` runs it (stopping at the first
    violation) and, with ``every_schedule``, over every schedule."""
    for sc in scope:
        for first in (True, False) if every_schedule else (True,):
            plain = Explorer(strategy, semantics, sleep_sets=False, summaries=False, stop_at_first=first).explore(sc)
            red = Explorer(strategy, semantics, stop_at_first=first).explore(sc)
            assert (red.violated, red.path) == (plain.violated, plain.path), sc.label()
            assert [v.message for v in red.violations] == [v.message for v in plain.violations], sc.label()
            assert red.exhausted == plain.exhausted
            assert red.schedules + red.pruned <= plain.schedules + plain.pruned
            if not plain.violations:
                break  # nothing to stop at: the two modes are the same search


@pytest.mark.parametrize("strategy,semantics", [
    ("index", "5.10+"), ("cursor", "3.10"), ("cursor-vz", "3.10"), ("cursor-vz-fixed", "3.10"),
    ("idtree-6.8", "5.10+"), ("idtree", "4.19-5.9"),
])
def test_reductions_keep_the_verdict_and_the_first_counterexample(strategy: str, semantics: str) -> None:
    """Sleep sets and the merging of finished readers visit fewer runs, and find exactly what
    the search without them finds: the same properties, and the same first failing schedule
    (cells that fail with every kind of violation, and cells that hold with and without
    sleep sets; every cell over the whole scope: the slow test below).  Over every
    schedule where the reductions act (two readers, the walkers), as check runs them
    elsewhere."""
    _same_findings(strategy, semantics, [_SMALL[0], _SMALL[3]])
    _same_findings(strategy, semantics, _SMALL[1:3], every_schedule=False)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", list(iterators.STRATEGIES))
def test_reductions_keep_every_finding_of_the_default_scope(strategy: str) -> None:
    """The same over the whole default scope and all three generations, as check explores it
    (``make matrix``)."""
    for semantics in SEMANTICS:
        _same_findings(strategy, semantics, default_scope(), every_schedule=False)


def _state_after(ex: Explorer, sc: Scenario, path: list[int]) -> tuple[object, list[int]]:
    """The key of the state ``path`` leads to, and which threads are enabled there (in the key's places)."""
    w = ex.world(sc)
    it = iter(path)
    got: dict[str, object] = {}

    class _Stop(Exception):
        pass

    def choose(en: list[int], s: object) -> int:
        nxt = next(it, None)
        if nxt is None:
            key, perm = w.key_perm()
            got.update(key=key, en=sorted(perm[t] for t in en))
            raise _Stop
        return nxt

    try:
        w.run(choose)
    except _Stop:
        pass
    if not got:  # every thread finished
        got.update(key=w.key(), en=[])
    return got["key"], got["en"]  # type: ignore[return-value]


@pytest.mark.parametrize("strategy", ["index", "idtree-6.8", "idtree"])
def test_independent_steps_commute(strategy: str) -> None:
    """What World.independent declares commuting does commute: from states along random
    schedules, running the two steps in either order gives the same key and the same
    enabled threads.  (Cursor strategies declare nothing: their readers move cursors that
    the others must step over, which is what check verifies.)"""
    import random
    rng = random.Random(5)
    checked = 0
    for sc in (_SMALL[0], walkers(100), churn_both(4, "s", 100, readers=2)):
        ex = Explorer(strategy, "3.10")
        for _ in range(6):
            w = ex.world(sc)
            path: list[int] = []
            w.run(lambda en, s: path.append(en[rng.randrange(len(en))]) or path[-1])
            for cut in range(len(path)):
                prefix = path[:cut]
                _, en_here = _state_after(Explorer(strategy, "3.10", symmetry=False), sc, prefix)
                for a in en_here:
                    for b in en_here:
                        if a < b and w.independent(a, b):
                            assert _state_after(ex, sc, prefix + [a, b]) == _state_after(ex, sc, prefix + [b, a])
                            checked += 1
    assert checked > 50


def test_cursor_strategies_declare_no_step_independent() -> None:
    ex = Explorer("cursor", "5.10+")
    w = ex.world(walkers(100))
    assert not any(w.independent(a, b) for a in range(3) for b in range(3))
    w = Explorer("idtree", "5.10+").world(walkers(100))
    assert w.independent(0, 2) and not w.independent(0, 1) and not w.independent(1, 2)


def test_a_step_declared_commuting_that_writes_shared_state_stops_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """The premise of the sleep sets is checked as the search goes."""
    def start(self, m, pos):  # noqa: ANN001,ANN202
        p = m.private
        p.ns.kernel.namespace_sem.down_read()
        p.ns.event += 1  # a reader that changes the namespace
        return p.ns.mnt_find_id_at(pos.value)
    monkeypatch.setattr(iterators.IdTreeOp, "start", start)
    with pytest.raises(RuntimeError, match="changed the shared state"):
        Explorer("idtree", "5.10+").explore(_SMALL[0])


def test_a_run_from_the_frozen_initial_mounts_is_the_run_from_fresh_ones() -> None:
    """The explorer starts every run from a copy of the scenario's mounts (World.initial_mounts):
    the same state key at the start, and along random schedules the same steps, log, output
    and violations as a world that mounted them itself."""
    import random
    rng = random.Random(3)
    for sc in default_scope()[::3] + [churn_both(30, "s", 1024, readers=2), walkers(100)]:
        for strategy, semantics in (("cursor-vz", "3.10"), ("idtree", "5.10+")):
            ex = Explorer(strategy, semantics)
            frozen = World.initial_mounts(sc)
            assert ex.world(sc, initial=frozen).key() == ex.world(sc).key()
            for _ in range(2):
                path: list[int] = []
                fresh = ex.world(sc)
                found = fresh.run(lambda en, s: path.append(en[rng.randrange(len(en))]) or path[-1])
                copy = ex.world(sc, initial=frozen)
                it = iter(path)
                again = copy.run(lambda en, s: next(it))
                assert [(st.thread, st.detail) for st in copy.sched.steps] == \
                       [(st.thread, st.detail) for st in fresh.sched.steps]
                assert copy.log == fresh.log and copy.key() == fresh.key()
                assert [bytes(r.out) for r in copy.readers] == [bytes(r.out) for r in fresh.readers]
                assert [(v.prop, v.message) for v in again] == [(v.prop, v.message) for v in found]


def test_a_scenario_too_deep_to_freeze_mounts_its_own() -> None:
    """World.initial_mounts pickles the list link by link; past the recursion limit the
    explorer builds the mounts in every run instead, and explores the same."""
    sc = umount_one(1, 400, "s", 65536)
    assert World.initial_mounts(sc) is None and World.initial_mounts(umount_one(1, 30, "s", 65536)) is not None
    r = Explorer("idtree", "5.10+").explore(sc)
    assert r.holds and r.exhausted and r.schedules + r.pruned > 2
