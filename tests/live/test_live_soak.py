"""The soak (``mountcursor.verify.soak``): churner processes, strict readers and a watch in
one private mount namespace; and the watch bug it found (a reused id and device read as
a move).  A bounded run here; the long one is ``benchmarks/soak.py``."""

from __future__ import annotations

import shutil
import time

import pytest

from mountcursor.verify.soak import SoakResult, _compare

from .conftest import needs_sandbox


def test_compare_counts_each_kind_of_difference() -> None:
    made = [("mount", "/a"), ("umount", "/a"), ("mount", "/b"), ("umount", "/b"), ("mount", "/c"), ("umount", "/c")]
    seen = [("mount", "/a"), ("umount", "/a"), ("mount", "/c"), ("mount", "/c"), ("umount", "/x")]
    res = SoakResult(1, 1, 1.0, "poll", "test")
    _compare(res, made, seen)
    assert (res.made, res.seen, res.invented, res.duplicated, res.missed, res.missed_pairs) == (6, 5, 1, 1, 1, 1)
    assert not res.ok


def test_a_reused_id_and_device_is_not_a_move(sandbox) -> None:
    sandbox.watch_start(source="poll", min_interval=1.0)  # at most one read a second
    made, reused = [], False
    for i in range(6):  # the id IDA is global: another process may take the freed id first
        a = sandbox.mount_tmpfs(f"a{i}")
        time.sleep(1.3)  # the watch reads the table with a in it
        sandbox.umount(f"a{i}")
        b = sandbox.mount_tmpfs(f"b{i}")  # between two reads of the watch
        made += [("mount", a.path), ("umount", a.path), ("mount", b.path)]
        if (b.mnt_id, b.major, b.minor) == (a.mnt_id, a.major, a.minor):
            reused = True
            break
        time.sleep(1.3)
    batches = sandbox.watch_stop(settle=1.5)
    if not reused:
        pytest.skip("the kernel never handed the same id and device to the next mount (a busy machine)")
    events = [(ev.action, ev.entry.target) for batch in batches for ev in batch.events]
    assert events == made  # was: a move from a to b


@pytest.mark.slow
@pytest.mark.parametrize("source", ["fanotify", "poll"])
def test_soak_nothing_missed_or_invented(source) -> None:
    needs_sandbox()
    if shutil.which("nsenter") is None:
        pytest.skip("needs nsenter(1) from util-linux")
    from mountcursor.verify.soak import run_soak

    try:
        res = run_soak(churners=4, readers=2, seconds=2.0, source=source)
    except OSError as e:
        pytest.skip(f"{source} is not available here: {e}")
    assert res.errors == []
    # the readers read the table many times: passes, not clean snapshots, which four
    # churners on two shared cores may leave to a few dozen passes each
    assert res.made > 1000 and res.snapshots >= 1 and res.snapshots + res.retries > 20
    assert res.invented == res.duplicated == res.missed == 0, res.as_json()
    assert res.inconsistent == res.broken == res.fixed_missed == 0, res.as_json()
    assert res.seen + 2 * res.missed_pairs == res.made  # every event seen or coalesced in whole pairs
    assert res.ok
