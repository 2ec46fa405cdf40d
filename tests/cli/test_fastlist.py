"""The lean ``list -r``/``-P`` path prints exactly what the whole findmnt view prints for
the same table, takes the tables the kernel prints every day, and declines the rest."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mountcursor.cli.app import main
from mountcursor.cli.fastlist import LEAN_COLUMNS, lean_output
from mountcursor.cli.findmnt_args import parse

_NAME = st.text(alphabet="abcdefgh-_.:0123", min_size=1, max_size=6)
_PATH = st.lists(_NAME, max_size=3).map(lambda parts: "/" + "/".join(parts))
_OPTS = st.sampled_from(["rw", "ro", "rw,relatime", "ro,nosuid,nodev,noexec,relatime", "rw,size=4k,mode=755",
                         "rw,inode64", "rw", "rw,relatime", "ro", "rw,mode=700"] * 3
                        + ['rw,context="a,b"', "rw,x=$y", "rw,a`b"])      # -P quotes these: the general path's
_TAG = st.sampled_from([None, None, None, "shared:1", "master:7", "shared:12"] * 4
                       + ["unbindable", "shared:1 master:2"])           # the general path's


@st.composite
def _line(draw) -> bytes:
    root = draw(st.one_of(st.just("/"), _PATH))
    target = draw(_PATH)
    if draw(st.integers(0, 60)) == 0:
        target += "\\040x"                 # an escaped blank: the general path's
    tag = draw(_TAG)
    fields = [str(draw(st.integers(1, 99999))), str(draw(st.integers(0, 99999))),
              f"{draw(st.integers(0, 300))}:{draw(st.integers(0, 300))}", root, target, draw(_OPTS)]
    if tag:
        fields.append(tag)
    fields += ["-", draw(st.sampled_from(["tmpfs", "ext4", "fuse.sshfs", "proc"])),
               draw(st.sampled_from(["tmpfs", "/dev/vda1", "LABEL=x", "none", "sshfs#a:b"])), draw(_OPTS)]
    return " ".join(fields).encode() + b"\n"


_COLUMNS = st.lists(st.sampled_from(sorted(LEAN_COLUMNS - {"TID"})), min_size=3, max_size=9)


_FORMATS = {"raw": ["-r"], "pairs": ["-P"], "json": ["-J"], "human": []}
_TYPES = st.sampled_from([[], [], [], ["-t", "tmpfs"], ["-t", "notmpfs,ext4"], ["-t", "EXT4,proc"], ["-t", "nofoo"],
                          ["-t", "tmpfs", "-i"], ["-t", "fuse.sshfs,noproc", "-i"], ["-t", ""]])


def _general(path: str, args: list[str]) -> bytes:
    result = CliRunner().invoke(main, ["list", "-F", path, *args], catch_exceptions=False)
    return result.stdout_bytes


@settings(max_examples=120, deadline=None)
@given(st.lists(_line(), min_size=1, max_size=12), _COLUMNS, st.sampled_from(list(_FORMATS)), st.booleans(),
       st.booleans(), _TYPES)
def test_lean_output_equals_the_findmnt_view(tmp_path_factory, lines, columns, fmt, noheadings, nofsroot, types):
    data = b"".join(lines)
    args = ["-o", ",".join(columns)] + _FORMATS[fmt] + (["-n"] if noheadings else []) + (["-v"] if nofsroot else [])
    args += types
    params = parse(args)
    assert params is not None
    ours = lean_output(data, columns, fmt, params)
    path = str(tmp_path_factory.mktemp("tab") / "mountinfo")
    with open(path, "wb") as f:
        f.write(data)
    if ours is not None:
        assert ours == _general(path, args)
    TAKEN.append(ours is not None)


TAKEN: list[bool] = []


def test_the_generated_tables_were_mostly_taken_by_the_lean_path() -> None:
    """The comparison above means something only if the lean path printed most tables."""
    if not TAKEN:
        pytest.skip("run with the comparison above")
    assert sum(TAKEN) >= len(TAKEN) // 4, (sum(TAKEN), len(TAKEN))


def test_t_selects_and_nothing_selected_is_left_to_the_general_path(tmp_path) -> None:
    data = (b"21 1 0:19 / / rw - ext4 /dev/vda rw\n22 21 0:20 / /proc rw - proc proc rw\n"
            b"23 21 0:21 / /t rw shared:3 - tmpfs t rw,size=4k\n")
    for args, expected in ((["-t", "tmpfs"], b"/t\n"), (["-t", "tmpfs", "-i"], b"/\n/proc\n"),
                           (["-t", "noproc"], b"/\n/t\n"), (["-t", "EXT4,Proc"], b"/\n/proc\n"),
                           (["-t", "xfs"], None), (["-t", "tmpfs,ext4,proc", "-i"], None)):
        params = parse(["-rn", "-o", "TARGET", *args])
        assert params is not None
        assert lean_output(data, ["TARGET"], "raw", params) == expected, args
    path = tmp_path / "mountinfo"
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["list", "-F", str(path), "-t", "xfs"])
    assert (result.exit_code, result.stdout_bytes) == (1, b"")    # what the general path says then


def test_lean_output_takes_kernel_tables_and_declines_what_needs_escaping() -> None:
    params = parse(["-r"])
    assert params is not None
    plain = (b"21 1 0:19 / / rw,relatime shared:1 - tmpfs tmpfs rw,size=4k\n"
             b"22 21 8:1 /sub /mnt rw master:3 - ext4 /dev/vda1 rw\n")
    assert lean_output(plain, ["TARGET", "SOURCE", "PROPAGATION", "ID"], "raw", params) == (
        b"TARGET SOURCE PROPAGATION ID\n/ tmpfs shared 21\n/mnt /dev/vda1[/sub] private,slave 22\n")
    for odd in (plain.replace(b"/mnt", b"/a\\040b"),           # an escape
                plain.replace(b"/mnt", "/é".encode()),          # not ASCII
                plain.replace(b"/mnt", b"/a\x01b"),             # a control character
                plain.replace(b"shared:1", b"shared:1 master:2"),  # two tags
                plain.replace(b"shared:1", b"unbindable"),
                plain.replace(b"rw,size=4k", b"rw,unc=\\\\a b"),   # a blank in the super-block options
                plain[:-1],                                     # the last line not ended
                plain + b"\n"):                                 # an empty line
        assert lean_output(odd, ["TARGET"], "raw", params) is None, odd


def test_a_table_of_many_slices_is_the_findmnt_view_and_one_odd_line_anywhere_declines(tmp_path) -> None:
    lines = [b"%d %d 0:%d %s /m/%d rw,relatime%s - tmpfs t%d rw,size=%dk\n"
             % (i + 2, i + 1, i % 300, b"/" if i % 3 else b"/sub", i, b" shared:%d" % i if i % 5 == 0 else b"",
                i % 7, i % 11) for i in range(12000)]                           # 750 KiB: three slices
    data = b"".join(lines)
    params = parse(["-r", "-o", "+PROPAGATION,ID"])
    assert params is not None
    path = tmp_path / "mountinfo"
    path.write_bytes(data)
    columns = ["TARGET", "SOURCE", "FSTYPE", "OPTIONS", "PROPAGATION", "ID", "MAJ:MIN"]
    for fmt, args in _FORMATS.items():
        ours = lean_output(data, columns, fmt, params)
        assert ours is not None and ours == _general(str(path), [*args, "-o", ",".join(columns)]), fmt
    assert lean_output(data, columns, "raw", params).count(b"\n") == 12001
    odd = lines[:11999] + [lines[11999].replace(b" - ", b" unbindable - ")]
    assert lean_output(b"".join(odd), ["TARGET"], "raw", params) is None


def _modules_after(args: list[str]) -> set[str]:
    code = ("import sys\nfrom mountcursor.cli import main\ntry:\n"
            f"    main({args!r})\nexcept SystemExit:\n    pass\n"
            "sys.stdout.flush()\nsys.stderr.write('\\n'.join(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    return set(done.stderr.decode().split("\n"))


@pytest.mark.parametrize("args", [["list", "-r"], ["list"], ["list", "-J", "-o", "+ID"], ["tree", "-P"], ["tree", "-l"],
                                  ["tree"], ["tree", "-J"]])                  # the lean tree (cli/fasttree)
def test_list_starts_without_click_or_dataclasses(args: list[str]) -> None:
    """What makes ``mountcursor list -r`` start in a few milliseconds: the table is read and
    printed by the lean modules alone (this machine's table is ASCII and plain)."""
    with open("/proc/self/mountinfo", "rb") as f:
        table = f.read()
    if b"\\" in table or not table.isascii():
        pytest.skip("this machine's mount table has escaped or non-ASCII names: the general path prints it")
    loaded = _modules_after(args)
    heavy = {"click", "dataclasses", "typing", "mountcursor.live.entry", "mountcursor.live.table",
             "mountcursor.format", "mountcursor.cli.findmnt_view"}
    assert sorted(loaded & heavy) == []
    for general_args in (["list", "-r", "-o", "TARGET,SIZE"], ["tree", "-t", "ext4"], ["tree", "-J", "-o", "+SIZE"]):
        # the general path
        general = _modules_after(general_args)
        assert {"dataclasses", "mountcursor.cli.findmnt_view"} <= general
        assert sorted(general & {"click", "ctypes", "mountcursor.live.syscalls"}) == []  # listmount's, not needed


def test_a_reader_that_goes_away_ends_list_by_sigpipe_as_findmnt(tmp_path) -> None:
    path = tmp_path / "fstab"
    path.write_bytes(b"".join(b"/dev/vd%d /mnt/%d ext4 defaults 0 0\n" % (i, i) for i in range(20000)))
    proc = subprocess.Popen([sys.executable, "-m", "mountcursor", "list", "-F", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().startswith(b"TARGET")
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -13 and err == b""  # killed by SIGPIPE, no "Broken pipe" message
