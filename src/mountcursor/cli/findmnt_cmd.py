"""``mountcursor list`` and ``tree`` once their options are read (by click, or by
:func:`mountcursor.cli.findmnt_args.parse` without it): the lean list or tree when it
can print the table (:mod:`mountcursor.cli.fastlist`, :mod:`mountcursor.cli.fasttree`),
else the whole findmnt view (:mod:`mountcursor.cli.findmnt_view`), imported only then."""

from __future__ import annotations

from .fastlist import lean_list
from .status import guarded

__all__ = ["run_command"]


def run_command(tree_mode: bool, params: dict[str, object]) -> int:
    """Run ``list`` (``tree_mode`` false) or ``tree`` with click's keyword arguments;
    the exit status (0, or that of a one-line error; "nothing matched" exits 1 inside)."""
    return guarded(lambda: _run(tree_mode, params))


def _run(tree_mode: bool, params: dict[str, object]) -> None:
    if lean_list(tree_mode, params):
        return
    if tree_mode:
        from .fasttree import lean_tree

        if lean_tree(params):
            return
    from .findmnt_view import run

    run(tree_mode, **params)  # type: ignore[arg-type]  # click's keyword arguments
