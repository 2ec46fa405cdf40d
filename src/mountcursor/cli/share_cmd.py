"""``mountcursor man [COMMAND]`` and ``mountcursor completion bash|zsh|fish``: the
man pages and completion scripts the package carries (:mod:`mountcursor.cli.share`),
shown or printed from the package itself, so that they work in a virtual environment
whatever ``MANPATH`` and the shell's search paths say."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import resources

import click

from .app import COMMANDS, main
from .errors import EXIT_STATUS_HELP, RunError
from .share import COMPLETIONS, man_path


def _shipped(path: str) -> resources.abc.Traversable:
    return resources.files("mountcursor").joinpath("share", *path.split("/"))


@main.command("man", epilog=EXIT_STATUS_HELP)
@click.option("--roff", is_flag=True, help="Print the page's roff source instead of showing it.")
@click.argument("command", required=False, type=click.Choice(sorted(COMMANDS)))
def man_cmd(command: str | None, roff: bool) -> None:
    """Show the manual page of mountcursor, or of COMMAND, with man(1).

    The page is the one installed with the package (``man mountcursor-list`` finds it
    too where the prefix's share/man is on man's path), read from the package, so this
    works in any virtual environment."""
    page = _shipped(man_path(command or ""))
    if roff:
        sys.stdout.write(page.read_text(encoding="utf-8"))
        return
    viewer = shutil.which("man")
    if viewer is None:
        raise RunError("man: man(1) is not installed here ('mountcursor man --roff' prints the page's source)")
    with resources.as_file(page) as path:
        status = subprocess.run([viewer, "-l", str(path)], check=False).returncode
    sys.exit(status)


@main.command("completion", epilog=EXIT_STATUS_HELP)
@click.argument("shell", type=click.Choice(sorted(COMPLETIONS)))
def completion_cmd(shell: str) -> None:
    """Print the completion script of SHELL (bash, zsh or fish).

    The package installs them where the shells look under its prefix
    (share/bash-completion/completions, share/zsh/site-functions,
    share/fish/vendor_completions.d).  Elsewhere, e.g. in a virtual environment:
    ``source <(mountcursor completion bash)`` in ~/.bashrc; ``mountcursor completion zsh
    > DIR/_mountcursor`` with DIR in $fpath; ``mountcursor completion fish >
    ~/.config/fish/completions/mountcursor.fish``."""
    sys.stdout.write(_shipped(COMPLETIONS[shell]).read_text(encoding="utf-8"))
