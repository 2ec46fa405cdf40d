"""The one exception of :mod:`mountcursor.format`: bad input (:class:`mountcursor.status.BadInput`,
exit 2 from a command) and a :class:`ValueError` to the library's callers."""

from __future__ import annotations

from ..status import BadInput

__all__ = ["FormatError"]


class FormatError(BadInput, ValueError):
    """Bytes that are not what the kernel prints, or a record the kernel could not print.

    ``lineno`` is the 1-based line number in the parsed data (``None`` when a single
    line was parsed without a number, and for records refused by a ``render_*``
    function); ``field`` names the field at fault, using the record attribute names
    (``"mnt_id"``, ``"mount_point"``, ``"shared"``, ...), or is ``""`` when the
    problem concerns the line as a whole (an empty line, a missing newline).

    ``str(e)`` reads ``line 3, field 'mnt_id': expected a decimal integer, got b'x1'``.
    """

    lineno: int | None
    field: str
    message: str

    def __init__(self, lineno: int | None, field: str, message: str) -> None:
        self.lineno = lineno
        self.field = field
        self.message = message
        super().__init__(_describe(lineno, field, message))

    def __reduce__(self) -> tuple[type[FormatError], tuple[int | None, str, str]]:  # keep pickling (multiprocessing, pytest-xdist) working
        return (type(self), (self.lineno, self.field, self.message))


def _describe(lineno: int | None, field: str, message: str) -> str:
    where = []
    if lineno is not None:
        where.append(f"line {lineno}")
    if field:
        where.append(f"field {field!r}")
    return f"{', '.join(where)}: {message}" if where else message
