"""Named, parameterised scenarios for the verifier, and the default scope of ``mountcursor check``.

A scenario is plain data: the initial mounts (with the *length class* of their
mountinfo line), one or more readers (file kind and ``read()`` size), a churn
thread's operations, and optionally a walker thread.  :mod:`.world` turns it
into model threads.

Record length classes (what decides which strategies break, see docs/DESIGN.md):

``short``  a natural tmpfs line (~55 bytes): shorter than what is left of a read
``long``   padded with an overlay-style option string to 1.5 × the read size:
           longer than a whole read (only meaningful for reads >= 64 bytes)
``page``   padded to ~4300 bytes: longer than one seq_file page, so the kernel
           buffer overflows on it and ``seq_read`` retries with 8 KiB
"""

from __future__ import annotations

from dataclasses import dataclass, replace

PAGE_RECORD = 4300


@dataclass(frozen=True)
class MountSpec:
    """An initial mount: its path and the length class of its line."""

    path: bytes
    length: str = "short"


@dataclass(frozen=True)
class Op:
    """A churn or walker operation: ``umount``, ``umount-lazy``, ``mount``, ``move``, ``bind``,
    ``remount``, ``walk-local``, ``walk-visible``, ``walk-sync``."""

    kind: str
    path: bytes = b""
    to: bytes = b""

    def __str__(self) -> str:
        return f"{self.kind} {self.path.decode(errors='replace')}" + (
            f" -> {self.to.decode(errors='replace')}" if self.to else "")


@dataclass(frozen=True)
class Scenario:
    """One scenario instance.  ``readers`` is a tuple of (kind, read size).  With
    ``shared_file`` the readers are threads of one process that share one open file (one
    ``struct file``, one ``seq_file``): their reads go through ``f_pos_lock`` and
    ``m->lock``, and what they read together is checked as one reading of the file."""

    name: str
    mounts: tuple[MountSpec, ...]
    readers: tuple[tuple[str, int], ...] = (("mountinfo", 1024),)
    churn: tuple[Op, ...] = ()
    walker: tuple[Op, ...] = ()
    description: str = ""
    max_reads: int = 0  # 0: derived from the table size
    shared_file: bool = False

    def label(self) -> str:
        rs = ",".join(f"{k}:{n}" for k, n in self.readers)
        return f"{self.name}[{rs}{',one file' if self.shared_file else ''}]"

    def with_churn(self, churn: tuple[Op, ...]) -> "Scenario":
        return replace(self, churn=churn)


def _mounts(n: int, lengths: str = "s", prefix: str = "m") -> tuple[MountSpec, ...]:
    """``n`` mounts /m01.. whose length classes cycle through ``lengths`` (s/l/p)."""
    cls = {"s": "short", "l": "long", "p": "page"}
    return tuple(MountSpec(f"/{prefix}{i:02d}".encode(), cls[lengths[(i - 1) % len(lengths)]])
                 for i in range(1, n + 1))


def seed_example(read_size: int = 0) -> Scenario:
    """Miklos's example: 20 mounts, the first read gets #0..#9, then #5 is unmounted.
    ``read_size`` 0 means "exactly ten records" (computed from the rendered table)."""
    return Scenario("seed-example", _mounts(19), (("mountinfo", read_size),), (Op("umount", b"/m05"),),
                    description="first read #0..#9, #5 unmounted, read on")


def umount_one(target: int, n: int, lengths: str, read_size: int, remount: bool = False) -> Scenario:
    """Unmount mount ``target`` at any moment of the read (behind, at, or in front of the
    cursor: the exploration tries every moment); with ``remount`` a new mount follows,
    which the slab gives the same object (pointer reuse)."""
    churn: tuple[Op, ...] = (Op("umount", f"/m{target:02d}".encode()),)
    if remount:
        churn += (Op("mount", b"/n01"),)
    return Scenario("umount+remount" if remount else "umount-one", _mounts(n, lengths),
                    (("mountinfo", read_size),), churn,
                    description=f"m{target:02d} unmounted" + (", /n01 mounted" if remount else ""))


def churn_both(n: int, lengths: str, read_size: int, readers: int = 1) -> Scenario:
    """Unmount one mount early in the list and one late, mount a new one."""
    churn = (Op("umount", b"/m02"), Op("umount", f"/m{n:02d}".encode()), Op("mount", b"/n01"))
    return Scenario("two-readers" if readers > 1 else "churn", _mounts(n, lengths),
                    tuple(("mountinfo", read_size) for _ in range(readers)), churn,
                    description=f"{readers} reader(s); umount m02 and m{n:02d}, mount n01")


def one_file_two_threads(read_size: int, lengths: str = "ssp") -> Scenario:
    """Two threads read one open file to EOF while the second mount goes: with a record
    longer than the page, one thread's read() drops namespace_sem in the overflow retry
    while it holds ``f_pos_lock`` and ``m->lock``, and the other thread's read() waits."""
    return Scenario("one-file", _mounts(len(lengths), lengths), (("mountinfo", read_size), ("mountinfo", read_size)),
                    (Op("umount", b"/m02"),), shared_file=True,
                    description=f"two threads share one open file; lengths {lengths}; umount m02")


def walkers(read_size: int) -> Scenario:
    """A reader parks its cursor mid-list while the other walkers run, a mount goes and a
    bind mount (a second mount of m01's superblock) comes."""
    return Scenario("walkers", _mounts(6), (("mountinfo", read_size),),
                    (Op("umount", b"/m03"), Op("bind", b"/m01", b"/b01")),
                    walker=(Op("walk-local", b"/m02"), Op("walk-visible", b"tmpfs"), Op("walk-sync")),
                    description="is_local_mountpoint, mnt_already_visible, sync_collect_filesystems")


def lazy_subtree(read_size: int) -> Scenario:
    """Lazy umount of a mount with children in the middle of the read."""
    ms = _mounts(3) + (MountSpec(b"/m02/a"), MountSpec(b"/m02/a/b"), MountSpec(b"/m04"), MountSpec(b"/m05"))
    return Scenario("lazy-subtree", ms, (("mountinfo", read_size),), (Op("umount-lazy", b"/m02"),),
                    description="umount -l of m02 with two mounts under it")


def move(read_size: int) -> Scenario:
    """A mount is moved while the reader passes it (list order and ids stay)."""
    return Scenario("move", _mounts(5), (("mountinfo", read_size),), (Op("move", b"/m02", b"/m04/x"),),
                    description="mount --move m02 under m04")


#: read sizes of the default scope, and the table shapes tried with each
READ_SIZES = (1, 1024, 4096, 8192)


def default_scope() -> list[Scenario]:
    """The scope ``mountcursor check`` explores by default.

    It varies record length against read size, with and without churn:
    records shorter than what is left of a read, longer than a whole read,
    longer than a page; reads of 1 byte, 1024 (stdio), 4096 and 8192 bytes.
    """
    out: list[Scenario] = [seed_example()]
    # 1-byte reads: every record is longer than what is left of the read
    out.append(Scenario("no-churn", _mounts(2), (("mountinfo", 1),), description="1-byte reads"))
    out.append(umount_one(1, 1, "s", 1))
    out.append(umount_one(1, 1, "s", 1, remount=True))
    # 1024 (stdio) and bigger reads: short, long and page records mixed
    for size, shapes in ((1024, ("ls", "sl", "lp")), (4096, ("l", "sp", "ps")), (8192, ("lps",))):
        for shape in shapes:
            n = 3
            out.append(Scenario("no-churn", _mounts(n, shape), (("mountinfo", size),),
                                description=f"lengths {shape}"))
            out += [umount_one(t, n, shape, size) for t in (1, 2, 3)]
            out.append(umount_one(2, n, shape, size, remount=True))
    # stdio reads of a table whose 20th line is a 4300-byte overlay line, and reads of
    # 100 bytes over short, short, page: a page-sized record right after a split one
    out.append(Scenario("overlay-line", _mounts(20, "s" * 19 + "p"), (("mountinfo", 1024),),
                        description="19 short lines, then a 4300-byte overlay line"))
    out.append(umount_one(18, 20, "s" * 19 + "p", 1024))
    out.append(Scenario("no-churn", _mounts(3, "ssp"), (("mountinfo", 100),), description="lengths ssp"))
    out.append(umount_one(2, 3, "ssp", 100))
    # stdio reads where the second read() starts on a page-sized line: its overflow retry
    # drops namespace_sem between ->stop and ->start, and the umount can fall right there
    out.append(umount_one(1, 3, "ssp", 1024))
    out.append(churn_both(30, "s", 1024, readers=2))
    out.append(one_file_two_threads(1024))
    out.append(walkers(100))
    out.append(lazy_subtree(100))
    out.append(move(100))
    return out


def ns_lock_scope() -> list[Scenario]:
    """Two readers and nothing else, for ``--granularity fine --no-ns-lock``."""
    return [Scenario("two-readers", _mounts(3), (("mountinfo", 60), ("mountinfo", 60)),
                     description="two readers moving their cursors, no churn")]


__all__ = ["MountSpec", "Op", "Scenario", "default_scope", "ns_lock_scope", "one_file_two_threads",
           "seed_example"]
