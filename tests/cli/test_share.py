"""The man pages and shell completions shipped in src/mountcursor/share: made from the
command definitions and up to date, naming every option of the options table and of
each click command, rendered by man without a warning, and completing for real (bash
through its completion variables, fish through ``complete -C``, zsh through TAB typed
on a pseudo-terminal); zsh and fish tests skip where the shell is not installed."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from mountcursor.cli.app import COMMANDS, main
from mountcursor.cli.manpage import EXAMPLES
from mountcursor.cli.share import COMPLETIONS, SHARE, man_path, stale
from mountcursor.findmnt.columns import COLUMN_NAMES, POLL_NAMES
from mountcursor.findmnt.options import OPTIONS, parse
from mountcursor.status import EXIT_STATUSES

BASH = SHARE / COMPLETIONS["bash"]
ZSH = SHARE / COMPLETIONS["zsh"]
FISH = SHARE / COMPLETIONS["fish"]
HELP_VERSION = {"-h", "--help", "-V", "--version"}


def _click_command(name: str) -> click.Command:
    import importlib

    importlib.import_module(f"mountcursor.cli.{COMMANDS[name][0]}")
    return main.commands[name]


def _option_names(name: str) -> set[str]:
    """Every option name of a command, read from its own definition (not from the
    generator's view of it)."""
    if name in ("list", "tree"):
        return {n for opt in OPTIONS for n in opt.names} | HELP_VERSION
    cmd = _click_command(name)
    names = {n for p in cmd.params if isinstance(p, click.Option) for n in (*p.opts, *p.secondary_opts)}
    return names | {"-h", "--help"}


def test_shipped_files_are_up_to_date() -> None:
    assert stale() == [], "run `make share`: the man pages or completions no longer match the commands"


def test_a_stale_or_extra_file_is_named(tmp_path: Path) -> None:
    shutil.copytree(SHARE, tmp_path / "share")
    page = tmp_path / "share" / man_path("list")
    page.write_text(page.read_text().replace("\\-\\-output\\-all", "\\-\\-output\\-every"))
    (tmp_path / "share" / "man" / "man1" / "mountcursor-gone.1").write_text(".TH GONE 1\n")
    (tmp_path / "share" / COMPLETIONS["zsh"]).unlink()
    assert stale(tmp_path / "share") == ["man/man1/mountcursor-gone.1", man_path("list"), COMPLETIONS["zsh"]]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_is_in_the_page_and_each_completion(name: str) -> None:
    names = _option_names(name)
    page = (SHARE / man_path(name)).read_text()
    options = page.split("\n.SH OPTIONS\n")[1].split("\n.SH ")[0]
    in_page = set(re.findall(r"\\fB((?:\\-){1,2}[\w?](?:[\w]|\\-)*)\\fR", options))
    assert {n.replace("-", "\\-") for n in names} == in_page

    bash = BASH.read_text()
    listed = re.search(rf"^    \[{re.escape(name)}\]='([^']*)'$", bash, re.M)
    assert listed is not None and set(listed.group(1).split()) == names

    zsh = ZSH.read_text()
    body = zsh.split(f"\n_mountcursor_{name.replace('-', '_')}() {{\n")[1].split("\n}\n")[0]
    in_zsh = set(re.findall(r"[)*](--?[\w-]+?)(?:=-|[=+])?\[", body))
    assert in_zsh == names

    fish = FISH.read_text()
    lines = [line for line in fish.splitlines()
             if re.search(rf"-n '__mountcursor_using [^']*\b{re.escape(name)}\b", line)
             and not re.search(rf"\b{re.escape(name)}-", line.split("'")[1])]
    in_fish = {f"--{m}" for line in lines for m in re.findall(r" -l ([\w-]+)", line)}
    in_fish |= {f"-{m}" for line in lines for m in re.findall(r" -s (\w)", line)}
    assert in_fish == names


def test_the_top_page_names_every_command() -> None:
    page = (SHARE / man_path()).read_text()
    commands = page.split("\n.SH COMMANDS\n")[1].split("\n.SH ")[0]
    assert re.findall(r"\\fBmountcursor (\S+)\\fR", commands) == [n.replace("-", "\\-") for n in sorted(COMMANDS)]
    assert all((SHARE / man_path(n)).is_file() for n in COMMANDS)


@pytest.mark.parametrize("name, columns", [("list", COLUMN_NAMES), ("tree", COLUMN_NAMES), ("wait", COLUMN_NAMES),
                                           ("watch", POLL_NAMES + COLUMN_NAMES)])
def test_the_columns_section_lists_every_column(name: str, columns: tuple[str, ...]) -> None:
    page = (SHARE / man_path(name)).read_text()
    section = page.split("\n.SH COLUMNS\n")[1].split("\n.SH ")[0]
    assert sorted(re.findall(r"^\\fB(.+)\\fR$", section, re.M)) == sorted(c.replace("-", "\\-") for c in columns)


@pytest.mark.parametrize("name", ["", *sorted(COMMANDS)])
def test_page_has_its_sections_and_exit_statuses(name: str) -> None:
    page = (SHARE / man_path(name)).read_text()
    assert re.findall(r"^\.SH (.+)$", page, re.M) == ["NAME", "SYNOPSIS", "DESCRIPTION",
                                                      *(["COMMANDS"] if not name else []), "OPTIONS",
                                                      *(["COLUMNS"] if name and "--output" in _option_names(name)
                                                        else []),
                                                      "EXIT STATUS", "EXAMPLES", "SEE ALSO"]
    statuses = page.split("\n.SH EXIT STATUS\n")[1].split("\n.SH ")[0]
    assert re.findall(r"^\\fB(\d+)\\fR$", statuses, re.M) == [str(s) for s, _ in EXIT_STATUSES]
    assert ".BR findmnt (8)," in page


def test_every_command_has_examples() -> None:
    missing = sorted(set(COMMANDS) - set(EXAMPLES))
    assert missing == [], f"add examples of {', '.join(missing)} to mountcursor.cli.manpage.EXAMPLES"


def _examples() -> list[tuple[str, str]]:
    return [(name, line) for name, lines in EXAMPLES.items() for line, _ in lines]


@pytest.mark.parametrize("name, line", _examples())
def test_each_example_is_a_line_its_command_takes(name: str, line: str) -> None:
    words = shlex.split(line.split("<(")[-1].rstrip(")").split(" > ")[0])
    assert words[0] == "mountcursor"
    args = words[1:]
    if args[0] in ("list", "tree"):
        assert isinstance(parse(args[1:]), dict)
        return
    assert name in ("", args[0])
    cmd = _click_command(args[0])
    parent = click.Context(main, info_name="mountcursor")
    cmd.make_context(args[0], args[1:], parent=parent)  # a usage error raises


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
@pytest.mark.parametrize("name", ["", *sorted(COMMANDS)])
def test_groff_renders_the_page_without_a_warning(name: str) -> None:
    done = subprocess.run(["groff", "-ww", "-z", "-man", str(SHARE / man_path(name))], capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_renders_every_page_without_a_warning() -> None:
    env = {**os.environ, "MANWIDTH": "80", "MAN_KEEP_FORMATTING": "0"}
    for name in ["", *sorted(COMMANDS)]:
        done = subprocess.run(["man", "--warnings", "-l", str(SHARE / man_path(name))], capture_output=True,
                              text=True, env=env, timeout=60)
        assert (done.returncode, done.stderr) == (0, ""), name
        title = f"MOUNTCURSOR-{name.upper()}(1)" if name else "MOUNTCURSOR(1)"
        assert done.stdout.startswith(title), name


# ---- the commands that hand them out ----------------------------------------------------------

def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mountcursor", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


@pytest.mark.parametrize("shell", sorted(COMPLETIONS))
def test_completion_prints_the_shipped_script(shell: str) -> None:
    done = _run(["completion", shell])
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (SHARE / COMPLETIONS[shell]).read_text()


def test_completion_of_an_unknown_shell_is_a_usage_error() -> None:
    done = _run(["completion", "tcsh"])
    assert done.returncode == 2 and "'tcsh' is not one of" in done.stderr


def test_man_roff_prints_the_page() -> None:
    done = _run(["man", "--roff", "watch"])
    assert (done.returncode, done.stdout) == (0, (SHARE / man_path("watch")).read_text())


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_shows_the_page_with_man() -> None:
    done = _run(["man", "list"], MANPAGER="cat", PAGER="cat", MANWIDTH="80")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MOUNTCURSOR-LIST(1)")
    assert "       -o, --output COLS\n" in done.stdout


def test_man_without_man_says_so(tmp_path: Path) -> None:
    done = _run(["man", "list"], PATH=str(tmp_path))
    assert done.returncode == 3
    assert done.stderr == ("mountcursor: man: man(1) is not installed here ('mountcursor man --roff' prints the "
                           "page's source)\n")


# ---- bash: the completion function driven through its variables --------------------------------

def _bash_complete(line: str, cwd: Path | None = None) -> list[str]:
    """COMPREPLY for the line with the cursor at its end, as bash's programmable
    completion calls the function (COMP_LINE, COMP_POINT, COMP_WORDS, COMP_CWORD)."""
    words = re.findall(r"[^\s=:]+|[=:]", line) + ([""] if line.endswith(" ") else [])
    script = (f"source {shlex.quote(str(BASH))}\n"
              f"COMP_LINE={shlex.quote(line)}; COMP_POINT=${{#COMP_LINE}}\n"
              f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
              "_mountcursor mountcursor\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [w for w in done.stdout.split("\n") if w]


def _filesystems() -> list[str]:
    with open("/proc/filesystems") as f:
        return [line.split()[-1] for line in f]


@pytest.mark.parametrize("line, expected", [
    ("mountcursor list -o TA", ["TARGET"]),
    ("mountcursor list --ou", ["--output", "--output-all"]),
    ("mountcursor list --output=TA", ["TARGET"]),       # readline replaces what follows the '='
    ("mountcursor list -oTA", ["-oTARGET"]),
    ("mountcursor list -nroTA", ["-nroTARGET"]),
    ("mountcursor list -nro TA", ["TARGET"]),
    ("mountcursor list -o TARGET,SO", ["TARGET,SOURCE", "TARGET,SOURCES"]),
    ("mountcursor list -o +PARTU", ["+PARTUUID"]),
    ("mountcursor list -o MAJ:M", ["MIN"]),              # ':' breaks words for readline
    ("mountcursor tree -o FS", ["FSROOT", "FSTYPE", "FS-OPTIONS"]),
    ("mountcursor watch -o OLD", ["OLD-OPTIONS", "OLD-TARGET"]),
    ("mountcursor list -o ACT", []),                     # an event column: watch's only
    ("mountcursor list -d ", ["forward", "backward"]),
    ("mountcursor list -nrd b", ["backward"]),
    ("mountcursor list --method l", ["listmount"]),
    ("mountcursor list --consistency=s", ["strict", "single-pass"]),
    ("mountcursor list -- -o", []),                       # after --: an argument, no such file
    ("mountcursor li", ["list"]),
    ("mountcursor ", sorted(COMMANDS)),
    ("mountcursor -", ["-V", "--version", "-h", "--help"]),
    ("mountcursor man wat", ["watch"]),
    ("mountcursor man w", ["wait", "watch"]),
    ("mountcursor completion ", ["bash", "fish", "zsh"]),
    ("mountcursor watch --source f", ["fanotify"]),
    ("mountcursor check --semantics 4", ["4.19-5.9"]),
    ("mountcursor race --str", ["--strategy"]),
    ("mountcursor vm --kernel 6", ["6.1", "6.12"]),
    ("mountcursor wait -O rw,nosu", ["rw,nosuid"]),
    ("mountcursor wait -o +UNIQ", ["+UNIQ-ID"]),
    ("mountcursor watch -p ", ["mount", "umount", "remount", "move", "propagation"]),
    ("mountcursor watch --poll=mount,re", ["mount,remount"]),
])
def test_bash_completes(line: str, expected: list[str]) -> None:
    assert _bash_complete(line) == expected


def test_bash_completes_fs_types_of_this_kernel() -> None:
    types = _filesystems()
    assert _bash_complete("mountcursor list -t ") == types
    assert _bash_complete("mountcursor list -t tmpfs,no") == [f"tmpfs,no{t}" for t in types]
    assert "ext4" not in types or _bash_complete("mountcursor list -t ext4,nop")[:1] in ([], ["ext4,noproc"])


@pytest.mark.skipif(shutil.which("findmnt") is None, reason="findmnt is not installed")
def test_bash_completes_the_mount_options_of_the_table() -> None:
    """-O offers each option of the live table once, as findmnt reads the table."""
    table = subprocess.run(["findmnt", "-rno", "OPTIONS"], capture_output=True, text=True, check=True).stdout
    options = {o for line in table.split() for o in line.split(",")}
    got = _bash_complete("mountcursor list -O ")
    assert sorted(got) == sorted(options)
    assert sorted(_bash_complete("mountcursor watch -O rw,r")) == sorted(f"rw,{o}" for o in options
                                                                         if o.startswith("r"))


def test_bash_completes_directories_and_files(tmp_path: Path) -> None:
    (tmp_path / "dir-a").mkdir()
    (tmp_path / "dir-b").mkdir()
    (tmp_path / "dir-file").write_text("")
    assert _bash_complete("mountcursor list -T dir", tmp_path) == ["dir-a", "dir-b"]
    assert _bash_complete("mountcursor list --mountpoint=dir", tmp_path) == ["dir-a", "dir-b"]
    assert _bash_complete("mountcursor watch -M dir", tmp_path) == ["dir-a", "dir-b"]
    assert _bash_complete("mountcursor list -F dir", tmp_path) == ["dir-a", "dir-b", "dir-file"]
    assert _bash_complete("mountcursor list dir-f", tmp_path) == ["dir-file"]
    assert _bash_complete("mountcursor wait dir", tmp_path) == ["dir-a", "dir-b"]


def test_bash_completes_process_ids() -> None:
    got = _bash_complete(f"mountcursor list -N {os.getpid()}")
    assert str(os.getpid()) in got and all(p.startswith(str(os.getpid())) for p in got)


# ---- zsh and fish ---------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_parses_the_completion() -> None:
    done = subprocess.run(["zsh", "-n", str(ZSH)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert ZSH.read_text().startswith("#compdef mountcursor\n")


_ZPTY = r"""
zmodload zsh/zpty
dir=$1 out=$2; shift 2
zpty z zsh -f -i
zpty -w z "PS1='' RPROMPT=''; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D"
# every match the completion adds, also written to $out
zpty -w z "compadd() { local -a m; builtin compadd -O m \"\$@\"; print -rl -- \$m >> $out; builtin compadd \"\$@\" }"
# TAB completes, then says so (zle -M): nothing more is typed before that, since zsh
# completes nothing while more input is waiting
zpty -w z "_done_tab() { zle complete-word; zle -M TAB''DONE }; zle -N _done_tab; bindkey '^I' _done_tab"
for line in "$@"; do
    zpty -w z "print -r -- '>>>' >> $out"
    zpty -w -n z "$line"$'\t'
    zpty -r z got '*TABDONE*'
    zpty -w z $'\C-u'"print DO''NE"
    zpty -r z got '*DONE*'
done
zpty -d z
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completes(tmp_path: Path) -> None:
    """TAB typed into an interactive zsh on a pseudo-terminal (zsh/zpty), with the
    function on $fpath and compinit; the matches its compadd calls make."""
    cases = {
        "mountcursor li": {"list"},
        "mountcursor list -o TA": {"TARGET"},
        "mountcursor list -oTA": {"TARGET"},
        "mountcursor list --output=TA": {"TARGET"},
        "mountcursor list -o TARGET,SO": {"SOURCE", "SOURCES"},
        "mountcursor list -o +PARTU": {"PARTUUID"},
        "mountcursor watch -o OLD": {"OLD-OPTIONS", "OLD-TARGET"},
        "mountcursor list --ou": {"--output", "--output-all"},
        "mountcursor list -d ": {"forward", "backward"},
        "mountcursor man wat": {"watch"},
        "mountcursor completion ": {"bash", "fish", "zsh"},
        "mountcursor watch --poll=mount,re": {"remount"},
    }
    if "ext4" in _filesystems():
        cases["mountcursor list -t tmpfs,noext"] = {t for t in _filesystems() if t.startswith("ext")}
    shutil.copy(ZSH, tmp_path / "_mountcursor")
    out = tmp_path / "matches"
    lines = list(cases)
    done = subprocess.run(["zsh", "-f", "-c", _ZPTY, "zsh", str(tmp_path), str(out), *lines], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    blocks = out.read_text().split(">>>\n")[1:]
    assert dict(zip(cases, [set(b.split()) for b in blocks])) == cases


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_parses_the_completion() -> None:
    done = subprocess.run(["fish", "--no-execute", str(FISH)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes() -> None:
    cases = {
        "mountcursor list -o TA": ["TARGET"],
        "mountcursor tree --output=TA": ["--output=TARGET"],
        "mountcursor list -o TARGET,SO": ["TARGET,SOURCE", "TARGET,SOURCES"],
        "mountcursor list -o +PARTU": ["+PARTUUID"],
        "mountcursor watch -o OLD": ["OLD-OPTIONS", "OLD-TARGET"],
        "mountcursor list --ou": ["--output", "--output-all"],
        "mountcursor list -d ": ["backward", "forward"],
        "mountcursor li": ["list"],
        "mountcursor man wat": ["watch"],
        "mountcursor completion ": ["bash", "fish", "zsh"],
        "mountcursor watch --poll=mount,re": ["--poll=mount,remount"],
    }
    script = f"source {shlex.quote(str(FISH))}\n" + "".join(
        f"echo '>>>'\ncomplete -C {shlex.quote(line)}\n" for line in cases)
    done = subprocess.run(["fish", "--no-config", "-c", script], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    got = [[w.split("\t")[0] for w in block.strip("\n").split("\n") if w] for block in done.stdout.split(">>>\n")[1:]]
    assert dict(zip(cases, got)) == cases


def test_status_1_in_the_pages_says_what_it_says_in_help() -> None:
    """wait exits 1 at its timeout: its page's EXIT STATUS says so, as --help and the
    README do (the pages' list said only 'a property failed, a mismatch was found, or
    nothing matched')."""
    from mountcursor.status import EXIT_STATUS_HELP

    assert "a wait timed out" in EXIT_STATUS_HELP
    statuses = (SHARE / man_path("wait")).read_text().split("\n.SH EXIT STATUS\n")[1].split("\n.SH ")[0]
    one = statuses.split("\\fB1\\fR\n")[1].split("\n.TP")[0]
    assert "a wait timed out" in one.replace("\n", " ")
