"""Which way of reading a live table is faster for the table at hand: the rule
``snapshot(method="auto")`` and ``mountcursor list --method auto`` follow.  Imports
nothing (the lean ``list`` path uses it).

The two ways cost, per mount (figures of ``python -m benchmarks --only backend``, see
docs/benchmarks/README.md):

* mountinfo: what the kernel takes to format a line, plus splitting it here.  A line
  costs the kernel about :data:`FLAT_LINE_US` -- except that for a slave mount
  ``show_mountinfo()`` calls ``get_dominating_id()`` (``fs/pnode.c``), which walks the
  whole peer group of the mount's master looking for one in the reader's namespace: in
  a slave copy of a host whose mounts are in big peer groups every line walks all those
  peers (O(mounts x peers), systemd PR #43318);
* listmount + statmount: a system call and an entry per mount, :data:`LISTMOUNT_US`,
  whatever the table; ``STATMOUNT_PROPAGATE_FROM`` walks the same peers, but the answer
  depends only on the master's peer group (all peers of a group share their master), so
  the reader asks it once per master group (:mod:`mountcursor.live.reader`).

Signals, all cheap and taken from the read itself: the first reads of mountinfo, timed
(:func:`mountcursor.live.procread.read_sample`: the least microseconds per line over the
reads, as time the machine gave to others only ever adds), and from those lines how many
are slaves and of how many master groups (:func:`propagation`).  Without a slave among
them mountinfo is read (nothing for the kernel to walk: no table without propagation
read faster with listmount in the benchmark).  Else :func:`choose` compares the two
costs; listmount must win by :data:`MARGIN` (noise on a shared machine should not flip a
table read in 3 ms to one read in 15).  A kernel seen repeating mounts in mountinfo (the 6.8 repeat,
:mod:`mountcursor.live.kernel_bugs`) is read with listmount whatever the costs.
"""

from __future__ import annotations

__all__ = ["FLAT_LINE_US", "PARSE_LINE_US", "LISTMOUNT_US", "MARGIN", "SAMPLE_LINES", "propagation", "choose",
           "line_bound"]

#: the kernel's time for a mountinfo line with no peers to walk (µs; the benchmark's flat tmpfs table)
FLAT_LINE_US = 1.2
#: splitting a mountinfo line into the table (µs)
PARSE_LINE_US = 2.4
#: listmount + statmount + an entry, per mount (µs)
LISTMOUNT_US = 14.0
#: listmount is chosen only when its predicted cost times this is still below mountinfo's
MARGIN = 1.25
#: lines the first timed reads cover before deciding (a few dozen reads of a page)
SAMPLE_LINES = 512


def propagation(lines: bytes) -> tuple[int, int]:
    """``(slave lines, distinct master groups)`` among whole mountinfo ``lines``: the
    ``master:N`` optional fields (between the mount point's options and ``-``)."""
    slaves = 0
    masters: set[bytes] = set()
    at = lines.find(b" master:")
    while at >= 0:
        end = lines.find(b" ", at + 8)
        nl = lines.rfind(b"\n", 0, at)
        dash = lines.find(b" - ", nl + 1)
        if dash > at:  # in the optional fields, not in a path or an option
            slaves += 1
            masters.add(lines[at + 8:end])
        at = lines.find(b" master:", end if end > 0 else at + 8)
    return slaves, len(masters)


def choose(us_per_line: float, slave_lines: int, master_groups: int, *, listmount: bool,
           kernel_repeats: bool = False) -> tuple[str, str]:
    """``("mountinfo" | "listmount", why)`` from the signals (see the module's docstring).

    ``us_per_line``: the kernel's time per mountinfo line over the first reads;
    ``slave_lines``/``master_groups``: :func:`propagation` of those lines; ``listmount``:
    whether listmount(2)/statmount(2) work here; ``kernel_repeats``: a mountinfo read
    on this kernel has repeated a mount."""
    if not listmount:
        return "mountinfo", "listmount(2) is not available"
    if kernel_repeats:
        return "listmount", "this kernel repeats mounts in mountinfo (the 6.8 repeat)"
    mountinfo_us = us_per_line + PARSE_LINE_US
    walk_us = max(0.0, us_per_line - FLAT_LINE_US)  # what the peer walks add to a line
    share = master_groups / slave_lines if slave_lines else 0.0  # one walk per master group
    listmount_us = LISTMOUNT_US + walk_us * share
    costs = f"mountinfo {mountinfo_us:.1f} µs a mount, listmount {listmount_us:.1f}"
    if not slave_lines:  # nothing for the kernel to walk: a slow read was the machine, not the table
        return "mountinfo", costs + ", no slave mounts in the sample"
    if listmount_us * MARGIN < mountinfo_us:
        return "listmount", f"{costs} ({slave_lines} slaves of {master_groups} master groups in the sample)"
    return "mountinfo", costs


def line_bound(mounts: int | None, mount_max: int | None) -> int | None:
    """How many lines a mountinfo pass may grow to before it is taken for a kernel that
    repeats: twice the mounts listmount counted (or the namespace's limit,
    ``fs.mount-max``) and 1,024 more for mounts made during the read; ``None``: no bound."""
    known = mounts if mounts is not None else mount_max
    return None if known is None else 2 * known + 1024
