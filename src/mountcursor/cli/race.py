"""``mountcursor race``: the bug and its fixes side by side, on the built-in model."""

from __future__ import annotations

import json
import sys
import time

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..kernel.iterators import STRATEGIES
from ..kernel.seqfile import SEMANTICS, SEMANTICS_NAMES, semantics_of
from ..verify.race import DEFAULT_STRATEGIES, RaceConfig, RaceRow, run_race, run_race_live
from . import main


def _table(rows: list[RaceRow], cfg: RaceConfig, elapsed: float) -> Table:
    t = Table(title=f"mountcursor race — {cfg.mounts} mounts, read({cfg.read_size}), seed {cfg.seed}"
                    + (f", long line every {cfg.long_every}" if cfg.long_every else ""),
              caption=f"{elapsed:.1f} s; present = mounted for the whole read; "
                      "missed/duplicated count only those", caption_justify="left")
    for col in ("strategy", "semantics", "reads", "lines", "present", "missed", "duplicated",
                "malformed", "cursors left", "EOF", "verdict"):
        t.add_column(col, justify="right" if col not in ("strategy", "semantics", "verdict") else "left")
    for r in rows:
        verdict = "[green]ok[/]" if r.ok else "[bold red]BROKEN[/]"
        t.add_row(r.strategy, r.semantics, str(r.reads), str(r.lines), str(r.present_throughout),
                  _red(r.missed), _red(r.duplicated), _red(r.malformed), _red(r.cursors_left),
                  "yes" if r.eof else "[bold red]no[/]", verdict)
    return t


def _red(n: int) -> str:
    return f"[bold red]{n}[/]" if n else "0"


@main.command()
@click.option("--mounts", type=click.IntRange(1, 1_000_000), default=2000, show_default=True,
              help="tmpfs mounts in the namespace")
@click.option("--read-size", type=click.IntRange(1, 1 << 24), default=1024, show_default=True,
              help="bytes per read(2) (1024 is what stdio asks of /proc files)")
@click.option("--seed", type=int, default=1, show_default=True, help="seed of the churn")
@click.option("--strategy", "strategies", multiple=True, type=click.Choice(list(STRATEGIES)),
              help="iteration strategy (repeatable; default: all)")
@click.option("--semantics", "semantics", multiple=True, type=click.Choice(list(SEMANTICS_NAMES)),
              help="seq_file semantics, named after its kernels; legacy = 3.10, modern = 5.10+ "
                   "(repeatable; default: all three)")
@click.option("--churn", type=click.IntRange(0, 1000), default=1, show_default=True,
              help="mounts unmounted behind the reader between two reads")
@click.option("--long-every", type=click.IntRange(0, 1_000_000), default=0, show_default=True,
              help="every K-th mount gets a line longer than one read (0: none)")
@click.option("--live", is_flag=True,
              help="add a row for the running kernel (a private mount namespace; needs root)")
@click.option("--json", "as_json", is_flag=True, help="print the rows as a JSON list")
def race(mounts: int, read_size: int, seed: int, strategies: tuple[str, ...], semantics: tuple[str, ...],
         churn: int, long_every: int, live: bool, as_json: bool) -> None:
    """One reader reads mountinfo to EOF while mounts come and go, for every strategy."""
    if live:
        from ..live.sandbox import sandbox_unavailable

        why = sandbox_unavailable()
        if why is not None:
            click.echo(f"mountcursor race --live: cannot run the kernel row here: {why}", err=True)
            sys.exit(2)
    cfg = RaceConfig(mounts=mounts, read_size=read_size, seed=seed, churn=churn, long_every=long_every)
    strats = strategies or DEFAULT_STRATEGIES
    sems = tuple(dict.fromkeys(semantics_of(s) for s in semantics)) if semantics else SEMANTICS
    cells = [(s, sem) for s in strats for sem in sems]
    rows: list[RaceRow] = []
    t0 = time.perf_counter()
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("racing", total=len(cells))
        for s, sem in cells:
            bar.update(task, description=f"{s} / {sem}")
            rows.append(run_race(s, sem, cfg))
            bar.advance(task)
        if live:
            bar.update(task, description="the running kernel (sandbox)")
            rows.append(run_race_live(cfg))
    elapsed = time.perf_counter() - t0
    if as_json:
        click.echo(json.dumps([r.as_json() for r in rows], indent=1))
    else:
        out = Console()
        if not out.is_terminal:
            out = Console(width=150)
        out.print(_table(rows, cfg, elapsed))
