"""diff-kernel's unique ids where the kernel has no listmount(2) (before 6.8): made up
from mountinfo order, which is insertion order (``ns->list``)."""

from __future__ import annotations

import errno
import os

import pytest

from mountcursor.format import parse_mountinfo
from mountcursor.verify.kernel_diff import UniqueIds


def test_unique_ids_from_mountinfo_order() -> None:
    """Without listmount (before 6.8) a mount keeps the id it was first given; new mounts
    take the next ones in list order; a freed mnt_id given to a new mount is a new mount."""
    u = UniqueIds(listmount=False)
    first = u.from_order([21, 7, 30])
    assert first == {21: 1 << 20, 7: (1 << 20) + 1, 30: (1 << 20) + 2}
    assert u.from_order([21, 7, 30, 5, 2]) == {**first, 5: (1 << 20) + 3, 2: (1 << 20) + 4}
    assert u.from_order([21, 30, 2]) == {21: 1 << 20, 30: (1 << 20) + 2, 2: (1 << 20) + 4}
    assert u.from_order([21, 30, 2, 7]) == {21: 1 << 20, 30: (1 << 20) + 2, 2: (1 << 20) + 4, 7: (1 << 20) + 5}


class _NoListmount:
    """A sandbox whose kernel answers listmount with ``err`` (as every kernel before 6.8)."""

    def __init__(self, err: int) -> None:
        self.err = err
        self.asked = 0

    def snapshot(self, method: str) -> None:
        self.asked += 1
        raise OSError(self.err, os.strerror(self.err))


def test_enosys_from_listmount_falls_back_to_the_order() -> None:
    u, sb = UniqueIds(), _NoListmount(errno.ENOSYS)
    recs = parse_mountinfo(b"21 1 0:1 / / rw - tmpfs t rw\n9 21 0:2 / /tmp rw - tmpfs t rw\n")
    assert u.of(sb, recs) == {21: 1 << 20, 9: (1 << 20) + 1}
    assert u.of(sb, recs) == {21: 1 << 20, 9: (1 << 20) + 1} and sb.asked == 1  # asked once
    with pytest.raises(OSError, match="Input/output"):
        UniqueIds().of(_NoListmount(errno.EIO), recs)
