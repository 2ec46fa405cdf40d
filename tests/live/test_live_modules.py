"""The live package's modules: the reader is not hidden behind the ``snapshot``
function, and no import cycle among them (every import, at module level or inside a
function)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import mountcursor.live
from mountcursor.live import reader, snapshot

LIVE = Path(mountcursor.live.__file__).parent


def _imports(path: Path) -> set[str]:
    """The sibling modules that ``path`` imports (``from . import x``, ``from .x import y``)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(alias.name for alias in node.names)
    return {name for name in out if (LIVE / f"{name}.py").exists()}


def test_snapshot_is_the_readers_function_and_reader_its_module() -> None:
    assert snapshot is reader.snapshot and callable(snapshot)
    assert importlib.import_module("mountcursor.live.reader") is reader
    assert mountcursor.live.reader is reader
    assert not (LIVE / "snapshot.py").exists()


def test_no_import_cycle_in_live() -> None:
    graph = {p.stem: _imports(p) for p in LIVE.glob("*.py") if p.stem != "__init__"}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, "import cycle: " + " -> ".join([*path[path.index(name):], name])
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
