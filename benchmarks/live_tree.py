#!/usr/bin/env python3
"""Benchmark: building the mount tree is O(n), next to findmnt; a strict snapshot next to cat.

    python benchmarks/live_tree.py [--sizes 10000,20000,50000,100000] [--live 100000]
                                   [--findmnt-timeout 600]

1. Saved tables (synthetic mountinfo, two shapes: "wide" = 100 directories with
   tmpfs mounts below, "deep" = chains of 100 nested mounts): parse + tree with the
   library, ``mountcursor tree -F`` (whole CLI, to /dev/null), ``findmnt -F`` (tree and
   ``-l``).  The per-mount time of ours stays flat as n grows; findmnt's tree grows
   with n (libmount scans the whole table for each node's children).
2. A live private namespace (the sandbox) with ``--live`` tmpfs mounts: ``cat`` of
   its mountinfo, ``snapshot(pid, consistency="strict")``, ``mountcursor tree -N``,
   ``findmnt -N`` (list and tree).

Timings are the best of ``--repeat`` runs (wall clock).  Needs root for part 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from mountcursor.live import MountTable, snapshot  # noqa: E402
from mountcursor.live.findmnt import tree  # noqa: E402


def synthetic(n: int, shape: str) -> bytes:
    """A mountinfo table of ``n`` mounts: a root, then tmpfs mounts in a wide or deep tree."""
    lines = [b"20 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"]
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


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run(cmd: list[str], timeout: float) -> float | None:
    t = time.perf_counter()
    try:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - t


def fmt(seconds: float | None, n: int) -> str:
    if seconds is None:
        return "   (timeout)       "
    return f"{seconds:8.3f} s {seconds / n * 1e6:6.2f} µs/mount"


def saved_tables(sizes: list[int], repeat: int, findmnt_timeout: float) -> None:
    findmnt = shutil.which("findmnt")
    mc = [shutil.which("mountcursor") or "mountcursor"]
    print("## saved tables: parse + tree")
    print(f"{'shape':5} {'mounts':>7} | {'library parse+tree':>26} | {'mountcursor tree -F':>26} | "
          f"{'findmnt -F (tree)':>26} | {'findmnt -F -l':>26}")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in ("wide", "deep"):
            for n in sizes:
                data = synthetic(n, shape)
                path = os.path.join(tmp, f"{shape}-{n}")
                with open(path, "wb") as f:
                    f.write(data)
                lib = best(lambda: tree(MountTable.from_bytes(data)), repeat)
                cli = min(filter(None, [run([*mc, "tree", "-F", path], 600) for _ in range(repeat)]), default=None)
                fm_tree = run([findmnt, "-F", path], findmnt_timeout) if findmnt else None
                fm_list = run([findmnt, "-F", path, "-l"], findmnt_timeout) if findmnt else None
                print(f"{shape:5} {n:7d} | {fmt(lib, n)} | {fmt(cli, n)} | {fmt(fm_tree, n)} | {fmt(fm_list, n)}",
                      flush=True)


def _mount_max() -> int | None:
    try:
        with open("/proc/sys/fs/mount-max") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def live_namespace(n: int, repeat: int, findmnt_timeout: float) -> None:
    from mountcursor.live.sandbox import Sandbox, sandbox_unavailable

    reason = sandbox_unavailable()
    if reason:
        print(f"## live namespace: skipped ({reason})")
        return
    limit = _mount_max()
    if limit is not None and n > limit - 100:
        print(f"(fs.mount-max is {limit} mounts per namespace: using {limit - 100} instead of {n})")
        n = limit - 100
    print(f"## live private namespace with {n} tmpfs mounts")
    t = time.perf_counter()
    with Sandbox(n=n, timeout=600) as sb:
        print(f"sandbox with {n} mounts created in {time.perf_counter() - t:.2f} s (mount(2) by ctypes)")
        path = f"/proc/{sb.pid}/mountinfo"
        cat = min(run(["cat", path], 600) for _ in range(repeat))
        raw_read = best(lambda: open(path, "rb").read(), repeat)
        snaps = []
        strict = best(lambda: snaps.append(snapshot(sb.pid, consistency="strict")), repeat)
        lib_tree = best(lambda: tree(snapshot(sb.pid).table), repeat)
        mc = shutil.which("mountcursor") or "mountcursor"
        cli = min(run([mc, "tree", "-N", str(sb.pid)], 600) for _ in range(repeat))
        findmnt = shutil.which("findmnt")
        fm_list = run([findmnt, "-N", str(sb.pid), "-l"], findmnt_timeout) if findmnt else None
        fm_tree = run([findmnt, "-N", str(sb.pid)], findmnt_timeout) if findmnt else None
        s = snaps[-1]
        print(f"cat {path}:                 {fmt(cat, n)}")
        print(f"python open().read():        {fmt(raw_read, n)}")
        print(f"snapshot(strict):            {fmt(strict, n)}  (consistent={s.consistent}, attempts={s.attempts},"
              f" reads={s.reads}, {len(s.data)} bytes)")
        print(f"snapshot + tree (library):   {fmt(lib_tree, n)}")
        print(f"mountcursor tree -N:         {fmt(cli, n)}")
        print(f"findmnt -N -l:               {fmt(fm_list, n)}")
        print(f"findmnt -N (tree):           {fmt(fm_tree, n)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,20000,50000,100000", help="saved-table sizes ('' to skip)")
    ap.add_argument("--live", type=int, default=100000, help="mounts in the live namespace (0: skip)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--findmnt-timeout", type=float, default=600)
    args = ap.parse_args()
    if args.sizes:
        saved_tables([int(s) for s in args.sizes.split(",")], args.repeat, args.findmnt_timeout)
    if args.live:
        live_namespace(args.live, args.repeat, args.findmnt_timeout)


if __name__ == "__main__":
    main()
