"""diff-kernel's unique ids where the kernel has no listmount(2) (before 6.8): made up
from the table, in allocation order (the first table: list order; the mounts one
operation adds: mnt_id order, not ``ns->list`` order)."""

from __future__ import annotations

import errno
import os

import pytest

from mountcursor.format import parse_mountinfo
from mountcursor.kernel.mirror import KernelTable, impose_new_ids, imposed_left, mount_as, namespace_from_table
from mountcursor.verify.kernel_diff import UniqueIds, _model_table


def test_unique_ids_from_mountinfo_order() -> None:
    """Without listmount (before 6.8) a mount keeps the id it was first given; the first
    table's take theirs in list order, the mounts new in a later one in mnt_id order (the
    order ``ida_alloc`` gave them); a freed mnt_id given to a new mount is a new mount."""
    u = UniqueIds(listmount=False)
    first = u.from_order([21, 7, 30])
    assert first == {21: 1 << 20, 7: (1 << 20) + 1, 30: (1 << 20) + 2}
    assert u.from_order([21, 7, 30, 5, 2]) == {**first, 2: (1 << 20) + 3, 5: (1 << 20) + 4}
    assert u.from_order([21, 30, 2]) == {21: 1 << 20, 30: (1 << 20) + 2, 2: (1 << 20) + 3}
    assert u.from_order([21, 30, 2, 7]) == {21: 1 << 20, 30: (1 << 20) + 2, 2: (1 << 20) + 3, 7: (1 << 20) + 5}


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


# The script issue 17 shrunk on the 6.1.0-50 guest, and the table the guest printed after
# each operation (tests/kernel/test_propagated_copies_order.py plays it on the model alone).
GUEST_6_1 = [
    (None, b"44 30 0:50 / / rw - tmpfs sb rw\n45 44 0:51 / /m00000 rw - tmpfs t rw\n"),
    (("bind", b"/m00000", b"/b0"), b"46 44 0:51 / /b0 rw - tmpfs t rw\n"),
    (("make", b"/b0", "shared"), b"46 44 0:51 / /b0 rw shared:1 - tmpfs t rw\n"),
    (("bind", b"/b0", b"/b1"), b"46 44 0:51 / /b0 rw shared:1 - tmpfs t rw\n"
                               b"47 44 0:51 / /b1 rw shared:1 - tmpfs t rw\n"),
    (("move", b"/b0", b"/b1"), b"46 47 0:51 / /b1 rw shared:1 - tmpfs t rw\n"
                               b"47 44 0:51 / /b1 rw shared:1 - tmpfs t rw\n"
                               b"48 46 0:51 / /b1 rw shared:1 - tmpfs t rw\n"),
    (("mount", b"/b1/n14"), b"46 47 0:51 / /b1 rw shared:1 - tmpfs t rw\n"
                            b"47 44 0:51 / /b1 rw shared:1 - tmpfs t rw\n"
                            b"48 46 0:51 / /b1 rw shared:1 - tmpfs t rw\n"
                            b"49 48 0:20 / /b1/n14 rw shared:2 - tmpfs n rw\n"
                            b"51 46 0:20 / /b1/n14 rw shared:2 - tmpfs n rw\n"
                            b"50 47 0:20 / /b1/n14 rw shared:2 - tmpfs n rw\n"),
]


def test_the_copies_6_1_lists_newest_first_take_their_ids_in_allocation_order() -> None:
    """6.1 commits propagated copies newest first, so its list shows 51 (on 46) before 50
    (on 47); numbered in list order the model's first copy (on 47) took 51 and printed
    ``50 46`` where the guest printed ``51 46``.  Numbered in mnt_id order the mirror
    prints the guest's table after every operation."""
    u = UniqueIds(listmount=False)
    head = GUEST_6_1[0][1]
    recs = parse_mountinfo(head)
    before = KernelTable(recs, u.from_order([r.mnt_id for r in recs]))
    ns = namespace_from_table(before.records, before.unique_ids)
    for op, tail in GUEST_6_1[1:]:
        assert op is not None
        data = head + tail
        recs = parse_mountinfo(data)
        after = KernelTable(recs, u.from_order([r.mnt_id for r in recs]))
        first = impose_new_ids(ns, before, after)
        if op[0] == "bind":
            ns.bind(op[1], op[2])
        elif op[0] == "make":
            ns.change_type(op[1], op[2])
        elif op[0] == "move":
            ns.move(op[1], op[2])
        else:
            mount_as(ns, op[1], first)
        assert imposed_left(ns) is None
        assert _model_table(ns, "cursor", "5.10+") == data, op
        before = after
    assert u.known[50] < u.known[51]
