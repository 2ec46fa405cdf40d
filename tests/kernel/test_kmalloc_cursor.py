"""RHEL7's ``mounts_open_common`` kmallocs ``struct proc_mounts`` (issue 17 item 8): the
seed's cursor has ``mnt_list`` and ``mnt_flags`` set and every other field as the slab
left it; mainline's ``seq_open_private`` zeroes them.  The model poisons them for the
seed's strategies, and the whole read/close path must never touch them."""

from __future__ import annotations

import pytest

from mountcursor.kernel import Kernel, open_proc
from mountcursor.kernel.mount import MNT_CURSOR, UNINIT_LONG, Uninitialised
from mountcursor.kernel.walkers import is_local_mountpoint, mnt_already_visible, sync_collect_filesystems


@pytest.mark.parametrize("strategy", ["cursor-vz", "cursor-vz-id", "cursor-vz-fixed"])
def test_the_seeds_cursor_is_uninitialised_but_for_two_fields(strategy: str) -> None:
    ns = Kernel().create_namespace()
    for i in range(5):
        ns.mount(b"/m%d" % i)
    f = open_proc(ns, "mountinfo", strategy=strategy, semantics="3.10", page_size=128)
    c = f.cursor
    assert c.mnt_flags == MNT_CURSOR and c.mnt_id == c.mnt_group_id == UNINIT_LONG == 0x6B6B6B6B6B6B6B6B
    assert isinstance(c.mnt_sb, Uninitialised) and isinstance(c.mnt_parent, Uninitialised)
    with pytest.raises(AssertionError, match="uninitialised mnt_sb of a kmalloc'd cursor"):
        c.mnt_sb.s_type  # noqa: B018 -- what a show of the cursor would do
    # reads that park the cursor in the list, the walkers that meet it, then close
    out = f.read(100) + f.read(100)
    assert c.mnt_list.next is not c.mnt_list  # in the list
    assert is_local_mountpoint(ns, ns.root.mnt.mnt_sb, b"/m1")  # type: ignore[arg-type]
    assert not mnt_already_visible(ns, b"proc")
    sync_collect_filesystems(ns)
    out += f.read_all(100)
    assert out == open_proc(ns, "mountinfo", strategy="idtree", semantics="5.10+").read_all()
    f.close()


@pytest.mark.parametrize("strategy", ["cursor", "index", "idtree"])
def test_mainlines_cursor_is_zeroed(strategy: str) -> None:
    c = open_proc(Kernel().create_namespace(), "mountinfo", strategy=strategy).cursor
    assert c.mnt_sb is None and c.mnt_id == 0 and c.mnt_parent is c
