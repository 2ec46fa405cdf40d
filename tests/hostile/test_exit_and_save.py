"""Exit statuses (0 / 1 finding / 2 usage / 3 runtime) and ``check --save-traces``: the
destination is checked before exploring, and a finished result is never lost."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main


def test_help_documents_the_exit_statuses() -> None:
    for cmd in ([], ["check"], ["race"], ["diff-kernel"]):
        out = CliRunner().invoke(main, [*cmd, "--help"]).stdout
        text = " ".join(out.split())
        assert "Exit status: 0 success; 1 a property failed" in text, cmd
        assert "2 usage error" in text and "3 runtime error" in text, cmd


def test_check_exit_1_when_a_property_fails_0_when_it_holds() -> None:
    fails = CliRunner().invoke(main, ["check", "--strategy", "index", "--semantics", "modern", "--jobs", "1",
                                      "--random", "3", "--json"])
    assert fails.exit_code == 1 and json.loads(fails.stdout)["cells"][0]["holds"] is False
    holds = CliRunner().invoke(main, ["race", "--strategy", "idtree", "--mounts", "50", "--json"])
    assert holds.exit_code == 0 and all(r["ok"] for r in json.loads(holds.stdout))
    broken = CliRunner().invoke(main, ["race", "--strategy", "index", "--mounts", "300", "--json"])
    assert broken.exit_code == 1 and not any(r["ok"] for r in json.loads(broken.stdout))


@pytest.mark.parametrize("make_bad", ["missing-parent-file", "is-a-file", "read-only"])
def test_save_traces_destination_is_checked_before_exploring(tmp_path, make_bad) -> None:
    if make_bad == "missing-parent-file":
        (tmp_path / "f").write_text("")
        dest = tmp_path / "f" / "sub" / "traces"  # the parent is a file: cannot be created
    elif make_bad == "is-a-file":
        dest = tmp_path / "traces"
        dest.write_text("")
    else:
        if os.geteuid() == 0:
            dest = "/proc/self/traces"  # root writes anywhere else
        else:
            ro = tmp_path / "ro"
            ro.mkdir(mode=0o500)
            dest = ro / "traces"
    res = CliRunner().invoke(main, ["check", "--strategy", "idtree", "--save-traces", str(dest)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    if make_bad == "is-a-file":  # click's own check of the option
        assert f"'--save-traces': Directory '{dest}' is a file" in res.stderr
    else:
        assert res.stderr.startswith(f"mountcursor: --save-traces {dest}: cannot write there:")
    assert res.stdout == ""  # refused before exploring: no matrix


def test_traces_are_saved_and_a_late_save_error_keeps_the_matrix(tmp_path, monkeypatch) -> None:
    dest = tmp_path / "traces"
    args = ["check", "--strategy", "index", "--semantics", "modern", "--jobs", "1", "--random", "2",
            "--save-traces", str(dest), "--json"]
    ok = CliRunner().invoke(main, args)
    assert ok.exit_code == 1 and sorted(os.listdir(dest)) == ["index.5.10+.missed.json"]

    import mountcursor.verify.trace as trace

    def broken_save(t, path):  # the disk fills up after the exploration
        raise OSError(28, "No space left on device", path)

    monkeypatch.setattr(trace, "save_trace", broken_save)
    import mountcursor.cli.check as check_cli

    monkeypatch.setattr(check_cli, "save_trace", broken_save, raising=False)
    late = CliRunner().invoke(main, args)
    assert late.exit_code == 3
    assert json.loads(late.stdout)["cells"][0]["violated"] == ["missed"]  # the result was printed first
    assert late.stderr.endswith("the traces were not saved: No space left on device\n")


def test_the_group_help_carries_the_exit_status_text() -> None:
    from click.testing import CliRunner

    from mountcursor.status import EXIT_STATUS_HELP

    result = CliRunner().invoke(main, ["--help"], terminal_width=10_000)
    assert EXIT_STATUS_HELP in result.output
