"""``mountcursor race``'s first screen: an 80-column table whose cells are whole, a legend,
the seed's row BROKEN at every size the command accepts, and the JSON keys the README names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from mountcursor.cli.app import main
from mountcursor.cli.race import LEGEND, print_table
from mountcursor.verify.race import RaceConfig, RaceRow

README = Path(__file__).resolve().parents[2] / "README.md"


def _row(strategy: str, semantics: str, n: int, ok: bool, eof: bool = True) -> RaceRow:
    return RaceRow(strategy=strategy, semantics=semantics, reads=n, lines=n, present_throughout=n,
                   missed=0 if ok else n, duplicated=0 if ok else n, malformed=0 if eof else 1,
                   cursors_left=0 if ok else -1, eof=eof, ok=ok, missed_examples=[], duplicated_examples=[])


def test_the_table_fits_80_columns_with_every_cell_whole() -> None:
    """The widest cells there can be (the longest strategy and semantics names, six-digit
    counts of a 100,000-mount race, BROKEN, EOF no) on an 80-column console."""
    rows = [_row("cursor-vz-fixed", "4.19-5.9", 123456, ok=False, eof=False), _row("idtree", "5.10+", 7, ok=True)]
    out = Console(width=80, record=True, color_system=None, force_terminal=True)
    print_table(out, rows, RaceConfig(mounts=100_000), 1.25)
    text = out.export_text()
    lines = text.splitlines()
    assert "…" not in text
    assert max(len(line) for line in lines) <= 80
    assert [line.rstrip() for line in lines[:6]] == [
        "        race: 100000 mounts, read(1024), 3 long lines every 50, seed 1",
        "strategy        seq_file  lines present missed  twice torn cursors EOF verdict",
        "─" * 78,
        "cursor-vz-fixed 4.19-5.9 123456  123456 123456 123456    1      -1  no BROKEN",
        "idtree          5.10+         7       7      0      0    0       0 yes ok",
        "1.2 s",
    ]
    assert "\n".join(lines[6:]) + "\n" == LEGEND


def test_the_live_row_fits_too() -> None:
    """``--live`` adds a row whose semantics is the kernel's release, wider than the column:
    the cell says ``live`` and the legend names the release."""
    rows = [_row("cursor-vz-fixed", "4.19-5.9", 99999, ok=True), _row("kernel", "6.18.44-fc-v657", 99999, ok=True)]
    out = Console(width=80, record=True, color_system=None, force_terminal=True)
    print_table(out, rows, RaceConfig(), 0.5)
    lines = out.export_text().splitlines()
    assert "…" not in "\n".join(lines) and max(len(line) for line in lines) <= 80
    assert lines[4].rstrip() == "kernel          live     99999   99999      0     0    0       0 yes ok"
    assert lines[-2:] == ["kernel   live: the running kernel, in a private mount namespace (its table has",
                          "         no long lines); uname -r: 6.18.44-fc-v657"]


def test_the_legend_says_what_eof_no_torn_and_present_mean_here_and_in_the_readme() -> None:
    for word in ("present ", "torn ", "EOF no ", "cursors ", "twice ", "missed "):
        assert any(line.startswith(word) for line in LEGEND.splitlines()), word
    readme = README.read_text()
    assert "\n".join("  " + line for line in LEGEND.splitlines()) in readme


@pytest.mark.parametrize("mounts", [None, "4", "100", "200"])
def test_the_seeds_row_is_broken_at_every_size(mounts: str | None) -> None:
    """Found by the run: the seed (``cursor-vz`` on 3.10) repeats a line at the default
    size and at the small ones a user tries first; the one-line fix does not."""
    size = ["--mounts", mounts] if mounts else []
    res = CliRunner().invoke(main, ["race", "--json", *size, "--strategy", "cursor-vz",
                                    "--strategy", "cursor-vz-fixed", "--semantics", "3.10"])
    assert res.exit_code == 1, res.output
    rows = {r["strategy"]: r for r in json.loads(res.stdout)}
    assert rows["cursor-vz"]["ok"] is False and rows["cursor-vz"]["duplicated"] > 0
    assert rows["cursor-vz-fixed"]["ok"] is True and rows["cursor-vz-fixed"]["duplicated"] == 0


@pytest.mark.parametrize("mounts", ["4", "5", "100", "200"])
def test_small_races_are_broken_exactly_where_check_fails(mounts: str) -> None:
    """As tests/kernel/test_procfs_race.py does at the default 2000 mounts: every row, from
    the smallest race accepted (``idtree-6.8`` read ok below about 200 mounts)."""
    from tests.verify.test_matrix import EXPECTED

    res = CliRunner().invoke(main, ["race", "--json", "--mounts", mounts])
    assert res.exit_code == 1, res.output
    broken = {(r["strategy"], r["semantics"]) for r in json.loads(res.stdout) if not r["ok"]}
    assert broken == set(EXPECTED)


def test_a_race_too_small_for_every_failure_is_refused() -> None:
    res = CliRunner().invoke(main, ["race", "--mounts", "3"])
    assert res.exit_code == 2
    assert ("Invalid value for '--mounts': 3 is too few: the race needs at least 4 mounts (a run of 3 long "
            "lines and a short one) for every failure to show") in res.stderr
    assert "Traceback" not in res.output


def test_the_json_keys_are_those_the_readme_names() -> None:
    res = CliRunner().invoke(main, ["race", "--json", "--mounts", "4", "--strategy", "idtree", "--semantics", "5.10+"])
    assert res.exit_code == 0, res.output
    (row,) = json.loads(res.stdout)
    sentence = re.search(r"`--json` prints the rows as a list of objects with the keys (.*?)\.\s", README.read_text(),
                         re.S)
    assert sentence is not None
    named = re.findall(r"`(\w+)`", sentence.group(1))
    assert named == list(row)
    assert row["ok"] is True and "verdict" not in row
