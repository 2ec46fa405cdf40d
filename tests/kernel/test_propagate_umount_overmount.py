"""``propagate_umount`` reparents only the overmounts that survive (issue 17 item 6):
6.18's ``if (over && !will_be_unmounted(over)) reparent(over)``.

/r shared with its peer /r2; /r/p, /r/p/x and an overmount on /r/p/x each propagate
to /r2.  A lazy umount of /r/p takes /r/p's subtree; its copies under /r2 (the copy of
/r/p, the copy of x and the copy of the overmount, which is x's copy's overmount) all
go as candidates: the copy of the overmount must not be slid onto /r2/p on its way out.
``tests/oracle/test_propagate_from_oracle.py`` plays both cases on the running kernel.
"""

from __future__ import annotations

import pytest

from mountcursor.kernel import Kernel, open_proc, pnode
from mountcursor.kernel.namespace import MNT_DETACH
from mountcursor.kernel.mount import Mount


def _stack() -> object:
    ns = Kernel().create_namespace()
    ns.mount(b"/r")
    ns.change_type(b"/r", "shared")
    ns.bind(b"/r", b"/r2")
    ns.mount(b"/r/p")
    ns.mount(b"/r/p/x")
    ns.mount(b"/r/p/x")  # an overmount of /r/p/x; its copy overmounts /r2/p/x's copy
    return ns


def test_a_dying_overmount_is_not_reparented(monkeypatch: pytest.MonkeyPatch) -> None:
    ns = _stack()
    seen: list[tuple[int, bool]] = []
    real = pnode.reparent

    def spy(m: Mount) -> None:
        seen.append((m.mnt_id, pnode.will_be_unmounted(m)))
        real(m)

    monkeypatch.setattr(pnode, "reparent", spy)
    with open_proc(ns) as f:
        assert f.read_all().splitlines()[-1] == b"10 8 0:23 / /r2/p/x rw shared:4 - tmpfs tmpfs rw"
    ns.umount(b"/r/p", MNT_DETACH)
    assert seen == []  # before the fix: [(10, True)]
    with open_proc(ns) as f:
        assert f.read_all() == (b"2 1 254:0 / / rw - ext4 /dev/vda rw\n"
                                b"3 2 0:20 / /r rw shared:1 - tmpfs tmpfs rw\n"
                                b"4 2 0:20 / /r2 rw shared:1 - tmpfs tmpfs rw\n")


def test_a_surviving_overmount_is_still_reparented(monkeypatch: pytest.MonkeyPatch) -> None:
    """An overmount mounted on the slave's copy only (a slave does not propagate back) is
    no candidate: when the copy goes with the umount it slides down onto /s/x."""
    ns = Kernel().create_namespace()
    ns.mount(b"/r")
    ns.change_type(b"/r", "shared")
    ns.bind(b"/r", b"/s")
    ns.change_type(b"/s", "slave")
    ns.mount(b"/r/x")  # 5, its copy 6 on /s/x
    ns.mount(b"/s/x")  # 7: an overmount of 6 only (a slave does not propagate back)
    seen: list[int] = []
    real = pnode.reparent
    monkeypatch.setattr(pnode, "reparent", lambda m: (seen.append(m.mnt_id), real(m)))
    ns.umount(b"/r/x")
    assert seen == [7]
    with open_proc(ns) as f:
        assert f.read_all().splitlines()[-1] == b"7 4 0:22 / /s/x rw - tmpfs tmpfs rw"
