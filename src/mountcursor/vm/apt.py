"""Debian packages fetched through a private apt configuration, then unpacked.

Each suite gets its own directory under the project's cache (:func:`cache_dir`:
``$XDG_CACHE_HOME/mountcursor/vm``, else ``~/.cache/mountcursor/vm``) holding apt's
``Dir::State`` (lists, an empty dpkg status), ``Dir::Cache`` and a ``sources.list`` of
one line: the host's Debian archive (:func:`mountcursor.vm.sources.debian_archive`) with
this suite.  ``apt-get update`` and ``apt-get download`` run with those directories, so
the host's apt state, its dpkg database and ``/boot`` are never touched; apt checks every
``.deb`` against the signed index.  ``dpkg-deb -x`` unpacks a package into the cache.

The newest kernel of a suite is the one its ``linux-image-amd64`` metapackage depends on.
Since Debian's 7.x packages (sid, forky) that image is split: ``linux-image-<abi>``
depends on ``linux-binary-<abi>`` (``vmlinuz`` in ``/usr/lib/modules/<release>/``),
``linux-modules-<abi>`` and ``linux-base-<abi>`` (``modules.builtin``, ``config``);
:func:`kernel_parts` names them and :func:`fetch` unpacks them all into one tree.

A generation names a suite (:data:`SUITES`), and the suite's metapackage names the
release; :func:`fetch` refuses a release of another generation (:class:`GenerationMoved`:
``sid`` will move on from 7.2 one day, and a row labelled 7.2 must not then boot 7.3).
The lists of a suite that moves (:data:`MOVING`) are fetched again once a day (offline,
``apt-get update`` warns and keeps them), so the release booted is the one the suite
ships now.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from .sources import Source

#: kernel generation -> Debian suite that ships it (the newest: sid's, 7.2.13 on 6 Dec 2026)
SUITES: dict[str, str] = {"5.10": "bullseye", "6.1": "bookworm", "6.12": "trixie", "7.2": "sid"}
#: suites whose kernel changes under the same name: their lists are fetched again after
#: :data:`LISTS_MAX_AGE` seconds
MOVING = ("sid", "unstable", "forky", "testing")
LISTS_MAX_AGE = 86400.0

Say = Callable[[str], None]


class FetchError(RuntimeError):
    """apt or dpkg-deb failed, or a tool is missing: the message says which and why."""


class GenerationMoved(FetchError):
    """The suite of a generation now ships a kernel of another generation."""


def cache_dir() -> str:
    """``$XDG_CACHE_HOME/mountcursor/vm`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "mountcursor", "vm")


@dataclass(frozen=True)
class PrivateApt:
    """apt-get and apt-cache run on one suite with state and cache under ``root``."""

    root: str
    source: Source
    suite: str

    def sources_line(self) -> str:
        opts = f"[arch=amd64 signed-by={self.source.signed_by}] " if self.source.signed_by else "[arch=amd64] "
        return f"deb {opts}{self.source.uri} {self.suite} main\n"

    def options(self) -> list[str]:
        r = self.root
        return ["-o", f"Dir::State={r}/state", "-o", f"Dir::State::status={r}/state/status",
                "-o", f"Dir::Cache={r}/cache", "-o", f"Dir::Etc::SourceList={r}/sources.list",
                "-o", "Dir::Etc::SourceParts=-", "-o", "APT::Architecture=amd64",
                "-o", "APT::Architectures::=amd64", "-o", "Debug::NoLocking=1", "-q"]

    def prepare(self) -> None:
        for sub in ("state/lists/partial", "cache/archives/partial", "debs"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        status = os.path.join(self.root, "state", "status")
        if not os.path.exists(status):
            open(status, "w").close()
        with open(os.path.join(self.root, "sources.list"), "w", encoding="utf-8") as fh:
            fh.write(self.sources_line())

    def run(self, tool: str, *args: str, cwd: str | None = None) -> str:
        if shutil.which(tool) is None:
            raise FetchError(f"{tool} is not installed (the VM fetches kernels with Debian's apt)")
        p = subprocess.run([tool, *self.options(), *args], cwd=cwd, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            last = (p.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise FetchError(f"{tool} {' '.join(args)} for {self.suite} failed (status {p.returncode}): {last}")
        return p.stdout

    def update(self) -> None:
        self.run("apt-get", "update")

    def depends_of(self, package: str) -> list[str]:
        """The packages ``package`` depends on (first alternative of each), per apt-cache."""
        out = self.run("apt-cache", "depends", "--no-recommends", "--no-suggests", package)
        return parse_depends(out)

    def download(self, package: str) -> str:
        """The checked ``.deb`` of ``package`` (downloaded once into ``debs/``)."""
        where = os.path.join(self.root, "debs")
        found = glob.glob(os.path.join(where, f"{package}_*.deb"))
        if found:
            return sorted(found)[-1]
        self.run("apt-get", "download", package, cwd=where)
        found = glob.glob(os.path.join(where, f"{package}_*.deb"))
        if not found:
            raise FetchError(f"apt-get download {package} left no .deb in {where}")
        return sorted(found)[-1]


def parse_depends(apt_cache_out: str) -> list[str]:
    """``apt-cache depends`` output -> the direct ``Depends:`` (``|Depends:`` alternatives
    give their first)."""
    out = []
    for line in apt_cache_out.splitlines():
        m = re.match(r"\s*\|?(Pre)?Depends:\s*<?([^\s>]+)>?", line)
        if m:
            out.append(m.group(2))
    return out


def newest_image(deps: list[str]) -> str:
    """The kernel image package among ``linux-image-amd64``'s dependencies."""
    images = [d for d in deps if re.fullmatch(r"linux-image-[0-9][0-9a-z.+~-]*-amd64(-unsigned)?", d)]
    if not images:
        raise FetchError(f"linux-image-amd64 depends on no kernel image (it depends on {', '.join(deps) or 'nothing'})")
    return images[0]


def generation_of(image: str) -> str:
    """``linux-image-7.2.13+deb14-amd64`` -> ``7.2``; ``linux-image-6.1.0-50-amd64`` -> ``6.1``."""
    m = re.fullmatch(r"linux-image-([0-9]+\.[0-9]+)[.-].*", image)
    if not m:
        raise FetchError(f"cannot tell the kernel version of {image}")
    return m.group(1)


def check_generation(generation: str, suite: str, image: str) -> None:
    """:class:`GenerationMoved` unless ``image`` is of ``generation``."""
    got = generation_of(image)
    if got != generation:
        raise GenerationMoved(f"{suite} now ships {image} (Linux {got}), not a {generation} kernel: the "
                              f"generation {generation} is no longer in {suite} (mountcursor.vm.apt.SUITES "
                              f"maps each generation to the suite that ships it)")


def kernel_parts(image: str, deps: list[str]) -> list[str]:
    """The packages of ``image``'s dependencies that carry the same kernel: those named
    ``linux-*-<abi>`` for its ``<abi>`` (``linux-binary-7.2.13+deb14-amd64``, ...); none
    where the image is one package (up to trixie)."""
    abi = image.removeprefix("linux-image-").removesuffix("-unsigned")
    return [d for d in deps if d != image and d.startswith("linux-") and d.endswith("-" + abi)]


def unpack(debs: list[str], dest: str) -> str:
    """``dpkg-deb -x`` each of ``debs`` into ``dest``, once (a ``.done`` marker beside ``dest``)."""
    done = dest + ".done"
    if os.path.exists(done):
        return dest
    if shutil.which("dpkg-deb") is None:
        raise FetchError("dpkg-deb is not installed")
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for deb in debs:
        p = subprocess.run(["dpkg-deb", "-x", deb, dest], capture_output=True, text=True)
        if p.returncode != 0:
            raise FetchError(f"dpkg-deb -x {deb} failed: {p.stderr.strip()}")
    open(done, "w").close()
    return dest


def lists_stale(lists: list[str], updated: float | None, suite: str, now: float,
                max_age: float = LISTS_MAX_AGE) -> bool:
    """No lists yet, or ``suite`` moves and its last ``apt-get update`` (``updated``, None
    when unknown) is older than ``max_age`` seconds.  The lists' own times will not do:
    apt gives them the archive's, and leaves an unchanged one as it was."""
    if not lists:
        return True
    return suite in MOVING and (updated is None or now - updated > max_age)


def _mtime(path: str) -> float | None:
    try:
        return os.path.getmtime(path)
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class Fetched:
    """A suite's unpacked kernel package and busybox-static."""

    suite: str
    image: str  # the package name, e.g. linux-image-6.1.0-41-amd64
    kernel_root: str  # where the image package was unpacked
    busybox: str  # path of the static busybox binary

    @property
    def modules_dir(self) -> str:
        """``lib/modules/<release>`` (``usr/lib/...`` since trixie's merged /usr)."""
        for top in ("lib/modules", "usr/lib/modules"):
            where = os.path.join(self.kernel_root, top)
            if os.path.isdir(where) and os.listdir(where):
                return os.path.join(where, sorted(os.listdir(where))[-1])
        raise FetchError(f"{self.image} has no lib/modules")

    @property
    def release(self) -> str:
        return os.path.basename(self.modules_dir)

    @property
    def vmlinuz(self) -> str:
        """``boot/vmlinuz-<release>``, or ``vmlinuz`` beside the modules (7.x's ``linux-binary``)."""
        boot = os.path.join(self.kernel_root, "boot", f"vmlinuz-{self.release}")
        return boot if os.path.exists(boot) else os.path.join(self.modules_dir, "vmlinuz")


def fetch(generation: str, source: Source, say: Say, root: str | None = None, refresh: bool = False) -> Fetched:
    """The newest kernel of ``generation``'s suite and busybox-static, unpacked in the cache."""
    suite = SUITES[generation]
    apt = PrivateApt(os.path.join(root or cache_dir(), suite), source, suite)
    apt.prepare()
    lists = glob.glob(os.path.join(apt.root, "state", "lists", "*Packages*"))
    updated = os.path.join(apt.root, "state", "updated")
    if refresh or lists_stale(lists, _mtime(updated), suite, time.time()):
        say(f"apt-get update ({suite}, private lists in {apt.root})")
        apt.update()
        open(updated, "w").close()
    image = newest_image(apt.depends_of("linux-image-amd64"))
    check_generation(generation, suite, image)
    parts = kernel_parts(image, apt.depends_of(image))
    say(f"{' '.join([image, *parts])} and busybox-static ({suite})")
    kdebs = [apt.download(p) for p in (image, *parts)]
    bdeb = apt.download("busybox-static")
    kroot = unpack(kdebs, os.path.join(apt.root, "unpacked", os.path.basename(kdebs[0])[:-4]))
    broot = unpack([bdeb], os.path.join(apt.root, "unpacked", os.path.basename(bdeb)[:-4]))
    found = [p for p in (os.path.join(broot, "bin", "busybox"), os.path.join(broot, "usr", "bin", "busybox"))
             if os.path.exists(p)]
    if not found:
        raise FetchError(f"busybox-static of {suite} has no bin/busybox")
    busybox = found[0]
    return Fetched(suite, image, kroot, busybox)
