"""One command in a guest kernel: fetch (cached), build the boot files (cached), boot, run.

:func:`boot_files` keeps, per kernel release, the uncompressed ``vmlinux`` (or the
bzImage where it cannot be extracted) and the initramfs under the suite's cache
directory.  :func:`run_mountcursor` runs ``python -m mountcursor ARGS`` in the guest with
this interpreter and this checkout (the guest's root is the host's ``/``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from .apt import SUITES, Fetched, cache_dir, fetch
from .boot import JobResult, host_accel, need_qemu, pycache_dir, run_job, warm_pycache
from .initramfs import INIT_VERSION, build, extract_vmlinux
from .sources import debian_archive, read_sources

Say = Callable[[str], None]

#: the sandbox worker's reply timeout in a guest, by accelerator (a TCG guest runs Python
#: 12-30 times slower than the host)
SANDBOX_TIMEOUT = {"kvm": 60.0, "tcg": 600.0}


def boot_files(f: Fetched, say: Say) -> tuple[str, str]:
    """(kernel, initrd) for ``f``, built once."""
    where = os.path.join(os.path.dirname(os.path.dirname(f.kernel_root)), "boot", f.release)
    os.makedirs(where, exist_ok=True)
    initrd = os.path.join(where, f"initrd-{INIT_VERSION}.cpio")
    vmlinux = os.path.join(where, "vmlinux")
    if not os.path.exists(initrd):
        say(f"initramfs for {f.release}")
        data = build(f.busybox, f.modules_dir)
        _write(initrd, data)
    if not os.path.exists(vmlinux) and not os.path.exists(vmlinux + ".none"):
        with open(f.vmlinuz, "rb") as fh:
            raw = extract_vmlinux(fh.read())
        if raw is None:
            open(vmlinux + ".none", "w").close()
        else:
            _write(vmlinux, raw)
    return (vmlinux if os.path.exists(vmlinux) else f.vmlinuz), initrd


def _write(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def package_path() -> str:
    """The directory this ``mountcursor`` package is imported from (its ``src``)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def job_env(accel: str, pycache: str) -> dict[str, str]:
    """The guest job's environment: this package first on the path, the warmed bytecode,
    the sandbox's reply timeout scaled to the accelerator."""
    return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
            "LANG": "C.UTF-8", "TERM": "dumb", "COLUMNS": "150", "PYTHONPATH": package_path(),
            "PYTHONPYCACHEPREFIX": pycache, "PYTHONDONTWRITEBYTECODE": "1",
            "MOUNTCURSOR_SANDBOX_TIMEOUT": str(SANDBOX_TIMEOUT[accel])}


def run_mountcursor(generation: str, args: list[str], say: Say, relay: Callable[[bytes], None],
                    accel: str = "auto", timeout: float = 3600.0, refresh: bool = False) -> tuple[str, JobResult]:
    """``mountcursor ARGS`` in a guest running ``generation``'s kernel: (release, result)."""
    if generation not in SUITES:
        raise ValueError(f"no kernel {generation!r}: one of {', '.join(SUITES)}")
    need_qemu()
    source = debian_archive(read_sources())
    f = fetch(generation, source, say, refresh=refresh)
    kernel, initrd = boot_files(f, say)
    accel = host_accel() if accel == "auto" else accel
    cache = cache_dir()
    pycache = pycache_dir(cache)
    env = job_env(accel, pycache)
    say("bytecode cache (on the host, under PYTHONPYCACHEPREFIX)")
    warm_pycache(pycache, {**os.environ, "PYTHONPATH": package_path()})
    work = os.path.join(cache, SUITES[generation], "run")
    res = run_job(kernel, initrd, [sys.executable, "-m", "mountcursor", *args], os.getcwd(), env, work,
                  accel, say, timeout, relay)
    return f.release, res
