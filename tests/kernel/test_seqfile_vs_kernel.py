"""The model's seq_file against the running kernel: same table, same read sizes, same chunks.

A private mount namespace (``unshare -m --propagation private``, never the host's table)
gets tmpfs mounts and a bind mount whose root and mount point are both ~3,900-byte paths,
so its mountinfo line is longer than a page.  The kernel's chunk sizes for a series of
read() sizes must equal what the model's ``modern`` seq_read returns for the same lines.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from mountcursor.kernel.seqfile import Pos, SeqFile

READ_SIZES = [1, 7, 50, 1000, 1024, 4096, 8192, 100_000]

_SCRIPT = r"""
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def mount(src, dst, fstype, flags=0):
    if libc.mount(src, dst, fstype, ctypes.c_ulong(flags), None) != 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e), dst)
MS_REC, MS_PRIVATE, MS_BIND = 0x4000, 1 << 18, 4096
mount(b"none", b"/", None, MS_REC | MS_PRIVATE)
top = b"/tmp"  # a tmpfs over /tmp in this namespace only: nothing is left on the host's disk
mount(b"tmpfs", top, b"tmpfs")
for i in range(60):
    d = top + b"/m%02d" % i; os.mkdir(d); mount(b"tmpfs", d, b"tmpfs")
deep_src, deep_dst = top + b"/m00", top + b"/m01"
for k in range(19):
    deep_src += b"/" + b"s" * 200; deep_dst += b"/" + b"d" * 200
    os.mkdir(deep_src); os.mkdir(deep_dst)
mount(deep_src, deep_dst, None, MS_BIND)
for i in range(60, 80):
    d = top + b"/m%02d" % i; os.mkdir(d); mount(b"tmpfs", d, b"tmpfs")
out = {}
for n in json.loads(sys.argv[1]):
    fd = os.open("/proc/self/mountinfo", os.O_RDONLY)
    sizes, data = [], b""
    while True:
        b = os.read(fd, n)
        if not b: break
        sizes.append(len(b)); data += b
    os.close(fd)
    out[str(n)] = sizes
out["table"] = data.hex()
print(json.dumps(out))
"""


class _Lines:
    """A seq_operations over fixed lines (position = line index), as seq_list ops do."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines

    def start(self, m: SeqFile, pos: Pos) -> object:
        return pos.value if pos.value < len(self.lines) else None

    def next(self, m: SeqFile, v: object, pos: Pos) -> object:
        pos.value += 1
        return pos.value if pos.value < len(self.lines) else None

    def stop(self, m: SeqFile, v: object) -> None:
        pass

    def show(self, m: SeqFile, v: object) -> int:
        m.seq_put_record(self.lines[v])  # type: ignore[index]
        return 0


@pytest.fixture(scope="module")
def kernel_reads() -> dict[str, object]:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount in a private mount namespace")
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) from util-linux")
    p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, "-c", _SCRIPT,
                        json.dumps(READ_SIZES)], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        pytest.skip(f"cannot set up a private mount namespace here: {p.stderr.strip()[-200:]}")
    return json.loads(p.stdout)


@pytest.mark.root
@pytest.mark.parametrize("size", READ_SIZES)
def test_chunks_match_the_kernel(kernel_reads: dict[str, object], size: int) -> None:
    table = bytes.fromhex(kernel_reads["table"])  # type: ignore[arg-type]
    lines = [ln + b"\n" for ln in table.split(b"\n")[:-1]]
    assert max(len(ln) for ln in lines) > 4096  # the bind mount's line is longer than a page
    m = SeqFile(_Lines(lines), "modern")  # type: ignore[arg-type]
    got = []
    while b := m.read(size):
        got.append(len(b))
    assert got == kernel_reads[str(size)]
