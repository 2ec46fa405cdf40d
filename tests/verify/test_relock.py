"""Churn inside one read(): at syscall granularity the scheduler can switch threads where
the C drops namespace_sem within a read() (->stop then ->start of the overflow retry)."""

from __future__ import annotations

from mountcursor.verify.check import check_cell
from mountcursor.verify.explorer import Explorer
from mountcursor.verify.scenarios import default_scope, umount_one

SC = umount_one(1, 3, "ssp", 1024)  # /m01 short, /m02 short, /m03 4300 bytes; umount /m01


def test_the_scenario_is_in_the_default_scope() -> None:
    assert SC in default_scope()


def test_index_loses_the_page_line_to_an_umount_inside_the_read() -> None:
    """read 1 gets /, /m01, /m02; read 2 starts on /m03, overflows the page, ->stop; the
    umount of /m01 runs before the retry's ->start(3), which is now past the end."""
    c = check_cell("index", "5.10+", [SC])
    t = c.failures["missed"]
    assert t.path == [0, 0, 0, 1, 0, 0]
    w, found = Explorer("index", "5.10+").replay(SC, t.path)
    steps = [(w.sched.threads[s.thread].name, s.kind, s.detail) for s in w.sched.steps]
    assert steps[2:5] == [("reader", "syscall", "read(mountinfo, 1024)"),
                          ("churn", "syscall", "umount(b'/m01')"),
                          ("reader", "relock", "->stop .. ->start inside one call: the iterator's lock is free")]
    assert [v.message for v in found] == ["reader: /m03 never shown"]
    assert w.readers[0].results == [w.readers[0].results[0], b""]


def test_the_cursors_keep_their_place_across_the_gap() -> None:
    for strategy, semantics in (("cursor", "4.19-5.9"), ("cursor-vz-fixed", "3.10"), ("idtree", "5.10+")):
        r = Explorer(strategy, semantics, stop_at_first=False).explore(SC)
        assert r.holds and r.exhausted, (strategy, semantics)
