"""Benchmark 3: the model's mountinfo rendering against the running kernel's.

For N = 1k, 10k and 100k (``--quick``: 1k, 10k) tmpfs mounts:

- **kernel**: a helper process started with ``unshare -m --propagation private``
  mounts a tmpfs on a fresh temporary directory, then N tmpfs under it with
  ``mount(2)`` (ctypes ``libc.mount``) in the same two-level layout as the model's
  table, and times reading its own ``/proc/self/mountinfo`` to EOF with 4096-byte
  ``os.read`` calls.  Everything it mounts lives in its private mount namespace
  and goes away with it; on the host only the empty temporary directory is
  created (and removed afterwards).  The kernel caps a namespace at
  ``fs.mount-max`` mounts (100,000 by default) including the ones it inherits, so
  the 100k point mounts as many as fit (until ``mount(2)`` says ``ENOSPC``); the
  model then gets the same count.
- **model**: the same mount points (same paths, ``rw,relatime``, ``tmpfs tmpfs rw``)
  in the model, read to EOF through ``idtree`` on ``modern`` with 4096-byte reads.

Skipped, with the reason, when not root, when ``unshare`` is missing or fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Optional

from mountcursor.kernel import open_proc

from ._common import (
    Config, Section, build_table, churn_step, fmt_s, fmt_x, layout_paths, machine, machine_line, md_table, median,
    pyplot, save_fig, spread,
)

NAME = "kernel"
TITLE = "3. Model rendering vs the kernel"
READ_SIZE = 4096
#: how the model's table is read: see model_side
MODES = ("warm", "changed", "cold")
MODE_LABELS = {"warm": "warm (lines cached)", "changed": "right after a change (umount + mount)",
               "cold": "cold (no line cached: the verifier's path)"}

# Run inside `unshare -m --propagation private`; reads {"dir", "paths", "repeats", "read_size"}
# on stdin, prints {"mounted", "lines", "bytes", "times", ...} on stdout.
HELPER = r"""
import ctypes, json, os, sys, time
a = json.load(sys.stdin)
libc = ctypes.CDLL(None, use_errno=True)
def mount(path):
    if libc.mount(b"tmpfs", path, b"tmpfs", 0, None) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), path)
def table():
    with open("/proc/self/mountinfo", "rb") as f:
        return f.read()
def lines():
    return table().count(b"\n")
d = a["dir"].encode()
mount(d)  # a tmpfs of its own: the buckets' directories never touch the host's /tmp
with open("/proc/sys/fs/mount-max") as f:
    mount_max = int(f.read())
room = mount_max - lines()
mounted = 0
t0 = time.perf_counter()
for rel in a["paths"]:  # buckets before their leaves
    if mounted >= room:
        break
    p = d + b"/" + rel.encode()
    os.mkdir(p)
    try:
        mount(p)
    except OSError as e:  # ENOSPC: fs.mount-max also counts mounts mountinfo does not show
        if e.errno != 28:
            raise
        os.rmdir(p)
        break
    mounted += 1
mount_s = time.perf_counter() - t0
times = []
size = a["read_size"]
for _ in range(a["repeats"]):
    fd = os.open("/proc/self/mountinfo", os.O_RDONLY)
    n = 0
    t0 = time.process_time()
    while True:
        c = os.read(fd, size)
        if not c:
            break
        n += len(c)
    times.append(time.process_time() - t0)
    os.close(fd)
t = table()
print(json.dumps({"mounted": mounted, "mount_max": mount_max, "lines": t.count(b"\n"), "bytes": n,
                  "last_line": t.rsplit(b"\n", 2)[-2].decode(),
                  "times": times, "mount_s": mount_s}))
"""


def _why_not() -> Optional[str]:
    if os.geteuid() != 0:
        return "not root: mounting needs CAP_SYS_ADMIN"
    if not shutil.which("unshare"):
        return "no `unshare` binary (util-linux)"
    return None


def kernel_side(n: int, repeats: int) -> dict[str, Any]:
    """Run the helper for ``n`` mounts; {"skipped": reason} when it cannot run."""
    why = _why_not()
    if why:
        return {"skipped": why}
    d = tempfile.mkdtemp(prefix="mcbench")
    try:
        arg = json.dumps({"dir": d, "paths": [x.decode() for x in layout_paths(n)], "repeats": repeats, "read_size": READ_SIZE})
        try:
            p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, "-c", HELPER],
                               input=arg, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return {"skipped": "the helper took more than 600 s"}
        if p.returncode != 0:
            err = (p.stderr.strip().splitlines() or ["?"])[-1]
            return {"skipped": f"unshare/helper failed (exit {p.returncode}): {err}"}
        r = json.loads(p.stdout)
        r["dir"] = d
        return r
    finally:
        shutil.rmtree(d, ignore_errors=True)  # empty: the helper's mounts died with its namespace


def model_side(n: int, prefix: bytes, repeats: int, of: int) -> dict[str, Any]:
    """The first ``n`` mounts of the layout for ``of`` (what the kernel side mounted), read
    three ways: *warm* (every line in ``show_mountinfo``'s line cache), *after a change*
    (a leaf unmounted and a new one mounted at the tail just before the read, untimed),
    and *cold* (every cached line dropped before the read: the path the verifier takes)."""
    t = build_table(n, prefix, of)
    res: dict[str, Any] = {}

    def read() -> None:
        with open_proc(t.ns, "mountinfo", strategy="idtree", semantics="modern") as f:
            data = f.read_all(READ_SIZE)
        res["bytes"] = len(data)
        res["lines"] = data.count(b"\n")
        res["last_line"] = data.rsplit(b"\n", 2)[-2].decode()

    def change() -> None:
        churn_step(t, 1 << 30)

    def drop() -> None:
        for m in t.ns.mounts_by_id():
            m.shown = None

    read()  # fills the cache
    for mode, before in (("warm", None), ("changed", change), ("cold", drop)):
        ts = []
        for _ in range(repeats):
            if before is not None:
                before()
            t0 = time.process_time()
            read()
            ts.append(time.process_time() - t0)
        res[mode] = {"time_s": median(ts), "times": ts, "spread": spread(ts)}
    res.update(mounted=t.n, time_s=res["warm"]["time_s"], times=res["warm"]["times"], spread=res["warm"]["spread"])
    return res


def run(cfg: Config) -> dict[str, Any]:
    sizes = [1000, 10_000] + ([] if cfg.quick else [100_000])
    repeats = max(5, cfg.repeats)
    points = []
    for n in sizes:
        k = kernel_side(n, repeats)
        pt: dict[str, Any] = {"n": n, "kernel": k}
        if "skipped" in k:
            cfg.log(f"  N={n}: kernel side skipped: {k['skipped']}")
            mdl = model_side(n, b"/tmp/mcbenchXXXXXXXX", repeats, n)
        else:
            k["time_s"] = median(k["times"])
            k["spread"] = spread(k["times"])
            mdl = model_side(k["mounted"], k["dir"].encode(), repeats, n)
            pt["ratio"] = mdl["time_s"] / k["time_s"]
            pt["ratio_per_byte"] = (mdl["time_s"] / mdl["bytes"]) / (k["time_s"] / k["bytes"])
            for mode in MODES:
                pt[f"ratio_{mode}"] = mdl[mode]["time_s"] / k["time_s"]
        pt["model"] = mdl
        points.append(pt)
        times = ", ".join(f"{m} {fmt_s(mdl[m]['time_s'])}" for m in MODES)
        ratios = "" if "skipped" in k else ", kernel " + fmt_s(k["time_s"]) + ", " + ", ".join(
            f"{m} {pt['ratio_' + m]:.2f}x" for m in MODES)
        cfg.log(f"  N={n}: model {times}{ratios}")
    return {"machine": machine(), "quick": cfg.quick, "repeats": repeats, "read_size": READ_SIZE,
            "points": points}


def _mode_ratio(p: dict[str, Any], mode: str) -> float:
    """A point's model/kernel ratio for ``mode`` (results from before the line cache have one)."""
    return p.get(f"ratio_{mode}", p["ratio"] if mode == "warm" else float("nan"))


def render(res: dict[str, Any], out: Any) -> Section:
    pts = res["points"]
    ok = [p for p in pts if "ratio" in p]
    modes = [m for m in MODES if all(m in p["model"] for p in pts)] or ["warm"]
    rows = []
    for p in pts:
        k, m = p["kernel"], p["model"]
        times = [fmt_s(m[x]["time_s"]) if x in m else fmt_s(m["time_s"]) for x in modes]
        if "skipped" in k:
            rows.append([f"{p['n']:,}", f"{m['mounted']:,}", f"{m['lines']:,}", "—", *times, "—"]
                        + ["—"] * len(modes))
            continue
        rows.append([f"{p['n']:,}", f"{m['mounted']:,}", f"{m['lines']:,} / {k['lines']:,}",
                     f"{m['bytes']:,} / {k['bytes']:,}", *times, fmt_s(k["time_s"])]
                    + [fmt_x(_mode_ratio(p, x), 2) for x in modes])
    plots = []
    if ok:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        for mode, marker in zip(modes, "osd"):
            ax.plot([p["model"]["mounted"] for p in ok], [_mode_ratio(p, mode) for p in ok], marker=marker,
                    label=MODE_LABELS[mode])
        ax.axhline(1.0, color="grey", lw=1, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        from matplotlib.ticker import FuncFormatter, LogLocator

        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(FuncFormatter(lambda y, _: ""))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}×"))
        ax.set_xlabel("tmpfs mounts in the table")
        ax.set_ylabel("model time / kernel time (median)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        ax.set_title("Reading mountinfo to EOF, 4 KiB reads: model (idtree, 5.10+) / kernel", fontsize=9)
        plots.append(save_fig(fig, out, "kernel_ratio.png"))
    md = [
        f"Machine: {machine_line(res['machine'])}.",
        "",
        "The same tmpfs mount points read to EOF with 4096-byte reads: the model through `idtree` on "
        "`modern`, and the kernel's `/proc/self/mountinfo` in a private mount namespace made by "
        "`unshare -m --propagation private` (a helper mounts them with `mount(2)`; see "
        f"`benchmarks/kernel_render.py`). Median of {res['repeats']} reads of the whole table each side, "
        "the model's right after the kernel's, timed as CPU time of the reading process (user + system, "
        "`time.process_time()`: the kernel's work in `read(2)` is system time), which the other jobs on "
        "this shared machine do not inflate the way they inflate wall time. The model is read three ways: *warm*, every line in "
        "`show_mountinfo`'s per-mount line cache; *after a change*, a leaf unmounted and a new one mounted "
        "at the tail before each read (outside the timing), so the lines of those mounts are built again; "
        "*cold*, every cached line dropped before each read, which is what every read under the "
        "verifier's scheduler does. The kernel's table also holds the mounts the namespace inherited "
        "and the helper's base tmpfs, so lines and bytes are shown for both.",
        "",
    ]
    if plots:
        md += [f"![ratio]({plots[0]})", ""]
    md += [md_table(["N asked", "mounts", "lines model / kernel", "bytes model / kernel"]
                    + [f"model, {x}" for x in modes] + ["kernel"] + [f"{x} / kernel" for x in modes], rows), ""]
    skipped = [p for p in pts if "skipped" in p["kernel"]]
    if skipped:
        md += ["Kernel side skipped: " + "; ".join(f"N={p['n']:,}: {p['kernel']['skipped']}" for p in skipped)
               + ".", ""]
    capped = [p for p in ok if p["kernel"]["mounted"] < p["n"]]
    if capped:
        md += ["Capped by `fs.mount-max` "
               + ", ".join(f"({p['kernel']['mount_max']:,}, with the inherited mounts): N={p['n']:,} "
                           f"became {p['kernel']['mounted']:,}" for p in capped)
               + "; the model got the same count.", ""]
    if ok:
        p = ok[-1]
        md += [f"The last line, model: `{p['model']['last_line']}`; kernel: `{p['kernel']['last_line']}`.", "",
               "What bounds the model when cold: each record is built as a Python object "
               "(`mountinfo_record`), its mount point is found by walking up the parents (`d_path`), "
               "it is rendered field by field (`format.render_mountinfo`) and copied into the seq_file "
               "buffer, and every `start`/`next`/`show`/`stop` is a Python call; the kernel does the "
               "same in C. Warm, a line is one cache check (`Mount.__setattr__` drops a line whenever "
               "a field it shows changes) and the rest is the seq_file walk."]
    summary = ["kernel: " + ("; ".join(f"N={p['model']['mounted']:,}: model/kernel "
                                       + ", ".join(f"{x} {fmt_x(_mode_ratio(p, x), 2)}" for x in modes)
                                       for p in ok) if ok else "kernel side skipped")]
    return Section(NAME, TITLE, "\n".join(md), summary, plots)
