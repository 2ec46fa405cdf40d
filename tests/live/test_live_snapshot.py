"""snapshot(): consistent under churn, honest when not, clear errors for other pids."""

from __future__ import annotations

import dataclasses
import errno
import os
import select

import pytest

from mountcursor.live import InconsistentSnapshotError, snapshot
from mountcursor.live import syscalls
from mountcursor.verify.sandbox import Sandbox

from .conftest import needs_sandbox, sandbox  # noqa: F401 -- a fixture


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
    with pytest.raises(ValueError, match="method must be one of"):
        snapshot(1, method="listmounts")
    with pytest.raises(ValueError, match="pid must be"):
        snapshot("nobody")


@pytest.mark.parametrize("consistent", [100, pytest.param(2000, marks=pytest.mark.slow)])
def test_strict_under_churn_never_consistent_and_broken(consistent: int):
    """A thread in the sandbox mounts and detaches nested tmpfs trees non-stop while we
    take snapshots of its namespace in 512-byte reads, until ``consistent`` of them were
    consistent and a fifth as many were retried (bounded by work, not by the clock: about
    400 consistent ones a second here).  Every snapshot marked consistent holds all 200
    mounts that stay throughout and has no orphan; the others say so."""
    needs_sandbox()
    with Sandbox(n=200) as sb:
        stable = {f.path for f in sb.base}
        sb.churn_start(live=4, depth=3, pause=0.001)
        counts = {"consistent": 0, "inconsistent": 0, "retried": 0, "gave_up": 0}
        taken = 0
        try:
            while counts["consistent"] < consistent or counts["retried"] < consistent // 5:
                taken += 1
                assert taken <= 50 * consistent, counts  # the churn never cut a read: nothing was tested
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
        results = []
        try:  # until a snapshot gives up (a pass takes ~0.2 ms: how many it takes varies with load)
            while len(results) < 500 and all(s.consistent for s in results):
                results.append(snapshot(sb.pid, method="mountinfo", consistency="best-effort", chunk_size=32,
                                            max_attempts=2))
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


# ---- one poll at EOF is enough: the running kernel's POLLPRI stays latched --------------


def _pending(poller) -> bool:
    return any(revents & select.POLLPRI for _, revents in poller.poll(0))


def _read_to_eof(fd: int, size: int = 64) -> int:
    reads = 1
    while os.read(fd, size):
        reads += 1
    return reads


def test_pollpri_is_latched_from_open_until_a_poll_reports_it(sandbox):
    """What the reader's single poll at EOF relies on, asked of the running kernel
    (inside the sandbox's namespace), with one poll object reused throughout."""
    fd = os.open(f"/proc/{sandbox.pid}/mountinfo", os.O_RDONLY)
    poller = select.poll()
    poller.register(fd, select.POLLPRI)
    try:
        # a change after open() and before any poll: reported by the first poll, once
        sandbox.mount_tmpfs("after-open")
        _read_to_eof(fd)
        assert _pending(poller)
        assert not _pending(poller)
        # a change in the middle of a pass, many reads before the poll: still reported
        os.lseek(fd, 0, os.SEEK_SET)
        os.read(fd, 64)
        sandbox.mount_tmpfs("mid-pass")
        assert _read_to_eof(fd) > 3
        assert _pending(poller)
        # several changes between two polls: one report; a pass with none: no report
        sandbox.mount_tmpfs("x")
        sandbox.umount("x")
        assert _pending(poller) and not _pending(poller)
        os.lseek(fd, 0, os.SEEK_SET)
        _read_to_eof(fd)
        assert not _pending(poller)
        # a change reported by poll after a reported one: the counter is not compared to open()
        sandbox.umount("mid-pass")
        assert _pending(poller) and not _pending(poller)
    finally:
        os.close(fd)


def test_snapshot_sees_a_change_made_during_its_pass(monkeypatch):
    """snapshot() polls only at EOF: a mount made after its second read is still seen,
    so the pass is retried (and single-pass says it is not consistent)."""
    needs_sandbox()
    from mountcursor.live import reader

    real_read = os.read
    with Sandbox(n=40) as sb:
        made: list[str] = []

        def read_then_mount(fd: int, size: int) -> bytes:
            data = real_read(fd, size)
            if os.readlink(f"/proc/self/fd/{fd}").endswith("mountinfo"):
                counts.append(1)
                if len(counts) == 2 and len(made) < limit:
                    made.append(f"during-{len(made)}")
                    sb.mount_tmpfs(made[-1])
            return data

        monkeypatch.setattr(reader.os, "read", read_then_mount)
        counts: list[int] = []
        limit = 1
        snap = snapshot(sb.pid, consistency="best-effort", chunk_size=256)
        assert (snap.consistent, snap.attempts) == (True, 2)
        assert snap.table.find_target(sb.path("during-0"))
        counts.clear()
        limit = 2
        single = snapshot(sb.pid, consistency="single-pass", chunk_size=256)
        assert (single.consistent, single.attempts) == (False, 1)
        monkeypatch.undo()
