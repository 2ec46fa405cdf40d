"""Hand-checked explanations of the failures the explorer finds.

Nothing here decides a verdict: the explorer finds the failures, and
``explain()`` only attaches the step-by-step reading against the kernel code
that a person did to confirm each kind of failure (strategy, semantics,
property).  An unconfirmed combination gets no text.
"""

from __future__ import annotations

from ..kernel.seqfile import SEMANTICS, semantics_of

_INDEX_MISSED = """\
Confirmed by hand (5.7 fs/namespace.c m_start, every seq_read): the position is a
record index.  The reader's index after a read is k (the next record); an unmount of a
mount before position k, between two reads, bumps ns->event, so m_start falls back to
seq_list_start(&ns->list, k), which now returns the entry that used to be k+1: the old
entry k is never shown.  Miklos's example exactly: #0..#9 read, #5 gone, #10 missed."""

_CURSOR_LEGACY = """\
Confirmed by hand (mainline 9f6c61f96f2d ops on the 3.10 seq_read): the 3.10 Fill
loop runs `while (m->count < size)`, so the last record of a read is one ->next
produced and ->show printed; seq_read then calls `m->op->stop(m, p)` with that record,
*already shown* (whole, or split with a leftover), and advances the index itself
(`pos++` or `m->index++` after the leftover) without ->next.  Mainline m_stop parks the
cursor *before* p (`list_move_tail(&cursor, &p->mnt_list)`), so the next m_start
(`mnt_list_next(ns, &cursor)`) returns p again: shown twice.  When every read ends
inside the record just started (a record longer than the rest of the read) the cursor
never passes it: the same line forever (the reason the first backport was reverted)."""

_VZ_LEGACY = """\
Confirmed by hand (the seed's m_start/m_next on the 3.10 seq_read).  The seed's test
`*pos == p->last_pos + 1 && !(p->last_mntpos && p->last_mntpos != mnt)` detects that
seq_read advanced past the mount the cursor sits in front of.  But `last_pos` is written
only in m_next, while `last_mntpos` is written in m_start too.  A record that m_start
returns (the first of a read: after a split record's leftover is flushed, or after the
skip) gets no `last_pos`; when that record is the last of the read too — it is longer
than what is left of the read, or than the page — stop() parks the cursor before it,
seq_read does `m->index++` after the leftover, and the next m_start sees
`*pos == last_pos + 2`: no skip, the finished mount is returned again.  Example (the
trace above, reads of 8192 bytes, m02 4300 bytes): read 3 flushes m01's tail, index 3,
m_start(3) skips m01 (3 == last_pos 2 + 1) and returns m02 with last_pos still 2;
m02 does not fit in the rest of the read, stop(m02), leftover 204 bytes; read 4 flushes
them, index 4, m_start(4): 4 != 2 + 1, so m02 again.  With every record longer than a
read the index runs ahead of last_pos for good and one line repeats forever (livelock).
The overflow retry (a first record bigger than the page) has the mirror bug: m_start
runs twice for one record, the second call still sees `*pos == last_pos + 1` and the
same mount after the cursor, and skips it.  Fix (cursor-vz-fixed): record
`p->last_pos = *pos` in m_start next to `p->last_mntpos = mnt`."""

_IDTREE_68 = """\
Confirmed by hand (2eea9ce4310d m_start/m_next, any seq_read): m_start returns
mnt_find_id_at(ns, *pos) — the first mount with id >= *pos — but leaves *pos alone.
When the mount whose id is *pos is gone, the mount returned has a larger id Q while *pos
is still P.  If that mount is the last one, m_next does `++*pos` (P+1 <= Q) and returns
NULL; the next read's m_start(P+1) finds the same mount again, and so on until *pos
passes Q.  4a403d7aa907 sets *pos to the returned mount's id in m_start and to
`id + 1` at the end."""

_NO_NS_LOCK = """\
Confirmed by hand: readers hold namespace_sem only for read, so two readers run m_stop
at the same time.  Each does list_move_tail(&its cursor, &mnt->mnt_list): __list_del
(next->prev = prev; prev->next = next) then __list_add (4 writes).  With the cursors
next to each other, one reader reads a neighbour pointer the other is about to change;
its later writes use the stale value, leaving a node whose next->prev is not itself.
ns_lock around the move (the cursor patch) serialises the two."""

_TEXT: dict[tuple[str, str, str], str] = {
    ("index", "3.10", "missed"): _INDEX_MISSED,
    ("index", "4.19-5.9", "missed"): _INDEX_MISSED,
    ("index", "5.10+", "missed"): _INDEX_MISSED,
    ("cursor", "3.10", "twice"): _CURSOR_LEGACY,
    ("cursor", "3.10", "livelock"): _CURSOR_LEGACY,
    ("cursor-vz", "3.10", "twice"): _VZ_LEGACY,
    ("cursor-vz", "3.10", "livelock"): _VZ_LEGACY,
    ("cursor-vz", "3.10", "missed"): _VZ_LEGACY,
    ("cursor-vz-id", "3.10", "missed"): _VZ_LEGACY,
    ("cursor-vz-id", "3.10", "twice"): _VZ_LEGACY,
    ("cursor-vz-id", "3.10", "livelock"): _VZ_LEGACY,
    ("idtree-6.8", "3.10", "twice"): _IDTREE_68,
    ("idtree-6.8", "4.19-5.9", "twice"): _IDTREE_68,
    ("idtree-6.8", "5.10+", "twice"): _IDTREE_68,
}
for _s in ("cursor", "cursor-vz", "cursor-vz-id", "cursor-vz-fixed"):
    for _sem in SEMANTICS:
        _TEXT.setdefault((_s, _sem, "list-corrupt"), _NO_NS_LOCK)


def explain(strategy: str, semantics: str, props: list[str]) -> str:
    """The confirmation notes for a failure of ``props`` by ``strategy`` on ``semantics``."""
    semantics = semantics_of(semantics)
    parts = [_TEXT[(strategy, semantics, p)] for p in props if (strategy, semantics, p) in _TEXT]
    return "\n\n".join(dict.fromkeys(parts))
