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
from typing import Any

from ..kernel.mount import Mount
from .explorer import Explorer
from .scenarios import MountSpec, Op, Scenario
from .scheduler import Scheduler, Step
from .world import Violation, World

TRACE_VERSION = 1


@dataclass
class TraceStep:
    """One step of a replayed run: who ran, what it did, the list after, what read() returned."""

    index: int
    thread: str
    action: str
    returned: str
    list_after: list[str]


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


def replay_steps(t: Trace) -> tuple[list[TraceStep], list[Violation]]:
    """Re-run the trace's path, recording every step."""
    ex = Explorer(t.strategy, t.semantics, t.granularity, t.ns_lock, t.slab_reuse, faithful_sync=t.faithful_sync)
    w = ex.world(t.scenario)
    steps: list[TraceStep] = []
    seen = [len(r.results) for r in w.readers]

    def on_step(s: Scheduler, st: Step) -> None:
        th = s.threads[st.thread]
        ret = ""
        for i, r in enumerate(w.readers):
            if len(r.results) > seen[i]:
                ret = " ".join(repr(b) if len(b) <= 120 else f"{b[:50]!r}…{b[-50:]!r} ({len(b)} B)"
                               for b in r.results[seen[i]:])
                seen[i] = len(r.results)
        action = st.detail or st.kind
        steps.append(TraceStep(st.index, th.name, action, ret, _list_names(w)))

    w.sched.on_step = on_step
    it = iter(t.path)

    def choose(en: list[int], s: Scheduler) -> int:
        nxt = next(it, None)
        if nxt is None:
            return en[0]
        if nxt not in en:
            raise ValueError(f"trace does not replay at step {len(s.steps)}: thread {nxt} cannot run")
        return nxt

    found = w.run(choose)
    return steps, found


def format_trace(t: Trace, explanation: str = "") -> str:
    """The trace as text: a header, every step, the violations."""
    steps, found = replay_steps(t)
    sc = t.scenario
    head = [
        f"scenario {sc.label()}: {sc.description}",
        f"strategy {t.strategy} on {t.semantics} seq_file, {t.granularity} granularity"
        + ("" if t.ns_lock else ", ns_lock REMOVED") + ("" if t.slab_reuse else ", no slab reuse"),
        "mounts: " + " ".join(f"{m.path.decode()}({m.length})" for m in sc.mounts),
        "churn: " + ("; ".join(str(o) for o in sc.churn) or "none"),
        f"schedule ({len(t.path)} steps): {' '.join(map(str, t.path))}",
        "",
    ]
    body = []
    for s in steps:
        if s.action == "start":
            continue
        line = f"{s.index:4d} {s.thread:8s} {s.action}"
        if s.returned:
            line += f"\n{'':14s}-> {s.returned}"
        line += f"\n{'':14s}list: {' '.join(s.list_after)}"
        body.append(line)
    tail = ["", "violations:"] + [f"  {v.prop}: {v.message}" for v in found]
    if explanation:
        tail += ["", explanation]
    return "\n".join(head + body + tail)


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
        },
        "strategy": t.strategy, "semantics": t.semantics, "granularity": t.granularity,
        "ns_lock": t.ns_lock, "slab_reuse": t.slab_reuse, "faithful_sync": t.faithful_sync, "path": t.path,
        "violations": [asdict(v) for v in t.violations],
    }


class TraceFileError(ValueError):
    """A trace file that cannot be read back."""


def trace_from_json(d: dict[str, Any], where: str = "trace") -> Trace:
    try:
        if d.get("version") != TRACE_VERSION:
            raise TraceFileError(f"{where}: unsupported trace version {d.get('version')!r} (want {TRACE_VERSION})")
        s = d["scenario"]
        sc = Scenario(
            name=s["name"], description=s.get("description", ""), max_reads=int(s.get("max_reads", 0)),
            mounts=tuple(MountSpec(os.fsencode(m["path"]), m["length"]) for m in s["mounts"]),
            readers=tuple((str(k), int(n)) for k, n in s["readers"]),
            churn=tuple(Op(o["kind"], os.fsencode(o["path"]), os.fsencode(o["to"])) for o in s["churn"]),
            walker=tuple(Op(o["kind"], os.fsencode(o["path"]), os.fsencode(o["to"])) for o in s.get("walker", [])),
        )
        return Trace(sc, str(d["strategy"]), str(d["semantics"]), str(d["granularity"]), bool(d["ns_lock"]),
                     bool(d.get("slab_reuse", True)), [int(x) for x in d["path"]],
                     [Violation(v["prop"], v["message"]) for v in d.get("violations", [])],
                     bool(d.get("faithful_sync", False)))
    except TraceFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise TraceFileError(f"{where}: not a mountcursor trace ({type(e).__name__}: {e})") from None


def save_trace(t: Trace, path: str) -> None:
    """Write the trace atomically (a temporary file renamed into place)."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(trace_to_json(t), f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def read_json(path: str, error: type[ValueError]) -> Any:
    """A JSON file's contents; unreadable or malformed files raise ``error`` with one clear line."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise error(f"{path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise error(f"{path}: line {e.lineno}, column {e.colno}: not JSON ({e.msg})") from None


def load_trace(path: str) -> Trace:
    d = read_json(path, TraceFileError)
    if not isinstance(d, dict):
        raise TraceFileError(f"{path}: not a mountcursor trace (top level is not an object)")
    return trace_from_json(d, path)
