"""Benchmark 1: the cost of reading a table of N mounts to EOF, per iteration strategy.

For every strategy on its natural seq_file semantics (all seven on ``modern``, the
seed's three ``cursor-vz*`` also on ``legacy``, the 3.10 seq_file they were
written for), one reader opens the model's ``mountinfo`` and reads it to EOF
with 4096-byte reads, as ``cat`` does.  *Steps* are ``ns.hops``: list hops
(``seq_list_start``/``seq_list_next``, ``mnt_list_next``) or id-tree steps
(``mnt_find_id_at`` counts log2 N, ``rb_next`` one); *time* is the wall time of the
``read`` calls only (the median over repeats).

With churn, every gap between two reads, while the reader is inside the table it
opened, unmounts one leaf the reader has already passed and mounts a new one at
the tail (table size stays N).  Each change bumps
``ns->event``, so the pre-5.8 ``index`` loses its cached position and re-walks the
list from the head to ``*pos`` on every read: quadratic.  The cursors resume in front
of their cursor (O(1)) and the id tree looks the position up (O(log N)).

A point whose single run is predicted (from the series' last two points) to take
more than ``POINT_BUDGET_S`` is not run; its steps and time are extrapolated along
the fitted power law and marked as such.
"""

from __future__ import annotations

import time
from typing import Any

from mountcursor.kernel import STRATEGIES, open_proc

from ._common import (
    FAMILIES, Config, Section, build_table, churn_step, family, fmt_n, fmt_s, fmt_x, log_spaced, loglog_slope,
    machine, machine_line, md_table, median, pyplot, save_fig, spread,
)

NAME = "growth"
TITLE = "1. Cost growth per strategy (model)"
READ_SIZE = 4096
POINT_BUDGET_S = 20.0
FIT_FROM = 1000  # fit slopes on N >= this (below it fixed costs flatten the curve)
LEGACY = ("cursor-vz", "cursor-vz-id", "cursor-vz-fixed")


def configs() -> list[tuple[str, str]]:
    return [(s, "modern") for s in STRATEGIES] + [(s, "legacy") for s in LEGACY]


def read_to_eof(table: Any, strategy: str, semantics: str, churn: bool) -> dict[str, Any]:
    """One reader, 4096-byte reads to EOF, churn in the gaps if asked."""
    ns = table.ns
    h0 = ns.hops
    f = open_proc(ns, "mountinfo", strategy=strategy, semantics=semantics)
    spent = 0.0
    reads = lines = nbytes = 0
    limit = 4 * table.n + 100  # a livelocked reader is cut off (none is expected here)
    initial = table.n + 1  # lines at open: "/" and the N tmpfs mounts
    while reads < limit:
        t0 = time.perf_counter()
        chunk = f.read(READ_SIZE)
        spent += time.perf_counter() - t0
        reads += 1
        if not chunk:
            break
        nbytes += len(chunk)
        lines += chunk.count(b"\n")
        if churn and lines < initial:
            # churn only while the reader is inside the table it opened: past it, a
            # mount added at each gap would be read by the next read, forever
            # (idtree and cursor promise to show mounts added at the tail)
            churn_step(table, lines - 2)
    f.close()
    return {"time_s": spent, "hops": ns.hops - h0, "reads": reads, "lines": lines, "bytes": nbytes,
            "eof": reads < limit}


def _predict(points: list[dict[str, Any]], n: int, key: str) -> float:
    """Extrapolate ``key`` to ``n`` along the last two points (power law; slope >= 1)."""
    last = points[-1]
    slope = 1.0
    if len(points) >= 2:
        s = loglog_slope([p["n"] for p in points[-2:]], [p[key] for p in points[-2:]])
        slope = max(1.0, s or 1.0)
    return last[key] * (n / last["n"]) ** slope


def run(cfg: Config) -> dict[str, Any]:
    ns_sizes = log_spaced(100, 10_000 if cfg.quick else 100_000, per_decade=2)
    series: dict[tuple[str, str, bool], list[dict[str, Any]]] = {
        (s, sem, ch): [] for ch in (False, True) for s, sem in configs()}
    build_s: dict[int, float] = {}
    skipped: list[str] = []
    for n in ns_sizes:
        t0 = time.perf_counter()
        table = build_table(n)
        build_s[n] = time.perf_counter() - t0
        cfg.log(f"  N={n}: table built in {build_s[n]:.1f} s")
        todo = []
        for (s, sem, ch), pts in series.items():  # no-churn series first, then churn
            measured = [p for p in pts if not p["extrapolated"]]
            if measured and (measured[-1].get("skip_rest") or
                             _predict(measured, n, "time_s") > POINT_BUDGET_S):
                pts.append({"n": n, "extrapolated": True,
                            "time_s": _predict(measured, n, "time_s"),
                            "hops": _predict(measured, n, "hops")})
                if measured[-1].get("skip_rest") is None:
                    skipped.append(f"{s}/{sem}{' churn' if ch else ''} N={n}")
                measured[-1]["skip_rest"] = True
                continue
            todo.append((s, sem, ch))
        # repeats round-robin over the series, so a burst of noise hits one run of many
        # series rather than every run of one
        runs: dict[tuple[str, str, bool], list[dict[str, Any]]] = {key: [] for key in todo}
        for _ in range(cfg.repeats):
            for key in todo:
                runs[key].append(read_to_eof(table, *key))
        for key, rs in runs.items():
            ts = [r["time_s"] for r in rs]
            series[key].append({"n": n, "extrapolated": False, "time_s": median(ts), "times": ts,
                                "spread": spread(ts), "hops": median(r["hops"] for r in rs),
                                "reads": rs[0]["reads"], "lines": rs[0]["lines"], "bytes": rs[0]["bytes"],
                                "eof": all(r["eof"] for r in rs)})
        row = [f"{s}{'/L' if sem == 'legacy' else ''}{'+c' if ch else ''}:{fmt_s(pts[-1]['time_s'])}"
               for (s, sem, ch), pts in series.items() if s in ("index", "cursor", "idtree")]
        cfg.log("    " + "  ".join(row))
    out_series = []
    for (s, sem, ch), pts in series.items():
        for p in pts:
            p.pop("skip_rest", None)
        fit = [p for p in pts if not p["extrapolated"] and p["n"] >= FIT_FROM]
        out_series.append({
            "strategy": s, "semantics": sem, "churn": ch, "points": pts,
            "slope_hops": loglog_slope([p["n"] for p in fit], [p["hops"] for p in fit]),
            "slope_time": loglog_slope([p["n"] for p in fit], [p["time_s"] for p in fit]),
            "slope_time_top": loglog_slope([p["n"] for p in fit[-2:]], [p["time_s"] for p in fit[-2:]]),
        })
    return {"machine": machine(), "quick": cfg.quick, "repeats": cfg.repeats, "read_size": READ_SIZE,
            "sizes": ns_sizes, "build_s": build_s, "skipped": skipped, "fit_from": FIT_FROM,
            "point_budget_s": POINT_BUDGET_S, "series": out_series}


def _label(s: dict[str, Any]) -> str:
    return f"{s['strategy']}{' (legacy)' if s['semantics'] == 'legacy' else ''}"


def _plot_families(plt: Any, ax: Any, series: list[dict[str, Any]], key: str) -> None:
    """One line per family of strategies (:func:`._common.family`) and semantics: the median
    of its members at each N, their spread shaded (the members coincide, so it is thin);
    legacy dashed.  Extrapolated points are dotted."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in series:
        groups.setdefault((family(s["strategy"]), s["semantics"]), []).append(s)
    colours = {f: plt.get_cmap("tab10")(i) for i, f in enumerate(dict.fromkeys(FAMILIES.values()))}
    for (fam, sem), members in groups.items():
        ns = sorted({p["n"] for m in members for p in m["points"]})
        at = [[{p["n"]: p for p in m["points"]}.get(n) for m in members] for n in ns]
        xs, mid, lo, hi, ext = [], [], [], [], []
        for n, ps in zip(ns, at):
            vals = [p[key] for p in ps if p is not None]
            if not vals:
                continue
            xs.append(n)
            mid.append(median(vals))
            lo.append(min(vals))
            hi.append(max(vals))
            ext.append(any(p is not None and p["extrapolated"] for p in ps))
        colour = colours.get(fam)
        meas = [i for i, e in enumerate(ext) if not e]
        label = f"{fam}, {sem}" + (f" ({len(members)} strategies)" if len(members) > 1 else "")
        ax.plot([xs[i] for i in meas], [mid[i] for i in meas], "--" if sem == "legacy" else "-", marker="o",
                ms=3, color=colour, label=label, lw=1.3)
        if len(members) > 1:
            ax.fill_between([xs[i] for i in meas], [lo[i] for i in meas], [hi[i] for i in meas], color=colour,
                            alpha=0.2, lw=0)
        if meas and len(meas) < len(xs):
            j = meas[-1]
            ax.plot(xs[j:], mid[j:], ":", marker="x", ms=4, color=colour, lw=1)


def _slope(x: Any) -> str:
    return "—" if x is None else f"{x:.2f}"


def render(res: dict[str, Any], out: Any) -> Section:
    plt = pyplot()
    plots = []
    for key, ylabel, fname in (("hops", "list hops / tree steps per read to EOF", "growth_steps.png"),
                               ("time_s", "time to read to EOF [s], median", "growth_time.png")):
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), sharey=True)
        for ax, ch in zip(axes, (False, True)):
            _plot_families(plt, ax, [x for x in res["series"] if x["churn"] == ch], key)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("mounts in the table (N)")
            ax.set_title("churn between reads" if ch else "no churn")
            ax.grid(True, which="major", alpha=0.3)
        axes[0].set_ylabel(ylabel)
        axes[1].legend(fontsize=7, loc="upper left")
        fig.suptitle(f"Reading mountinfo to EOF with {res['read_size']}-byte reads"
                     + ("  (dotted: extrapolated)" if res["skipped"] else ""))
        plots.append(save_fig(fig, out, fname))

    by = {(s["strategy"], s["semantics"], s["churn"]): s for s in res["series"]}
    big = max(p["n"] for s in res["series"] for p in s["points"] if not p["extrapolated"])
    rows = []
    for (st, sem, ch), s in by.items():
        at = {p["n"]: p for p in s["points"]}
        ref = by[("cursor", "modern", False)]["points"]
        ref_at = {p["n"]: p for p in ref}
        p = at.get(big)
        rows.append([
            f"`{st}`", sem, "yes" if ch else "no", _slope(s["slope_hops"]), _slope(s["slope_time"]),
            _slope(s.get("slope_time_top")),
            (fmt_n(p["hops"]) + (" (extrap.)" if p["extrapolated"] else "")) if p else "—",
            f"{p['hops'] / big:.2f}" if p else "—",
            fmt_x(p["time_s"] / ref_at[big]["time_s"]) if p and big in ref_at else "—",
        ])
    md = [
        f"Machine: {machine_line(res['machine'])}.",
        "",
        f"One reader reads the model's `mountinfo` to EOF with {res['read_size']}-byte reads; N from "
        f"{res['sizes'][0]:,} to {res['sizes'][-1]:,} (log-spaced), median of {res['repeats']} runs a point. "
        "*Steps* are `ns.hops` (list hops, or id-tree steps: `mnt_find_id_at` counts log2 N, "
        "`rb_next` one). *Churn*: between every two reads one leaf the reader has passed is "
        "unmounted and a new one mounted at the tail. Slopes are least-squares fits of "
        f"log(steps) and log(time) against log(N) over the measured points with N ≥ {res['fit_from']:,}; "
        "*top* fits the last two measured points only (where the quadratic term has overtaken the "
        "linear cost of rendering). Repeats go round-robin over the series, so a burst of noise on "
        "this shared machine hits one run of many series rather than every run of one.",
        "",
        "![steps](growth_steps.png)",
        "",
        "![time](growth_time.png)",
        "",
        f"Slopes, steps per mount and time relative to `cursor` (modern, no churn) at N = {big:,}:",
        "",
        md_table(["strategy", "semantics", "churn", "slope (steps)", "slope (time)", "slope (time, top)",
                  f"steps at N={big:,}", "steps / N", "time vs cursor"], rows),
        "",
    ]
    if res["skipped"]:
        md += [f"Not run (a single run was predicted to take more than {res['point_budget_s']:.0f} s; "
               "extrapolated along the last two points, dotted in the plots): "
               + ", ".join(res["skipped"]) + ".", ""]
    else:
        md += [f"Every point ran (none was predicted to exceed {res['point_budget_s']:.0f} s).", ""]
    noisy = [(s, p) for s in res["series"] for p in s["points"]
             if not p["extrapolated"] and p["spread"] > 0.5 and p["time_s"] > 0.01]
    md += [
        "Table build time (the model's `mount`, two-level layout, not part of any measurement): "
        + ", ".join(f"N={int(n):,}: {fmt_s(t)}" for n, t in res["build_s"].items()) + ".",
        "",
        f"Points whose runs spread more than 50 % around the median: {len(noisy)}"
        + (" (" + ", ".join(f"{_label(s)}{'+churn' if s['churn'] else ''} N={p['n']:,}" for s, p in noisy[:8])
           + ("…" if len(noisy) > 8 else "") + ")" if noisy else "") + ".",
    ]
    ic = by[("index", "modern", True)]
    cc = by[("cursor", "modern", True)]
    it = by[("idtree", "modern", True)]
    summary = [f"growth: slopes (steps/time) with churn: index {_slope(ic['slope_hops'])}/{_slope(ic['slope_time'])}"
               f" (time at the top end {_slope(ic.get('slope_time_top'))}), "
               f"cursor {_slope(cc['slope_hops'])}/{_slope(cc['slope_time'])}, "
               f"idtree {_slope(it['slope_hops'])}/{_slope(it['slope_time'])}"
               + (f"; {len(res['skipped'])} series cut at the {res['point_budget_s']:.0f} s budget" if res["skipped"] else "")]
    return Section(NAME, TITLE, "\n".join(md), summary, plots)
