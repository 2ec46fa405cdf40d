"""findmnt's options on ``list``/``tree``, byte for byte against util-linux findmnt.

Every case runs ``findmnt -F FILE ...`` (``-l`` for ``list``) and ``mountcursor
list|tree -F FILE ...`` and compares stdout bytes and the exit status.  Terminal
layouts run findmnt in a pseudo-terminal of a given width and ours with the same width.
Where we differ on purpose, a test says so and why.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from click.testing import CliRunner

from mountcursor.findmnt import command as findmnt_view, render as findmnt_render
from mountcursor.cli.app import main

from .conftest import FIXTURE_FILES, FIXTURES

MAIN = str(FIXTURES / "util-linux-libmount-mountinfo")
UTF8_ENV = {**os.environ, "LC_ALL": "C.UTF-8"}
ALL_BUT_SOURCES = ("AVAIL,FREQ,FSROOT,FSTYPE,FS-OPTIONS,ID,LABEL,MAJ:MIN,OPTIONS,OPT-FIELDS,PARENT,PARTLABEL,"
                   "PARTUUID,PASSNO,PROPAGATION,SIZE,SOURCE,TARGET,TID,USED,USE%,UUID,VFS-OPTIONS")
# Live statvfs figures of / and /dev/shm change between two runs: only pseudo mounts here.
STABLE_DF = ["-t", "proc,sysfs,devpts,cgroup,autofs"]

HOSTILE = (b"20 1 8:4 / / rw - ext3 /dev/sda4 rw\n"
           b"21 20 0:40 / /caf\xc3\xa9 rw - tmpfs t\xc3\xa9 rw,x=\xc3\xa9\n"
           b"22 20 0:41 / /\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c rw - tmpfs cjk rw\n"
           b"23 20 0:42 / /bad\xffx rw - tmpfs b\\134xad rw\n"
           b"24 20 0:43 / /a\\040b\\011c rw - tmpfs sp\\134ace rw\n"
           b"25 21 0:44 /sub /caf\xc3\xa9/in rw shared:5 - tmpfs t rw\n"
           b"26 20 0:45 / /ctl\xc2\x85z\xe2\x80\x8bw rw - tmpfs ctl rw\n")


# The whole grid of fixtures is `slow` (the full run); the default suite keeps two of them.
FEW_FIXTURES = [pytest.param(p, marks=() if p.name in ("util-linux-libmount-mountinfo",
                                                        "util-linux-findmnt-mountinfo-messy") else pytest.mark.slow)
                for p in FIXTURE_FILES]


def _findmnt_argv(findmnt: str, path: str, mode: str, args: list[str]) -> list[str]:
    listing = mode == "list" and not any(a in ("-r", "--raw", "-P", "--pairs", "-D", "--df", "-s") for a in args)
    return [findmnt, "-F", path, *(["-l"] if listing else []), *args]


def theirs(findmnt: str, path: str, mode: str, args: list[str], env=None) -> tuple[int, bytes]:
    return theirs_all(findmnt, path, mode, args, env)[:2]  # type: ignore[return-value]


def theirs_all(findmnt: str, path: str, mode: str, args: list[str], env=None) -> tuple[int, bytes, bytes]:
    done = subprocess.run(_findmnt_argv(findmnt, path, mode, args), capture_output=True, env=env or UTF8_ENV)
    return done.returncode, done.stdout, done.stderr


def ours(path: str, mode: str, args: list[str]) -> tuple[int, bytes]:
    return ours_all(path, mode, args)[:2]  # type: ignore[return-value]


def ours_all(path: str, mode: str, args: list[str]) -> tuple[int, bytes, bytes]:
    result = CliRunner().invoke(main, [mode, "-F", path, *args], catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr_bytes


@pytest.fixture(autouse=True)
def utf8_locale(monkeypatch):
    """Our in-process CLI draws as findmnt does under ``LC_ALL=C.UTF-8``."""
    monkeypatch.setattr(findmnt_render, "locale_is_utf8", lambda: True)


@pytest.fixture
def hostile(tmp_path) -> str:
    path = tmp_path / "hostile"
    path.write_bytes(HOSTILE)
    return str(path)


def agree(findmnt: str, path: str, mode: str, args: list[str]) -> None:
    """The same exit status and bytes; and where findmnt says nothing on stderr, neither
    do we, but for what the README says we say on purpose (:data:`SAID_ON_PURPOSE`)."""
    status, out, err = ours_all(path, mode, args)
    their_status, their_out, their_err = theirs_all(findmnt, path, mode, args)
    assert (status, out) == (their_status, their_out), (mode, args)
    if not their_err:
        said = [line for line in err.splitlines() if not any(words in line for words in SAID_ON_PURPOSE)]
        assert said == [], (mode, args, err)


SAID_ON_PURPOSE = (
    b"no parent in the table (parent",      # a tree with mounts whose parent is missing, once (issue 16)
    b"are on a parent cycle",               # a damaged table: findmnt says nothing (and may loop)
    b"is its own parent", b"repeated",
    b": no column named", b": an empty column name",  # a bad -o: findmnt exits 1 without a word
)


# ---- output formats and layout --------------------------------------------------------------

FORMATS = [[], ["-o", ALL_BUT_SOURCES, *STABLE_DF], ["-o", "ID,TARGET,PARENT,MAJ:MIN"],
           ["-o", "SOURCE,FSROOT,TARGET"], ["-n", "-o", "TARGET,VFS-OPTIONS,FS-OPTIONS"], ["-a"],
           ["-r"], ["-P"], ["-P", "-y", "-o", "TARGET,MAJ:MIN,USE%", *STABLE_DF], ["-J"],
           ["-J", "-o", "TARGET,ID,PARENT,FREQ"], ["-r", "-n", "-o", "SOURCE,TARGET,OPTIONS"],
           ["--output-all", *STABLE_DF], ["-J", "-o", "TARGET,SOURCES"], ["-P", "-o", "SOURCES,TARGET"]]


@pytest.mark.parametrize("path", FEW_FIXTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("mode", ["tree", "list"])
@pytest.mark.parametrize("args", FORMATS, ids=lambda a: " ".join(a[:4]) or "default")
def test_formats_byte_for_byte(findmnt, path, mode, args):
    agree(findmnt, str(path), mode, args)


@pytest.mark.parametrize("mode", ["tree", "list"])
@pytest.mark.parametrize("args", [[], ["-r"], ["-P"], ["-J"], ["-a"], ["-o", "SOURCE,TARGET,FSROOT,ID"]],
                         ids=lambda a: " ".join(a) or "default")
def test_hostile_names_byte_for_byte(findmnt, hostile, mode, args):
    """Wide (CJK) and zero-width characters, a C1 control, an invalid byte, a tab, a
    space, a backslash before x: encoded and aligned as libsmartcols does."""
    agree(findmnt, hostile, mode, args)


def _pty_run(argv: list[str], cols: int, env: dict[str, str]) -> tuple[int, bytes]:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    attrs = termios.tcgetattr(follower)
    attrs[1] &= ~termios.ONLCR
    termios.tcsetattr(follower, termios.TCSANOW, attrs)
    proc = subprocess.Popen(argv, stdout=follower, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    return proc.wait(), out


@pytest.mark.parametrize("path", FEW_FIXTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("cols", [20, 50, 80, 132])
@pytest.mark.parametrize("args", [[], ["-o", "TARGET,ID,PARENT,MAJ:MIN,FSROOT"], ["-o", "OPTIONS,TARGET,FS-OPTIONS"],
                                  ["-u"], ["-l", "-o", "ID,SOURCE,TARGET,OPTIONS,PROPAGATION"]],
                         ids=lambda a: " ".join(a) or "default")
def test_terminal_width_truncation(findmnt, monkeypatch, path, cols, args):
    """On a terminal cells are cut to fit (``-u``: never), long non-truncatable ones
    wrap the row: compared with findmnt in a pseudo-terminal ``cols`` wide."""
    mode = "list" if "-l" in args else "tree"
    rest = [a for a in args if a != "-l"]
    expect = _pty_run(_findmnt_argv(findmnt, str(path), mode, rest), cols, UTF8_ENV)
    monkeypatch.setattr(findmnt_view, "_is_term", lambda: True)
    monkeypatch.setattr(findmnt_view, "terminal_width", lambda: cols)
    assert ours(str(path), mode, rest) == expect


def test_terminal_detected_end_to_end(findmnt):
    """The real thing: our CLI in a 40-column pseudo-terminal finds the width itself."""
    script = Path(sys.executable).parent / "mountcursor"
    if not script.exists():
        pytest.skip("the mountcursor script is not installed next to the interpreter")
    argv = [str(script), "list", "-F", MAIN]
    assert _pty_run(argv, 40, UTF8_ENV) == _pty_run([findmnt, "-F", MAIN, "-l"], 40, UTF8_ENV)


@pytest.mark.parametrize("env", [{"LC_ALL": "C"}, {"LANG": "C"}, {"LANG": "C.UTF-8"}, {"LC_ALL": "POSIX"}],
                         ids=lambda e: next(iter(e.items()))[0] + "=" + next(iter(e.values())))
def test_locale_picks_tree_lines_end_to_end(findmnt, hostile, env):
    """Not UTF-8: ASCII tree lines and every non-ASCII byte as ``\\xHH``, as findmnt."""
    script = Path(sys.executable).parent / "mountcursor"
    if not script.exists():
        pytest.skip("the mountcursor script is not installed next to the interpreter")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONUTF8"))}
    clean.update(env)
    for mode in ("tree", "list"):
        mine = subprocess.run([str(script), mode, "-F", hostile], capture_output=True, env=clean)
        assert (mine.returncode, mine.stdout) == theirs(findmnt, hostile, mode, [], env=clean)


# ---- selection ----------------------------------------------------------------------------------

SELECTIONS = [
    ["-o", ",,,"], ["-o", ""], ["-o", "+"], ["-o", "TARGET,"], ["-o", "ID,+TARGET"], ["-o", "target,id,TARGET"],
    ["-o", "+ID", "-t", "proc"], ["-t", ""], ["-S", ""], ["-O", ""], ["-T", ""], ["-T", "/nonexistent"],
    ["-t", "xyzfs"], ["-J", "-t", "xyzfs"], ["-r", "-t", "xyzfs"],
    ["-T", "/proc/sys"], ["-M", "/proc/sys"], ["-M", "/proc"], ["-T", "/dev/mqueue"], ["/proc"], ["/proc/sys"],
    ["/dev/sda4"], ["0:3"], ["systemd-1"], ["systemd-1", "/dev/mqueue"], ["-f", "systemd-1"], ["-f"],
    ["-S", "/dev/sda6"], ["-S", "8:6"], ["-S", "systemd-1", "-T", "/dev/mqueue"],
    ["-R", "/sys/fs/cgroup"], ["-R", "-t", "cgroup"], ["-R", "-J", "/dev/mqueue"], ["-O", "+noatime", "-R"],
    ["--shadowed"], ["--shadowed", "-t", "autofs"], ["-U"], ["-U", "-t", "autofs,mqueue,hugetlbfs"],
    ["--real"], ["--pseudo"], ["--real", "-A"], ["-i", "-t", "autofs"], ["-d", "backward", "-t", "cgroup"],
    ["-v", "-o", "SOURCE,TARGET"], ["-e"], ["-c"],
    ["-D", *STABLE_DF], ["-D", "-b", *STABLE_DF], ["-D", "-A", *STABLE_DF], ["-D", "-o", "+USE%", *STABLE_DF],
    ["-D", "-t", "xyzfs"],
    ["--vfs-all", "-o", "TARGET,VFS-OPTIONS"], ["--tree", "-T", "/proc"], ["--tree", "-f"],
    ["--tree", "-r", "-t", "cgroup"], ["--tree", "-P", "-t", "sysfs,cgroup"], ["--tree", "-J", "-S", "systemd-1"],
    ["--tree", "-D", *STABLE_DF], ["--tree", "-R", "/sys"], ["-C", "-T", "/proc/sys"], ["-C", "-S", "/dev/sda4"],
    ["-C", "-M", "/proc"], ["-k"], ["-k", "-t", "cgroup"],
]


@pytest.mark.parametrize("mode", ["tree", "list"])
@pytest.mark.parametrize("args", SELECTIONS, ids=lambda a: " ".join(a))
def test_selection_byte_for_byte(findmnt, mode, args):
    if args == ["--shadowed"] and mode == "list":
        pytest.skip("differs on purpose: test_by_design_list_shadowed")
    agree(findmnt, MAIN, mode, args)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("args", [["--shadowed"], ["-U"], ["-R", "/"], ["--real"], ["-T", "/"], ["-f"]],
                         ids=lambda a: " ".join(a))
def test_selection_on_every_fixture(findmnt, path, args):
    agree(findmnt, str(path), "tree", args)


def test_by_design_list_shadowed(findmnt):
    """``findmnt -l --shadowed`` with no other filter prints every mount: its list mode
    ignores ``--shadowed`` (``is_listall_mode`` does not know the flag), while its tree
    mode and ``-l --shadowed -t TYPE`` apply it.  We always apply it."""
    assert theirs(findmnt, MAIN, "list", ["--shadowed"])[1].count(b"\n") == 34
    code, out = ours(MAIN, "list", ["--shadowed", "-o", "ID"])
    assert (code, out) == (0, b"ID\n33\n35\n36\n")
    assert out == theirs(findmnt, MAIN, "list", ["--shadowed", "-t", "autofs", "-o", "ID"])[1]


def test_usage_errors_exit_1_with_a_message():
    """findmnt exits 1 for a bad ``-o`` (silently for an empty name); we say why."""
    for args, message in ((["-o", ",,,"], "mountcursor: -o ',,,': an empty column name\n"),
                          (["-o", ""], "mountcursor: -o '': no column named\n"),
                          (["-o", "BOGUS"], "mountcursor: unknown column: BOGUS\n")):
        result = CliRunner().invoke(main, ["tree", "-F", MAIN, *args])
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", message)


# ---- other table formats ------------------------------------------------------------------------

FSTAB = (b"# comment\n\n  # indented\nLABEL=root / ext4 defaults,noatime 0 1\n"
         b"UUID=1234\t/boot  vfat  umask=0077,user,noauto 0 2\n/dev/sdb1 /mnt xfs ro\ntmpfs /tmp tmpfs\nbad\n"
         b"/dev/sdc1 /a\\040b ext4 rw,x-systemd.automount,nofail,comment=x,errors=remount-ro 1 2\nnone /x\n"
         b"a /u ext4 user,exec 0 0\nb /o ext4 exec,owner,user=x,ro=1 0 0\n")
MOUNTS = (b"proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\nsysfs /sys sysfs rw,relatime 0 0\n"
          b"/dev/vda / ext4 rw,relatime,discard 0 0\ntmpfs /dev/shm tmpfs rw,size=24684092k 0 0\n")
ALL_TAB = "TARGET,SOURCE,FSTYPE,OPTIONS,VFS-OPTIONS,FS-OPTIONS,FREQ,PASSNO,ID,PARENT,MAJ:MIN,FSROOT,PROPAGATION"


@pytest.mark.parametrize("name,data", [("fstab", FSTAB), ("mounts", MOUNTS)])
@pytest.mark.parametrize("mode", ["tree", "list"])
@pytest.mark.parametrize("args", [[], ["-o", ALL_TAB], ["-J", "-o", "TARGET,FREQ,PASSNO,ID,FSROOT"], ["-e"], ["-s"],
                                  ["LABEL=root"], ["-S", "UUID=1234"], ["/mnt"], ["-T", "/mnt"],
                                  ["-s", "-T", "/mnt"], ["-U"], ["-t", "ext4"], ["/tmp"], ["-f"],
                                  ["--vfs-all", "-o", "TARGET,VFS-OPTIONS,OPTIONS"]],
                         ids=lambda a: " ".join(a) or "default")
def test_fstab_and_mounts_formats(findmnt, tmp_path, name, data, mode, args):
    """``-F`` reads /proc/mounts and fstab files too (a list: no ids, no tree)."""
    path = tmp_path / name
    path.write_bytes(data)
    agree(findmnt, str(path), mode, args)


def test_fstab_bad_lines_are_reported(tmp_path):
    path = tmp_path / "fstab"
    path.write_bytes(FSTAB)
    result = CliRunner().invoke(main, ["list", "-F", str(path), "-o", "TARGET"])
    assert result.exit_code == 0
    assert "line 8" in result.stderr and "line 10" in result.stderr and "-- ignored" in result.stderr


def test_version():
    for argv in (["-V"], ["--version"], ["list", "-V"], ["tree", "--version"]):
        result = CliRunner().invoke(main, argv)
        assert result.exit_code == 0 and "version" in result.stdout


def test_tree_with_list_flag_is_list(findmnt):
    """``tree -l`` is ``findmnt -l``, so a ported command line keeps working."""
    assert ours(MAIN, "tree", ["-l", "-o", "TARGET,ID"]) == ours(MAIN, "list", ["-o", "TARGET,ID"])
    agree(findmnt, MAIN, "list", ["-o", "TARGET,ID"])


# ---- tags, symlinks and statvfs on this machine -------------------------------------------------


def test_source_symlink_is_resolved(findmnt, tmp_path):
    """``-S LINK`` matches the mount of the device the link points to (a real
    filesystem type; pseudo ones such as tmpfs are compared as written)."""
    link = tmp_path / "link"
    link.symlink_to("/dev/null")
    table = tmp_path / "mi"
    table.write_bytes(b"20 1 8:4 / / rw - ext4 /dev/null rw\n21 20 0:40 / /t rw - tmpfs /dev/null rw\n")
    for mode in ("tree", "list"):
        for args in (["-S", str(link)], [str(link)], ["-S", str(link), "-t", "tmpfs"]):
            agree(findmnt, str(table), mode, args)
    assert ours(str(table), "list", ["-S", str(link), "-o", "TARGET", "-n"]) == (0, b"/\n")


def _sh(pid: int, script: str, data: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(["nsenter", "-m", "-t", str(pid), "--", "sh", "-c", script], capture_output=True, input=data)


def test_tags_and_df_in_a_sandbox(findmnt):
    """In a private namespace with its own /dev: ``LABEL=``/``UUID=``/``PARTUUID=``/
    ``PARTLABEL=`` resolve through the udev links in /dev/disk/by-*, ``-e`` shows the
    device, and ``-D`` reports statvfs sizes, all as findmnt run in the same namespace."""
    from mountcursor.verify.sandbox import Sandbox, visible_root

    from .conftest import needs_sandbox

    needs_sandbox()
    script = Path(sys.executable).parent / "mountcursor"
    if not script.exists():
        pytest.skip("the mountcursor script is not installed next to the interpreter")
    with Sandbox(n=0, root=visible_root()) as sb:  # our script runs inside: keep it visible
        top = os.fsdecode(sb.root)
        mi, data = f"{top}/mi", f"{top}/data"
        sb.mount_tmpfs("/dev", data=b"size=1m,mode=755")       # this namespace's /dev only
        setup = _sh(sb.pid, "mknod /dev/vdz b 253 240 && mknod -m 666 /dev/null c 1 3 && "
                            "mkdir -p /dev/disk/by-label /dev/disk/by-uuid /dev/disk/by-partuuid /dev/disk/by-partlabel"
                            " && ln -s ../../vdz '/dev/disk/by-label/my\\x20disk'"
                            " && ln -s ../../vdz /dev/disk/by-uuid/1234-abcd"
                            " && ln -s ../../vdz /dev/disk/by-partuuid/p-1 && ln -s ../../vdz /dev/disk/by-partlabel/boot"
                            f" && cat > {mi}",
                    b"20 1 253:240 / / rw - ext4 /dev/vdz rw\n"
                    b"21 20 0:40 / /l rw - tmpfs LABEL=my\\040disk rw\n"
                    b"22 20 0:41 / /u rw - tmpfs UUID=1234-abcd rw\n"
                    b"23 20 0:42 / /n rw - tmpfs LABEL=none rw\n")
        assert setup.returncode == 0, setup.stderr
        sb.mount_tmpfs("data", source=b"/dev/vdz", data=b"size=4m")
        assert _sh(sb.pid, f"cat > {data}/f", b"x" * 1048576).returncode == 0
        cases = [["-F", mi, "-S", "LABEL=my disk"], ["-F", mi, "UUID=1234-abcd"],
                 ["-F", mi, "-S", "PARTUUID=p-1"], ["-F", mi, "-S", "PARTLABEL=boot"],
                 ["-F", mi, "-S", "LABEL=none"], ["-F", mi, "-e"], ["-F", mi, "-e", "-J"],
                 ["-F", mi], ["-D", "-T", data], ["-D", "-b", "-T", data],
                 ["-T", data, "-o", "TARGET,SOURCE,SIZE,USED,AVAIL,USE%", "-J"]]
        for args in cases:
            for mode in ("tree", "list"):
                listing = ["-l"] if mode == "list" and "-D" not in args else []
                theirs_run = subprocess.run(["nsenter", "-m", "-t", str(sb.pid), "--", findmnt, *listing, *args],
                                            capture_output=True, env=UTF8_ENV)
                ours_run = subprocess.run(["nsenter", "-m", "-t", str(sb.pid), "--", str(script), mode, *args],
                                          capture_output=True, env=UTF8_ENV)
                assert (ours_run.returncode, ours_run.stdout) == (theirs_run.returncode, theirs_run.stdout), \
                    (mode, args, ours_run.stderr)
            if args == ["-F", mi, "-S", "LABEL=my disk"]:
                assert ours_run.stdout.split(b"\n")[1].startswith(b"/ ")


CYCLE = (b"1 0 0:1 / / rw - ext4 /dev/r rw\n2 3 0:2 / /a rw - tmpfs a rw\n3 2 0:3 / /b rw - tmpfs b rw\n"
         b"5 5 0:5 / /x rw - tmpfs x rw\n6 5 0:6 / /x/y rw - tmpfs y rw\n")


@pytest.mark.parametrize("args,expect", [
    (["tree"], b"/       1 \n/a      2      3\n\xe2\x94\x94\xe2\x94\x80/b    3      2\n/x      5      5\n"
               b"\xe2\x94\x94\xe2\x94\x80/x/y  6      5\n"),
    (["tree", "-R", "/a"], b"/a      2      3\n\xe2\x94\x94\xe2\x94\x80/b    3      2\n"),
    (["list", "-R", "/b"], b"/b      3      2\n/a      2      3\n"),
    (["tree", "-U", "-t", "tmpfs"], b"/a      2      3\n\xe2\x94\x94\xe2\x94\x80/b    3      2\n"
                                    b"/x      5      5\n\xe2\x94\x94\xe2\x94\x80/x/y  6      5\n"),
    (["tree", "--shadowed"], None),
])
def test_parent_cycle_and_self_parent(tmp_path, args, expect):
    """findmnt 2.38 recurses for ever on a parent cycle and dies (SIGSEGV) in tree mode;
    here each mount is shown once, a cycle is entered at its first mount in table
    order, and a mount that is its own parent is a root.  findmnt also calls a mount
    that is its own parent over-mounted (by itself) for ``--shadowed``; it is not."""
    path = tmp_path / "cycle"
    path.write_bytes(CYCLE)
    result = CliRunner().invoke(main, [args[0], "-F", str(path), "-n", "-o", "TARGET,ID,PARENT", *args[1:]])
    assert (result.exit_code, result.stdout_bytes) == (0, expect or b"")


@pytest.mark.parametrize("args", [["-R", "/a"], ["-R", "/x"], ["-l", "-R", "/b"]])
def test_parent_cycle_where_findmnt_survives(findmnt, tmp_path, args):
    path = tmp_path / "cycle"
    path.write_bytes(CYCLE)
    mode = "list" if "-l" in args else "tree"
    agree(findmnt, str(path), mode, [a for a in args if a != "-l"])


COLLIDING = (b"1 0 8:4 / / rw - ext3 /dev/sda4 rw\n16 1 0:40 / /t rw - tmpfs t rw\n"
             b"21 16 0:41 / /t/u rw - tmpfs u rw\n")


@pytest.mark.parametrize("mode", ["tree", "list"])
@pytest.mark.parametrize("args", [["-R", "-T", "/sys"], ["-R", "/t"], ["-R", "/sys/fs/cgroup"], ["-R", "-t", "tmpfs"]])
def test_submounts_of_ids_two_files_share(findmnt, tmp_path, mode, args):
    """Two ``-F`` files whose ids collide (16, 21): a row's children are the rows whose
    parent is its id, whichever file they come from (libmount's
    ``mnt_table_next_child_fs()``), as findmnt shows them."""
    other = tmp_path / "other"
    other.write_bytes(COLLIDING)
    agree(findmnt, str(other), mode, ["-F", MAIN, *args])


def test_findmnt_dies_on_a_parent_cycle(findmnt, tmp_path):
    path = tmp_path / "cycle"
    path.write_bytes(CYCLE)
    done = subprocess.run([findmnt, "-F", str(path)], capture_output=True, timeout=60)
    assert done.returncode < 0 or done.returncode > 128   # killed by a signal (stack overflow)


def test_task_table_and_tid(findmnt):
    """``-N PID`` reads that process's table (a sandbox's: it does not change under us)."""
    from mountcursor.verify.sandbox import Sandbox

    from .conftest import needs_sandbox

    needs_sandbox()
    with Sandbox(n=3) as sb:
        for mode in ("tree", "list"):
            args = ["-N", str(sb.pid), "-o", "TARGET,SOURCE,FSTYPE,TID,ID"]
            want = subprocess.run([findmnt, *(["-l"] if mode == "list" else []), *args], capture_output=True,
                                  env=UTF8_ENV)
            got = CliRunner().invoke(main, [mode, *args])
            assert (got.exit_code, got.stdout_bytes) == (want.returncode, want.stdout)
            assert f" {sb.pid} ".encode() in got.stdout_bytes


def test_id_filters():
    """``--id`` and ``--uniq-id`` (util-linux 2.40): a tree filtered like findmnt's other
    matches, or the list of those mounts."""
    assert ours(MAIN, "list", ["--id", "15", "--id", "37", "-n", "-o", "ID,TARGET"]) == \
        (0, b"15 /proc\n37 /proc/bus/usb\n")
    assert ours(MAIN, "tree", ["--id", "37", "-n", "-o", "ID,TARGET"]) == (0, b"37 /proc/bus/usb\n")
    assert ours(MAIN, "list", ["--id", "999"]) == (1, b"")
    assert ours(MAIN, "list", ["--uniq-id", "15"]) == (1, b"")      # a saved mountinfo has no 64-bit ids


def test_uniq_id_on_a_listmount_table():
    from mountcursor.verify.sandbox import Sandbox, visible_root

    from .conftest import needs_sandbox

    needs_sandbox()
    script = Path(sys.executable).parent / "mountcursor"
    if not script.exists():
        pytest.skip("the mountcursor script is not installed next to the interpreter")
    with Sandbox(n=0, root=visible_root()) as sb:  # our script runs inside: keep it visible
        facts = sb.mount_tmpfs("u")
        if facts.unique_id is None:
            pytest.skip("this kernel gives no 64-bit mount ids")
        done = subprocess.run(["nsenter", "-m", "-t", str(sb.pid), "--", str(script), "list", "--method", "listmount",
                               "--uniq-id", str(facts.unique_id), "-n", "-o", "TARGET,UNIQ-ID"], capture_output=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"{os.fsdecode(sb.root)}/u {facts.unique_id}\n".encode()


@pytest.mark.parametrize("mode", ["tree", "list"])
@pytest.mark.parametrize("args", [[], ["--tree"], ["-t", "cgroup,btrfs"], ["-J"], ["-o", "TARGET,ID,PARENT"]],
                         ids=lambda a: " ".join(a) or "default")
def test_several_tab_files(findmnt, mode, args):
    """``-F A -F B``: one list of both tables (never a tree), as findmnt."""
    other = str(FIXTURES / "util-linux-libmount-mountinfo_btrfs")
    agree(findmnt, MAIN, mode, ["-F", other, *args])


@pytest.mark.parametrize("mode", ["tree", "list"])
@pytest.mark.parametrize("first", ["mountinfo", "fstab", "comments"])
def test_several_formats_are_read_as_one_table_in_the_first_format(findmnt, tmp_path, mode, first):
    """findmnt reads every ``-F`` file into one table, in the format libmount guesses
    from the table's first entry line (a file of comments leaves it to the next): an
    fstab after a mountinfo file is all parse errors, a mountinfo file after an fstab
    too, as here.  The same rows, status, and lines warned about."""
    fstab = tmp_path / "fstab"
    fstab.write_bytes(FSTAB)
    comments = tmp_path / "comments"
    comments.write_bytes(b"# nothing\n\n")
    files = {"mountinfo": [MAIN, str(fstab)], "fstab": [str(fstab), MAIN], "comments": [str(comments), str(fstab)]}
    args = [f for path in files[first][1:] for f in ("-F", path)] + ["-o", "TARGET,SOURCE"]
    first_path = files[first][0]
    status, out, err = ours_all(first_path, mode, args)
    their_status, their_out, their_err = theirs_all(findmnt, first_path, mode, args)
    assert (status, out) == (their_status, their_out)
    warned = re.findall(rb": ([^:]+): (?:parse error at )?line (\d+)", err)
    more = sum(int(n) for n in re.findall(rb"(\d+) more warnings not shown", err))  # MAX_WARNINGS a file here
    their_warned = re.findall(rb": ([^:]+): (?:parse error at )?line (\d+)", their_err)
    assert warned == their_warned[:len(warned)] and len(warned) + more == len(their_warned)


UTAB = (b"SRC=/dev/sda6 TARGET=/boot ROOT=/ OPTS=x-foo,user=kzak\n"
        b"ID=99 SRC=/dev/mapper/kzak-home TARGET=/home/kzak ROOT=/ OPTS=helper=udisks2 ATTRS=foo\n"
        b"SRC=none TARGET=/nomatch ROOT=/ OPTS=x-y\nSRC=/dev/sda4 TARGET=/ ROOT=/ ATTRS=a\n"
        b"SRC=systemd-1 TARGET=/dev/mqueue ROOT=/ OPTS=x-mq\n")


@pytest.mark.parametrize("mode", ["tree", "list"])
@pytest.mark.parametrize("args", [["-m"], ["-m", "-o", "TARGET,SOURCE,OPTIONS,VFS-OPTIONS,FS-OPTIONS"],
                                  ["-m", "-O", "user=kzak"], ["-m", "-O", "x-mq"], ["-m", "-J"], ["-m", "--tree"],
                                  ["-m", "--vfs-all", "-o", "TARGET,VFS-OPTIONS"]],
                         ids=lambda a: " ".join(a))
def test_mtab_merges_utab(findmnt, monkeypatch, tmp_path, mode, args):
    """``-m``: libmount's userspace options from utab (``$LIBMOUNT_UTAB``) are added to
    the kernel mount with the same source, mount point and root."""
    utab = tmp_path / "utab"
    utab.write_bytes(UTAB)
    monkeypatch.setenv("LIBMOUNT_UTAB", str(utab))
    done = subprocess.run(_findmnt_argv(findmnt, MAIN, mode, args), capture_output=True,
                          env={**UTF8_ENV, "LIBMOUNT_UTAB": str(utab)})
    assert ours(MAIN, mode, args) == (done.returncode, done.stdout)


def test_mtab_options(monkeypatch, tmp_path):
    utab = tmp_path / "utab"
    utab.write_bytes(UTAB)
    monkeypatch.setenv("LIBMOUNT_UTAB", str(utab))
    assert ours(MAIN, "list", ["-m", "-O", "user=kzak", "-n", "-o", "OPTIONS"]) == \
        (0, b"rw,noatime,errors=continue,barrier=0,data=ordered,x-foo,user=kzak\n")
    monkeypatch.setenv("LIBMOUNT_UTAB", str(tmp_path / "none"))
    assert ours(MAIN, "list", ["-m", "-O", "user=kzak"]) == (1, b"")


@pytest.mark.parametrize("args", [["-O", "noauto"], ["-O", "defaults"], ["-O", "user"], ["-O", "nouser"], ["-O", "ro"]],
                         ids=lambda a: " ".join(a))
def test_fstab_options_match_as_written(findmnt, tmp_path, args):
    """On an fstab, ``-O`` matches the options as written (userspace ones included), and
    a line without options matches no pattern."""
    path = tmp_path / "fstab"
    path.write_bytes(FSTAB)
    agree(findmnt, str(path), "list", args)
