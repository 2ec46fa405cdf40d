"""``mountcursor list`` and ``tree`` once their options are read (by
:func:`mountcursor.findmnt.options.parse`, or by click for ``--help`` and usage errors):
the findmnt engine (:mod:`mountcursor.findmnt.command`) with the one-line errors of
:mod:`.status`."""

from __future__ import annotations

from .status import guarded

__all__ = ["run_command"]


def run_command(tree_mode: bool, params: dict[str, object]) -> int:
    """Run ``list`` (``tree_mode`` false) or ``tree`` with the options' keyword arguments;
    the exit status (0; 1 when nothing matched; that of a one-line error)."""
    status = 0

    def run() -> None:
        nonlocal status
        from ..findmnt.command import run as engine

        status = engine(tree_mode, **params)  # type: ignore[arg-type]

    return guarded(run) or status
