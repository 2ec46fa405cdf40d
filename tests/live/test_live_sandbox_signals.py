"""A Ctrl-C reaches the sandbox worker too (it is in the command's process group): it exits
quietly, status 130, wherever it is: no traceback, and no mount, process or directory left.

The worker sends itself SIGINT at a chosen point (its ``MOUNTCURSOR_SANDBOX_SIGINT_AT`` hook),
and once from outside while it waits for a command."""

from __future__ import annotations

import os
import signal
import time

import pytest

from mountcursor.verify._sandbox_worker import SIGINT_AT_ENV
from mountcursor.verify.sandbox import Sandbox, SandboxError

from .conftest import host_table, needs_sandbox


def _quiet_and_gone(capfd: pytest.CaptureFixture[str], pid: int | None, before: bytes) -> None:
    err = capfd.readouterr().err
    assert err == ""  # no "Traceback", no "KeyboardInterrupt"
    if pid is not None:
        assert not os.path.exists(f"/proc/{pid}")  # reaped, not a zombie either
    assert host_table() == before
    assert not os.path.lexists("/tmp/m00000")  # the sandbox's directories were inside its namespace


def test_sigint_during_setup(capfd, monkeypatch) -> None:
    needs_sandbox()
    before = host_table()
    monkeypatch.setenv(SIGINT_AT_ENV, "setup")
    with pytest.raises(SandboxError, match=r"^the sandbox worker exited \(status 130\)$"):
        Sandbox(n=3)
    _quiet_and_gone(capfd, None, before)


def test_sigint_while_waiting_for_the_first_command(capfd, monkeypatch) -> None:
    needs_sandbox()
    before = host_table()
    monkeypatch.setenv(SIGINT_AT_ENV, "idle")
    sb = Sandbox(n=2)
    pid = sb.pid
    assert sb._proc is not None and sb._proc.wait(30) == 130
    sb.close()
    _quiet_and_gone(capfd, pid, before)


@pytest.mark.parametrize("point", ["command", "reply"])
def test_sigint_while_running_a_command_ends_it_with_status_130(capfd, monkeypatch, point: str) -> None:
    needs_sandbox()
    before = host_table()
    monkeypatch.setenv(SIGINT_AT_ENV, point)
    sb = Sandbox(n=2)
    pid = sb.pid
    with pytest.raises(SandboxError, match=r"^the sandbox worker exited \(status 130\)$"):
        sb.churn_start()  # the churn thread may have started mounting when the signal comes
    sb.close()
    _quiet_and_gone(capfd, pid, before)


def test_sigint_from_outside_while_waiting_for_a_command(capfd) -> None:
    """As Ctrl-C: the worker blocked reading its command pipe (its kernel wait channel
    says so) gets SIGINT from another process."""
    needs_sandbox()
    before = host_table()
    sb = Sandbox(n=2)
    sb.churn_start()
    pid = sb.pid
    deadline = time.monotonic() + 30
    while "pipe_read" not in open(f"/proc/{pid}/wchan").read():
        assert time.monotonic() < deadline, "the worker never waited for a command"
        os.sched_yield()
    os.kill(pid, signal.SIGINT)
    assert sb._proc is not None and sb._proc.wait(30) == 130
    sb.close()
    _quiet_and_gone(capfd, pid, before)
