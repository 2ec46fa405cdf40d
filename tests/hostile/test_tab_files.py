"""``-F`` files: bounded reads, warnings for what ``MountTable.problems()`` finds, for empty
input and for CRLF line ends, errors that name the file, and trees of any depth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mountcursor.cli.app import main
from mountcursor.live.table import MAX_LINE_BYTES, TableLimitError, read_table_file


def _chain(depth: int) -> bytes:
    lines, path = [], ""
    for i in range(1, depth + 1):
        path = path + "/d" if i > 1 else "/"
        lines.append(f"{i} {max(i - 1, 1)} 0:{i} / {path} rw - tmpfs tmpfs rw")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("args", [["tree", "--json"], ["tree"], ["tree", "-r"], ["list"]])
def test_a_chain_2000_deep_prints_as_findmnt_does(tmp_path, args) -> None:
    f = tmp_path / "deep"
    f.write_bytes(_chain(2000))
    res = CliRunner().invoke(main, [*args, "-F", str(f)])
    assert res.exit_code == 0, res.output[-500:]
    findmnt = shutil.which("findmnt")
    if findmnt is None:
        pytest.skip("findmnt is not installed")
    flags = {"tree": [], "list": ["-l"]}[args[0]] + [a for a in args[1:]]
    want = subprocess.run([findmnt, "-F", str(f), *flags], capture_output=True).stdout
    assert res.stdout_bytes == want


def test_deep_json_nests_children(tmp_path) -> None:
    f = tmp_path / "deep"
    f.write_bytes(_chain(600))
    text = CliRunner().invoke(main, ["tree", "--json", "-o", "ID,TARGET", "-F", str(f)]).stdout  # TARGET: a tree
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)  # json.loads recurses too (the test's reader, not ours)
    try:
        out = json.loads(text)
    finally:
        sys.setrecursionlimit(limit)
    depth, node = 0, out["filesystems"][0]
    while "children" in node:
        (node,) = node["children"]
        depth += 1
    assert depth == 599 and node == {"id": 600, "target": "/" + "/d" * 599}


@pytest.mark.parametrize("device,message", [
    ("/dev/zero", "/dev/zero: line 1: a NUL byte: the kernel never prints one"),
    ("/dev/urandom", ": a NUL byte: the kernel never prints one"),
])
def test_endless_devices_stop_at_once(device, message) -> None:
    res = CliRunner().invoke(main, ["list", "-F", device])
    assert res.exit_code == 2 and message in res.stderr and res.stderr.count("\n") == 1


def test_long_lines_and_many_lines_are_refused_with_the_limit_named(tmp_path) -> None:
    long = tmp_path / "long"
    long.write_bytes(b"1 0 0:1 / / rw - t s rw\n" + b"x" * (MAX_LINE_BYTES + 1))  # no newline at all
    with pytest.raises(TableLimitError, match="line 2: longer than 1 MiB"):
        read_table_file(long)
    # a line of exactly the limit across the 1 MiB reads is taken, one byte more is not,
    # wherever it starts and ends (lines are counted across the reads)
    head = b"1 0 0:1 / / rw - t s rw\n" * 3
    for before in (0, 1000, (1 << 20) - len(head) - 5):
        pad = b"2 1 0:2 / /p rw - t s " + b"o" * max(before - 23, 0) + b"\n" if before else b""
        for extra, ok in ((0, True), (1, False)):
            body = b"3 1 0:3 / /x rw - t s " + b"y" * (MAX_LINE_BYTES + extra - 22)
            assert len(body) == MAX_LINE_BYTES + extra
            f = tmp_path / f"edge-{before}-{extra}"
            f.write_bytes(head + pad + body + b"\n4 1 0:4 / /z rw - t s rw\n")
            if ok:
                assert read_table_file(f).count(b"\n") == 5 + bool(pad)
            else:
                with pytest.raises(TableLimitError, match=f"line {4 + bool(pad)}: longer than 1 MiB"):
                    read_table_file(f)
    many = tmp_path / "many"
    many.write_bytes(b"1 0 0:1 / / rw - t s rw\n" * 11)
    res = CliRunner().invoke(main, ["list", "-F", str(many), "--max-lines", "10"])
    assert res.exit_code == 2
    assert res.stderr == f"mountcursor: {many}: more than 10 lines: stopped reading (raise the limit with --max-lines)\n"
    assert CliRunner().invoke(main, ["list", "-F", str(many), "--max-lines", "11"]).exit_code == 0


def test_a_missing_file_is_a_usage_error(tmp_path) -> None:
    res = CliRunner().invoke(main, ["list", "-F", str(tmp_path / "nope")])
    assert res.exit_code == 2 and res.stderr == f"mountcursor: {tmp_path / 'nope'}: No such file or directory\n"


def test_problems_are_warned_about(tmp_path) -> None:
    f = tmp_path / "bad"
    f.write_bytes(b"1 1 0:1 / / rw - t s rw\n"
                  b"2 1 0:2 / /a rw - t s rw\n"
                  b"2 1 0:3 / /b rw - t s rw\n"        # duplicate id
                  b"4 4 0:4 / /c rw - t s rw\n"        # its own parent, not at /
                  b"5 6 0:5 / /e rw - t s rw\n6 5 0:6 / /e/f rw - t s rw\n"  # a cycle
                  b"7 99 0:7 / /a/g rw - t s rw\n")    # orphan
    warned = [  # the orphan changes nothing in a list
        f"mountcursor: {f}: line 3: mount id 2 repeated",
        f"mountcursor: {f}: line 4: mount 4 at '/c' is its own parent",
        f"mountcursor: {f}: 2 mounts are on a parent cycle (no way up to a root): ids 5, 6",
    ]
    # whatever the selection: -T, -M and -S of a sound table read only a few lines
    for selection, status, out in (([], 0, "ID\n1\n2\n2\n4\n5\n6\n7\n"), (["-M", "/e/f"], 0, "ID\n6\n"),
                                   (["-S", "0:5"], 0, "ID\n5\n"), (["-T", "/tmp"], 0, "ID\n1\n"),
                                   (["-T", "/a/x"], 1, "")):  # as findmnt: not a path here
        res = CliRunner().invoke(main, ["list", "-r", "-F", str(f), "-o", "ID", *selection])
        assert (res.exit_code, res.stdout, res.stderr.splitlines()) == (status, out, warned), selection


def test_empty_and_crlf_input_warn(tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    res = CliRunner().invoke(main, ["list", "-F", str(empty)])
    assert res.exit_code == 1 and res.stderr == f"mountcursor: {empty}: empty: no mounts\n"
    crlf = tmp_path / "crlf"
    crlf.write_bytes(b"1 0 0:1 / / rw - t s rw\r\n2 1 0:2 / /a rw - t s rw\r\n")
    res = CliRunner().invoke(main, ["list", "-F", str(crlf), "-o", "TARGET,OPTIONS", "-r"])
    assert res.exit_code == 0 and res.stdout == "TARGET OPTIONS\n/ rw,rw\\x0d\n/a rw,rw\\x0d\n"
    assert res.stderr == (f"mountcursor: {crlf}: line 1: ends with \\r\\n (a DOS line end?), 2 lines in all: "
                          "the \\r is kept in the last field, as the kernel never prints it\n")


def test_many_bad_lines_are_not_all_printed(tmp_path) -> None:
    f = tmp_path / "junk"
    f.write_bytes(b"1 0 0:1 / / rw - t s rw\n" + b"junk\n" * 100)
    res = CliRunner().invoke(main, ["list", "-F", str(f)])
    lines = res.stderr.splitlines()
    assert res.exit_code == 0 and len(lines) == 21 and lines[-1] == f"mountcursor: {f}: 80 more warnings not shown"


def test_crlf_fstab_says_the_cr_is_dropped(tmp_path) -> None:
    """In the fstab and /proc/<pid>/mounts format the ``\\r`` of a DOS line end is
    dropped, as libmount drops it (the output is findmnt's), and the warning says so."""
    crlf = tmp_path / "crlf"
    crlf.write_bytes(b"a /b c rw 0 0\r\nd /e f\r\n")
    res = CliRunner().invoke(main, ["list", "-F", str(crlf), "-r"])
    assert res.exit_code == 0 and res.stdout == "TARGET SOURCE FSTYPE OPTIONS\n/b a c rw\n/e d f \n"
    assert res.stderr == (f"mountcursor: {crlf}: line 1: ends with \\r\\n (a DOS line end?), 2 lines in all: "
                          "the \\r is dropped, as findmnt drops it\n")
    findmnt = shutil.which("findmnt")
    if findmnt is None:
        pytest.skip("findmnt is not installed")
    theirs = subprocess.run([findmnt, "-F", str(crlf), "-r"], capture_output=True)
    assert (res.stdout_bytes, theirs.returncode) == (theirs.stdout, 0)


@pytest.mark.parametrize("args", [["list", "-s"], ["list"], ["tree"]])
def test_an_fstab_of_comments_only_is_an_empty_fstab(tmp_path, args) -> None:
    """Nothing to warn about (findmnt is silent): no line is read as mountinfo."""
    f = tmp_path / "fstab"
    f.write_bytes(b"# /etc/fstab\n#\n\t# UUID=x / ext4 defaults 0 1\n\n")
    res = CliRunner().invoke(main, [*args, "-F", str(f)])
    assert (res.exit_code, res.stdout, res.stderr) == (1, "", "")
    findmnt = shutil.which("findmnt")
    if findmnt is None:
        pytest.skip("findmnt is not installed")
    theirs = subprocess.run([findmnt, *args[1:], "-F", str(f)], capture_output=True)
    assert (theirs.returncode, theirs.stdout, theirs.stderr) == (1, b"", b"")


def test_a_line_of_a_vertical_tab_is_an_error_not_an_empty_file(tmp_path) -> None:
    f = tmp_path / "v"
    f.write_bytes(b"  \t\n\x0b\n")
    res = CliRunner().invoke(main, ["list", "-F", str(f)])
    assert res.exit_code == 1 and res.stderr == (
        f"mountcursor: {f}: line 2, field 'target': missing: an fstab line needs at least SOURCE, TARGET and TYPE"
        " -- ignored\n")


FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.mark.parametrize("args", [["-P"], ["-r"], ["-J"], []])
def test_a_containers_table_missing_its_parents_is_listed_without_warnings(args) -> None:
    """util-linux's mountinfo_btrfs: seven mounts whose parent 1 is not in the table
    (a chroot's or a container's table is so by nature): findmnt lists it silently."""
    path = FIXTURES / "util-linux-libmount-mountinfo_btrfs"
    res = CliRunner().invoke(main, ["list", "-F", str(path), *args])
    assert res.exit_code == 0 and res.stderr == ""
    findmnt = shutil.which("findmnt")
    if findmnt is None:
        pytest.skip("findmnt is not installed")
    flags = [] if {"-P", "-r"} & set(args) else ["-l"]
    theirs = subprocess.run([findmnt, "-F", str(path), *flags, *args], capture_output=True)
    assert (res.stdout_bytes, theirs.stderr) == (theirs.stdout, b"")


def test_orphans_are_warned_about_once_where_a_tree_shows_them() -> None:
    path = FIXTURES / "util-linux-libmount-mountinfo_btrfs"
    res = CliRunner().invoke(main, ["tree", "-F", str(path)])
    assert res.exit_code == 0
    assert res.stderr == (f"mountcursor: {path}: 7 mounts have no parent in the table (parent 1): "
                          "each starts a tree of its own: lines 1, 2, 4, 5, 6, 7, 8\n")
    # no TARGET, no tree (a flat list, as findmnt prints it): nothing to warn about
    assert CliRunner().invoke(main, ["tree", "-F", str(path), "-J", "-o", "ID"]).stderr == ""


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"bb", b"\n", b"\n", b"\0"]), max_size=40).map(b"".join), st.integers(0, 8))
def test_a_file_read_at_once_is_refused_where_its_chunks_are(data: bytes, max_lines: int) -> None:
    """A regular file is read whole and checked at once; whether it passes is whether
    the chunk-by-chunk reader takes it (here with lines of 8 bytes at most, so that the
    chunks are small)."""
    import io

    from mountcursor.live import tabread

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tabread, "MAX_LINE_BYTES", 8)
        try:
            tabread._read_chunks(io.BytesIO(data), max_lines)
            taken = True
        except TableLimitError:
            taken = False
        assert tabread._within_limits(data, max_lines) is taken
        TAKEN.append(taken)


TAKEN: list[bool] = []


def test_the_comparison_above_saw_files_taken_and_refused() -> None:
    if not TAKEN:
        pytest.skip("run with the property test above")
    assert set(TAKEN) == {True, False}


def test_a_saved_table_that_escapes_other_bytes_is_read_whole(tmp_path) -> None:
    """A saved table may write any byte as an escape (``\\141`` for ``a``): a byte search
    for the mount point or the source as the kernel writes it would miss that line, so
    such a table is not narrowed (as findmnt: both mounts at ``/mnt/a``, both sources
    ``src``)."""
    f = tmp_path / "escaped"
    f.write_bytes(b"1 0 0:1 / / rw - ext4 r rw\n2 1 0:2 / /mnt rw - tmpfs \\163rc rw\n"
                  b"3 2 0:3 / /mnt/\\141 rw - tmpfs t rw\n4 3 0:4 / /mnt/a rw - tmpfs src rw\n"
                  + b"".join(b"%d 1 0:%d / /m%d rw - tmpfs t rw\n" % (i, i, i) for i in range(5, 40)))
    for selection, out in ((["-M", "/mnt/a"], "ID\n3\n4\n"), (["-S", "src"], "ID\n2\n4\n")):
        res = CliRunner().invoke(main, ["list", "-r", "-F", str(f), "-o", "ID", *selection])
        assert (res.exit_code, res.stdout, res.stderr) == (0, out, ""), selection
    plain = tmp_path / "plain"  # the kernel's own escapes: narrowed, the same answer
    plain.write_bytes(f.read_bytes().replace(b"\\163rc", b"src").replace(b"/mnt/\\141", b"/mnt/a\\040b"))
    for selection, out in ((["-M", "/mnt/a b"], "ID\n3\n"), (["-S", "src"], "ID\n2\n4\n")):
        res = CliRunner().invoke(main, ["list", "-r", "-F", str(plain), "-o", "ID", *selection])
        assert (res.exit_code, res.stdout, res.stderr) == (0, out, ""), selection
