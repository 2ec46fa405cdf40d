"""``mountcursor diff-kernel``: the model against the running kernel, read by read."""

from __future__ import annotations

import json
import sys

import click

from . import main


def load_script_from(res: dict) -> list:  # noqa: ANN001
    """The first mismatch's script, as operations."""
    import os

    return [tuple([op[0]] + ([os.fsencode(op[1])] if op[0] in ("mount", "umount", "lazy") else op[1:]))
            for op in res["first_mismatch"]["script"]]


@main.command("diff-kernel")
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
              help="play one saved script, printing every step")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
def diff_kernel_cmd(scripts: int, seed: int, length: int, mounts: int, save: str | None,
                    replay: str | None, as_json: bool) -> None:
    """Play random scripts on a private mount namespace and on the model (idtree, 5.10+);
    compare every read(), poll() and lseek().  Exit 1 on a mismatch, 2 if no sandbox."""
    from ..live.sandbox import sandbox_unavailable
    from ..verify.kernel_diff import ScriptFileError, diff_kernel, load_script, run_script, save_script

    why = sandbox_unavailable()
    if why is not None:
        click.echo(f"mountcursor diff-kernel: cannot run against the kernel here: {why}", err=True)
        sys.exit(2)
    if replay:
        try:
            script = load_script(replay)
        except ScriptFileError as e:
            raise click.ClickException(str(e)) from None
        r = run_script(script, mounts, log=True)
        click.echo("\n".join(r.log))
        click.echo("agreed" if r.mismatch is None else f"MISMATCH at step {r.mismatch.step}")
        sys.exit(0 if r.mismatch is None else 1)
    res = diff_kernel(scripts, seed, length, mounts)
    if save and res["first_mismatch"] is not None:
        save_script(load_script_from(res), save)
    if as_json:
        click.echo(json.dumps(res, indent=1))
    else:
        click.echo(f"{res['agreed']}/{res['scripts']} scripts agreed ({res['reads']} reads compared byte for byte)")
        mm = res["first_mismatch"]
        if mm is not None:
            click.echo(f"first mismatch: script {mm['script_index']} (shrunk to {len(mm['script'])} operations):")
            for i, op in enumerate(mm["script"]):
                click.echo(f"  {i:3d} {op}")
            d = mm["first_difference"]
            click.echo(f"at step {d['step']} {d['op']}:\n  kernel: {d['kernel']!r}\n  model:  {d['model']!r}")
    sys.exit(0 if res["first_mismatch"] is None else 1)
