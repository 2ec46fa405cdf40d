"""Suite-wide guard: the host's mount table is the same before and after the whole run;
and no property test depends on the machine's speed (the hypothesis profile below).

Every test that touches real mounts does so in a private mount namespace it created;
this checks that promise for the suite as a whole (``/proc/1/mountinfo``: mount ids,
mount points and options of the host's init).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# No property test may fail for being slow: a deadline or a "too slow" health check is a
# wall-clock threshold, which a busy 2-core machine breaks (what a test checks is its
# property; time goals live in benchmarks/).
settings.register_profile("suite", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("suite")

_BEFORE: list[bytes] = []


def _host_table() -> bytes:
    try:
        with open("/proc/1/mountinfo", "rb") as f:
            return f.read()
    except OSError:
        return b""


def pytest_sessionstart(session: pytest.Session) -> None:
    _BEFORE.append(_host_table())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    after = _host_table()
    if _BEFORE and after != _BEFORE[0]:
        before = set(_BEFORE[0].splitlines())
        now = set(after.splitlines())
        print("\nHOST MOUNT TABLE CHANGED during the test suite:")
        for line in sorted(before - now):
            print("  - " + line.decode(errors="replace"))
        for line in sorted(now - before):
            print("  + " + line.decode(errors="replace"))
        session.exitstatus = 1
