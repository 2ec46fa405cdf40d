"""Counterexample traces: replay a schedule step by step, print it, save and load it as JSON.

A trace file holds the scenario (plain data), the strategy, semantics,
granularity and model switches, and the *path*: the thread chosen at each
step.  ``mountcursor check --replay FILE`` rebuilds the scenario and re-runs
exactly that path.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional

from ..kernel.mount import Mount
from ..kernel.iterators import STRATEGIES
from ..kernel.seqfile import SEMANTICS_NAMES, semantics_of
from . import schema
from .explorer import Explorer
from .scenarios import MountSpec, Op, Scenario
from .scheduler import GRANULARITIES, Scheduler, Step
from .world import Violation, World

TRACE_VERSION = 1
PROC_KINDS = ("mountinfo", "mounts", "mountstats")
CHURN_KINDS = ("umount", "umount-lazy", "mount", "bind", "move")
WALKER_KINDS = ("walk-local", "walk-visible", "walk-sync")


@dataclass
class Trace:
    scenario: Scenario
    strategy: str
    semantics: str
    granularity: str
    ns_lock: bool
    slab_reuse: bool
    path: list[int]
    violations: list[Violation]
    faithful_sync: bool = False


def _list_names(w: World, limit: int = 64) -> list[str]:
    """The list as names, following ->next (bounded, and stopping at a poisoned link)."""
    out: list[str] = []
    lh = w.ns.list.next
    while lh is not w.ns.list:
        if len(out) >= limit or not hasattr(lh, "owner"):
            out.append("…" if len(out) >= limit else f"<{lh!r}>")
            break
        m: Mount = lh.owner  # type: ignore[assignment]
        lh = lh.next
        if m.is_cursor:
            out.append(f"[{m.mnt_list.name}]")
        else:
            p = w.ns.path_of(m)
            out.append(p.decode(errors="replace") if p is not None else f"({m.mnt_sb.s_type.name.decode()})")  # type: ignore[union-attr]
    return out


def replay_trace(t: Trace, write: Callable[[str], None], explanation: str = "") -> list[Violation]:
    """Re-run the trace's path once, writing it as text while it runs: a header, every step
    (what read() returned, and the list whenever a step changed it), the violations found
    (returned as well) and ``explanation``.  ``write`` gets one or more whole lines at a
    time, each ending in a newline.  Time and memory are linear in the steps run: nothing
    of a step is kept once it is written (the scheduler does not record the steps and the
    readers' results are dropped once shown).  Raises ``ValueError`` when a step of the
    path names a thread that cannot run (what was written until then stays written)."""
    ex = Explorer(t.strategy, t.semantics, t.granularity, t.ns_lock, t.slab_reuse, faithful_sync=t.faithful_sync)
    w = ex.world(t.scenario)
    w.sched.record = False
    sc = t.scenario
    write("\n".join([
        f"scenario {sc.label()}: {sc.description}",
        f"strategy {t.strategy} on {t.semantics} seq_file, {t.granularity} granularity"
        + ("" if t.ns_lock else ", ns_lock REMOVED") + ("" if t.slab_reuse else ", no slab reuse"),
        "mounts: " + " ".join(f"{m.path.decode()}({m.length})" for m in sc.mounts),
        "churn: " + ("; ".join(str(o) for o in sc.churn) or "none"),
        f"schedule ({len(t.path)} steps): {' '.join(map(str, t.path))}",
        "", ""]))
    shown: Optional[list[str]] = None  # the list as last printed

    def on_step(s: Scheduler, st: Step) -> None:
        nonlocal shown
        if st.kind == "start":  # a thread's start: shown with its next step
            return
        returned = [_shown(b) for r in w.readers for b in r.results]
        for r in w.readers:
            r.results.clear()
        text = f"{st.index:4d} {s.threads[st.thread].name:8s} {st.detail or st.kind}\n"
        if returned:
            text += f"{'':14s}-> {' '.join(returned)}\n"
        names = _list_names(w)
        if names != shown:
            text += f"{'':14s}list: {' '.join(names)}\n"
            shown = names
        write(text)

    w.sched.on_step = on_step
    it = iter(t.path)

    def choose(en: list[int], s: Scheduler) -> int:
        nxt = next(it, None)
        if nxt is None:
            return en[0]
        if nxt not in en:
            raise ValueError(f"trace does not replay at step {s.count}: thread {nxt} cannot run")
        return nxt

    found = w.run(choose)
    tail = ["", "violations:"] + [f"  {v.prop}: {v.message}" for v in found]
    if explanation:
        tail += ["", explanation]
    write("\n".join(tail) + "\n")
    return found


def _shown(b: bytes) -> str:
    """What one read() returned, as a step shows it."""
    return repr(b) if len(b) <= 120 else f"{b[:50]!r}…{b[-50:]!r} ({len(b)} B)"


def format_trace(t: Trace, explanation: str = "") -> str:
    """The trace as text (:func:`replay_trace`), without the final newline."""
    parts: list[str] = []
    replay_trace(t, parts.append, explanation)
    return "".join(parts)[:-1]


def _enc(b: bytes) -> str:
    return os.fsdecode(b)


def trace_to_json(t: Trace) -> dict[str, Any]:
    sc = t.scenario
    return {
        "version": TRACE_VERSION,
        "scenario": {
            "name": sc.name, "description": sc.description, "max_reads": sc.max_reads,
            "mounts": [{"path": _enc(m.path), "length": m.length} for m in sc.mounts],
            "readers": [[k, n] for k, n in sc.readers],
            "churn": [{"kind": o.kind, "path": _enc(o.path), "to": _enc(o.to)} for o in sc.churn],
            "walker": [{"kind": o.kind, "path": _enc(o.path), "to": _enc(o.to)} for o in sc.walker],
            **({"shared_file": True} if sc.shared_file else {}),
        },
        "strategy": t.strategy, "semantics": t.semantics, "granularity": t.granularity,
        "ns_lock": t.ns_lock, "slab_reuse": t.slab_reuse, "faithful_sync": t.faithful_sync, "path": t.path,
        "violations": [asdict(v) for v in t.violations],
    }


class TraceFileError(ValueError):
    """A trace file that cannot be read back."""


MAX_TRACE_MOUNTS = 32
"""The most initial mounts a trace may have: the explorer's scenarios have at most 30, and
a replay prints every step (64 page-long lines read a byte at a time: 90 MB in 100 s)."""
MAX_TRACE_OPS = 64
MAX_TRACE_STEPS = 1_000_000


def _op_path(v: Any, where: str) -> bytes:
    return b"" if v == "" else schema.abs_path(v, where)


_OP = schema.obj({"kind": schema.text(choices=CHURN_KINDS + WALKER_KINDS), "path": _op_path},
                 optional={"to": _op_path})
_TRACE = schema.obj(
    {
        "version": schema.integer(TRACE_VERSION, TRACE_VERSION),
        "scenario": schema.obj(
            {"name": schema.text(200),
             "mounts": schema.array(schema.obj({"path": schema.abs_path,
                                                "length": schema.text(choices=("short", "long", "page"))}),
                                    MAX_TRACE_MOUNTS),
             "readers": schema.array(schema.fixed(schema.text(choices=PROC_KINDS), schema.integer(0, 1 << 20)), 8, 1),
             "churn": schema.array(_OP, MAX_TRACE_OPS)},
            optional={"description": schema.text(), "max_reads": schema.integer(0, 1_000_000),
                      "walker": schema.array(_OP, MAX_TRACE_OPS), "shared_file": schema.boolean}),
        "strategy": schema.text(choices=tuple(STRATEGIES)),
        "semantics": schema.text(choices=SEMANTICS_NAMES),  # an alias (legacy/modern) too
        "granularity": schema.text(choices=GRANULARITIES),
        "ns_lock": schema.boolean,
        "path": schema.array(schema.integer(0, 15), MAX_TRACE_STEPS),
    },
    optional={"slab_reuse": schema.boolean, "faithful_sync": schema.boolean,
              "violations": schema.array(schema.obj({"prop": schema.text(200), "message": schema.text()}), 100)},
)
def trace_from_json(d: Any, where: str = "trace") -> Trace:
    """A :class:`Trace` from its JSON form, checked field by field first (:data:`_TRACE`)."""
    if isinstance(d, dict) and "version" in d and d["version"] != TRACE_VERSION:
        raise TraceFileError(f"{where}: unsupported trace version {d['version']!r} (want {TRACE_VERSION})")
    try:
        v = _TRACE(d, "")
    except schema.SchemaError as e:
        raise TraceFileError(f"{where}: {e}") from None
    s = v["scenario"]

    def op(o: dict[str, Any]) -> Op:  # an object _OP checked
        return Op(o["kind"], o["path"], o.get("to", b""))

    sc = Scenario(
        name=s["name"], description=s.get("description", ""), max_reads=s.get("max_reads", 0),
        mounts=tuple(MountSpec(m["path"], m["length"]) for m in s["mounts"]),
        readers=tuple(s["readers"]), churn=tuple(op(o) for o in s["churn"]),
        walker=tuple(op(o) for o in s.get("walker", [])),
        shared_file=s.get("shared_file", False),
    )
    return Trace(sc, v["strategy"], semantics_of(v["semantics"]), v["granularity"], v["ns_lock"], v.get("slab_reuse", True),
                 v["path"], [Violation(x["prop"], x["message"]) for x in v.get("violations", [])],
                 v.get("faithful_sync", False))


def save_trace(t: Trace, path: str) -> None:
    """Write the trace atomically (a temporary file renamed into place)."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(trace_to_json(t), f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


MAX_JSON_BYTES = 64 << 20
"""The largest trace or script file read back (64 MiB): a replay file is data, not a stream."""


def read_json(path: str, error: type[ValueError]) -> Any:
    """A JSON file's contents; unreadable, oversized or malformed files raise ``error``
    with one clear line naming the file (and the line and column, for bad JSON)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_JSON_BYTES + 1)
    except OSError as e:
        raise error(f"{path}: {e.strerror}") from None
    if len(data) > MAX_JSON_BYTES:
        raise error(f"{path}: larger than {MAX_JSON_BYTES >> 20} MiB, too large for a mountcursor file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{path}: byte {e.start}: not UTF-8 text, so not JSON") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise error(f"{path}: line {e.lineno}, column {e.colno}: not JSON ({e.msg})") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply for a mountcursor file") from None
    except ValueError as e:  # e.g. an integer of more than 4300 digits
        raise error(f"{path}: not a mountcursor file ({e})") from None


def load_trace(path: str) -> Trace:
    d = read_json(path, TraceFileError)
    if not isinstance(d, dict):
        raise TraceFileError(f"{path}: not a mountcursor trace (top level is not an object)")
    return trace_from_json(d, path)
