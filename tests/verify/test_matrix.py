"""The verdict matrix over the default scope, found by exploration (never written down).

One exploration of the default scope, shared by the tests: every strategy on 3.10 and
5.10+, and on 4.19-5.9 the two strategies that kernels of that seq_file ran (``index``
up to 5.7, ``cursor`` in 5.8 and 5.9); ``mountcursor check`` runs the whole column.
It is the suite's one long exploration: marked ``slow`` (``-m "not slow"`` leaves it
out), and bounded by the default scope itself.
"""

from __future__ import annotations

import pytest

from mountcursor.kernel.iterators import STRATEGIES
from mountcursor.kernel.seqfile import SEMANTICS
from mountcursor.verify.check import Cell, check_cells
from mountcursor.verify.explain import explain
from mountcursor.verify.scenarios import default_scope
from mountcursor.verify.trace import format_trace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def matrix() -> dict[tuple[str, str], Cell]:
    pairs = [(s, sem) for s in STRATEGIES for sem in SEMANTICS if sem != "4.19-5.9" or s in ("index", "cursor")]
    cells = check_cells(pairs, default_scope(), jobs=2)
    return {(c.strategy, c.semantics): c for c in cells}


def test_index_misses_on_both_semantics(matrix: dict[tuple[str, str], Cell]) -> None:
    for sem in SEMANTICS:  # 3.10, and 4.19-5.7 (the 4.19-5.9 seq_read), and 5.10+
        assert "missed" in matrix["index", sem].violated
        assert "seed-example[mountinfo:0]" in matrix["index", sem].failing_scenarios["missed"]


def test_mainline_cursor_fails_on_3_10_holds_on_its_own_kernels(matrix: dict[tuple[str, str], Cell]) -> None:
    """The 5.8 ops hold on the 5.8 seq_read (4.19-5.9) and on 5.10+, fail on 3.10."""
    assert "twice" in matrix["cursor", "3.10"].violated
    for sem in ("4.19-5.9", "5.10+"):
        assert matrix["cursor", sem].holds and matrix["cursor", sem].exhausted


def test_idtree_68_repeats_idtree_holds(matrix: dict[tuple[str, str], Cell]) -> None:
    assert matrix["idtree-6.8", "5.10+"].violated == ["twice"]
    assert matrix["idtree", "5.10+"].holds and matrix["idtree", "3.10"].holds


def test_the_seed_is_on_trial(matrix: dict[tuple[str, str], Cell]) -> None:
    """cursor-vz holds in the seed's own scenario, on modern, and nowhere else on legacy:
    long records make it repeat a mount (forever, with records longer than every read) and a
    page-sized record after a split one is skipped.  The mnt_id check changes nothing here."""
    vz = matrix["cursor-vz", "3.10"]
    assert vz.violated == ["livelock", "missed", "twice"]
    assert "seed-example[mountinfo:0]" not in sum(vz.failing_scenarios.values(), [])
    assert matrix["cursor-vz", "5.10+"].holds
    assert matrix["cursor-vz-id", "3.10"].violated == vz.violated
    fixed = matrix["cursor-vz-fixed", "3.10"]
    assert fixed.holds and fixed.exhausted and fixed.schedules > 1000
    t = vz.failures["missed"]
    text = format_trace(t, explain("cursor-vz", "3.10", ["missed"]))
    assert "never shown" in text and "Fix (cursor-vz-fixed)" in text
