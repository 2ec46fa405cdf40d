"""Replay files (``check --replay`` traces, ``diff-kernel --replay`` scripts) are checked
against their schema before anything runs: a bad file is a usage error (exit 2), one line
naming the file and the field, never a traceback and never a run."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.verify.check import check_cell
from mountcursor.verify.kernel_diff import ScriptFileError, check_script, load_script, run_script
from mountcursor.verify.scenarios import seed_example
from mountcursor.verify.schema import SchemaError
from mountcursor.verify.trace import TraceFileError, load_trace, save_trace, trace_to_json


@pytest.fixture(scope="module")
def trace_json() -> dict:
    cell = check_cell("index", "modern", [seed_example()])
    return trace_to_json(cell.failures["missed"])


def _write(tmp_path, data, name="f.json") -> str:
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return str(p)


def test_a_saved_trace_replays_and_exits_1(tmp_path, trace_json) -> None:
    res = CliRunner().invoke(main, ["check", "--replay", _write(tmp_path, trace_json)])
    assert res.exit_code == 1 and "missed:" in res.stdout


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["scenario"]["mounts"][0].update(length=2.5), "scenario.mounts[0].length: expected one of"),
    (lambda d: d.update(path=[0, 1.0]), "path[1]: expected an integer from 0 to 15, got a number 1.0"),
    (lambda d: d.update(path=[0, True]), "path[1]: expected an integer from 0 to 15, got a boolean True"),
    (lambda d: d.update(strategy="nope"), "strategy: expected one of 'index'"),
    (lambda d: d["scenario"].update(readers=[["mountinfo", -1]]), "scenario.readers[0][1]: expected an integer from 0"),
    (lambda d: d["scenario"].update(readers=[]), "scenario.readers: expected a list of 1 to 8 items, got 0"),
    (lambda d: d["scenario"]["churn"].append({"kind": "rm -rf", "path": "/"}), "churn[1].kind: expected one of"),
    (lambda d: d["scenario"]["mounts"][0].update(path="relative"), "mounts[0].path: expected an absolute path"),
    (lambda d: d.update(extra=1), "unknown field 'extra'"),
    (lambda d: d.pop("ns_lock"), "missing field 'ns_lock'"),
    (lambda d: d.update(version=7), "unsupported trace version 7"),
])
def test_bad_traces_exit_2_naming_the_field(tmp_path, trace_json, edit, message) -> None:
    d = json.loads(json.dumps(trace_json))
    edit(d)
    path = _write(tmp_path, d)
    res = CliRunner().invoke(main, ["check", "--replay", path])
    assert res.exit_code == 2, res.output
    assert res.stderr.startswith(f"mountcursor: {path}: ") and message in res.stderr, res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.output


@pytest.mark.parametrize("data,message", [
    (b"\xff\xfe[]", "byte 0: not UTF-8 text"),
    (b"[" * 100_000, "nested too deeply"),
    (b"[" + b"9" * 5000 + b"]", "not a mountcursor file"),
    (b"{\"version\": 1", "line 1, column 14: not JSON"),
    (b"", "line 1, column 1: not JSON"),
    (b"[]", "top level is not an object"),
])
def test_non_json_traces_exit_2(tmp_path, data, message) -> None:
    res = CliRunner().invoke(main, ["check", "--replay", _write(tmp_path, data)])
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.output


def test_a_trace_whose_schedule_does_not_replay_is_a_usage_error(tmp_path, trace_json) -> None:
    d = dict(trace_json, path=[5] * 3)  # thread 5 does not exist in this scenario
    res = CliRunner().invoke(main, ["check", "--replay", _write(tmp_path, d)])
    assert res.exit_code == 2 and "does not replay" in res.stderr


def test_trace_round_trip(tmp_path, trace_json) -> None:
    t = load_trace(_write(tmp_path, trace_json))
    save_trace(t, str(tmp_path / "again.json"))
    assert json.loads((tmp_path / "again.json").read_text()) == trace_json


@pytest.mark.parametrize("script,message", [
    ([["read", -5]], "operation 0[1]: expected an integer from 0 to 1048576, got an integer -5"),
    ([["read", 2.5]], "operation 0[1]: expected an integer from 0 to 1048576, got a number 2.5"),
    ([["read", True]], "got a boolean True"),
    ([["mount", "/var/tmp/x/y"]], "operation 0[1]: expected a relative path of file names"),
    ([["mount", "../escape"]], "expected a relative path of file names"),
    ([["umount", ".."]], "expected a relative path of file names"),
    ([["bind", "a", "b/../../c"]], "operation 0[2]: expected a relative path of file names"),
    ([["make", "a", "sharedd"]], "operation 0[2]: expected one of 'shared'"),
    ([["lazy", "a\u0000b"]], "without NUL"),
    ([["mount", "x" * 256]], "at most 255 bytes"),
    ([["lseek", -1]], "operation 0[1]: expected an integer from 0"),
    ([["poll", 1, 2]], "'poll' takes 0 argument(s) and an optional stream, got 2"),
    ([["read", 7, 16]], "operation 0[2]: expected an integer from 0 to 15, got an integer 16"),
    ([["open", 0, "mounts", "root"]], "operation 0[1]: expected an integer from 1 to 15"),
    ([["open", 1, "mtab", "root"]], "operation 0[2]: expected one of 'mountinfo'"),
    ([["open", 1, "mounts", "self"]], "operation 0[3]: expected one of 'root', 'chroot', 'pid'"),
    ([["open", 1, "mounts", "chroot"]], "'open' takes 4 argument(s) (a chroot or pid reader's jail last), got 3"),
    ([["open", 1, "mounts", "pid", "/etc"]], "operation 0[4]: expected a relative path of file names"),
    ([["open", 1, "mounts", "root", "j"]], "'open' takes 3 argument(s), got 4"),
    ([["rm", "/"]], "operation 0: expected one of"),
    ({"first_mismatch": None}, "not a script"),
    ("read", "not a script"),
])
def test_bad_scripts_exit_2_before_anything_runs(tmp_path, script, message) -> None:
    path = _write(tmp_path, script)
    with pytest.raises(ScriptFileError, match=None) as err:
        load_script(path)
    assert message in str(err.value)
    res = CliRunner().invoke(main, ["diff-kernel", "--replay", path])
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.output


def test_a_script_cannot_reach_the_host_disk() -> None:
    # the library refuses too, not only the file loader
    with pytest.raises(SchemaError):
        run_script([("mount", b"/var/tmp/mountcursor-hostile")])
    assert not os.path.exists("/var/tmp/mountcursor-hostile")


def test_script_names_keep_their_bytes() -> None:
    assert check_script([["mount", os.fsdecode(b"\xff\xfe sp")], ["read", 7], ["poll"]]) == [
        ("mount", b"\xff\xfe sp"), ("read", 7), ("poll",)]
