"""``-F`` files with whitespace the kernel writes or findmnt reads: every mount findmnt
shows is shown, at the same path, with the same fields (bytes and exit status compared
with ``/usr/bin/findmnt`` on the same file)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.findmnt.rows import Rows

FINDMNT = shutil.which("findmnt")
needs_findmnt = pytest.mark.skipif(FINDMNT is None, reason="findmnt (util-linux) is not installed")

MI_COLUMNS = "ID,PARENT,MAJ:MIN,FSROOT,TARGET,FSTYPE,SOURCE,OPTIONS,VFS-OPTIONS,FS-OPTIONS,PROPAGATION"
TAB_COLUMNS = "SOURCE,TARGET,FSTYPE,OPTIONS,FREQ,PASSNO"


def compare(path: Path, command: str, *args: str) -> tuple[bytes, str]:
    """Run ``mountcursor <command> -F path args`` and findmnt on the same file (``-l``
    for ``list``, where findmnt takes it); assert equal stdout bytes and exit status;
    return our stdout and stderr."""
    assert FINDMNT is not None
    extra = ["-l"] if command == "list" and not {"-r", "-P"} & set(args) else []
    theirs = subprocess.run([FINDMNT, "-F", str(path), *extra, *args], capture_output=True)
    ours = CliRunner().invoke(main, [command, "-F", str(path), *args])
    assert (ours.stdout_bytes, ours.exit_code) == (theirs.stdout, theirs.returncode), (ours.stderr, theirs.stderr)
    return ours.stdout_bytes, ours.stderr


KERNEL_MOUNTS = (b"none /mnt/trail\x0b tmpfs rw,relatime 0 0\n"
                 b"none /mnt/in\x0bside tmpfs rw 0 0\n"
                 b"none /mnt/end\r tmpfs rw 0 0\n"
                 b"none /mnt/f\x0cx tmpfs rw 0 0\n"
                 b"s\x0brc /mnt/sp\\040ace t\x0cype rw 0 0\n")


@needs_findmnt
@pytest.mark.parametrize("args", [["-r"], ["-J"], ["-P"], ["-T", "/mnt/in\x0bside"]])
def test_proc_mounts_names_with_v_f_r_are_kept(tmp_path, args) -> None:
    """The kernel escapes only space, tab, newline and backslash in /proc/<pid>/mounts:
    ``\\v``, ``\\f`` and ``\\r`` are part of a name (libmount splits on space and tab)."""
    f = tmp_path / "mounts"
    f.write_bytes(KERNEL_MOUNTS)
    out, err = compare(f, "list", "-o", TAB_COLUMNS, *args)
    if args == ["-r"]:
        assert out.count(b"\n") == 6 and b"/mnt/trail\\x0b " in out and b"/mnt/end\\x0d " in out
    assert err == ""


FSTAB_CASES = {
    "trailing comment": b"src /t tmpfs rw 0 0 # comment\n",
    "more than six fields": b"src /t tmpfs rw 1 2 3 4 5\n",
    "signed numbers": b"src /t tmpfs rw -1 +2\n",
    "a number wrapped to an int": b"src /t tmpfs rw 4294967295 2\n",
    "tabs and runs of blanks": b"a\t/b\t\tc  rw,x\t 0\t1\n  #x\n\t b /c d\n",
    "indented comment, blank lines": b"\t# head\n \t \n\nsrc /t tmpfs\n",
    "a comment where FREQ goes (findmnt rejects it too)": b"src /t tmpfs rw # comment\nsrc /u tmpfs\n",
    "a number out of a long": b"src /t tmpfs rw 99999999999999999999 2\nsrc /u tmpfs\n",
    "only TYPE missing": b"a /b\nsrc /u tmpfs\n",
    "a line of a vertical tab": b"\x0b\nsrc /u tmpfs\n",
}


MOUNTINFO_CASES = {
    "a trailing space": b"1 0 0:1 / / rw - tmpfs src rw,size=4k \n",
    "two spaces after the separator": b"1 0 0:1 / / rw -  tmpfs src rw,size=4k\n",
    "indented lines": b"  1 0 0:1 / / rw - tmpfs src rw\n\t2 1 0:2 / /a rw - tmpfs src rw\n",
    "tabs between fields": b"1\t0 0:1 / /\trw - tmpfs\tsrc rw\n",
    "words after the super options": b"1 0 0:1 / / rw - cifs //h/s rw,unc=\\\\h\\s x,user=me\n",
    "two spaces before the source": b"1 0 0:1 / / rw - tmpfs  src rw\n",
    "an empty source": b"1 0 0:1 / / rw shared:1 - tmpfs  rw\n",
    "doubled spaces among the tags": b"1 0 0:1 / / rw shared:1  master:2 - tmpfs t rw\n",
    "comments and blank lines": b"# c\n1 0 0:1 / / rw - tmpfs src rw\n\t# d\n \t \n2 1 0:1 / /x\x0b rw - t s\x0ca rw\n",
    "v, f and r in names": b"1 0 0:1 / / rw - t s rw\n2 1 0:2 /r\x0c /a\rb\x0b rw - t\x0b s\x0c rw\n",
    "an empty source of a bind mount": b"1 0 0:1 / / rw - tmpfs  rw\n2 1 0:1 /r /a rw - tmpfs  rw\n",
    "a C blank before a number": b"\r1 0 \x0b0:1 / / rw - tmpfs src rw\n",
    "a line findmnt cannot read either": b"1 0 0:1 / / rw - tmpfs src rw\n2 1 0:2 / /a rw - tmpfs\n",
}


CASES = [(data, TAB_COLUMNS) for data in FSTAB_CASES.values()] + [(data, MI_COLUMNS) for data in MOUNTINFO_CASES.values()]


@needs_findmnt
@pytest.mark.parametrize("data, columns", CASES, ids=[*FSTAB_CASES, *MOUNTINFO_CASES])
def test_lines_read_as_libmount_reads_them(tmp_path, data, columns) -> None:
    f = tmp_path / "tab"
    f.write_bytes(data)
    for command, args in (("list", ["-r"]), ("list", ["-J"]), ("tree", []), ("list", ["-O", "size=4k"])):
        compare(f, command, "-o", columns, *args)


@pytest.mark.parametrize("data, where", [
    (b"1 0 0:1 / / rw -  tmpfs src rw,size=4k\n", "line 1, field 'fstype': must not be empty"),
    (b"  1 0 0:1 / / rw - tmpfs src rw\n", "line 1, field 'mnt_id': expected a decimal integer, got b''"),
    (b"1 0 0:1 / / rw - tmpfs src rw\n# c\n", "line 2, field 'major:minor'"),
    (b"1 0 0:1 / /a\tb rw - tmpfs src rw\n", "line 1, field 'mount_point': raw tab"),
])
def test_strict_still_refuses_what_the_kernel_never_prints(tmp_path, data, where) -> None:
    f = tmp_path / "mountinfo"
    f.write_bytes(data)
    assert CliRunner().invoke(main, ["list", "-F", str(f)]).exit_code == 0  # tolerant: read as findmnt reads it
    res = CliRunner().invoke(main, ["list", "-F", str(f), "--strict"])
    assert res.exit_code == 2 and res.stdout == "" and res.stderr.count("\n") == 1
    assert res.stderr.startswith(f"mountcursor: {f}: {where}")


TYPES = (b"1 0 0:1 / / rw - tmpfs t rw\n2 1 0:2 / /a rw - cgroup c rw\n3 1 0:3 / /b rw - TMPFS T rw\n"
         b"4 1 0:4 / /c rw - notmpfs n rw\n5 1 0:5 / /d rw - proc p rw\n6 1 0:6 / /e rw - NOproc p rw\n")


@needs_findmnt
@pytest.mark.parametrize("pattern", ["nocgroup,NOtmpfs", "NOtmpfs", "notmpfs", "TMPFS", "noTMPFS", "nonotmpfs",
                                     "proc,NOproc", "Noproc", "no", "nO", "", ",", "tmpfs,nocgroup"])
def test_fstype_patterns_match_as_findmnt(tmp_path, pattern) -> None:
    """``-t``: types compared without regard to case, the ``no`` prefixes with it
    (libmount's ``strncmp(p, "no", 2)``): ``NOtmpfs`` names a type, it negates nothing."""
    f = tmp_path / "mountinfo"
    f.write_bytes(TYPES)
    for command, args in (("list", ["-r"]), ("tree", []), ("list", ["-i", "-r"])):
        compare(f, command, "-o", "ID,TARGET,FSTYPE", "-t", pattern, *args)


TREES = {
    "a moved mount listed before its new parent": (b"1 0 0:1 / / rw - tmpfs t rw\n30 20 0:3 / /x/a rw - tmpfs t rw\n"
                                                   b"20 99 0:2 / /x rw - tmpfs t rw\n40 30 0:4 / /x/a/b rw - proc p rw\n"),
    "a chroot's table: several tops": (b"25 19 0:1 / /srv/c rw - tmpfs t rw\n27 26 0:3 /x /srv/c/proc/y rw - proc p rw\n"
                                       b"26 19 0:2 / /srv/c/proc rw - proc p rw\n28 25 0:4 / /srv/c/tmp rw - tmpfs t rw\n"
                                       b"29 26 0:5 / /srv/c/proc/z rw - tmpfs t rw\n"),
    "a chain listed deepest first below a missing parent": b"1 0 0:1 / / rw - tmpfs t rw\n" + b"".join(
        b"%d %d 0:%d / /c%d rw - tmpfs t rw\n" % (k + 10, k + 9 if k > 1 else 999, k, k) for k in range(40, 0, -1)),
    "a repeated id with another parent": (b"1 0 0:1 / / rw - tmpfs t rw\n3 1 0:3 / /c rw - tmpfs t rw\n"
                                          b"2 1 0:2 / /a rw - tmpfs t rw\n2 3 0:2 / /c/a2 rw - tmpfs t rw\n"
                                          b"4 2 0:4 / /a/x rw - proc p rw\n"),
}


@needs_findmnt
@pytest.mark.parametrize("data", TREES.values(), ids=TREES.keys())
def test_trees_of_several_tops_nest_as_findmnt_nests_them(tmp_path, data) -> None:
    """Every mount without a row after the root's subtree starts a subtree, in table
    order, with all its descendants (shown before or not): findmnt's create_treenode."""
    f = tmp_path / "mountinfo"
    f.write_bytes(data)
    for args in ([], ["-J"], ["-r"], ["-t", "tmpfs"], ["-J", "-t", "proc"], ["-a"]):
        compare(f, "tree", "-o", "ID,PARENT,TARGET", *args)
    # the table has the kernel's shape: -F split it into columns, as a live table is
    assert Rows.from_mountinfo(data) is not None


@needs_findmnt
@pytest.mark.parametrize("columns", ["ID,PARENT", "SOURCE,FSTYPE", "ID,TARGET", "TARGET"])
def test_json_nests_only_with_the_target_column(tmp_path, columns) -> None:
    """Only TARGET has findmnt's tree flag: without it ``tree -J`` is a flat list of the
    same rows (the table split into columns, as a live one)."""
    data = TREES["a chroot's table: several tops"]
    f = tmp_path / "mountinfo"
    f.write_bytes(data)
    out, _ = compare(f, "tree", "-J", "-o", columns)
    assert (b'"children"' in out) == ("TARGET" in columns)
    assert Rows.from_mountinfo(data) is not None


@needs_findmnt
def test_blank_dos_lines_of_mountinfo_are_blank(tmp_path) -> None:
    f = tmp_path / "mountinfo"
    f.write_bytes(b"1 0 0:1 / / rw - tmpfs src rw \r\n\r\n \t\r\n2 1 0:2 / /a rw - tmpfs src rw \r\n")
    _, err = compare(f, "list", "-r")
    assert err == (f"mountcursor: {f}: line 1: ends with \\r\\n (a DOS line end?), 4 lines in all: "
                   "the \\r is kept in the last field, as the kernel never prints it\n")  # no line skipped


EMPTY_SOURCES = (b"21 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                 b"22 21 8:2 / /a rw - ext4  rw\n"
                 b"23 21 0:5 / /b rw - tmpfs  rw\n"
                 b"24 21 0:6 / /c rw - tmpfs none rw\n")


@needs_findmnt
@pytest.mark.parametrize("spec", ["", "/", "//", "none", "/dev/sda1"])
def test_an_empty_source_is_a_path(tmp_path, spec) -> None:
    """libmount keeps an empty mountinfo source as "": ``-S ''`` finds it on a pseudo
    filesystem too, and on any other it is equal as a path to ``/`` (``streq_paths``
    of two paths without a component)."""
    f = tmp_path / "mountinfo"
    f.write_bytes(EMPTY_SOURCES)
    out, _ = compare(f, "list", "-o", "TARGET", "-n", "-S", spec)
    expected = {"": b"/a\n/b\n", "/": b"/a\n", "//": b"/a\n", "none": b"/c\n", "/dev/sda1": b"/\n"}[spec]
    assert out == expected


@needs_findmnt
@pytest.mark.parametrize("args", [["-r"], ["-J"], ["-o", MI_COLUMNS]])
def test_a_tab_in_a_mountinfo_line_is_a_blank_as_findmnt_reads_it(tmp_path, args) -> None:
    """The kernel escapes a tab in a name (``\\011``); libmount reads a raw one as a
    blank between fields, so ``/m<TAB>x`` is the mount point ``/m`` with ``x`` after it."""
    f = tmp_path / "mountinfo"
    f.write_bytes(b"1 0 8:1 / / rw - ext4 /dev/vda rw\n2 1 0:1 / /m\tx rw - tmpfs t rw\n")
    out, _ = compare(f, "list", *args)
    assert b"\\x09" not in out


SLICED = (b"".join(b"%d %d 0:%d / /m/%d rw,relatime%s - tmpfs t%d rw\n" % (i + 2, 1 if i % 9 else i + 1, i, i,
                                                                       b" shared:1" if i % 4 == 0 else b"", i % 5)
                   for i in range(40)) + b"20 1 0:300 / /dup rw - tmpfs d rw\n")
"""Forty mounts, some shared, and one more with the id of another (a warning)."""


@needs_findmnt
@pytest.mark.parametrize("args", [["-r"], ["-J"], ["-P"], [], ["-S", "t3"], ["-O", "shared"], ["-t", "tmpfs", "-r"],
                                  ["--real", "-r"], ["-d", "backward", "-r"], ["-r", "-o", "TARGET,SIZE"]])
@pytest.mark.parametrize("piece", [60, 300, 1 << 20])
def test_a_saved_table_printed_a_slice_at_a_time_is_findmnts(tmp_path, monkeypatch, args, piece) -> None:
    """A list of a saved table is split and printed a slice at a time, its warnings said
    first: bytes, status and stderr as with one slice (and stdout as findmnt's)."""
    from mountcursor.findmnt import command

    f = tmp_path / "mountinfo"
    f.write_bytes(b"1 0 8:1 / / rw - ext4 /dev/vda rw\n" + SLICED)
    monkeypatch.setattr(command, "_PIECE", piece)
    out, err = compare(f, "list", *args)
    monkeypatch.setattr(command, "_PIECE", 1 << 20)
    assert compare(f, "list", *args) == (out, err)
    assert "id 20" in err and "no parent in the table" not in err  # a list says nothing of orphans
    odd = tmp_path / "odd"   # a line of another shape at the end: the file is read the general way
    odd.write_bytes(f.read_bytes() + b"99 1 0:99 / /odd rw - tmpfs t x y\n")
    monkeypatch.setattr(command, "_PIECE", piece)
    compare(odd, "list", *args)


RELATIVE = (b"1 0 0:1 / / rw - tmpfs t rw\n"
            b"2 1 0:2 / a rw - tmpfs rel rw\n"
            b"3 1 0:3 / /b/ rw - tmpfs slash rw\n")


@needs_findmnt
@pytest.mark.parametrize("args", [["-T", "/a"], ["-M", "/a"], ["-M", "a"], ["-T", "/b"], ["-M", "/b"], ["-M", "//b//"],
                                  ["--uniq"]])
def test_a_relative_mount_point_is_not_the_absolute_one(tmp_path, args) -> None:
    """``streq_paths`` keeps the ``/`` before each segment: the mount point ``a`` is not
    ``/a`` (``-T /a`` is the root's), while ``/b/`` is ``/b`` and ``//b//``."""
    f = tmp_path / "mountinfo"
    f.write_bytes(RELATIVE)
    compare(f, "list", "-o", "TARGET,SOURCE", *args)
