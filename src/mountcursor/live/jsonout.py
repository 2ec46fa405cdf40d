"""``json.dumps(obj, indent=N, ensure_ascii=False)`` without recursion: :func:`dumps`.

The standard encoder recurses once per nesting level (the pure-Python one used with
``indent`` three frames per level), so ``tree --json`` of a mount chain 500 deep hits the
recursion limit while findmnt prints 2000 levels.  This walks an explicit stack and writes
exactly the bytes ``json.dumps`` would (the tests compare them on random documents): dicts,
lists, str, int, float, bool and None.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps"]

_scalar = json.JSONEncoder(ensure_ascii=False).encode


def dumps(obj: Any, indent: int = 3) -> str:
    """``json.dumps(obj, indent=indent, ensure_ascii=False)``, for any nesting depth."""
    out: list[str] = []
    # the stack holds iterators over a container's remaining items, with its depth
    stack: list[tuple[Any, int, bool, bool]] = []  # (iterator, depth, is_dict, first)
    _open(obj, 0, out, stack)
    while stack:
        it, depth, is_dict, first = stack[-1]
        item: Any = next(it, _END)
        if item is _END:
            stack.pop()
            if not first:
                out.append("\n" + " " * (indent * depth))
            out.append("}" if is_dict else "]")
            continue
        stack[-1] = (it, depth, is_dict, False)
        out.append(("\n" if first else ",\n") + " " * (indent * (depth + 1)))
        if is_dict:
            key, value = item
            out.append(_key(key) + ": ")
        else:
            value = item
        _open(value, depth + 1, out, stack)
    return "".join(out)


_END = object()


def _key(key: Any) -> str:
    if isinstance(key, str):
        return _scalar(key)
    return _scalar(str(key) if not isinstance(key, bool) and key is not None else _scalar(key))


def _open(value: Any, depth: int, out: list[str], stack: list[tuple[Any, int, bool, bool]]) -> None:
    """Write a scalar, an empty container, or the opening bracket of a non-empty one."""
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        out.append("{")
        stack.append((iter(value.items()), depth, True, True))
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        out.append("[")
        stack.append((iter(value), depth, False, True))
    else:
        out.append(_scalar(value))
