"""Reading a saved mount table from a file, within limits: what ``-F`` reads before any
parsing.  Nothing heavy imported (the findmnt engine reads a kernel-shaped file without
the parser); :mod:`mountcursor.live.table` re-exports it."""

from __future__ import annotations

import os
from stat import S_ISREG

from ..format.errors import FormatError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = ["MAX_LINE_BYTES", "MAX_LINES", "MAX_TABLE_BYTES", "TableLimitError", "read_table_file"]

MAX_LINE_BYTES = 1 << 20
"""The longest line :func:`read_table_file` accepts (1 MiB).  The kernel's longest mountinfo
lines are a few pages (two escaped PATH_MAX paths and the options)."""
MAX_LINES = 1_000_000
"""The most lines :func:`read_table_file` reads by default: ten times ``fs.mount-max``."""
MAX_TABLE_BYTES = 1 << 30
"""The most bytes :func:`read_table_file` reads (1 GiB), whatever ``max_lines`` says."""


class TableLimitError(FormatError):
    """A saved table over one of the limits of :func:`read_table_file`."""


def read_table_file(path: str | bytes | os.PathLike[str] | os.PathLike[bytes], *, max_lines: int = MAX_LINES) -> bytes:
    """The bytes of a saved mountinfo table, read in chunks and refused as soon as it cannot
    be one: a NUL byte (the kernel never prints one), a line longer than
    :data:`MAX_LINE_BYTES`, more than ``max_lines`` lines or :data:`MAX_TABLE_BYTES` bytes.
    So ``/dev/zero`` and ``/dev/urandom`` stop at once instead of filling memory.

    A regular file of at most :data:`_AT_ONCE` bytes is read at once (one copy of its
    bytes, not chunks joined) and checked whole (:func:`_within_limits`); only one that
    fails is read again chunk by chunk, so the error is the one the chunks meet first."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        size = st.st_size
        if 0 < size <= _AT_ONCE and S_ISREG(st.st_mode):
            data = f.read(size + 1)
            if len(data) <= size and _within_limits(data, max_lines):
                return data
            f.seek(0)
        return _read_chunks(f, max_lines)


_AT_ONCE = 1 << 28
"""Bytes of a regular file read in one piece (256 MiB: far more than any table)."""


def _within_limits(data: bytes, max_lines: int) -> bool:
    """Whether :func:`_read_chunks` would take ``data`` as it is: no NUL, at most
    ``max_lines`` lines, none longer than :data:`MAX_LINE_BYTES` (each window of that
    many bytes and one more from a line's start holds a newline; the scan jumps to the
    last one in the window)."""
    if b"\0" in data or data.count(b"\n") > max_lines or len(data) > MAX_TABLE_BYTES:
        return False
    start = 0
    while len(data) - start > MAX_LINE_BYTES:
        newline = data.rfind(b"\n", start, start + MAX_LINE_BYTES + 1)
        if newline < 0:
            return False
        start = newline + 1
    return True


def _read_chunks(f: BinaryIO, max_lines: int) -> bytes:
    """The rest of ``f`` read a chunk at a time, refused at the first chunk over a limit."""
    chunks: list[bytes] = []
    total = lines = 0
    pending = 0  # bytes of the line not finished yet
    while chunk := f.read(MAX_LINE_BYTES):  # see below: a chunk holds no line too long but the first
        nul = chunk.find(b"\0")
        if nul >= 0:
            raise TableLimitError(lines + chunk.count(b"\n", 0, nul) + 1, "",
                                  "a NUL byte: the kernel never prints one, this is not a mountinfo table")
        # A line that ends inside a chunk of at most MAX_LINE_BYTES is no longer than
        # that: only the line running into the chunk from before can be too long.
        first = chunk.find(b"\n")
        if pending + (len(chunk) if first < 0 else first) > MAX_LINE_BYTES:
            raise TableLimitError(lines + 1, "", f"longer than {MAX_LINE_BYTES >> 20} MiB: the kernel "
                                  "prints a few KiB at most, this is not a mountinfo table")
        pending = pending + len(chunk) if first < 0 else len(chunk) - chunk.rfind(b"\n") - 1
        lines += chunk.count(b"\n")
        total += len(chunk)
        if lines > max_lines:
            raise TableLimitError(None, "", f"more than {max_lines:,} lines: stopped reading "
                                  "(raise the limit with --max-lines)")
        if total > MAX_TABLE_BYTES:
            raise TableLimitError(None, "", f"larger than {MAX_TABLE_BYTES >> 30} GiB: stopped reading")
        chunks.append(chunk)
    return b"".join(chunks)
