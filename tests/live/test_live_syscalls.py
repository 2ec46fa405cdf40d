"""The ctypes layer: errors carry errno and name the call; probes try, never read uname."""

from __future__ import annotations

import errno

import pytest

from mountcursor.live import syscalls


def test_listmount_statmount_work_here():
    if not syscalls.has_listmount():
        pytest.skip("listmount(2) is not available on this kernel")
    ids = syscalls.listmount(count=2)
    assert len(ids) == 2 and ids[0] < ids[1] and ids[0] > 1 << 31
    sm = syscalls.statmount(ids[0], syscalls.STATMOUNT_MNT_BASIC | syscalls.STATMOUNT_MNT_POINT)
    assert sm.mnt_id == ids[0] and sm.mnt_point.startswith(b"/")


def test_statmount_old_id_is_einval_with_the_call_named():
    with pytest.raises(OSError) as info:
        syscalls.statmount(5, syscalls.STATMOUNT_MNT_BASIC)
    assert info.value.errno in (errno.EINVAL, errno.ENOSYS)
    assert info.value.strerror.startswith("statmount(5): ")


def test_umount_of_a_non_mount_names_the_path():
    with pytest.raises(OSError) as info:
        syscalls.umount2(b"/nonexistent/dir")
    assert info.value.errno in (errno.ENOENT, errno.EPERM)
    assert "umount2(b'/nonexistent/dir')" in info.value.strerror


def test_statx_mount_root():
    assert syscalls.statx_mount("/proc").mount_root in (True, None)
    assert syscalls.statx_mount("/proc/self/status").mount_root in (False, None)
    with pytest.raises(FileNotFoundError):
        syscalls.statx_mount("/nonexistent")


def test_fanotify_event_decoding():
    import struct

    meta = struct.pack("=IBBHQii", 24 + 16, 3, 0, 24, syscalls.FAN_MNT_ATTACH, -1, 0)
    info = struct.pack("=BBHIQ", 7, 0, 16, 0, 2147483700)
    assert syscalls.parse_fanotify_events(meta + info) == [syscalls.FanotifyEvent(syscalls.FAN_MNT_ATTACH, 2147483700)]
