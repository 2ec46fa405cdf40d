"""The man pages, in roff with the man(7) macros: ``mountcursor.1`` and one page per
command (``mountcursor-list.1`` ...), made from :mod:`mountcursor.cli.spec` (the options
table of ``list``/``tree``, the click definitions of the others), the column table,
:data:`mountcursor.status.EXIT_STATUSES` and :data:`EXAMPLES`.

    pages()["mountcursor-list.1"]      # the page's text

The pages carry no date and no version, so that they change only when what they say
does.  ``make share`` writes them (:mod:`mountcursor.cli.share`).
"""

from __future__ import annotations

import re
import textwrap

from ..findmnt.columns import DEFAULT_COLUMNS, DF_COLUMNS
from ..status import EXIT_STATUSES
from .spec import Command, Option, commands, top

__all__ = ["EXAMPLES", "page", "pages", "page_name"]

EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "": (("mountcursor list -t ext4,xfs", "The ext4 and XFS mounts, as findmnt -l -t ext4,xfs prints them."),
         ("mountcursor tree", "The whole mount table as a tree."),
         ("mountcursor man list", "This manual's page of the list command, wherever the package is installed."),),
    "list": (("mountcursor list -o TARGET,SOURCE,ID", "Three columns of every mount, in kernel order."),
             ("mountcursor list -T /home", "The mount that holds /home."),
             ("mountcursor list -t nooverlay,tmpfs -n -r -o TARGET", "The mount points of every mount but "
              "overlay and tmpfs, one a line, for a script."),
             ("mountcursor list -J -o +UNIQ-ID --method listmount", "The table as JSON from listmount and "
              "statmount (Linux 6.8+), with the 64-bit mount ids."),
             ("mountcursor list -F /etc/fstab -s", "The entries of /etc/fstab."),),
    "tree": (("mountcursor tree", "The mount table as findmnt prints it."),
             ("mountcursor tree -R -M /sys", "The mounts at /sys and everything below them."),
             ("mountcursor tree -N 1 -o TARGET,PROPAGATION", "The mount table of process 1, with propagation."),),
    "watch": (("mountcursor watch", "Every mount, umount, remount and move, until Ctrl-C."),
              ("mountcursor watch -p mount -w 5000 -f", "Wait at most 5 seconds for the next mount."),
              ("mountcursor watch -J -t nfs,nfs4", "NFS mounts and umounts as JSON, one object a line."),),
    "wait": (("mountcursor wait /mnt/data", "Return when /mnt/data is a mount point (at once if it is one)."),
             ("mountcursor wait --unmounted -w 10000 /mnt/usb", "Wait at most 10 seconds for /mnt/usb to be "
              "unmounted; exit 1 if it is still mounted then."),
             ("mountcursor wait -t nfs4 -S server:/export -J", "Wait for that NFS export to be mounted anywhere, "
              "and print the mount as JSON."),),
    "race": (("mountcursor race", "Every strategy on every seq_file generation, 2000 mounts."),
             ("mountcursor race --strategy cursor-vz --semantics 3.10 --json", "The seed's patch on RHEL7's "
              "seq_file, as JSON."),),
    "check": (("mountcursor check", "The verdict matrix over the default scope."),
              ("mountcursor check --strategy cursor-vz --semantics 3.10 --show-traces", "One cell, with each "
               "counterexample step by step."),),
    "diff-kernel": (("mountcursor diff-kernel --scripts 50 --seed 7", "50 random scripts on the running kernel "
                     "and the model."),),
    "probe": (("mountcursor probe", "Name the running kernel's generation."),),
    "vm": (("mountcursor vm --kernel 6.1 probe", "probe run inside Debian bookworm's kernel."),),
    "man": (("mountcursor man list", "The page of mountcursor list."),
            ("mountcursor man --roff watch > mountcursor-watch.1", "The roff source of the watch page."),),
    "completion": (("source <(mountcursor completion bash)", "Completion for this bash session."),
                   ("mountcursor completion fish > ~/.config/fish/completions/mountcursor.fish",
                    "Completion for fish, for good."),),
}
"""Each command's examples (``""``: ``mountcursor`` itself): a command line and what it does."""

_DEFAULTS = {
    "list": f"Without -o: {','.join(DEFAULT_COLUMNS)}; with -D: {','.join(DF_COLUMNS)}.",
    "tree": f"Without -o: {','.join(DEFAULT_COLUMNS)}; with -D: {','.join(DF_COLUMNS)}.",
}

_BOLD, _ROMAN = "\x01", "\x02"  # ``code`` in help text, until escaped


def page_name(command: str) -> str:
    """``mountcursor-list.1``; ``mountcursor.1`` for ``""``."""
    return f"mountcursor-{command}.1" if command else "mountcursor.1"


def _escape(line: str) -> str:
    """One line of text as roff reads it as text: backslashes and minus signs escaped,
    a leading control character made harmless, a break allowed after ``|`` and ``,``
    inside a word (``\\:``: nothing when the line does not break there)."""
    out = line.replace("\\", "\\e").replace("-", "\\-").replace(_BOLD, "\\fB").replace(_ROMAN, "\\fR")
    out = re.sub(r"([|,])(?=\S)", r"\1\\:", out)  # a place to break a long word (a choice or column list)
    return "\\&" + out if out[:1] in (".", "'") else out


def _text(text: str, width: int = 78) -> list[str]:
    """A paragraph as roff lines: ``code`` bold, wrapped."""
    text = re.sub(r"``(.+?)``", lambda m: _BOLD + m.group(1) + _ROMAN, " ".join(text.split()))
    return [_escape(line) for line in textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)]


def _term(opt: Option) -> str:
    """The option's names bold, its value italic, as ``--help`` words them:
    ``\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fICOLS\\fR``."""
    out = []
    for word in re.split(r"(, | / | )", opt.term):
        if word in (", ", " / ", " ") or not word:
            out.append(word)
        else:
            out.append(("\\fB" if word in opt.names else "\\fI") + _escape(word) + "\\fR")
    return "".join(out)


def _name_line(cmd: Command) -> str:
    """The NAME line's words after the dash: the summary's first sentence, lower case first."""
    first = re.split(r"(?<=[.?!])\s", cmd.summary.replace("``", ""), maxsplit=1)[0].rstrip(".")
    return first[:1].lower() + first[1:] if first[1:2].islower() else first


def _heading(title: str) -> list[str]:
    return [f".SH {title}"]


def page(cmd: Command, others: list[Command]) -> str:
    """The man page of ``cmd``; ``others``: every command (for the top page's list and
    SEE ALSO)."""
    title = page_name(cmd.name)[:-2]
    out = [f'.\\" {page_name(cmd.name)}: made by mountcursor.cli.manpage from the command\'s definition',
           '.\\" (make share); edit the definition, not this file.',
           f'.TH {title.upper()} 1 "" "mountcursor" "User Commands"', ".nh", ".ad l"]
    out += _heading("NAME") + [f"{_escape(title)} \\- {_escape(_name_line(cmd))}"]
    out += _heading("SYNOPSIS") + [f".B {_escape(cmd.prog)}"]
    out += [" ".join(f"\\fI{_escape(word)}\\fR" if word.strip("[]. ").isupper() else _escape(word)
                     for word in cmd.usage.split())]
    out += _heading("DESCRIPTION")
    for i, para in enumerate((cmd.summary, *cmd.paragraphs)):
        out += ([".PP"] if i else []) + _text(para)
    if not cmd.name:
        out += [".PP"] + _text("Each command has its own page, and its own --help. ``mountcursor man COMMAND`` "
                               "shows a command's page wherever the package is installed.")
        out += _heading("COMMANDS")
        for other in others:
            out += [".TP", f"\\fB{_escape(other.prog)}\\fR (see \\fB{_escape(page_name(other.name)[:-2])}\\fR(1))"]
            out += _text(other.summary)
    out += _heading("OPTIONS")
    for opt in cmd.options:
        out += [".TP", _term(opt)] + _text(opt.help)
    if cmd.columns:
        out += _heading("COLUMNS")
        out += _text("The names -o takes, comma-separated, in any case; +NAMES adds them to the default columns. "
                     + _DEFAULTS.get(cmd.name, ""))
        for name, help in cmd.columns:
            out += [".TP", f"\\fB{_escape(name)}\\fR"] + _text(help)
    out += _heading("EXIT STATUS")
    for status, meaning in EXIT_STATUSES:
        out += [".TP", f"\\fB{status}\\fR"] + _text(meaning[:1].upper() + meaning[1:] + ".")
    if cmd.exit_status:
        out += [".PP"] + _text(cmd.exit_status)
    if EXAMPLES.get(cmd.name):
        out += _heading("EXAMPLES")
        for line, what in EXAMPLES[cmd.name]:
            out += [".TP", f"\\fB{_escape(line)}\\fR"] + _text(what)
    see = [("findmnt", 8), ("mount", 8), ("proc", 5)]
    see += [("mountcursor", 1)] if cmd.name else [(page_name(o.name)[:-2], 1) for o in others]
    out += _heading("SEE ALSO")
    out += [f".BR {_escape(name)} ({section}){',' if i < len(see) - 1 else ''}" for i, (name, section) in
            enumerate(see)]
    return "\n".join(out) + "\n"


def pages() -> dict[str, str]:
    """Every page by file name: ``mountcursor.1`` and one per command."""
    cmds = commands()
    return {page_name(c.name): page(c, cmds) for c in (top(), *cmds)}
