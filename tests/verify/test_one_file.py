"""One open file, two threads: ``f_pos_lock`` (read, lseek of a shared file) and ``m->lock``
(read, pread, lseek) serialize them, also while one read() has dropped namespace_sem in its
overflow retry.  Exact schedules, exact bytes."""

from __future__ import annotations

import pytest

from mountcursor.kernel import open_proc
from mountcursor.verify.check import check_cell
from mountcursor.verify.explorer import Explorer
from mountcursor.verify.scenarios import one_file_two_threads
from mountcursor.verify.scheduler import Scheduler
from mountcursor.verify.world import World

SC = one_file_two_threads(1024)  # /m01, /m02 short, /m03 a 4300-byte line; churn: umount /m02


def _park_reader1_then(world: World, seen: dict[str, object]):  # noqa: ANN202
    """Reader1 runs until its read() is between ->stop and ->start (the overflow retry on
    /m03); reader2 then tries to read and blocks; the churn unmounts /m02 right there; then
    reader2 whenever it can run."""
    phase = [0]

    def choose(en: list[int], s: Scheduler) -> int:
        t = s.threads
        if phase[0] == 0:
            if t[0].pending[0] != "relock":
                return 0
            phase[0] = 1
            return 1
        if phase[0] == 1:
            m = world.readers[0].f.m  # type: ignore[union-attr]
            seen["reader2"] = t[1].pending
            seen["owners"] = (m.f_pos_lock.owner, m.lock.owner)
            phase[0] = 2
            return 2
        return 1 if 1 in en else en[0]

    return choose


@pytest.mark.parametrize("strategy,semantics", [("cursor", "4.19-5.9"), ("idtree", "5.10+"),
                                                ("cursor-vz-fixed", "3.10")])
def test_the_second_thread_waits_and_continues_the_file(strategy: str, semantics: str) -> None:
    w = World(SC, strategy, semantics)
    table = w._table_bytes()  # before the umount: /, /m01, /m02, /m03
    seen: dict[str, object] = {}
    assert w.run(_park_reader1_then(w, seen)) == []
    # reader1 holds f_pos_lock and m->lock across the gap; reader2 waits for f_pos_lock
    assert seen == {"reader2": ("blocked", "mutex_lock(file->f_pos_lock)"), "owners": (0, 0)}
    r1, r2 = w.readers
    assert [len(b) for b in r1.results] == [124, 1024, 0]
    assert [len(b) for b in r2.results] == [1024, 1024, 1024, 221, 0]
    assert r1.results[0].endswith(b" /m02 rw - tmpfs tmpfs rw,inode64\n")
    # what the two threads read, in the order they read it, is the file: nothing twice
    assert bytes(r1.out) == r1.results[0] + r1.results[1] + b"".join(r2.results) == table
    assert len(table) == 4441


def test_pread_waits_for_m_lock_only() -> None:
    """pread() takes no f_pos_lock (it leaves f_pos alone) but waits for ``m->lock`` held by
    a read() parked in its overflow retry; then it replays from offset 0 (traverse)."""
    w = World(SC, "idtree", "5.10+")  # only for its table with a page-sized line
    f = open_proc(w.ns, "mountinfo", strategy="idtree", semantics="5.10+")
    f.m.get_file()
    got: dict[str, object] = {}
    s = Scheduler()
    s.spawn("reader", lambda: got.setdefault("read", [f.read(1024), f.read(1024)]))
    s.spawn("preader", lambda: got.setdefault("pread", f.pread(40, 0)))
    order = iter([0, 0, 1])  # read 1; read 2 up to the gap; then pread

    def choose(en: list[int], sch: Scheduler) -> int:
        nxt = next(order, None)
        if nxt is None:
            got.setdefault("blocked", sch.threads[1].pending)
            return en[0]
        return nxt

    s.run(choose)
    assert got["blocked"] == ("blocked", "mutex_lock(seq_file->lock)")
    r1, r2 = got["read"]  # type: ignore[misc]
    assert (len(r1), len(r2)) == (124, 1024)
    assert got["pread"] == r1[:40]
    assert f.m.f_pos == 1148  # the read()s moved it, the pread() did not


def test_index_misses_the_page_line_when_the_umount_falls_in_the_gap() -> None:
    """At syscall granularity the churn runs inside reader1's read(), between the ->stop
    and the ->start of the overflow retry: 5.7's m_start finds position 3 past the end."""
    c = check_cell("index", "5.10+", [SC])
    t = c.failures["missed"]
    assert t.path == [0, 0, 2, 0, 1, 1]
    assert [v.message for v in t.violations] == ["the threads: /m03 never shown"]


@pytest.mark.parametrize("strategy,semantics", [("cursor", "4.19-5.9"), ("cursor", "5.10+"),
                                                ("cursor-vz-fixed", "3.10"), ("idtree", "5.10+")])
def test_one_file_holds_for_the_fixed_strategies(strategy: str, semantics: str) -> None:
    r = Explorer(strategy, semantics, stop_at_first=False).explore(SC)
    assert r.holds and r.exhausted and r.schedules > 50
