"""Bytes that count the work done on them: an operation count for cost tests.

:class:`CountingBytes` adds to :data:`WORK` the length of every bytes it scans, cuts,
hashes or compares, and every bytes it returns is a :class:`CountingBytes` too, so code
that walks a path step by step keeps being counted.  Linear code does work proportional
to its input; quadratic code shows as a ratio near 4 when the input doubles, with no
clock involved.
"""

from __future__ import annotations

from typing import Any

WORK = [0]


def _wrap(value: Any) -> Any:
    if type(value) is bytes:
        return CountingBytes(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


def _counted(name: str) -> Any:
    method = getattr(bytes, name)

    def run(self: bytes, *args: Any, **kwargs: Any) -> Any:
        WORK[0] += len(self) + 1
        return _wrap(method(self, *args, **kwargs))

    run.__name__ = name
    return run


def _searched(name: str) -> Any:
    """``find``/``rfind`` count the bytes they pass over, not the whole string."""
    method = getattr(bytes, name)

    def run(self: bytes, sub: bytes, start: int = 0, end: int | None = None) -> int:
        start, end, _ = slice(start, end).indices(len(self))
        at = method(self, sub, start, end)
        WORK[0] += (end - max(at, start) if name == "rfind" else (end if at < 0 else at) - start) + 1
        return at  # type: ignore[no-any-return]

    run.__name__ = name
    return run


class CountingBytes(bytes):
    __slots__ = ()

    def __hash__(self) -> int:
        WORK[0] += len(self) + 1
        return bytes.__hash__(self)

    def __eq__(self, other: object) -> bool:
        WORK[0] += len(self) + 1
        return bytes.__eq__(self, other)  # type: ignore[return-value]

    def __ne__(self, other: object) -> bool:
        WORK[0] += len(self) + 1
        return bytes.__ne__(self, other)  # type: ignore[return-value]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            out = bytes.__getitem__(self, key)
            WORK[0] += len(out) + 1
            return CountingBytes(out)
        WORK[0] += 1
        return bytes.__getitem__(self, key)

    find, rfind = _searched("find"), _searched("rfind")
    for _name in ("rsplit", "split", "rpartition", "partition", "rindex", "index", "count",
                  "startswith", "endswith", "rstrip", "lstrip", "strip", "replace", "join", "__add__", "__contains__"):
        locals()[_name] = _counted(_name)
    del _name


def counted(data: bytes) -> CountingBytes:
    return CountingBytes(data)
