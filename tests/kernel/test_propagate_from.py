"""``propagate_from:N`` (``get_dominating_id``, fs/pnode.c): issue 17 item 1, issue 20.

The scenario is the one the running kernel printed (issue 20): a shared mount bound
into ``/jail/d`` and, through a slave made shared again, into ``/jail/c``, made a
slave; a reader whose root is ``/jail`` sees ``c``'s master group (2) nowhere under
its root, but group 1 (``d``) is there.  ``tests/oracle/test_propagate_from_oracle.py``
builds it on the kernel and compares the bytes.
"""

from __future__ import annotations

from mountcursor.kernel import open_proc
from mountcursor.kernel.namespace import Kernel, MountNamespace
from mountcursor.kernel.pnode import get_dominating_id


def jail(ns: MountNamespace) -> None:
    ns.mount(b"/tmp")  # 3, 0:20
    ns.mount(b"/tmp/src", source=b"a")  # 4, 0:21
    ns.change_type(b"/tmp/src", "shared")  # group 1
    ns.bind(b"/tmp/src", b"/tmp/jail/d")  # 5, a peer
    ns.bind(b"/tmp/src", b"/tmp/mid")  # 6
    ns.change_type(b"/tmp/mid", "slave")
    ns.change_type(b"/tmp/mid", "shared")  # group 2, master 1
    ns.bind(b"/tmp/mid", b"/tmp/jail/c")  # 7, a peer of mid
    ns.change_type(b"/tmp/jail/c", "slave")  # master 2


def read(ns: MountNamespace, root: bytes | None = None, kind: str = "mountinfo") -> bytes:
    f = open_proc(ns, kind, root=ns.lookup(root) if root else None)  # type: ignore[arg-type]
    try:
        return f.read_all(4096)
    finally:
        f.close()


def test_a_chrooted_reader_sees_propagate_from_exact_bytes() -> None:
    ns = Kernel().create_namespace()
    jail(ns)
    assert read(ns, b"/tmp/jail") == (
        b"5 3 0:21 / /d rw shared:1 - tmpfs a rw\n"
        b"7 3 0:21 / /c rw master:2 propagate_from:1 - tmpfs a rw\n")
    # from the namespace's root the master group 2 (mid) is reachable: no propagate_from
    assert read(ns).endswith(
        b"6 3 0:21 / /tmp/mid rw shared:2 master:1 - tmpfs a rw\n"
        b"7 3 0:21 / /tmp/jail/c rw master:2 - tmpfs a rw\n")


def test_no_member_of_any_master_group_under_the_root_prints_no_propagate_from() -> None:
    ns = Kernel().create_namespace()
    jail(ns)
    ns.umount(b"/tmp/jail/d")
    c = ns.find(b"/tmp/jail/c")
    assert get_dominating_id(c, ns.lookup(b"/tmp/jail")) == 0
    assert read(ns, b"/tmp/jail") == b"7 3 0:21 / /c rw master:2 - tmpfs a rw\n"


def test_the_line_follows_a_master_peer_that_moves_in_and_out_of_the_root() -> None:
    """The line of a slave is never cached: a peer of its master's master leaving the
    reader's root changes it though nothing on the slave's own chain of parents moved."""
    ns = Kernel().create_namespace()
    jail(ns)
    root = b"/tmp/jail"
    assert b"propagate_from:1" in read(ns, root)
    ns.move(b"/tmp/jail/d", b"/tmp/out")
    assert read(ns, root) == b"7 3 0:21 / /c rw master:2 - tmpfs a rw\n"
    ns.move(b"/tmp/out", b"/tmp/jail/e")
    assert read(ns, root) == (b"5 3 0:21 / /e rw shared:1 - tmpfs a rw\n"
                              b"7 3 0:21 / /c rw master:2 propagate_from:1 - tmpfs a rw\n")
