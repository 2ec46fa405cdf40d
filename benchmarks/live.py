"""The live reader and the CLI next to their peers, measured in the same run: issue 9's
live targets and issue 10's start-up target.

* start-up: ``mountcursor --help``/``--version`` against findmnt's, and ``mountcursor
  list`` against ``findmnt -l`` on this machine's own table;
* a live private namespace (the sandbox) of 1,000 / 10,000 / 100,000 tmpfs mounts
  (``fs.mount-max`` caps the last): ``snapshot()`` against ``cat`` of the same
  mountinfo, parse + tree per line, ``list -r`` against ``findmnt -r``, ``tree`` (text
  and ``--json``) against findmnt's tree where findmnt's tree finishes in seconds
  (its tree is quadratic: 10,000 at most), and the peak RSS of ``tree``;
* saved tables of the shapes in ``benchmarks/live_tree.py`` (wide, deep), 100,000
  mounts: ``mountcursor tree -F`` wall time (start-up included), against ``findmnt -F -l``.

Every ratio is the median of per-pair ratios, the two commands run in turn (A B A B ...),
so a slow moment of this shared machine hits both sides of a pair.  Whole commands are
timed from outside (``subprocess``, ``time.perf_counter``), peak RSS with
``/usr/bin/time -f %M``.  The sandbox needs root; without it those rows are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ._common import Config, Section, fmt_s, machine, machine_line, md_table, median

NAME = "live"
TITLE = "The live table: CLI and library next to findmnt and cat"

MC = str(Path(sys.executable).with_name("mountcursor"))
TIME = "/usr/bin/time"
FINDMNT_TREE_MAX = 20_000  # findmnt's tree of 100,000 mounts takes minutes


def _run(cmd: list[str], timeout: float = 600) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one whole command.

    The child is reaped with a blocking ``wait4``, which also gives its own CPU time.
    (``subprocess.run(timeout=...)`` polls with sleeps that double from 0.5 ms to 50 ms,
    so it sees a command end only at 31.5 ms, 63.5 ms, ... after its start: every wall
    time in that range came out as one of those steps.)"""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        killer.cancel()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    return wall, usage.ru_utime + usage.ru_stime


def _wall(cmd: list[str], timeout: float = 600) -> float:
    return _run(cmd, timeout)[0]


def _paired(a: Callable[[], float], b: Callable[[], float], runs: int) -> dict[str, Any]:
    """A and B in turn ``runs`` times (after one warm-up each): medians and the median
    of the per-pair ratios."""
    a(), b()
    pairs = [(a(), b()) for _ in range(runs)]
    return {"ours_s": median(p[0] for p in pairs), "peer_s": median(p[1] for p in pairs),
            "ratio": median(p[0] / p[1] for p in pairs), "runs": runs}


def _cmd_pair(ours: list[str], peer: list[str], runs: int) -> dict[str, Any]:
    """Two whole commands in turn: wall-clock medians and ratio, and the same for CPU
    time (what a busy machine's other work does not add to)."""
    _run(ours), _run(peer)
    pairs = [(_run(ours), _run(peer)) for _ in range(runs)]
    return {"ours": " ".join(["mountcursor", *ours[1:]]), "peer": " ".join(peer), "runs": runs,
            "ours_s": median(a[0] for a, _ in pairs), "peer_s": median(b[0] for _, b in pairs),
            "ratio": median(a[0] / b[0] for a, b in pairs),
            "ours_cpu_s": median(a[1] for a, _ in pairs), "peer_cpu_s": median(b[1] for _, b in pairs),
            "cpu_ratio": median(a[1] / b[1] if b[1] else float("inf") for a, b in pairs)}


def _peak_mib(cmd: list[str]) -> float | None:
    if not os.access(TIME, os.X_OK):
        return None
    with tempfile.NamedTemporaryFile("r") as f:
        subprocess.run([TIME, "-f", "%M", "-o", f.name, *cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=900, check=False)
        text = f.read().strip().splitlines()
    return int(text[-1]) / 1024 if text and text[-1].isdigit() else None


def _rss_pair(ours: list[str], peer: list[str], runs: int) -> dict[str, Any]:
    a = [_peak_mib(ours) for _ in range(runs)]
    b = [_peak_mib(peer) for _ in range(runs)]
    if None in a or None in b:
        return {"skipped": f"{TIME} not available"}
    return {"ours": " ".join(["mountcursor", *ours[1:]]), "peer": " ".join(peer), "ours_mib": median(a),
            "peer_mib": median(b), "ratio": median(a) / median(b)}


def _findmnt_version() -> str:
    try:
        return subprocess.run(["findmnt", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "findmnt not found"


def startup(runs: int) -> list[dict[str, Any]]:
    return [_cmd_pair([MC, "--help"], ["findmnt", "--help"], runs),
            _cmd_pair([MC, "--version"], ["findmnt", "--version"], runs),
            _cmd_pair([MC, "list"], ["findmnt", "-l"], runs)]


def live_point(n: int, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    from mountcursor.live import MountTable, parse_mountinfo, snapshot
    from mountcursor.live.findmnt import tree
    from mountcursor.verify.sandbox import Sandbox

    t0 = time.perf_counter()
    with Sandbox(n=n, timeout=900) as sb:
        pid, path = str(sb.pid), f"/proc/{sb.pid}/mountinfo"
        made = time.perf_counter() - t0
        snap = snapshot(sb.pid)
        lines = len(snap.table)
        log(f"   {lines:,} mounts in the sandbox (made in {made:.1f} s)")
        point: dict[str, Any] = {"n": n, "lines": lines, "bytes": len(snap.data or b"")}

        def timed_snapshot() -> float:
            t = time.perf_counter()
            snapshot(sb.pid, consistency="strict")
            return time.perf_counter() - t

        quick_runs = max(runs, 31)  # a read of 1,000 lines takes a millisecond: more pairs, less noise
        point["snapshot_vs_cat"] = _paired(timed_snapshot, lambda: _wall(["cat", path]), quick_runs)
        point["snapshot_vs_cat"].update(ours="snapshot(pid) strict, in process", peer=f"cat {path}")

        def bare_read() -> float:
            t = time.perf_counter()
            with open(path, "rb", buffering=0) as f:
                f.readall()
            return time.perf_counter() - t

        point["snapshot_vs_read"] = _paired(timed_snapshot, bare_read, quick_runs)
        point["snapshot_vs_read"].update(ours="snapshot(pid) strict, in process",
                                         peer="open(mountinfo).readall(), in process")
        data = snapshot(sb.pid).data or b""
        parse, full = [], []  # (wall, CPU) seconds: CPU time is what load on the other core does not inflate
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            parse_mountinfo(data)
            parse.append((time.perf_counter() - t, time.process_time() - c))
            t, c = time.perf_counter(), time.process_time()
            tree(MountTable.from_bytes(data))
            full.append((time.perf_counter() - t, time.process_time() - c))
        point["parse_us_per_line"] = min(w for w, _ in parse) / lines * 1e6
        point["parse_tree_us_per_line"] = min(w for w, _ in full) / lines * 1e6
        point["parse_cpu_us_per_line"] = min(c for _, c in parse) / lines * 1e6
        point["parse_tree_cpu_us_per_line"] = min(c for _, c in full) / lines * 1e6
        point["list_r"] = _cmd_pair([MC, "list", "-r", "-N", pid], ["findmnt", "-r", "-N", pid], runs)
        point["list"] = _cmd_pair([MC, "list", "-N", pid], ["findmnt", "-l", "-N", pid], runs)
        point["list_json"] = _cmd_pair([MC, "list", "-J", "-N", pid], ["findmnt", "-l", "-J", "-N", pid], runs)
        if lines <= FINDMNT_TREE_MAX:
            point["tree"] = _cmd_pair([MC, "tree", "-N", pid], ["findmnt", "-N", pid], runs)
            point["tree_json"] = _cmd_pair([MC, "tree", "-J", "-N", pid], ["findmnt", "-J", "-N", pid], runs)
            point["tree_rss"] = _rss_pair([MC, "tree", "-N", pid], ["findmnt", "-N", pid], max(1, runs // 3))
        else:  # findmnt holds the same table for -l; its tree would take minutes here
            point["tree_rss"] = _rss_pair([MC, "tree", "-N", pid], ["findmnt", "-l", "-N", pid], max(1, runs // 3))
        log(f"   snapshot/cat {point['snapshot_vs_cat']['ratio']:.2f}, list -r/findmnt -r "
            f"{point['list_r']['ratio']:.2f}, parse+tree {point['parse_tree_us_per_line']:.2f} µs/line")
        return point


def saved_shape(shape: str, n: int, runs: int) -> dict[str, Any]:
    from .live_tree import synthetic

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{shape}-{n}")
        with open(path, "wb") as f:
            f.write(synthetic(n, shape))
        r = _cmd_pair([MC, "tree", "-F", path], ["findmnt", "-l", "-F", path], runs)
        r["rss"] = _rss_pair([MC, "tree", "-F", path], ["findmnt", "-l", "-F", path], 1)
        r.update(shape=shape, n=n)
        return r


def _compile_package() -> None:
    """Byte-compile the package as ``pip install`` does, so that the CLI is timed as a
    user runs it even when the checkout is editable and ``PYTHONDONTWRITEBYTECODE`` is
    set (then every run would compile the sources again)."""
    import compileall

    import mountcursor

    compileall.compile_dir(os.path.dirname(mountcursor.__file__), quiet=1)


def start(cfg: Config) -> tuple[int, dict[str, Any]]:
    """What every section against findmnt starts with: the package byte-compiled, the
    number of pairs a row, and the result's header (machine, findmnt, load)."""
    _compile_package()
    runs = 3 if cfg.quick else max(5, cfg.repeats)
    return runs, {"machine": machine(), "findmnt": _findmnt_version(), "quick": cfg.quick, "runs": runs,
                  "load_before": os.getloadavg()}


def sandbox_sizes(sizes: list[int]) -> tuple[list[int], str | None]:
    """The live namespaces to make, each kept under ``fs.mount-max`` (the namespace
    inherits a few mounts), or no size and why there is no sandbox here."""
    from mountcursor.verify.sandbox import sandbox_unavailable

    from .live_tree import _mount_max

    why = sandbox_unavailable()
    if why is not None:
        return [], why
    limit = _mount_max()
    return [n if limit is None or n <= limit - 100 else limit - 100 for n in sizes], None


def live_points(sizes: list[int], runs: int, log: Callable[[str], None],
                point: Callable[[int, int, Callable[[str], None]], Any]) -> tuple[list[Any], str | None]:
    """``point(n, runs, log)`` for each live namespace of :func:`sandbox_sizes`, in turn,
    and why there are none (a section's live rows)."""
    sizes, why = sandbox_sizes(sizes)
    points = []
    for n in sizes:
        log(f" live namespace, {n:,} tmpfs mounts")
        points.append(point(n, runs, log))
    return points, why


def run(cfg: Config) -> dict[str, Any]:
    runs, res = start(cfg)
    cfg.log(" start-up")
    res["startup"] = startup(runs * 2)
    res["live"], why = live_points([1000, 10_000] if cfg.quick else [1000, 10_000, 100_000], runs, cfg.log,
                                   live_point)
    if why is not None:
        res["live_skipped"] = why
    cfg.log(" saved tables")
    res["saved"] = [saved_shape(shape, 10_000 if cfg.quick else 100_000, max(3, runs // 2))
                    for shape in ("wide", "deep")]
    res["load_after"] = os.getloadavg()
    return res


# ---- the report -----------------------------------------------------------------------------


def _targets(res: dict[str, Any]) -> list[tuple[str, float, float, str]]:
    """(what, measured, target, unit) for every target of issues 9 and 10 measured."""
    out: list[tuple[str, float, float, str]] = []
    for s in res["startup"]:  # the start-up target: 50 ms (findmnt's own is a few ms)
        out.append((f"`{s['ours']}` CPU (wall {fmt_s(s['ours_s'])}; `{s['peer']}`: {fmt_s(s['peer_cpu_s'])} CPU)",
                    s["ours_cpu_s"], 0.050, "s"))
    for p in res["live"]:
        k = f"{p['lines']:,}"
        out.append((f"`snapshot()` ÷ `cat`, {k} live mounts", p["snapshot_vs_cat"]["ratio"], 1.2, "×"))
        if "snapshot_vs_read" in p:
            out.append((f"`snapshot()` ÷ a bare read to EOF, {k} live mounts", p["snapshot_vs_read"]["ratio"], 1.2,
                        "×"))
        out.append((f"parse µs per line, {k} (CPU; wall {p['parse_us_per_line']:.2f})",
                    p["parse_cpu_us_per_line"], 3.0, "µs"))
        out.append((f"parse + table + tree µs per line, {k} (CPU; wall {p['parse_tree_us_per_line']:.2f})",
                    p["parse_tree_cpu_us_per_line"], 3.0, "µs"))
        if p["lines"] >= 5000:
            target = 1.5 if p["lines"] < 50_000 else 1.0
            out.append((f"`list -r` ÷ `findmnt -r`, {k} live", p["list_r"]["ratio"], target, "×"))
        if "tree" in p and p["lines"] >= 5000:
            out.append((f"`tree` ÷ findmnt's tree, {k} live", p["tree"]["ratio"], 0.1, "×"))
            out.append((f"`tree -J` ÷ `findmnt -J`, {k} live", p["tree_json"]["ratio"], 0.1, "×"))
        rss = p.get("tree_rss", {})
        if "ratio" in rss and p["lines"] >= 50_000:
            out.append((f"peak RSS `tree` ÷ `{rss['peer'].split(' -N')[0]}`, {k} live", rss["ratio"], 1.5, "×"))
    for s in res["saved"]:
        out.append((f"`tree -F` {s['n']:,} {s['shape']} CPU (wall {fmt_s(s['ours_s'])}; ÷ `findmnt -l -F`: "
                    f"{s['ratio']:.2f}×)", s["ours_cpu_s"], 1.0, "s"))
    return out


def _cpu(r: dict[str, Any]) -> str:
    if "cpu_ratio" not in r:
        return ""
    return f"{fmt_s(r['ours_cpu_s'])} / {fmt_s(r['peer_cpu_s'])} = {r['cpu_ratio']:.2f}×"


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return fmt_s(value)
    if unit == "µs":
        return f"{value:.2f} µs"
    return f"{value:.2f}×"


def targets_plot(targets: list[tuple[str, float, float, str]], what: str, machine: dict[str, Any],
                 path: Path) -> str:
    """A bar a target, measured ÷ target on a log scale (green left of 1: met), saved as
    ``path``; its file name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.35 * len(targets) + 1.2))
    values = [v / t for _, v, t, _ in targets]
    ax.barh(range(len(targets)), values, color=["tab:green" if v <= 1 else "tab:red" for v in values])
    ax.axvline(1.0, color="black", lw=1)
    ax.set_yticks(range(len(targets)), [label.replace("`", "") for label, *_ in targets], fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("measured ÷ target (left of the line: target met)")
    ax.set_title(f"mountcursor {what} vs its targets ({machine['cores']} cores, kernel {machine['kernel']})",
                 fontsize=9)
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path.name


def machine_note(res: dict[str, Any]) -> str:
    """The machine, the findmnt compared with, and the load around the run."""
    return (f"Machine: {machine_line(res['machine'])}; {res['findmnt']}; load average "
            f"{res['load_before'][0]:.1f} before, {res['load_after'][0]:.1f} after (2 cores shared with other work).")


def rss_row(label: str, rss: dict[str, Any]) -> list[str]:
    """A row of the pairs' table for a peak-RSS pair (:func:`_rss_pair`)."""
    return [label, f"`{rss['ours']}` (peak RSS)", f"{rss['ours_mib']:.0f} MiB", f"`{rss['peer']}`",
            f"{rss['peer_mib']:.0f} MiB", f"{rss['ratio']:.2f}×", ""]


def render(res: dict[str, Any], out: Path) -> Section:
    targets = _targets(res)
    rows = [[what, _fmt(v, u), ("≤ " if u != "s" or t < 1 else "< ") + _fmt(t, u), "met" if v <= t else "**not met**"]
            for what, v, t, u in targets]
    plots = [targets_plot(targets, "live table", res["machine"], out / "live.png")] if targets else []
    md = [machine_note(res), "",
          "Ratios are medians of per-pair ratios (ours and the peer run in turn), whole commands timed from "
          "outside, start-up included; `snapshot()` is timed in process against a `cat` process and against "
          "a bare read to EOF in the same process. The absolute targets (start-up, `tree -F` under 1 s, µs "
          "per line) are judged on CPU time, as the wall clock of this shared machine also counts the time "
          "other work held both cores; the wall time is shown beside it. See `benchmarks/live.py`.", ""]
    if plots:
        md += ["![live](live.png)", ""]
    md += [md_table(["what", "measured", "target", ""], rows), ""]
    detail = []
    for p in res["live"]:
        for key in ("snapshot_vs_cat", "snapshot_vs_read", "list_r", "list", "list_json", "tree", "tree_json"):
            if key in p:
                r = p[key]
                detail.append([f"{p['lines']:,}", f"`{r['ours']}`", fmt_s(r["ours_s"]), f"`{r['peer']}`",
                               fmt_s(r["peer_s"]), f"{r['ratio']:.2f}×", _cpu(r)])
        rss = p.get("tree_rss", {})
        if "ratio" in rss:
            detail.append(rss_row(f"{p['lines']:,}", rss))
    for s in res["startup"] + res["saved"]:
        detail.append(["—" if "n" not in s else f"{s['n']:,} {s['shape']}", f"`{s['ours']}`", fmt_s(s["ours_s"]),
                       f"`{s['peer']}`", fmt_s(s["peer_s"]), f"{s['ratio']:.2f}×", _cpu(s)])
    md += ["Every pair (medians):", "",
           md_table(["mounts", "ours", "wall", "peer", "wall", "ratio (wall)", "CPU ours / peer"], detail)]
    if res.get("live_skipped"):
        md += ["", f"Live namespace skipped: {res['live_skipped']}."]
    met = sum(1 for _, v, t, _ in targets if v <= t)
    summary = [f"live: {met} of {len(targets)} targets met; "
               + "; ".join(f"{what.replace('`', '')} {_fmt(v, u)}" for what, v, t, u in targets
                           if "÷" in what and u == "×")[:600]]
    return Section(NAME, TITLE, "\n".join(md), summary, plots)
