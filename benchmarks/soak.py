"""The long soak: ``python benchmarks/soak.py [--seconds S] [--churners N] [--readers R]``.

Runs :func:`mountcursor.verify.soak.run_soak` with each watch source in a private mount
namespace (a sandbox; never the host's table) and writes ``docs/benchmarks/soak.json``.
The bounded run is ``tests/live/test_live_soak.py`` (marked ``slow``).  Needs root,
``unshare`` and ``nsenter``.  Not a speed figure: it counts what was made, seen, missed
and invented.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mountcursor.verify.soak import run_soak  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--churners", type=int, default=16)
    ap.add_argument("--readers", type=int, default=4)
    ap.add_argument("--source", action="append", choices=["fanotify", "poll"])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "soak.json")
    a = ap.parse_args(argv)
    runs = []
    for source in a.source or ["fanotify", "poll"]:
        res = run_soak(churners=a.churners, readers=a.readers, seconds=a.seconds, source=source)
        runs.append(res.as_json())
        print(json.dumps(runs[-1]), flush=True)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(runs, indent=1) + "\n")
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
