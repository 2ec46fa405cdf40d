"""The one-byte edge of ``__d_path`` for a mount on ``/`` outside the reader's root,
held to the running kernel (issue 17 item 3; this kernel is 5.14+).

A child in a private mount namespace of its own (``unshare -m``, ``/`` made
recursively private first) mounts ``/tmp``, ``/tmp/jail/a``, a tmpfs over ``/`` whose
device name makes the head of its ``/proc/<pid>/mounts`` line ``L + 1`` bytes long, and
``/tmp/jail/b`` under the old root; a grandchild chrooted into ``/tmp/jail`` reads
``/proc/self/mounts`` with 64 KiB reads.  The page is 4096 bytes; after ``/a``'s line
(27 bytes) ``L = 4067`` leaves room for ``__d_path``'s NUL only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from mountcursor.kernel import Kernel, open_proc
from mountcursor.kernel.mount import MNT_RELATIME
from mountcursor.kernel.namespace import Path
from mountcursor.verify.sandbox import python_env, sandbox_unavailable

pytestmark = pytest.mark.root
_WHY = sandbox_unavailable() or (None if shutil.which("unshare") else "no unshare(1)")
if _WHY is not None:
    pytest.skip(f"no private mount namespace here: {_WHY}", allow_module_level=True)

_CHILD = r"""
import json, os, sys
from mountcursor.live import syscalls as s
s.mount(None, b"/", None, s.MS_REC | s.MS_PRIVATE)
s.mount(b"sb", b"/tmp", b"tmpfs", 0, None)
os.makedirs("/tmp/jail/a"); os.makedirs("/tmp/jail/b")
s.mount(b"a", b"/tmp/jail/a", b"tmpfs", 0, None)
jail = os.open("/tmp/jail", os.O_PATH | os.O_DIRECTORY)
proc = os.open("/proc", os.O_PATH | os.O_DIRECTORY)
s.mount(b"d" * int(sys.argv[1]), b"/", b"tmpfs", 0, None)
s.mount(b"b", b"/proc/self/fd/%d/b" % jail, b"tmpfs", 0, None)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.fchdir(jail); os.chroot(".")
    fd = os.open("self/mounts", os.O_RDONLY, dir_fd=proc)
    reads = []
    while chunk := os.read(fd, 65536):
        reads.append(chunk.decode())
    os.write(w, json.dumps(reads).encode())
    os._exit(0)
os.close(w)
out = b""
while chunk := os.read(r, 65536):
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode())
"""


def _kernel_reads(length: int) -> list[bytes]:
    out = subprocess.run(["unshare", "-m", sys.executable, "-c", _CHILD, str(length)], env=python_env(),
                         capture_output=True, check=True, timeout=60).stdout
    return [r.encode() for r in json.loads(out)]


def _model_reads(length: int, d_path: str) -> list[bytes]:
    ns = Kernel().create_namespace()
    tmp = ns.mount(b"/tmp", source=b"sb", flags=MNT_RELATIME)
    ns.mount(b"/tmp/jail/a", source=b"a", flags=MNT_RELATIME, ids=(4, 4))
    ns.mount(b"/tmp/jail/b", source=b"b", flags=MNT_RELATIME, ids=(6, 10))
    ns.mount(b"/", source=b"d" * length, flags=MNT_RELATIME, ids=(5, 5))
    f = open_proc(ns, "mounts", root=Path(tmp, b"/jail"), d_path=d_path)  # type: ignore[arg-type]
    reads = []
    while chunk := f.read(65536):
        reads.append(chunk)
    return reads


A, B = b"a /a tmpfs rw,relatime 0 0\n", b"b /b tmpfs rw,relatime 0 0\n"


@pytest.mark.parametrize("length,reads", [(4066, [A + B]), (4067, [A + B]), (4068, [A, B])])
def test_the_kernel_needs_room_for_the_nul_only(length: int, reads: list[bytes]) -> None:
    kernel = _kernel_reads(length)
    assert kernel == reads
    assert _model_reads(length, "5.14+") == kernel


def test_the_3_10_to_5_13_rule_disagrees_at_the_edge() -> None:
    """The model's rule before v5.14 (the only one it had before issue 17) splits the read
    one byte earlier than this kernel does."""
    assert _model_reads(4067, "3.10-5.13") == [A, B] != _kernel_reads(4067)
    assert _model_reads(4066, "3.10-5.13") == [A + B]
