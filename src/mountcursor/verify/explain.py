"""Hand-checked explanations of the failures the explorer finds.

Nothing here decides a verdict: the explorer finds the failures, and
``explain()`` only attaches the step-by-step reading against the kernel code
that a person did to confirm each kind of failure (strategy, semantics,
property).  An unconfirmed combination gets no text.
"""

from __future__ import annotations

_TEXT: dict[tuple[str, str, str], str] = {}


def explain(strategy: str, semantics: str, props: list[str]) -> str:
    """The confirmation notes for a failure of ``props`` by ``strategy`` on ``semantics``."""
    parts = [_TEXT[(strategy, semantics, p)] for p in props if (strategy, semantics, p) in _TEXT]
    if not parts and strategy == "index":
        parts = [t for (s, _, p), t in _TEXT.items() if s == "index" and p in props][:1]
    return "\n\n".join(dict.fromkeys(parts))
