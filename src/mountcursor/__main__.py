"""``python -m mountcursor``: the command line (:func:`mountcursor.cli.main`)."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="mountcursor")
