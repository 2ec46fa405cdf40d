"""``mountcursor race``: the bug and its fixes side by side, on the built-in model."""

from __future__ import annotations

import errno
import json
import sys
import time

import click
from rich import box
from rich.console import Console
from rich.table import Table

from ..kernel.iterators import STRATEGIES
from ..kernel.seqfile import SEMANTICS, SEMANTICS_NAMES, semantics_of
from ..verify.race import DEFAULT_STRATEGIES, KERNEL_STRATEGY, LONG_RUN, MIN_MOUNTS, RaceConfig, RaceRow, run_race, run_race_live
from .app import main
from .errors import EXIT_FOUND, EXIT_OK, EXIT_STATUS_HELP, RunError
from .progress import PhaseProgress


COLUMNS = ("strategy", "seq_file", "lines", "present", "missed", "twice", "torn", "cursors", "EOF", "verdict")
"""The table's headers; ``LEGEND`` says what they count (``--json`` has the full field names)."""

LEGEND = """\
present  mounts mounted for the whole read (at open, still at EOF); churn runs
         after every read, so a row that needs more reads unmounts more mounts
         and has fewer present
missed   present mounts that are not in the output
twice    extra copies of lines already shown
torn     lines that are not a whole mountinfo line (with EOF no: the last line,
         cut where the run stopped the reader)
cursors  cursors left in the mount list after close (-1: the list is corrupt)
EOF no   read() never returned 0: the run stopped the reader after three times
         the table's bytes (a livelock: `cat` would never end)
lines    lines read, mounts made during the read included; --json adds reads
"""
"""What the columns count, printed below the table (and quoted in README.md)."""


def _table(rows: list[RaceRow], cfg: RaceConfig, elapsed: float) -> Table:
    """The rows as a table that fits 80 columns: one space between columns, no borders,
    short headers explained by ``LEGEND``."""
    long = f", {LONG_RUN} long lines every {cfg.long_every}" if cfg.long_every else ""
    t = Table(title=f"race: {cfg.mounts} mounts, read({cfg.read_size}){long}, seed {cfg.seed}",
              caption=f"{elapsed:.1f} s", caption_justify="left",
              box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0), collapse_padding=True)
    for col in COLUMNS:
        t.add_column(col, justify="left" if col in ("strategy", "seq_file", "verdict") else "right", no_wrap=True)
    for r in rows:
        verdict = "[green]ok[/]" if r.ok else "[bold red]BROKEN[/]"
        sem = "live" if r.strategy == KERNEL_STRATEGY else r.semantics  # a release is wider than the column
        t.add_row(r.strategy, sem, str(r.lines), str(r.present_throughout),
                  _red(r.missed), _red(r.duplicated), _red(r.malformed), _red(r.cursors_left),
                  "yes" if r.eof else "[bold red]no[/]", verdict)
    return t


def _red(n: int) -> str:
    return f"[bold red]{n}[/]" if n else "0"


def print_table(out: Console, rows: list[RaceRow], cfg: RaceConfig, elapsed: float) -> None:
    """The table, then the legend (and what the ``--live`` row is, if there is one)."""
    out.print(_table(rows, cfg, elapsed))
    legend = LEGEND + "".join(
        "kernel   live: the running kernel, in a private mount namespace (its table has\n"
        f"         no long lines); uname -r: {r.semantics}\n" for r in rows if r.strategy == KERNEL_STRATEGY)
    out.print(legend, end="", markup=False, highlight=False, soft_wrap=True)


MAX_RACE_MOUNTS = 100_000
"""``fs.mount-max`` (fs/namespace.c ``sysctl_mount_max``): a namespace of more mounts cannot
exist on a default kernel, and the model takes about 7 s per row at this size."""


def _enough_mounts(n: int) -> int:
    if n < MIN_MOUNTS:
        raise click.BadParameter(f"{n} is too few: the race needs at least {MIN_MOUNTS} mounts (a run of "
                                 f"{LONG_RUN} long lines and a short one) for every failure to show")
    return n


def _live_row(cfg: RaceConfig) -> RaceRow:
    from ..verify.sandbox import SandboxError

    try:
        return run_race_live(cfg)
    except (OSError, SandboxError) as e:
        hint = " (fs.mount-max limits a namespace's mounts)" if getattr(e, "errno", None) == errno.ENOSPC else ""
        raise RunError(f"race --live: the kernel row failed: {e}{hint}") from None


@main.command(epilog=EXIT_STATUS_HELP)
@click.option("--mounts", type=click.IntRange(1, MAX_RACE_MOUNTS), default=2000, show_default=True,
              callback=lambda ctx, param, n: _enough_mounts(n),
              help=f"tmpfs mounts in the namespace (at least {MIN_MOUNTS}: for every failure to show; at most "
                   f"{MAX_RACE_MOUNTS:,}: fs.mount-max, the most a Linux mount namespace holds by default)")
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
@click.option("--long-every", type=click.IntRange(0, 1_000_000), default=50, show_default=True,
              help=f"every K-th mount starts a run of {LONG_RUN} overlay-style lines longer than one read (0: none)")
@click.option("--live", is_flag=True,
              help="add a row for the running kernel (a private mount namespace; needs root)")
@click.option("--json", "as_json", is_flag=True, help="print the rows as a JSON list")
def race(mounts: int, read_size: int, seed: int, strategies: tuple[str, ...], semantics: tuple[str, ...],
         churn: int, long_every: int, live: bool, as_json: bool) -> None:
    """One reader reads mountinfo to EOF while mounts come and go, for every strategy.
    Exit 1 when a row is BROKEN (mounts missed or shown twice, no EOF, cursors left)."""
    if live:
        from ..verify.sandbox import sandbox_unavailable

        why = sandbox_unavailable()
        if why is not None:
            raise RunError(f"race --live: cannot run the kernel row here: {why}")
    cfg = RaceConfig(mounts=mounts, read_size=read_size, seed=seed, churn=churn, long_every=long_every)
    strats = strategies or DEFAULT_STRATEGIES
    sems = tuple(dict.fromkeys(semantics_of(s) for s in semantics)) if semantics else SEMANTICS
    cells = [(s, sem) for s in strats for sem in sems]
    rows: list[RaceRow] = []
    t0 = time.perf_counter()
    with PhaseProgress("race", total=len(cells) + live) as bar:
        for s, sem in cells:
            bar.phase(f"{s} / {sem}")

            def on_phase(what: str, cell: str = f"{s} / {sem}") -> None:
                bar.phase(f"{cell}: {what}")

            rows.append(run_race(s, sem, cfg, on_phase=on_phase))
            bar.advance()
        if live:
            bar.phase("the running kernel (sandbox)")
            rows.append(_live_row(cfg))
            bar.advance()
    elapsed = time.perf_counter() - t0
    if as_json:
        click.echo(json.dumps([r.as_json() for r in rows], indent=1))
    else:
        out = Console()
        if not out.is_terminal:
            out = Console(width=80)
        print_table(out, rows, cfg, elapsed)
    sys.exit(EXIT_OK if all(r.ok for r in rows) else EXIT_FOUND)
