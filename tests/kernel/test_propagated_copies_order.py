"""The order of propagated copies in mountinfo: the script issue 17 shrunk on Linux 6.1.

``bind m00000 b0; make b0 shared; bind b0 b1; move b0 b1; mount b1/n14`` leaves three
peers (46 under b1, 47 the bind, 48 the copy the move propagated); the mount on the top
one (49) propagates to 47 first (50), then 46 (51).  ``attach_recursive_mnt`` commits the
copies newest first from 3.14 on (``propagate_one``/``propagate_mnt`` put them on
``tree_list`` with ``hlist_add_head``), so the 3.10-6.7 ``ns->list`` the cursor walks holds
49, 51, 50 -- what the 6.1.0-50 guest printed -- while 6.8+ lists by unique id (allocation
order): 49, 50, 51.  The ids are the guest's, queued for the model's allocations in the
order the kernel allocated them.
"""

from __future__ import annotations

import pytest

from mountcursor.format import parse_mountinfo
from mountcursor.kernel import open_proc
from mountcursor.kernel.mirror import namespace_from_table
from mountcursor.kernel.namespace import MountNamespace

U = 1 << 20
HEAD = (b"44 30 0:50 / / rw - tmpfs sb rw\n"
        b"45 44 0:51 / /m00000 rw - tmpfs t rw\n"
        b"46 47 0:51 / /b1 rw shared:1 - tmpfs t rw\n"
        b"47 44 0:51 / /b1 rw shared:1 - tmpfs t rw\n"
        b"48 46 0:51 / /b1 rw shared:1 - tmpfs t rw\n"
        b"49 48 0:20 / /b1/n14 rw shared:2 - tmpfs n rw\n")


def shrunk_script() -> MountNamespace:
    ns = namespace_from_table(parse_mountinfo(HEAD[:HEAD.index(b"46 ")]), {44: U, 45: U + 1})
    ns.kernel.mnt_cache.imposed.extend((i, U + i - 44) for i in range(46, 52))
    ns.bind(b"/m00000", b"/b0")
    ns.change_type(b"/b0", "shared")
    ns.bind(b"/b0", b"/b1")
    ns.move(b"/b0", b"/b1")
    ns.mount(b"/b1/n14", source=b"n")
    return ns


def mountinfo(ns: MountNamespace, strategy: str) -> bytes:
    f = open_proc(ns, "mountinfo", strategy=strategy, semantics="5.10+")
    try:
        return f.read_all(4096)
    finally:
        f.close()


@pytest.mark.parametrize("strategy", ["cursor", "index"])
def test_the_list_holds_the_copies_newest_first_as_6_1_printed(strategy: str) -> None:
    assert mountinfo(shrunk_script(), strategy) == HEAD + (
        b"51 46 0:20 / /b1/n14 rw shared:2 - tmpfs n rw\n"
        b"50 47 0:20 / /b1/n14 rw shared:2 - tmpfs n rw\n")


@pytest.mark.parametrize("strategy", ["idtree-6.8", "idtree"])
def test_6_8_and_later_list_the_copies_in_allocation_order(strategy: str) -> None:
    assert mountinfo(shrunk_script(), strategy) == HEAD + (
        b"50 47 0:20 / /b1/n14 rw shared:2 - tmpfs n rw\n"
        b"51 46 0:20 / /b1/n14 rw shared:2 - tmpfs n rw\n")
