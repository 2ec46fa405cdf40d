"""The engine benchmark's floors (benchmarks/engine.py): the modules a command imports are
read from its own ``-X importtime`` report, and a row's verdict names the floor that
stands in its way."""

from __future__ import annotations

import pytest

engine = pytest.importorskip("benchmarks.engine", reason="the benchmarks are run from the project's root")


def test_a_commands_own_imports_are_the_projects_modules_it_loads() -> None:
    listed = engine.project_imports(["list", "-F", "/dev/null"])
    assert listed[0] == "mountcursor" and all(name.split(".")[0] == "mountcursor" for name in listed)
    assert "mountcursor.findmnt.command" in listed and "mountcursor.live.tabread" in listed  # -F reads a file
    assert "mountcursor.live.procread" not in listed  # ... and not the live table
    assert len(listed) == len(set(listed))


def test_a_verdict_names_the_floor_in_the_way() -> None:
    assert engine._verdict(0.99, 0.5, 0.8, 1.0) == "met"
    assert engine._verdict(1.1, 0.95, 1.05, 1.0) == "not met: the floor is within 10% of it"
    assert engine._verdict(1.1, 0.6, 0.92, 1.0) == "not met: the floor with imports is within 10% of it"
    assert engine._verdict(1.1, 0.6, 0.8, 1.0) == "not met"
    assert engine._verdict(1.1, None, None, 1.0) == "not met"
