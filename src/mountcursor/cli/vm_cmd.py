"""``mountcursor vm --kernel 6.1 -- probe``: a mountcursor command inside a real kernel of another generation."""

from __future__ import annotations

import sys

import click

from .app import main
from .errors import EXIT_STATUS_HELP, RunError

KERNELS = ("5.10", "6.1", "6.12", "7.2")  # mountcursor.vm.apt.SUITES' keys (a test checks)


@main.command("vm", epilog=EXIT_STATUS_HELP + " Otherwise the status of the command run in the guest.",
              context_settings={"ignore_unknown_options": True})
@click.option("--kernel", "generation", type=click.Choice(KERNELS), required=True,
              help="the Debian kernel to boot: 5.10 (bullseye), 6.1 (bookworm), 6.12 (trixie), 7.2 (sid; refused "
                   "once sid ships another generation)")
@click.option("--accel", type=click.Choice(("auto", "kvm", "tcg")), default="auto", show_default=True,
              help="auto: KVM where kvm_intel/kvm_amd drive /dev/kvm, TCG otherwise")
@click.option("--timeout", type=click.FloatRange(10, 86400), default=3600, show_default=True,
              help="seconds before the guest is stopped")
@click.option("--refresh", is_flag=True, help="apt-get update the suite's private lists first")
@click.argument("args", nargs=-1, type=click.UNPROCESSED, required=True)
def vm_cmd(generation: str, accel: str, timeout: float, refresh: bool, args: tuple[str, ...]) -> None:
    """Boot Debian's newest kernel of a generation under QEMU and run a mountcursor command in
    it.  The guest's root is this machine's / (read-only); its status, stdout and stderr come back.

    The kernel and busybox come through apt with private lists and cache under
    ~/.cache/mountcursor/vm (the archive of this machine's apt sources, with the suite of
    the generation); nothing is installed on the host.  Needs qemu-system-x86."""
    from ..vm.apt import FetchError
    from ..vm.boot import BootError
    from ..vm.initramfs import InitramfsError
    from ..vm.run import run_mountcursor
    from ..vm.sources import SourcesError

    def say(what: str) -> None:
        click.echo(f"mountcursor vm: {what}", err=True)

    def relay(data: bytes) -> None:
        sys.stderr.buffer.write(data)
        sys.stderr.flush()

    try:
        release, res = run_mountcursor(generation, list(args), say, relay, accel=accel, timeout=timeout,
                                       refresh=refresh)
    except (FetchError, BootError, InitramfsError, SourcesError) as e:
        raise RunError(f"vm: {e}") from None
    say(f"{release}: status {res.status} after {res.seconds:.1f} s")
    sys.stdout.buffer.write(res.stdout)
    sys.stdout.flush()
    sys.exit(res.status)
