"""``mountcursor probe``: which kernel generation is this, and is it exposed to a known bug?

The model knows how every generation reads its mount table (strategy x seq_file
semantics).  The probe uses it the other way round: a few short scripts of mounts,
unmounts and reads of chosen sizes on which the generations disagree are played on a
*target* -- the running kernel in a sandbox (a private mount namespace of a worker
process: the host's table is never touched), or, in the tests, the model configured as
one generation -- and on the model in every configuration.  The configurations whose
outcomes equal the target's on every script are its matches; the named
:data:`GENERATIONS` among them say which kernels behave like it.

A script's outcome is what a reader saw of the mounts under the sandbox's directory:
their names in the order the reads returned them (a name twice is a repeat, a name
missing a skip) and whether the last read loop reached EOF.  Read sizes are given
relative to the target's own table at the start of the script (``read_until`` a mount:
exactly the bytes before its line), so the kernel and the model, whose tables differ in
ids and in the mounts outside the directory, stop at the same lines.  Every read loop
is bounded (four times the table's size, :data:`MAX_SLACK`): a reader that never reaches EOF (the backport's endless
repeat) is stopped and reported, not waited for.  Mounts that were under the directory
before the target's own mount hid them (the host's, seen in the sandbox's copy of its
namespace) are not the target's and are left out (:func:`foreign_ids`).

The scripts that reproduce the known bugs (:data:`BUGS`) are part of the probe, so a user
of an affected kernel sees the bug on their own host.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol

from ..format import FormatError, parse_mountinfo_line
from ..kernel import Kernel, open_proc
from ..kernel.iterators import STRATEGIES
from ..kernel.seqfile import SEMANTICS
from ..live.kernel_bugs import FIXED_KERNELS, REPEAT_6_8_KERNELS, REPEAT_6_8_WHAT
from .race import _SandboxBackend

Op = tuple[Any, ...]
MAX_SLACK = 65536  # a "rest" loop stops after (4 x the table + this) bytes' worth of reads
N_MOUNTS = 6  # m00000 .. m00005 under the sandbox's directory

#: a mount point whose mountinfo line is longer than one 1024-byte read: spaces print as
#: ``\040``, so 3 components of 100 spaces make a ~1,300-byte line
LONG = b"/".join([b" " * 100] * 3)
#: and one longer than the kernel's 4096-byte page (5 components of 250 spaces)
PAGE = b"/".join([b" " * 250] * 5)

#: (name, ops): the scripts, each played on a fresh table of N_MOUNTS mounts
SCRIPTS: tuple[tuple[str, tuple[Op, ...]], ...] = (
    # index: the position is a record index; an unmount behind it moves every mount down one
    ("index-skip", (("read_until", b"m00003"), ("umount", b"m00001"), ("rest", 65536))),
    # cursor: off the list at EOF, a new mount is not shown; index and idtree show it
    ("after-eof", (("rest", 65536), ("mount", b"p0"), ("rest", 65536))),
    # idtree-6.8: m_start(P) finds the last mount Q > P without syncing *pos: Q again
    ("6.8-repeat", (("read_until", b"m00004"), ("umount", b"m00004"), ("rest", 65536))),
    # 4.19-5.9 stops at `if (!size) goto Done` after an exact drain; 5.10+ buffers the next line
    ("exact-drain", (("split", b"m00002", 1), ("drain", b"m00002"), ("umount", b"m00003"), ("rest", 65536))),
    # a zero-size read: 4.19-5.9 and 3.10 buffer the next line, 5.10+ returns at once
    ("zero-read", (("read_until", b"m00002"), ("read", 0), ("umount", b"m00002"), ("rest", 65536))),
    # the backport on 3.10: lines longer than stdio's 1024-byte reads repeat (forever)
    ("long-lines", (("mount", b"l0/" + LONG), ("mount", b"l1/" + LONG), ("rest", 1024))),
    # the backport on 3.10: a line longer than the page after a split one is skipped
    ("page-after-split", (("mount", b"q0/" + b"x" * 120), ("mount", b"q1/" + PAGE), ("mount", b"q2"), ("rest", 100))),
)


@dataclass(frozen=True)
class Generation:
    strategy: str
    semantics: str
    kernels: str


GENERATIONS: tuple[Generation, ...] = (
    Generation("index", "3.10", "3.10 without the cursor (RHEL7 before the backport)"),
    Generation("cursor-vz", "3.10", "3.10 with the backport ([RH7,v2] proc/mounts: add cursor)"),
    Generation("cursor-vz-fixed", "3.10", "3.10 with the backport and its one-line fix"),
    Generation("index", "4.19-5.9", "4.19 to 5.7"),
    Generation("cursor", "4.19-5.9", "5.8 and 5.9 (9f6c61f96f2d)"),
    Generation("cursor", "5.10+", "5.10 to 6.7"),
    Generation("idtree-6.8", "5.10+", REPEAT_6_8_KERNELS),
    Generation("idtree", "5.10+", FIXED_KERNELS),
)


@dataclass(frozen=True)
class Bug:
    name: str
    script: str
    what: str


BUGS: tuple[Bug, ...] = (
    Bug("index skip", "index-skip", "a mount after one unmounted behind the reader is missed (before 5.8)"),
    Bug("6.8 repeat", "6.8-repeat", REPEAT_6_8_WHAT),
    Bug("backport repeat", "long-lines", "a line longer than a read is shown again, or forever (the RH7 backport)"),
    Bug("backport skip", "page-after-split", "a line longer than the page after a split one is missed "
                                             "(the RH7 backport)"),
)


class Target(Protocol):
    """A mount namespace with one directory of mounts, and one open mountinfo."""

    def table(self) -> bytes: ...
    def open(self) -> None: ...
    def read(self, n: int) -> bytes: ...
    def mount(self, name: bytes) -> None: ...
    def umount(self, name: bytes) -> None: ...
    def close(self) -> None: ...
    def root(self) -> bytes: ...


class ModelTarget:
    """The model as one generation: ``/`` then ``/tmp`` and ``/tmp/m00000`` ...;
    ``hidden`` names mounts made under a first ``/tmp`` that the target's own ``/tmp``
    then hides (as a sandbox's tmpfs hides what the host mounted under ``/tmp``)."""

    def __init__(self, strategy: str, semantics: str, n: int = N_MOUNTS, hidden: tuple[bytes, ...] = ()) -> None:
        self.strategy, self.semantics = strategy, semantics
        self.ns = Kernel().create_namespace()
        if hidden:
            self.ns.mount(b"/tmp")
            for name in hidden:
                self.ns.mount(b"/tmp/" + name)
        self.ns.mount(b"/tmp")
        for i in range(n):
            self.ns.mount(b"/tmp/m%05d" % i)
        self.f: Any = None

    def root(self) -> bytes:
        return b"/tmp"

    def table(self) -> bytes:
        with open_proc(self.ns, "mountinfo", semantics=self.semantics) as f:  # the generation's era
            return f.read_all(1 << 16)

    def open(self) -> None:
        self.f = open_proc(self.ns, "mountinfo", strategy=self.strategy, semantics=self.semantics)

    def read(self, n: int) -> bytes:
        return self.f.read(n)  # type: ignore[no-any-return]

    def mount(self, name: bytes) -> None:
        self.ns.mount(b"/tmp/" + name)

    def umount(self, name: bytes) -> None:
        self.ns.umount(b"/tmp/" + name)

    def close(self) -> None:
        self.f.close()


class SandboxTarget(_SandboxBackend):
    """The running kernel: a sandbox's private mount namespace (the race's backend; its
    mounts are under the sandbox's directory)."""

    def __init__(self, sb: Any) -> None:
        super().__init__(sb, N_MOUNTS)

    def root(self) -> bytes:
        return os.path.dirname(bytes(self.sb.path(b"m00000")))


@dataclass
class Outcome:
    """What one script showed: the names under the directory in the order read, EOF, and
    the raw reads (the evidence)."""

    names: tuple[bytes, ...]
    eof: bool
    reads: list[tuple[int, bytes]] = field(default_factory=list)

    def key(self) -> tuple[tuple[bytes, ...], bool]:
        return self.names, self.eof


def _line_starts(table: bytes, root: bytes, foreign: frozenset[int]) -> dict[bytes, tuple[int, int]]:
    """name -> (offset, length) of its line in ``table``."""
    out: dict[bytes, tuple[int, int]] = {}
    off = 0
    for line in table.splitlines(keepends=True):
        name = _name(line, root, foreign)
        if name is not None:
            out[name] = (off, len(line))
        off += len(line)
    return out


def foreign_ids(table: bytes, root: bytes) -> frozenset[int]:
    """The mounts under ``root`` that are not the target's own: those that were there
    before the target's mount on ``root`` hid them (a host with something mounted under
    ``/tmp``: the sandbox's namespace is a copy of the host's, and its tmpfs on ``/tmp``
    is stacked over them).  The target's own are the topmost mount on ``root`` and the
    mounts below it by parent id; these ids are never freed during a script (nothing
    unmounts them), so no later mount of the script takes one."""
    recs = []
    for line in table.splitlines(keepends=True):
        try:
            recs.append(parse_mountinfo_line(line))
        except FormatError:
            continue
    on_root = [r for r in recs if r.mount_point == root]
    over = {r.parent_id for r in on_root}
    tops = [r.mnt_id for r in on_root if r.mnt_id not in over]
    own = set(tops[-1:])
    grew = True
    while grew:
        before = len(own)
        own |= {r.mnt_id for r in recs if r.parent_id in own}
        grew = len(own) != before
    return frozenset(r.mnt_id for r in recs if r.mount_point.startswith(root + b"/") and r.mnt_id not in own)


def _name(line: bytes, root: bytes, foreign: frozenset[int] = frozenset()) -> Optional[bytes]:
    try:
        rec = parse_mountinfo_line(line)
    except FormatError:
        return None
    mp = rec.mount_point
    return mp[len(root) + 1:] if mp.startswith(root + b"/") and rec.mnt_id not in foreign else None


def play(t: Target, ops: tuple[Op, ...]) -> Outcome:
    """Play ``ops`` on ``t`` with one open mountinfo; every read loop bounded."""
    root = t.root()
    table = t.table()
    foreign = foreign_ids(table, root)
    where = _line_starts(table, root, foreign)
    t.open()
    out = bytearray()
    reads: list[tuple[int, bytes]] = []
    eof = False

    def read(n: int) -> bytes:
        b = t.read(n)
        reads.append((n, b))
        out.extend(b)
        return b

    try:
        for op in ops:
            kind = op[0]
            if kind == "read":
                read(op[1])
            elif kind == "read_until":
                read(where[op[1]][0] - len(out))
            elif kind == "split":
                read(where[op[1]][0] + op[2] - len(out))
            elif kind == "drain":
                off, n = where[op[1]]
                read(off + n - len(out))
            elif kind == "rest":
                eof = False
                for _ in range((4 * len(table) + MAX_SLACK) // max(op[1], 1) + 16):
                    if not read(op[1]):
                        eof = True
                        break
            elif kind == "mount":
                t.mount(op[1])
            elif kind == "umount":
                t.umount(op[1])
            else:
                raise ValueError(f"unknown probe operation {op!r}")
    finally:
        t.close()
    names = tuple(n for ln in bytes(out).splitlines(keepends=True) if ln.endswith(b"\n")
                  for n in [_name(ln, root, foreign)] if n is not None)
    return Outcome(names, eof, reads)


def model_outcomes() -> dict[tuple[str, str], dict[str, Outcome]]:
    """Every strategy x semantics of the model on every script."""
    return {(s, sem): {name: play(ModelTarget(s, sem), ops) for name, ops in SCRIPTS}
            for s in STRATEGIES for sem in SEMANTICS}


def bug_shown(bug: Bug, o: Outcome) -> bool:
    """Whether the outcome of the bug's script shows it: the mount it loses missing, the
    one it repeats twice, or for the backport's scripts no EOF, a repeat or a loss."""
    if bug.script == "index-skip":
        return b"m00003" not in o.names
    if bug.script == "6.8-repeat":
        return o.names.count(b"m00005") > 1
    made = [op[1] for op in dict(SCRIPTS)[bug.script] if op[0] == "mount"]
    return not o.eof or len(set(o.names)) != len(o.names) or any(n not in o.names for n in made)


@dataclass
class Report:
    matches: list[tuple[str, str]]
    generations: list[Generation]
    bugs: list[Bug]
    outcomes: dict[str, Outcome]

    def as_json(self) -> dict[str, Any]:
        return {
            "matches": [{"strategy": s, "semantics": sem} for s, sem in self.matches],
            "generations": [{"strategy": g.strategy, "semantics": g.semantics, "kernels": g.kernels}
                            for g in self.generations],
            "bugs": [{"name": b.name, "script": b.script, "what": b.what} for b in self.bugs],
            "evidence": [{"script": name, "ops": [[os.fsdecode(x) if isinstance(x, bytes) else x for x in op]
                                                  for op in ops],
                          "reads": [[n, os.fsdecode(b)] for n, b in self.outcomes[name].reads],
                          "names": [os.fsdecode(n) for n in self.outcomes[name].names],
                          "eof": self.outcomes[name].eof}
                         for name, ops in SCRIPTS],
        }


def probe(target: Callable[[], Any], models: Optional[dict[tuple[str, str], dict[str, Outcome]]] = None) -> Report:
    """Play every script on a fresh ``target()`` (a context manager giving a :class:`Target`)
    and compare with the model in every configuration."""
    seen: dict[str, Outcome] = {}
    for name, ops in SCRIPTS:
        with target() as t:
            seen[name] = play(t, ops)
    models = models if models is not None else model_outcomes()
    matches = [cfg for cfg, outs in models.items() if all(outs[n].key() == seen[n].key() for n, _ in SCRIPTS)]
    gens = [g for g in GENERATIONS if (g.strategy, g.semantics) in matches]
    bugs = [b for b in BUGS if bug_shown(b, seen[b.script])]
    return Report(matches, gens, bugs, seen)


class _Own:
    """A :class:`ModelTarget` as a context manager (for :func:`probe`)."""

    def __init__(self, strategy: str, semantics: str, hidden: tuple[bytes, ...] = ()) -> None:
        self.t = ModelTarget(strategy, semantics, hidden=hidden)

    def __enter__(self) -> ModelTarget:
        return self.t

    def __exit__(self, *exc: object) -> None:
        return None


def model_target(strategy: str, semantics: str, hidden: tuple[bytes, ...] = ()) -> Callable[[], Any]:
    """A :func:`probe` target: the model configured as one generation (``hidden``: see
    :class:`ModelTarget`)."""
    return lambda: _Own(strategy, semantics, hidden)


class _Sandboxed:
    def __enter__(self) -> SandboxTarget:
        from .sandbox import Sandbox

        self.sb = Sandbox(n=N_MOUNTS)
        return SandboxTarget(self.sb.__enter__())

    def __exit__(self, *exc: object) -> None:
        self.sb.__exit__(*exc)


def kernel_target() -> Callable[[], Any]:
    """A :func:`probe` target: the running kernel, a fresh sandbox for each script."""
    return _Sandboxed
