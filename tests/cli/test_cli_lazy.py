"""The CLI loads a command's module only when that command runs, and ``--help`` still
lists every command exactly as click would with all of them loaded."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mountcursor.cli.app import COMMANDS, main

HEAVY = ("rich", "greenlet", "asyncio", "mountcursor.verify", "mountcursor.kernel")


def _modules_after(args: list[str]) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``mountcursor ARGS``."""
    code = (
        "import sys\n"
        "from mountcursor.cli import main\n"
        "try:\n"
        f"    main({args!r}, prog_name='mountcursor')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    return set(done.stderr.decode().split("\n"))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["list", "--help"], ["tree", "--help"],
                                  ["watch", "--help"], ["wait", "--help"], ["wait", "-w", "0", "-J", "/"]])
def test_light_commands_load_no_verifier_rich_greenlet_or_asyncio(args: list[str]) -> None:
    assert _heavy(_modules_after(args)) == []


def test_help_loads_no_command_module() -> None:
    loaded = _modules_after(["--help"])
    assert sorted(m for m in loaded if m.startswith(("mountcursor.live", "mountcursor.format"))) == []
    assert sorted(f"mountcursor.cli.{mod}" for mod, _ in COMMANDS.values()
                  if f"mountcursor.cli.{mod}" in loaded) == []


def test_check_still_loads_what_it_uses() -> None:
    loaded = _modules_after(["check", "--help"])
    assert {"rich", "mountcursor.verify"} <= loaded


def test_the_table_names_every_command_and_its_module() -> None:
    for name, (module, _) in COMMANDS.items():
        importlib.import_module(f"mountcursor.cli.{module}")
        assert name in main.commands, f"{name} is not registered by mountcursor.cli.{module}"
    assert sorted(main.commands) == sorted(COMMANDS)


@pytest.mark.parametrize("width", [40, 80, 200])
def test_help_lists_commands_as_click_would(width: int) -> None:
    """The summaries in COMMANDS are the commands' own help, shortened the same way."""
    for module, _ in COMMANDS.values():
        importlib.import_module(f"mountcursor.cli.{module}")
    ctx = click.Context(main, info_name="mountcursor", terminal_width=width)
    ours = click.HelpFormatter(width=width)
    main.format_commands(ctx, ours)
    clicks = click.HelpFormatter(width=width)
    click.Group.format_commands(main, ctx, clicks)
    assert ours.getvalue() == clicks.getvalue()
    lazy = click.HelpFormatter(width=width)
    loaded = dict(main.commands)
    main.commands.clear()
    try:
        main.format_commands(ctx, lazy)
    finally:
        main.commands.update(loaded)
    assert lazy.getvalue() == clicks.getvalue()


def test_unknown_command_is_refused_as_before() -> None:
    result = CliRunner().invoke(main, ["nosuch"], prog_name="mountcursor")
    assert result.exit_code == 2
    assert "Error: No such command 'nosuch'." in result.output


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", " ", "\\", "\t", "\x7f", "\x1f", "é", "│", "\udc80", '"', "$", "`",
                                         "~", "x"])), st.sampled_from([" \t\\", '"`$\\', ""]))
def test_raw_and_pairs_escaping_equals_the_char_by_char_rule(text, extra):
    from mountcursor.findmnt.render import _byte_escape, _hex

    by_char = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in extra
                      else (_hex(ch) if ord(ch) >= 0x80 else f"\\x{ord(ch):02x}") for ch in text)
    assert _byte_escape(text, extra) == by_char


def test_version_needs_no_click_and_says_what_click_says() -> None:
    loaded = _modules_after(["--version"])
    assert "click" not in loaded
    done = subprocess.run([sys.executable, "-m", "mountcursor", "-V"], capture_output=True, check=True)
    assert done.stdout.decode() == CliRunner().invoke(main, ["--version"], prog_name="mountcursor").output
