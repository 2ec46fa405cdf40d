"""``propagate_from:N`` and the chrooted reader, held to the running kernel (issue 17
item 1, issue 20's reproduction).

The same operations are played in a sandbox and on its mirror (the ids the kernel
handed out imposed on the model, as ``diff-kernel`` does); then a child chrooted into
the sandbox's ``jail`` reads all three files, and the model's files opened with that
root must give the same bytes.
"""

from __future__ import annotations

import re

import pytest

from mountcursor.kernel import open_proc
from mountcursor.kernel.mirror import impose_new_ids, imposed_left, namespace_from_table
from mountcursor.verify.sandbox import Sandbox, sandbox_unavailable
from mountcursor.verify.kernel_diff import UniqueIds, _kernel_op, _kernel_table, _model_op, run_script

pytestmark = pytest.mark.root
_WHY = sandbox_unavailable()
if _WHY is not None:
    pytest.skip(f"no sandbox here: {_WHY}", allow_module_level=True)

#: issue 20: a shared mount bound into jail/d and, through a slave made shared again,
#: into jail/c, made a slave
JAIL = [("mount", b"src"), ("make", b"src", "shared"), ("bind", b"src", b"jail/d"), ("bind", b"src", b"mid"),
        ("make", b"mid", "slave"), ("make", b"mid", "shared"), ("bind", b"mid", b"jail/c"),
        ("make", b"jail/c", "slave")]


def _play(sb: Sandbox, ns: object, ktab: object, ops: list, uids: UniqueIds) -> object:
    for op in ops:
        k = _kernel_op(sb, op)
        data, after = _kernel_table(sb, uids)
        m = _model_op(ns, sb, op, impose_new_ids(ns, ktab, after))  # type: ignore[arg-type]
        assert (k, imposed_left(ns)) == (m, None), op  # type: ignore[arg-type]
        ktab = after
    return ktab


def _model_read(ns: object, kind: str, root: bytes | None) -> bytes:
    f = open_proc(ns, kind, root=ns.lookup(root) if root else None)  # type: ignore[arg-type,attr-defined]
    try:
        return f.read_all(65536)
    finally:
        f.close()


@pytest.mark.parametrize("after", [
    [],
    [("move", b"jail/d", b"out")],
    [("move", b"jail/d", b"out"), ("move", b"out", b"jail/e")],
    [("umount", b"mid"), ("mount", b"jail/x"), ("make", b"jail/x", "shared"), ("bind", b"jail/x", b"y"),
     ("make", b"y", "slave")],
], ids=["issue-20", "peer-moved-out", "peer-moved-back", "master-gone"])
def test_a_chrooted_reader_gets_the_kernels_bytes(after: list) -> None:
    with Sandbox(n=0) as sb:
        uids = UniqueIds(None)
        data, ktab = _kernel_table(sb, uids)
        ns = namespace_from_table(ktab.records, ktab.unique_ids)
        _play(sb, ns, ktab, JAIL + after, uids)
        assert _model_read(ns, "mountinfo", None) == sb.read_proc("mountinfo")
        for kind in ("mountinfo", "mounts", "mountstats"):
            kernel = sb.read_proc_chrooted(kind, b"jail")
            assert _model_read(ns, kind, sb.path(b"jail")) == kernel, kind
        if not after:  # the line: c's master group is not under the root, d's group is
            lines = sb.read_proc_chrooted("mountinfo", b"jail").splitlines()
            assert [ln.split()[4] for ln in lines] == [b"/d", b"/c"]
            assert re.fullmatch(rb"\d+ \d+ \d+:\d+ / /c rw,relatime master:(\d+) propagate_from:(\d+) - tmpfs tmpfs rw",
                                lines[1])

def test_the_chrooted_read_can_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without get_dominating_id (the model before issue 17) the kernel's line differs."""
    from mountcursor.kernel import procfs

    monkeypatch.setattr(procfs, "get_dominating_id", lambda mnt, root: 0)
    with Sandbox(n=0) as sb:
        uids = UniqueIds(None)
        data, ktab = _kernel_table(sb, uids)
        ns = namespace_from_table(ktab.records, ktab.unique_ids)
        _play(sb, ns, ktab, JAIL, uids)
        kernel = sb.read_proc_chrooted("mountinfo", b"jail")
        model = _model_read(ns, "mountinfo", sb.path(b"jail"))
        assert kernel != model and kernel.replace(b" propagate_from:", b"").count(b"\n") == 2
        assert b" propagate_from:" in kernel and b" propagate_from:" not in model


@pytest.mark.parametrize("script", [
    [("make", b"m00000", "shared"), ("bind", b"m00000", b"r2"), ("mount", b"m00000/p"), ("mount", b"m00000/p/x"),
     ("mount", b"m00000/p/x"), ("lazy", b"m00000/p"), ("read", 65536)],
    [("make", b"m00000", "shared"), ("bind", b"m00000", b"s"), ("make", b"s", "slave"), ("mount", b"m00000/x"),
     ("mount", b"s/x"), ("umount", b"m00000/x"), ("read", 65536)],
], ids=["dying-overmount", "surviving-overmount"])
def test_propagate_umount_overmounts_on_the_kernel(script: list) -> None:
    """tests/kernel/test_propagate_umount_overmount.py's cases (issue 17 item 6): every
    table after every operation as the kernel prints it."""
    r = run_script(script, n_mounts=1)
    assert r.mismatch is None, r.mismatch
    assert r.tables == len(script) - 1
