"""snapshot(): consistent under churn, honest when not, clear errors for other pids."""

from __future__ import annotations

import dataclasses
import errno
import os
import time

import pytest

from mountcursor.live import InconsistentSnapshotError, snapshot
from mountcursor.live import syscalls
from mountcursor.live.sandbox import Sandbox

from .conftest import needs_sandbox


def test_this_thread_both_methods_agree():
    a = snapshot()
    b = snapshot(method="listmount")
    assert a.consistent and a.method == "mountinfo" and a.path == "/proc/thread-self/mountinfo"
    assert b.consistent and b.method == "listmount" and a.attempts == b.attempts == 1
    assert [dataclasses.replace(e, unique_id=None, parent_unique_id=None) for e in b.table] == list(a.table)
    assert a.data == open("/proc/self/mountinfo", "rb").read()
    assert a.elapsed > 0 and a.problems == ()


def test_small_chunks_take_many_reads():
    snap = snapshot(chunk_size=64)
    assert snap.reads > len(snap.data) // 64 and snap.consistent


def test_gone_process_is_a_clear_error():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    with pytest.raises(ProcessLookupError, match=f"process {pid} does not exist"):
        snapshot(pid)


def test_denied_process_is_a_clear_error(monkeypatch):
    # Here mountinfo of pid 1 is readable by anyone; a kernel with stricter checks (or
    # hidepid) refuses the open with EACCES: simulate that refusal.
    import importlib

    snapshot_module = importlib.import_module("mountcursor.live.reader")

    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path) == "/proc/1/mountinfo":
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(snapshot_module.os, "open", refuse)
    with pytest.raises(PermissionError, match="cannot read the mount table of process 1: permission denied"):
        snapshot(1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="consistency must be one of"):
        snapshot(consistency="sometimes")
    with pytest.raises(ValueError, match="listmount"):
        snapshot(1, method="listmount")
    with pytest.raises(ValueError, match="pid must be"):
        snapshot("nobody")


def test_strict_under_churn_never_consistent_and_broken():
    """A thread in the sandbox mounts and detaches nested tmpfs trees non-stop while we
    take snapshots of its namespace in 512-byte reads.  Every snapshot marked consistent
    holds all 200 mounts that stay throughout and has no orphan; the others say so."""
    needs_sandbox()
    with Sandbox(n=200) as sb:
        stable = {f.path for f in sb.base}
        sb.churn_start(live=4, depth=3, pause=0.001)
        counts = {"consistent": 0, "inconsistent": 0, "retried": 0, "gave_up": 0}
        end = time.monotonic() + 3
        try:
            while time.monotonic() < end:
                try:
                    snap = snapshot(sb.pid, consistency="strict", chunk_size=512, max_attempts=20)
                except InconsistentSnapshotError as err:
                    counts["gave_up"] += 1
                    assert not err.snapshot.consistent and err.snapshot.attempts == 20
                    continue
                assert snap.consistent
                counts["consistent"] += 1
                counts["retried"] += snap.attempts > 1
                assert stable <= {e.target for e in snap.table}
                assert snap.table.orphans == [] and snap.problems == ()
                best = snapshot(sb.pid, consistency="single-pass", chunk_size=512)
                counts["inconsistent"] += not best.consistent
        finally:
            stats = sb.churn_stop()
    assert stats["mounts"] > 100, stats
    assert counts["consistent"] > 0 and counts["retried"] > 0, counts
    assert counts["inconsistent"] > 0, counts  # single passes do see the churn, and say so


def test_best_effort_returns_the_last_pass_honestly():
    needs_sandbox()
    with Sandbox(n=100) as sb:
        sb.churn_start(live=4, depth=2, pause=0.0)
        try:
            results = [snapshot(sb.pid, consistency="best-effort", chunk_size=128, max_attempts=2) for _ in range(30)]
        finally:
            sb.churn_stop()
    for snap in results:
        assert snap.consistent or snap.attempts == 2
    assert any(not s.consistent for s in results)


def test_listmount_unavailable_says_so(monkeypatch):
    def no_listmount(*args, **kwargs):
        raise OSError(errno.ENOSYS, "listmount(18446744073709551615): Function not implemented")

    monkeypatch.setattr(syscalls, "listmount", no_listmount)
    with pytest.raises(OSError, match="listmount.*not implemented"):
        snapshot(method="listmount")
