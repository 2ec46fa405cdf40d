"""``mountcursor race``: one reader against churn, on the model, for every strategy × semantics.

The seed's scenario made concrete: a namespace of ``mounts`` tmpfs mounts; one
reader opens ``mountinfo`` and reads it to EOF with ``read_size``-byte reads
(1024 by default: what glibc stdio asks of a /proc file, whose st_blksize is
1024).  Every ``long_every``-th mount (50 by default) starts a run of ``LONG_RUN``
(three) mounts whose overlay-style option strings are longer than one read, like the
overlay mounts of containers started together on a container host (6% of the table),
so some reads end inside a line and some consist of one line's middle.  The first run
is the first three mounts, so every table of three mounts or more has one (see
:func:`is_long`).

After every read that returned bytes — one that ended between two lines, one that
ended inside a line, one inside a long line — a churn step runs, all chosen by a
seeded RNG so a row is reproducible.  While mounts of the initial table are still
ahead of the reader it unmounts mounts the reader has already passed, one ahead of it
now and then, and mounts new ones.  Near EOF, once the reader is past the initial
table and only mounts made during the read are ahead of it, it stops mounting and
tears down what is ahead of the reader except the last mount (not the one whose line
the reader is inside: that line is in the kernel's buffer already): the reader's next
position is then a mount that is gone and the one it finds instead is the last (where
``idtree-6.8`` repeats a mount).  So that there is something to tear down in a small
table too, whose mounts made during the read all fit in the read that finishes the
initial table, it first mounts new ones until two are ahead, once.

A row counts what the reader got: lines, the mounts present for the whole read
(mounted at open, never unmounted before EOF), how many of those are missing
from the output, lines shown more than once, torn or malformed lines, and
cursors left in the list after close.  A read loop that makes no progress
(more than three times the table's bytes) is cut off and reported as not
reaching EOF.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional

from ..format import FormatError, parse_mountinfo, parse_mountinfo_line
from ..kernel import Kernel, ProcFile, open_proc
from ..kernel.list import ListCorruption, list_check
from ..kernel.seqfile import SEMANTICS

KERNEL_STRATEGY = "kernel"
"""The strategy of ``--live``'s row (its semantics is the running kernel's release)."""

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
    long_every: int = 50  # every K-th mount starts a run of LONG_RUN lines longer than a read (0: none)
    page_size: int = 4096
    max_reads: Optional[int] = None


LONG_RUN = 3
"""Long lines come in runs of this many consecutive mounts (see :func:`is_long`)."""

MIN_MOUNTS = LONG_RUN + 1
"""The smallest race whose rows are BROKEN exactly where ``check`` fails the cell: a run
of long lines for the seed, and one short line more for ``index`` (three mounts make
too few reads for its skip)."""


def is_long(i: int, long_every: int) -> bool:
    """Does the ``i``-th mount of the race (from 0) carry a line longer than a read?

    The mounts ``k * long_every + j`` for ``j < LONG_RUN``.  Runs, not single long lines,
    because the seed's 3.10 failure needs a long line that ``m_start`` returns: the
    first record after a line split between two reads, and only a long line is sure to
    be split.  A lone long line among short ones is preceded by a split line about one
    time in ten, so with every 50th line long the seed's row read ``ok`` at 100 and 200
    mounts.  In a run the second line always follows a split one; the third is there
    for when churn unmounts the second before the reader reaches it.  The first run
    starts at mount 0, so every table of ``LONG_RUN`` mounts or more has one."""
    return long_every > 0 and i % long_every < LONG_RUN


def _long_options(i: int, read_size: int) -> bytes:
    """An overlay-style option string longer than one read."""
    parts: list[str] = []
    n = 0
    while n <= read_size + 64:
        layer = f"/var/lib/containers/storage/overlay/l/{i:06d}{len(parts):04d}ABCDEFGHIJKLMNOP"
        parts.append(layer)
        n += len(layer) + 1
    return (",lowerdir=" + ":".join(parts)).encode()


class _ModelBackend:
    """The race's namespace in the model."""

    def __init__(self, strategy: str, semantics: str, cfg: RaceConfig,
                 on_phase: Optional[Callable[[str], None]] = None) -> None:
        self.strategy, self.semantics, self.cfg = strategy, semantics, cfg
        self.ns = Kernel().create_namespace()
        self.names: list[bytes] = []
        tenth = max(cfg.mounts // 10, 10_000)
        for i in range(cfg.mounts):
            if on_phase is not None and i % tenth == 0 and i:
                on_phase(f"mounted {i} of {cfg.mounts}")
            name = b"/mnt/m%05d" % i
            opts = b",inode64"
            if is_long(i, cfg.long_every):
                opts += _long_options(i, cfg.read_size)
            self.ns.mount(name, b"tmpfs", b"tmpfs", options=opts)
            self.names.append(name)
        self.f: Optional[ProcFile] = None

    def table(self) -> bytes:
        with open_proc(self.ns, "mountinfo", strategy="idtree") as probe:
            return probe.read_all(1 << 16)

    def new_name(self, i: int) -> bytes:
        return b"/mnt/n%05d" % i

    def open(self) -> None:
        self.f = open_proc(self.ns, "mountinfo", strategy=self.strategy, semantics=self.semantics,
                           page_size=self.cfg.page_size)

    def read(self, n: int) -> bytes:
        assert self.f is not None
        return self.f.read(n)

    def mount(self, name: bytes) -> None:
        self.ns.mount(name, b"tmpfs", b"tmpfs", options=b",inode64")

    def umount(self, name: bytes) -> None:
        self.ns.umount(name)

    def close(self) -> int:
        """Close the file; the number of cursors left in the list (-1: the list is corrupt)."""
        assert self.f is not None
        self.f.close()
        try:
            list_check(self.ns.list)
            return len(self.ns.cursors())
        except ListCorruption:
            return -1


class _SandboxBackend:
    """The race's namespace in the running kernel: a sandbox's private mount namespace."""

    def __init__(self, sb: Any, n: int) -> None:
        self.sb = sb
        self.names = [sb.path(b"m%05d" % i) for i in range(n)]
        self.h: Optional[int] = None

    def table(self) -> bytes:
        return bytes(self.sb.read_proc("mountinfo"))

    def new_name(self, i: int) -> bytes:
        return bytes(self.sb.path(b"n%05d" % i))

    def open(self) -> None:
        self.h = self.sb.open_proc("mountinfo")

    def read(self, n: int) -> bytes:
        return bytes(self.sb.read(self.h, n))

    def mount(self, name: bytes) -> None:
        self.sb.mount_tmpfs(name)

    def umount(self, name: bytes) -> None:
        self.sb.umount(name)

    def close(self) -> int:
        self.sb.close_proc(self.h)
        return 0  # 6.8+ kernels have no cursors to leave behind


def run_race_live(cfg: RaceConfig) -> RaceRow:
    """The race against the running kernel, in a sandbox (a private mount namespace of a
    worker process: nothing reaches the host's table).  Raises ``SandboxError``/``OSError``
    when a sandbox cannot start here."""
    from .sandbox import Sandbox

    with Sandbox(n=cfg.mounts) as sb:
        return race_on(_SandboxBackend(sb, cfg.mounts), KERNEL_STRATEGY, os.uname().release, cfg)


def run_race(strategy: str, semantics: str, cfg: RaceConfig,
             on_phase: Optional[Callable[[str], None]] = None) -> RaceRow:
    """Run the race for one strategy on one seq_file semantics of the model.
    ``on_phase(text)`` hears of the steps of a long row (building, each tenth read)."""
    return race_on(_ModelBackend(strategy, semantics, cfg, on_phase), strategy, semantics, cfg, on_phase)


def race_on(be: Any, strategy: str, semantics: str, cfg: RaceConfig,
            on_phase: Optional[Callable[[str], None]] = None) -> RaceRow:
    """The race against a backend (the model, or the running kernel in a sandbox)."""
    rng = random.Random(cfg.seed)
    names = list(be.names)
    table = be.table()
    # a line is a mount: (mount point, mnt_id) tells stacked mounts apart (/dev/shm twice);
    # new mounts get fresh mount points, so a reused mnt_id cannot make two lines alike
    keys = {r.mount_point: (r.mount_point, r.mnt_id) for r in parse_mountinfo(table)}
    at_open = set(keys.values())
    mounted: set[bytes] = set(keys)
    removed: set[tuple[bytes, int]] = set()
    remaining = set(names)  # initial mounts still ahead of the reader
    ahead_pool = list(names)
    behind_pool: list[bytes] = []
    fresh: list[bytes] = []  # mounts made during the read, in the order made (= list and id order)
    new_i = 0
    # a reader that got three times the table (plus what churn adds) is repeating itself
    max_bytes = 3 * len(table) + 65536
    max_reads = cfg.max_reads or (max_bytes + 16)

    def umount(victim: bytes) -> None:
        be.umount(victim)
        mounted.discard(victim)
        if victim in keys:
            removed.add(keys[victim])
        remaining.discard(victim)

    def mount_new() -> bytes:
        nonlocal new_i
        name = be.new_name(new_i)
        new_i += 1
        be.mount(name)
        mounted.add(name)
        fresh.append(name)
        return bytes(name)

    def pick(pool: list[bytes], ok: Callable[[bytes], bool]) -> Optional[bytes]:
        while pool:
            i = rng.randrange(len(pool))
            pool[i], pool[-1] = pool[-1], pool[i]
            name = pool.pop()
            if ok(name):
                return name
        return None

    be.open()
    tenth = max(len(table) // 10, 1 << 20)
    mark = tenth
    out = bytearray()
    seen: set[bytes] = set()
    reads = 0
    eof = False
    gaps = 0
    scanned = 0
    near_eof = False
    while reads < max_reads and len(out) <= max_bytes:
        chunk = be.read(cfg.read_size)
        reads += 1
        if not chunk:
            eof = True
            break
        out += chunk
        if on_phase is not None and len(out) >= mark:
            on_phase(f"read {len(out) >> 10} KiB of about {len(table) >> 10} KiB")
            mark += tenth
        scanned, new = _note_lines(out, scanned, seen)
        behind_pool += [n for n in new if n in remaining]
        remaining.difference_update(new)
        gaps += 1
        for _ in range(cfg.churn):
            victim = pick(behind_pool, lambda n: n in mounted)
            if victim is not None:
                umount(victim)
        if remaining:  # inside the initial table
            if cfg.ahead_every and gaps % cfg.ahead_every == 0:
                victim = pick(ahead_pool, lambda n: n in remaining)
                if victim is not None:
                    umount(victim)
            for _ in range(cfg.new_per_gap):
                mount_new()
        elif cfg.ahead_every:  # near EOF: tear down what is ahead but the last mount
            ahead = [n for n in fresh if n in mounted and n not in seen]
            if not out.endswith(b"\n"):  # the first is the line the reader is inside: already shown
                ahead = ahead[1:]
            if not near_eof and len(ahead) < 2:  # the reader caught up: two more, once
                ahead += [mount_new() for _ in range(2 - len(ahead))]
            near_eof = True
            for victim in ahead[:-1]:
                umount(victim)
    cursors_left = be.close()

    lines = bytes(out).split(b"\n")
    tail = lines.pop()  # b"" when the output ends with a newline
    malformed = 1 if tail else 0
    counts: Counter[tuple[bytes, int]] = Counter()
    for i, line in enumerate(lines, 1):
        try:
            rec = parse_mountinfo_line(line, i)
        except FormatError:
            malformed += 1
            continue
        counts[rec.mount_point, rec.mnt_id] += 1
    present = at_open - removed
    missed = sorted(present - set(counts))
    dups = sorted(n for n, c in counts.items() if c > 1)
    duplicated = sum(c - 1 for c in counts.values() if c > 1)
    ok = eof and not missed and not duplicated and not malformed and cursors_left == 0
    return RaceRow(
        strategy=strategy, semantics=semantics, reads=reads, lines=len(lines),
        present_throughout=len(present), missed=len(missed), duplicated=duplicated,
        malformed=malformed, cursors_left=cursors_left, eof=eof, ok=ok,
        missed_examples=[n.decode(errors="replace") for n, _ in missed[:5]],
        duplicated_examples=[n.decode(errors="replace") for n, _ in dups[:5]],
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
