"""Only the project's own failures become a one-line error and exit 2 or 3; a bug stays
a bug: its traceback goes up (issue 16: a ValueError from anywhere looked like a usage
error)."""

from __future__ import annotations

import errno

import pytest

from mountcursor.cli.findmnt_cmd import run_line
from mountcursor.findmnt import rows as rows_module
from mountcursor.format import FormatError
from mountcursor.status import BadInput, RunFailed, guarded, output_failed


def _raise(err: BaseException):
    def run() -> None:
        raise err
    return run


@pytest.mark.parametrize("err, status, words", [
    (BadInput("-N/--pid expects a process id, got 'x'"), 2, "-N/--pid expects a process id, got 'x'"),
    (FormatError(3, "mnt_id", "expected a decimal integer"), 2, "line 3, field 'mnt_id': expected a decimal integer"),
    (RunFailed("the table kept changing"), 3, "the table kept changing"),
    (KeyboardInterrupt(), 130, None)])
def test_own_failures_are_one_line(capsys, err, status, words) -> None:
    assert guarded(_raise(err)) == status
    err_text = capsys.readouterr().err
    assert err_text == ("" if words is None else f"mountcursor: {words}\n")


@pytest.mark.parametrize("err", [ValueError("a bug"), OSError(errno.EINVAL, "Invalid argument"), KeyError("x"),
                                 RuntimeError("x")])
def test_anything_else_is_a_bug_with_its_traceback(err) -> None:
    with pytest.raises(type(err)):
        guarded(_raise(err))


def test_a_bug_in_the_engine_is_not_a_usage_error(tmp_path, monkeypatch) -> None:
    f = tmp_path / "mountinfo"
    f.write_bytes(b"1 0 0:1 / / rw - tmpfs t rw\n")

    def broken(cls, data):
        raise ValueError("a bug in the split")

    monkeypatch.setattr(rows_module.Rows, "from_mountinfo", classmethod(broken))
    with pytest.raises(ValueError, match="a bug in the split"):
        run_line("list", ["-F", str(f)])


def test_output_errors_are_runtime_failures_and_others_are_not() -> None:
    full = output_failed(OSError(errno.ENOSPC, "No space left on device"))
    assert isinstance(full, RunFailed) and str(full) == "No space left on device"
    assert output_failed(OSError(errno.EINVAL, "Invalid argument")) is None
    assert output_failed(OSError(errno.ENOSPC, "No space left on device", "/some/file")) is None
