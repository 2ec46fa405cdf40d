"""The files made from the command definitions and shipped with the package: the man
pages and the completion scripts, under ``src/mountcursor/share/`` in the layout of an
installation prefix's ``share/`` (``man/man1/mountcursor-list.1``,
``bash-completion/completions/mountcursor`` ...).  The package carries them as package
data (what ``mountcursor man`` and ``mountcursor completion`` read) and installs them
into ``<prefix>/share`` (pyproject.toml's ``data-files``), where man, bash-completion,
zsh and fish look.

    python -m mountcursor.cli.share            # write them again (make share)
    python -m mountcursor.cli.share --check    # exit 1 and name those that are stale

They are checked in, not made at build time: making them imports every command
(click, and the verifier's rich and greenlet), which a build environment does not
have; a test (tests/cli/test_share.py) fails when one is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["SHARE", "COMPLETIONS", "man_path", "generate", "stale", "write", "main"]

SHARE = Path(__file__).resolve().parents[1] / "share"
"""``src/mountcursor/share`` (in the source tree; installed, the package's copy)."""

COMPLETIONS = {
    "bash": "bash-completion/completions/mountcursor",
    "zsh": "zsh/site-functions/_mountcursor",
    "fish": "fish/vendor_completions.d/mountcursor.fish",
}
"""Each shell's completion file, relative to ``share/``."""


def man_path(command: str = "") -> str:
    """The man page of ``command`` (``""``: ``mountcursor``), relative to ``share/``."""
    return f"man/man1/mountcursor-{command}.1" if command else "man/man1/mountcursor.1"


def generate() -> dict[str, str]:
    """Every shipped file, by its path relative to ``share/``, made now."""
    from .completion import script
    from .manpage import pages

    out = {f"man/man1/{name}": text for name, text in pages().items()}
    out.update({path: script(shell) for shell, path in COMPLETIONS.items()})
    return out


def _on_disk(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def stale(root: Path = SHARE) -> list[str]:
    """The files under ``root`` that differ from :func:`generate`'s, are missing or
    should not be there."""
    made = generate()
    out = [path for path, text in made.items()
           if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text]
    return sorted(out + sorted(_on_disk(root) - set(made))) if root.is_dir() else sorted(made)


def write(root: Path = SHARE) -> list[str]:
    """Write every file under ``root`` (and remove those that should not be there):
    the paths that changed."""
    changed = stale(root)
    made = generate()
    for path in changed:
        target = root / path
        if path in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(made[path], encoding="utf-8")
        else:
            target.unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    """``python -m mountcursor.cli.share [--check]``: the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        out = stale()
        for path in out:
            print(f"mountcursor: share/{path} is stale: run make share", file=sys.stderr)
        return 1 if out else 0
    if args:
        print("usage: python -m mountcursor.cli.share [--check]", file=sys.stderr)
        return 2
    for path in write():
        print(f"wrote share/{path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
