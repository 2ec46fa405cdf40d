"""The seed's cases, read by read, with exact bytes (record = name padded to 4 + newline)."""

from __future__ import annotations

import pytest

from mountcursor.kernel import Kernel

from .conftest import make_ns, open_seq, read_all

CURSORS = ("cursor", "cursor-vz", "cursor-vz-id", "cursor-vz-fixed")
FIRST10 = b"/...\nm01.\nm02.\nm03.\nm04.\nm05.\nm06.\nm07.\nm08.\nm09.\n"


@pytest.mark.parametrize("semantics", ["legacy", "modern"])
def test_seed_example_index_misses_old_entry_10(semantics: str) -> None:
    """Miklos's example: read #0..#9, unmount #5, the next read starts at the new #10."""
    ns = make_ns(20)
    m = open_seq(ns, "index", semantics)
    assert m.read(50) == FIRST10
    ns.umount(b"/m05")
    rest = b"".join(read_all(m, 50))
    assert rest == b"m11.\nm12.\nm13.\nm14.\nm15.\nm16.\nm17.\nm18.\nm19.\nm20.\n"  # m10 missed


@pytest.mark.parametrize("strategy,semantics", [
    ("cursor", "modern"), ("cursor-vz", "legacy"), ("cursor-vz", "modern"), ("cursor-vz-id", "legacy"),
    ("cursor-vz-fixed", "legacy"), ("cursor-vz-fixed", "modern"), ("idtree", "legacy"), ("idtree", "modern"),
])
def test_seed_example_cursors_miss_nothing(strategy: str, semantics: str) -> None:
    ns = make_ns(20)
    m = open_seq(ns, strategy, semantics)
    assert m.read(50) == FIRST10
    ns.umount(b"/m05")
    assert read_all(m, 50) == [b"m10.\nm11.\nm12.\nm13.\nm14.\nm15.\nm16.\nm17.\nm18.\nm19.\n", b"m20.\n"]


def test_seed_example_mainline_cursor_on_legacy_repeats_m09() -> None:
    """The first backport (mainline ops on the 3.10 seq_read): stop() got m09, already shown."""
    ns = make_ns(20)
    m = open_seq(ns, "cursor", "legacy")
    assert m.read(50) == FIRST10
    assert m.calls[-1] == "stop(mnt10)"  # mnt_id 10 is m09: the cursor parks in front of it
    ns.umount(b"/m05")
    assert read_all(m, 50) == [b"m09.\nm10.\nm11.\nm12.\nm13.\nm14.\nm15.\nm16.\nm17.\nm18.\n",
                               b"m18.\nm19.\nm20.\n"]


def test_read_ending_inside_a_next_record() -> None:
    """A read of 12 bytes ends inside m02, which ->next produced.  Legacy mainline cursor
    parks before m02 and shows it again; the seed does not; modern never does."""
    expected_ok = [b"/...\nm01.\nm0", b"2.\nm03.\nm04.", b"\n"]
    ns = make_ns(4)
    m = open_seq(ns, "cursor", "legacy")
    assert read_all(m, 12) == [b"/...\nm01.\nm0", b"2.\nm02.\nm03.", b"\nm03.\nm04.\n"]
    for strategy, semantics in [("cursor-vz", "legacy"), ("cursor", "modern")]:
        m = open_seq(make_ns(4), strategy, semantics)
        assert read_all(m, 12) == expected_ok, (strategy, semantics)


@pytest.mark.parametrize("strategy", ["cursor-vz", "cursor-vz-id", "cursor-vz-fixed"])
def test_umount_of_the_mount_in_front_of_the_cursor(strategy: str) -> None:
    """The seed's "ultra-important" case: the read ends exactly after m04, stop() parks the
    cursor before m04; m04 is unmounted; the next read must start at m05, not skip it."""
    ns = make_ns(8)
    m = open_seq(ns, strategy, "legacy")
    assert m.read(25) == b"/...\nm01.\nm02.\nm03.\nm04.\n"
    assert m.calls[-1] == "stop(mnt5)"
    ns.umount(b"/m04")
    assert read_all(m, 25) == [b"m05.\nm06.\nm07.\nm08.\n"]


def _reuse_case(strategy: str, free_lower_id_first: bool, slab_reuse: bool = True) -> list[bytes]:
    """Read to exactly the end of the last mount m04 (legacy: stop() gets m04, cursor before it),
    unmount m04, mount n1: the slab hands n1 m04's object, appended right after the cursor."""
    k = Kernel(slab_reuse=slab_reuse)
    ns = k.create_namespace(with_rootfs=False)
    for i in range(1, 5):
        ns.mount(b"/m%02d" % i)
    m = open_seq(ns, strategy, "legacy")
    assert m.read(25) == b"/...\nm01.\nm02.\nm03.\nm04.\n"
    old = ns.find(b"/m04")
    if free_lower_id_first:
        ns.umount(b"/m01")  # frees a lower mnt_id: n1 will get that id, not m04's
    old_id = old.mnt_id
    ns.umount(b"/m04")
    new = ns.mount(b"/n1")
    assert (new is old) == slab_reuse
    assert (new.mnt_id == old_id) == (not free_lower_id_first)
    return read_all(m, 25)


def test_pointer_reuse() -> None:
    """What the review warned about, built on purpose.

    The seed's ``m_start`` compares the mount after the cursor with ``last_mntpos`` by pointer.
    When the last mount shown is unmounted and a new mount is allocated in the same slab
    object and attached at the tail — right after the cursor — ``m_start`` takes it for the
    mount already shown and steps over it: n1 is never shown, the read just ends.  Comparing
    mnt_id too (``cursor-vz-id``) only helps when the IDA hands n1 another id; since the IDA
    returns the lowest free id, n1 usually gets m04's id back and the check is fooled as well.

    Property: n1 was mounted *during* the read, so "nothing present throughout is missed"
    still holds; what breaks is the weaker promise the mainline cursor keeps, that a mount
    attached at the tail while the reader's cursor is in the list will be shown.
    """
    assert _reuse_case("cursor-vz", free_lower_id_first=False) == []
    assert _reuse_case("cursor-vz-id", free_lower_id_first=False) == []
    assert _reuse_case("cursor-vz", free_lower_id_first=True) == []
    assert _reuse_case("cursor-vz-id", free_lower_id_first=True) == [b"n1..\n"]
    assert _reuse_case("cursor-vz", free_lower_id_first=False, slab_reuse=False) == [b"n1..\n"]


@pytest.mark.parametrize("strategy", ["cursor-vz", "cursor-vz-id"])
def test_seed_repeats_forever_when_records_are_longer_than_a_read(strategy: str) -> None:
    """Records of 5 bytes read 2 bytes at a time (as a 1024-byte stdio read meets a 1500-byte
    overlay line).  Once two consecutive records both come from m_start, last_pos (written
    only by m_next) lags and the seed returns the finished mount again, on every read."""
    m = open_seq(make_ns(4), strategy, "legacy")
    got = b"".join(m.read(2) for _ in range(30))
    assert got == b"/...\n" + b"m01.\n" * 11
    # By hand, 3.10 seq_read + the seed: read 1 start(0) -> "/" (no ->next: the record
    # already exceeds the 2-byte read), stop("/"), cursor before "/".  Read 3 flushes the
    # last byte of "/", index++ -> 1; start(1): 1 == last_pos(0) + 1 and last_mntpos is "/",
    # so the seed steps to m01 (right).  Read 5 flushes m01's tail, index++ -> 2; start(2):
    # 2 != last_pos(0) + 1 (m_next never ran), so no step: m01 again.  And so on forever.
    assert m.calls[:9] == [
        "start(0) -> mnt1", "show(mnt1) 5B", "stop(mnt1)",
        "start(1) -> mnt2", "show(mnt2) 5B", "stop(mnt2)",
        "start(2) -> mnt2", "show(mnt2) 5B", "stop(mnt2)",
    ]
    assert m.private.last_pos == 0


def test_fixed_seed_reads_long_records_once() -> None:
    for size in range(1, 12):
        for semantics in ("legacy", "modern"):
            m = open_seq(make_ns(6), "cursor-vz-fixed", semantics)
            assert b"".join(read_all(m, size)) == b"/...\n" + b"".join(b"m%02d.\n" % i for i in range(1, 7))


def test_idtree_68_repeats_the_last_mount() -> None:
    """The 2026 bug (fixed by 4a403d7aa907): stop just before the last mount L, unmount L,
    mount N at the tail; m_start returns N but leaves *pos at L's id, m_next does ++*pos, and
    each further read finds N again until *pos passes N's id."""
    def case(strategy: str) -> list[bytes]:
        ns = make_ns(4)
        m = open_seq(ns, strategy, "modern")
        assert m.read(20) == b"/...\nm01.\nm02.\nm03.\n"
        assert m.calls[-1] == "stop(mnt5)"  # m04, the last mount, not shown yet
        ns.umount(b"/m04")
        for _ in range(4):  # other mounts come and go: N's unique id is L's + 5
            ns.mount(b"/tmp")
            ns.umount(b"/tmp")
        ns.mount(b"/n1")
        return read_all(m, 20)

    assert case("idtree-6.8") == [b"n1..\n"] * 6  # *pos = L, L+1, ..., L+5 = N: six reads
    assert case("idtree") == [b"n1..\n"]
