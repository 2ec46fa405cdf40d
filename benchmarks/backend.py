"""mountinfo against listmount + statmount on the table shapes that decide between them
(issue 18, item 2), and what ``method="auto"`` picks on each.

Shapes, each a live namespace made in a sandbox (a private mount namespace of a worker
process; ``fs.mount-max`` caps the largest), at 100, 1,000, 10,000 and 100,000 mounts:

* ``flat``: tmpfs mounts side by side (the sandbox's own table);
* ``slave``: a copy of a "host" with every mount made a slave (``unshare -m
  --propagation slave``, as a service or a container gets), the host's mounts in 10
  shared peer groups of n/10 mounts each (a tmpfs and its binds).  The kernel walks
  the master's whole peer group for every slave line of mountinfo
  (``get_dominating_id()``): O(mounts x peers);
* ``containers``: a container host, n/4 overlayfs roots (four lower layers named as
  Docker's overlay2 does: long option strings) with ``/dev``, ``/dev/shm`` and ``/run``
  tmpfs inside each.

Each point times ``snapshot(pid, method=...).table`` (read, parse, the table: what a
caller gets) for ``mountinfo`` and ``listmount`` in turn (A B A B ...), the ratio being
the median of per-pair ratios, then ``method="auto"``: which one it picked, why, and its
time against the faster of the two.  The flat shape also gives the per-line costs the
rule in ``mountcursor.live.backend`` is built on (kernel read, parse, listmount), set
beside the constants there.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any, Callable

from ._common import Config, Section, fmt_s, md_table, median
from .live import machine_note, sandbox_sizes, start

NAME = "backend"
TITLE = "The right backend per table: mountinfo against listmount + statmount"
SHAPES = ("flat", "slave", "containers")
SLOW_S = 10.0  # a point whose first read takes longer is measured by that pair alone


def _table_time(pid: int, method: str) -> Callable[[], float]:
    from mountcursor.live import snapshot

    def run() -> float:
        t = time.perf_counter()
        snapshot(pid, method=method).table  # noqa: B018 -- the table is what is timed
        return time.perf_counter() - t

    return run


def _raw_us_per_line(pid: int, runs: int) -> float:
    """The kernel's time per mountinfo line: a bare read to EOF (fastest of ``runs``)."""
    best = math.inf
    lines = 1
    for _ in range(runs):
        t = time.perf_counter()
        with open(f"/proc/{pid}/mountinfo", "rb", buffering=0) as f:
            data = f.readall()
        best = min(best, time.perf_counter() - t)
        lines = max(1, data.count(b"\n"))
    return best / lines * 1e6


def point(shape: str, n: int, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    from mountcursor.live import snapshot
    from mountcursor.verify.sandbox import Sandbox

    t0 = time.perf_counter()
    with Sandbox(n=n if shape == "flat" else 0, timeout=1800) as sb:  # 25,000 overlay mounts took 822 s here
        pid = sb.pid
        if shape == "slave":
            sb.peer_groups(10, max(1, n // 10))
            pid = sb.slave_copy()
        elif shape == "containers":
            sb.containers(max(1, n // 4))
        made = time.perf_counter() - t0
        mounts = len(snapshot(pid, method="listmount").table)
        mi, lm = _table_time(pid, "mountinfo"), _table_time(pid, "listmount")
        runs = runs if mounts > 20_000 else max(runs, 11 if mounts > 2000 else 31)
        first = (mi(), lm())
        slow = max(first) > SLOW_S  # a read of many seconds: that one pair is the measurement
        pairs = [first] if slow else [(mi(), lm()) for _ in range(runs)]
        res: dict[str, Any] = {
            "shape": shape, "n": n, "mounts": mounts, "made_s": made, "runs": len(pairs),
            "mountinfo_s": median(a for a, _ in pairs), "listmount_s": median(b for _, b in pairs),
            "ratio": median(b / a for a, b in pairs),  # listmount ÷ mountinfo: above 1, mountinfo is faster
            "raw_us_per_line": _raw_us_per_line(pid, 1 if slow else 5 if mounts < 20_000 else 2),
        }
        autos = []
        for _ in range(min(runs, 5)):
            t = time.perf_counter()
            snap = snapshot(pid, method="auto")
            snap.table  # noqa: B018
            autos.append((time.perf_counter() - t, snap.method, snap.note))
        res["auto_s"] = median(a for a, _, _ in autos)
        res["auto_methods"] = sorted({m for _, m, _ in autos})
        res["auto_method"] = max(res["auto_methods"], key=lambda m: sum(1 for _, x, _ in autos if x == m))
        res["auto_note"] = next(note for _, m, note in autos if m == res["auto_method"])
        res["auto_vs_best"] = res["auto_s"] / min(res["mountinfo_s"], res["listmount_s"])
        log(f"   {shape} {mounts:,}: mountinfo {fmt_s(res['mountinfo_s'])}, listmount {fmt_s(res['listmount_s'])} "
            f"(÷ {res['ratio']:.2f}), auto -> {res['auto_method']} ({res['auto_note']}), made in {made:.1f} s")
        return res


def run(cfg: Config) -> dict[str, Any]:
    runs, res = start(cfg)
    sizes, why = sandbox_sizes([100, 1000, 10_000] if cfg.quick else [100, 1000, 10_000, 100_000])
    res["points"] = []
    if why is not None:
        res["skipped"] = why
    from mountcursor.verify.sandbox import SandboxError

    res["failed"] = []
    for shape in SHAPES:
        for n in sizes:
            cfg.log(f" {shape}, {n:,} mounts")
            try:
                res["points"].append(point(shape, n, runs, cfg.log))
            except SandboxError as err:  # a shape too slow to build on this machine: said, not fatal
                cfg.log(f"   {shape} {n:,}: {err}")
                res["failed"].append(f"{shape} at {n:,} mounts: {err}")
    from mountcursor.live import backend

    res["constants"] = {"FLAT_LINE_US": backend.FLAT_LINE_US, "PARSE_LINE_US": backend.PARSE_LINE_US,
                        "LISTMOUNT_US": backend.LISTMOUNT_US, "MARGIN": backend.MARGIN}
    res["load_after"] = os.getloadavg()
    return res


# ---- the report -----------------------------------------------------------------------------


def crossover(points: list[dict[str, Any]]) -> float | None:
    """The mount count where listmount ÷ mountinfo crosses 1 (log-log between the two
    measured points around it), or ``None`` if it does not within the points."""
    pts = sorted((p["mounts"], p["ratio"]) for p in points)
    for (n0, r0), (n1, r1) in zip(pts, pts[1:]):
        if (r0 - 1) * (r1 - 1) <= 0 and r0 != r1:
            a, b = math.log(r0), math.log(r1)
            return math.exp(math.log(n0) + (math.log(n1) - math.log(n0)) * (0 - a) / (b - a))
    return None


def derived(points: list[dict[str, Any]]) -> dict[str, float] | None:
    """The per-line costs the rule uses, from the largest flat point."""
    flat = [p for p in points if p["shape"] == "flat"]
    if not flat:
        return None
    p = max(flat, key=lambda q: q["mounts"])
    raw = p["raw_us_per_line"]
    return {"mounts": p["mounts"], "FLAT_LINE_US": raw,
            "PARSE_LINE_US": p["mountinfo_s"] / p["mounts"] * 1e6 - raw,
            "LISTMOUNT_US": p["listmount_s"] / p["mounts"] * 1e6}


def _plot(points: list[dict[str, Any]], out: Path, machine: dict[str, Any]) -> str:
    from ._common import pyplot, save_fig

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for shape, marker in zip(SHAPES, "osD"):
        pts = sorted((p["mounts"], p["ratio"], p["auto_method"]) for p in points if p["shape"] == shape)
        if not pts:
            continue
        line, = ax.plot([x for x, _, _ in pts], [r for _, r, _ in pts], marker=marker, label=shape)
        for x, r, chose in pts:
            ax.annotate("L" if chose == "listmount" else "M", (x, r), textcoords="offset points", xytext=(4, 4),
                        fontsize=7, color=line.get_color())
    ax.axhline(1.0, color="black", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mounts in the namespace read")
    ax.set_ylabel("listmount+statmount ÷ mountinfo (time to a table)")
    ax.set_title(f"Below 1 listmount is faster; letters: what auto picked "
                 f"({machine['cores']} cores, kernel {machine['kernel']})", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return save_fig(fig, out, "backend.png")


def render(res: dict[str, Any], out: Path) -> Section:
    points = res["points"]
    md = [machine_note(res), "",
          "Each row: `snapshot(pid, method=...).table` timed for both methods in turn, median of "
          f"the per-pair ratios; `auto` timed apart (up to 5 runs), its pick and its reason as "
          "`Snapshot.note` gives it. *slave*: an rslave copy of a host whose mounts are 10 peer groups "
          "of n/10; *containers*: n/4 overlayfs roots, 4 mounts each. See `benchmarks/backend.py`.", ""]
    plots = []
    if points:
        plots.append(_plot(points, out, res["machine"]))
        md += ["![backend](backend.png)", ""]
    rows = []
    for p in points:
        best = "listmount" if p["listmount_s"] < p["mountinfo_s"] else "mountinfo"
        rows.append([p["shape"], f"{p['mounts']:,}", fmt_s(p["mountinfo_s"]), fmt_s(p["listmount_s"]),
                     f"{p['ratio']:.2f}×", f"{p['raw_us_per_line']:.2f}", best,
                     p["auto_method"] + ("" if p["auto_method"] == best else " **(not the faster)**"),
                     f"{p['auto_vs_best']:.2f}×", p["auto_note"]])
    md += [md_table(["shape", "mounts", "mountinfo", "listmount", "listmount ÷ mountinfo",
                     "kernel µs/line", "faster", "auto picked", "auto ÷ faster", "auto's reason"], rows), ""]
    summary_bits = []
    for shape in SHAPES:
        cross = crossover([p for p in points if p["shape"] == shape])
        text = f"about {cross:,.0f} mounts" if cross else "none between the sizes measured"
        md.append(f"- crossover, {shape}: {text}")
        summary_bits.append(f"{shape} {text}")
    d = derived(points)
    if d:
        c = res.get("constants", {})
        md += ["", f"Per-line costs from the flat table of {d['mounts']:,} mounts, against the constants of "
               "`mountcursor.live.backend` that the rule uses: kernel read "
               f"{d['FLAT_LINE_US']:.2f} µs (constant {c.get('FLAT_LINE_US')}), parse to a table "
               f"{d['PARSE_LINE_US']:.2f} µs ({c.get('PARSE_LINE_US')}), listmount + statmount + entry "
               f"{d['LISTMOUNT_US']:.2f} µs ({c.get('LISTMOUNT_US')}); margin {c.get('MARGIN')}."]
    if res.get("skipped"):
        md += ["", f"Skipped: {res['skipped']}."]
    for failed in res.get("failed", []):
        md += ["", f"Not measured: {failed}."]
    wrong = [p for p in points if p["auto_method"] != ("listmount" if p["listmount_s"] < p["mountinfo_s"]
                                                       else "mountinfo")]
    summary = [f"backend: crossover (listmount faster above) {'; '.join(summary_bits)}; auto picked the faster "
               f"in {len(points) - len(wrong)} of {len(points)} points"
               + (" (the others: " + ", ".join(f"{p['shape']} {p['mounts']:,} at {p['ratio']:.2f}×" for p in wrong)
                  + ")" if wrong else "")]
    return Section(NAME, TITLE, "\n".join(md), summary, plots)
