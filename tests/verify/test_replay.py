"""``check --replay`` of traces that hold: no false livelock or crash when a legitimate run is
long (the step limit follows the scenario), and a run cut off early stops its threads quietly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

import mountcursor.verify.world as world
from mountcursor.cli.app import main
from mountcursor.verify.scenarios import MountSpec, Scenario
from mountcursor.verify.world import World


def _scenario(mounts: int, length: str, readers: int, size: int) -> Scenario:
    return Scenario("bytewise", tuple(MountSpec(b"/m%02d" % i, length) for i in range(1, mounts + 1)),
                    (("mountinfo", size),) * readers)


def trace_of(sc: Scenario, strategy: str = "idtree", semantics: str = "5.10+") -> dict[str, Any]:
    """A valid trace file of ``sc`` with an empty path (the first enabled thread at every step)."""
    return {"version": 1, "scenario": {"name": sc.name, "mounts": [{"path": m.path.decode(), "length": m.length}
                                                                  for m in sc.mounts],
                                       "readers": [list(r) for r in sc.readers], "churn": []},
            "strategy": strategy, "semantics": semantics, "granularity": "syscall", "ns_lock": True, "path": []}


def test_a_run_cut_off_by_the_step_limit_is_a_livelock_not_a_crash() -> None:
    """The threads still running when the limit is hit are stopped with GreenletExit: that
    is not their error (it was reported as ``crash: reader2: GreenletExit``)."""
    w = World(_scenario(1, "short", 2, 1), "idtree", "5.10+", max_steps=5)
    found = w.run(lambda en, s: en[0])
    assert [(v.prop, v.message) for v in found] == [
        ("livelock", "more than 5 steps"),
        ("livelock", "reader1: no EOF after 4 reads of 1 bytes"),  # reader2 never opened the file
    ]
    assert [t.cut_off for t in w.sched.threads] == [True, True]
    assert [t.error for t in w.sched.threads] == [None, None]


def test_the_step_limit_follows_the_readers_own_bound(monkeypatch) -> None:
    """Two readers reading page-long lines a byte at a time need more steps than the fixed
    floor (made small here so the run is short): the limit grows with the scenario, so the
    run ends at EOF and nothing is found."""
    monkeypatch.setattr(world, "MIN_STEPS", 1_000)
    sc = _scenario(1, "page", 2, 1)
    w = World(sc, "idtree", "5.10+")
    assert w.run(lambda en, s: en[0]) == []
    assert len(w.sched.steps) > 8_000 > world.MIN_STEPS
    assert all(r.eof for r in w.readers)


@pytest.mark.slow
def test_replay_of_a_long_valid_trace_holds(tmp_path) -> None:
    """The issue's case: 32 page-long lines, two readers of 1 byte, a strategy that holds:
    about 275,000 steps, past the old fixed limit of 200,000; exit 0, no violation."""
    path = tmp_path / "t.json"
    path.write_text(json.dumps(trace_of(_scenario(32, "page", 2, 1))))
    res = CliRunner().invoke(main, ["check", "--replay", str(path)])
    assert res.exit_code == 0, res.output[-500:]
    assert res.stdout.endswith("\nviolations:\n")
