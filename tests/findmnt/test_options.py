"""``list``/``tree`` command lines read without click give exactly click's arguments, and
every line the click-free parser leaves alone is one click refuses or answers itself
(help, version)."""

from __future__ import annotations

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mountcursor.cli.app import main
from mountcursor.findmnt.options import OPTIONS, parse


def _clicks(command: str, args: list[str]) -> dict[str, object] | None:
    """The keyword arguments click gives ``command`` for ``args``, or None when click
    stops (a usage error, ``--help``, ``--version``)."""
    cmd = main.get_command(click.Context(main), command)
    assert cmd is not None
    try:
        ctx = cmd.make_context(command, list(args), resilient_parsing=False)
    except (click.exceptions.Exit, click.exceptions.ClickException):
        return None
    return dict(ctx.params)


_NAMES = sorted({name for opt in OPTIONS for name in opt.names})
_SHORT_LETTERS = sorted({name[1] for name in _NAMES if len(name) == 2} | {"h", "V", "x", "Z"})
_WORDS = ["--", "-", "", "TARGET", "/mnt", "12", "0", "-3", " 7", "1_0", "x", "forward", "backward", "auto",
          "listmount", "strict", "single-pass", "=", "ID,TARGET", "+ID", "--help", "-h", "--version", "-V",
          "--nosuch", "--raw=1", "--output=TARGET", "--id=5", "--method=listmount", "--max-lines=0",
          "--max-lines=2", "--direction=sideways", "---x"]


@st.composite
def _cluster(draw) -> str:
    letters = draw(st.lists(st.sampled_from(_SHORT_LETTERS), min_size=1, max_size=4))
    tail = draw(st.sampled_from(["", "", "TARGET", "=x", "7"]))
    return "-" + "".join(letters) + tail


_ARG = st.one_of(st.sampled_from(_NAMES), st.sampled_from(_WORDS), _cluster())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["list", "tree"]), st.lists(_ARG, max_size=7))
def test_parse_gives_clicks_arguments_or_leaves_the_line_to_click(command: str, args: list[str]) -> None:
    ours = parse(args)
    theirs = _clicks(command, args)
    assert ours == theirs, (args, ours, theirs)


@pytest.mark.parametrize("args, expected", [
    (["-rno", "TARGET,ID", "-N", "12"], {"raw": True, "noheadings": True, "output": "TARGET,ID", "pid": "12"}),
    (["-oTARGET", "--id", "3", "--id=4", "/mnt"], {"output": "TARGET", "ids": (3, 4), "positional": ("/mnt",)}),
    (["-o=TARGET"], {"output": "=TARGET"}),                        # click's rule: the rest of the word
    (["--", "-r", "--raw"], {"positional": ("-r", "--raw")}),
    (["-F", "a", "-F", "b", "--max-lines", " 5"], {"tab_files": ("a", "b"), "max_lines": 5}),
    (["--method", "--all", "--method=listmount"], {"method": "listmount", "all_": False}),  # only the last is read
    (["--max-lines", "0", "--max-lines", "9"], {"max_lines": 9}),
])
def test_parse_examples(args: list[str], expected: dict[str, object]) -> None:
    got = parse(args)
    assert got is not None
    assert {key: got[key] for key in expected} == expected
    assert got == _clicks("list", args)


@pytest.mark.parametrize("args", [["-h"], ["-rh"], ["--help"], ["-V"], ["--version"], ["--nosuch"], ["-o"],
                                  ["--raw=yes"], ["--id", "x"], ["--max-lines", "0"], ["-d", "up"],
                                  ["--method", "LISTMOUNT"], ["--id", "x", "--id", "3"],
                                  ["--method", "auto", "--method", "x"]])
def test_parse_leaves_to_click(args: list[str]) -> None:
    assert parse(args) is None
    assert _clicks("list", args) is None
