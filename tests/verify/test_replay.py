"""``check --replay`` of traces that hold: no false livelock or crash when a legitimate run is
long (the step limit follows the scenario), and a run cut off early stops its threads quietly."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import mountcursor.verify.world as world
from mountcursor.cli.app import main
from mountcursor.verify.scenarios import MountSpec, Scenario
from mountcursor.verify.trace import replay_trace, trace_from_json
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
    """The issue's case (as test_the_step_limit_follows_the_readers_own_bound, full size): 32 page-long lines, two readers of 1 byte, a strategy that holds:
    about 275,000 steps, past the old fixed limit of 200,000; exit 0, no violation."""
    path = tmp_path / "t.json"
    path.write_text(json.dumps(trace_of(_scenario(32, "page", 2, 1))))
    res = CliRunner().invoke(main, ["check", "--replay", str(path)])
    assert res.exit_code == 0, res.output[-500:]
    assert res.stdout.endswith("\nviolations:\n")


def _replay_cost(mounts: int) -> tuple[int, int]:
    """(tracemalloc peak, bytes written) of replaying one reader reading ``mounts`` short
    lines a byte at a time: steps grow with ``mounts``, and so does the list of mounts."""
    sc = _scenario(mounts, "short", 1, 1)
    t = trace_from_json(trace_of(sc))
    written = 0

    def write(text: str) -> None:
        nonlocal written
        written += len(text)

    tracemalloc.start()
    try:
        found = replay_trace(t, write)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found == []
    return peak, written


def test_replay_memory_and_output_grow_linearly_with_the_run() -> None:
    """Four times the mounts is four times the steps: the peak memory and the output grow
    about four times (they grew sixteen times when every step kept and printed the whole
    list, and the output was built as one string)."""
    small, big = _replay_cost(8), _replay_cost(32)
    assert big[1] / small[1] < 5
    assert big[0] / small[0] < 5


def test_check_replay_runs_the_trace_once(tmp_path, monkeypatch) -> None:
    runs = []
    real = World.run

    def counted(self: World, choose: Any) -> Any:
        runs.append(self.sc.name)
        return real(self, choose)

    monkeypatch.setattr(World, "run", counted)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(trace_of(_scenario(2, "short", 1, 100))))
    res = CliRunner().invoke(main, ["check", "--replay", str(path)])
    assert res.exit_code == 0, res.output
    assert runs == ["bytewise"]
    assert res.stdout == (
        "scenario bytewise[mountinfo:100]: \n"
        "strategy idtree on 5.10+ seq_file, syscall granularity\n"
        "mounts: /m01(short) /m02(short)\n"
        "churn: none\n"
        "schedule (0 steps): \n"
        "\n"
        "   0 reader   open(mountinfo)\n"
        "              list: (rootfs) / /m01 /m02\n"
        "   1 reader   read(mountinfo, 100)\n"
        "              -> b'2 1 254:0 / / rw - ext4 /dev/vda rw\\n3 2 0:20 / /m01 rw - tmpfs tmpfs rw,inode64\\n"
        "4 2 0:21 / /m02 rw -'\n"
        "   2 reader   read(mountinfo, 100)\n"
        "              -> b' tmpfs tmpfs rw,inode64\\n'\n"
        "   3 reader   read(mountinfo, 100)\n"
        "              -> b''\n"
        "   4 reader   close(mountinfo)\n"
        "\n"
        "violations:\n"
    )


def _replay_process(trace: Path, stdout: Any) -> subprocess.Popen[bytes]:
    code = f"from mountcursor.cli import main; main(['check', '--replay', {str(trace)!r}])"
    return subprocess.Popen([sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE)


def test_replay_to_a_full_disk_is_a_runtime_error(tmp_path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps(trace_of(_scenario(2, "short", 1, 100))))
    with open("/dev/full", "wb") as full:
        proc = _replay_process(path, full)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3  # was a traceback, then "the trace does not replay" (2) once streamed
    assert err == b"mountcursor: check --replay: standard output: No space left on device\n"


def test_replay_to_a_reader_that_goes_away_is_a_runtime_error(tmp_path) -> None:
    """More output than a pipe holds; the reader takes one line and closes its end."""
    path = tmp_path / "t.json"
    path.write_text(json.dumps(trace_of(_scenario(2, "page", 1, 1))))
    proc = _replay_process(path, subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().startswith(b"scenario bytewise")
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3
    assert err == b"mountcursor: check --replay: standard output: Broken pipe\n"
