#!/usr/bin/env python3
"""``mountcursor tree`` (findmnt's tree view) next to findmnt, measured in the same run:
issue 9's tree targets.

    python -m benchmarks --only tree [--quick]        (the report's "tree" section)
    python benchmarks/live_tree.py [--quick]          (the same, then the report rebuilt)

* saved tables of 100,000 mounts (10,000 with ``--quick``) in three shapes: ``wide``
  (100 directories of tmpfs mounts below ``/``), ``deep`` (chains of 100 nested mounts)
  and ``host`` (a container host: overlay roots with long option strings, bind mounts
  of files with a root inside their filesystem, proc/sysfs/devpts/mqueue per container,
  shared and slave tags).  ``mountcursor tree -F`` (the whole CLI, start-up included)
  against ``findmnt -l -F`` of the same file (findmnt's tree of 100,000 mounts takes
  minutes: libmount scans the whole table for each node's children), CPU and wall time
  and peak RSS;
* a live private namespace (the sandbox) of 10,000 tmpfs mounts: ``tree -N`` and
  ``tree -J -N`` against findmnt's tree and ``findmnt -J``; the library's parse and
  parse + table + tree per line;
* a live namespace of 100,000 mounts (``fs.mount-max`` caps it; skipped with
  ``--quick``): ``tree -N`` against ``findmnt -l -N``, time and peak RSS.

Every ratio is the median of per-pair ratios, the two commands run in turn (A B A B ...),
so a slow moment of this shared machine hits both sides of a pair.  The sandbox needs
root; without it those rows are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

if __package__ in (None, ""):  # run as a script: the package is the parent directory
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    __package__ = "benchmarks"

from ._common import Config, Section, fmt_s, md_table  # noqa: E402
from .live import MC, _cmd_pair, _rss_pair, machine_note, rss_row, targets_plot  # noqa: E402

NAME = "tree"
TITLE = "findmnt's tree: `mountcursor tree` next to findmnt"

SHAPES = ("wide", "deep", "host")


def synthetic(n: int, shape: str) -> bytes:
    """A mountinfo table of ``n`` mounts: a root, then mounts in the shape named."""
    lines = [b"20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"]
    if shape == "host":
        return b"".join(lines) + _host(n - 1)
    for i in range(1, n):
        mnt_id = 20 + i
        if shape == "wide":
            parent, target = 20, b"/srv/d%d/m%d" % (i % 100, i)
        else:  # chains of 100 nested mounts
            depth = i % 100
            parent = 20 if depth == 0 else mnt_id - 1
            target = b"/srv/c%d" % (i // 100) + b"".join(b"/n%d" % k for k in range(depth))
        lines.append(b"%d %d 0:%d / %s rw,relatime - tmpfs tmpfs rw,size=4k\n" % (mnt_id, parent, 100 + i, target))
    return b"".join(lines)


def _host(n: int) -> bytes:
    """``n`` mounts of containers, ten each: an overlay root, then below it proc, a tmpfs
    /dev with devpts, mqueue and shm in it, sysfs, and three bind-mounted files."""
    lines = []
    for i in range(n):
        c, k = divmod(i, 10)
        base = 1000 + 10 * c
        mnt_id = base + k
        merged = b"/var/lib/docker/overlay2/%064x/merged" % (c * 7919)
        layers = b":".join(b"/var/lib/docker/overlay2/l/%026X" % (c * 31 + j) for j in range(6))
        if k == 0:
            line = (b"%d 20 0:%d / %s rw,relatime master:1 - overlay overlay rw,lowerdir=%s,upperdir=%s/diff,"
                    b"workdir=%s/work" % (mnt_id, 500 + c, merged, layers, merged[:-7], merged[:-7]))
        else:
            parent, what = {1: (base, b"proc"), 2: (base, b"dev"), 3: (base + 2, b"dev/pts"),
                            4: (base + 2, b"dev/mqueue"), 5: (base + 2, b"dev/shm"), 6: (base, b"sys"),
                            7: (base, b"etc/hosts"), 8: (base, b"etc/hostname"),
                            9: (base, b"etc/resolv.conf")}[k]
            target = merged + b"/" + what
            if k == 1:
                rest = b"rw,nosuid,nodev,noexec,relatime - proc proc rw"
            elif k == 6:
                rest = b"ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro"
            elif k == 3:
                rest = b"rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620,ptmxmode=666"
            elif k == 4:
                rest = b"rw,nosuid,nodev,noexec,relatime - mqueue mqueue rw"
            elif k in (2, 5):
                rest = b"rw,nosuid,nodev,noexec,relatime - tmpfs %s rw,size=65536k,mode=755" % (
                    b"tmpfs" if k == 2 else b"shm")
            else:
                line = (b"%d %d 254:0 /var/lib/docker/containers/%064x/%s %s rw,relatime shared:2 - ext4 /dev/vda "
                        b"rw,discard" % (mnt_id, parent, c * 7919, what.rsplit(b"/", 1)[1], target))
                lines.append(line + b"\n")
                continue
            line = b"%d %d 0:%d / %s %s" % (mnt_id, parent, 600 + i, target, rest)
        lines.append(line + b"\n")
    return b"".join(lines)


def saved_shape(shape: str, n: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{shape}-{n}")
        with open(path, "wb") as f:
            f.write(synthetic(n, shape))
        r = _cmd_pair([MC, "tree", "-F", path], ["findmnt", "-l", "-F", path], runs)
        r["rss"] = _rss_pair([MC, "tree", "-F", path], ["findmnt", "-l", "-F", path], 1)
        name = f"{shape}-{n}"  # not the temporary directory's
        r.update(shape=shape, n=n, ours=r["ours"].replace(path, name), peer=r["peer"].replace(path, name))
        return r


def _per_line(fn: Callable[[], object], lines: int, runs: int) -> float:
    """The least CPU time of ``runs`` calls, in microseconds per line."""
    best = float("inf")
    for _ in range(runs):
        c = time.process_time()
        fn()
        best = min(best, time.process_time() - c)
    return best / lines * 1e6


def live_point(n: int, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    from mountcursor.live import MountTable, parse_mountinfo, snapshot
    from mountcursor.live.findmnt import tree
    from mountcursor.verify.sandbox import Sandbox

    t0 = time.perf_counter()
    with Sandbox(n=n, timeout=900) as sb:
        pid = str(sb.pid)
        data = snapshot(sb.pid).data or b""
        lines = data.count(b"\n")
        log(f"   {lines:,} mounts in the sandbox (made in {time.perf_counter() - t0:.1f} s)")
        point: dict[str, Any] = {"n": n, "lines": lines}
        point["parse_cpu_us_per_line"] = _per_line(lambda: parse_mountinfo(data), lines, runs)
        point["parse_tree_cpu_us_per_line"] = _per_line(lambda: tree(MountTable.from_bytes(data)), lines, runs)
        if lines <= 20_000:  # findmnt's tree is quadratic: minutes at 100,000
            point["tree"] = _cmd_pair([MC, "tree", "-N", pid], ["findmnt", "-N", pid], runs)
            point["tree_json"] = _cmd_pair([MC, "tree", "-J", "-N", pid], ["findmnt", "-J", "-N", pid], runs)
        else:
            point["tree_list"] = _cmd_pair([MC, "tree", "-N", pid], ["findmnt", "-l", "-N", pid], runs)
            point["tree_rss"] = _rss_pair([MC, "tree", "-N", pid], ["findmnt", "-l", "-N", pid], max(1, runs // 3))
        return point


def run(cfg: Config) -> dict[str, Any]:
    from .live import live_points, start

    runs, res = start(cfg)
    size = 10_000 if cfg.quick else 100_000
    res["saved"] = []
    for shape in SHAPES:
        cfg.log(f" saved table, {shape}, {size:,} mounts")
        res["saved"].append(saved_shape(shape, size, runs))
    res["live"], why = live_points([10_000] if cfg.quick else [10_000, 100_000], runs, cfg.log, live_point)
    if why is not None:
        res["live_skipped"] = why
    res["load_after"] = os.getloadavg()
    return res


def _mount_max() -> int | None:
    try:
        with open("/proc/sys/fs/mount-max") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


# ---- the report -----------------------------------------------------------------------------


def _targets(res: dict[str, Any]) -> list[tuple[str, float, float, str]]:
    """(what, measured, target, unit) for issue 9's tree targets."""
    out: list[tuple[str, float, float, str]] = []
    for s in res["saved"]:
        out.append((f"`tree -F` {s['n']:,} {s['shape']}, CPU s (÷ `findmnt -l -F`: {s['cpu_ratio']:.2f}×)",
                    s["ours_cpu_s"], 1.0, "s"))
    for p in res["live"]:
        k = f"{p['lines']:,}"
        if "tree" in p:
            out.append((f"`tree` ÷ findmnt's tree, {k} live (wall; CPU {p['tree']['cpu_ratio']:.3f}×)",
                        p["tree"]["ratio"], 0.1, "×"))
            out.append((f"`tree -J` ÷ `findmnt -J`, {k} live (wall; CPU {p['tree_json']['cpu_ratio']:.3f}×)",
                        p["tree_json"]["ratio"], 0.1, "×"))
        out.append((f"parse µs per line, {k} live (CPU)", p["parse_cpu_us_per_line"], 3.0, "µs"))
        out.append((f"parse + table + tree µs per line, {k} live (CPU)", p["parse_tree_cpu_us_per_line"], 5.0, "µs"))
        rss = p.get("tree_rss", {})
        if "ratio" in rss:
            out.append((f"peak RSS `tree` ÷ `findmnt -l`, {k} live", rss["ratio"], 1.5, "×"))
    return out


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return fmt_s(value)
    if unit == "µs":
        return f"{value:.2f} µs"
    return f"{value:.3f}×" if value < 0.2 else f"{value:.2f}×"


def _pair_row(label: str, r: dict[str, Any]) -> list[str]:
    return [label, f"`{r['ours']}`", fmt_s(r["ours_s"]), f"`{r['peer']}`", fmt_s(r["peer_s"]), f"{r['ratio']:.3f}×",
            f"{fmt_s(r['ours_cpu_s'])} / {fmt_s(r['peer_cpu_s'])} = {r['cpu_ratio']:.3f}×"]


def render(res: dict[str, Any], out: Path) -> Section:
    targets = _targets(res)
    rows = [[what, _fmt(v, u), ("< " if u == "s" else "≤ ") + _fmt(t, u), "met" if v <= t else "**not met**"]
            for what, v, t, u in targets]
    plots = [targets_plot(targets, "tree", res["machine"], out / "live_tree.png")] if targets else []
    md = [machine_note(res), "",
          "Whole commands timed from outside, start-up included; ratios are medians of per-pair ratios (ours "
          "and findmnt run in turn). The `tree -F` target (under 1 s) is judged on CPU time, as the wall clock "
          "of this shared machine also counts the time other work held both cores. A table whose lines have "
          "the kernel's shape, live or saved, is split into columns by the findmnt engine (no entry objects; "
          "a saved one is also checked for the problems of a damaged table); any other goes through the "
          "library's parser into the same engine. See `benchmarks/live_tree.py`.", ""]
    if plots:
        md += ["![tree](live_tree.png)", ""]
    md += [md_table(["what", "measured", "target", ""], rows), ""]
    detail = []
    for s in res["saved"]:
        detail.append(_pair_row(f"{s['n']:,} {s['shape']}", s))
        rss = s.get("rss", {})
        if "ratio" in rss:
            detail.append([f"{s['n']:,} {s['shape']}", "peak RSS", f"{rss['ours_mib']:.0f} MiB", "",
                           f"{rss['peer_mib']:.0f} MiB", f"{rss['ratio']:.2f}×", ""])
    for p in res["live"]:
        for key in ("tree", "tree_json", "tree_list"):
            if key in p:
                detail.append(_pair_row(f"{p['lines']:,} live", p[key]))
        rss = p.get("tree_rss", {})
        if "ratio" in rss:
            detail.append(rss_row(f"{p['lines']:,} live", rss))
    md += ["Every pair (medians):", "",
           md_table(["mounts", "ours", "wall", "peer", "wall", "ratio (wall)", "CPU ours / peer"], detail)]
    if res.get("live_skipped"):
        md += ["", f"Live namespace skipped: {res['live_skipped']}."]
    met = sum(1 for _, v, t, _ in targets if v <= t)
    summary = [f"tree: {met} of {len(targets)} targets met; "
               + "; ".join(f"{what.replace('`', '')} {_fmt(v, u)}" for what, v, t, u in targets)[:700]]
    return Section(NAME, TITLE, "\n".join(md), summary, plots)


def main() -> int:
    from .__main__ import main as benchmarks_main

    return benchmarks_main(["--only", NAME, *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
