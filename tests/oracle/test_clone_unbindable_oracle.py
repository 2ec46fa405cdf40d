"""``clone_mnt`` and ``T_UNBINDABLE`` on the running kernel (issue 17 item 7).

The review said 3.10-6.19 keep it; 6.18 does not: its ``unshare -m`` copy of an
unbindable mount prints no ``unbindable`` (``T_UNBINDABLE`` lives in ``mnt_t_flags``,
which ``clone_mnt`` does not copy), as the model's ``copy_tree(CL_COPY_UNBINDABLE)``.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess

import pytest

from mountcursor.kernel import Kernel
from mountcursor.kernel.mount import MNT_UNBINDABLE
from mountcursor.kernel.pnode import CL_COPY_UNBINDABLE
from mountcursor.verify.sandbox import sandbox_unavailable

pytestmark = pytest.mark.root
_WHY = sandbox_unavailable() or (None if shutil.which("unshare") else "no unshare(1)")
if _WHY is not None:
    pytest.skip(f"no private mount namespace here: {_WHY}", allow_module_level=True)

_SCRIPT = ("mount --make-rprivate / && mount -t tmpfs x /tmp && mkdir /tmp/u && mount -t tmpfs u /tmp/u && "
           "mount --make-unbindable /tmp/u && grep ' /tmp/u ' /proc/self/mountinfo && "
           "unshare -m --propagation unchanged grep ' /tmp/u ' /proc/self/mountinfo")


def _release() -> tuple[int, int]:
    m = re.match(r"(\d+)\.(\d+)", platform.release())
    assert m is not None
    return int(m[1]), int(m[2])


@pytest.mark.skipif(_release() < (6, 18), reason="before 6.18 MNT_UNBINDABLE is copied with mnt_flags")
def test_a_new_namespace_copy_is_not_unbindable() -> None:
    out = subprocess.run(["unshare", "-m", "sh", "-c", _SCRIPT], capture_output=True, check=True,
                         timeout=60).stdout.splitlines()
    assert len(out) == 2
    assert out[0].endswith(b" / /tmp/u rw,relatime unbindable - tmpfs u rw")
    assert out[1].endswith(b" / /tmp/u rw,relatime - tmpfs u rw")
    ns = Kernel().create_namespace()
    ns.mount(b"/u")
    ns.change_type(b"/u", "unbindable")
    u = ns.find(b"/u")
    assert not ns.copy_tree(u, u.mnt_root, CL_COPY_UNBINDABLE).mnt_flags & MNT_UNBINDABLE
