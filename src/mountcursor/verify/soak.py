"""A soak of the live reader and watcher: churner processes, strict readers, one watch.

    res = run_soak(churners=4, readers=2, seconds=5.0, source="fanotify")
    res.snapshots, res.retries, res.made, res.seen, res.invented, res.missed_pairs, res.ok

As libmount tests its reader against hundreds of concurrent mount/umount processes
(util-linux ``tests/ts/libmount``), everything runs inside one private mount
namespace, the :class:`~mountcursor.verify.sandbox.Sandbox`'s: each process joins it with
``nsenter --target <worker> --mount`` before it does anything, so the host's table is
never touched.  In it:

* ``churners`` processes each mount tmpfs at ``<root>/soak/c<k>/m<i>`` (a fresh path for
  every mount) and unmount their oldest, keeping about ``live`` of them, plainly or
  lazily; at the end each unmounts what it still has and reports every operation;
* ``readers`` processes take :func:`~mountcursor.live.reader.snapshot` with
  ``consistency="strict"`` in a loop and check each table: a well-formed tree
  (:meth:`MountTable.problems` empty), no id twice, every one of the sandbox's fixed
  mounts present (*missed*), and afterwards every churn mount it holds one a churner
  made (*invented*);
* one process follows the namespace with :func:`~mountcursor.live.watcher.watch`.

The watch's events are compared with what was made, per mount point (each used once):
an event for something never made is *invented*, one seen twice *duplicated*.  A mount
made and unmounted between two reads of the watch is not seen at all; the fanotify
source drops it too, when the mount is gone before it can be asked about.  Such a
mount is counted in ``missed_pairs``, and any other miss (a mount seen without its
unmount, or the reverse) in ``missed``.  ``ok``: no snapshot was inconsistent,
broken, missed a fixed mount or held an invented one, and the watch invented,
duplicated and missed nothing but whole pairs.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from ..live import syscalls

__all__ = ["SoakResult", "run_soak"]

MNT_DETACH = 2


@dataclass
class SoakResult:
    """What one soak run saw (the field names are the JSON keys of ``benchmarks/soak.py``)."""

    churners: int
    readers: int
    seconds: float
    source: str
    kernel: str
    made: int = 0  # mount and umount calls that succeeded
    seen: int = 0  # mount and umount events the watch reported
    invented: int = 0  # events (or snapshot mounts) for something never made
    duplicated: int = 0  # events seen twice
    missed: int = 0  # a mount seen without its umount, or an umount without its mount
    missed_pairs: int = 0  # mounts made and unmounted between two reads of the watch
    snapshots: int = 0
    retries: int = 0  # passes beyond the first, over all snapshots
    max_attempts: int = 0
    inconsistent: int = 0  # snapshots that gave up without a clean pass
    broken: int = 0  # snapshots with problems(): orphans, duplicate ids, cycles
    fixed_missed: int = 0  # snapshots that lacked one of the sandbox's fixed mounts
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.invented or self.duplicated or self.missed or self.inconsistent or self.broken
                    or self.fixed_missed or self.errors)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _join(pid: int, role: str, args: dict[str, Any]) -> subprocess.Popen[bytes]:
    """A process of this module in the mount namespace of ``pid``."""
    from .sandbox import python_env

    return subprocess.Popen[bytes](["nsenter", f"--target={pid}", "--mount", "--", sys.executable, "-m",
                             "mountcursor.verify.soak", role, json.dumps(args)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=python_env())


def _result(proc: subprocess.Popen[bytes], role: str, timeout: float) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"soak {role} exited with {proc.returncode}: {err.decode(errors='replace')[-400:]}")
    result: dict[str, Any] = json.loads(out.decode().splitlines()[-1])
    return result


def run_soak(churners: int = 4, readers: int = 2, seconds: float = 5.0, source: str = "fanotify",
             live: int = 8, fixed: int = 20, seed: int = 1) -> SoakResult:
    """One soak run (see the module docstring).  Needs root, ``unshare`` and ``nsenter``."""
    from .sandbox import Sandbox, visible_root

    res = SoakResult(churners, readers, seconds, source, os.uname().release)
    with Sandbox(n=fixed, root=visible_root()) as sb:  # the churners nsenter it: keep this Python visible
        root = os.fsdecode(sb.root)
        sb.mkdir(b"soak")
        fixed_targets = [os.fsdecode(f.path) for f in sb.base]
        watcher = _join(sb.pid, "watch", {"source": source})
        assert watcher.stdout is not None and watcher.stdin is not None
        ready = watcher.stdout.readline()
        if ready.strip() != b"ready":
            _, err = watcher.communicate(timeout=10)
            raise RuntimeError(f"soak watch did not start: {err.decode(errors='replace')[-400:]}")
        procs = [_join(sb.pid, "churn", {"dir": f"{root}/soak/c{k}", "seconds": seconds, "live": live,
                                         "seed": seed * 1000 + k}) for k in range(churners)]
        procs += [_join(sb.pid, "read", {"seconds": seconds, "fixed": fixed_targets}) for _ in range(readers)]
        results = [_result(p, "churn" if i < churners else "read", seconds + 60) for i, p in enumerate(procs)]
        time.sleep(0.5)  # let the watch take in the last unmounts
        watcher.stdin.write(b"stop\n")
        watcher.stdin.flush()
        events = _result(watcher, "watch", 60)["events"]
    made: list[tuple[str, str]] = [tuple(op) for r in results[:churners] for op in r["ops"]]
    _compare(res, made, [tuple(e) for e in events])
    made_targets = {t for a, t in made if a == "mount"}
    for r in results[churners:]:
        res.snapshots += r["snapshots"]
        res.retries += r["retries"]
        res.max_attempts = max(res.max_attempts, r["max_attempts"])
        res.inconsistent += r["inconsistent"]
        res.broken += r["broken"]
        res.fixed_missed += r["fixed_missed"]
        res.invented += len(set(r["churn_targets"]) - made_targets)
    for r in results:
        res.errors += r.get("errors", [])
    return res


def _compare(res: SoakResult, made: list[tuple[str, str]], seen: list[tuple[str, str]]) -> None:
    res.made, res.seen = len(made), len(seen)
    made_set = set(made)
    counts = Counter(seen)
    res.invented = sum(n for ev, n in counts.items() if ev not in made_set)
    res.duplicated = sum(n - 1 for ev, n in counts.items() if n > 1)
    for target in {t for _, t in made}:
        got = {a for a in ("mount", "umount") if (a, target) in counts}
        want = {a for a, t in ((a, target) for a in ("mount", "umount")) if (a, t) in made_set}
        if not got and want == {"mount", "umount"}:
            res.missed_pairs += 1
        else:
            res.missed += len(want - got)


# ---- the processes inside the namespace --------------------------------------------------


def _churn(args: dict[str, Any]) -> dict[str, Any]:
    rng = random.Random(args["seed"])
    base = args["dir"]
    os.makedirs(base, exist_ok=True)
    ops: list[tuple[str, str]] = []
    errors: list[str] = []
    held: list[str] = []
    i = 0
    end = time.monotonic() + args["seconds"]
    while time.monotonic() < end:
        path = f"{base}/m{i}"
        i += 1
        os.mkdir(path)
        try:
            syscalls.mount(b"soak", path, b"tmpfs", 0, None)
            ops.append(("mount", path))
            held.append(path)
        except OSError as e:
            errors.append(f"mount {path}: {e}")
        while len(held) > args["live"] or (held and rng.random() < 0.3):
            victim = held.pop(rng.randrange(len(held)))
            try:
                syscalls.umount2(victim, MNT_DETACH if rng.random() < 0.5 else 0)
                ops.append(("umount", victim))
            except OSError as e:
                errors.append(f"umount {victim}: {e}")
    for victim in held:
        syscalls.umount2(victim, MNT_DETACH)
        ops.append(("umount", victim))
    return {"ops": ops, "errors": errors}


def _read(args: dict[str, Any]) -> dict[str, Any]:
    from ..live.reader import snapshot

    fixed = [os.fsencode(p) for p in args["fixed"]]
    out = {"snapshots": 0, "retries": 0, "max_attempts": 0, "inconsistent": 0, "broken": 0, "fixed_missed": 0}
    churn: set[str] = set()
    end = time.monotonic() + args["seconds"]
    while time.monotonic() < end:
        snap = snapshot(consistency="strict", method="mountinfo", max_attempts=1000)
        table = snap.table
        out["snapshots"] += 1
        out["retries"] += snap.attempts - 1
        out["max_attempts"] = max(out["max_attempts"], snap.attempts)
        out["inconsistent"] += not snap.consistent
        out["broken"] += bool(table.problems())
        targets = {e.target for e in table.entries}
        out["fixed_missed"] += any(t not in targets for t in fixed)
        churn.update(os.fsdecode(e.target) for e in table.entries if b"/soak/c" in e.target)
    return {**out, "churn_targets": sorted(churn)}


def _watch(args: dict[str, Any]) -> dict[str, Any]:
    import select

    from ..live.watcher import watch

    stop = threading.Event()
    events: list[tuple[str, str]] = []
    with watch(source=args["source"], min_interval=0.0) as w:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        def stop_on_input() -> None:
            sys.stdin.readline()
            stop.set()

        threading.Thread(target=stop_on_input, daemon=True).start()
        poller = select.poll()
        poller.register(w.fileno(), w.poll_events)
        while True:
            stopping = stop.is_set()  # read before the last pass: nothing made after it is lost
            batch = w.read()
            if batch is not None:
                events += [(ev.action, os.fsdecode(ev.entry.target)) for ev in batch.events
                           if ev.action in ("mount", "umount")]
            elif stopping:
                break
            else:
                poller.poll(50)
    return {"events": events}


def main(argv: list[str]) -> int:
    role, args = argv[1], json.loads(argv[2])
    fn = {"churn": _churn, "read": _read, "watch": _watch}[role]
    sys.stdout.write(json.dumps(fn(args)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
