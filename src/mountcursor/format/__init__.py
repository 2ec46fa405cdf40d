"""Render and parse ``/proc/<pid>/{mountinfo,mounts,mountstats}`` byte-exact with Linux.

Shared by the kernel model (which renders) and the live reader (which parses).  Every
``parse_*`` function is the exact inverse of its ``render_*`` function and strict: input
the kernel does not print raises :class:`FormatError` naming the line and the field.

Escaping (fs/seq_file.c, fs/proc_namespace.c):
    :func:`escape`, :func:`unescape`, :func:`mangle` (device names, fs types; the
    :data:`Era` decides whether ``#`` is escaped), :func:`escape_path` (paths).
Records and formats:
    :class:`MountInfoRecord` with :func:`render_mountinfo`, :func:`parse_mountinfo_line`,
    :func:`parse_mountinfo`; :class:`MountsRecord` with :func:`render_mounts`,
    :func:`parse_mounts_line`, :func:`parse_mounts`; :class:`MountStatsRecord` with
    :func:`render_mountstats`, :func:`parse_mountstats_line`, :func:`parse_mountstats`.

The whole-file parsers split on ``b"\\n"`` only (the kernel does not escape ``\\r``) and
require the data to end with a newline.
"""

from __future__ import annotations

from .._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:  # what the names are, for type checkers and readers
    from .errors import FormatError
    from .escaping import ERAS, Era, escape, escape_path, mangle, unescape
    from .mountinfo import MountInfoRecord, parse_mountinfo, parse_mountinfo_line, render_mountinfo
    from .mounts import MountsRecord, parse_mounts, parse_mounts_line, render_mounts
    from .mountstats import MountStatsRecord, parse_mountstats, parse_mountstats_line, render_mountstats

_HOME = {
    "FormatError": "errors",
    "ERAS": "escaping", "Era": "escaping", "escape": "escaping", "escape_path": "escaping", "mangle": "escaping",
    "unescape": "escaping",
    "MountInfoRecord": "mountinfo", "parse_mountinfo": "mountinfo", "parse_mountinfo_line": "mountinfo",
    "render_mountinfo": "mountinfo",
    "MountsRecord": "mounts", "parse_mounts": "mounts", "parse_mounts_line": "mounts", "render_mounts": "mounts",
    "MountStatsRecord": "mountstats", "parse_mountstats": "mountstats", "parse_mountstats_line": "mountstats",
    "render_mountstats": "mountstats",
}
"""Public name -> the module of this package that defines it (loaded on first use: the
plain ``list`` needs only :func:`unescape`, the dataclasses of the records cost more
than the rest of its run)."""




__all__ = [
    "Era",
    "ERAS",
    "FormatError",
    "escape",
    "unescape",
    "mangle",
    "escape_path",
    "MountInfoRecord",
    "MountsRecord",
    "MountStatsRecord",
    "render_mountinfo",
    "render_mounts",
    "render_mountstats",
    "parse_mountinfo_line",
    "parse_mountinfo",
    "parse_mounts_line",
    "parse_mounts",
    "parse_mountstats_line",
    "parse_mountstats",
]

__getattr__, __dir__ = lazy_exports(__name__, _HOME, __all__)
