"""``mountcursor list`` and ``tree``: the live mount table, findmnt-style (``watch`` is in
:mod:`mountcursor.cli.watch_cmd`).

    mountcursor list  [findmnt's options] [SOURCE] [TARGET]      (findmnt -l)
    mountcursor tree  [findmnt's options] [SOURCE] [TARGET]      (findmnt)

The options, the selection and the output are in :mod:`mountcursor.cli.findmnt_view`.

Exit status: 0 when something was printed, 1 when nothing matched or for a bad ``-o``
(as findmnt),
2 on a usage error (bad option, bad or over-limit -F file), 3 when no consistent snapshot
could be taken (one line on stderr, never a traceback; see :mod:`.errors`).
"""

from __future__ import annotations

import errno
import functools
import os
import re
import sys
from collections.abc import Callable

import click

from ..format import FormatError
from ..live.entry import MountEntry
from ..live.findmnt import column_value
from ..live.reader import InconsistentSnapshotError
from . import main
from .errors import EXIT_RUNTIME, EXIT_STATUS_HELP, EXIT_USAGE
from .findmnt_view import findmnt_options, run

# ---- errors -------------------------------------------------------------------------


def _message(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        where = f"{os.fsdecode(err.filename)}: " if err.filename else ""
        return where + err.strerror
    return str(err)


_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG)


def _one_line_errors(fn: Callable) -> Callable:
    """Turn expected failures into ``mountcursor: <what>`` and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InconsistentSnapshotError as err:  # the table kept changing: a runtime error
            click.echo(f"mountcursor: {_message(err)}", err=True)
            sys.exit(EXIT_RUNTIME)
        except OSError as err:
            click.echo(f"mountcursor: {_message(err)}", err=True)
            # the output could not be written (a full disk, /dev/full): a runtime error
            sys.exit(EXIT_RUNTIME if err.errno in _OUTPUT_ERRNOS and not err.filename else EXIT_USAGE)
        except (ValueError, FormatError) as err:
            click.echo(f"mountcursor: {_message(err)}", err=True)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            sys.exit(130)

    return wrapper


# ---- text encoding (like libsmartcols) ----------------------------------------------


_UNSAFE = re.compile("[\x00-\x1f\x7f\udc80-\udcff]")
_UNSAFE_RAW = re.compile("[\x00-\x1f\x7f \\\\\udc80-\udcff]")


def _safe(text: str, raw: bool) -> str:
    r"""Escape what would break a line: control bytes and undecodable bytes as ``\xHH``;
    in ``--raw`` also space and backslash, so fields split on spaces."""
    if (_UNSAFE_RAW if raw else _UNSAFE).search(text) is None:
        return text  # nearly every cell
    return _escape_each(text, raw)


def _escape_each(text: str, raw: bool) -> str:
    """:func:`_safe`'s rule applied to each character."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: a byte that is not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or code == 0x7F or (raw and ch in " \\"):
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)


def _cell(entry: MountEntry, name: str, raw: bool) -> str:
    value = column_value(entry, name)
    return "" if value is None else _safe(str(value), raw)


def _write(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8", "surrogateescape"))
    sys.stdout.flush()


@main.command("list", epilog=EXIT_STATUS_HELP)
@findmnt_options
@_one_line_errors
def list_cmd(**kwargs) -> None:
    """The mount table as a list, in kernel order (``findmnt -l``).

    SOURCE (a device, MAJ:MIN, LABEL=/UUID=/PARTUUID=/PARTLABEL= tag or, if no source
    matches, a mount point) and TARGET select like findmnt's arguments."""
    run(False, **kwargs)


@main.command("tree", epilog=EXIT_STATUS_HELP)
@findmnt_options
@_one_line_errors
def tree_cmd(**kwargs) -> None:
    """The mount table as findmnt's tree (``findmnt``): children by id, unreachable
    mounts at the top.

    A source, target, --first-only or a non-tree table (fstab, /proc/mounts) gives a
    list, as findmnt does."""
    run(True, **kwargs)
