"""A small schema checker for the JSON files the CLI reads back (traces, diff-kernel scripts).

Every value is checked for type and range *before* anything runs; an error names the
file, the field (``scenario.mounts[3].length``) and what was wrong.  JSON ``true`` is
not an integer here and ``2.0`` is not an integer either: a file that was not written
by mountcursor is refused rather than guessed at.

    check = obj({"n": integer(0, 10)}, optional={"name": text(max_len=40)})
    value = check(json_value, "")      # SchemaError("scenario.mounts[3].length: expected ...")

``where`` is the field path so far ("" at the top); the caller puts the file name in front.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

Checker = Callable[[Any, str], Any]


class SchemaError(ValueError):
    """A value that does not fit its schema; the message names where."""


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(v), type(v).__name__)


def _fail(where: str, want: str, got: Any) -> SchemaError:
    shown = repr(got)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return SchemaError(f"{where or 'top level'}: expected {want}, got {_kind(got)} {shown}")


def integer(lo: int, hi: int) -> Checker:
    def check(v: Any, where: str) -> int:
        if type(v) is not int or not lo <= v <= hi:
            raise _fail(where, f"an integer from {lo} to {hi}", v)
        return v
    return check


def boolean(v: Any, where: str) -> bool:
    if type(v) is not bool:
        raise _fail(where, "true or false", v)
    return v


def text(max_len: int = 4096, choices: Sequence[str] | None = None) -> Checker:
    def check(v: Any, where: str) -> str:
        if choices is not None:
            if not isinstance(v, str) or v not in choices:
                raise _fail(where, "one of " + ", ".join(repr(c) for c in choices), v)
            return v
        if not isinstance(v, str) or len(v) > max_len:
            raise _fail(where, f"a string of at most {max_len} characters", v)
        return v
    return check


#: ``include/uapi/linux/limits.h``: a path's bytes with its NUL, and a file name's bytes
PATH_MAX = 4096
NAME_MAX = 255


def fs_bytes(v: Any, where: str, *, absolute: bool) -> bytes:
    """A file-system string as bytes (``os.fsencode``: undecodable bytes round-trip)."""
    if not isinstance(v, str):
        raise _fail(where, "a path string", v)
    try:
        raw = os.fsencode(v)
    except UnicodeEncodeError:
        raise _fail(where, "a path string (lone surrogates are not bytes)", v) from None
    if b"\0" in raw or not raw or len(raw) >= PATH_MAX:
        raise _fail(where, "a path of 1 to 4095 bytes without NUL", v)
    if absolute and not raw.startswith(b"/"):
        raise _fail(where, "an absolute path", v)
    return raw


def abs_path(v: Any, where: str) -> bytes:
    return fs_bytes(v, where, absolute=True)


def name_in_dir(v: Any, where: str) -> bytes:
    """One file name, to be created inside a directory the tool owns: no ``/``, not ``.``
    or ``..``, at most NAME_MAX (255) bytes.  Nothing can escape the directory."""
    raw = fs_bytes(v, where, absolute=False)
    if b"/" in raw or raw in (b".", b"..") or len(raw) > NAME_MAX:
        raise _fail(where, "a single file name (no '/', not '.' or '..', at most 255 bytes)", v)
    return raw


def rel_path_in_dir(v: Any, where: str) -> bytes:
    """A relative path inside a directory the tool owns: one or more file names joined by
    ``/`` (none empty, ``.`` or ``..``, each at most NAME_MAX bytes).  Nothing can escape
    the directory."""
    raw = fs_bytes(v, where, absolute=False)
    parts = raw.split(b"/")
    if raw.startswith(b"/") or any(p in (b"", b".", b"..") or len(p) > NAME_MAX for p in parts):
        raise _fail(where, "a relative path of file names (none empty, '.' or '..', at most 255 bytes)", v)
    return raw


def array(item: Checker, max_len: int, min_len: int = 0) -> Checker:
    def check(v: Any, where: str) -> list[Any]:
        if not isinstance(v, list):
            raise _fail(where, f"a list of {min_len} to {max_len} items", v)
        if not min_len <= len(v) <= max_len:
            raise SchemaError(f"{where}: expected a list of {min_len} to {max_len} items, got {len(v)}")
        return [item(x, f"{where}[{i}]") for i, x in enumerate(v)]
    return check


def fixed(*items: Checker) -> Checker:
    """A list of exactly ``len(items)`` values, each with its own checker (``[kind, size]``)."""
    def check(v: Any, where: str) -> tuple[Any, ...]:
        if not isinstance(v, list) or len(v) != len(items):
            raise _fail(where, f"a list of {len(items)} values", v)
        return tuple(c(x, f"{where}[{i}]") for i, (c, x) in enumerate(zip(items, v)))
    return check


def obj(required: dict[str, Checker], optional: dict[str, Checker] | None = None) -> Checker:
    """An object with these fields (others are refused: a typo is an error, not ignored)."""
    optional = optional or {}

    def check(v: Any, where: str) -> dict[str, Any]:
        if not isinstance(v, dict):
            raise _fail(where, "an object", v)
        unknown = sorted(set(v) - set(required) - set(optional))
        if unknown:
            raise SchemaError(f"{where or 'top level'}: unknown field {unknown[0]!r}")
        out = {}
        for k, c in required.items():
            if k not in v:
                raise SchemaError(f"{where or 'top level'}: missing field {k!r}")
            out[k] = c(v[k], f"{where}.{k}" if where else k)
        for k, c in optional.items():
            if k in v:
                out[k] = c(v[k], f"{where}.{k}" if where else k)
        return out
    return check
