"""mountcursor: read the Linux mount table correctly while it changes.

Layers (imports go downward only)::

    cli      -> verify, live, kernel, format
    verify   -> kernel, format
    live     -> format
    kernel   -> format
    format   (shared rendering/parsing of the three proc formats)
"""

__version__ = "0.1.0"
"""The one version number: pyproject.toml reads it from here."""
