"""Benchmark 4: verifier throughput, and the largest scope it exhausts in a time budget.

**Throughput.** ``check_cell`` over the default scope (``default_scope()``, what
``mountcursor check`` explores) for every strategy × semantics cell, without
shrinking counterexamples: schedules (runs completed or cut at a state already
explored, as ``check`` counts them) and distinct states a second, median over
repeats.  A failing cell stops each scenario at its first violation, so it does
less work than a holding one; its rate is still a rate.

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
import time
from typing import Any, Callable, Optional

from mountcursor.kernel import SEMANTICS, STRATEGIES
from mountcursor.verify.check import check_cell, check_cells
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


def run(cfg: Config) -> dict[str, Any]:
    scope = default_scope()
    repeats = 1 if cfg.quick else cfg.repeats
    cells = []
    for s in STRATEGIES:
        for sem in SEMANTICS:
            runs = [check_cell(s, sem, scope, shrink_traces=False) for _ in range(repeats)]
            ts = [c.elapsed for c in runs]
            c = runs[0]
            m = median(ts)
            cells.append({"strategy": s, "semantics": sem, "holds": c.holds, "violated": c.violated,
                          "schedules": c.schedules, "states": c.states, "elapsed_s": m, "times": ts,
                          "spread": spread(ts), "schedules_per_s": c.schedules / m, "states_per_s": c.states / m})
            cfg.log(f"  {s}/{sem}: {c.schedules} schedules, {c.states} states in {m:.2f} s "
                    f"({c.schedules / m:,.0f}/s, {c.states / m:,.0f} states/s)")
    # the same work (no shrinking) as one queue of (cell, scenario) units on two processes
    t0 = time.perf_counter()
    check_cells([(c["strategy"], c["semantics"]) for c in cells], scope, jobs=2, shrink_traces=False)
    jobs2 = time.perf_counter() - t0
    jobs1 = sum(c["elapsed_s"] for c in cells)
    cfg.log(f"  one process {jobs1:.1f} s (sum of the cells), two processes {jobs2:.1f} s: {jobs1 / jobs2:.2f}x")
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
            "cells": cells, "jobs1_s": jobs1, "jobs2_s": jobs2, "budget_s": budget, "scope_strategy": "/".join(SCOPE_STRATEGY), "scopes": scopes}


def render(res: dict[str, Any], out: Any) -> Section:
    cells = res["cells"]
    tot_sched = sum(c["schedules"] for c in cells)
    tot_states = sum(c["states"] for c in cells)
    tot_s = sum(c["elapsed_s"] for c in cells)
    rows = [[f"`{c['strategy']}`", c["semantics"], "holds" if c["holds"] else "fails: " + ", ".join(c["violated"]),
             fmt_n(c["schedules"]), fmt_n(c["states"]), f"{c['elapsed_s']:.2f} s",
             fmt_n(c["schedules_per_s"]), fmt_n(c["states_per_s"]), f"{c['spread']:.0%}"] for c in cells]
    rows.append(["**all**", "", "", fmt_n(tot_sched), fmt_n(tot_states), f"{tot_s:.1f} s",
                 fmt_n(tot_sched / tot_s), fmt_n(tot_states / tot_s), ""])

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), gridspec_kw={"width_ratios": [1.2, 1]})
    labels = [f"{c['strategy']}, {c['semantics']}" for c in cells]
    y = range(len(cells))
    axes[0].barh([i - 0.2 for i in y], [c["schedules_per_s"] for c in cells], 0.4, label="schedules per second")
    axes[0].barh([i + 0.2 for i in y], [c["states_per_s"] for c in cells], 0.4, label="states per second")
    axes[0].set_yticks(list(y), labels, fontsize=7)
    axes[0].invert_yaxis()
    axes[0].set_xlabel("per second of exploration (one process)")
    axes[0].set_title("default scope, each strategy and seq_file semantics")
    axes[0].legend(fontsize=7)
    axes[0].grid(True, axis="x", alpha=0.3)
    for fam, sc in res["scopes"].items():
        done = [r for r in sc["rows"] if not r.get("timeout")]
        axes[1].plot([r["n"] for r in done], [r["elapsed_s"] for r in done], marker="o", ms=3, label=fam)
    axes[1].axhline(res["budget_s"], color="grey", ls=":", lw=1)
    axes[1].set_xscale("log")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("mounts in the scenario (n)")
    axes[1].set_ylabel("time to explore every schedule [s]")
    axes[1].set_title(f"growing scopes on {res['scope_strategy']} (budget dotted)")
    axes[1].legend(fontsize=8)
    axes[1].grid(True, alpha=0.3)
    plot = save_fig(fig, out, "verifier.png")

    srows = []
    for fam, sc in res["scopes"].items():
        for r in sc["rows"]:
            srows.append([fam, r["n"], "over budget" if r.get("timeout") else "exhausted",
                          "—" if r.get("timeout") else fmt_n(r["schedules"]),
                          "—" if r.get("timeout") else fmt_n(r["states"]),
                          f"> {res['budget_s']:.0f} s" if r.get("timeout") else f"{r['elapsed_s']:.2f} s"])
    md = [
        f"Machine: {machine_line(res['machine'])}.",
        "",
        f"`check_cell` over the default scope ({res['scenarios']} scenarios) for every cell, without shrinking, "
        f"one process; median elapsed of {res['repeats']} run(s). *Schedules* counts runs that completed or "
        "were cut at an already explored state (as `mountcursor check` reports them); *states* are distinct "
        "state hashes. A failing cell stops each scenario at its first violation.",
        "",
        f"![verifier]({plot})",
        "",
        md_table(["strategy", "semantics", "verdict", "schedules", "states", "elapsed", "schedules/s",
                  "states/s", "spread"], rows),
        "",
        f"Largest scope exhausted within {res['budget_s']:.0f} s on `{res['scope_strategy']}` (each run in a "
        "child process killed at the budget):",
        "",
        md_table(["family", "n", "result", "schedules", "states", "time"], srows),
    ]
    if "jobs2_s" in res:
        md += ["", f"The same cells as one queue of (cell, scenario) units, longest first, on two processes "
               f"(`check_cells(..., jobs=2)`, what `mountcursor check` does): {res['jobs2_s']:.1f} s against "
               f"{res['jobs1_s']:.1f} s for the cells one after the other in one process, "
               f"**{res['jobs1_s'] / res['jobs2_s']:.2f}×** faster."]
    parts = []
    for fam, sc in res["scopes"].items():
        lg = sc["largest"]
        parts.append(f"{fam}: n={lg['n']} in {lg['elapsed_s']:.0f} s" + (" (cap)" if sc["capped"] else "")
                     if lg else f"{fam}: none")
    summary = [f"verifier: default scope {fmt_n(tot_sched / tot_s)} schedules/s, {fmt_n(tot_states / tot_s)} "
               f"states/s over {len(cells)} cells ({tot_s:.0f} s in one process"
               + (f", {res['jobs2_s']:.0f} s on two: {res['jobs1_s'] / res['jobs2_s']:.2f}×" if "jobs2_s" in res else "")
               + f"); largest within {res['budget_s']:.0f} s: " + "; ".join(parts)]
    return Section(NAME, TITLE, "\n".join(md), summary, [plot])
