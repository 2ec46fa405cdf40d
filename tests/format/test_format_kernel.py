"""Hostile mounts in a private mount namespace: the kernel's bytes equal render(parse(...)).

A child process runs under ``unshare -m --propagation private`` (never touching the
host's table), mounts tmpfs at paths and with device names holding space, tab, newline,
backslash, ``#``, ``\\r`` and ``\\xff``, sets up shared/slave/unbindable propagation and a
chroot in which a slave's master is out of sight (``propagate_from``), and saves the
three proc files.  The test parses each, re-renders each record and compares bytes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mountcursor.format import (
    MountInfoRecord,
    parse_mountinfo,
    parse_mounts,
    parse_mountstats,
    render_mountinfo,
    render_mounts,
    render_mountstats,
)

pytestmark = pytest.mark.root

UNSHARE = ["unshare", "-m", "--propagation", "private"]
HOSTILE = [b"sp ace", b"t\tab", b"n\nl", b"back\\slash", b"ha#sh", b"c\rr", b"x\xffy", b"oct\\040al", b"-",
           b"shared:1", b" lead", b"all \t\n\\#\r\xff"]

# Runs inside the private namespace: argv[1] is the work dir, argv[2:] hex-encoded names.
CHILD = textwrap.dedent(
    r"""
    import ctypes, os, sys
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    MS_RDONLY, MS_BIND, MS_REC = 1, 4096, 0x4000
    MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED = 1 << 17, 1 << 18, 1 << 19, 1 << 20

    def mount(source, target, fstype=None, flags=0, data=None):
        if libc.mount(source, target, fstype, flags, data) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"mount {source!r} on {target!r}: {os.strerror(err)}")

    def mkdir(path):
        os.makedirs(path, exist_ok=True)
        return path

    work = os.fsencode(sys.argv[1])
    mount(None, b"/", None, MS_REC | MS_PRIVATE)  # unshare did it already; be sure
    base = mkdir(work + b"/m")
    mount(b"top", base, b"tmpfs")
    for name in (bytes.fromhex(h) for h in sys.argv[2:]):
        mount(b"src" + name, mkdir(base + b"/" + name), b"tmpfs")
    mount(None, mkdir(base + b"/nullsrc"), b"tmpfs")
    mount(b"", mkdir(base + b"/emptysrc"), b"tmpfs")
    mount(b"R", mkdir(base + b"/ro"), b"tmpfs", MS_RDONLY)
    a = mkdir(base + b"/a"); mount(b"A", a, b"tmpfs"); mount(None, a, None, MS_SHARED)
    b = mkdir(base + b"/b"); mount(a, b, None, MS_BIND)
    mount(None, b, None, MS_SLAVE); mount(None, b, None, MS_SHARED)
    jail = mkdir(base + b"/jail"); mount(b"J", jail, b"tmpfs")
    c = mkdir(jail + b"/c"); mount(b, c, None, MS_BIND); mount(None, c, None, MS_SLAVE)
    mount(a, mkdir(jail + b"/a2"), None, MS_BIND)
    u = mkdir(base + b"/u"); mount(b"U", u, b"tmpfs"); mount(None, u, None, MS_UNBINDABLE)
    x = mkdir(base + b"/x"); mount(b"X", x, b"tmpfs")
    open(x + b"/file", "w").close(); open(x + b"/target", "w").close()
    mount(x + b"/file", x + b"/target", None, MS_BIND); os.unlink(x + b"/file")
    try:
        fuse_fd = os.open("/dev/fuse", os.O_RDWR)
        mount(b"fu#se src", mkdir(base + b"/fuse"), b"fuse.my#sub x", 0,
              b"fd=%d,rootmode=40000,user_id=0,group_id=0" % fuse_fd)
    except OSError as e:
        print("no fuse:", e, file=sys.stderr)

    def save(name, data):
        with open(work + b"/" + name, "wb") as f:
            f.write(data)

    def read_all(fd):
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        os.close(fd)
        return b"".join(chunks)

    proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
    for name in ("mountinfo", "mounts", "mountstats"):
        save(name.encode(), read_all(os.open(f"self/{name}", os.O_RDONLY, dir_fd=proc)))
    out = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    os.chroot(jail); os.chdir("/")
    data = read_all(os.open("self/mountinfo", os.O_RDONLY, dir_fd=proc))  # relative to the new root
    fd = os.open("chroot-mountinfo", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=out)
    os.write(fd, data); os.close(fd)
    """
)


@pytest.fixture(scope="module")
def kernel_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    if os.geteuid() != 0:
        pytest.skip("needs root to unshare a mount namespace")
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) (util-linux) is not installed")
    probe = subprocess.run([*UNSHARE, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -m fails here: {probe.stderr.strip()}")
    work = tmp_path_factory.mktemp("hostile")
    child = subprocess.run(
        [*UNSHARE, sys.executable, "-c", CHILD, str(work), *(name.hex() for name in HOSTILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    return {path.name: path.read_bytes() for path in Path(work).iterdir() if path.is_file()}


@pytest.fixture(scope="module")
def base(kernel_output: dict[str, bytes]) -> bytes:
    """The tmpfs every test mount sits under, with a trailing slash."""
    infos = parse_mountinfo(kernel_output["mountinfo"])
    return next(rec.mount_point for rec in infos if rec.source == b"top") + b"/"


@pytest.fixture(scope="module")
def ours(kernel_output: dict[str, bytes], base: bytes) -> dict[bytes, MountInfoRecord]:
    """The test's mountinfo records, by mount point relative to ``base``."""
    infos = parse_mountinfo(kernel_output["mountinfo"])
    return {rec.mount_point[len(base) :]: rec for rec in infos if rec.mount_point.startswith(base)}


@pytest.mark.parametrize(
    ("name", "parse", "render"),
    [
        ("mountinfo", parse_mountinfo, render_mountinfo),
        ("chroot-mountinfo", parse_mountinfo, render_mountinfo),
        ("mounts", parse_mounts, render_mounts),
        ("mountstats", parse_mountstats, render_mountstats),
    ],
)
def test_kernel_bytes_rerender(kernel_output: dict[str, bytes], name: str, parse, render) -> None:  # type: ignore[no-untyped-def]
    data = kernel_output[name]
    records = parse(data)
    assert b"".join(render(rec) for rec in records) == data
    if name != "mountstats":
        assert [render(rec) for rec in records] == [line + b"\n" for line in data.split(b"\n")[:-1]]


def test_hostile_names_come_back(
    kernel_output: dict[str, bytes], base: bytes, ours: dict[bytes, MountInfoRecord]
) -> None:
    for name in HOSTILE:
        assert ours[name].source == b"src" + name
        assert ours[name].fstype == b"tmpfs"
    mounts = {rec.mount_point: rec for rec in parse_mounts(kernel_output["mounts"])}
    stats = {rec.mount_point: rec for rec in parse_mountstats(kernel_output["mountstats"])}
    for name in HOSTILE:
        assert mounts[base + name].source == stats[base + name].source == b"src" + name


def test_exact_kernel_lines(kernel_output: dict[str, bytes]) -> None:
    """What 6.18 prints for '#', '\\r' and '\\xff' (and so what render must print)."""
    lines = kernel_output["mountinfo"].split(b"\n")
    hash_line = next(line for line in lines if b" - tmpfs srcha" in line)
    assert hash_line.endswith(b"/ha#sh rw,relatime - tmpfs srcha\\043sh rw")  # '#' escaped in the source only
    assert any(line.endswith(b"/c\rr rw,relatime - tmpfs srcc\rr rw") for line in lines)
    assert any(line.endswith(b"/x\xffy rw,relatime - tmpfs srcx\xffy rw") for line in lines)
    assert any(line.endswith(b"/all\\040\\011\\012\\134#\r\xff rw,relatime - tmpfs srcall\\040\\011\\012\\134\\043\r\xff rw")
               for line in lines)


def test_missing_and_empty_device_names(
    kernel_output: dict[str, bytes], base: bytes, ours: dict[bytes, MountInfoRecord]
) -> None:
    """6.18 prints "none" for a mount without a device name, even in mountstats."""
    assert ours[b"nullsrc"].source == b"none"
    assert ours[b"emptysrc"].source == b""
    assert b" - tmpfs  rw\n" in kernel_output["mountinfo"]
    assert b"\n " + base + b"emptysrc tmpfs rw,relatime 0 0\n" in kernel_output["mounts"]
    assert b"device none mounted on " + base + b"nullsrc with fstype tmpfs\n" in kernel_output["mountstats"]
    assert b"device  mounted on " + base + b"emptysrc with fstype tmpfs\n" in kernel_output["mountstats"]
    assert b"no device" not in kernel_output["mountstats"]


def test_propagation_and_flags(kernel_output: dict[str, bytes], ours: dict[bytes, MountInfoRecord]) -> None:
    a, b, c, a2 = ours[b"a"], ours[b"b"], ours[b"jail/c"], ours[b"jail/a2"]
    assert a.shared is not None and a2.shared == a.shared
    assert (b.master, b.shared is not None) == (a.shared, True)
    assert (c.master, c.propagate_from, c.shared) == (b.shared, None, None)  # b is visible: no propagate_from
    assert ours[b"u"].unbindable
    assert (ours[b"ro"].mnt_opts, ours[b"ro"].super_opts) == (b"ro,relatime", b"ro")
    assert ours[b"x/target"].root == b"/file//deleted"
    # From inside the jail, b's peer group is out of sight; a's (via a2) is not.
    jailed = {rec.mount_point: rec for rec in parse_mountinfo(kernel_output["chroot-mountinfo"])}
    assert set(jailed) == {b"/", b"/c", b"/a2"}
    assert (jailed[b"/c"].master, jailed[b"/c"].propagate_from) == (b.shared, a.shared)


def test_fuse_subtype_is_mangled(kernel_output: dict[str, bytes], ours: dict[bytes, MountInfoRecord]) -> None:
    if b"fuse" not in ours:
        pytest.skip("could not mount fuse in the namespace")
    assert (ours[b"fuse"].fstype, ours[b"fuse"].source) == (b"fuse.my#sub x", b"fu#se src")
    assert b" - fuse.my\\043sub\\040x fu\\043se\\040src rw," in kernel_output["mountinfo"]
