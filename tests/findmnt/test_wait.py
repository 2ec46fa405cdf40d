"""``mountcursor wait`` without a sandbox: its matching against findmnt's on saved tables,
its timeout on a clock the test drives (``watcher._clock``, ``Watch._wait``: no test
sleeps), its one-line errors and its options taken from the one options table.

The waits in a private mount namespace (a mount between the first read and the first
poll, churn, umount, timeout, --json against ``list -J``) are in
``tests/live/test_live_wait.py``."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.findmnt.options import option
from mountcursor.findmnt.select import Query
from mountcursor.findmnt.wait import Awaited, rows_of
from mountcursor.live.table import MountTable
from mountcursor.live.watcher import Watch

watch_module = importlib.import_module("mountcursor.live.watcher")
wait_module = importlib.import_module("mountcursor.findmnt.wait")

FIXTURES = sorted(p for p in (Path(__file__).parent.parent / "fixtures").iterdir()
                  if p.name.startswith("util-linux-") and b" - " in p.read_bytes())


# ---- matching: findmnt -M/-t/-O/-S on the same table ----------------------------------------


def _findmnt_ids(path: Path, args: list[str]) -> list[int]:
    findmnt = shutil.which("findmnt")
    if findmnt is None:
        pytest.skip("findmnt (util-linux) is not installed")
    out = subprocess.run([findmnt, "-F", str(path), "-l", "-n", "-o", "ID", *args], capture_output=True,
                         env={**os.environ, "LC_ALL": "C"}, check=False).stdout
    return [int(word) for word in out.split()]


def _queries(table: MountTable) -> list[tuple[list[str], Query]]:
    """findmnt's arguments and the wait's query, for every mount point, type and source
    of ``table``, a path below a mount point, and option lists."""
    out: list[tuple[list[str], Query]] = []
    for target in sorted({e.target for e in table.entries}):
        text = os.fsdecode(target)
        out.append((["-M", text], Query(target=text, strict_target=True)))
    for fstype in sorted({e.fstype for e in table.entries}):
        text = os.fsdecode(fstype)
        out.append((["-t", text], Query(types=text)))
        out.append((["-t", "no" + text], Query(types="no" + text)))
    for source in sorted({e.source for e in table.entries})[:8]:
        text = os.fsdecode(source)
        out.append((["-S", text], Query(source=text)))
    for opts in ("ro", "noexec,nosuid", "relatime", "rw,mode=755"):
        out.append((["-O", opts], Query(options=opts)))
    out.append((["-M", "/proc/nonexistent-below"], Query(target="/proc/nonexistent-below", strict_target=True)))
    out.append((["-t", "proc", "-M", "/proc"], Query(types="proc", target="/proc", strict_target=True)))
    return out


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_the_wait_matches_what_findmnt_matches(path: Path) -> None:
    """On each saved table, the mounts a wait would take as there are the mounts
    ``findmnt -F FILE`` selects with the same -M/-t/-O/-S; present and gone are each
    other's opposites."""
    table = MountTable.from_file(path)
    rows = rows_of(table, None)
    checked = 0
    for args, query in _queries(table):
        hits = Awaited(query).hits(rows)
        assert [rows.ids[i] for i in hits] == _findmnt_ids(path, args), args
        assert Awaited(query, present=False).hits(rows) == hits
        checked += 1
    assert checked > 10


def test_a_path_below_a_mount_point_is_no_mount_point() -> None:
    """findmnt -T finds the mount holding a path; a wait for a mount at the path must
    not take that mount (it would end at once): -T means a mount at PATH."""
    table = MountTable.from_file(FIXTURES[0])
    rows = rows_of(table, None)
    assert Awaited(Query(target="/proc/self", strict_target=True)).hits(rows) == []
    assert [rows.targets[i] for i in Awaited(Query(target="/proc/", strict_target=True)).hits(rows)] == [b"/proc"]


# ---- the timeout, on a driven clock -----------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """The watch's clock is the test's (``now``); each poll takes the time it was given
    (``polls``) and reports nothing, or a change when ``changed`` is set."""
    c = SimpleNamespace(now=1000.0, polls=[], changed=False)
    monkeypatch.setattr(watch_module, "_clock", lambda: c.now)

    def _wait(self: Watch, seconds: float) -> tuple[bool, bool]:
        c.polls.append(seconds)
        c.now += seconds
        return c.changed, False

    monkeypatch.setattr(Watch, "_wait", _wait)
    return c


@pytest.fixture
def checks(monkeypatch):
    """Each table the wait checked: (its number, the matching rows' targets)."""
    seen: list[tuple[int, list[bytes]]] = []

    def checked(n: int, rows, hits: list[int]) -> None:
        seen.append((n, [rows.targets[i] for i in hits]))

    monkeypatch.setattr(wait_module, "_checked", checked)
    return seen


def test_the_timeout_exits_1_at_its_time(clock, checks) -> None:
    result = CliRunner().invoke(main, ["wait", "-w", "1500", "/nonexistent/mount/point"])
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "")
    assert clock.now == pytest.approx(1001.5)
    assert sum(clock.polls) == pytest.approx(1.5) and max(clock.polls) <= watch_module._TICK
    assert checks == [(0, [])]  # the first table, then nothing changed


def test_changes_that_do_not_match_wait_on_until_the_timeout(clock, checks, monkeypatch) -> None:
    """Every poll reports a change (the table is read again each time, at most once per
    interval): none matches, so the timeout ends it, at its time."""
    clock.changed = True
    reads: list[float] = []
    real_read = Watch.read

    def read(self: Watch) -> object:
        reads.append(clock.now)
        return real_read(self)

    monkeypatch.setattr(Watch, "read", read)
    # each poll takes its whole tick (0.25 s, more than the 0.1 s interval): the watch
    # never has to pause for the interval (its pause is not on this clock)
    result = CliRunner().invoke(main, ["wait", "-w", "1000", "-t", "zzfs"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert clock.now == pytest.approx(1001.0)
    assert reads == pytest.approx([1000.25, 1000.5, 1000.75])  # at 1001.0 the timeout comes first
    assert checks == [(0, [])]  # read again and again, the same table: no batch to check


def test_a_mount_already_there_answers_at_once(clock, checks) -> None:
    result = CliRunner().invoke(main, ["wait", "-w", "1500", "/"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert clock.polls == [] and clock.now == 1000.0 and checks == [(0, [b"/"])]


def test_gone_when_nothing_matches_answers_at_once(clock, checks) -> None:
    result = CliRunner().invoke(main, ["wait", "--gone", "-J", "-w", "1500", "-t", "zzfs"])
    assert (result.exit_code, result.stdout) == (0, "")  # nothing went: nothing printed
    assert clock.polls == [] and checks == [(0, [])]
    result = CliRunner().invoke(main, ["wait", "--unmounted", "-w", "700", "/"])
    assert result.exit_code == 1 and clock.now == pytest.approx(1000.7)


def test_a_zero_timeout_checks_once_and_never_polls(clock, checks) -> None:
    assert CliRunner().invoke(main, ["wait", "-w", "0", "/nonexistent"]).exit_code == 1
    assert CliRunner().invoke(main, ["wait", "-w", "0", "/"]).exit_code == 0
    assert clock.polls == [] and checks == [(0, []), (0, [b"/"])]


# ---- bad input: one line, exit 2 ---------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    ([], "wait for what? Give a PATH or a filter (-t, -O, -S, -T, -M)"),
    (["-t", ""], "-t/--types: empty type in ''"),
    (["-t", "ext4,,xfs"], "-t/--types: empty type in 'ext4,,xfs'"),
    (["-t", "no"], "-t/--types: empty type in 'no'"),
    (["-t", "ext4, xfs"], "-t/--types: type ' xfs' in 'ext4, xfs' has a blank or a control character"),
    (["-O", "rw,no"], "-O/--options: a lone 'no' in 'rw,no' names no option"),
    (["-w", "abc", "/"], "-w/--timeout expects milliseconds (an integer >= 0), got 'abc'"),
    (["-w", "1.5", "/"], "-w/--timeout expects milliseconds (an integer >= 0), got '1.5'"),
    (["-w", "2147483648", "/"],
     "-w/--timeout expects milliseconds (an integer from 0 to 2147483647), got '2147483648'"),
    (["-o", "TARGET,NOPE", "/"], "-o/--output: unknown column: NOPE"),
    (["-T", "/a", "-M", "/b"], "-T/--target and -M/--mountpoint cannot be used together"),
    (["-M", "/b", "/a"], "PATH and -M/--mountpoint cannot be used together"),
    ([""], "the mount point to wait for is empty"),
    (["-N", "abc", "/"], "-N/--pid expects a process id, got 'abc'"),
    (["-N", "999999999", "/"], "process 999999999 does not exist (or has exited)"),
])
def test_bad_input_is_one_line_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["wait", *args])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"mountcursor: {message}\n")


def test_shared_options_come_from_the_one_options_table() -> None:
    """-t, -O, -S, -o and -N are list's options: the same names, metavar and help."""
    from mountcursor.cli.wait_cmd import wait_cmd

    params = {p.name: p for p in wait_cmd.params}
    for dest in ("types", "opts", "source", "output", "pid", "as_json", "target", "mountpoint", "poll_timeout"):
        opt = option(dest)
        assert params[dest].opts + params[dest].secondary_opts == list(opt.names)
        assert params[dest].metavar == opt.metavar
    for dest in ("types", "opts", "source", "output", "pid"):
        assert params[dest].help == option(dest).help


def test_wait_for_says_what_answered(clock) -> None:
    """The library call: the first table answers a mount already there (no poll); a
    wait for it to go runs into the timeout (None); one for a type nobody has is
    answered gone at once, with no mount to show."""
    from mountcursor.findmnt.wait import CONSISTENCY, wait_for
    from mountcursor.live.watcher import watch

    got = wait_for(watch(timeout=1.0, consistency=CONSISTENCY), Awaited(Query(target="/", strict_target=True)),
                   os.getpid())
    assert got is not None and (got.at_start, got.reads) == (True, 1)
    assert got.shown.targets[-1:] == [b"/"] and got.shown.tids == [os.getpid()] * len(got.shown)
    assert wait_for(watch(timeout=1.0, consistency=CONSISTENCY),
                    Awaited(Query(target="/", strict_target=True), present=False), None) is None
    gone = wait_for(watch(timeout=1.0, consistency=CONSISTENCY), Awaited(Query(types="zzfs"), present=False), None)
    assert gone is not None and (gone.at_start, gone.reads, len(gone.shown)) == (True, 1, 0)
    assert clock.polls and sum(clock.polls) == pytest.approx(1.0)  # only the second one polled, to its timeout


@pytest.mark.parametrize("command, name", [("wait", n) for n in ("-t", "-O", "-S", "-T", "-M", "-w", "-o", "-N")]
                         + [("watch", n) for n in ("-t", "-O", "-T", "-M", "-w", "-o", "-N")])
def test_an_option_of_the_table_without_its_value_is_a_usage_error(command: str, name: str) -> None:
    """A value option taken from the one options table needs its value, as in list and
    findmnt: `wait -t` was `wait` (the -t dropped), `wait / -o` ignored -o and `watch -w`
    watched forever."""
    before = ["/"] if command == "wait" else ["-w", "0"] if name == "-N" else ["-N", "999999999"]  # no hang
    result = CliRunner().invoke(main, [command, *before, name])
    assert result.exit_code == 2
    assert result.stderr.endswith(f"Error: Option '{name}' requires an argument.\n")
