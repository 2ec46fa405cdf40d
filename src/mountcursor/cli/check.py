"""``mountcursor check``: explore every interleaving, print the verdict matrix, save traces."""

from __future__ import annotations

import json
import os
import sys
import time

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..kernel.iterators import STRATEGIES
from ..kernel.seqfile import SEMANTICS, SEMANTICS_NAMES, semantics_of
from ..verify.check import Cell, check_cells
from ..verify.explain import explain
from ..verify.scenarios import default_scope, ns_lock_scope
from ..verify.scheduler import GRANULARITIES
from ..verify.trace import TraceFileError, format_trace, load_trace, save_trace
from . import main


def _matrix(cells: list[Cell], strategies: list[str], semantics: list[str], title: str) -> Table:
    t = Table(title=title, caption="cell: verdict, violated properties, shortest trace (steps), schedules explored",
              caption_justify="left", show_lines=True)
    t.add_column("strategy")
    for sem in semantics:
        t.add_column(sem)
    by = {(c.strategy, c.semantics): c for c in cells}
    for s in strategies:
        row = [s]
        for sem in semantics:
            c = by.get((s, sem))
            if c is None:
                row.append("")
            elif c.holds:
                row.append(f"[green]holds[/]\n{c.schedules} sched" + ("" if c.exhausted else " (bounded)"))
            else:
                row.append(f"[bold red]fails[/] {', '.join(c.violated)}\ntrace {c.trace_len} steps, {c.schedules} sched")
        t.add_row(*row)
    return t


@main.command()
@click.option("--strategy", "strategies", multiple=True, type=click.Choice(list(STRATEGIES)),
              help="strategy to check (repeatable; default: all)")
@click.option("--semantics", "semantics", multiple=True, type=click.Choice(list(SEMANTICS_NAMES)),
              help="seq_file semantics, named after its kernels; legacy = 3.10, modern = 5.10+ "
                   "(repeatable; default: all three)")
@click.option("--granularity", type=click.Choice(GRANULARITIES), default="syscall", show_default=True,
              help="atomic steps: whole syscalls, or also every lock operation and list pointer write")
@click.option("--no-ns-lock", is_flag=True, help="run the model with the ns_lock spinlock removed")
@click.option("--no-slab-reuse", is_flag=True, help="never hand a freed struct mount out again")
@click.option("--faithful-sync", is_flag=True,
              help="use the seed's sync_collect_filesystems with its never-advancing `continue`")
@click.option("--random", "random_runs", type=click.IntRange(0, 10_000_000), default=0,
              help="seeded random schedules per scenario instead of exhaustive search")
@click.option("--seed", type=int, default=1, show_default=True, help="seed for --random")
@click.option("--save-traces", "save_dir", type=click.Path(file_okay=False), default=None,
              help="write each cell's shortest counterexample per property as JSON here")
@click.option("--show-traces", is_flag=True, help="print each counterexample step by step")
@click.option("--replay", "replay", type=click.Path(dir_okay=False), default=None,
              help="re-run a saved trace file and print it step by step")
@click.option("--jobs", type=click.IntRange(1, 64), default=os.cpu_count() or 1, show_default="all cores",
              help="cells checked in parallel (processes)")
@click.option("--json", "as_json", is_flag=True, help="print the matrix as JSON")
def check(strategies: tuple[str, ...], semantics: tuple[str, ...], granularity: str, no_ns_lock: bool,
          no_slab_reuse: bool, faithful_sync: bool, random_runs: int, seed: int, save_dir: str | None, show_traces: bool,
          replay: str | None, jobs: int, as_json: bool) -> None:
    """Prove or refute "no mount present throughout a read is missed or shown twice"."""
    if replay:
        try:
            t = load_trace(replay)
            click.echo(format_trace(t, explain(t.strategy, t.semantics, [v.prop for v in t.violations])))
        except TraceFileError as e:
            raise click.ClickException(str(e)) from None
        return
    strats = list(strategies or STRATEGIES)
    sems = list(dict.fromkeys(semantics_of(s) for s in semantics)) if semantics else list(SEMANTICS)
    fine = granularity == "fine"
    scope = ns_lock_scope() if fine else default_scope()
    t0 = time.perf_counter()
    err = Console(stderr=True)
    pairs = [(s, sem) for s in strats for sem in sems]
    opts = dict(granularity=granularity, ns_lock=not no_ns_lock, slab_reuse=not no_slab_reuse,
                random_runs=random_runs, seed=seed, faithful_sync=faithful_sync)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} cells"),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task(f"checking {len(scope)} scenarios per cell", total=len(pairs))
        cells = check_cells(pairs, scope, jobs=jobs, on_done=lambda c: bar.advance(task), **opts)
    elapsed = time.perf_counter() - t0
    if save_dir:
        os.makedirs(save_dir, exist_ok=True)
        for c in cells:
            for prop, t in c.failures.items():
                save_trace(t, os.path.join(save_dir, f"{c.strategy}.{c.semantics}.{prop}.json"))
    if as_json:
        click.echo(json.dumps({"cells": [c.as_json() for c in cells], "elapsed_s": round(elapsed, 3),
                               "granularity": granularity, "ns_lock": not no_ns_lock,
                               "scenarios": len(scope)}, indent=1))
        return
    out = Console()
    title = (f"mountcursor check — {len(scope)} scenarios, {granularity} granularity"
             + (", ns_lock removed" if no_ns_lock else "") + f", {elapsed:.1f} s")
    out.print(_matrix(cells, strats, sems, title))
    if show_traces:
        for c in cells:
            for prop, t in sorted(c.failures.items()):
                out.rule(f"{c.strategy} / {c.semantics}: {prop}")
                click.echo(format_trace(t, explain(c.strategy, c.semantics, [prop])))
    sys.stdout.flush()
