"""The three seq_file engines (3.10, 4.19-5.9, 5.10+) where they differ, with exact bytes
and exact iterator calls (record = name padded to 4 + newline)."""

from __future__ import annotations

import pytest

from mountcursor.kernel.iterators import ProcMounts, strategy
from mountcursor.kernel.seqfile import SEMANTICS, SeqFile, semantics_of

from .conftest import make_ns, names_show, open_seq, read_all


def test_names_and_aliases() -> None:
    assert SEMANTICS == ("3.10", "4.19-5.9", "5.10+")
    assert semantics_of("legacy") == "3.10" and semantics_of("modern") == "5.10+"
    assert open_seq(make_ns(1), "cursor", "legacy").semantics == "3.10"
    with pytest.raises(ValueError, match="unknown seq_file semantics '5.8'"):
        semantics_of("5.8")


def test_drain_leftover_then_umount_next_58_omits_it() -> None:
    """The issue's example: ``cursor``, read(1), a read that exactly drains the leftover,
    then the next mount is unmounted.  5.10+ ran start/show/next/stop in the draining read
    and holds m01's line in its buffer, so it prints it; 5.8 stopped at ``if (!size) goto
    Done`` and omits it."""
    got = {}
    for sem in ("4.19-5.9", "5.10+"):
        ns = make_ns(3)
        m = open_seq(ns, "cursor", sem)
        assert m.read(1) == b"/"
        n_calls = len(m.calls)
        assert m.read(4) == b"...\n"
        got[sem + " calls"] = m.calls[n_calls:]
        ns.umount(b"/m01")
        got[sem] = b"".join(read_all(m, 100))
    assert got["4.19-5.9 calls"] == []
    assert got["5.10+ calls"] == ["start(1) -> mnt2", "show(mnt2) 5B", "next(mnt2, 1) -> mnt3 pos=2", "stop(mnt3)"]
    assert got["4.19-5.9"] == b"m02.\nm03.\n"
    assert got["5.10+"] == b"m01.\nm02.\nm03.\n"


def test_the_hand_checked_5_8_trace() -> None:
    """docs/cursor-on-5.8.md: the issue's example on 4.19-5.9, call for call (the log that
    was checked by hand against the 5.8 seq_read and m_start/m_next/m_stop)."""
    ns = make_ns(3)
    m = open_seq(ns, "cursor", "4.19-5.9")
    log: list[object] = []
    for n in (1, 4, None, 100, 100):
        if n is None:
            ns.umount(b"/m01")
            log.append("umount /m01")
            continue
        k = len(m.calls)
        log.append((n, m.read(n), m.calls[k:]))
    assert log == [
        (1, b"/", ["start(0) -> mnt1", "show(mnt1) 5B", "next(mnt1, 0) -> mnt2 pos=1", "stop(mnt2)"]),
        (4, b"...\n", []),
        "umount /m01",
        (100, b"m02.\nm03.\n", ["start(1) -> mnt3", "show(mnt3) 5B", "next(mnt3, 1) -> mnt4 pos=2",
                                "show(mnt4) 5B", "next(mnt4, 2) -> NULL pos=3", "stop(NULL)"]),
        (100, b"", ["start(3) -> NULL", "stop(NULL)"]),
    ]


def test_zero_size_read_runs_the_iterator_on_4_19_only() -> None:
    """read(fd, buf, 0) at a record boundary: 4.19-5.9's seq_read runs start/show/next/stop
    and keeps m01 buffered (so m01 is still printed after its umount); 5.10+ returns at
    once; 3.10 runs start/show/stop (its fill loop never calls ->next for a full buffer; the
    seed's fixed ops stand in for the mainline cursor, which 3.10 breaks)."""
    out = {}
    for sem in SEMANTICS:
        ns = make_ns(2)
        m = open_seq(ns, "cursor-vz-fixed" if sem == "3.10" else "cursor", sem)
        assert m.read(5) == b"/...\n"
        n_calls = len(m.calls)
        assert m.read(0) == b""
        out[sem + " calls"] = m.calls[n_calls:]
        ns.umount(b"/m01")
        out[sem] = b"".join(read_all(m, 100))
    assert out["4.19-5.9 calls"] == ["start(1) -> mnt2", "show(mnt2) 5B", "next(mnt2, 1) -> mnt3 pos=2",
                                     "stop(mnt3)"]
    assert out["4.19-5.9"] == b"m01.\nm02.\n"
    assert out["5.10+ calls"] == [] and out["5.10+"] == b"m02.\n"
    assert out["3.10 calls"] == ["start(1) -> mnt2", "show(mnt2) 5B", "stop(mnt2)"]
    assert out["3.10"] == b"m01.\nm02.\n"


def _seq(sem: str, fixed: bool = True) -> SeqFile:
    ns = make_ns(3)
    p = ProcMounts(ns=ns, root=ns.root, show=names_show())
    return SeqFile(strategy("index"), sem, private=p, log_calls=True, traverse_fixed=fixed)


def test_traverse_before_6a2aeab59e97_repeats_the_split_record() -> None:
    """lseek into the middle of m01's line, then read: 4.19.0-4.19.67 returns the tail of
    m01 and then m01 again (traverse did not call ->next for the split record); with the
    fix (5.3+, 4.19.68+, 5.10+) and on 3.10 the tail is followed by m02."""
    old = _seq("4.19-5.9", fixed=False)
    assert old.lseek(7) == 7
    assert old.read(100) == b"1.\nm01.\nm02.\nm03.\n"
    for sem in SEMANTICS:
        m = _seq(sem)
        m.lseek(7)
        assert b"".join(read_all(m, 100)) == b"1.\nm02.\nm03.\n", sem


def test_traverse_fixed_only_names_4_19() -> None:
    with pytest.raises(ValueError, match="only on 4.19-5.9"):
        _seq("5.10+", fixed=False)


def test_read_from_offset_zero_resets_the_index_since_4_7() -> None:
    """A reader chrooted to /jail sees nothing: its read returns 0 with read_pos 0 and
    m->index past every (skipped) mount.  m01 goes, /jail/x comes (at list position 3).
    The next read at offset 0: 4.19-5.9 and 5.10+ reset m->index (e522751d605d, v4.7) and
    find x; 3.10 has no reset and asks the ``index`` iterator for position 4: EOF."""
    from mountcursor.kernel.namespace import Path

    out = {}
    for sem in SEMANTICS:
        ns = make_ns(3)
        p = ProcMounts(ns=ns, root=Path(ns.root.mnt, b"/jail"), show=names_show())
        m = SeqFile(strategy("index"), sem, private=p, log_calls=True)
        assert m.read(100) == b"" and m.index == 4 and m.read_pos == 0
        ns.umount(b"/m01")
        ns.mount(b"/jail/x")
        out[sem] = m.read(100)
    assert out == {"3.10": b"", "4.19-5.9": b"x...\n", "5.10+": b"x...\n"}


class _Recorder:
    """A scheduler that only records the steps it hears."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = []

    def step(self, kind: str, detail: str) -> None:
        self.steps.append((kind, detail))

    def block_until(self, ready, why: str) -> None:  # noqa: ANN001
        assert ready(), why

    def current(self) -> int:
        return 1


@pytest.mark.parametrize("sem", SEMANTICS)
def test_a_record_longer_than_the_page_drops_the_lock_inside_read(sem: str) -> None:
    """The overflow retry runs ->stop, then ->start again in the same read(): the C drops
    namespace_sem in between, and the model announces a ``relock`` step exactly there."""
    from mountcursor.kernel import hooks

    m = open_seq(make_ns(2), "cursor-vz-fixed" if sem == "3.10" else "cursor", sem, long={b"m01": 5000})
    assert m.read(5) == b"/...\n"
    rec = _Recorder()
    hooks.install(rec, frozenset({"relock"}))  # type: ignore[arg-type]
    try:
        n_calls = len(m.calls)
        assert m.read(6000) == b"m01" + b"." * 4997 + b"\nm02.\n"
    finally:
        hooks.install(None)
    assert [k for k, _ in rec.steps] == ["relock"]
    calls = m.calls[n_calls:]
    gap = calls.index("(->stop .. ->start: the iterator's lock is free)")
    assert calls[gap - 1].startswith("stop(") and calls[gap + 1].startswith("start(")
    assert calls[gap - 2] == "show(mnt2) overflow"
