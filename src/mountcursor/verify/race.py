"""``mountcursor race``: one reader against churn, on the model, for every strategy × semantics.

The seed's scenario made concrete: a namespace of ``mounts`` tmpfs mounts; one
reader opens ``mountinfo`` and reads it to EOF with ``read_size``-byte reads
(1024 by default: what glibc stdio asks of a /proc file, whose st_blksize is
1024); between two reads, while the reader is still inside the initial table, a
churn step unmounts mounts the reader has already passed, unmounts one ahead
of it now and then, and mounts new ones — all chosen by a seeded RNG, so a
row is reproducible.  With ``long_every=K`` every
K-th mount carries an overlay-style option string longer than one read.

A row counts what the reader got: lines, the mounts present for the whole read
(mounted at open, never unmounted before EOF), how many of those are missing
from the output, lines shown more than once, torn or malformed lines, and
cursors left in the list after close.  A read loop that makes no progress
(more than ``max_reads`` reads) is cut off and reported as not reaching EOF.
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
    initial_ahead = list(names)
    new_i = 0

    f = open_proc(ns, "mountinfo", strategy=strategy, semantics=semantics, page_size=cfg.page_size)
    out = bytearray()
    seen: set[bytes] = set()
    reads = 0
    eof = False
    expected_lines = cfg.mounts + 1
    max_reads = cfg.max_reads or (4 * (expected_lines * 200 // max(1, cfg.read_size) + expected_lines) + 100)
    gaps = 0
    scanned = 0
    while reads < max_reads:
        chunk = f.read(cfg.read_size)
        reads += 1
        if not chunk:
            eof = True
            break
        out += chunk
        scanned = _note_lines(out, scanned, seen)
        if not any(n in mounted and n not in seen for n in initial_ahead):
            continue  # the reader is past the initial table: the race is over, let it finish
        initial_ahead = [n for n in initial_ahead if n in mounted and n not in seen]
        gaps += 1
        # churn between reads
        behind = [n for n in seen if n in mounted and n != b"/"]
        for _ in range(min(cfg.churn, len(behind))):
            victim = behind.pop(rng.randrange(len(behind)))
            ns.umount(victim)
            mounted.discard(victim)
            removed.add(victim)
        if cfg.ahead_every and gaps % cfg.ahead_every == 0:
            ahead = sorted(n for n in mounted if n not in seen and n != b"/")
            if ahead:
                victim = ahead[rng.randrange(len(ahead))]
                ns.umount(victim)
                mounted.discard(victim)
                removed.add(victim)
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


def _note_lines(out: bytearray, scanned: int, seen: set[bytes]) -> int:
    """Add the mount points of the whole lines after offset ``scanned``; return the new offset."""
    end = out.rfind(b"\n")
    if end < scanned:
        return scanned
    for line in bytes(out[scanned:end]).split(b"\n"):
        try:
            seen.add(parse_mountinfo_line(line).mount_point)
        except FormatError:
            pass
    return end + 1


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
