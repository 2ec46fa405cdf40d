"""Names of a package loaded from their modules on first use (PEP 562): what lets the
plainest ``mountcursor list`` import ``mountcursor.format.escaping`` or
``mountcursor.live.procread`` without loading the rest of their packages.

    __getattr__, __dir__ = lazy_exports(__name__, {"snapshot": "reader", ...}, __all__)
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: Mapping[str, str],
                 names: Iterable[str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``, whose public names
    (``homes``: name -> the submodule that defines it) are imported when first used and
    then kept in the package's namespace."""
    import sys

    public = list(names)

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        from importlib import import_module

        value = getattr(import_module(f".{home}", package), name)
        setattr(sys.modules[package], name, value)  # once: later lookups do not come here
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *public})

    return __getattr__, __dir__
