"""The proc files' exact bytes, `mountcursor race --json`, and a real-threads stress run."""

from __future__ import annotations

import json
import random
import sys
import threading
from collections import Counter

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.format import parse_mountinfo
from mountcursor.kernel import Kernel, open_proc
from mountcursor.kernel.list import list_check
from mountcursor.kernel.mount import MNT_NOSUID, MNT_READONLY, MNT_RELATIME


def test_three_formats_exact_bytes_both_eras() -> None:
    k = Kernel()
    ns = k.create_namespace()
    ns.mount(b"/mnt/a b", b"tmpfs", b"my#dev", flags=MNT_NOSUID | MNT_RELATIME, options=b",size=1024k")
    ns.mount(b"/mnt/ro", b"tmpfs", b"tmpfs", flags=MNT_READONLY)
    ns.change_type(b"/mnt/ro", "shared")
    ns.bind(b"/mnt/ro", b"/mnt/ro2")
    ns.change_type(b"/mnt/ro2", "slave")
    info = open_proc(ns, "mountinfo").read_all()
    assert info == (
        b"2 1 254:0 / / rw - ext4 /dev/vda rw\n"
        b"3 2 0:20 / /mnt/a\\040b rw,nosuid,relatime - tmpfs my\\043dev rw,size=1024k\n"
        b"4 2 0:21 / /mnt/ro ro shared:1 - tmpfs tmpfs rw\n"
        b"5 2 0:21 / /mnt/ro2 ro master:1 - tmpfs tmpfs rw\n"
    )
    old = open_proc(ns, "mounts", era="old").read_all()
    assert old.splitlines()[:3] == [b"rootfs / rootfs rw 0 0", b"/dev/vda / ext4 rw 0 0",
                                    b"my#dev /mnt/a\\040b tmpfs rw,nosuid,relatime,size=1024k 0 0"]
    stats = open_proc(ns, "mountstats").read_all()
    assert stats.splitlines()[2] == b"device tmpfs mounted on /mnt/ro with fstype tmpfs"
    assert [r.mount_point for r in parse_mountinfo(info)] == [b"/", b"/mnt/a b", b"/mnt/ro", b"/mnt/ro2"]


def test_race_with_its_defaults_fails_exactly_where_check_fails() -> None:
    """`mountcursor race` with no options (2000 mounts, 2% overlay-long lines, churn after
    every read and a teardown near EOF): a row is BROKEN exactly when ``check`` fails that
    cell over the default scope (tests/verify/test_matrix.py's EXPECTED), and OK otherwise."""
    from tests.verify.test_matrix import CELLS, EXPECTED

    res = CliRunner().invoke(main, ["race", "--json"])
    assert res.exit_code == 1, res.output  # 1: some rows are BROKEN
    rows = {(r["strategy"], r["semantics"]): r for r in json.loads(res.stdout)}
    assert set(rows) == set(CELLS)
    assert {k for k, r in rows.items() if not r["ok"]} == set(EXPECTED)
    for sem in ("3.10", "4.19-5.9", "5.10+"):
        assert rows["index", sem]["missed"] > 0
        assert rows["idtree-6.8", sem]["duplicated"] > 0 and rows["idtree-6.8", sem]["missed"] == 0
    assert rows["cursor", "3.10"]["duplicated"] > 0
    assert rows["cursor-vz", "3.10"]["duplicated"] > 0 and not rows["cursor-vz", "3.10"]["eof"]
    for key in (("cursor-vz-fixed", "3.10"), ("cursor", "4.19-5.9"), ("cursor", "5.10+"), ("idtree", "5.10+")):
        r = rows[key]
        assert r["missed"] == r["duplicated"] == r["malformed"] == r["cursors_left"] == 0 and r["ok"], r
    assert {"strategy", "semantics", "reads", "lines", "present_throughout", "missed", "duplicated",
            "malformed", "cursors_left", "ok"} <= set(rows["index", "3.10"])


def test_race_long_lines_break_the_seed_not_the_fix() -> None:
    res = CliRunner().invoke(main, ["race", "--json", "--mounts", "400", "--long-every", "50",
                                    "--strategy", "cursor-vz", "--strategy", "cursor-vz-fixed",
                                    "--semantics", "legacy"])
    rows = {r["strategy"]: r for r in json.loads(res.stdout)}
    assert not rows["cursor-vz"]["ok"] and rows["cursor-vz"]["duplicated"] > 0
    assert rows["cursor-vz-fixed"]["ok"]


def test_race_rejects_bad_options() -> None:
    res = CliRunner().invoke(main, ["race", "--strategy", "nope"])
    assert res.exit_code == 2 and "nope" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("passes", [20, pytest.param(300, marks=pytest.mark.slow)])
@pytest.mark.parametrize("strategy,semantics", [
    ("cursor", "modern"), ("cursor-vz-fixed", "legacy"), ("idtree", "modern"),
])
def test_threads_stress(strategy: str, semantics: str, passes: int) -> None:
    """Real threads: two churn threads mount and unmount 2000 times each, and until every
    reader's first pass is over (one churned mount in three stays until 20 more have
    stayed), while three readers read the whole file, from before the first read to after
    the last churn, and ``passes`` times each at least.
    Bounded by work, not by the clock: a busy machine gives fewer passes in a given time,
    never fewer here.  The interpreter switches threads every 1 ms instead of 5 ms, so
    passes are cut by churn.  Every base mount (never unmounted) appears exactly once per
    read, no line twice, lines in id order, the list is well formed afterwards and no
    cursor is left."""
    k = Kernel()
    ns = k.create_namespace()
    base = [b"/base/%03d" % i for i in range(150)]
    for p in base:
        ns.mount(p)
    churning = [threading.Event(), threading.Event()]
    count = threading.Lock()
    errors: list[str] = []
    passes_made = Counter[str]()
    during_churn = [0]  # passes that ended while a churner was still at work: the first of each at least
    churn_done = threading.Event()
    churned = Counter[str]()

    def reader(i: int) -> None:
        rnd = random.Random(i)
        while passes_made[str(i)] < passes or not churn_done.is_set():
            f = open_proc(ns, "mountinfo", strategy=strategy, semantics=semantics)
            out = bytearray()
            while chunk := f.read(rnd.choice([1, 100, 1024, 4096])):
                out += chunk
            f.close()
            recs = parse_mountinfo(bytes(out))
            seen = Counter(r.mount_point for r in recs)
            if [p for p in base if seen[p] != 1] or any(c > 1 for c in seen.values()):
                errors.append(f"reader {i}: {[p for p in base if seen[p] != 1][:3]}")
            during_churn[0] += not churn_done.is_set()
            passes_made[str(i)] += 1

    def churn(i: int) -> None:
        n = 0
        kept: list[bytes] = []
        while n < 2000 or len(passes_made) < 3:  # and until every reader's first pass is over
            p = b"/churn%d/%d" % (i, n)
            ns.mount(p)
            if n % 3:
                ns.umount(p)
                churning[i].set()
            else:
                kept.append(p)
                if len(kept) > 20:
                    ns.umount(kept.pop(0))
            n += 1
        with count:
            churned[str(i)] = n
            if len(churned) == 2:
                churn_done.set()

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-3)
    try:
        churners = [threading.Thread(target=churn, args=(i,)) for i in range(2)]
        for t in churners:
            t.start()
        for e in churning:
            e.wait()
        readers = [threading.Thread(target=reader, args=(i,)) for i in range(3)]
        for t in readers:
            t.start()
        for t in readers + churners:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
    assert sorted(passes_made) == ["0", "1", "2"] and min(passes_made.values()) >= passes, passes_made
    assert len(churned) == 2 and min(churned.values()) >= 2000, churned
    assert during_churn[0] >= 3, passes_made
    list_check(ns.list)
    assert ns.cursors() == []
    assert k.namespace_sem.readers == 0 and k.namespace_sem.writer is None
