"""Shared helpers: the machine, timing (medians over repeats), slope fits, the model's
tables, Markdown and plots.

Every benchmark module exposes ``NAME``, ``TITLE`` and ``run(cfg) -> dict`` (a
JSON-able result, written to ``<out>/<NAME>.json``) and ``render(result, out) ->
Section`` (Markdown, plots, summary lines).  The runner keeps measuring and
rendering apart so a report can be rebuilt from stored results (``--only`` one
benchmark keeps the others' last results).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

from mountcursor.kernel import Kernel, MountNamespace
from mountcursor.kernel.mount import MNT_RELATIME

# --------------------------------------------------------------------------------------------
# run configuration and report pieces


@dataclass(frozen=True)
class Config:
    quick: bool
    repeats: int
    out: Path
    log: Callable[[str], None] = print


@dataclass
class Section:
    """One benchmark's part of the report."""

    name: str
    title: str
    markdown: str
    summary: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)


def machine() -> dict[str, Any]:
    """Cores, kernel release, Python and CPU model: stated with every result."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "cpu": cpu or platform.processor() or "?",
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "load": round(os.getloadavg()[0], 1),  # runnable processes (1-min average) when it started
    }


def machine_line(m: dict[str, Any]) -> str:
    return (f"{m['cores']} cores ({m['cpu']}), kernel {m['kernel']}, "
            f"{m['implementation']} {m['python']}, run {m['date']}"
            + (f", load average {m['load']} at the start (the machine is shared)" if "load" in m else ""))


# --------------------------------------------------------------------------------------------
# timing


def median(xs: Iterable[float]) -> float:
    return statistics.median(list(xs))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of one call (``perf_counter``) and its result."""
    t0 = time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, r


def repeat_median(fn: Callable[[], Any], repeats: int) -> tuple[float, list[float]]:
    """The median time of ``repeats`` calls, and every time (for the spread)."""
    ts = [timed(fn)[0] for _ in range(max(1, repeats))]
    return median(ts), ts


def spread(ts: Sequence[float]) -> float:
    """(max - min) / median: how noisy a point was."""
    m = median(ts)
    return (max(ts) - min(ts)) / m if m else 0.0


# --------------------------------------------------------------------------------------------
# fits


def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> Optional[float]:
    """Least-squares slope of log(y) against log(x) (the exponent of a power law);
    None with fewer than two usable points."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if not sxx:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def log_spaced(lo: int, hi: int, per_decade: int = 2) -> list[int]:
    """``lo`` .. ``hi`` with ``per_decade`` points a decade, rounded (100, 316, 1000, ...)."""
    n = round(math.log10(hi / lo) * per_decade)
    return sorted({round(lo * (hi / lo) ** (i / n)) for i in range(n + 1)})


# --------------------------------------------------------------------------------------------
# the model's tables


@dataclass
class Table:
    """A model namespace of ``n`` tmpfs mounts in a two-level layout: about sqrt(n)
    *bucket* mounts at ``<prefix>/bNNNN``, each with its share of *leaf* mounts at
    ``<prefix>/bNNNN/mNNNNN``.  (The model's ``lookup`` scans a mount's children, so a
    flat table of 100k mounts would take minutes to build; the kernel benchmark mounts
    the same layout.)"""

    kernel: Kernel
    ns: MountNamespace
    prefix: bytes
    buckets: list[bytes]  # bucket paths
    leaves: list[Any]  # leaf Mount objects in mount (= list = id) order
    parent_path: dict[int, bytes]  # id(bucket Mount) -> its path
    new_names: int = 0

    @property
    def n(self) -> int:
        return len(self.buckets) + len(self.leaves)


def layout(n: int) -> list[tuple[int, int]]:
    """(bucket, leaves in it) for ``n`` mounts: ceil(sqrt(n)) buckets, leaves spread evenly."""
    b = max(1, math.isqrt(n - 1) + 1) if n > 1 else 1
    rest = max(0, n - b)
    return [(i, rest // b + (1 if i < rest % b else 0)) for i in range(b)]


def layout_paths(n: int) -> list[bytes]:
    """The mount points of :func:`layout`, relative, each bucket before its leaves."""
    out = []
    for b, per in layout(n):
        out.append(b"b%04d" % b)
        out += [b"b%04d/m%05d" % (b, j) for j in range(per)]
    return out


def build_table(n: int, prefix: bytes = b"", of: Optional[int] = None) -> Table:
    """Mount ``n`` tmpfs (``rw,relatime``, as ``mount -t tmpfs`` gives) through
    ``MountNamespace.mount``, buckets and their leaves interleaved in list order;
    with ``of``, the first ``n`` mounts of the layout for ``of``."""
    k = Kernel()
    ns = k.create_namespace()
    t = Table(k, ns, prefix, [], [], {})
    for rel in layout_paths(of or n)[:n]:
        path = prefix + b"/" + rel
        mnt = ns.mount(path, b"tmpfs", b"tmpfs", flags=MNT_RELATIME)
        if b"/" in rel:
            t.leaves.append(mnt)
        else:
            t.buckets.append(path)
            t.parent_path[id(mnt)] = path
    return t


def churn_step(t: Table, passed: int) -> bool:
    """One churn step between two reads: unmount the oldest leaf among the first
    ``passed`` mounts of the table (ones the reader has already gone by) and mount a new
    leaf in the same bucket (at the tail of the list, with the largest id).  False if
    no leaf is behind the reader yet."""
    # the reader has shown `passed` lines in list order: rootfs is skipped, "/" is
    # line 1, so list position passed (0-based, counting rootfs) is the last one shown
    order = t.leaves
    if not order:
        return False
    first = order[0]
    pos = _list_position(t, first)
    if pos is None or pos >= passed:
        return False
    order.pop(0)
    parent = t.parent_path[id(first.mnt_parent)]
    t.ns.umount(first)
    t.new_names += 1
    t.leaves.append(t.ns.mount(parent + b"/n%05d" % t.new_names, b"tmpfs", b"tmpfs", flags=MNT_RELATIME))
    return True


def _list_position(t: Table, mnt: Any) -> Optional[int]:
    """Position of ``mnt`` in the list counting every real mount (rootfs is 0).  The
    oldest leaf sits near the head, so this walk is short."""
    i = 0
    for m in t.ns.iter_list():
        if m is mnt:
            return i
        i += 1
    return None


# --------------------------------------------------------------------------------------------
# Markdown and plots


def md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def fmt_s(t: Optional[float]) -> str:
    """A duration with a unit that suits it."""
    if t is None:
        return "—"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def fmt_n(n: float) -> str:
    return f"{n:,.0f}"


def fmt_x(r: Optional[float], digits: int = 2) -> str:
    return "—" if r is None else f"{r:.{digits}f}×"


#: resolution of every plot
DPI = 150

#: strategies whose curves coincide, plotted as one line (the median of the family, its
#: spread shaded): the cursor family walks the list the same way, the id trees the tree
FAMILIES = {
    "index": "index (pre-5.8)",
    "cursor": "cursor family (cursor, -vz, -vz-id, -vz-fixed)",
    "cursor-vz": "cursor family (cursor, -vz, -vz-id, -vz-fixed)",
    "cursor-vz-id": "cursor family (cursor, -vz, -vz-id, -vz-fixed)",
    "cursor-vz-fixed": "cursor family (cursor, -vz, -vz-id, -vz-fixed)",
    "idtree-6.8": "id tree (idtree-6.8, idtree)",
    "idtree": "id tree (idtree-6.8, idtree)",
}


def family(strategy: str) -> str:
    """The plot line a strategy belongs to (:data:`FAMILIES`; its own name if unknown)."""
    return FAMILIES.get(strategy, strategy)


def pyplot():
    """matplotlib's pyplot on the Agg backend, at :data:`DPI`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": DPI, "savefig.dpi": DPI, "font.size": 9})
    return plt


def save_fig(fig: Any, out: Path, name: str) -> str:
    """Save ``fig`` as ``out/name`` (PNG at :data:`DPI`) and close it; returns the file name."""
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out / name, format="png", dpi=DPI)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return name
