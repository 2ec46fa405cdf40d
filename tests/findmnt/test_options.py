"""The findmnt engine's one parser of ``list``/``tree`` command lines reads every line as
click's parser reads the same options (click is the reference here, built from the same
table; the command line itself never uses it): the same arguments, the same refusals,
``--help``/``--version`` where click answers them."""

from __future__ import annotations

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mountcursor.findmnt.options import (CHOICE, FLAG, HELP, INT_MIN1, INT_MULTI, MULTI, OPTIONS, VERSION, UsageError,
                                         parse)


def _reference() -> click.Command:
    """click's command with the options of the table (names, kinds, defaults)."""
    params: list[click.Parameter] = [click.Argument(["positional"], nargs=-1)]
    for opt in OPTIONS:
        decls = [*opt.names, opt.dest]
        if opt.kind == FLAG:
            params.append(click.Option(decls, is_flag=True))
        elif opt.kind in (MULTI, INT_MULTI):
            params.append(click.Option(decls, multiple=True, type=int if opt.kind == INT_MULTI else None))
        elif opt.kind == CHOICE:
            params.append(click.Option(decls, type=click.Choice(opt.choices), default=opt.default))
        elif opt.kind == INT_MIN1:
            params.append(click.Option(decls, type=click.IntRange(1)))
        else:
            params.append(click.Option(decls))
    cmd = click.Command("list", params=params, context_settings={"help_option_names": ["-h", "--help"]})
    return click.version_option("1", "-V", "--version", package_name="mountcursor")(cmd)


REFERENCE = _reference()


def _clicks(command: str, args: list[str]) -> dict[str, object] | str | None:
    """The keyword arguments click gives for ``args``; "help"/"version" when click
    answers those; None for a usage error."""
    try:
        ctx = REFERENCE.make_context(command, list(args), resilient_parsing=False)
    except click.exceptions.Exit:
        return HELP if _asks_help(args) else VERSION
    except click.exceptions.ClickException:
        return None
    return dict(ctx.params)


_VALUED = {name[1] for opt in OPTIONS for name in opt.names if len(name) == 2 and opt.kind != FLAG}


_VALUED_LONG = {name for opt in OPTIONS for name in opt.names if name[:2] == "--" and opt.kind != FLAG}


def _asks_help(args: list[str]) -> bool:
    """Which of help and version click answered (the first of them on the line that is
    not an option's value: ``--options --help --version`` asks for the version)."""
    value_next = False
    for arg in args:
        if value_next:
            value_next = False
            continue
        if arg == "--":
            break
        if arg in ("--help", "--version"):
            return arg == "--help"
        if arg in _VALUED_LONG:
            value_next = True
        elif arg[:1] == "-" and arg[:2] != "--":
            for i, letter in enumerate(arg[1:], 1):
                if letter in "hV":
                    return letter == "h"
                if letter in _VALUED:  # a letter that takes the rest of the word, else the next word
                    value_next = i == len(arg) - 1
                    break
    return False


def _ours(args: list[str]) -> dict[str, object] | str | None:
    try:
        return parse(args)
    except UsageError:
        return None


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
def test_parse_reads_every_line_as_click(command: str, args: list[str]) -> None:
    ours = _ours(args)
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
    assert isinstance(got, dict)
    assert {key: got[key] for key in expected} == expected
    assert got == _clicks("list", args)


@pytest.mark.parametrize("args, answer", [(["-h"], HELP), (["-rh"], HELP), (["--help"], HELP), (["-V"], VERSION),
                                          (["--version"], VERSION), (["--id", "x", "-h"], HELP),
                                          (["-V", "--help"], VERSION)])
def test_help_and_version(args: list[str], answer: str) -> None:
    assert parse(args) == answer == _clicks("list", args)


@pytest.mark.parametrize("args, words", [
    (["--nosuch"], "No such option: --nosuch"), (["-o"], "Option '-o' requires an argument."),
    (["--raw=yes"], "Option '--raw' does not take a value."),
    (["--id", "x"], "Invalid value for '--id': 'x' is not a valid integer."),
    (["--max-lines", "0"], "Invalid value for '--max-lines': 0 is not in the range x>=1."),
    (["-d", "up"], "Invalid value for '-d': 'up' is not one of 'forward', 'backward'."),
    (["--method", "LISTMOUNT"], "Invalid value for '--method': 'LISTMOUNT' is not one of 'auto', 'mountinfo', "
                                "'listmount'."),
    (["--id", "x", "--id", "3"], "Invalid value for '--id': 'x' is not a valid integer."),
    (["--method", "auto", "--method", "x"], "Invalid value for '--method': 'x' is not one of 'auto', 'mountinfo', "
                                            "'listmount'."),
    (["-h", "--nosuch"], "No such option: --nosuch")])
def test_usage_errors_say_what(args: list[str], words: str) -> None:
    with pytest.raises(UsageError) as err:
        parse(args)
    assert str(err.value) == words
    assert _clicks("list", args) is None
