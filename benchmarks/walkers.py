"""Benchmark 2: what parked cursors cost the other walkers of ``ns->list``.

A 1,000-mount namespace; K readers (K = 0, 10, 100, 1,000, 10,000; ``--quick``
stops at 1,000) open ``mountinfo`` with the mainline ``cursor`` strategy and read
it with 4096-byte reads into the middle half of the table, then stop: each leaves
its cursor in the list.  Reader i stops a little earlier in the table than reader
i-1, so a new reader never has to hop over the cursors parked before it (parking
costs O(K) instead of O(K^2)).

Then each walker is timed with arguments that make it walk the whole list (as it
does when nothing matches):

- ``is_local_mountpoint(ns, root sb, "/nonexistent")``;
- ``mnt_already_visible(ns, "proc")`` (no proc is mounted);
- ``sync_collect_filesystems(ns)`` (every superblock; the model's
  ``sync_filesystem_collected`` is a linear scan of what was collected, so this
  walker is O(N^2) in N and the cursors add only O(K) to it).

Every walker skips a cursor with ``mnt_is_cursor`` in the loop, so K cursors add K
loop iterations; the benchmark shows how much that is next to the N mounts.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from mountcursor.kernel import open_proc
from mountcursor.kernel.walkers import is_local_mountpoint, mnt_already_visible, sync_collect_filesystems

from ._common import (
    Config, Section, build_table, fmt_s, fmt_x, machine, machine_line, md_table, median, pyplot,
    save_fig, spread,
)

NAME = "walkers"
TITLE = "2. Cursor cost on the other walkers"
MOUNTS = 1000
READ_SIZE = 4096
MIN_SAMPLE_S = 0.05  # each timing sample loops a walker for at least this long


def _walkers(t: Any) -> dict[str, Callable[[], Any]]:
    ns = t.ns
    root_sb = ns.root.mnt.mnt_sb
    return {
        "is_local_mountpoint": lambda: is_local_mountpoint(ns, root_sb, b"/nonexistent"),
        "mnt_already_visible": lambda: mnt_already_visible(ns, b"proc"),
        "sync_collect_filesystems": lambda: sync_collect_filesystems(ns),
    }


def _per_call(fn: Callable[[], Any], samples: int) -> tuple[float, list[float]]:
    """Median seconds per call over ``samples`` samples of a calibrated loop."""
    loops = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        dt = time.perf_counter() - t0
        if dt >= MIN_SAMPLE_S:
            break
        loops *= 2
    ts = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        ts.append((time.perf_counter() - t0) / loops)
    return median(ts), ts


def run(cfg: Config) -> dict[str, Any]:
    ks = [0, 10, 100, 1000] + ([] if cfg.quick else [10_000])
    t = build_table(MOUNTS)
    ns = t.ns
    with open_proc(ns, "mountinfo", strategy="cursor") as f:
        total = len(f.read_all(READ_SIZE))
    walkers = _walkers(t)
    # sanity: nothing matches, so every walker goes through the whole list
    assert not walkers["is_local_mountpoint"]() and not walkers["mnt_already_visible"]()
    nsb = len(walkers["sync_collect_filesystems"]())
    readers: list[Any] = []
    samples = max(9, 3 * cfg.repeats)
    points = []
    park_s = 0.0
    for k in ks:
        t0 = time.perf_counter()
        while len(readers) < k:
            i = len(readers)
            stop_at = int(total * (0.75 - 0.5 * i / ks[-1]))  # the middle half, descending
            f = open_proc(ns, "mountinfo", strategy="cursor", semantics="modern")
            got = 0
            while got < stop_at:
                got += len(f.read(READ_SIZE))
            readers.append(f)
        park_s += time.perf_counter() - t0
        assert len(ns.cursors()) == k, (len(ns.cursors()), k)
        pt: dict[str, Any] = {"k": k}
        for name, fn in walkers.items():
            m, ts = _per_call(fn, samples)
            pt[name] = {"time_s": m, "times": ts, "spread": spread(ts)}
        points.append(pt)
        cfg.log(f"  K={k}: " + "  ".join(f"{n}={fmt_s(pt[n]['time_s'])}" for n in walkers)
                + f"  (parking so far {park_s:.1f} s)")
    for f in readers:
        f.close()
    assert not ns.cursors()
    return {"machine": machine(), "quick": cfg.quick, "mounts": t.n, "superblocks": nsb, "table_bytes": total,
            "samples": samples, "ks": ks, "walkers": list(walkers), "points": points, "park_s": park_s}


def render(res: dict[str, Any], out: Any) -> Section:
    plt = pyplot()
    pts = res["points"]
    base = pts[0]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for name in res["walkers"]:
        ks = [p["k"] for p in pts]
        axes[0].plot(ks, [p[name]["time_s"] * 1e3 for p in pts], marker="o", ms=3, label=name)
        axes[1].plot(ks, [p[name]["time_s"] / base[name]["time_s"] for p in pts], marker="o", ms=3, label=name)
    for ax in axes:
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlabel("K readers parked mid-table (cursors in the list)")
        ax.grid(True, alpha=0.3)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("time per call [ms], median")
    axes[1].set_ylabel("time / time at K=0")
    axes[1].legend(fontsize=8)
    fig.suptitle(f"Walkers of a {res['mounts']:,}-mount namespace vs parked cursors")
    plot = save_fig(fig, out, "walkers.png")

    rows = []
    for name in res["walkers"]:
        t0 = base[name]["time_s"]
        for p in pts:
            dt = p[name]["time_s"] - t0
            rows.append([f"`{name}`", f"{p['k']:,}", fmt_s(p[name]["time_s"]), fmt_x(p[name]["time_s"] / t0),
                         f"{dt / p['k'] * 1e9:.0f} ns" if p["k"] >= 1000 else "—", f"{p[name]['spread']:.0%}"])
    md = [
        f"Machine: {machine_line(res['machine'])}.",
        "",
        f"A namespace of {res['mounts']:,} tmpfs mounts ({res['table_bytes']:,} bytes of mountinfo). K readers "
        "(`cursor`, modern) each read it with 4096-byte reads into the middle half of the table and stop, "
        "leaving K cursors in the list. Each walker is called with arguments that match nothing, so it walks "
        f"the whole list; a point is the median of {res['samples']} samples (each a loop of at least "
        f"{MIN_SAMPLE_S * 1e3:.0f} ms). Parking the readers took {res['park_s']:.0f} s in all (not measured).",
        "",
        f"![walkers]({plot})",
        "",
        md_table(["walker", "K", "time per call", "vs K=0", "extra per cursor", "spread"], rows),
        "",
        "*Extra per cursor* is (time at K − time at K=0) / K, given from K = 1,000 on (below that the "
        "difference is within the noise); *spread* is (max − min) / median of the samples.",
        "",
        f"`sync_collect_filesystems` collects {res['superblocks']:,} superblocks and checks each new one "
        "against those collected (a linear scan), so its cost is dominated by that O(N²) check, "
        "not by the walk.",
    ]
    kmax = pts[-1]
    summary = ["walkers: at K=" + f"{kmax['k']:,} cursors on {res['mounts']:,} mounts, time vs K=0: "
               + ", ".join(f"{n} {fmt_x(kmax[n]['time_s'] / base[n]['time_s'])}" for n in res["walkers"])]
    return Section(NAME, TITLE, "\n".join(md), summary, [plot])
