"""The watch at 100,000 mounts (issue 18, item 3): a storm of 1,000 mounts and 1,000
umounts on a table of 100,000, the watcher's CPU against what a full re-read per
wake-up costs, measured in the same run, and the soak's accounting of its events.

* A sandbox (a private mount namespace) of ``fs.mount-max`` - 100 tmpfs mounts (99,900
  where the limit is 100,000; the storm keeps at most 9 more up at once).
* The watch (``source="poll"``, ``min_interval=0``) runs in this process's main thread,
  on its own loop (:meth:`Watch.fileno`, :attr:`Watch.check_in`, :meth:`Watch.read`),
  while the sandbox's worker makes the storm (:meth:`Sandbox.storm`).  Its CPU
  (``time.thread_time``, user + system of that thread) is counted from the storm's start
  until it has reported everything, the owed check at the end included.
* Two storms: as fast as the worker goes (*burst*), and 2 ms after each mount (*paced*).
* A wake-up is a poll that reported a change (or the owed check coming due).  What
  a full re-read per wake-up costs: the CPU of one re-read and diff as the ``reread``
  source makes it (listmount + statmount of every mount), and, the cheaper peer, a
  mountinfo read, parse and diff; both measured in the same run (median of 3) and
  multiplied by the watcher's wake-ups.
* Accounting: the storm's operations against the watch's mount and umount events, per
  mount point, as the soak counts them (:func:`mountcursor.verify.soak._compare`):
  nothing invented, doubled or missed but whole pairs (a mount made and unmounted
  inside one wake-up is not seen, as by findmnt).
"""

from __future__ import annotations

import os
import select
import threading
import time
from pathlib import Path
from typing import Any

from ._common import Config, Section, machine, machine_line, md_table, median

NAME = "watch"
TITLE = "The watch at 100,000 mounts: a storm's cost per change"
TARGET = 0.10  # the watcher's CPU ÷ a full re-read per wake-up


def _reread_cpu(pid: int, method: str, repeats: int) -> float:
    """CPU seconds of one full re-read and diff (median of ``repeats``)."""
    from mountcursor.live.reader import snapshot
    from mountcursor.live.tablediff import diff

    before = snapshot(pid, method=method, consistency="best-effort").table  # type: ignore[arg-type]
    times = []
    for _ in range(repeats):
        c = time.thread_time()
        table = snapshot(pid, method=method, consistency="best-effort").table  # type: ignore[arg-type]
        diff(before, table)
        times.append(time.thread_time() - c)
    return median(times)


STORMS = (("burst", 0.0), ("paced", 0.002))  # as fast as the worker goes; 2 ms after each mount


def _watch_storm(sb: Any, where: bytes, pause: float) -> dict[str, Any]:
    """One storm under a fresh watch: its CPU, wake-ups, checks and accounting."""
    from mountcursor.live.watcher import watch
    from mountcursor.verify.soak import SoakResult, _compare

    ops: list[tuple[str, bytes]] = []
    done = threading.Event()

    def run_storm() -> None:
        try:
            ops.extend(sb.storm(where, 1000, 8, 1, pause))
        finally:
            done.set()

    seen: list[tuple[str, str]] = []
    wakeups = 0
    checks: list[float] = []
    with watch(sb.pid, source="poll", min_interval=0) as w:
        table = len(w.table)
        impl = w._source()
        real_check = impl.verify  # type: ignore[union-attr]

        def counted_check() -> Any:
            c = time.thread_time()
            try:
                return real_check()
            finally:
                checks.append(time.thread_time() - c)

        impl.verify = counted_check  # type: ignore[union-attr,method-assign]
        poller = select.poll()
        poller.register(w.fileno(), w.poll_events)
        thread = threading.Thread(target=run_storm, daemon=True)
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        thread.start()
        while True:
            check_in = w.check_in
            finished = done.is_set()
            timeout_ms = 100 if check_in is None else min(100, int(check_in * 1000) + 1)
            ready = bool(poller.poll(timeout_ms))
            if not ready and (check_in is None or w.check_in != 0.0):
                if finished and check_in is None:
                    break  # the storm is over, nothing changed since, no check owed
                continue
            wakeups += 1
            batch = w.read()
            if batch is not None:
                seen += [(ev.action, os.fsdecode(ev.entry.target)) for ev in batch.events
                         if ev.action in ("mount", "umount") and b"/storm" in ev.entry.target]
        cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
        thread.join()
    made = [(a, os.fsdecode(p)) for a, p in ops]
    acc = SoakResult(0, 0, wall, "poll", os.uname().release)
    _compare(acc, made, seen)
    return {"table": table, "pause_s": pause, "watch_cpu_s": cpu, "wall_s": wall, "wakeups": wakeups,
            "checks": len(checks), "check_cpu_s": sum(checks), "made": acc.made, "seen": acc.seen,
            "invented": acc.invented, "duplicated": acc.duplicated, "missed": acc.missed,
            "missed_pairs": acc.missed_pairs}


def storm_point(n: int, repeats: int, log: Any) -> dict[str, Any]:
    from mountcursor.verify.sandbox import Sandbox

    t0 = time.perf_counter()
    with Sandbox(n=n, timeout=900) as sb:
        log(f"   {n:,} mounts made in {time.perf_counter() - t0:.1f} s")
        point: dict[str, Any] = {"n": n}
        point["reread_listmount_cpu_s"] = _reread_cpu(sb.pid, "listmount", repeats)
        point["reread_mountinfo_cpu_s"] = _reread_cpu(sb.pid, "mountinfo", repeats)
        log(f"   a full re-read + diff: {point['reread_listmount_cpu_s']:.2f} s CPU (listmount), "
            f"{point['reread_mountinfo_cpu_s']:.2f} s (mountinfo)")
        point["storms"] = []
        for name, pause in STORMS:
            r = _watch_storm(sb, b"storm-" + name.encode(), pause)
            r["name"] = name
            for peer in ("listmount", "mountinfo"):
                r[f"ratio_{peer}"] = r["watch_cpu_s"] / (r["wakeups"] * point[f"reread_{peer}_cpu_s"])
            point["storms"].append(r)
            log(f"   {name}: {r['wakeups']} wake-ups ({r['checks']} checks, {r['check_cpu_s']:.2f} s), watcher "
                f"{r['watch_cpu_s']:.2f} s CPU in {r['wall_s']:.1f} s: {r['ratio_listmount']:.3f} of a listmount "
                f"re-read per wake-up, {r['ratio_mountinfo']:.3f} of a mountinfo one; made {r['made']}, seen "
                f"{r['seen']}, invented {r['invented']}, doubled {r['duplicated']}, missed {r['missed']}, "
                f"pairs inside a wake-up {r['missed_pairs']}")
        return point


def run(cfg: Config) -> dict[str, Any]:
    from .live import sandbox_sizes

    res: dict[str, Any] = {"machine": machine(), "quick": cfg.quick, "load_before": os.getloadavg()}
    try:
        with open("/proc/sys/fs/mount-max") as f:
            res["mount_max"] = int(f.read())
    except (OSError, ValueError):
        res["mount_max"] = None
    sizes, why = sandbox_sizes([10_000] if cfg.quick else [100_000])
    res["points"] = []
    if why is not None:
        res["skipped"] = why
    for n in sizes:
        cfg.log(f" storm of 1,000 mounts and umounts on {n:,} mounts")
        res["points"].append(storm_point(n, 3, cfg.log))
    res["load_after"] = os.getloadavg()
    return res


def render(res: dict[str, Any], out: Path) -> Section:
    md = [f"Machine: {machine_line(res['machine'])}; load average {res['load_before'][0]:.1f} before, "
          f"{res['load_after'][0]:.1f} after (2 cores shared with other work); fs.mount-max "
          f"{res.get('mount_max')}.", "",
          "A storm of 1,000 tmpfs mounts and 1,000 umounts (at most 9 up at once, half of the umounts lazy) "
          "made by the sandbox's worker as fast as it can (*burst*) or with 2 ms after each mount (*paced*), "
          "each watched by a new `watch(pid, source=\"poll\", "
          "min_interval=0)` in another process. The watcher's CPU (its thread's user + system time, from "
          "the storm's start until it has reported everything, the owed check at the end included) is "
          "divided by its wake-ups times the CPU of one full re-read and diff, measured in the same run: "
          "as the `reread` source makes it (listmount + statmount of every mount) and, the cheaper peer, "
          "a mountinfo read, parse and diff. The accounting is the soak's: the storm's operations "
          "against the watch's events per mount point. See `benchmarks/watch.py`.", ""]
    rows, summary = [], []
    for p in res["points"]:
        for r in p["storms"]:
            rows.append([r["name"], f"{r['table']:,}", r["wakeups"], f"{r['checks']} ({r['check_cpu_s']:.2f} s)",
                         f"{r['watch_cpu_s']:.2f} s in {r['wall_s']:.0f} s",
                         f"{p['reread_listmount_cpu_s']:.2f} s / {p['reread_mountinfo_cpu_s']:.2f} s",
                         f"{r['ratio_listmount']:.1%} / {r['ratio_mountinfo']:.1%}",
                         "met" if r["ratio_mountinfo"] <= TARGET else "**not met**",
                         f"{r['made']} made, {r['seen']} seen; invented {r['invented']}, doubled "
                         f"{r['duplicated']}, missed {r['missed']}, pairs inside one wake-up {r['missed_pairs']}"])
            summary.append(f"watch ({r['name']} storm of 1,000 mounts + 1,000 umounts on {r['table']:,} mounts): "
                           f"the watcher's CPU is {r['ratio_mountinfo']:.1%} of a mountinfo re-read per wake-up "
                           f"({r['ratio_listmount']:.1%} of a listmount one; target ≤ 10%) over {r['wakeups']} "
                           f"wake-ups; invented {r['invented']}, doubled {r['duplicated']}, missed {r['missed']}")
    md += [md_table(["storm", "mounts", "wake-ups", "checks (CPU)", "watcher CPU", "one re-read + diff "
                     "(listmount / mountinfo)", "watcher ÷ re-read per wake-up (listmount / mountinfo)",
                     f"≤ {TARGET:.0%}", "accounting"], rows)]
    if res.get("mount_max") and res["points"]:
        md += ["", f"`fs.mount-max` is {res['mount_max']:,} here: the table is "
                   f"{res['points'][0]['storms'][0]['table']:,} mounts, not 100,000. A check is the owed look at "
                   "what ids cannot show (the mountinfo lines against the last ones); a mount made and unmounted "
                   "inside one wake-up is seen by no poll watcher (findmnt's neither)."]
    if res.get("skipped"):
        md += ["", f"Skipped: {res['skipped']}."]
    return Section(NAME, TITLE, "\n".join(md), summary)
