"""``mountcursor wait`` on a private mount namespace (the sandbox), watched from outside
by ``-N PID``: a mount made exactly between the first read and the first poll, under a
churn of other mounts, an umount, a timeout, and ``--json`` against ``list -J``.

The moments are the test's: ``findmnt.wait._checked`` runs after each table is checked
(the first one is read before the first poll), and the clock is driven where a timeout
is awaited.  No test sleeps."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.live.watcher import Watch
from mountcursor.verify.sandbox import Sandbox

from .conftest import needs_sandbox

wait_module = importlib.import_module("mountcursor.findmnt.wait")
watch_module = importlib.import_module("mountcursor.live.watcher")

LONG_MS = "60000"  # what a broken wait would run into: a failure, not a hang


def _wait(sandbox, *args: str):
    return CliRunner().invoke(main, ["wait", "-N", str(sandbox.pid), *args])


def _list_json(sandbox, *args: str) -> bytes:
    result = CliRunner().invoke(main, ["list", "-N", str(sandbox.pid), "-J", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


class Log(list):
    """What happened, in order: each table checked (``("checked", n, targets)``) and each
    poll of the watch (``"poll"``); ``at[n]`` runs right after table ``n`` is checked."""

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[int, Callable[[], object]] = {}

    def checks(self) -> list[tuple[str, int, list[bytes]]]:
        return [entry for entry in self if isinstance(entry, tuple)]


@pytest.fixture
def log(monkeypatch) -> Log:
    out = Log()

    def checked(n: int, rows, hits: list[int]) -> None:
        out.append(("checked", n, [rows.targets[i] for i in hits]))
        action = out.at.get(n)
        if action is not None:
            action()

    real_wait = Watch._wait

    def polled(self: Watch, seconds: float) -> tuple[bool, bool]:
        out.append("poll")
        return real_wait(self, seconds)

    monkeypatch.setattr(wait_module, "_checked", checked)
    monkeypatch.setattr(Watch, "_wait", polled)
    return out


# ---- (a) the moment between the first read and the first poll -------------------------------


def test_a_mount_between_the_first_read_and_the_first_poll_is_seen(sandbox, log) -> None:
    """util-linux#3517's race: the mount comes after the check and before the poll.
    The first table (no mount there) is checked, the mount is made, then the first poll
    wakes for it."""
    path = sandbox.path(b"between")
    log.at[0] = lambda: (log.append("mount"), sandbox.mount_tmpfs(b"between"))
    result = _wait(sandbox, "-w", LONG_MS, "-J", os.fsdecode(path))
    assert result.exit_code == 0, result.stderr
    assert log[:4] == [("checked", 0, []), "mount", "poll", ("checked", 1, [path])]
    assert result.stdout_bytes == _list_json(sandbox, "-M", os.fsdecode(path))


def test_a_mount_already_there_is_answered_without_polling(sandbox, log) -> None:
    path = sandbox.path(b"there")
    sandbox.mount_tmpfs(b"there")
    result = _wait(sandbox, "-w", LONG_MS, "-J", os.fsdecode(path))
    assert (result.exit_code, log) == (0, [("checked", 0, [path])])
    assert result.stdout_bytes == _list_json(sandbox, "-M", os.fsdecode(path))


# ---- (b) under a churn of other mounts ------------------------------------------------------


@pytest.mark.parametrize("when", [0, 3])
@pytest.mark.parametrize("how", ["path", "filters"])
def test_the_awaited_mount_is_seen_under_churn(sandbox, log, when: int, how: str) -> None:
    """Other tmpfs mounts come and go all the time under churn/; the awaited one is
    made right after the first table (``when`` 0) or after three tables that the churn
    brought, and only it answers (by its path, or by -t/-S that the churn's do not match
    only by source)."""
    path = sandbox.path(b"awaited")
    log.at[when] = lambda: sandbox.mount_tmpfs(b"awaited", source=b"awaited-src")
    args = [os.fsdecode(path)] if how == "path" else ["-t", "tmpfs", "-S", "awaited-src"]
    sandbox.churn_start(b"churn", live=4, depth=2)
    try:
        result = _wait(sandbox, "-w", LONG_MS, "-J", "-o", "TARGET,SOURCE", *args)
    finally:
        counts = sandbox.churn_stop()
    assert result.exit_code == 0, result.stderr
    checks = log.checks()
    assert [n for _, n, _ in checks] == list(range(when + 2))
    assert all(hits == [] for _, _, hits in checks[:-1]) and checks[-1][2] == [path]
    assert json.loads(result.stdout) == {"filesystems": [{"target": os.fsdecode(path), "source": "awaited-src"}]}
    assert counts["mounts"] > 0 and counts["umounts"] > 0


def test_gone_under_churn(sandbox, log) -> None:
    path = sandbox.path(b"leaving")
    sandbox.mount_tmpfs(b"leaving")
    before = _list_json(sandbox, "-M", os.fsdecode(path))
    log.at[2] = lambda: sandbox.umount(b"leaving")
    sandbox.churn_start(b"churn", live=4, depth=2)
    try:
        result = _wait(sandbox, "--gone", "-w", LONG_MS, "-J", os.fsdecode(path))
    finally:
        sandbox.churn_stop()
    assert result.exit_code == 0, result.stderr
    checks = log.checks()
    assert checks == [("checked", n, [path]) for n in range(3)] + [("checked", 3, [])]
    assert result.stdout_bytes == before  # the mount that went, as it was


# ---- (c) umount -------------------------------------------------------------------------------


def test_unmounted_between_the_first_read_and_the_first_poll(sandbox, log) -> None:
    path = sandbox.path(b"going")
    sandbox.mount_tmpfs(b"going", data=b"size=1m,mode=700")
    before = _list_json(sandbox, "-M", os.fsdecode(path))
    log.at[0] = lambda: (log.append("umount"), sandbox.umount(b"going"))
    result = _wait(sandbox, "--unmounted", "-w", LONG_MS, "-J", os.fsdecode(path))
    assert result.exit_code == 0, result.stderr
    assert log[:4] == [("checked", 0, [path]), "umount", "poll", ("checked", 1, [])]
    assert result.stdout_bytes == before


def test_unmounted_when_it_is_not_mounted_answers_at_once(sandbox, log) -> None:
    result = _wait(sandbox, "--unmounted", "-w", LONG_MS, "-J", os.fsdecode(sandbox.path(b"never")))
    assert (result.exit_code, result.stdout, log) == (0, "", [("checked", 0, [])])


def test_a_stacked_mount_is_gone_only_when_the_last_of_the_stack_goes(sandbox, log) -> None:
    path = sandbox.path(b"stack")
    sandbox.mount_tmpfs(b"stack", source=b"lower")
    sandbox.mount_tmpfs(b"stack", source=b"upper")
    log.at[0] = lambda: sandbox.umount(b"stack")
    log.at[1] = lambda: sandbox.umount(b"stack")
    result = _wait(sandbox, "--gone", "-w", LONG_MS, "-J", "-o", "SOURCE", os.fsdecode(path))
    assert result.exit_code == 0, result.stderr
    checks = log.checks()
    assert checks == [("checked", 0, [path, path]), ("checked", 1, [path]), ("checked", 2, [])]
    assert json.loads(result.stdout) == {"filesystems": [{"source": "lower"}]}


# ---- (d) the timeout ----------------------------------------------------------------------


def test_the_timeout_exits_1_under_churn(sandbox, log, monkeypatch) -> None:
    """Nothing that matches comes: exit 1 at the timeout, on a clock the test drives
    (each real poll, made without waiting, takes the time it was given), while the
    churn's changes are read and checked."""
    now = [1000.0]
    monkeypatch.setattr(watch_module, "_clock", lambda: now[0])
    polled = Watch._wait  # the log's: real polls

    def driven(self: Watch, seconds: float) -> tuple[bool, bool]:
        now[0] += seconds
        return polled(self, 0)

    monkeypatch.setattr(Watch, "_wait", driven)
    sandbox.churn_start(b"churn", live=4, depth=2)
    try:
        result = _wait(sandbox, "-w", "1500", "-J", "-t", "tmpfs", "-S", "never-src")
    finally:
        sandbox.churn_stop()
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "")
    assert now[0] == pytest.approx(1001.5)
    checks = log.checks()
    assert len(checks) >= 2 and all(hits == [] for _, _, hits in checks)  # the churn was read


def test_a_zero_timeout_checks_the_table_once(sandbox, log) -> None:
    result = _wait(sandbox, "-w", "0", os.fsdecode(sandbox.path(b"absent")))
    assert (result.exit_code, result.stdout, log) == (1, "", [("checked", 0, [])])


# ---- (e) --json is list -J of the same mount ----------------------------------------------


@pytest.mark.parametrize("columns", [None, "TARGET,SOURCE,FSTYPE,OPTIONS,VFS-OPTIONS,FS-OPTIONS,FSROOT,ID,PARENT,"
                                           "MAJ:MIN,PROPAGATION,TID"])
def test_json_is_list_json_of_the_same_mount(sandbox, log, columns: str | None) -> None:
    """Byte for byte, for a name with a blank and a tab (escaped in mountinfo), a
    source of its own and tmpfs options; the mount made while the wait polls."""
    name = b"j s\tx"
    path = sandbox.path(name)
    log.at[0] = lambda: sandbox.mount_tmpfs(name, source=b"src j", data=b"size=1m,mode=700")
    extra = [] if columns is None else ["-o", columns]
    result = _wait(sandbox, "-w", LONG_MS, "-J", *extra, os.fsdecode(path))
    assert result.exit_code == 0, result.stderr
    listed = _list_json(sandbox, *extra, "-M", os.fsdecode(path))
    assert result.stdout_bytes == listed
    assert json.loads(listed)["filesystems"][0]["target"] == os.fsdecode(path)


# ---- the watched process exits ------------------------------------------------------------


def test_a_watched_process_that_exits_ends_the_wait_with_3(log) -> None:
    """The sandbox's worker exits right after the first table is checked: the wait
    ends with status 3 and one line, not at its timeout."""
    needs_sandbox()
    sb = Sandbox(n=0)
    pid = sb.pid
    log.at[0] = sb.close
    try:
        result = CliRunner().invoke(main, ["wait", "-N", str(pid), "-w", LONG_MS, "/tmp/never"])
    finally:
        sb.close()
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == f"mountcursor: process {pid} exited: its mount table is no longer watched\n"
