"""The examples run: the README's Python blocks, the ``>>>`` examples of every module of
the library (doctest), and the sandbox's usage example (in a sandbox)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import mountcursor.format
import mountcursor.live
from mountcursor.verify import sandbox as sandbox_module

README = Path(__file__).resolve().parents[1] / "README.md"
LIBRARY = [m.name for pkg in (mountcursor.live, mountcursor.format)
           for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + ".")]


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_blocks_run() -> None:
    """They read this machine's table (read only) and watch it for half a second."""
    blocks = _python_blocks(README.read_text())
    assert blocks
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})  # noqa: S102 -- the README's own example


@pytest.mark.parametrize("name", LIBRARY)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0


def test_there_are_docstring_examples() -> None:
    attempted = sum(doctest.testmod(importlib.import_module(n), verbose=False).attempted for n in LIBRARY)
    assert attempted >= 8


def test_sandbox_usage_example_runs() -> None:
    """The block at the top of verify/sandbox.py, as written (it called ``sb.close(h)``,
    which is not a command: ``close_proc``)."""
    from .live.conftest import needs_sandbox

    needs_sandbox()
    doc = sandbox_module.__doc__ or ""
    block = doc.split("\n\n")[1]
    code = "\n".join(line[4:] for line in block.splitlines())
    assert "with Sandbox(" in code and "close_proc(h)" in code
    exec(code, {"Sandbox": sandbox_module.Sandbox, "sandbox_unavailable": sandbox_module.sandbox_unavailable})
