"""The model's device numbers follow the kernel: anonymous devices from an IDA limited to
``(1 << MINORBITS) - 1`` (``EMFILE`` past it), freed with the superblock, printed as
``MAJOR:MINOR`` of a 20-bit minor; ``new_encode_dev`` is what ``stat`` reports."""

from __future__ import annotations

import errno
import os

import pytest

from mountcursor.format import parse_mountinfo
from mountcursor.kernel import Kernel, open_proc
from mountcursor.kernel.mount import MAJOR, MINOR, MINORMASK, MKDEV, Ida, new_decode_dev, new_encode_dev


@pytest.mark.parametrize("major,minor", [(0, 20), (0, 255), (0, 256), (0, 300), (8, 1), (254, 0),
                                         (0, MINORMASK), (4095, MINORMASK), (259, 65536)])
def test_new_encode_dev_is_what_userspace_decodes(major: int, minor: int) -> None:
    dev = MKDEV(major, minor)
    assert (MAJOR(dev), MINOR(dev)) == (major, minor)
    enc = new_encode_dev(dev)
    assert enc == os.makedev(major, minor)  # glibc's makedev: the same bits for a 32-bit dev_t
    assert (os.major(enc), os.minor(enc)) == (major, minor)
    assert new_decode_dev(enc) == dev


def test_minors_above_255_move_to_the_high_bits() -> None:
    assert new_encode_dev(MKDEV(0, 300)) == 0x100 << 12 | 0x2C  # 300 = 0x12c
    assert new_encode_dev(MKDEV(8, 1)) == 0x801


def test_the_ida_stops_at_its_end_and_hands_back_the_lowest_freed() -> None:
    ida = Ida(start=1, end=3)
    assert [ida.alloc() for _ in range(3)] == [1, 2, 3]
    with pytest.raises(OSError) as err:
        ida.alloc()
    assert err.value.errno == errno.ENOSPC
    ida.free(2)
    assert ida.alloc() == 2


def _minors(ns) -> dict[bytes, int]:
    with open_proc(ns, "mountinfo") as f:
        return {r.mount_point: r.minor for r in parse_mountinfo(f.read_all(1 << 16))}


def test_anonymous_devices_run_out_with_emfile_and_come_back_on_umount() -> None:
    k = Kernel()
    ns = k.create_namespace()
    k.anon_dev = Ida(start=MINORMASK - 2, end=MINORMASK)  # a kernel that has used all but three
    for name in (b"/a", b"/b", b"/c"):
        ns.mount(name)
    assert _minors(ns)[b"/c"] == MINORMASK  # printed as 0:1048575, never 0:1048576
    with pytest.raises(OSError) as err:
        ns.mount(b"/d")
    assert err.value.errno == errno.EMFILE
    assert b"/d" not in _minors(ns)
    ns.bind(b"/b", b"/b2")  # a second mount of /b's superblock
    ns.umount(b"/b")
    with pytest.raises(OSError):
        ns.mount(b"/d")  # /b's device is still held by the bind
    ns.umount(b"/b2")  # the last mount of the superblock: kill_anon_super frees 0:1048574
    ns.mount(b"/d")
    assert _minors(ns)[b"/d"] == MINORMASK - 1
