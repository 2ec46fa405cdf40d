"""The watch's options and statuses of issue 19: ``-w`` with ``--interval``, a huge
interval, a zombie ``-N``, a mount id and device reused in another namespace.

Timing is driven by a clock of the test's own (``watch._clock``, ``Watch._sleep``,
``Watch._wait``): no test sleeps.
"""

from __future__ import annotations

import pytest

from mountcursor.live.watch import watch

from .conftest import needs_sandbox


def test_another_namespace_reusing_an_id_and_device_is_umount_and_mount() -> None:
    # was: "move /tmp/b from /tmp/a" for -N: only our own namespace was read with listmount
    needs_sandbox()
    from mountcursor.live.sandbox import Sandbox

    with Sandbox(n=0) as sb, watch(sb.pid, source="poll", timeout=30, min_interval=0) as w:
        a = sb.mount_tmpfs(b"a")
        assert [(ev.action, ev.entry.target) for ev in next(w).events] == [("mount", sb.path(b"a"))]
        sb.umount(b"a")
        b = sb.mount_tmpfs(b"b")
        if (a.mnt_id, a.major, a.minor) != (b.mnt_id, b.major, b.minor):
            pytest.skip("the kernel did not hand the freed mount id and device to the next mount")
        assert [(ev.action, ev.entry.target) for ev in next(w).events] == [
            ("umount", sb.path(b"a")), ("mount", sb.path(b"b"))]


def test_listmount_reads_another_namespace_as_its_mountinfo_says() -> None:
    needs_sandbox()
    from mountcursor.live.reader import snapshot
    from mountcursor.live.sandbox import Sandbox

    with Sandbox(n=2) as sb:
        by_info = snapshot(sb.pid, method="mountinfo").table
        by_list = snapshot(sb.pid, method="listmount").table
    assert all(e.unique_id is not None for e in by_list)
    def rows(table):
        return sorted((e.mnt_id, e.parent_id, e.target, e.root, e.fstype, e.major, e.minor) for e in table)

    assert rows(by_list) == rows(by_info) and len(by_info) > 2
