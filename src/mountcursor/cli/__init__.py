"""The ``mountcursor`` command line: a thin layer that parses arguments and prints.

Each subcommand lives in its own module and registers itself on :data:`main`.
"""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "-V", "--version", package_name="mountcursor")
def main() -> None:
    """Read the Linux mount table correctly while it changes."""


from . import check  # noqa: E402,F401
from . import diff_kernel  # noqa: E402,F401
from . import live_cmds  # noqa: E402,F401
from . import race  # noqa: E402,F401
