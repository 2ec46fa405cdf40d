"""Progress goes to stderr: nothing for a quick run, then at most a line a second."""

from __future__ import annotations

import mountcursor.cli.progress as progress
from mountcursor.cli.progress import PhaseProgress


def test_quiet_lines_start_late_and_are_spaced(capsys, monkeypatch) -> None:
    now = [100.0]
    monkeypatch.setattr(progress.time, "perf_counter", lambda: now[0])
    with PhaseProgress("race", total=5, tty=False) as p:
        for t, phase in ((0.5, "a"), (1.6, "b"), (2.0, "c"), (2.7, "d"), (4.0, "e")):
            now[0] = 100.0 + t
            p.phase(phase)
            p.advance()
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ("mountcursor race: [1/5] b (2 s)\n"
                       "mountcursor race: [3/5] d (3 s)\n"
                       "mountcursor race: [4/5] e (4 s)\n")
