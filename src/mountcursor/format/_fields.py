"""Checks and conversions shared by the three formats (private).

Each ``parse_*`` helper turns one field of kernel output into a record value or raises
:class:`FormatError`; each ``check_*`` helper refuses a record value the kernel could not
have printed, so that ``parse(render(rec)) == rec`` for every record ``render`` accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .errors import FormatError
from .escaping import unescape

INT_MAX = 2**31 - 1
"""``%i`` of an ``int``: mount ids and peer-group ids are at most ``INT_MAX``."""
MAJOR_MAX = (1 << 12) - 1
"""``MAJOR(dev)``: ``dev_t`` inside the kernel keeps 12 bits of major (include/linux/kdev_t.h)."""
MINOR_MAX = (1 << 20) - 1
"""``MINOR(dev)``: and 20 bits of minor."""

_BAD_ESCAPE = re.compile(rb"\\(?![0-3][0-7][0-7])")


def show(value: bytes, limit: int = 60) -> str:
    """A short ``repr`` of ``value`` for error messages."""
    if len(value) > limit:
        return repr(value[:limit]) + "..."
    return repr(value)


def as_bytes(data: object, what: str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"{what} must be bytes, not {type(data).__name__}")


def one_line(line: object, lineno: int | None) -> bytes:
    """``line`` without its one optional trailing newline; refuse empty and multi-line input."""
    text = as_bytes(line, "line")
    if text.endswith(b"\n"):
        text = text[:-1]
    if not text:
        raise FormatError(lineno, "", "empty line")
    if b"\n" in text:
        raise FormatError(lineno, "", "more than one line (a newline inside the line)")
    return text


def numbered_lines(data: object) -> Iterator[tuple[int, bytes]]:
    """``(lineno, line)`` for each ``\\n``-terminated line of ``data``, numbered from 1.

    Splits on ``b"\\n"`` only: the kernel escapes ``\\n`` but not ``\\r``, ``\\v`` or
    ``\\f``, so :meth:`bytes.splitlines` would cut mount points in two.
    """
    text = as_bytes(data, "data")
    if not text:
        return
    lines = text.split(b"\n")
    if lines[-1]:
        raise FormatError(len(lines), "", "missing the trailing newline (the data ends inside a line)")
    yield from enumerate(lines[:-1], 1)


def parse_decimal(token: bytes, field: str, lineno: int | None, lo: int, hi: int) -> int:
    """A ``%i``/``%u`` number: ASCII digits, no sign, no leading zero, in ``lo..hi``."""
    if not token.isdigit():
        raise FormatError(lineno, field, f"expected a decimal integer, got {show(token)}")
    if len(token) > 1 and token.startswith(b"0"):
        raise FormatError(lineno, field, f"expected a decimal integer without leading zeros, got {show(token)}")
    if len(token) > len(str(hi)):  # and int() of thousands of digits would raise ValueError
        raise FormatError(lineno, field, f"{show(token)} is out of range {lo}..{hi}")
    value = int(token)
    if not lo <= value <= hi:
        raise FormatError(lineno, field, f"{value} is out of range {lo}..{hi}")
    return value


def check_int(value: object, field: str, lo: int, hi: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise FormatError(None, field, f"expected an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise FormatError(None, field, f"{value} is out of range {lo}..{hi}")


def parse_escaped(raw: bytes, field: str, lineno: int | None, *, allow_empty: bool = False) -> bytes:
    """Unescape a path, device name or fs type, refusing what no kernel escaping yields.

    Refused: an empty field (unless ``allow_empty``: an empty device name prints as
    nothing), a raw tab or NUL (the kernel escapes tabs, and its strings end at NUL),
    a backslash that does not start ``\\000``-``\\377`` (the kernel escapes every
    backslash), and an escape that stands for a NUL (``\\000``: the string would have
    ended there, so no kernel prints it; :func:`check_string` refuses it in a record
    alike).  A raw ``#`` is accepted in both eras: filesystems with their own
    ``->show_devname`` (NFS, btrfs, AFS) print it unescaped even on current kernels.
    """
    if not raw and not allow_empty:
        raise FormatError(lineno, field, "must not be empty")
    if b"\\" not in raw and b"\t" not in raw and b"\0" not in raw:
        return raw  # the common case: nothing escaped, nothing to refuse
    for raw_byte, name in ((b"\t", "raw tab (the kernel writes \\011)"), (b"\0", "NUL byte")):
        if raw_byte in raw:
            raise FormatError(lineno, field, f"{name} at byte {raw.index(raw_byte)}: {show(raw)}")
    bad = _BAD_ESCAPE.search(raw)
    if bad is not None:
        raise FormatError(
            lineno,
            field,
            f"backslash at byte {bad.start()} does not start an octal escape \\000-\\377: {show(raw)}",
        )
    value = unescape(raw)
    if b"\0" in value:
        raise FormatError(lineno, field, f"escape of a NUL byte (\\000), which no kernel string can hold: {show(raw)}")
    return value


def check_string(value: object, field: str, *, allow_empty: bool = False) -> None:
    """A record's path, device name or fs type: bytes, no NUL, non-empty unless allowed."""
    if not isinstance(value, bytes):
        raise FormatError(None, field, f"expected bytes, got {type(value).__name__}")
    if not value and not allow_empty:
        raise FormatError(None, field, "must not be empty")
    if b"\0" in value:
        raise FormatError(None, field, "contains a NUL byte, which no kernel string can hold")


def check_opts(opts: object, field: str, lineno: int | None, *, flag_list: bool) -> None:
    """An option string: ``ro`` or ``rw``, then ``,``-led options, on one line.

    ``flag_list`` (the per-mount options of mountinfo, printed from flags by
    ``show_vfsmnt_opts()``): also no space and no empty option.  Otherwise (the
    super-block and fs options, whose ``->show_options`` may print anything) spaces
    are allowed, as these are the last thing on their line.
    """
    if not isinstance(opts, bytes):
        raise FormatError(lineno, field, f"expected bytes, got {type(opts).__name__}")
    if opts[:2] not in (b"ro", b"rw") or opts[2:3] not in (b"", b","):
        raise FormatError(lineno, field, f"expected 'ro' or 'rw', then ','-separated options, got {show(opts)}")
    if b"\n" in opts or b"\0" in opts:
        raise FormatError(lineno, field, f"contains a newline or NUL byte: {show(opts)}")
    if flag_list and (b" " in opts or b"" in opts.split(b",")):
        raise FormatError(lineno, field, f"expected options without spaces or empty items, got {show(opts)}")
