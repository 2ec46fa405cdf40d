"""``mountcursor diff-kernel``: the model against the running kernel, read by read."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import TYPE_CHECKING, Any

import click

from ..kernel.iterators import STRATEGIES
from ..kernel.seqfile import SEMANTICS_NAMES, semantics_of
from .app import main
from .errors import EXIT_FOUND, EXIT_OK, EXIT_STATUS_HELP, InputError, RunError
from .progress import PhaseProgress

if TYPE_CHECKING:  # the verifier is imported when the command runs
    from ..verify.kernel_diff import Op


def load_script_from(res: dict[str, Any]) -> list[Op]:
    """The first mismatch's script, as operations."""
    from ..verify.kernel_diff import check_script

    return check_script(res["first_mismatch"]["script"])


@main.command("diff-kernel", epilog=EXIT_STATUS_HELP)
@click.option("--scripts", type=click.IntRange(1, 1_000_000), default=100, show_default=True,
              help="random scripts to play on both")
@click.option("--seed", type=int, default=1, show_default=True, help="seed of the scripts")
@click.option("--length", type=click.IntRange(1, 10_000), default=40, show_default=True,
              help="operations per script")
@click.option("--mounts", type=click.IntRange(0, 10_000), default=8, show_default=True,
              help="tmpfs mounts the sandbox starts with")
@click.option("--save", "save", type=click.Path(dir_okay=False), default=None,
              help="write the first mismatching (shrunk) script here")
@click.option("--replay", "replay", type=click.Path(dir_okay=False), default=None,
              help="play one saved script, printing every step (checked against the script schema first)")
@click.option("--propagation", is_flag=True,
              help="scripts of propagation operations: make-[r]shared/slave/private/unbindable, "
                   "bind, rbind, nested mounts and unmounts that propagate")
@click.option("--strategy", type=click.Choice(["auto", *STRATEGIES]), default="auto", show_default=True,
              help="the model's iteration strategy to hold the kernel to; auto: what `probe` names")
@click.option("--semantics", type=click.Choice(list(SEMANTICS_NAMES)), default=None,
              help="the model's seq_file semantics (default: what `probe` names with --strategy auto, "
                   "else 5.10+)")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
def diff_kernel_cmd(scripts: int, seed: int, length: int, mounts: int, save: str | None,
                    replay: str | None, propagation: bool, strategy: str, semantics: str | None,
                    as_json: bool) -> None:
    """Play random scripts on a private mount namespace and on the model (as the generation
    `probe` names, or --strategy/--semantics); compare every read(), poll() and lseek() of
    mountinfo, mounts and mountstats, opened at the namespace's root, from a chroot, and
    through /proc/<pid>/ of a chrooted process. Exit 1 on a mismatch."""
    from ..verify.sandbox import SandboxError, sandbox_unavailable
    from ..verify.kernel_diff import ScriptFileError, diff_kernel, load_script, run_script, save_script, vantage_line

    script = None
    if replay:
        try:
            script = load_script(replay)
        except ScriptFileError as e:
            raise InputError(str(e)) from None
    if save:
        _check_writable_file(save)
    if strategy == "auto" and semantics is not None:
        raise InputError("--semantics needs a --strategy (with --strategy auto both come from probe)")
    why = sandbox_unavailable()
    if why is not None:
        raise RunError(f"diff-kernel: cannot run against the kernel here: {why}")
    try:
        if strategy == "auto":
            strategy, semantics = _probed()
        sem = semantics_of(semantics or "5.10+")
        click.echo(f"diff-kernel: the model as {strategy} on the {sem} seq_file", err=True)
        if script is not None:
            r = run_script(script, mounts, log=True, strategy=strategy, semantics=sem)
            click.echo("\n".join(r.log))
            click.echo("agreed" if r.mismatch is None else f"MISMATCH at step {r.mismatch.step}")
            sys.exit(EXIT_OK if r.mismatch is None else EXIT_FOUND)
        with PhaseProgress("diff-kernel", total=scripts) as bar:
            def step(n: int, agreed: int) -> None:
                if n:
                    bar.advance()
                bar.phase(f"script {n + 1} of {scripts} ({agreed} agreed so far)")

            res = diff_kernel(scripts, seed, length, mounts, on_script=step, propagation=propagation,
                              strategy=strategy, semantics=sem)
    except SandboxError as e:
        raise RunError(f"diff-kernel: the sandbox failed: {e}") from None
    except OSError as e:  # e.g. ENOSPC: more mounts than fs.mount-max
        raise RunError(f"diff-kernel: the kernel refused an operation: {e.strerror or e}") from None
    if as_json:
        click.echo(json.dumps(res, indent=1))
    else:
        click.echo(f"{res['agreed']}/{res['scripts']} scripts agreed ({res['reads']} reads and "
                   f"{res['tables']} whole tables compared byte for byte)")
        click.echo(vantage_line(res))
        if propagation:
            click.echo(f"{res['propagated']} mounts and umounts propagated, in {res['scripts_propagated']} scripts")
        mm = res["first_mismatch"]
        if mm is not None:
            click.echo(f"first mismatch: script {mm['script_index']} (shrunk to {len(mm['script'])} operations):")
            for i, op in enumerate(mm["script"]):
                click.echo(f"  {i:3d} {op}")
            d = mm["first_difference"]
            click.echo(f"at step {d['step']} {d['op']}:\n  kernel: {d['kernel']!r}\n  model:  {d['model']!r}")
    if save and res["first_mismatch"] is not None:
        try:
            save_script(load_script_from(res), save)
        except OSError as e:
            raise RunError(f"--save {save}: the script was not saved: {e.strerror or e}") from None
    sys.exit(EXIT_OK if res["first_mismatch"] is None else EXIT_FOUND)


def _probed() -> tuple[str, str]:
    """(strategy, semantics) of the one generation ``probe`` names for this kernel."""
    from ..verify.probe import kernel_target, probe

    r = probe(kernel_target())
    if len(r.generations) != 1:
        named = ", ".join(f"{g.strategy}/{g.semantics}" for g in r.generations) or "none"
        raise RunError(f"diff-kernel: --strategy auto needs probe to name one generation, it named {named}: "
                       "give --strategy and --semantics")
    return r.generations[0].strategy, r.generations[0].semantics


def _check_writable_file(path: str) -> None:
    """Before running: the directory of ``path`` exists and takes a new file."""
    where = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise InputError(f"--save {path}: is a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".mountcursor-probe", dir=where)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise InputError(f"--save {path}: cannot write there: {e.strerror or e}") from None
