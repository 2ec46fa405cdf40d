"""Shared fixtures for the live tests: the saved tables, a sandbox, and a host guard."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mountcursor.verify.sandbox import Sandbox, sandbox_unavailable

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_FILES = sorted(p for p in FIXTURES.iterdir() if p.name.startswith("util-linux-"))


def host_table() -> bytes:
    with open("/proc/1/mountinfo", "rb") as f:
        return f.read()


@pytest.fixture(scope="session", autouse=True)
def host_mounts_unchanged():
    """The whole live suite must leave the host's mount table as it found it."""
    before = host_table()
    yield
    assert host_table() == before, "the host's mount table changed during the live tests"


def needs_sandbox() -> None:
    reason = sandbox_unavailable()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def sandbox():
    needs_sandbox()
    with Sandbox(n=3) as sb:
        yield sb


@pytest.fixture
def findmnt() -> str:
    path = shutil.which("findmnt")
    if path is None:
        pytest.skip("findmnt (util-linux) is not installed")
    return path
