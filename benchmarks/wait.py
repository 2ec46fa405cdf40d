"""``mountcursor wait`` against findmnt: ``python benchmarks/wait.py [--mounts N]... [--tries T]``.

Two figures, each measured in the same run for both tools, on a private mount namespace
(a sandbox, watched from outside by ``-N``; never the host's table):

* **misses**: the shell idiom of util-linux#3517, ``findmnt -M P || findmnt --poll=mount
  -f -M P -w MS``, and ``mountcursor wait -w MS P``, each started ``tries`` times with
  the mount made after a delay spread evenly over the time the tool takes to start
  (so some mounts land between its check and its poll).  A try misses when the tool
  reports nothing within ``MS``; the mount stays.
* **latency**: from the mount to the first byte the tool prints about it and to its exit,
  ``findmnt --poll=mount -f -M P`` and ``mountcursor wait -J P``, started a while
  before the mount, quiet and under a churn of other tmpfs mounts; and the CPU each
  used (startup included).

Writes ``docs/benchmarks/wait.json`` and prints a Markdown table.  Needs root.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mountcursor.verify.sandbox import Sandbox, python_env  # noqa: E402

TIMEOUT_MS = 1500


def _env() -> dict[str, str]:
    env = python_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _commands(sb: Sandbox, path: str, idiom: bool) -> dict[str, list[str]]:
    pid = str(sb.pid)
    findmnt = f"findmnt -N {pid} --poll=mount -f -M '{path}' -w {TIMEOUT_MS}"
    return {
        "mountcursor wait": [sys.executable, "-m", "mountcursor", "wait", "-N", pid, "-w", str(TIMEOUT_MS), "-J", path],
        "findmnt": (["sh", "-c", f"findmnt -N {pid} -M '{path}' || {findmnt}"] if idiom else
                    ["sh", "-c", findmnt]),
    }


def _start_time(argv: list[str]) -> float:
    """Seconds from start to exit when nothing is awaited in vain (the check answers)."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(argv, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def misses(sb: Sandbox, tries: int) -> dict[str, dict[str, float]]:
    out = {}
    for tool in ("mountcursor wait", "findmnt"):
        # how long the tool takes to start: the check of a mount that is there
        sb.mount_tmpfs(b"probe")
        start = _start_time(_commands(sb, os.fsdecode(sb.path(b"probe")), idiom=True)[tool])
        sb.umount(b"probe")
        missed = 0
        for i in range(tries):
            name = b"r%d" % i
            path = os.fsdecode(sb.path(name))
            sb.mkdir(name)
            proc = subprocess.Popen(_commands(sb, path, idiom=True)[tool], env=_env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)
            time.sleep(2 * start * i / tries)
            sb.mount_tmpfs(name)
            stdout, _ = proc.communicate()
            seen = proc.returncode == 0 and (tool != "findmnt" or path.encode() in stdout)
            missed += not seen
            sb.umount(name)
        out[tool] = {"start_s": start, "tries": tries, "missed": missed}
    return out


def latency(sb: Sandbox, churn: bool, repeats: int, tag: str) -> dict[str, dict[str, float]]:
    runs: dict[str, list[tuple[float, float, float]]] = {"mountcursor wait": [], "findmnt": []}
    for i in range(repeats):
        name = b"l%s%d" % (tag.encode(), i)
        path = os.fsdecode(sb.path(name))
        sb.mkdir(name)
        procs = {tool: subprocess.Popen(argv, env=_env(), stdout=subprocess.PIPE)
                 for tool, argv in _commands(sb, path, idiom=False).items()}
        if churn:
            sb.churn_start(b"churn-%s%d" % (tag.encode(), i), live=4, depth=2)
        time.sleep(1.0)  # both are polling by now (each starts in well under a second)
        ends: dict[str, tuple[float, float, float]] = {}

        def reap(tool: str, proc: subprocess.Popen[bytes]) -> None:
            assert proc.stdout is not None
            proc.stdout.read(1)  # the report: the first byte it prints
            said = time.perf_counter()
            proc.stdout.read()
            _, _status, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0
            ends[tool] = (said, time.perf_counter(), usage.ru_utime + usage.ru_stime)

        threads = [threading.Thread(target=reap, args=item) for item in procs.items()]
        for t in threads:
            t.start()
        t0 = time.perf_counter()
        sb.mount_tmpfs(name)
        for t in threads:
            t.join()
        if churn:
            sb.churn_stop()
        for tool, (said, end, cpu) in ends.items():
            runs[tool].append((said - t0, end - t0, cpu))
    return {tool: {"said_s": statistics.median(r[0] for r in rs), "exit_s": statistics.median(r[1] for r in rs),
                   "cpu_s": statistics.median(r[2] for r in rs)} for tool, rs in runs.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mounts", type=int, action="append", help="mounts in the sandbox (default: 0 and 1000)")
    ap.add_argument("--tries", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "wait.json")
    a = ap.parse_args(argv)
    results = []
    for n in a.mounts or [0, 1000]:
        with Sandbox(n=n) as sb:
            row = {"mounts": len(sb.snapshot().table), "misses": misses(sb, a.tries),
                   "quiet": latency(sb, False, a.repeats, "q"), "churn": latency(sb, True, a.repeats, "c")}
        results.append(row)
        print(json.dumps(row), flush=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(results, indent=1) + "\n")
    print("\n| mounts | tool | missed (check, then poll) | printed (quiet) | exited (quiet) | printed (churn) "
          "| exited (churn) | CPU (churn) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in results:
        for tool in ("mountcursor wait", "findmnt"):
            m, q, c = row["misses"][tool], row["quiet"][tool], row["churn"][tool]
            print(f"| {row['mounts']:,} | {tool} | {m['missed']}/{m['tries']} | {q['said_s'] * 1000:.1f} ms "
                  f"| {q['exit_s'] * 1000:.1f} ms | {c['said_s'] * 1000:.1f} ms | {c['exit_s'] * 1000:.1f} ms "
                  f"| {c['cpu_s'] * 1000:.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
