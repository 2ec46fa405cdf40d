"""The cases the fuzzers and the hunt found beyond the issue's list, one test each."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mountcursor import format as fmt
from mountcursor.cli.app import main
from mountcursor.live.parse import parse_mountinfo
from mountcursor.live.table import MountTable
from mountcursor.verify.kernel_diff import ScriptFileError, load_script
from mountcursor.verify.trace import TraceFileError, load_trace

GOOD = b"1 0 0:1 / / rw - tmpfs tmpfs rw\n"


def test_a_number_of_5000_digits_skips_its_line_not_the_table() -> None:
    # was: ValueError from int() (Python's 4300-digit limit) lost the whole table
    data = GOOD + b"2 " + b"9" * 5000 + b" 0:2 / /a rw - tmpfs tmpfs rw\n" + b"3 1 0:3 / /b rw - tmpfs tmpfs rw\n"
    res = parse_mountinfo(data)
    assert [e.mnt_id for e in res.entries] == [1, 3]
    assert str(res.errors[0]) == "line 2, field 'parent_id': a number of 5000 digits (at most 20)"
    tag = b"4 1 0:4 / /c rw master:" + b"7" * 5000 + b" - tmpfs tmpfs rw\n"
    assert parse_mountinfo(GOOD + tag).entries[1].extra_tags == (b"master:" + b"7" * 5000,)


def test_strict_parsers_refuse_huge_numbers_with_format_error() -> None:
    with pytest.raises(fmt.FormatError, match="field 'mnt_id'.*out of range 0..2147483647"):
        fmt.parse_mountinfo(b"9" * 5000 + b" 0 0:1 / / rw - tmpfs tmpfs rw\n")


def test_a_trace_file_of_endless_zeros_is_refused_after_64_mib() -> None:
    with pytest.raises(TraceFileError, match="larger than 64 MiB"):
        load_trace("/dev/zero")


@pytest.mark.parametrize("doc,message", [
    ([[[]]], "operation 0: expected one of"),  # was: TypeError, unhashable list
    ([["mount", "\ud800"]], "lone surrogates are not bytes"),  # was: UnicodeEncodeError from os.fsencode
])
def test_scripts_that_crashed_the_loader(tmp_path, doc, message) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps(doc))
    with pytest.raises(ScriptFileError, match=message):
        load_script(str(f))


def test_umount_of_a_name_never_made_agrees(tmp_path) -> None:
    # the kernel said ENOENT, the model EINVAL: was reported as a mismatch (the script's fault)
    from mountcursor.verify.sandbox import sandbox_unavailable

    if sandbox_unavailable():
        pytest.skip(sandbox_unavailable())
    f = tmp_path / "s.json"
    f.write_text('[["umount", "never"], ["lazy", "never2"], ["read", 65536]]')
    res = CliRunner().invoke(main, ["diff-kernel", "--replay", str(f)])
    assert res.exit_code == 0 and res.stdout.endswith("agreed\n")


@pytest.mark.parametrize("args,message", [
    (["-N", "\u0661"], "mountcursor: -N/--pid expects a process id, got '\u0661'"),  # was: read pid 1
    (["-N", "\u00b2"], "mountcursor: -N/--pid expects a process id, got '\u00b2'"),  # was: int() message
])
def test_non_ascii_pids_are_refused(args, message) -> None:
    res = CliRunner().invoke(main, ["list", *args])
    assert res.exit_code == 2 and res.stderr == message + "\n"


@pytest.mark.parametrize("args,status,message", [
    (["-o", ""], 1, "mountcursor: -o '': no column named\n"),  # was: a blank line per mount, status 0
    (["-o", "TARGET,"], 1, "mountcursor: unknown column: TARGET,\n"),  # was: accepted (findmnt's status 1)
])
def test_empty_column_lists_are_refused_as_findmnt_does(args, status, message) -> None:
    res = CliRunner().invoke(main, ["list", *args])
    assert res.exit_code == status and res.stderr == message


@pytest.mark.parametrize("option", ["-S", "-t"])
def test_an_empty_source_or_type_matches_nothing_as_findmnt(tmp_path, option) -> None:
    f = tmp_path / "t"
    f.write_bytes(GOOD)
    res = CliRunner().invoke(main, ["list", "-F", str(f), option, ""])
    assert res.exit_code == 1 and res.stdout == ""  # was: every mount


def test_a_cycle_next_to_a_duplicate_is_counted_right() -> None:
    t = MountTable.from_bytes(GOOD + b"2 1 0:2 / /a rw - t s rw\n2 1 0:3 / /x rw - t s rw\n"
                              b"7 8 0:4 / /b rw - t s rw\n8 7 0:5 / /b/c rw - t s rw\n")
    assert t.problems()[-1] == "2 mounts are on a parent cycle (no way up to a root): ids 7, 8"  # was: "1 mounts"


def test_diff_kernel_save_destination_is_checked_first(tmp_path) -> None:
    (tmp_path / "file").write_text("")
    res = CliRunner().invoke(main, ["diff-kernel", "--scripts", "1", "--save", str(tmp_path / "file" / "x.json")])
    assert res.exit_code == 2 and res.stderr.startswith(f"mountcursor: --save {tmp_path / 'file' / 'x.json'}: ")


def test_a_closed_stdout_is_a_runtime_error_not_a_traceback() -> None:
    import os
    import subprocess
    import sys

    code = "from mountcursor.cli import main; main(['list'], prog_name='mountcursor')"
    done = subprocess.run([sys.executable, "-c", code], stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1),
                          timeout=60)
    assert done.returncode == 3  # was: AttributeError: 'NoneType' object has no attribute 'buffer'
    assert done.stderr == b"mountcursor: standard output is closed\n"


def test_ctrl_c_exits_130_not_1() -> None:
    import signal
    import subprocess
    import sys
    import time

    code = ("import sys\nfrom mountcursor.cli import main\nsys.stderr.write('started\\n')\nsys.stderr.flush()\n"
            "main(['race', '--mounts', '20000'], prog_name='mountcursor')")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stderr is not None and proc.stderr.readline() == b"started\n"  # imports done: Python handles SIGINT
    time.sleep(0.5)  # inside the race (20,000 mounts take seconds)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130  # was: click's "Aborted!" and 1, the status of a finding
    assert b"Traceback" not in err and b"Aborted" not in err


def test_a_full_disk_on_output_is_a_runtime_error() -> None:
    import subprocess
    import sys

    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-c", "from mountcursor.cli import main; main(['list'])"],
                              stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert done.returncode == 3 and done.stderr == b"mountcursor: No space left on device\n"  # was: 2, a usage error
