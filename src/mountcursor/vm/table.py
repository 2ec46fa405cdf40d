"""Every generation on a real kernel: the README's table, and CI's bounded share of it.

    python -m mountcursor.vm.table --readme README.md     # make vm-table: the whole run
    python -m mountcursor.vm.table --readme README.md --kernels 7.2   # one row, the others kept
    python -m mountcursor.vm.table --ci                   # .ci/run: one guest, a few scripts

For each kernel (5.10, 6.1, 6.12 and 7.2 in a guest, :mod:`mountcursor.vm.run`, and this
machine's own in a sandbox) it runs ``probe``, then ``diff-kernel`` holding the kernel to
the generation the probe named (plain scripts, then ``--propagation`` ones), then to
another generation as a control (:func:`control_of`: it must disagree now and then, or
the comparison could not fail), then ``race --live`` with the model's row of that
generation beside the kernel's, and writes one row: kernel | probe | scripts agreed |
control | race's kernel row.  A row is labelled with the exact release booted and its
suite (``7.2.13+deb14-amd64 (Debian sid)``); a suite that has moved on to another
generation is refused before anything boots (:class:`mountcursor.vm.apt.GenerationMoved`).
:data:`EXPECTED` is what each guest must be named (from the kernels' C: 5.10 and 6.1 keep
the cursor of 9f6c61f96f2d on the 5.10+ seq_file, 6.12.85+ has 4a403d7aa907's id tree,
and so has 7.2: m_start/m_next in fs/namespace.c of Debian's linux-source-7.2 7.2.13-1
are 4a403d7aa907's, seq_read_iter is 5.10's, and sid's 7.2.13 booted names itself so);
``--check`` fails (exit 1) when a guest is named otherwise, when scripts disagree (plain
or propagation), when the control agrees on every script, or when the kernel row of the
race is broken.  ``--readme`` with some of the kernels replaces their
rows and keeps the others' (:func:`merge_rows`; the counts must be the table's).  With
``--ci``, a machine that cannot boot a guest (no qemu, no apt source, no network) makes a
line saying what was skipped and why, and exit 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .apt import SUITES, FetchError, GenerationMoved
from .boot import BootError
from .initramfs import InitramfsError
from .sources import SourcesError

#: the generation ``probe`` must name in each guest: (strategy, semantics)
EXPECTED: dict[str, tuple[str, str]] = {"5.10": ("cursor", "5.10+"), "6.1": ("cursor", "5.10+"),
                                        "6.12": ("idtree", "5.10+"), "7.2": ("idtree", "5.10+")}
START, END = "<!-- vm-table: start (make vm-table) -->", "<!-- vm-table: end -->"
HOST = "host"
#: the table's kernels, in its order (the default of ``--kernels``)
KERNELS = (*SUITES, HOST)

Runner = Callable[[list[str]], tuple[str, int, bytes]]  # args -> (release, status, stdout)


class Skipped(Exception):
    """This machine cannot boot a guest: no qemu, no apt source, no network."""


@dataclass
class Row:
    kernel: str
    release: str = ""
    probe: str = ""
    generation: tuple[str, str] | None = None
    plain: str = ""
    propagation: str = ""
    control: str = ""
    race: str = ""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def host_runner(say: Callable[[str], None]) -> Runner:
    def run(args: list[str]) -> tuple[str, int, bytes]:
        say(f"{HOST}: mountcursor {' '.join(args)}")
        p = subprocess.run([sys.executable, "-m", "mountcursor", *args], stdout=subprocess.PIPE)
        return os.uname().release, p.returncode, p.stdout
    return run


def guest_runner(kernel: str, say: Callable[[str], None], accel: str) -> Runner:
    from .run import run_mountcursor

    def relay(data: bytes) -> None:
        sys.stderr.buffer.write(data)
        sys.stderr.flush()

    def run(args: list[str]) -> tuple[str, int, bytes]:
        try:
            release, res = run_mountcursor(kernel, args, say, relay, accel=accel)
        except GenerationMoved as e:
            raise RuntimeError(str(e)) from None  # not a machine that cannot boot: the table is out of date
        except (FetchError, SourcesError) as e:
            raise Skipped(f"the {kernel} kernel cannot be fetched here: {e}") from None
        except BootError as e:
            if "not installed" in str(e):
                raise Skipped(str(e)) from None
            raise
        return release, res.status, res.stdout
    return run


def _json(out: bytes, what: str) -> Any:
    try:
        return json.loads(out)
    except ValueError:
        raise RuntimeError(f"{what}: no JSON on stdout ({out[:200]!r})") from None


def control_of(generation: tuple[str, str]) -> tuple[str, str]:
    """The generation a kernel is held to as a control, which must disagree now and then:
    the id tree for a cursor kernel, the 5.10-6.7 cursor for an id-tree one (new mounts
    after EOF show on one and not on the other)."""
    return ("cursor", "5.10+") if generation[0].startswith("idtree") else ("idtree", "5.10+")


def _diff(run: Runner, kernel: str, gen: tuple[str, str], n: int, prop: bool) -> Any:
    args = ["diff-kernel", "--strategy", gen[0], "--semantics", gen[1], "--scripts", str(n), "--json"]
    _, _status, out = run(args + (["--length", "60", "--propagation"] if prop else []))
    return _json(out, f"{kernel}: diff-kernel")


def one_row(kernel: str, run: Runner, scripts: int, prop_scripts: int, race_mounts: int,
            control_scripts: int = 0) -> Row:
    """probe, diff-kernel (plain, propagation, control), race --live on one kernel."""
    row = Row(kernel)
    row.release, status, out = run(["probe", "--json"])
    p = _json(out, f"{kernel}: probe")
    gens = p["generations"]
    row.probe = "; ".join(f"`{g['strategy']}` on {g['semantics']} ({g['kernels']})" for g in gens) or "no match"
    if p["bugs"]:
        row.probe += "; bugs: " + ", ".join(b["name"] for b in p["bugs"])
    if len(gens) != 1:
        row.problems.append(f"probe named {len(gens)} generations")
        return row
    row.generation = (gens[0]["strategy"], gens[0]["semantics"])
    if kernel in EXPECTED and row.generation != EXPECTED[kernel]:
        row.problems.append(f"probe named {'/'.join(row.generation)}, expected {'/'.join(EXPECTED[kernel])}")
    strat, sem = row.generation
    for prop, n in ((False, scripts), (True, prop_scripts)):
        if n == 0:
            continue
        d = _diff(run, kernel, row.generation, n, prop)
        cell = f"{d['agreed']}/{d['scripts']} ({d['reads']} reads, {d['tables']} tables)"
        if d["first_mismatch"] is not None:
            fd = d["first_mismatch"]["first_difference"]
            cell += f"; first difference at {fd['op'][0]}"
            kind = "propagation" if prop else "plain"
            row.problems.append(f"{d['scripts'] - d['agreed']} {kind} scripts disagreed")
        if prop:
            row.propagation = cell
        else:
            row.plain = cell
    if control_scripts:
        other = control_of(row.generation)
        d = _diff(run, kernel, other, control_scripts, False)
        row.control = f"`{other[0]}`: {d['agreed']}/{d['scripts']}"
        if d["agreed"] == d["scripts"]:
            row.problems.append(f"the control ({'/'.join(other)}) agreed on every script: the check cannot fail")
    if race_mounts:
        _, status, out = run(["race", "--live", "--json", "--mounts", str(race_mounts), "--strategy", strat,
                              "--semantics", sem])
        rows = _json(out, f"{kernel}: race")
        k = next(r for r in rows if r["strategy"] == "kernel")
        m = next(r for r in rows if r["strategy"] != "kernel")
        row.race = (f"{'ok' if k['ok'] else 'BROKEN'}: {k['missed']} missed, {k['duplicated']} twice, "
                    f"EOF {'yes' if k['eof'] else 'no'} ({k['present_throughout']} present; model row "
                    f"{'ok' if m['ok'] else 'BROKEN'})")
        if not k["ok"]:
            row.problems.append("the race's kernel row is broken")
    return row


def where_from(kernel: str) -> str:
    """What follows the release in a row's first cell: ``(Debian sid)``, ``(this machine)``."""
    return "(this machine)" if kernel == HOST else f"(Debian {SUITES[kernel]})"


def markdown_row(r: Row) -> str:
    return (f"| {r.release} {where_from(r.kernel)} | {r.probe} | {r.plain or '-'} | {r.propagation or '-'} | "
            f"{r.control or '-'} | {r.race or '-'} | {r.seconds:.0f} s |")


def markdown(rows: list[Row], scripts: int, prop_scripts: int, control_scripts: int, race_mounts: int,
             accel: str, kept: dict[str, str] | None = None) -> str:
    """The table of ``rows``, with the ``kept`` rows (kernel -> line) of kernels not run, in
    :data:`KERNELS` order."""
    lines = [f"| kernel | what `probe` says | `diff-kernel` scripts agreed ({scripts} plain) | "
             f"with `--propagation` ({prop_scripts}, 60 operations) | control: held to another generation "
             f"({control_scripts} plain) | `race --live` kernel row ({race_mounts} mounts) | time |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lines_of = {**(kept or {}), **{r.kernel: markdown_row(r) for r in rows}}
    lines += [lines_of[k] for k in KERNELS if k in lines_of]
    lines.append("")
    lines.append(f"Guests under {accel.upper()}; scripts with seed 1; the model held to the generation `probe` "
                 "named (the control: to another one, which must disagree now and then).  Regenerate with "
                 "`make vm-table`.")
    return "\n".join(lines)


def section(text: str) -> str:
    """The part of ``text`` between :data:`START` and :data:`END`."""
    if START not in text or END not in text:
        raise ValueError(f"the README has no {START} ... {END} section")
    return text.split(START, 1)[1].split(END, 1)[0]


def merge_rows(old: str, header: str, running: list[str]) -> dict[str, str]:
    """The rows of the ``old`` section to keep (kernel -> line): those of the kernels not
    ``running``, found by their first cell's ending (:func:`where_from`).  The old table
    must then have ``header`` (the same counts of scripts and mounts), or a row would stand
    under a heading that is not its own: :class:`ValueError` says so."""
    lines = old.strip().splitlines()
    kept = {}
    for line in lines[2:]:
        if not line.startswith("| "):
            break
        first = line[2:].split(" | ", 1)[0]
        for k in KERNELS:
            if first.endswith(" " + where_from(k)) and k not in running:
                kept[k] = line
    if kept and lines[0] != header:
        raise ValueError(f"the vm table was made with other counts (its header: {lines[0]!r}): run every "
                         "kernel, or these with the table's counts")
    return kept


def replace_section(text: str, table: str) -> str:
    """``text`` with the part between :data:`START` and :data:`END` replaced by ``table``."""
    head, tail = text.split(START + section(text) + END, 1)
    return f"{head}{START}\n{table}\n{END}{tail}"


def rows_from_json(path: str) -> list[Row]:
    """The rows an earlier ``--json`` wrote."""
    with open(path, encoding="utf-8") as fh:
        rows = [Row(**{**d, "generation": tuple(d["generation"]) if d["generation"] else None})
                for d in json.load(fh)]
    for r in rows:
        if r.kernel not in KERNELS:
            raise ValueError(f"a row of kernel {r.kernel!r} (not one of {', '.join(KERNELS)})")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mountcursor.vm.table", description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernels", default=",".join(KERNELS), help=f"comma-separated: {', '.join(KERNELS)}")
    ap.add_argument("--scripts", type=int, default=30)
    ap.add_argument("--propagation-scripts", type=int, default=30)
    ap.add_argument("--control-scripts", type=int, default=10)
    ap.add_argument("--race-mounts", type=int, default=500)
    ap.add_argument("--accel", default="auto", choices=("auto", "kvm", "tcg"))
    ap.add_argument("--readme", help="write the table into this file's vm-table section")
    ap.add_argument("--json", help="write the rows here as JSON")
    ap.add_argument("--from-json", metavar="FILE",
                    help="boot nothing: the rows of an earlier --json (run with the same counts) into the table")
    ap.add_argument("--check", action="store_true", help="exit 1 when a guest disagrees (see the module doc)")
    ap.add_argument("--ci", action="store_true",
                    help="CI's share: --check, and a machine that cannot boot a guest skips with a line, exit 0")
    a = ap.parse_args(argv)
    kernels = [k.strip() for k in a.kernels.split(",") if k.strip()]
    bad = [k for k in kernels if k not in KERNELS]
    if bad:
        ap.error(f"--kernels: unknown {', '.join(bad)} ({', '.join(KERNELS)})")

    def say(what: str) -> None:
        print(f"vm-table: {what}", file=sys.stderr, flush=True)

    from .boot import host_accel

    accel = host_accel() if a.accel == "auto" else a.accel
    counts = (a.scripts, a.propagation_scripts, a.control_scripts, a.race_mounts)
    rows: list[Row] = []
    if a.from_json:
        try:
            rows = rows_from_json(a.from_json)
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"vm-table: {a.from_json}: not the rows of a --json: {e}", file=sys.stderr)
            return 2
    kept: dict[str, str] = {}
    if a.readme:
        try:
            with open(a.readme, encoding="utf-8") as fh:
                kept = merge_rows(section(fh.read()), markdown([], *counts, accel).splitlines()[0],
                                  [r.kernel for r in rows] if a.from_json else kernels)
        except (OSError, ValueError) as e:
            print(f"vm-table: {a.readme}: {getattr(e, 'strerror', None) or e}", file=sys.stderr)
            return 2
    for k in kernels if a.from_json is None else ():
        run = host_runner(say) if k == HOST else guest_runner(k, say, accel)
        t0 = time.monotonic()
        try:
            rows.append(one_row(k, run, a.scripts, a.propagation_scripts, a.race_mounts, a.control_scripts))
            rows[-1].seconds = time.monotonic() - t0
        except Skipped as e:
            if a.ci:
                print(f"vm-table: SKIPPED the guest share on {k}: {e}", flush=True)
                continue
            print(f"vm-table: {e}", file=sys.stderr)
            return 3
        except (BootError, InitramfsError, RuntimeError) as e:
            print(f"vm-table: {k}: {e}", file=sys.stderr)
            return 3
        say(f"{k}: {rows[-1]}")
    table = markdown(rows, *counts, accel, kept=kept)
    print(table)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump([r.__dict__ for r in rows], fh, indent=1)
    if a.readme:
        with open(a.readme, encoding="utf-8") as fh:
            text = fh.read()
        with open(a.readme, "w", encoding="utf-8") as fh:
            fh.write(replace_section(text, table))
    problems = [f"{r.kernel}: {p}" for r in rows for p in r.problems]
    for p in problems:
        print(f"vm-table: DISAGREES: {p}", flush=True)
    return 1 if problems and (a.check or a.ci) else 0


if __name__ == "__main__":
    sys.exit(main())
