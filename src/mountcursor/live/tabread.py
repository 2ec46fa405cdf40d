"""Reading a saved mount table from a file, within limits: what ``-F`` reads before any
parsing.  Nothing heavy imported (the findmnt engine reads a kernel-shaped file without
the parser); :mod:`mountcursor.live.table` re-exports it."""

from __future__ import annotations

import os

from ..format.errors import FormatError

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
    So ``/dev/zero`` and ``/dev/urandom`` stop at once instead of filling memory."""
    chunks: list[bytes] = []
    total = lines = 0
    pending = 0  # bytes of the line not finished yet
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
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
