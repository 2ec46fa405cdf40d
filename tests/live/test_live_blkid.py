"""Tags and devices as findmnt sees them, without udev (issue 18, item 5): libblkid
through ctypes for ``LABEL=``/``UUID=``, the LABEL/UUID/PARTUUID/PARTLABEL/SOURCES
columns, and ``-x/--verify`` (``--verbose``), byte for byte with /usr/bin/findmnt.

The fstab files are written here; the filesystem is a loop device (``mkfs.ext4 -L``)
mounted in a private namespace of the project's sandbox, run as root, the loop device
detached afterwards.  This machine has no udev (no /run/udev, no /dev/disk/by-*), which
is the case the item is about."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.live import blkid
from mountcursor.live.devices import split_tag

FINDMNT = shutil.which("findmnt")
needs_findmnt = pytest.mark.skipif(FINDMNT is None, reason="findmnt (util-linux) is not installed")
needs_blkid = pytest.mark.skipif(blkid.unavailable() is not None, reason=f"libblkid: {blkid.unavailable()}")
ENV = {**os.environ, "LC_ALL": "C.UTF-8"}


def _ours(args: list[str], env: dict[str, str] | None = None) -> tuple[int, bytes, bytes]:
    done = subprocess.run([sys.executable, "-m", "mountcursor", *args], capture_output=True, env=env or ENV,
                          timeout=120)
    return done.returncode, done.stdout, done.stderr


def _theirs(args: list[str]) -> tuple[int, bytes, bytes]:
    assert FINDMNT is not None
    done = subprocess.run([FINDMNT, *args], capture_output=True, env=ENV, timeout=120)
    return done.returncode, done.stdout, done.stderr


def _as_findmnt(err: bytes) -> bytes:
    """Our stderr with findmnt's name where we say ours."""
    return b"\n".join(b"findmnt:" + line[len(b"mountcursor:"):] if line.startswith(b"mountcursor:") else line
                      for line in err.split(b"\n"))


# ---- the tag parser is libblkid's -------------------------------------------------------------


@needs_blkid
@pytest.mark.parametrize("spec", [b"LABEL=x", b"LABEL=", b"LABEL=\"a b\"", b"LABEL='a'tail", b"LABEL=\"open",
                                  b"UUID=\"\"", b"=v", b"noequals", b"A=b=c", b"LABEL='", b"X=\"a\"b\"c"])
def test_split_tag_is_blkid_parse_tag_string(spec: bytes) -> None:
    """:func:`split_tag` answers what ``blkid_parse_tag_string`` answers (libmount's
    test of whether a source is a tag), on quotes, empty values and stray ``=``."""
    lib = ctypes.CDLL("libblkid.so.1")
    libc = ctypes.CDLL(None)
    libc.free.argtypes = (ctypes.c_void_p,)
    lib.blkid_parse_tag_string.argtypes = (ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p),
                                           ctypes.POINTER(ctypes.c_void_p))
    name, value = ctypes.c_void_p(), ctypes.c_void_p()
    rc = lib.blkid_parse_tag_string(spec, ctypes.byref(name), ctypes.byref(value))
    expect = None
    if rc == 0:
        expect = (ctypes.string_at(name.value or 0), ctypes.string_at(value.value or 0))
        libc.free(name)
        libc.free(value)
    assert split_tag(spec) == expect


# ---- --verify on fstab files ------------------------------------------------------------------


def _fstab(top: Path) -> bytes:
    """Good and bad entries: unknown tags and types, missing targets and sources,
    files and directories as sources, duplicates, a mount point before its parent,
    swap options, parse errors, pseudo and network filesystems, a non-canonical path."""
    (top / "dir").mkdir()
    (top / "sub").mkdir()
    (top / "file").write_bytes(b"")
    t = os.fsencode(top)
    return b"".join([
        b"# comment\n",
        b"LABEL=mc-no-such-label /mnt ext4 defaults 0 2\n",
        b"UUID=0000-1111 /boot vfat noauto,umask=0077 0 2\n",
        b"/dev/mc-no-such-dev %s/dir ext4 rw 0 0\n" % t,
        b"%s/file %s/dir ext4 rw 0 0\n" % (t, t),
        b"%s/dir %s/dir none bind 0 0\n" % (t, t),
        b"%s/dir %s/dir none rw 0 0\n" % (t, t),
        b"tmpfs %s//dir/ tmpfs size=1m,x-foo=bar,nofail,comment=x 0 0\n" % t,
        b"tmpfs %s/nonexist tmpfs size=1m 0 0\n" % t,
        b"tmpfs %s/nonexist2 tmpfs noauto 0 0\n" % t,
        b"/dev/null %s/file ext4 defaults 0 0\n" % t,
        b"/dev/null / ext4 defaults 0 0\n",
        b"/dev/null /srv mc-bogusfs defaults 0 0\n",
        b"/dev/null /srv auto defaults 0 0\n",
        b"/dev/null /srv xfs defaults 0 0\n",
        b"FOO=bar %s/sub ext4 defaults\n" % t,
        b"/dev/null none swap discard=foo,pri=1x 0 0\n",
        b"/dev/null none swap discard=once,pri=-5 0 0\n",
        b"bad\n",
        b"proc /proc proc defaults\n",
        b"%s/sub %s nfs defaults\n" % (t, t),
        b"%s/dir/.. %s/sub ext4 defaults 1 x\n" % (t, t),
        b"srv:/x %s/sub nfs4 defaults\n" % t,
    ])


@needs_findmnt
@pytest.mark.parametrize("opts", [[], ["--verbose"], ["-C"], ["--verbose", "-C"], ["-t", "ext4"], ["/srv"],
                                  ["-f"], ["-d", "backward"], ["-U"], ["-i", "-t", "ext4"], ["--real"],
                                  ["-S", "/dev/null"], ["-M", "/srv", "--verbose"], ["LABEL=mc-no-such-label"]],
                         ids=lambda o: " ".join(o) or "plain")
def test_verify_an_fstab_as_findmnt(tmp_path: Path, opts: list[str]) -> None:
    """``-x -F FILE``: every line of findmnt's report, its summary on stderr (with the
    parse errors said first) and its exit status, whatever filters pick the entries."""
    fstab = tmp_path / "fstab"
    fstab.write_bytes(_fstab(tmp_path))
    args = ["-x", "-F", str(fstab), *opts]
    status, out, err = _ours(["list", *args])
    their_status, their_out, their_err = _theirs(args)
    assert (status, out, _as_findmnt(err)) == (their_status, their_out, their_err)
    if not opts:
        assert their_status == 1 and b"2 parse errors, " in err and b"   [E] wrong order: " in out


@needs_findmnt
def test_verify_a_good_fstab_is_a_success(tmp_path: Path) -> None:
    """Nothing wrong: ``Success, ...`` on stdout, nothing on stderr, exit 0 (``tree``
    and ``list`` alike); with ``--verbose`` what was checked, then the same line."""
    (tmp_path / "a").mkdir()
    fstab = tmp_path / "fstab"
    fstab.write_bytes(b"tmpfs %s tmpfs size=1m 0 0\nproc /proc proc defaults 0 0\n" % os.fsencode(tmp_path / "a"))
    for opts in ([], ["--verbose"]):
        args = ["-x", "-F", str(fstab), *opts]
        expect = _theirs(args)
        assert _ours(["tree", *args]) == _ours(["list", *args]) == expect
        assert expect[0] == 0 and expect[1].endswith(b"Success, no errors or warnings detected\n")
        assert (b"   [ ] target exists\n" in expect[1]) == bool(opts)


@needs_findmnt
def test_verify_reads_libmount_fstab(tmp_path: Path) -> None:
    """``-x`` alone (and ``--fstab``) checks ``$LIBMOUNT_FSTAB`` when it is set, as
    libmount's ``mnt_get_fstab_path``."""
    fstab = tmp_path / "fstab"
    fstab.write_bytes(b"tmpfs /mc-no-such-dir tmpfs defaults 0 0\n")
    env = {**ENV, "LIBMOUNT_FSTAB": str(fstab)}
    for args in (["-x"], ["-x", "--fstab"]):
        ours = _ours(["list", *args], env)
        assert FINDMNT is not None
        done = subprocess.run([FINDMNT, *args], capture_output=True, env=env, timeout=60)
        assert ours == (done.returncode, done.stdout, done.stderr)
        assert ours[1] == b"/mc-no-such-dir\n   [E] unreachable on boot required target: No such file or directory\n"


@needs_findmnt
@pytest.mark.parametrize("args", [["-x"], ["-x", "--verbose"], ["-x", "-k"], ["-x", "-k", "--verbose"], ["-s"],
                                  ["-s", "-o", "TARGET,FREQ,PASSNO"]], ids=" ".join)
def test_an_fstab_is_read_as_fstab(tmp_path: Path, args: list[str]) -> None:
    """``-x`` and ``-s`` read a file as fstab whatever its lines look like (libmount's
    ``mnt_table_parse_fstab``): mountinfo lines are parse errors there; ``-k`` reads
    the same file as mountinfo.  (``-s`` says what is wrong in its own words.)"""
    table = tmp_path / "mi"
    table.write_bytes(b"20 1 8:1 / / rw - ext4 /dev/null rw\n21 20 0:40 / /mc-none rw - tmpfs tmpfs rw\n"
                      b"/dev/null / ext4 defaults 0 1\n")
    line = ["-F", str(table), *args]
    status, out, err = _ours(["list", *line])
    their_status, their_out, their_err = _theirs(["-l", *line] if "-s" in args else line)
    assert (status, out) == (their_status, their_out)
    if "-x" in args:
        assert _as_findmnt(err) == their_err
        assert (b"2 parse errors" in err) == ("-k" not in args)


def test_kernel_filesystems_from_proc_and_modules(tmp_path: Path) -> None:
    """The filesystems ``--verify`` knows: ``/proc/filesystems`` (a ``nodev`` flag
    skipped) and the running kernel's ``modules.dep`` entries under ``kernel/fs/`` but
    ``nls``, each name once (findmnt's ``match_fstype``, case-insensitive, so a name
    that starts with ``no`` is a negation and is never added), a line longer than
    fgets' 1023 bytes read in pieces as fgets reads it."""
    from mountcursor.findmnt.verify import kernel_filesystems, match_fstype

    proc = tmp_path / "filesystems"
    proc.write_bytes(b"nodev\tsysfs\nnodev\ttmpfs\n\text4\n\tEXT4\nnodev\tnovfs\n")
    release = tmp_path / "modules" / os.uname().release
    release.mkdir(parents=True)
    (release / "modules.dep").write_bytes(
        b"kernel/fs/xfs/xfs.ko.xz: kernel/lib/libcrc32c.ko\nkernel/fs/nls/nls_utf8.ko:\n"
        b"kernel/drivers/block/loop.ko:\nkernel/fs/btrfs/btrfs.ko: " + b"x" * 2000 + b"\n"
        b"kernel/fs/isofs/isofs.ko:\nkernel/fs/noext/ext4.ko:\nkernel/fs/nocolon.ko\n"
        b"kernel/drivers/x.ko: " + b"y" * (1023 - 21) + b"kernel/fs/cut/cut.ko:\n")  # fgets' second piece
    names = kernel_filesystems(str(proc), str(tmp_path / "modules"))
    assert names == [b"sysfs", b"tmpfs", b"ext4", b"xfs", b"btrfs", b"isofs", b"cut"]  # "novfs": "not vfs", known
    assert kernel_filesystems(str(tmp_path / "none"), str(tmp_path / "modules")) == []
    assert kernel_filesystems(str(proc), str(tmp_path / "none")) == names[:3]
    assert [match_fstype(b"ext4", p) for p in (b"ext4", b"EXT4", b"xfs,ext4", b"noext4", b"noxfs", b"ext", b"ext4x",
                                               b"xfs,noext4")] == [True, True, True, False, True, False, False, False]


def test_verify_without_libblkid(tmp_path: Path) -> None:
    """``-x`` without libblkid: tags through the udev links (none here: unreachable),
    no on-disk type, and the one line saying why, once."""
    fstab = tmp_path / "fstab"
    fstab.write_bytes(b"LABEL=mc-a / ext4 defaults 0 1\nUUID=mc-b /srv ext4 noauto 0 0\n/dev/null /mnt ext4\n")
    status, out, err = _ours(["list", "-x", "-F", str(fstab)], {**ENV, "MOUNTCURSOR_LIBBLKID": ""})
    assert status == 1
    assert out == (b"/\n   [E] unreachable on boot required source: LABEL=mc-a\n/srv\n   [W] unreachable: UUID=mc-b\n"
                   b"/mnt\n   [W] source /dev/null is not a block device\n"
                   b"   [W] cannot detect on-disk filesystem type (reason unknown)\n")
    assert err == (b"mountcursor: libblkid disabled ($MOUNTCURSOR_LIBBLKID is empty): tags and LABEL/UUID/PARTUUID/"
                   b"PARTLABEL from /dev/disk/by-* links only\n\n0 parse errors, 1 error, 3 warnings\n")


def test_verify_takes_no_output_format() -> None:
    """``-x`` with ``-J``/``-r``/``-P``/``-l`` is a usage error, as findmnt's exclusive options."""
    for other in ("-J", "-r", "-P", "-l"):
        result = CliRunner().invoke(main, ["tree", "-x", other])
        assert result.exit_code == 2 and "--verify cannot be used together" in result.stderr, other


# ---- without libblkid ---------------------------------------------------------------------------


def test_without_libblkid_one_line_says_so(tmp_path: Path) -> None:
    """Where libblkid cannot be loaded, tags come from /dev/disk/by-* alone, and one
    line says so, once, however many tags and columns asked for it; never otherwise."""
    table = tmp_path / "mi"
    table.write_bytes(b"20 1 8:1 / / rw - ext4 /dev/null rw\n21 20 0:40 / /u rw - ext4 UUID=mc-none rw\n")
    args = ["list", "-F", str(table), "-o", "TARGET,LABEL,UUID,PARTUUID", "-S", "LABEL=mc-no-such-label"]
    for setting in ("", "/mc/no/libblkid.so.1"):
        status, out, err = _ours(args, {**ENV, "MOUNTCURSOR_LIBBLKID": setting})
        assert (status, out) == (1, b"")
        assert err.count(b"\n") == 1 and err.endswith(
            b": tags and LABEL/UUID/PARTUUID/PARTLABEL from /dev/disk/by-* links only\n"), err
        assert err.startswith(b"mountcursor: libblkid ")
    status, out, err = _ours(["list", "-F", str(table), "-o", "TARGET,UUID"], {**ENV, "MOUNTCURSOR_LIBBLKID": ""})
    assert (status, err) == (0, err) and out.endswith(b"/u     mc-none\n") and err.count(b"\n") == 1
    assert _ours(["list", "-F", str(table)], {**ENV, "MOUNTCURSOR_LIBBLKID": ""})[2] == b""  # no tag asked: silent


# ---- a loop device in a sandbox -----------------------------------------------------------------


@pytest.fixture
def loop_fs(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """An ext4 filesystem with a label and UUID of this run, on a loop device:
    ``(device, label, uuid)``; the device is detached afterwards."""
    from .conftest import needs_sandbox

    needs_sandbox()
    for tool in ("mkfs.ext4", "losetup"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    label, fs_uuid = f"mcl{os.getpid() % 100000}", str(uuid.uuid4())
    image = tmp_path / "fs.img"
    with open(image, "wb") as f:
        f.truncate(8 << 20)
    made = subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, "-U", fs_uuid, str(image)], capture_output=True)
    assert made.returncode == 0, made.stderr
    attached = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True)
    if attached.returncode != 0:
        pytest.skip(f"no loop device: {attached.stderr.decode().strip()}")
    device = attached.stdout.decode().strip()
    try:
        yield device, label, fs_uuid
    finally:
        subprocess.run(["losetup", "-d", device], capture_output=True)


def _in(pid: int, argv: list[str], env: dict[str, str] | None = None, data: bytes = b"") -> tuple[int, bytes, bytes]:
    """Run ``argv`` in the mount namespace of ``pid`` (``data`` on its stdin)."""
    done = subprocess.run(["nsenter", "-m", "-t", str(pid), "--", *argv], capture_output=True, env=env or ENV,
                          timeout=120, input=data)
    return done.returncode, done.stdout, done.stderr


@needs_findmnt
@needs_blkid
def test_loop_device_tags_as_findmnt(loop_fs: tuple[str, str, str]) -> None:
    """A filesystem mounted from a loop device, no udev: ``-S LABEL=``, ``UUID=``, the
    tag columns, ``-e``, SOURCES and ``-x`` of fstab lines with ``LABEL=``/``UUID=``
    (right, wrong type, unknown tag) print what findmnt prints, and without libblkid
    ``-S LABEL=`` finds nothing, as the udev links alone would."""
    from mountcursor.verify.sandbox import Sandbox, visible_root

    assert FINDMNT is not None
    device, label, fs_uuid = loop_fs
    script = Path(sys.executable).parent / "mountcursor"
    if not script.exists():
        pytest.skip("the mountcursor script is not installed next to the interpreter")
    with Sandbox(n=0, root=visible_root()) as sb:
        where = os.fsdecode(sb.mount(device, "lbl", "ext4").path)
        fstab = os.fsdecode(sb.root) + "/fstab"  # in the sandbox's own tmpfs
        _in(sb.pid, ["sh", "-c", f"cat > {fstab}"],
            data=(f"LABEL={label} {where} ext4 defaults 0 2\nUUID={fs_uuid} {where}/ ext4 ro 0 2\n"
                  f"LABEL={label} /srv xfs defaults 0 0\nUUID=\"{fs_uuid}\" {where} auto noauto 0 0\n"
                  f"PARTUUID=mc-none {where} ext4 defaults 0 0\n{device} {where} ext4 defaults 0 0\n").encode())
        cases = [["-l", "-S", f"LABEL={label}"], ["-l", f"LABEL={label}"], ["-l", "-S", f"UUID={fs_uuid}"],
                 ["-l", "-o", "SOURCE,LABEL,UUID,FSTYPE,PARTUUID,PARTLABEL", "-T", where],
                 ["-S", f"LABEL={label}", "-J", "-o", "TARGET,SOURCE,LABEL,UUID"],
                 ["-l", "-e", "-S", f"UUID={fs_uuid}"], ["-l", "-o", "SOURCE,SOURCES,LABEL", "-T", where],
                 ["-l", "-C", "-o", "SOURCE,LABEL,UUID", "-T", where], ["-l", "-S", device, "-o", "TARGET,LABEL"],
                 ["-x", "--fstab", "-F", fstab], ["-x", "-F", fstab, "--verbose"],
                 ["-x", "-F", fstab, "-S", f"LABEL={label}", "--verbose"], ["-x", "-F", fstab, "-C"],
                 ["-l", "-F", fstab, "-o", "TARGET,SOURCE,LABEL,UUID", "-e"]]
        for args in cases:
            theirs = _in(sb.pid, [FINDMNT, *args])
            ours = _in(sb.pid, [str(script), "list", *(a for a in args if a != "-l")])
            assert (ours[0], ours[1], _as_findmnt(ours[2])) == theirs, args
        status, out, _ = _in(sb.pid, [str(script), "list", "-S", f"LABEL={label}", "-o", "SOURCE,LABEL,UUID,FSTYPE",
                                      "-n"])
        assert (status, out.split()) == (0, [device.encode(), label.encode(), fs_uuid.encode(), b"ext4"])
        _, out, _ = _in(sb.pid, [FINDMNT, "-x", "-F", fstab])
        assert f"   [E] xfs does not match with on-disk ext4\n".encode() in out
        status, out, err = _in(sb.pid, [str(script), "list", "-S", f"LABEL={label}"],
                               {**ENV, "MOUNTCURSOR_LIBBLKID": ""})
        assert (status, out) == (1, b"") and err.count(b"\n") == 1


@needs_findmnt
def test_stale_fstab_warning_as_findmnt() -> None:
    """systemd loaded its units before fstab last changed: findmnt (built with
    systemd) warns after the entries; so do we.  The stamp is made in a private
    namespace (a tmpfs over /run/systemd there), never on the host."""
    from mountcursor.verify.sandbox import Sandbox, visible_root

    from .conftest import needs_sandbox

    needs_sandbox()
    assert FINDMNT is not None
    script = Path(sys.executable).parent / "mountcursor"
    if not script.exists():
        pytest.skip("the mountcursor script is not installed next to the interpreter")
    if not os.path.isdir("/run/systemd") or not os.path.exists("/etc/fstab"):
        pytest.skip("no /run/systemd or /etc/fstab to compare")
    with Sandbox(n=0, root=visible_root()) as sb:
        fstab = os.fsdecode(sb.root) + "/fstab"  # in the sandbox's own tmpfs
        _in(sb.pid, ["sh", "-c", f"cat > {fstab}"], data=b"proc /proc proc defaults 0 0\n")
        sb.mount_tmpfs("/run/systemd", data=b"size=64k")
        assert _in(sb.pid, ["touch", "-d", "2000-01-01", "/run/systemd/systemd-units-load"])[0] == 0
        for args in (["-x", "-F", fstab], ["-x", "-F", fstab, "-f", "-t", "proc", "--verbose"]):
            theirs = _in(sb.pid, [FINDMNT, *args])
            ours = _in(sb.pid, [str(script), "list", *args])
            assert (ours[0], ours[1], _as_findmnt(ours[2])) == theirs, args
            assert b"use 'systemctl daemon-reload' to reload" in theirs[1]
