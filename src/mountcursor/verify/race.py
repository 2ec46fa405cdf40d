"""``mountcursor race``: one reader against churn, on the model, for every strategy × semantics.

The seed's scenario made concrete: a namespace of ``mounts`` tmpfs mounts; one
reader opens ``mountinfo`` and reads it to EOF with ``read_size``-byte reads
(1024 by default: what glibc stdio asks of a /proc file, whose st_blksize is
1024); between two reads that completed a line, while the reader is still inside
the initial table, a churn step unmounts mounts the reader has already passed, unmounts one ahead
of it now and then, and mounts new ones — all chosen by a seeded RNG, so a
row is reproducible.  With ``long_every=K`` every
K-th mount carries an overlay-style option string longer than one read.

A row counts what the reader got: lines, the mounts present for the whole read
(mounted at open, never unmounted before EOF), how many of those are missing
from the output, lines shown more than once, torn or malformed lines, and
cursors left in the list after close.  A read loop that makes no progress
(more than three times the table's bytes) is cut off and reported as not
reaching EOF.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Callable, Optional

from ..format import FormatError, parse_mountinfo_line
from ..kernel import Kernel, open_proc
from ..kernel.list import ListCorruption, list_check
from ..kernel.seqfile import SEMANTICS

DEFAULT_STRATEGIES = ("index", "cursor", "cursor-vz", "cursor-vz-id", "cursor-vz-fixed", "idtree-6.8", "idtree")


@dataclass
class RaceRow:
    """One strategy × semantics result (the field names are the ``--json`` keys)."""

    strategy: str
    semantics: str
    reads: int
    lines: int
    present_throughout: int
    missed: int
    duplicated: int
    malformed: int
    cursors_left: int
    eof: bool
    ok: bool
    missed_examples: list[str]
    duplicated_examples: list[str]

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class RaceConfig:
    mounts: int = 2000
    read_size: int = 1024
    seed: int = 1
    churn: int = 1  # mounts unmounted behind the reader per gap
    ahead_every: int = 2  # one unmount ahead of the reader every this many gaps (0: never)
    new_per_gap: int = 1  # new mounts per gap
    long_every: int = 0  # every K-th mount gets a line longer than a read (0: none)
    page_size: int = 4096
    max_reads: Optional[int] = None


def _long_options(i: int, read_size: int) -> bytes:
    """An overlay-style option string longer than one read."""
    parts = []
    n = 0
    while n <= read_size + 64:
        layer = f"/var/lib/containers/storage/overlay/l/{i:06d}{len(parts):04d}ABCDEFGHIJKLMNOP"
        parts.append(layer)
        n += len(layer) + 1
    return (",lowerdir=" + ":".join(parts)).encode()


def run_race(strategy: str, semantics: str, cfg: RaceConfig) -> RaceRow:
    """Run the race for one strategy on one seq_file semantics."""
    rng = random.Random(cfg.seed)
    k = Kernel()
    ns = k.create_namespace()
    names: list[bytes] = []
    for i in range(cfg.mounts):
        name = b"/mnt/m%05d" % i
        opts = b",inode64"
        if cfg.long_every and i % cfg.long_every == cfg.long_every - 1:
            opts += _long_options(i, cfg.read_size)
        ns.mount(name, b"tmpfs", b"tmpfs", options=opts)
        names.append(name)
    mounted: set[bytes] = set(names) | {b"/"}
    removed: set[bytes] = set()
    at_open = set(mounted)
    remaining = set(names)  # initial mounts still ahead of the reader: the race lasts while any is
    ahead_pool = list(names)
    behind_pool: list[bytes] = []
    new_i = 0
    with open_proc(ns, "mountinfo", strategy="idtree") as probe:
        table_len = len(probe.read_all(1 << 16))
    # a reader that got three times the table (plus what churn adds) is repeating itself
    max_bytes = 3 * table_len + 65536
    max_reads = cfg.max_reads or (max_bytes + 16)

    def umount(victim: bytes) -> None:
        ns.umount(victim)
        mounted.discard(victim)
        removed.add(victim)
        remaining.discard(victim)

    def pick(pool: list[bytes], ok: Callable[[bytes], bool]) -> Optional[bytes]:
        while pool:
            i = rng.randrange(len(pool))
            pool[i], pool[-1] = pool[-1], pool[i]
            name = pool.pop()
            if ok(name):
                return name
        return None

    f = open_proc(ns, "mountinfo", strategy=strategy, semantics=semantics, page_size=cfg.page_size)
    out = bytearray()
    seen: set[bytes] = set()
    reads = 0
    eof = False
    gaps = 0
    scanned = 0
    while reads < max_reads and len(out) <= max_bytes:
        chunk = f.read(cfg.read_size)
        reads += 1
        if not chunk:
            eof = True
            break
        out += chunk
        scanned, new = _note_lines(out, scanned, seen)
        behind_pool += [n for n in new if n in remaining or n in mounted and n != b"/"]
        remaining.difference_update(new)
        if not new or not remaining:
            continue  # churn between lines, and only while the reader is inside the initial table
        gaps += 1
        for _ in range(cfg.churn):
            victim = pick(behind_pool, lambda n: n in mounted)
            if victim is not None:
                umount(victim)
        if cfg.ahead_every and gaps % cfg.ahead_every == 0:
            victim = pick(ahead_pool, lambda n: n in remaining)
            if victim is not None:
                umount(victim)
        for _ in range(cfg.new_per_gap):
            name = b"/mnt/n%05d" % new_i
            new_i += 1
            ns.mount(name, b"tmpfs", b"tmpfs", options=b",inode64")
            mounted.add(name)
    f.close()

    lines = out.split(b"\n")
    tail = lines.pop()  # b"" when the output ends with a newline
    malformed = 1 if tail else 0
    counts: Counter[bytes] = Counter()
    for i, line in enumerate(lines, 1):
        try:
            rec = parse_mountinfo_line(line, i)
        except FormatError:
            malformed += 1
            continue
        counts[rec.mount_point] += 1
    present = at_open - removed
    missed = sorted(present - set(counts))
    dups = sorted(n for n, c in counts.items() if c > 1)
    duplicated = sum(c - 1 for c in counts.values() if c > 1)
    try:
        list_check(ns.list)
        cursors_left = len(ns.cursors())
    except ListCorruption:
        cursors_left = -1
    ok = eof and not missed and not duplicated and not malformed and cursors_left == 0
    return RaceRow(
        strategy=strategy, semantics=semantics, reads=reads, lines=len(lines),
        present_throughout=len(present), missed=len(missed), duplicated=duplicated,
        malformed=malformed, cursors_left=cursors_left, eof=eof, ok=ok,
        missed_examples=[n.decode(errors="replace") for n in missed[:5]],
        duplicated_examples=[n.decode(errors="replace") for n in dups[:5]],
    )


def _note_lines(out: bytearray, scanned: int, seen: set[bytes]) -> tuple[int, list[bytes]]:
    """Add the mount points of the whole lines after offset ``scanned`` to ``seen``; return
    the new offset and the mount points seen for the first time."""
    end = out.rfind(b"\n")
    if end < scanned:
        return scanned, []
    new = []
    for line in bytes(out[scanned:end]).split(b"\n"):
        try:
            mp = parse_mountinfo_line(line).mount_point
        except FormatError:
            continue
        if mp not in seen:
            seen.add(mp)
            new.append(mp)
    return end + 1, new


def run_matrix(strategies: tuple[str, ...] = DEFAULT_STRATEGIES, semantics: tuple[str, ...] = SEMANTICS,
               cfg: RaceConfig = RaceConfig(),
               progress: Optional[Callable[[str, str], None]] = None) -> list[RaceRow]:
    """Every strategy × semantics; ``progress(strategy, semantics)`` is called before each row."""
    rows = []
    for s in strategies:
        for sem in semantics:
            if progress is not None:
                progress(s, sem)
            rows.append(run_race(s, sem, cfg))
    return rows
