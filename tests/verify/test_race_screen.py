"""``mountcursor race``'s first screen: an 80-column table whose cells are whole, a legend,
the seed's row BROKEN at every size the command accepts, and the JSON keys the README names."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main


@pytest.mark.parametrize("mounts", [None, "3", "100", "200"])
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


def test_a_race_too_small_for_a_run_of_long_lines_is_refused() -> None:
    res = CliRunner().invoke(main, ["race", "--mounts", "2"])
    assert res.exit_code == 2
    assert ("Invalid value for '--mounts': 2 is too few: the race needs at least 3 mounts, the first run of 3 "
            "long lines, for the seed's failure to show") in res.stderr
    assert "Traceback" not in res.output
