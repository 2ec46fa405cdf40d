"""The findmnt engine (issue 16): every question a script asks, next to the same findmnt
command, in the same run.

* a live private namespace (the sandbox) of 10,000 and 100,000 tmpfs mounts
  (``fs.mount-max`` caps the last), read by both through ``-N PID``: the list forms
  (``list``, ``-r``, ``-J``, ``-P``), the tree (10,000 only: findmnt's tree is
  quadratic), and the selections scripts run most (``-T``, ``-M``, ``-S``, ``-O``,
  ``-t`` with ``-O``);
* the same table saved to a file, read with ``-F``: ``list -r``, ``-T``, ``-M`` and ``-S``;
* this machine's own small table: ``list`` and ``list -T /tmp`` against findmnt, and
  against ``python -c pass`` plus 10 ms (the issue's start-up target).

Beside each row, the *floor*: this interpreter started as ``mountcursor`` is (site
included) doing nothing but read the table's file to its end (``/proc/PID/mountinfo``,
or the saved file), timed against the same findmnt command in the same way.  No
program in this language that reads the table can go below it: where the floor is
near a target, the kernel's printing of the table and the interpreter's start are
most of findmnt's whole run.  (The floor reads 64 KiB at a time, as the engine's
live reader does, and keeps nothing: the engine also joins what it reads.)  Beside
it, the *floor with imports*: the same program, having first imported the project's
modules the row's command imports (found by running it once under ``-X importtime``),
which no command can skip.  The issue's targets: ≤ 1.0× at 10,000 mounts, ≤ 0.7× at
100,000, ``tree`` ≤ 0.1×.

Each figure is the median of per-pair ratios of whole commands run in turn (A B A B ...,
``benchmarks.live._cmd_pair``), wall and CPU time, start-up included.  The sandbox needs
root; without it those rows are skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from typing import Any

from ._common import Config, Section, machine_line, md_table
from .live import MC, _cmd_pair, live_points, start

NAME = "engine"
TITLE = "The findmnt engine: list, tree and selections next to findmnt"

# (label, our arguments after the command name, findmnt's arguments); {m} is a mount
# point in the middle of the table, {src} its source
QUERIES: tuple[tuple[str, list[str], list[str]], ...] = (
    ("list", ["list"], ["-l"]),
    ("list -r", ["list", "-r"], ["-r"]),
    ("list -J", ["list", "-J"], ["-l", "-J"]),
    ("list -P", ["list", "-P"], ["-P"]),
    ("list -T", ["list", "-T", "{m}"], ["-l", "-T", "{m}"]),
    ("tree -T", ["tree", "-T", "{m}"], ["-T", "{m}"]),
    ("list -M", ["list", "-M", "{m}"], ["-l", "-M", "{m}"]),
    ("list -S", ["list", "-S", "{src}"], ["-l", "-S", "{src}"]),
    ("list -O rw", ["list", "-O", "rw"], ["-l", "-O", "rw"]),
    ("list -t tmpfs -O rw", ["list", "-t", "tmpfs", "-O", "rw"], ["-l", "-t", "tmpfs", "-O", "rw"]),
)
TREES: tuple[tuple[str, list[str], list[str]], ...] = (
    ("tree", ["tree"], []),
    ("tree -J", ["tree", "-J"], ["-J"]),
)
SAVED: tuple[tuple[str, list[str], list[str]], ...] = (
    ("list -r -F", ["list", "-r", "-F", "{file}"], ["-r", "-F", "{file}"]),
    ("list -F -T", ["list", "-F", "{file}", "-T", "{m}"], ["-l", "-F", "{file}", "-T", "{m}"]),
    ("list -F -M", ["list", "-F", "{file}", "-M", "{m}"], ["-l", "-F", "{file}", "-M", "{m}"]),
    ("list -F -S", ["list", "-F", "{file}", "-S", "{src}"], ["-l", "-F", "{file}", "-S", "{src}"]),
)
FINDMNT_TREE_MAX = 20_000
READ_TO_EOF = ("import os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\n"
               "while os.read(fd, 1 << 16):\n    pass\nos._exit(0)\n")
"""The floor's program: read a file to its end and exit as ``list`` and ``tree`` do, without
the interpreter's teardown (``os._exit``: with the engine's modules imported, the teardown
alone is a tenth of findmnt's run at 10,000 mounts)."""


def target(label: str, lines: int) -> float:
    """The issue's target for a row: ``tree`` ≤ 0.1×, any other form ≤ 1.0× up to
    10,021 mounts and ≤ 0.7× beyond."""
    if label.startswith("tree") and "-T" not in label:
        return 0.1
    return 1.0 if lines < 50_000 else 0.7


def _fill(args: list[str], **values: str) -> list[str]:
    return [a.format(**values) for a in args]


def project_imports(cmd: list[str]) -> list[str]:
    """The project's modules a ``mountcursor`` command line (``cmd``, after the program)
    imports, in the order it imports them: its ``-X importtime`` report."""
    done = subprocess.run([sys.executable, "-X", "importtime", MC, *cmd], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=900, check=False)
    names = [line.rpartition("|")[2].strip() for line in done.stderr.decode().splitlines()
             if line.startswith("import time:")]
    return [name for name in names if name == "mountcursor" or name.startswith("mountcursor.")]


def _pairs(queries: tuple[tuple[str, list[str], list[str]], ...], prefix: list[str], runs: int, table: str,
           **values: str) -> list[dict[str, Any]]:
    """Each query against findmnt, and the floors (reading ``table`` to its end; the
    same after the command's imports) against the same findmnt command."""
    out = []
    floor = [sys.executable, "-c", READ_TO_EOF, table]
    for label, ours, theirs in queries:
        peer = ["findmnt", *_fill(theirs, **values), *prefix]
        cmd = [*_fill(ours, **values), *prefix]
        r = _cmd_pair([MC, *cmd], peer, runs)
        r["label"] = label
        r["floor_cpu_ratio"] = _cmd_pair(floor, peer, runs)["cpu_ratio"]
        imports = project_imports(cmd)
        r["imports"] = len(imports)
        with_imports = [sys.executable, "-c", f"import {', '.join(imports)}\n{READ_TO_EOF}", table]
        r["floor_imports_cpu_ratio"] = _cmd_pair(with_imports, peer, runs)["cpu_ratio"]
        out.append(r)
    return out


SMALL_TABLE_RUNS = 3
"""Pairs a row at 10,000 mounts, in multiples of the section's: a run there is 20 to 50 ms,
where a moment of other work on the machine moves a ratio by a tenth."""


def live_point(n: int, runs: int, log: Any) -> dict[str, Any]:
    from mountcursor.verify.sandbox import Sandbox

    if n <= 10_000:
        runs *= SMALL_TABLE_RUNS

    with Sandbox(n=n, timeout=900) as sb:
        pid = str(sb.pid)
        with open(f"/proc/{pid}/mountinfo", "rb") as f:
            data = f.read()
        lines = data.splitlines()
        middle = lines[len(lines) // 2].split(b" ")
        values = {"m": os.fsdecode(middle[4]), "src": os.fsdecode(middle[-2])}
        log(f"   {len(lines):,} mounts; -T/-M {values['m']}, -S {values['src']}")
        point: dict[str, Any] = {"n": n, "lines": len(lines), "runs": runs}
        table = f"/proc/{pid}/mountinfo"
        point["live"] = _pairs(QUERIES, ["-N", pid], runs, table, **values)
        if len(lines) <= FINDMNT_TREE_MAX:
            point["live"] += _pairs(TREES, ["-N", pid], runs, table, **values)
        with tempfile.NamedTemporaryFile(prefix="mountinfo-", suffix=".saved") as saved:
            saved.write(data)
            saved.flush()
            point["saved"] = _pairs(SAVED, [], runs, saved.name, file=saved.name, **values)
    for r in point["live"] + point["saved"]:
        log(f"   {r['label']:<22} {r['cpu_ratio']:.2f}x findmnt (CPU), {r['ratio']:.2f}x (wall), "
            f"floor {r['floor_cpu_ratio']:.2f}x, with {r['imports']} imports {r['floor_imports_cpu_ratio']:.2f}x")
    return point


def small(runs: int) -> dict[str, Any]:
    """This machine's own table (a few dozen lines): start-up is the whole run."""
    out = {}
    for label, ours, theirs in (("list", ["list"], ["-l"]), ("list -T /tmp", ["list", "-T", "/tmp"],
                                                          ["-l", "-T", "/tmp"])):
        r = _cmd_pair([MC, *ours], ["findmnt", *theirs], runs)
        r["vs_python"] = _cmd_pair([MC, *ours], [sys.executable, "-c", "pass"], runs)
        out[label] = r
    return out


def run(cfg: Config) -> dict[str, Any]:
    runs, res = start(cfg)
    cfg.log(" this machine's table")
    res["small"] = small(runs * 2)
    res["points"], why = live_points([10_000] if cfg.quick else [10_000, 100_000], runs, cfg.log, live_point)
    if why is not None:
        res["skipped"] = why
    res["load_after"] = os.getloadavg()
    return res


def _verdict(ratio: float, floor: float | None, imported: float | None, goal: float) -> str:
    """A row's verdict: met, or not, and then whether a floor is within 10% of the target."""
    if ratio <= goal:
        return "met"
    if floor is not None and floor > goal * 0.9:
        return "not met: the floor is within 10% of it"
    if imported is not None and imported > goal * 0.9:
        return "not met: the floor with imports is within 10% of it"
    return "not met"


def render(res: dict[str, Any], out: Any) -> Section:
    rows = []
    for point in res.get("points", []):
        for r in point["live"] + point["saved"]:
            where = "live" if r in point["live"] else "saved (-F)"
            goal = target(r["label"], point["lines"])
            floor = r.get("floor_cpu_ratio")
            imported = r.get("floor_imports_cpu_ratio")
            verdict = _verdict(r["cpu_ratio"], floor, imported, goal)
            rows.append([f"{point['lines']:,}", where, f"`{r['label']}`", f"{r['cpu_ratio']:.2f}x",
                         f"{r['ratio']:.2f}x", f"{r['ours_cpu_s'] * 1e3:.0f} / {r['peer_cpu_s'] * 1e3:.0f} ms",
                         "" if floor is None else f"{floor:.2f}x", "" if imported is None else f"{imported:.2f}x",
                         f"≤ {goal:.1f}x", verdict])
    small_rows = []
    for label, r in res.get("small", {}).items():
        py = r["vs_python"]
        small_rows.append([f"`{label}`", f"{r['cpu_ratio']:.2f}x", f"{r['ratio']:.2f}x",
                           f"{(py['ours_cpu_s'] - py['peer_cpu_s']) * 1e3:+.1f} ms",
                           f"{(py['ours_s'] - py['peer_s']) * 1e3:+.1f} ms"])
    md = [f"Machine: {machine_line(res['machine'])}; {res['findmnt']}; load average "
          f"{res['load_before'][0]:.1f} before, {res['load_after'][0]:.1f} after; "
          + "; ".join(f"{point.get('runs', res['runs'])} pairs a row at {point['lines']:,} mounts"
                      for point in res.get("points", [])) + ".", ""]
    if res.get("skipped"):
        md.append(f"Live rows skipped: {res['skipped']}.")
    md.append(md_table(["mounts", "table", "command", "÷ findmnt (CPU)", "÷ findmnt (wall)", "ours / findmnt CPU",
                        "floor ÷ findmnt (CPU)", "floor with imports", "target", ""], rows))
    md += ["", "*Floor*: this interpreter, started as `mountcursor` is, reading the same table to its end "
           "and nothing else, against the same findmnt command (CPU): no program in this language that reads "
           "the table can go below it (it reads 64 KiB at a time, as the engine's live reader does, and keeps "
           "nothing).  *Floor with imports*: the same after importing the project's "
           "modules the command imports (its `-X importtime` report), what the command cannot skip."]
    md += ["", "This machine's own table (start-up is the whole run); the last columns are the time over "
           "`python -c pass` (target: at most +10 ms), CPU (medians of each; what other work on the machine "
           "adds to the least) and wall:", "",
           md_table(["command", "÷ findmnt (CPU)", "÷ findmnt (wall)", "over python -c pass (CPU)",
                     "over python -c pass (wall)"], small_rows)]
    summary = []
    for point in res.get("points", []):
        done = point["live"] + point["saved"]
        met = sum(r["cpu_ratio"] <= target(r["label"], point["lines"]) for r in done)
        worst = max(done, key=lambda r: r["cpu_ratio"])
        summary.append(f"engine at {point['lines']:,} mounts: {met} of {len(done)} targets met; worst "
                       f"`{worst['label']}` {worst['cpu_ratio']:.2f}x findmnt CPU (its floor "
                       f"{worst.get('floor_cpu_ratio', float('nan')):.2f}x, with imports "
                       f"{worst.get('floor_imports_cpu_ratio', float('nan')):.2f}x)")
    return Section(NAME, TITLE, "\n".join(md), summary)
