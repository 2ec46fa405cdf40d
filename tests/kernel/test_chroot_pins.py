"""A chroot holds its mount (``MountNamespace.chroot``, ``Mount.mnt_pins``): the model's side
of what ``tests/oracle/test_vantage_oracle.py`` holds to the running kernel.

``propagate_mount_busy(mnt, 2)`` (6.18 ``fs/pnode.c``) sees the references a task's root and
cwd hold, on the mount and on the copies a umount would propagate to; ``umount_tree``
leaves a held mount allocated, so the slab does not give it to the next mount while it is
still some reader's root.
"""

from __future__ import annotations

import errno

import pytest

from mountcursor.kernel import Kernel, open_proc
from mountcursor.kernel.namespace import MNT_DETACH


def _read(ns: object, kind: str, root: object, reader_root: object = None) -> bytes:
    f = open_proc(ns, kind, root=root, reader_root=reader_root)  # type: ignore[arg-type]
    try:
        return f.read_all(4096)
    finally:
        f.close()


def test_a_held_mount_is_busy_and_a_lazy_umount_keeps_it() -> None:
    ns = Kernel().create_namespace()
    jail_mnt = ns.mount(b"/jail")
    ns.mount(b"/jail/x")
    root = ns.chroot(b"/jail")
    assert root.mnt is jail_mnt and root.dentry == b"/" and jail_mnt.mnt_pins == 2
    assert _read(ns, "mounts", root) == b"tmpfs / tmpfs rw 0 0\ntmpfs /x tmpfs rw 0 0\n"
    ns.umount(b"/jail/x")
    with pytest.raises(OSError) as e:
        ns.umount(b"/jail")
    assert e.value.errno == errno.EBUSY
    ns.umount(b"/jail", MNT_DETACH)
    assert not jail_mnt.freed and jail_mnt.mnt_ns is None
    new = ns.mount(b"/new")
    assert new is not jail_mnt and new.mnt_id != jail_mnt.mnt_id
    for kind in ("mountinfo", "mounts", "mountstats"):
        assert _read(ns, kind, root) == b""
        assert _read(ns, kind, root, ns.root) == b""


def test_a_held_copy_on_a_peer_makes_the_umount_busy() -> None:
    ns = Kernel().create_namespace()
    ns.mount(b"/a")
    ns.change_type(b"/a", "shared")
    ns.bind(b"/a", b"/b")
    ns.mount(b"/a/x")  # its copy on /b/x
    ns.chroot(b"/b/x")
    with pytest.raises(OSError) as e:
        ns.umount(b"/a/x")
    assert e.value.errno == errno.EBUSY
    ns.umount(b"/a/x", MNT_DETACH)  # a lazy umount takes the held copy too
    assert [ns.path_of(m) for m in ns.mounts_in_list_order()][-2:] == [b"/a", b"/b"]
