"""``mountcursor probe``: name the running kernel's generation, and reproduce the known bugs on it."""

from __future__ import annotations

import json
import os

import click

from .app import main
from .errors import EXIT_FOUND, EXIT_OK, EXIT_STATUS_HELP, RunError


@main.command("probe", epilog=EXIT_STATUS_HELP)
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON (with every script and read)")
def probe_cmd(as_json: bool) -> None:
    """Which kernel generation is this?  Short scripts played in a private mount namespace and on
    the model in every configuration.  Exit 1 when a known bug reproduces or nothing matches.

    Each script runs in a fresh private mount namespace of a worker process (nothing
    touches the host's table); every read loop is bounded, so a reader that never reaches
    EOF is stopped and reported.  Needs root and unshare(CLONE_NEWNS)."""
    from ..verify.sandbox import SandboxError, sandbox_unavailable
    from ..verify.probe import kernel_target, probe

    why = sandbox_unavailable()
    if why is not None:
        raise RunError(f"probe: cannot run against the kernel here: {why}")
    try:
        r = probe(kernel_target())
    except (OSError, SandboxError) as e:
        raise RunError(f"probe: the sandbox failed: {e}") from None
    release = os.uname().release
    if as_json:
        click.echo(json.dumps({"kernel": release, **r.as_json()}, indent=1))
    else:
        click.echo(f"kernel {release} reads its mount table like:")
        for g in r.generations:
            click.echo(f"  {g.strategy} on the {g.semantics} seq_file: {g.kernels}")
        others = [f"{s}/{sem}" for s, sem in r.matches
                  if not any((g.strategy, g.semantics) == (s, sem) for g in r.generations)]
        if others:
            click.echo("  (also the model's " + ", ".join(others) + ")")
        if not r.matches:
            click.echo("  no configuration of the model (see --json for every read)")
        click.echo("known bugs reproduced: " + (", ".join(f"{b.name} ({b.what})" for b in r.bugs) or "none"))
    raise SystemExit(EXIT_FOUND if r.bugs or not r.matches else EXIT_OK)
