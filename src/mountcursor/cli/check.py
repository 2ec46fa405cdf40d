"""``mountcursor check``: explore every interleaving, print the verdict matrix, save traces."""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
import time
from typing import Sequence

import click
from rich.console import Console
from rich.table import Table

from ..kernel.iterators import STRATEGIES
from ..kernel.seqfile import SEMANTICS, SEMANTICS_NAMES, semantics_of
from ..verify.check import Cell, CheckOptions, check_cells
from ..verify.explain import explain
from ..verify.scenarios import Scenario, default_scope, ns_lock_scope
from ..verify.scheduler import GRANULARITIES
from ..verify.trace import TraceFileError, format_trace, load_trace, replay_trace, save_trace
from .app import main
from .errors import EXIT_FOUND, EXIT_OK, EXIT_STATUS_HELP, InputError, RunError
from .progress import PhaseProgress


def _matrix(cells: list[Cell], strategies: list[str], semantics: Sequence[str], title: str) -> Table:
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


@main.command(epilog=EXIT_STATUS_HELP)
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
              help="processes exploring (scenario, cell) units in parallel, longest first")
@click.option("--json", "as_json", is_flag=True, help="print the matrix as JSON")
def check(strategies: tuple[str, ...], semantics: tuple[str, ...], granularity: str, no_ns_lock: bool,
          no_slab_reuse: bool, faithful_sync: bool, random_runs: int, seed: int, save_dir: str | None, show_traces: bool,
          replay: str | None, jobs: int, as_json: bool) -> None:
    """Prove or refute "no mount present throughout a read is missed or shown twice".
    Exit 1 when a property fails in any cell checked (or in the --replay trace)."""
    if replay:
        _replay(replay)
        return
    if save_dir:
        _check_writable_dir(save_dir)
    strats = list(strategies or STRATEGIES)
    sems = list(dict.fromkeys(semantics_of(s) for s in semantics)) if semantics else list(SEMANTICS)
    fine = granularity == "fine"
    scope = ns_lock_scope() if fine else default_scope()
    t0 = time.perf_counter()
    pairs = [(s, sem) for s in strats for sem in sems]
    opts = CheckOptions(granularity=granularity, ns_lock=not no_ns_lock, slab_reuse=not no_slab_reuse,
                        random_runs=random_runs, seed=seed, faithful_sync=faithful_sync)
    with PhaseProgress("check", total=len(pairs) * len(scope)) as bar:
        bar.phase(f"checking {len(scope)} scenarios in each of {len(pairs)} cells")

        def progress(done: int, total: int) -> None:
            bar.advance(done - bar.done)
            if done * 10 // total != (done - 1) * 10 // total:
                bar.phase(f"explored {done} of {total} (scenario, cell) units")

        cells = check_cells(pairs, scope, jobs=jobs, on_progress=progress, options=opts)
    elapsed = time.perf_counter() - t0
    status = EXIT_OK if all(c.holds for c in cells) else EXIT_FOUND
    if as_json:
        click.echo(json.dumps({"cells": [c.as_json() for c in cells], "elapsed_s": round(elapsed, 3),
                               "granularity": granularity, "ns_lock": not no_ns_lock,
                               "scenarios": len(scope)}, indent=1))
    else:
        _print_matrix(cells, strats, sems, scope, granularity, no_ns_lock, elapsed, show_traces)
    if save_dir:
        _save_traces(cells, save_dir)  # after the result is out: a failed save loses nothing
    sys.exit(status)


def _print_matrix(cells: list[Cell], strats: list[str], sems: Sequence[str], scope: list[Scenario], granularity: str,
                  no_ns_lock: bool, elapsed: float, show_traces: bool) -> None:
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


def _replay(path: str) -> None:
    """``--replay``: a trace file, checked against its schema, re-run once and printed step by
    step as it runs (a path that stops replaying ends the output with a usage error)."""
    try:
        t = load_trace(path)
        found = replay_trace(t, _write, explain(t.strategy, t.semantics, [v.prop for v in t.violations]))
    except TraceFileError as e:
        raise InputError(str(e)) from None
    except _OutputError as e:
        raise RunError(f"check --replay: standard output: {e}") from None
    except (OSError, ValueError) as e:  # a scenario the model refuses, a path that does not replay
        raise InputError(f"{path}: the trace does not replay: {e}") from None
    sys.exit(EXIT_FOUND if found else EXIT_OK)


class _OutputError(Exception):
    """Standard output took no more of the replay (a full disk, a reader gone): not the
    trace's fault, a runtime error."""


def _write(text: str) -> None:
    try:
        click.echo(text, nl=False)
    except OSError as e:
        if e.errno == errno.EPIPE:  # nothing more reaches the reader, not even the flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise _OutputError(e.strerror or str(e)) from None


def _check_writable_dir(path: str) -> None:
    """Before exploring: ``path`` is (or can be made) a directory we can write files in."""
    try:
        os.makedirs(path, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".mountcursor-probe", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise InputError(f"--save-traces {path}: cannot write there: {e.strerror or e}") from None


def _save_traces(cells: list[Cell], save_dir: str) -> None:
    try:
        for c in cells:
            for prop, t in c.failures.items():
                save_trace(t, os.path.join(save_dir, f"{c.strategy}.{c.semantics}.{prop}.json"))
    except OSError as e:
        raise RunError(f"--save-traces {save_dir}: the traces were not saved: {e.strerror or e}") from None
