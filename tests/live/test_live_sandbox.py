"""The sandbox and the real kernel: hostile names, ids, proc reads, cleanup.

These need root (CAP_SYS_ADMIN) and skip with the reason otherwise.
"""

from __future__ import annotations

import dataclasses
import os
import select
import signal
import subprocess
import sys
import time

import pytest

from mountcursor.live import MountTable, is_mountpoint, parse_mountinfo, snapshot
from mountcursor.verify.sandbox import Sandbox, SandboxError

from .conftest import host_table, needs_sandbox

LONG = b"/".join([b"L" * 200] * 20)  # its mountinfo line is longer than one page (4 KiB)
HOSTILE = [
    b"sp ace", b"t\tab", b"new\nline", b"back\\slash", b"c\rr", b"ha#sh", b"com,ma=eq",
    b"\xff\xfe not utf-8", b"\\040 literal escape", b"-", b"shared:1", b"x - y", LONG,
]
HOSTILE_SOURCE = b"src sp\tace#\\,=\xff\n-"


def without_unique(e):
    return dataclasses.replace(e, unique_id=None, parent_unique_id=None)


def test_host_table_unchanged_by_a_session():
    needs_sandbox()
    before = host_table()
    with Sandbox(n=50) as sb:
        for name in HOSTILE[:4]:
            sb.mount_tmpfs(name)
        sb.make(b"m00001", "shared")
        sb.bind(b"m00001", b"bound")
        assert len(sb.read_proc().splitlines()) > 50
    assert host_table() == before


@pytest.mark.parametrize("name", HOSTILE, ids=lambda n: repr(n[:20]))
def test_hostile_names_parse_back_exactly(sandbox, name):
    facts = sandbox.mount_tmpfs(name, source=HOSTILE_SOURCE)
    want = sandbox.path(name)
    assert facts.path == want
    data = sandbox.read_proc()
    for strict in (False, True):
        [entry] = [e for e in parse_mountinfo(data, strict=strict).entries if e.mnt_id == facts.mnt_id]
        assert (entry.target, entry.source, entry.root, entry.fstype) == (want, HOSTILE_SOURCE, b"/", b"tmpfs")
        assert (entry.major, entry.minor) == (facts.major, facts.minor)
    # the same bytes through statmount(2), and from outside through /proc/<pid>/mountinfo
    by_listmount = sandbox.snapshot(method="listmount").table.by_unique_id(facts.unique_id)
    assert by_listmount.target == want and by_listmount.source == HOSTILE_SOURCE
    assert without_unique(by_listmount) == entry
    from_outside = snapshot(sandbox.pid).table.by_id(facts.mnt_id)
    assert from_outside == entry


def test_hostile_option_values(sandbox):
    upper = b"up,per=x y\tz#"  # no backslash: overlayfs itself unescapes \ in its paths
    for d in (b"lower", upper, b"work"):
        sandbox.mkdir(d)
    try:
        facts = sandbox.mount_fs("overlay", "ovl", [("lowerdir", sandbox.path(b"lower")),
                                                    ("upperdir", sandbox.path(upper)),
                                                    ("workdir", sandbox.path(b"work"))], source="ov,er=lay")
    except OSError as err:
        pytest.skip(f"overlayfs on tmpfs unavailable here: {err}")
    entry = sandbox.snapshot().table.by_id(facts.mnt_id)
    assert entry.option("upperdir").value == sandbox.path(upper)
    assert entry.option("lowerdir").value == sandbox.path(b"lower")
    assert entry.source == b"ov,er=lay"
    assert b"upperdir=" + sandbox.path(b"up\\054per=x\\040y\\011z#") in entry.fs_options


def test_ids_and_devices_reported_match_the_table(sandbox):
    table = sandbox.snapshot(method="listmount").table
    for facts in sandbox.base + [sandbox.root_mount]:
        e = table.by_unique_id(facts.unique_id)
        assert (e.mnt_id, e.major, e.minor, e.target) == (facts.mnt_id, facts.major, facts.minor, facts.path)


def test_listmount_and_mountinfo_agree(sandbox):
    sandbox.mount_tmpfs(b"a")
    sandbox.make(b"a", "shared")
    sandbox.bind(b"a", b"b")
    sandbox.make(b"b", "slave")
    sandbox.make(b"b", "shared")  # a slave that is also shared with a group of its own
    sandbox.mount_tmpfs(b"ro", flags=1)
    via_mountinfo = sandbox.snapshot(method="mountinfo").table
    via_listmount = sandbox.snapshot(method="listmount").table
    assert [without_unique(e) for e in via_listmount] == list(via_mountinfo)
    assert via_mountinfo.find_target(sandbox.path(b"b"))[0].propagation == "shared,slave"


def test_proc_file_read_lseek_poll(sandbox):
    h = sandbox.open_proc("mountinfo")
    first = sandbox.read(h, 1)
    assert len(first) == 1
    assert sandbox.poll(h) & select.POLLPRI == 0
    sandbox.mount_tmpfs(b"p")
    assert sandbox.poll(h) & select.POLLPRI
    assert sandbox.poll(h) == 0  # reported once per change
    assert sandbox.lseek(h, 0) == 0
    whole = b""
    while chunk := sandbox.read(h, 4096):
        assert len(chunk) <= 4096
        whole += chunk
    assert whole.startswith(first) and sandbox.path(b"p") in whole
    sandbox.close_proc(h)
    with pytest.raises(SandboxError, match="no open proc file"):
        sandbox.read(h, 10)


def test_other_proc_files(sandbox):
    assert sandbox.path(b"m00000") + b" tmpfs rw" in sandbox.read_proc("mounts")
    assert b"device sandbox mounted on " + sandbox.path(b"m00000") in sandbox.read_proc("mountstats")


def test_umount_kinds_and_move(sandbox):
    sandbox.mount_tmpfs(b"r")
    sandbox.mount_tmpfs(b"r/s")
    sandbox.mount_tmpfs(b"r/s/t")
    with pytest.raises(OSError) as info:
        sandbox.umount(b"r")
    assert info.value.errno == 16  # EBUSY
    sandbox.move(b"r", b"moved")
    table = sandbox.snapshot().table
    assert table.find_target(sandbox.path(b"moved/s/t"))
    sandbox.umount(b"moved", recursive=True)
    sandbox.mount_tmpfs(b"lazy")
    sandbox.mount_tmpfs(b"lazy/x")
    sandbox.umount(b"lazy", lazy=True)
    targets = {e.target for e in sandbox.snapshot().table}
    assert not any(t.startswith(sandbox.path(b"moved")) or t.startswith(sandbox.path(b"lazy")) for t in targets)


def test_is_mountpoint_right_for_bind_mounts(sandbox):
    sandbox.mkdir(b"m00000/dir/sub")
    sandbox.bind(b"m00000/dir", b"m00000/bind")  # same filesystem as its parent: st_dev cannot tell
    inside = f"/proc/{sandbox.pid}/root".encode() + sandbox.path(b"m00000/")
    assert is_mountpoint(inside + b"bind")
    assert not is_mountpoint(inside + b"bind/sub") and not is_mountpoint(inside + b"dir")
    assert is_mountpoint(inside)
    assert sandbox.stat(b"m00000/bind").mount_root is True
    assert os.stat(inside + b"bind").st_dev == os.stat(inside).st_dev
    assert not os.path.ismount(inside + b"bind")  # the standard library misses it (CPython #73893)


def test_worker_dies_with_its_caller():
    needs_sandbox()
    before = host_table()
    code = (
        "import os, sys\n"
        "from mountcursor.verify.sandbox import Sandbox\n"
        "sb = Sandbox(n=20); sb.mount_tmpfs(b'x')\n"
        "print(sb.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == -signal.SIGKILL
    worker = int(proc.stdout.strip())
    for _ in range(100):
        if not os.path.exists(f"/proc/{worker}"):
            break
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{worker}")
    assert host_table() == before


def test_bad_command_is_a_clear_error(sandbox):
    with pytest.raises(SandboxError, match="unknown sandbox command"):
        sandbox.call("setup", 3)
    with pytest.raises(SandboxError, match="propagation must be one of"):
        sandbox.make(b"m00000", "sideways")
    assert sandbox.alive
    sandbox.close()
    with pytest.raises(SandboxError, match="closed"):
        sandbox.read_proc()


def test_snapshot_of_sandbox_from_outside_is_its_namespace(sandbox):
    table = snapshot(sandbox.pid).table
    assert {f.path for f in sandbox.base} <= {e.target for e in table}
    assert isinstance(table, MountTable) and table.orphans == []


def test_reply_timeout_from_the_environment(monkeypatch):
    """MOUNTCURSOR_SANDBOX_TIMEOUT sets the worker's reply timeout (a slow guest needs more
    than 30 s); a worker that does not answer within it is killed with a one-line error."""
    needs_sandbox()
    from mountcursor.verify.sandbox import TIMEOUT_ENV

    monkeypatch.setenv(TIMEOUT_ENV, "45.5")
    with Sandbox(0) as sb:
        assert sb.timeout == 45.5
        sb.timeout = 0.25
        os.kill(sb.pid, signal.SIGSTOP)
        with pytest.raises(SandboxError, match=r"^the sandbox worker did not answer within 0.25 s and was killed$"):
            sb.mkdir(b"d")
        assert not sb.alive


@pytest.mark.parametrize("raw, expected", [(None, 30.0), ("", 30.0), ("600", 600.0), ("0.5", 0.5)])
def test_default_timeout(monkeypatch, raw, expected):
    from mountcursor.verify.sandbox import TIMEOUT_ENV, default_timeout

    if raw is None:
        monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    else:
        monkeypatch.setenv(TIMEOUT_ENV, raw)
    assert default_timeout() == expected


@pytest.mark.parametrize("raw", ["ten", "0", "-3", "nan", "1e9"])
def test_bad_timeout_is_a_clear_error(monkeypatch, raw):
    from mountcursor.verify.sandbox import TIMEOUT_ENV, default_timeout

    monkeypatch.setenv(TIMEOUT_ENV, raw)
    with pytest.raises(SandboxError) as e:
        default_timeout()
    assert str(e.value) == f"MOUNTCURSOR_SANDBOX_TIMEOUT={raw!r}: expected seconds, a number above 0"
