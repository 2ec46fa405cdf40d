"""Round 2 of the hostile inputs (issue 19): paths the kernel never prints (relative, with a
NUL), parent cycles, and costs that must stay linear in the input.

Costs are counted, not timed: :mod:`.costcount` adds up the bytes each operation touches,
and the work for twice the input must stay near twice the work.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main

from mountcursor.live.entry import MountEntry
from mountcursor.live.table import MountTable, ancestor_ends

from .costcount import WORK, counted
from .test_fuzz_tables import hang_guard

FINDMNT = shutil.which("findmnt")
needs_findmnt = pytest.mark.skipif(FINDMNT is None, reason="findmnt (util-linux) is not installed")


def run_both(path: str, *args: str) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    """``mountcursor CMD -F path args`` (in this process, a hang stopped by an alarm) and
    the same findmnt command line."""
    cmd, *rest = args
    with hang_guard():
        res = CliRunner().invoke(main, [cmd, "-F", path, *rest])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exc_info
    ours = subprocess.CompletedProcess([cmd], res.exit_code, res.stdout_bytes, res.stderr_bytes)
    theirs = subprocess.run([FINDMNT or "findmnt", "-F", path, *(["-l"] if cmd == "list" else []), *rest],
                            capture_output=True, timeout=60)
    return ours, theirs


def entry(mnt_id: int, parent_id: int, target: bytes, source: bytes = b"t") -> MountEntry:
    return MountEntry(mnt_id, parent_id, 0, mnt_id, b"/", target, b"rw", b"tmpfs", source, b"rw")


# ---- relative mount points: were an endless loop ----------------------------------------------

def test_the_directories_above_a_path() -> None:
    def above(p: bytes) -> list[bytes]:
        return [p[:i] for i in ancestor_ends(p)]

    assert above(b"/a/b/c") == [b"/a/b", b"/a", b"/"]
    assert above(b"/") == [] and above(b"a") == [] and above(b"") == []
    assert above(b"a/b") == [b"a"]                 # was: b"a" for ever
    assert above(b"/a//b") == [b"/a/", b"/a", b"/"]
    assert above(b"//") == [b"/"]


@needs_findmnt
@pytest.mark.parametrize("cmd", ["list", "tree"])
@pytest.mark.parametrize("table", [
    b"2 1 0:2 / a/b rw - tmpfs t rw\n",
    b"1 0 0:1 / / rw - tmpfs r rw\n2 9 0:2 / a/b rw - tmpfs t rw\n3 2 0:3 / a/b/c rw - tmpfs u rw\n",
    b"2 1 0:2 / a rw - tmpfs t rw\n3 7 0:3 / a/b rw - tmpfs u rw\n",
])
def test_relative_mount_points_end_and_print_as_findmnt(tmp_path, cmd, table) -> None:
    f = tmp_path / "mountinfo"
    f.write_bytes(table)
    ours, theirs = run_both(str(f), cmd)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout)


def test_relative_mount_points_in_problems() -> None:
    table = MountTable([entry(2, 1, b"a"), entry(3, 7, b"a/b"), entry(4, 8, b"c/d"), entry(5, 9, b"/a/b")])
    # a/b is under a, which is listed: its parent should have been; c/d and /a/b are not
    with hang_guard():
        assert [e.mnt_id for e in table.orphans] == [3]
    assert [e.mnt_id for e in table.outside_root] == [2, 4, 5]
    assert table.problems() == ["line 0: mount 3 at 'a/b': parent 7 missing"]


# ---- the orphan check is linear in the bytes of the table ---------------------------------------

def orphan_work(depth: int, roots: int, fillers: int) -> int:
    """The work of the orphan check on ``roots`` mounts down ``/d/d/...`` whose parents are
    missing, in a table without ``/`` and with mounts at ``fillers`` depths of
    ``/e/e/...``: every directory above a root has the length of one of them, so each is
    a candidate, and none is one."""
    entries = [entry(1, 0, counted(b"/x"))]
    entries += [entry(10 + k, 1, counted(b"/e" * k)) for k in range(1, 2 * fillers, 2)]
    entries += [entry(depth * 10 + k, 5, counted(b"/d" * depth + b"/r%d" % k)) for k in range(roots)]
    table = MountTable(entries)
    WORK[0] = 0
    assert table.orphans == [] and len(table.outside_root) == roots + 1
    work = WORK[0]
    top = MountTable([entry(1, 1, b"/")] + entries[1:])  # the same under "/": all are orphans
    assert len(top.orphans) == roots
    return work


def test_orphan_check_work_is_linear_in_path_depth() -> None:
    small, large = orphan_work(2000, 2, 2), orphan_work(8000, 2, 2)
    # 4 times the bytes: the rsplit walk up each root did 16 times the work
    assert large < 5 * small, (small, large)


def test_orphan_check_work_is_linear_in_roots_and_mounts_of_every_length() -> None:
    # fillers of 45 kB and roots of 45 kB, then 360 kB: 4.5 times the bytes.  Cutting each
    # candidate prefix of each root (or walking up with rsplit) did 8 times the work
    small, large = orphan_work(300, 75, 150), orphan_work(300, 600, 150)
    assert large < 6 * small, (small, large)


def test_mount_of_work_is_linear_in_path_depth(monkeypatch) -> None:
    from mountcursor.live import table as table_module

    normalize = table_module.normalize_target
    monkeypatch.setattr(table_module, "normalize_target", lambda p: counted(normalize(p)))

    def work(depth: int) -> int:
        table = MountTable([entry(1, 1, b"/"), entry(2, 1, b"/e" * depth), entry(3, 1, b"/f")])
        path = counted(b"/d" * depth * 2)
        WORK[0] = 0
        assert table.mount_of(path, lexical=True).mnt_id == 1
        return WORK[0]

    small, large = work(2000), work(8000)
    assert large < 6 * small, (small, large)


# ---- a NUL in a path (a \000 escape) names no file: was a ValueError, exit 2 -------------------

NUL_TABLE = b"1 0 0:1 / / rw - tmpfs r rw\n2 1 8:1 / /x rw - ext4 /dev/sd\\000a rw\n"


@needs_findmnt
@pytest.mark.parametrize("args", [("list", "-S", "/dev/sda"), ("list", "/dev/sda"), ("list", "-S", "/dev/sdb"),
                                  ("list", "-T", "/nonexistent/x"), ("list", "-o", "TARGET,SIZE"),
                                  ("tree", "-o", "TARGET,SIZE")])
def test_a_nul_in_a_source_is_no_such_path_as_findmnt(tmp_path, args) -> None:
    f = tmp_path / "mountinfo"
    f.write_bytes(NUL_TABLE)
    ours, theirs = run_both(str(f), *args)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, b"")


def test_path_functions_take_a_nul_for_no_such_path() -> None:
    from mountcursor.live import syscalls
    from mountcursor.live.devices import canonicalize
    from mountcursor.live.query import find_mountpoint
    from mountcursor.live.reader import is_mountpoint

    with pytest.raises(FileNotFoundError, match="a NUL in a path"):
        is_mountpoint("/proc\0/no/such/path")       # was True: C read "/proc"
    with pytest.raises(FileNotFoundError):
        syscalls.statx_mount(b"/\0")
    assert is_mountpoint("/proc") is True
    assert canonicalize(b"/dev\0/null") == b"/dev\0/null"
    table = MountTable([entry(1, 1, b"/"), entry(2, 1, b"/proc")])
    assert find_mountpoint(table, b"/proc\0/x") is None
    assert table.mount_of("/proc\0/x").mnt_id == 1   # "/proc\0" is not "/proc"; nothing to resolve
    assert table.mount_of("/proc/\0").mnt_id == 2


# ---- parent cycles: descendants() grew without bound ---------------------------------------------

def test_descendants_on_a_parent_cycle_end() -> None:
    table = MountTable([entry(1, 1, b"/"), entry(2, 3, b"/a"), entry(3, 2, b"/a/b"), entry(4, 3, b"/a/b/c")])
    with hang_guard(2):  # was: a list growing without bound
        table.descendants(table.by_id(2))
    assert [e.mnt_id for e in table.descendants(table.by_id(2))] == [3, 4]
    assert [e.mnt_id for e in table.descendants(table.by_id(3))] == [2, 4]
    assert table.descendants(table.by_id(4)) == []
    loop = MountTable([entry(5, 5, b"/x"), entry(6, 6, b"/y")])   # their own parents: roots
    assert table.descendants(loop.by_id(5)) == [] and loop.descendants(loop.by_id(5)) == []


def test_descendants_of_a_duplicate_id_follow_the_first_only() -> None:
    table = MountTable([entry(1, 1, b"/"), entry(2, 1, b"/a"), entry(2, 1, b"/b"), entry(3, 2, b"/a/c")])
    assert [e.target for e in table.descendants(table.by_id(1))] == [b"/a", b"/a/c", b"/b"]


# ---- stack() compared each mount with every one before it ---------------------------------------

def stacked(n: int) -> MountTable:
    return MountTable([entry(1, 1, b"/")] + [entry(k + 2, k + 1, b"/s") for k in range(n)])


def test_stack_compares_no_mounts(monkeypatch) -> None:
    calls = [0]
    eq = MountEntry.__eq__

    def counting_eq(self: MountEntry, other: object) -> bool:
        calls[0] += 1
        return eq(self, other)

    table = stacked(3000)
    monkeypatch.setattr(MountEntry, "__eq__", counting_eq)
    got = table.stack("/s")
    assert [e.mnt_id for e in got] == list(range(2, 3002))
    assert calls[0] == 0   # was 4.5 million: "cur not in out"


def test_stack_of_twins_lists_each_once() -> None:
    twin = entry(2, 1, b"/s")
    table = MountTable([entry(1, 1, b"/"), twin, entry(3, 2, b"/s"), entry(2, 1, b"/s")])
    assert [e.mnt_id for e in table.stack("/s")] == [2, 3, 2]   # equal dataclasses, two mounts


# ---- -T PATH canonicalized the path once per mount in the table ---------------------------------

@pytest.mark.parametrize("target,found", [("/tmp/./nonexistent/../x", []), ("/tmp/./.", [b"/"]), ("/m7", [b"/m7"])])
def test_a_target_is_canonicalized_once_per_query(monkeypatch, target, found) -> None:
    from mountcursor.live import query

    def calls(n: int) -> int:
        table = MountTable([entry(1, 1, b"/")] + [entry(k, 1, b"/m%d" % k) for k in range(2, n)])
        count = [0]
        canonicalize = query.canonicalize

        def counting(path: bytes) -> bytes | None:
            count[0] += 1
            return canonicalize(path)

        monkeypatch.setattr(query, "canonicalize", counting)
        sel = query.select(table, query.Query(target=target), want_tree=False)
        monkeypatch.setattr(query, "canonicalize", canonicalize)
        assert [node.entry.target for node in sel.nodes] == found
        return count[0]

    # the query, then the mount point holding it if nothing matched (the whole stack there)
    assert calls(100) == calls(2000) <= 2


def test_a_source_is_resolved_once_per_query(monkeypatch, tmp_path) -> None:
    from mountcursor.live import query

    count = [0]
    resolve_spec = query.resolve_spec

    def counting(spec: bytes, disk_dir: bytes = b"/dev/disk") -> bytes | None:
        count[0] += 1
        return resolve_spec(spec, disk_dir)

    monkeypatch.setattr(query, "resolve_spec", counting)
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "sd7").touch()
    (tmp_path / "link").symlink_to(dev / "sd7")
    disks = [MountEntry(k, 1, 8, k, b"/", b"/m%d" % k, b"rw", b"ext4", bytes(dev) + b"/sd%d" % k, b"rw")
             for k in range(2, 500)]
    sel = query.select(MountTable([entry(1, 1, b"/")] + disks), query.Query(source=str(tmp_path / "link")),
                       want_tree=False)
    assert [node.entry.target for node in sel.nodes] == [b"/m7"] and count[0] == 1
