"""findmnt's OPTIONS string from the two option fields of a mountinfo line, with
nothing imported (the lean ``list`` path uses it; :mod:`mountcursor.live.entry`
re-exports it)."""

from __future__ import annotations

__all__ = ["merge_options"]


def merge_options(vfs: bytes, fs: bytes) -> bytes:
    """findmnt's OPTIONS: per-mount then super-block options, one leading ``ro``/``rw``.

    ``ro`` if either side is read-only (libmount ``merge_optstr``): the leading
    ``ro``/``rw`` of each side is dropped and one is put in front.
    """
    if vfs == fs:
        return vfs
    ro = False
    pieces = [b""]  # the flag goes here; then what follows each side's own flag
    for side in (vfs, fs):
        head = side[:3]
        if head == b"rw," or head == b"ro,":
            ro = ro or head == b"ro,"
            pieces.append(side[3:])
        elif side == b"rw" or side == b"ro":
            ro = ro or side == b"ro"
        elif side:
            pieces.append(side)
    pieces[0] = b"ro" if ro else b"rw"
    return b",".join(pieces)
