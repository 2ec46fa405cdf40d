"""The right backend per table (live/backend.py) and a reader that notices a kernel that
repeats mounts (the 6.8 repeat): the rule on its inputs, snapshot() on a fake mountinfo
that repeats a line, and auto's pick on tables built in a sandbox to favour each method."""

from __future__ import annotations

import dataclasses
import os
import re

import pytest

from mountcursor.findmnt.command import _read_live
from mountcursor.live import backend, reader
from mountcursor.live.backend import choose, line_bound, propagation
from mountcursor.live.reader import RepeatedMountError, repeated_mount, snapshot
from mountcursor.live.syscalls import has_listmount
from mountcursor.status import RunFailed
from mountcursor.verify.sandbox import Sandbox

from .conftest import needs_sandbox

# ---- the rule, a pure function -----------------------------------------------------------


def test_a_flat_table_reads_mountinfo():
    assert choose(1.0, 0, 0, listmount=True) == (
        "mountinfo", "mountinfo 3.4 µs a mount, listmount 14.0, no slave mounts in the sample")
    # a read slowed by the machine, not by the table: no slave, nothing to walk
    assert choose(500.0, 0, 0, listmount=True) == (
        "mountinfo", "mountinfo 502.4 µs a mount, listmount 14.0, no slave mounts in the sample")


def test_slaves_of_one_big_peer_group_read_listmount():
    # 50 µs a line: the peer walk is 48.8 µs of it, asked once for the one master group
    assert choose(50.0, 500, 1, listmount=True) == (
        "listmount", "mountinfo 52.4 µs a mount, listmount 14.1 (500 slaves of 1 master groups in the sample)")


def test_slaves_each_of_its_own_group_gain_nothing_from_listmount():
    # every slave walks its own master's peers: listmount walks them all too
    assert choose(50.0, 500, 500, listmount=True) == ("mountinfo", "mountinfo 52.4 µs a mount, listmount 62.8")


def test_listmount_must_win_by_the_margin():
    # 1,000 slaves of one group: listmount costs LISTMOUNT_US + a thousandth of a walk
    m, lm, parse, flat, s = backend.MARGIN, backend.LISTMOUNT_US, backend.PARSE_LINE_US, backend.FLAT_LINE_US, 1000
    even = (lm * m - parse - m * flat / s) / (1 - m / s)  # listmount x margin == mountinfo
    assert 15 < even < 16
    assert choose(even - 0.01, s, 1, listmount=True)[0] == "mountinfo"
    assert choose(even + 0.01, s, 1, listmount=True)[0] == "listmount"


def test_without_listmount_or_on_a_repeating_kernel():
    assert choose(500.0, 10, 1, listmount=False) == ("mountinfo", "listmount(2) is not available")
    assert choose(0.5, 0, 0, listmount=True, kernel_repeats=True) == (
        "listmount", "this kernel repeats mounts in mountinfo (the 6.8 repeat)")


def test_propagation_counts_slave_lines_and_their_master_groups():
    lines = (b"1 0 0:1 / / rw shared:1 - tmpfs a rw\n"
             b"2 1 0:2 / /a rw master:7 - tmpfs a rw\n"
             b"3 1 0:3 / /b rw shared:2 master:7 - tmpfs a rw\n"
             b"4 1 0:4 / /c\\040master:9 rw master:8 propagate_from:3 - tmpfs a rw\n"
             b"5 1 0:5 / /d rw - tmpfs a rw,x=master:6\n")
    assert propagation(lines) == (3, 2)
    assert propagation(b"") == (0, 0)


def test_line_bound():
    assert line_bound(3, None) == 1030
    assert line_bound(None, 100_000) == 201_024
    assert line_bound(10, 100_000) == 1044
    assert line_bound(None, None) is None


def test_repeated_mount():
    assert repeated_mount(b"1 0 a\n2 1 b\n3 1 c\n") is None
    assert repeated_mount(b"1 0 a\n2 1 b\n2 1 b\n3 1 c\n2 1 b\n1 0 a\n") == (2, 3)
    assert repeated_mount(b"") is None


# ---- snapshot() on a fake mountinfo that repeats a line --------------------------------------

LINE = 64  # bytes a line, so reads of CHUNK bytes hold whole lines
CHUNK = 640


def _line(mnt_id: int, target: str) -> bytes:
    head = f"{mnt_id} 1 0:{mnt_id} / {target}".encode()
    tail = b" rw - tmpfs tmpfs rw\n"
    return head + b"x" * (LINE - len(head) - len(tail)) + tail


@pytest.fixture
def fake_kernel(monkeypatch, tmp_path):
    """snapshot() reads ``tmp_path/mountinfo`` as this thread's mountinfo; listmount
    counts 3 mounts; the kernel has not been seen repeating yet.  Returns a function that
    writes the file: mounts 21 and 22 once, then mount 25 ``copies`` times."""
    if not has_listmount():
        pytest.skip("listmount(2) is not available: the 6.8 repeat needs a 6.8+ kernel")
    path = tmp_path / "mountinfo"
    monkeypatch.setattr(reader, "open_mountinfo", lambda pid="self": (os.open(path, os.O_RDONLY), str(path)))
    monkeypatch.setattr(reader, "_count_mounts", lambda ns_id=0: 3)
    monkeypatch.setattr(reader, "_mount_max", lambda: 3)
    monkeypatch.setattr(reader, "_repeats_seen", [])

    def write(copies: int) -> str:
        path.write_bytes(_line(21, "/") + _line(22, "/a") + _line(25, "/b") * copies)
        assert all(len(line) == LINE for line in path.read_bytes().splitlines(keepends=True))
        return str(path)

    return write


def _message(path: str, copies: int, lines: int, bound: str) -> str:
    return (f"{path} showed mount 25 {copies} times in {lines} lines{bound}: this kernel repeats mounts in mountinfo "
            "(the 6.8 repeat, 6.8 up to 4a403d7aa907 (2eea9ce4310d); fixed by 4a403d7aa907); "
            "read with method='listmount' or 'auto'")


def test_a_runaway_repeat_stops_at_the_bound_and_says_so(fake_kernel):
    path = fake_kernel(100_000)  # 6.4 MB: the read stops after 1,040 lines (2 x 3 + 1,024 passed)
    with pytest.raises(RepeatedMountError) as caught:
        snapshot(method="mountinfo", chunk_size=CHUNK)
    err = caught.value
    assert str(err) == _message(path, "1,038", "1,040", "; stopped past 1,030 lines")
    assert (err.mnt_id, err.copies, err.lines, err.bound) == (25, 1038, 1040, 1030)
    assert isinstance(err, RunFailed) and reader.kernel_repeats()


def test_a_repeat_in_a_pass_that_saw_no_change_is_the_bug(fake_kernel):
    path = fake_kernel(2)  # 4 lines where listmount counts 3, mount 25 twice, and no change seen
    snap = snapshot(method="auto", chunk_size=CHUNK)
    assert (snap.method, snap.note) == ("listmount", _message(path, "2", "4", ""))
    assert reader.kernel_repeats()


def test_auto_switches_to_listmount_on_a_kernel_that_repeats(fake_kernel):
    path = fake_kernel(100_000)
    snap = snapshot(method="auto", chunk_size=CHUNK)
    assert snap.method == "listmount" and snap.consistent and snap.data is None
    assert snap.note == _message(path, "1,038", "1,040", "; stopped past 1,030 lines")
    assert len(snap.table) > 0 and reader.kernel_repeats()
    again = snapshot(method="auto", chunk_size=CHUNK)  # no mountinfo read at all now
    assert (again.method, again.note) == ("listmount", "this kernel repeats mounts in mountinfo (the 6.8 repeat)")


def test_one_copy_of_each_is_read_as_before(fake_kernel):
    fake_kernel(1)
    snap = snapshot(method="auto", chunk_size=CHUNK)
    assert snap.method == "mountinfo" and snap.consistent and not reader.kernel_repeats()
    assert [e.mnt_id for e in snap.table] == [21, 22, 25]
    assert snap.note.startswith("mountinfo ") and snap.note.endswith(" µs a mount, listmount 14.0, no slave mounts "
                                                                     "in the sample")


# ---- auto on live tables built to favour each method --------------------------------------------


def _without_unique_ids(table):
    return [dataclasses.replace(e, unique_id=None, parent_unique_id=None) for e in table]


def test_auto_reads_a_flat_table_with_mountinfo():
    needs_sandbox()
    with Sandbox(n=300) as sb:
        snap = snapshot(sb.pid, method="auto")
        assert snap.method == "mountinfo" and snap.consistent, snap.note
        assert len(snap.table) > 300
        # `mountcursor list --method auto` reads it on its lean path, the same bytes
        assert _read_live(str(sb.pid), "strict", "auto") == snap.data


def test_auto_reads_a_slave_of_a_big_peer_group_with_listmount():
    """10,000 binds of one shared tmpfs, read from a slave copy: every mountinfo line walks
    the 10,000 peers (several hundred µs a line here, once they no longer fit in a cache),
    listmount asks the walk once."""
    needs_sandbox()
    if not has_listmount():
        pytest.skip("listmount(2) is not available")
    with Sandbox(n=0, timeout=120) as sb:
        sb.peer_groups(1, 10_000)
        pid = sb.slave_copy()
        snap = snapshot(pid, method="auto")
        assert snap.method == "listmount" and snap.consistent, snap.note
        assert re.fullmatch(r"mountinfo [0-9.]+ µs a mount, listmount [0-9.]+ \([0-9]+ slaves of 1 master groups in the "
                            r"sample\)", snap.note), snap.note
        assert sum(1 for e in snap.table if e.master is not None) == 10_000
        # `mountcursor list --method auto` leaves its lean mountinfo path for snapshot()
        assert _read_live(str(pid), "strict", "auto") is None  # (a whole mountinfo read takes seconds here)


def test_listmount_asks_propagate_from_once_a_group_and_gets_mountinfo_s_table():
    needs_sandbox()
    if not has_listmount():
        pytest.skip("listmount(2) is not available")
    with Sandbox(n=0) as sb:
        sb.peer_groups(10, 20)
        pid = sb.slave_copy()
        by_listmount = snapshot(pid, method="listmount")
        whole = snapshot(pid, method="mountinfo")
        assert by_listmount.consistent and whole.consistent
        assert _without_unique_ids(by_listmount.table) == list(whole.table)
        assert len({e.master for e in whole.table if e.master is not None}) == 10
        # listmount once, a statmount a mount, and one more for each of the 10 master groups
        assert by_listmount.reads == 1 + len(whole.table) + 10


def test_list_on_a_kernel_that_repeats(fake_kernel, monkeypatch, capsys):
    """`mountcursor list --method mountinfo` says it in one line and exits 3; `--method
    auto` (the default) prints the table listmount reads."""
    from mountcursor.cli import main
    from mountcursor.live import procread

    path = fake_kernel(300_000)  # 19 MB: the lean path and snapshot() both stop after 1,030 + a read
    monkeypatch.setattr(procread, "open_mountinfo", reader.open_mountinfo)
    monkeypatch.setattr(procread, "mount_max", lambda: 3)
    with pytest.raises(SystemExit) as done:
        main(["list", "--method", "mountinfo", "-o", "TARGET"])
    out, err = capsys.readouterr()
    assert (done.value.code, out) == (3, "")
    # 64 KiB reads of 1,024 lines: the second passes the bound
    assert err == "mountcursor: " + _message(path, "2,046", "2,048", "; stopped past 1,030 lines") + "\n"
    with pytest.raises(SystemExit) as done:
        main(["list", "-o", "TARGET"])
    out, err = capsys.readouterr()
    assert (done.value.code, err) == (0, "")
    lines = out.splitlines()  # this process's own table, read with listmount
    assert lines[0] == "TARGET" and "/" in lines[1:] and len(lines) == len(snapshot(method="listmount").table) + 1


def test_propagate_from_asked_once_a_group_is_what_mountinfo_prints():
    """issue 20's jail: c is a slave of a group whose members are all outside the reader's
    root, and whose master group has d inside it: ``propagate_from`` names d's group.  A
    second slave of c's master (e) takes the answer asked for c; a slave of d's group (f)
    needs its own.  Read by a reader chrooted into the jail, both ways."""
    needs_sandbox()
    if not has_listmount():
        pytest.skip("listmount(2) is not available")
    with Sandbox(n=0) as sb:
        sb.mount_tmpfs(b"src")
        sb.make(b"src", "shared")
        sb.bind(b"src", b"jail/d")
        sb.bind(b"src", b"mid")
        sb.make(b"mid", "slave")
        sb.make(b"mid", "shared")
        for name in (b"jail/c", b"jail/e"):
            sb.bind(b"mid", name)
            sb.make(name, "slave")
        sb.bind(b"src", b"jail/f")
        sb.make(b"jail/f", "slave")
        sb.mount(b"proc", b"jail/proc", b"proc")
        by_mountinfo = sb.snapshot_chrooted(b"jail", method="mountinfo")
        by_listmount = sb.snapshot_chrooted(b"jail", method="listmount")
    lines = {e.target: e for e in by_mountinfo.table}
    assert sorted(lines) == [b"/c", b"/d", b"/e", b"/f", b"/proc"]
    d, c, e, f = lines[b"/d"], lines[b"/c"], lines[b"/e"], lines[b"/f"]
    assert c.master == e.master != d.shared and c.propagate_from == e.propagate_from == d.shared
    assert f.master == d.shared and f.propagate_from is None
    assert _without_unique_ids(by_listmount.table) == list(by_mountinfo.table)
    # 1 listmount, 5 statmounts, and the walk asked for 2 master groups (c's, f's)
    assert by_listmount.reads == 1 + 5 + 2


def test_a_pass_counts_lines_only_once_it_may_hold_too_many():
    """read_pass() counts no line before a pass holds bytes enough for more than its bound
    (SHORTEST_LINE each, the shortest line show_mountinfo() prints), and then stops at the
    first read past the bound: here, of lines that short, at the 101st of a bound of 100."""
    from mountcursor.live.procread import SHORTEST_LINE, TooManyLines, change_poller, read_pass

    shortest = b"1 1 0:0 / / rw - x  rw\n"
    assert len(shortest) == SHORTEST_LINE
    for lines, raises in ((100, False), (101, True)):
        r, w = os.pipe()
        os.write(w, shortest * lines)
        os.close(w)
        try:
            if raises:
                with pytest.raises(TooManyLines) as caught:
                    read_pass(r, SHORTEST_LINE, change_poller(r), 100)
                assert (caught.value.lines, caught.value.bound) == (101, 100)
                assert caught.value.data == shortest * 101
            else:
                assert read_pass(r, SHORTEST_LINE, change_poller(r), 100) == (shortest * 100, 101, False)
        finally:
            os.close(r)
