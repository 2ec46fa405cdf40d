"""Boot one kernel under QEMU, run one job inside, bring back its status and output.

The guest's root is this machine's ``/``, shared read-only over 9p (``-virtfs
...,readonly=on``): the job runs the project where it lies, with this Python.  The
results share is a fresh directory of the project's cache, the only thing the guest can
write on the host; the job's script (:func:`job_script`) is written there first.

KVM only where ``kvm_intel`` or ``kvm_amd`` drives ``/dev/kvm`` (:func:`choose_accel`):
a paravirtual ``/dev/kvm`` (a nested sandbox's) cannot run stock kernels (it hangs in
the decompressor), so everything else boots under TCG.  The kernel is booted as the
uncompressed ``vmlinux`` at its PVH entry (``CONFIG_PVH``; QEMU finds the ELF note),
which skips the decompressor: 2-3 s to the job under TCG.  ``mitigations=off`` saves a
quarter of that.  Python's bytecode is written once on the host under
``PYTHONPYCACHEPREFIX`` (:func:`warm_pycache`): the guest's root is read-only.
"""

from __future__ import annotations

import os
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .initramfs import GUEST_OUT, OUT_TAG, ROOT_TAG

QEMU = "qemu-system-x86_64"
#: modules imported by the jobs the project runs in a guest (the bytecode cache warms them)
WARM_MODULES = ("mountcursor.cli.app", "mountcursor.cli.probe", "mountcursor.cli.diff_kernel",
                "mountcursor.cli.race", "mountcursor.verify.probe", "mountcursor.verify.kernel_diff",
                "mountcursor.verify.race", "mountcursor.verify._sandbox_worker", "mountcursor.live.reader")


class BootError(RuntimeError):
    """QEMU is missing, would not start, or the guest ended without the job's status."""


@dataclass(frozen=True)
class JobResult:
    status: int
    stdout: bytes
    stderr: bytes
    seconds: float


def need_qemu() -> None:
    if shutil.which(QEMU) is None:
        raise BootError(f"{QEMU} is not installed (apt-get install qemu-system-x86)")


def choose_accel(kvm_modules: set[str], dev_kvm_usable: bool) -> str:
    """``kvm`` when ``kvm_intel`` or ``kvm_amd`` is loaded and ``/dev/kvm`` opens, else ``tcg``."""
    return "kvm" if dev_kvm_usable and ({"kvm_intel", "kvm_amd"} & kvm_modules) else "tcg"


def host_accel() -> str:
    """:func:`choose_accel` for this machine (``/sys/module`` and ``/dev/kvm``)."""
    mods = {m for m in ("kvm_intel", "kvm_amd") if os.path.isdir(f"/sys/module/{m}")}
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
        usable = True
    except OSError:
        usable = False
    return choose_accel(mods, usable)


def kernel_cmdline(accel: str) -> str:
    return ("console=ttyS0 panic=-1 mitigations=off rdinit=/init quiet loglevel=4 "
            + ("" if accel == "kvm" else "tsc=reliable no_timer_check ")
            + "8250.nr_uarts=1 random.trust_cpu=on").strip()


def qemu_command(kernel: str, initrd: str, out_dir: str, console: str, accel: str, memory_mb: int = 1024,
                 cpus: int = 1, shares: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The QEMU command line: the host's ``/`` read-only and ``out_dir`` writable over 9p,
    and each of ``shares`` (tag, host directory) read-only (:func:`guest_shares`)."""
    cmd = [QEMU, "-nodefaults", "-no-user-config", "-no-reboot", "-display", "none",
           "-machine", f"pc,accel={accel}", "-cpu", "host" if accel == "kvm" else "max",
           "-m", str(memory_mb), "-smp", str(cpus),
           "-kernel", kernel, "-initrd", initrd, "-append", kernel_cmdline(accel),
           "-serial", f"file:{console}",
           "-virtfs", f"local,path=/,mount_tag={ROOT_TAG},security_model=none,readonly=on,multidevs=remap",
           "-virtfs", f"local,path={out_dir},mount_tag={OUT_TAG},security_model=none"]
    for tag, path in shares:
        cmd += ["-virtfs", f"local,path={path},mount_tag={tag},security_model=none,readonly=on,multidevs=remap"]
    return cmd


COVERED = ("/tmp", "/run")
"""Where the guest mounts fresh filesystems over the host's root (``/init``)."""


def guest_shares(paths: Sequence[str]) -> list[tuple[str, str]]:
    """The host directories the guest must see again under its fresh ``/tmp`` and
    ``/run``: for each of ``paths`` (the job's directory, the interpreter's prefix) under
    one of them, its first directory there (``/tmp/fresh`` for a checkout cloned into
    ``/tmp/fresh``), each once, with a 9p tag."""
    tops: list[str] = []
    for path in paths:
        real = os.path.realpath(path)
        for covered in COVERED:
            if real.startswith(covered + "/"):
                top = os.path.join(covered, real[len(covered) + 1:].split("/")[0])
                if top not in tops:
                    tops.append(top)
    return [(f"vmshare{i}", top) for i, top in enumerate(tops)]


def job_script(argv: list[str], cwd: str, env: dict[str, str]) -> str:
    """The guest's job (sourced by the stage-2 shell): ``argv`` run in ``cwd`` with
    ``env``, in a subshell (an ``exit`` there must not end the guest's PID 1 before its
    status is written)."""
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(env.items()))
    return f"(\n{exports}cd {shlex.quote(cwd)} || exit 127\n{shlex.join(argv)}\n)\n"


def pycache_dir(cache: str) -> str:
    return os.path.join(cache, "pycache", f"py{sys.version_info[0]}{sys.version_info[1]}")


def warm_pycache(prefix: str, env: dict[str, str]) -> None:
    """Compile what the guest's jobs import, on the host, under ``PYTHONPYCACHEPREFIX``."""
    code = "import importlib\nfor m in %r:\n    importlib.import_module(m)\n" % (WARM_MODULES,)
    subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPYCACHEPREFIX": prefix},
                   check=False, capture_output=True)


def run_job(kernel: str, initrd: str, argv: list[str], cwd: str, env: dict[str, str], work: str,
            accel: str, say: Callable[[str], None], timeout: float, relay: Callable[[bytes], None]) -> JobResult:
    """Boot, run ``argv``, power off; the guest's stderr is relayed as it grows."""
    need_qemu()
    os.makedirs(work, exist_ok=True)
    out_dir = tempfile.mkdtemp(prefix="out-", dir=work)
    console = os.path.join(work, "console.log")
    with open(os.path.join(out_dir, "job"), "w", encoding="utf-8") as fh:
        fh.write(job_script(argv, cwd, env))
    shares = guest_shares([cwd, sys.prefix, os.path.dirname(argv[0])])
    with open(os.path.join(out_dir, "shares"), "w", encoding="utf-8") as fh:
        fh.write("".join(f"{tag} {path}\n" for tag, path in shares))
    cmd = qemu_command(kernel, initrd, out_dir, console, accel, shares=shares)
    t0 = time.monotonic()
    say(f"booting under {accel.upper()}: {shlex.join(argv)}")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err_path = os.path.join(out_dir, "stderr")
    sent = 0
    qemu_err = b""
    try:
        while True:
            try:
                proc.wait(0.5)
                done = True
            except subprocess.TimeoutExpired:
                done = False
            sent = _relay_new(err_path, sent, relay)
            if done:
                break
            if time.monotonic() - t0 > timeout:
                proc.kill()
                proc.wait()
                raise BootError(f"the guest did not finish within {timeout:.0f} s (console: {console})")
        if proc.stderr is not None and select.select([proc.stderr], [], [], 0)[0]:
            qemu_err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    elapsed = time.monotonic() - t0
    status_path = os.path.join(out_dir, "status")
    if not os.path.exists(status_path):
        why = qemu_err.decode(errors="replace").strip().splitlines()[-1:] or _tail(console)
        shutil.rmtree(out_dir, ignore_errors=True)
        raise BootError(f"the guest ended (qemu status {proc.returncode}) without the job's status: "
                        f"{' '.join(why) or 'no message'} (console: {console})")
    with open(status_path, encoding="utf-8") as fh:
        status = int(fh.read().strip() or "255")
    with open(os.path.join(out_dir, "stdout"), "rb") as fh:
        stdout = fh.read()
    with open(err_path, "rb") as fh:
        stderr = fh.read()
    shutil.rmtree(out_dir, ignore_errors=True)
    return JobResult(status, stdout, stderr, elapsed)


def _relay_new(path: str, sent: int, relay: Callable[[bytes], None]) -> int:
    try:
        with open(path, "rb") as fh:
            fh.seek(sent)
            new = fh.read()
    except FileNotFoundError:
        return sent
    if new:
        relay(new)
    return sent + len(new)


def _tail(console: str) -> list[str]:
    try:
        with open(console, "rb") as fh:
            lines = fh.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return []
    return [ln.strip() for ln in lines[-3:]]
