"""The running kernel as oracle: one script of operations played on a sandbox and on the model.

The sandbox (:class:`mountcursor.live.sandbox.Sandbox`) is a worker process in a
private mount namespace of its own.  The model namespace is built from the
sandbox's real table (:func:`mountcursor.kernel.mirror.namespace_from_table`),
so both print the same lines; every later mount in the model takes the ids and
device the kernel gave.  A script mixes ``read(n)`` of one open ``mountinfo``
file descriptor (sizes from 1 byte to beyond the kernel buffer), mounts (some
with hostile names), umounts (plain and lazy), ``lseek`` (to 0 and into a line),
``poll``, and close/reopen; reads after EOF with new mounts added are part of
it.  Every read's bytes, every poll result, every lseek result and every error
must agree.  The model runs strategy ``idtree`` on the ``5.10+`` seq_file with the
current format: what this machine's kernel runs.

A mismatching script is shrunk (operations dropped one at a time while it still
mismatches) and can be saved for replay.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..format import parse_mountinfo
from ..kernel import MNT_DETACH, open_proc
from ..kernel.mirror import mount_like, namespace_from_table
from ..kernel.procfs import POLLERR, POLLHUP, POLLPRI
from ..live.sandbox import Sandbox
from . import schema
from .trace import read_json

READ_SIZES = (1, 7, 50, 100, 1000, 1024, 4096, 8192, 65536)
HOSTILE = (b"sp ace", b"t\tab", b"new\nline", b"back\\slash", b"c\rr", b"#hash", b"\xff\xfe", b"a,b=c")

Op = tuple[Any, ...]


@dataclass
class Mismatch:
    step: int
    op: Op
    kernel: Any
    model: Any

    def as_json(self) -> dict[str, Any]:
        return {"step": self.step, "op": _op_json(self.op), "kernel": _val(self.kernel), "model": _val(self.model)}


@dataclass
class ScriptResult:
    script: list[Op]
    steps: int = 0
    mismatch: Optional[Mismatch] = None
    reads: int = 0
    log: list[str] = field(default_factory=list)


def _val(v: Any) -> Any:
    if isinstance(v, bytes):
        return os.fsdecode(v)
    return v


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 100 else f"{r[:45]}…{r[-45:]} ({len(v) if isinstance(v, bytes) else '?'} B)"


def _op_json(op: Op) -> list[Any]:
    return [_val(x) for x in op]


def random_script(rng: random.Random, length: int, n_mounts: int) -> list[Op]:
    """A random script over mounts ``m00000``.. (created by the sandbox) and new ones."""
    names = [b"m%05d" % i for i in range(n_mounts)]
    live = list(names)
    out: list[Op] = []
    new = 0
    for _ in range(length):
        r = rng.random()
        if r < 0.5:
            out.append(("read", rng.choice(READ_SIZES)))
        elif r < 0.65:
            base = rng.choice(HOSTILE) if rng.random() < 0.3 else b"n"
            name = base + b"%d" % new
            new += 1
            live.append(name)
            out.append(("mount", name))
        elif r < 0.77 and live:
            out.append(("umount", live.pop(rng.randrange(len(live)))))
        elif r < 0.8 and live:
            out.append(("lazy", live.pop(rng.randrange(len(live)))))
        elif r < 0.88:
            out.append(("lseek", 0 if rng.random() < 0.5 else rng.randrange(1, 400)))
        elif r < 0.95:
            out.append(("poll",))
        else:
            out.append(("reopen",))
    out.append(("read", 65536))
    out.append(("poll",))
    return out


def _call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except OSError as e:
        return ("error", e.errno)


def run_script(script: list[Op], n_mounts: int = 8, log: bool = False, strategy: str = "idtree",
               semantics: str = "5.10+") -> ScriptResult:
    """Play ``script`` on a fresh sandbox and its mirror (``strategy`` on ``semantics``: what
    this kernel runs, unless a test asks otherwise); stop at the first difference."""
    res = ScriptResult(script)
    script = check_script([_op_json(op) for op in script])  # nothing outside the sandbox's directory
    with Sandbox(n=n_mounts) as sb:
        snap = sb.snapshot(method="listmount")
        uids = {e.mnt_id: e.unique_id for e in snap.table.entries}
        data = sb.read_proc("mountinfo")
        ns = namespace_from_table(parse_mountinfo(data), uids)  # type: ignore[arg-type]
        h = sb.open_proc("mountinfo")
        f = open_proc(ns, "mountinfo", strategy=strategy, semantics=semantics)  # type: ignore[arg-type]
        for i, op in enumerate(script):
            kind = op[0]
            if kind == "read":
                k, m = _call(sb.read, h, op[1]), _call(f.read, op[1])
                res.reads += 1
            elif kind == "mount":
                facts = sb.mount_tmpfs(op[1])
                rec = next(r for r in parse_mountinfo(sb.read_proc("mountinfo")) if r.mnt_id == facts.mnt_id)
                mount_like(ns, rec, facts.unique_id)  # type: ignore[arg-type]
                k = m = None
            elif kind in ("umount", "lazy"):
                path = sb.path(op[1])
                k = _call(sb.umount, op[1], kind == "lazy")
                m = _call(ns.umount, path, MNT_DETACH if kind == "lazy" else 0)
                m = m if isinstance(m, tuple) else None
            elif kind == "lseek":
                k, m = _call(sb.lseek, h, op[1]), _call(f.lseek, op[1])
            elif kind == "poll":
                k = sb.poll(h)
                m = f.poll() & (POLLPRI | POLLERR | POLLHUP)
            elif kind == "reopen":
                sb.close_proc(h)
                f.close()
                h = sb.open_proc("mountinfo")
                f = open_proc(ns, "mountinfo", strategy=strategy, semantics=semantics)  # type: ignore[arg-type]
                k = m = None
            else:
                raise ValueError(f"unknown script operation {op!r}")
            if log:
                res.log.append(f"{i:3d} {_op_json(op)}: kernel {_short(k)} model {_short(m)}")
            res.steps = i + 1
            if k != m:
                res.mismatch = Mismatch(i, op, k, m)
                break
        f.close()
    return res


def shrink_script(script: list[Op], n_mounts: int, budget: int = 80) -> list[Op]:
    """Drop operations one at a time while the script still mismatches."""
    best = script
    tries = 0
    i = 0
    while i < len(best) and tries < budget:
        cand = best[:i] + best[i + 1:]
        tries += 1
        try:
            bad = run_script(cand, n_mounts).mismatch is not None
        except (OSError, StopIteration, ValueError):
            bad = False  # the shorter script is not valid (e.g. umount of a name never mounted)
        if bad:
            best = cand
        else:
            i += 1
    return best


def diff_kernel(scripts: int, seed: int, length: int = 40, n_mounts: int = 8,
                on_script: Optional[Callable[[int, int], None]] = None) -> dict[str, Any]:
    """Run ``scripts`` random scripts; the JSON shape of ``mountcursor diff-kernel --json``.
    ``on_script(n, agreed)`` is called before script ``n`` (for progress)."""
    rng = random.Random(seed)
    agreed = 0
    first: Optional[dict[str, Any]] = None
    reads = 0
    for n in range(scripts):
        if on_script is not None:
            on_script(n, agreed)
        script = random_script(rng, length, n_mounts)
        r = run_script(script, n_mounts)
        reads += r.reads
        if r.mismatch is None:
            agreed += 1
            continue
        if first is None:
            small = shrink_script(script, n_mounts)
            r2 = run_script(small, n_mounts)
            mm = r2.mismatch or r.mismatch
            first = {"script_index": n, "script": [_op_json(o) for o in (small if r2.mismatch else script)],
                     "first_difference": mm.as_json()}
    return {"scripts": scripts, "agreed": agreed, "reads": reads, "first_mismatch": first}


def save_script(script: list[Op], path: str) -> None:
    """Write a script as JSON (names as file-system strings), atomically."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump([_op_json(o) for o in script], fh)
    os.replace(tmp, path)


class ScriptFileError(ValueError):
    """A script file that cannot be read back, or does not fit the script schema."""


MAX_SCRIPT_OPS = 100_000
MAX_READ = 1 << 20
MAX_LSEEK = 1 << 24

#: Each operation and the checkers of its arguments.  Mount names are single file names,
#: created in the sandbox's own directory (its private tmpfs): a script can name nothing
#: outside it, so it can never create or unmount anything on the host.
SCRIPT_OPS: dict[str, tuple[schema.Checker, ...]] = {
    "read": (schema.integer(0, MAX_READ),),
    "mount": (schema.name_in_dir,),
    "umount": (schema.name_in_dir,),
    "lazy": (schema.name_in_dir,),
    "lseek": (schema.integer(0, MAX_LSEEK),),
    "poll": (),
    "reopen": (),
}


def check_op(raw: Any, where: str) -> Op:
    """One operation of a script, checked against :data:`SCRIPT_OPS`."""
    if not isinstance(raw, list) or not raw or raw[0] not in SCRIPT_OPS:
        raise schema.SchemaError(f"{where}: expected one of {sorted(SCRIPT_OPS)} with its arguments, got {_short(raw)}")
    args = SCRIPT_OPS[raw[0]]
    if len(raw) != len(args) + 1:
        raise schema.SchemaError(f"{where}: {raw[0]!r} takes {len(args)} argument(s), got {len(raw) - 1}")
    return (raw[0], *(check(v, f"{where}[{i + 1}]") for i, (check, v) in enumerate(zip(args, raw[1:]))))


def check_script(raw: Any) -> list[Op]:
    """A whole script (a JSON list of operations), every operation checked before any runs."""
    if not isinstance(raw, list):
        raise schema.SchemaError("not a script (a JSON list of operations)")
    if len(raw) > MAX_SCRIPT_OPS:
        raise schema.SchemaError(f"{len(raw)} operations, more than the {MAX_SCRIPT_OPS} allowed")
    return [check_op(op, f"operation {i}") for i, op in enumerate(raw)]


def load_script(path: str) -> list[Op]:
    """Read a script saved by :func:`save_script` (or the ``script`` of ``--json`` output)."""
    raw = read_json(path, ScriptFileError)
    if isinstance(raw, dict):
        mm = raw.get("first_mismatch")
        raw = mm.get("script") if isinstance(mm, dict) else raw.get("script")
    try:
        return check_script(raw)
    except schema.SchemaError as e:
        raise ScriptFileError(f"{path}: {e}") from None
