"""The verifier: exhaustiveness, mutations it must catch, fine granularity, traces."""

from __future__ import annotations

import json
from math import factorial

import pytest

from mountcursor.kernel import iterators, namespace
from mountcursor.verify.check import check_cell
from mountcursor.verify.explorer import Explorer
from mountcursor.verify.scenarios import Op, Scenario, _mounts, churn_both, ns_lock_scope, umount_one, walkers
from mountcursor.verify.trace import Trace, format_trace, load_trace, save_trace, trace_from_json, trace_to_json


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
