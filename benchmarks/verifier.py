"""Benchmark 4: verifier throughput, its reductions, ``--jobs`` scaling, and the largest
scope it exhausts in a time budget.

**Throughput.** ``check_cell`` over the default scope (``default_scope()``, what
``mountcursor check`` explores) for every strategy × semantics cell, without
shrinking counterexamples: schedules (runs completed or cut at a state already
explored, or with every step asleep, as ``check`` counts them) and distinct states
per second of CPU time (``time.process_time``: user + system of this process, which
the other jobs on a shared machine do not inflate the way they inflate wall time),
median over repeats.  A failing cell stops each scenario at its first violation, so
it does less work than a holding one; its rate is still a rate.

**Reductions, before and after.** The same cells once more with the explorer's
sleep sets and finished-reader merging off (``reduce=False``: the search as it was
before them, state hashing and symmetry kept), in the same run: the CPU time ratio,
and the verdicts compared cell by cell (they must agree).

**Jobs.** Paired runs of ``check_cells(..., jobs=1)`` and ``jobs=2`` over every cell,
in alternating order.  For each: the wall time, the CPU time of all its processes
(``os.times``, children included), and from :class:`~mountcursor.verify.check.UnitTime`
each process's busy time (the sum of its units' wall time), its CPU time, and the
longest unit.  Two ratios are reported: the measured wall ratio, and the ratio the
CPU accounting gives for two idle cores (``jobs=1``'s CPU time against the CPU time of
the busiest ``jobs=2`` process: what the two walls would be if every process had a
core to itself).  A process's CPU time over its busy time below 100% means it waited
for a core that another job on the machine had; ``/proc/stat``'s steal time is
recorded as well.

**Largest scope in a budget.** Two families of growing scenarios explored on
``idtree``/``modern`` (which holds, so no search stops early), each run in a
forked child that is killed at the budget (60 s; ``--quick``: 10 s):

- ``umount_one(1, n, "s", 100)``: one reader of n short mounts with 100-byte
  reads, one unmount at any moment; n doubles from 8;
- ``churn_both(n, "s", 100, readers=2)``: two readers, two unmounts and a mount;
  n grows by 8 from 8 (4 first).

The largest n whose exploration finished within the budget is reported.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any, Callable, Optional

from mountcursor.kernel import SEMANTICS, STRATEGIES
from mountcursor.verify.check import CheckOptions, UnitTime, check_cell, check_cells
from mountcursor.verify.explorer import Explorer
from mountcursor.verify.scenarios import Scenario, churn_both, default_scope, umount_one

from ._common import (
    Config, Section, fmt_n, machine, machine_line, md_table, median, pyplot, save_fig, spread,
)

NAME = "verifier"
TITLE = "4. Verifier throughput"
SCOPE_STRATEGY = ("idtree", "modern")
CAP_ONE = 8192
CAP_TWO = 128


def _families() -> dict[str, tuple[Callable[[int], Scenario], Callable[[int], int]]]:
    """name -> (scenario for n, next n after n)."""
    return {
        "umount-one (1 reader)": (lambda n: umount_one(1, n, "s", 100), lambda n: 2 * n),
        "two readers + churn": (lambda n: churn_both(n, "s", 100, readers=2), lambda n: 8 if n < 8 else n + 8),
    }


def _explore_child(conn: Any, fam: str, n: int) -> None:
    make, _ = _families()[fam]
    ex = Explorer(*SCOPE_STRATEGY, max_runs=10**12)
    r = ex.explore(make(n))
    conn.send({"schedules": r.schedules + r.pruned, "states": r.states, "elapsed_s": r.elapsed,
               "exhausted": r.exhausted, "holds": r.holds})
    conn.close()


def explore_bounded(fam: str, n: int, budget: float) -> Optional[dict[str, Any]]:
    """Explore family ``fam`` at ``n`` in a child process; None if it ran past ``budget``."""
    ctx = multiprocessing.get_context("fork")
    rx, tx = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_explore_child, args=(tx, fam, n), daemon=True)
    t0 = time.perf_counter()
    p.start()
    tx.close()
    got = rx.poll(budget)
    res = rx.recv() if got else None
    if res is None:
        p.terminate()
    p.join(5)
    if res is not None:
        res["wall_s"] = time.perf_counter() - t0
    return res


def _cpu_cell(s: str, sem: str, scope: list[Scenario], reduce: bool) -> tuple[float, Any]:
    c0 = time.process_time()
    c = check_cell(s, sem, scope, shrink_traces=False, reduce=reduce)
    return time.process_time() - c0, c


def _steal() -> int:
    """Steal time so far (ticks, all CPUs; ``/proc/stat``): time the hypervisor ran someone else."""
    try:
        with open("/proc/stat") as f:
            return int(f.readline().split()[8])
    except (OSError, IndexError, ValueError):
        return 0


def jobs_run(pairs: list[tuple[str, str]], scope: list[Scenario], jobs: int) -> dict[str, Any]:
    """One ``check_cells`` run with its CPU accounting (see the module docstring)."""
    tm: list[UnitTime] = []
    load0, st0, t0, c0 = os.getloadavg()[0], _steal(), time.perf_counter(), os.times()
    check_cells(pairs, scope, jobs=jobs, timings=tm, options=CheckOptions(shrink_traces=False))
    wall, c1 = time.perf_counter() - t0, os.times()
    cpu = sum(getattr(c1, f) - getattr(c0, f) for f in ("user", "system", "children_user", "children_system"))
    start = min(u.start for u in tm)
    procs: dict[int, dict[str, float]] = {}
    for u in tm:
        w = procs.setdefault(u.worker, {"units": 0, "busy_s": 0.0, "cpu_s": 0.0, "end_s": 0.0})
        w["units"] += 1
        w["busy_s"] += u.end - u.start
        w["cpu_s"] += u.cpu
        w["end_s"] = max(w["end_s"], u.end - start)
    return {"jobs": jobs, "wall_s": wall, "cpu_s": cpu, "units_cpu_s": sum(u.cpu for u in tm),
            "longest_unit_s": max(u.cpu for u in tm), "span_s": max(u.end for u in tm) - start,
            "workers": sorted(procs.values(), key=lambda w: -w["cpu_s"]),
            "load": [round(load0, 2), round(os.getloadavg()[0], 2)],
            "steal_s": (_steal() - st0) / os.sysconf("SC_CLK_TCK")}


def run(cfg: Config) -> dict[str, Any]:
    scope = default_scope()
    repeats = 1 if cfg.quick else cfg.repeats
    cells = []
    for s in STRATEGIES:
        for sem in SEMANTICS:
            runs = [_cpu_cell(s, sem, scope, True) for _ in range(repeats)]
            ts = [t for t, _ in runs]
            c = runs[0][1]
            m = median(ts)
            before_s, b = _cpu_cell(s, sem, scope, False)
            cells.append({"strategy": s, "semantics": sem, "holds": c.holds, "violated": c.violated,
                          "schedules": c.schedules, "states": c.states, "cpu_s": m, "times": ts,
                          "spread": spread(ts), "schedules_per_s": c.schedules / m, "states_per_s": c.states / m,
                          "before": {"schedules": b.schedules, "states": b.states, "cpu_s": before_s,
                                     "violated": b.violated, "same_verdict": b.violated == c.violated}})
            cfg.log(f"  {s}/{sem}: {c.schedules} schedules, {c.states} states in {m:.2f} s of CPU "
                    f"({c.schedules / m:,.0f}/s, {c.states / m:,.0f} states/s); without the reductions "
                    f"{b.schedules} schedules, {b.states} states, {before_s:.2f} s")
    # the same work (no shrinking) as one queue of (cell, scenario) units: one process, then two
    pairs = [(c["strategy"], c["semantics"]) for c in cells]
    jobs = []
    for k in range(1 if cfg.quick else cfg.repeats):
        pair = {}
        for n in ((1, 2) if k % 2 == 0 else (2, 1)):
            pair[str(n)] = jobs_run(pairs, scope, n)
        one, two = pair["1"], pair["2"]
        pair["wall_ratio"] = one["wall_s"] / two["wall_s"]
        pair["cpu_ratio"] = one["cpu_s"] / two["workers"][0]["cpu_s"]
        jobs.append(pair)
        cfg.log(f"  jobs pair {k + 1}: one process {one['wall_s']:.1f} s, two {two['wall_s']:.1f} s "
                f"({pair['wall_ratio']:.2f}x; from CPU time {pair['cpu_ratio']:.2f}x), load {one['load']} / {two['load']}")
    budget = 10.0 if cfg.quick else 60.0
    scopes = {}
    for fam, (_, step) in _families().items():
        cap = CAP_ONE if fam.startswith("umount") else CAP_TWO
        n = 8 if fam.startswith("umount") else 4
        rows = []
        while n <= cap:
            r = explore_bounded(fam, n, budget)
            rows.append({"n": n, **(r or {"timeout": True})})
            cfg.log(f"  {fam} n={n}: " + (f"{r['schedules']} schedules, {r['states']} states, "
                                          f"{r['elapsed_s']:.1f} s" if r else f"over {budget:.0f} s"))
            if r is None:
                break
            n = step(n)
        done = [r for r in rows if not r.get("timeout")]
        scopes[fam] = {"rows": rows, "largest": done[-1] if done else None, "capped": n > cap}
    return {"machine": machine(), "quick": cfg.quick, "repeats": repeats, "scenarios": len(scope),
            "cells": cells, "jobs": jobs, "budget_s": budget, "scope_strategy": "/".join(SCOPE_STRATEGY),
            "scopes": scopes}


def _jobs_reading(jobs: list[dict[str, Any]]) -> str:
    """What the pairs say about where ``jobs=2`` loses against the ideal 2×."""
    twos = [p["2"] for p in jobs]
    busy = min(w["busy_s"] / j["span_s"] for j in twos for w in j["workers"])
    gap = max(max(w["end_s"] for w in j["workers"]) - min(w["end_s"] for w in j["workers"]) for j in twos)
    longest = max(j["longest_unit_s"] / j["units_cpu_s"] for j in twos)
    extra = [p["2"]["cpu_s"] / p["1"]["cpu_s"] - 1 for p in jobs]
    units = [p["2"]["units_cpu_s"] / p["1"]["units_cpu_s"] - 1 for p in jobs]
    parent = [j["cpu_s"] - j["units_cpu_s"] for j in twos]
    ran = [min(w["cpu_s"] / w["busy_s"] for w in j["workers"]) for j in twos]
    best = max(range(len(jobs)), key=lambda i: ran[i])
    return (
        f"Reading: the queue divides evenly. In every `jobs=2` run both processes were busy at least {busy:.0%} "
        f"of it and finished within {gap * 1000:.0f} ms of each other; the longest unit is at most {longest:.1%} of "
        "the total (the critical path is far below half of it), and the units go out longest first. Two "
        f"processes cost {min(extra):.0%} to {max(extra):.0%} more CPU time than one: the same units took "
        f"{min(units):.0%} to {max(units):.0%} more (two processes share this machine's caches and memory), and "
        f"the parent spent {min(parent):.1f} to {max(parent):.1f} s handing out units and taking their results "
        "back. What the wall "
        "clock loses beyond that is time the processes were ready but not running: they ran "
        + ", ".join(f"{r:.0%}" for r in ran) + " of their busy time in the pairs above, the rest went to the "
        "other jobs on this shared machine. That is not in `check`'s hands: this kernel runs with "
        "`sched_autogroup_enabled=1`, which shares CPU time fairly between sessions, so while other sessions "
        "keep the cores busy the two processes of one `check` split one session's share. In the pair where "
        f"they ran {ran[best]:.0%} of the time (load average {jobs[best]['2']['load'][0]:.2f}), the measured "
        f"ratio was {jobs[best]['wall_ratio']:.2f}×; the ratio from CPU time, what two idle cores give, is "
        f"{min(p['cpu_ratio'] for p in jobs):.2f}× to {max(p['cpu_ratio'] for p in jobs):.2f}×.")


def render(res: dict[str, Any], out: Any) -> Section:
    cells = res["cells"]
    tot_sched = sum(c["schedules"] for c in cells)
    tot_states = sum(c["states"] for c in cells)
    tot_s = sum(c["cpu_s"] for c in cells)
    b_sched = sum(c["before"]["schedules"] for c in cells)
    b_states = sum(c["before"]["states"] for c in cells)
    b_s = sum(c["before"]["cpu_s"] for c in cells)
    same = all(c["before"]["same_verdict"] for c in cells)
    rows = [[f"`{c['strategy']}`", c["semantics"], "holds" if c["holds"] else "fails: " + ", ".join(c["violated"]),
             fmt_n(c["schedules"]), fmt_n(c["states"]), f"{c['cpu_s']:.2f} s", fmt_n(c["schedules_per_s"]),
             fmt_n(c["states_per_s"]), f"{c['spread']:.0%}", fmt_n(c["before"]["schedules"]),
             fmt_n(c["before"]["states"]), f"{c['before']['cpu_s'] / c['cpu_s']:.2f}×"] for c in cells]
    rows.append(["**all**", "", "", fmt_n(tot_sched), fmt_n(tot_states), f"{tot_s:.1f} s",
                 fmt_n(tot_sched / tot_s), fmt_n(tot_states / tot_s), "", fmt_n(b_sched), fmt_n(b_states),
                 f"**{b_s / tot_s:.2f}×**"])

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.8), gridspec_kw={"width_ratios": [1.3, 0.8, 1]})
    labels = [f"{c['strategy']}, {c['semantics']}" for c in cells]
    y = range(len(cells))
    axes[0].barh([i - 0.2 for i in y], [c["before"]["cpu_s"] for c in cells], 0.4, label="without the reductions")
    axes[0].barh([i + 0.2 for i in y], [c["cpu_s"] for c in cells], 0.4, label="with sleep sets + finished readers")
    axes[0].set_yticks(list(y), labels, fontsize=7)
    axes[0].invert_yaxis()
    axes[0].set_xlabel("CPU time to explore the cell [s] (one process)")
    axes[0].set_title("default scope, each strategy and seq_file semantics")
    axes[0].legend(fontsize=7)
    axes[0].grid(True, axis="x", alpha=0.3)
    jobs = res.get("jobs", [])
    x = range(len(jobs))
    axes[1].bar([i - 0.2 for i in x], [p["wall_ratio"] for p in jobs], 0.4, label="measured (wall time)")
    axes[1].bar([i + 0.2 for i in x], [p["cpu_ratio"] for p in jobs], 0.4, label="from CPU time (idle cores)")
    axes[1].axhline(2.0, color="grey", ls=":", lw=1)
    axes[1].axhline(1.8, color="tab:red", ls="--", lw=1, label="target 1.8×")
    axes[1].set_xticks(list(x), [f"pair {i + 1}\nload {p['1']['load'][0]:.1f}/{p['2']['load'][0]:.1f}"
                                 for i, p in enumerate(jobs)], fontsize=7)
    axes[1].set_ylabel("jobs=1 time ÷ jobs=2 time")
    axes[1].set_title("check --jobs 2 against --jobs 1")
    axes[1].legend(fontsize=7, loc="lower right")
    axes[1].grid(True, axis="y", alpha=0.3)
    for fam, sc in res["scopes"].items():
        done = [r for r in sc["rows"] if not r.get("timeout")]
        axes[2].plot([r["n"] for r in done], [r["elapsed_s"] for r in done], marker="o", ms=3, label=fam)
    axes[2].axhline(res["budget_s"], color="grey", ls=":", lw=1)
    axes[2].set_xscale("log")
    axes[2].set_yscale("log")
    axes[2].set_xlabel("mounts in the scenario (n)")
    axes[2].set_ylabel("time to explore every schedule [s]")
    axes[2].set_title(f"growing scopes on {res['scope_strategy']} (budget dotted)")
    axes[2].legend(fontsize=8)
    axes[2].grid(True, alpha=0.3)
    plot = save_fig(fig, out, "verifier.png")

    srows = []
    for fam, sc in res["scopes"].items():
        for r in sc["rows"]:
            srows.append([fam, r["n"], "over budget" if r.get("timeout") else "exhausted",
                          "—" if r.get("timeout") else fmt_n(r["schedules"]),
                          "—" if r.get("timeout") else fmt_n(r["states"]),
                          f"> {res['budget_s']:.0f} s" if r.get("timeout") else f"{r['elapsed_s']:.2f} s"])
    jrows = []
    for i, p in enumerate(jobs):
        for n in ("1", "2"):
            j = p[n]
            ws = "; ".join(f"{w['units']} units, busy {w['busy_s']:.1f} s ({w['busy_s'] / j['span_s']:.0%}), "
                           f"CPU {w['cpu_s']:.1f} s ({w['cpu_s'] / w['busy_s']:.0%} of busy)" for w in j["workers"])
            jrows.append([i + 1 if n == "1" else "", n, f"{j['load'][0]:.2f} → {j['load'][1]:.2f}",
                          f"{j['wall_s']:.1f} s", f"{j['cpu_s']:.1f} s", f"{j['longest_unit_s']:.2f} s",
                          f"{j['steal_s']:.1f} s", ws,
                          "" if n == "1" else f"**{p['wall_ratio']:.2f}×** / {p['cpu_ratio']:.2f}×"])
    md = [
        f"Machine: {machine_line(res['machine'])}.",
        "",
        f"`check_cell` over the default scope ({res['scenarios']} scenarios) for every cell, without shrinking, "
        f"one process; median CPU time (user + system) of {res['repeats']} run(s). *Schedules* counts runs that "
        "completed, were cut at an already explored state, or had every step asleep (as `mountcursor check` "
        "reports them); *states* are distinct state hashes. A failing cell stops each scenario at its first "
        "violation. *Before*: the same cell explored in the same run with `reduce=False` (no sleep sets, no "
        "merging of finished readers; state hashing and the symmetry reduction kept), and how much more CPU "
        f"time it took. The verdicts {'agree in every cell' if same else 'DIFFER'}.",
        "",
        f"![verifier]({plot})",
        "",
        md_table(["strategy", "semantics", "verdict", "schedules", "states", "CPU", "schedules/s",
                  "states/s", "spread", "before: schedules", "before: states", "before ÷ after"], rows),
    ]
    if jobs:
        md += [
            "",
            "`check_cells` over every cell (no shrinking) with `jobs=1` and `jobs=2`, in pairs, in alternating "
            "order. *CPU*: all its processes (user + system, children included). Each process's *busy* time is "
            "the sum of its units' wall time (and its share of the run), its *CPU* time how much of that it "
            "actually ran: below 100% it was waiting for a core another job on this shared machine had. The "
            "ratios: measured wall time, and from CPU time (`jobs=1`'s CPU time ÷ the CPU time of the busiest "
            "`jobs=2` process, i.e. the walls if each process had a core to itself). *Longest unit*: the "
            "critical path, against half the total.",
            "",
            md_table(["pair", "jobs", "load (1 min)", "wall", "CPU", "longest unit", "steal", "processes",
                      "jobs=1 ÷ jobs=2: wall / from CPU"], jrows),
            "",
            _jobs_reading(jobs),
        ]
    md += [
        "",
        f"Largest scope exhausted within {res['budget_s']:.0f} s on `{res['scope_strategy']}` (each run in a "
        "child process killed at the budget):",
        "",
        md_table(["family", "n", "result", "schedules", "states", "time"], srows),
    ]
    parts = []
    for fam, sc in res["scopes"].items():
        lg = sc["largest"]
        parts.append(f"{fam}: n={lg['n']} in {lg['elapsed_s']:.0f} s" + (" (cap)" if sc["capped"] else "")
                     if lg else f"{fam}: none")
    jl = ""
    if jobs:
        jl = (f"; jobs=2 ÷ jobs=1 median {median(p['wall_ratio'] for p in jobs):.2f}× measured, "
              f"{median(p['cpu_ratio'] for p in jobs):.2f}× from CPU time")
    summary = [f"verifier: default scope {fmt_n(tot_sched / tot_s)} schedules/s, {fmt_n(tot_states / tot_s)} "
               f"states/s of CPU over {len(cells)} cells, {b_s / tot_s:.2f}× less CPU than without the reductions "
               f"(verdicts {'the same' if same else 'DIFFERENT'}){jl}; largest within {res['budget_s']:.0f} s: "
               + "; ".join(parts)]
    return Section(NAME, TITLE, "\n".join(md), summary, [plot])
