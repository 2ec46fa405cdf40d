"""Shell completion for bash, zsh and fish, made from :mod:`mountcursor.cli.spec` (the
same data as the man pages): every command, every option, the choices of an option,
the column names of ``-o`` (``+`` and comma lists), the fs types of ``-t`` (``no`` and
comma lists; this kernel's, from ``/proc/filesystems`` when the completion runs), the
mount options of ``-O`` (those of the table, from ``mountcursor list -rno OPTIONS``),
watch's ``--poll`` actions, directories for ``-T``/``-M``, files for ``-F``, process ids
for ``-N``.

    script("bash")      # the text of share/bash-completion/completions/mountcursor

The bash script needs nothing but bash 4.2 (no bash-completion library): it splits the
line up to the cursor itself, reads option clusters as getopt does (``-oTA``: ``-o``'s
value), and strips from each candidate what readline does not replace (``--output=``,
``MAJ:``).  ``make share`` writes the three files (:mod:`mountcursor.cli.share`).
"""

from __future__ import annotations

import re

from .spec import (CHOICE, COLUMNS, DIRS, FILES, FSTYPES, MOUNTOPTS, NONE, PIDS, WORDS, Command, Option, commands,
                   top)

__all__ = ["SHELLS", "script", "bash", "zsh", "fish"]

SHELLS = ("bash", "zsh", "fish")

_HEADER = ("{c} {shell} completion for mountcursor: made by mountcursor.cli.completion from the commands'\n"
           "{c} definitions (make share); edit the definitions, not this file.\n")


def _short(text: str, limit: int = 70) -> str:
    """An option's help as a one-line description: its first sentence, at most ``limit`` characters."""
    text = " ".join(re.sub(r"\s*\[default: [^]]*\]", "", text).replace("``", "").split())
    first = re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0].rstrip(".")
    return first if len(first) <= limit else first[:limit - 3].rstrip() + "..."


def _value_words(cmd: Command, opt: Option) -> str:
    """What the bash script knows of an option's value: ``"choice a b"``, ``"list a b"``
    (a comma list), ``"list+ A B"`` (which may start with ``+``: columns), ``"dirs"`` ..."""
    if opt.kind == CHOICE:
        return "choice " + " ".join(opt.choices)
    if opt.kind == WORDS:
        return "list " + " ".join(opt.choices)
    if opt.kind == COLUMNS:
        return "list+ " + " ".join(name for name, _ in cmd.columns)
    return opt.kind


# ---- bash ---------------------------------------------------------------------------------------

_BASH_BODY = r'''
# the words of a value: _mountcursor_value_of CMD OPTION (empty for a flag or an unknown option)
_mountcursor_value_of() {
    _mountcursor_kind=${_mountcursor_values["$1 $2"]-}
}

# fill reply with the completions of OPTION's value: _mountcursor_complete_value CMD OPTION PREFIX VALUE
# (mount options: those the table has now, as `mountcursor list -rno OPTIONS` prints them)
_mountcursor_complete_value() {
    local kind head item p a b
    _mountcursor_value_of "$1" "$2"
    kind=$_mountcursor_kind
    local IFS=$'\n'
    case $kind in
        choice\ *)
            IFS=$' \t\n'
            reply=($(compgen -P "$3" -W "${kind#choice }" -- "$4")) ;;
        list*\ *)
            item=${4##*,}; head=${4%"$item"}
            if [[ $kind == list+* && -z $head && $item == +* ]]; then head=+; item=${item#+}; fi
            IFS=$' \t\n'
            reply=($(compgen -P "$3$head" -W "${kind#* }" -- "$item")) ;;
        mountopts)
            item=${4##*,}; head=${4%"$item"}
            local -A seen=()
            for a in $("$_mountcursor_prog" list -rno OPTIONS 2>/dev/null); do
                IFS=,
                for b in $a; do seen[$b]=1; done
            done
            IFS=$' \t\n'
            reply=($(compgen -P "$3$head" -W "${!seen[*]}" -- "$item")) ;;
        fstypes)
            item=${4##*,}; head=${4%"$item"}
            if [[ $item == no* ]]; then head+=no; item=${item#no}; fi
            local types=
            if [[ -r /proc/filesystems ]]; then
                while IFS=$' \t' read -r a b; do types+=" ${b:-$a}"; done < /proc/filesystems
            fi
            IFS=$' \t\n'
            reply=($(compgen -P "$3$head" -W "$types" -- "$item")) ;;
        dirs)
            compopt -o filenames 2>/dev/null
            reply=($(compgen -P "$3" -d -- "$4")) ;;
        files)
            compopt -o filenames 2>/dev/null
            reply=($(compgen -P "$3" -f -- "$4")) ;;
        pids)
            local pids=
            for p in /proc/[0-9]*; do pids+=" ${p#/proc/}"; done
            IFS=$' \t\n'
            reply=($(compgen -P "$3" -W "$pids" -- "$4")) ;;
    esac
}

_mountcursor() {
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words=() reply=()
    read -r -a words <<< "$line"
    local cur=
    if [[ -n $line && $line != *[[:space:]] ]]; then
        cur=${words[${#words[@]}-1]}
        unset 'words[${#words[@]}-1]'
    fi
    local cmd= w i=1 j pending= dashdash= _mountcursor_kind= _mountcursor_prog=${words[0]:-mountcursor}
    while (( i < ${#words[@]} )); do
        w=${words[i]}; i=$((i + 1))
        if [[ $w != -* ]]; then cmd=$w; break; fi
    done
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            reply=($(compgen -W "$_mountcursor_top_options" -- "$cur"))
        else
            reply=($(compgen -W "$_mountcursor_commands" -- "$cur"))
        fi
    else
        # the command's words so far: is the word at the cursor an option's value?
        while (( i < ${#words[@]} )); do
            w=${words[i]}; i=$((i + 1))
            if [[ -n $pending ]]; then pending=; continue; fi
            [[ -n $dashdash ]] && continue
            case $w in
                --) dashdash=1 ;;
                --*=*) ;;
                --*) _mountcursor_value_of "$cmd" "$w"; [[ -n $_mountcursor_kind ]] && pending=$w ;;
                -?*)
                    for (( j = 1; j < ${#w}; j++ )); do
                        _mountcursor_value_of "$cmd" "-${w:j:1}"
                        if [[ -n $_mountcursor_kind ]]; then
                            (( j == ${#w} - 1 )) && pending=-${w:j:1}
                            break
                        fi
                    done ;;
            esac
        done
        if [[ -n $pending ]]; then
            _mountcursor_complete_value "$cmd" "$pending" "" "$cur"
        elif [[ -z $dashdash && $cur == --*=* ]]; then
            _mountcursor_complete_value "$cmd" "${cur%%=*}" "${cur%%=*}=" "${cur#*=}"
        elif [[ -z $dashdash && $cur == -[!-]?* ]]; then
            for (( j = 1; j < ${#cur}; j++ )); do
                _mountcursor_value_of "$cmd" "-${cur:j:1}"
                if [[ -n $_mountcursor_kind ]]; then
                    (( j < ${#cur} - 1 )) &&
                        _mountcursor_complete_value "$cmd" "-${cur:j:1}" "${cur:0:j+1}" "${cur:j+1}"
                    break
                fi
            done
        elif [[ -z $dashdash && $cur == -* ]]; then
            reply=($(compgen -W "${_mountcursor_options[$cmd]-}" -- "$cur"))
        else
            _mountcursor_value_of "$cmd" ""
            [[ -n $_mountcursor_kind ]] && _mountcursor_complete_value "$cmd" "" "" "$cur"
        fi
    fi
    # readline replaces only the text after the last word-break character
    local breaks=${COMP_WORDBREAKS-$' \t\n"\'><=;|&(:'}
    local word=${line##*[$breaks]}
    local keep=${cur%"$word"}
    COMPREPLY=("${reply[@]#"$keep"}")
}

complete -F _mountcursor mountcursor
'''


def _sq(text: str) -> str:
    """``text`` in single quotes for bash."""
    return "'" + text.replace("'", "'\\''") + "'"


def bash(cmds: list[Command], main: Command) -> str:
    """The bash completion script."""
    out = [_HEADER.format(c="#", shell="bash")]
    out.append(f"_mountcursor_commands={_sq(' '.join(c.name for c in cmds))}")
    out.append(f"_mountcursor_top_options={_sq(' '.join(n for o in main.options for n in o.names))}")
    out.append("declare -gA _mountcursor_options=(")
    for cmd in cmds:
        out.append(f"    [{cmd.name}]={_sq(' '.join(n for o in cmd.options for n in o.names))}")
    out.append(")")
    out.append("# 'CMD -o' -> what its value is (an option that takes one); 'CMD ' -> what the arguments are")
    out.append("declare -gA _mountcursor_values=(")
    for cmd in cmds:
        for opt in cmd.options:
            if opt.value:
                for name in opt.names:
                    out.append(f"    [{_sq(cmd.name + ' ' + name)}]={_sq(_value_words(cmd, opt))}")
        kinds = {a.kind for a in cmd.arguments} - {NONE}
        if kinds:
            arg = cmd.arguments[0]
            kind = "choice " + " ".join(arg.choices) if arg.kind == CHOICE else (
                FILES if FILES in kinds else arg.kind)
            out.append(f"    [{_sq(cmd.name + ' ')}]={_sq(kind)}")
    out.append(")")
    return "\n".join(out) + "\n" + _BASH_BODY


# ---- zsh ----------------------------------------------------------------------------------------

_ZSH_HELPERS = r'''
# complete the item after the last comma of a list ($1 '+': the list may start with '+')
_mountcursor_list_of() {
    local plus=$1; shift
    [[ $plus == + ]] && compset -P '+'
    compset -P '*,'
    compadd -- "$@"
}

_mountcursor_fstypes() {
    local -a types
    [[ -r /proc/filesystems ]] && types=(${${(f)"$(</proc/filesystems)"}##*[[:space:]]})
    compset -P '*,'
    compset -P 'no'
    compadd -- $types
}

_mountcursor_mountopts() {
    local -a opts
    opts=(${(u)${(s:,:)${(f)"$(mountcursor list -rno OPTIONS 2>/dev/null)"}}})
    compset -P '*,'
    compadd -- $opts
}

_mountcursor_pids() {
    local -a pids
    pids=(/proc/<->(N:t))
    compadd -- $pids
}
'''


def _zq(text: str) -> str:
    """A description inside ``[...]`` of an ``_arguments`` spec, in single quotes."""
    return text.replace("'", "'\\''").replace("[", "(").replace("]", ")").replace(":", "\\:")


def _zsh_action(cmd: Command, opt: Option) -> str:
    if opt.kind == CHOICE:
        return "(" + " ".join(opt.choices) + ")"
    if opt.kind == WORDS:
        return "_mountcursor_list_of - " + " ".join(opt.choices)
    return {COLUMNS: f"_mountcursor_columns_{cmd.name.replace('-', '_')}", FSTYPES: "_mountcursor_fstypes",
            MOUNTOPTS: "_mountcursor_mountopts",
            DIRS: "_files -/", FILES: "_files", PIDS: "_mountcursor_pids"}.get(opt.kind, " ")


def _zsh_option(cmd: Command, opt: Option) -> list[str]:
    exclude = "*" if opt.many else "(" + " ".join(opt.names) + ")"
    specs = []
    for name in opt.names:
        if opt.value and opt.optional:
            name += "=-" if name.startswith("--") else ""  # --poll=LIST, or none
        elif opt.value:
            name += "=" if name.startswith("--") else "+"
        spec = f"{exclude}{name}[{_zq(_short(opt.help))}]"
        if opt.value:
            message = opt.term.split()[-1].strip("[]=").lower() or "value"
            spec += (":" if opt.optional else "") + f":{_zq(message)}:{_zsh_action(cmd, opt)}"
        specs.append(f"'{spec}'")
    return specs


def zsh(cmds: list[Command], main: Command) -> str:
    """The zsh completion function (``_mountcursor``, for a directory of ``$fpath``)."""
    out = ["#compdef mountcursor", _HEADER.format(c="#", shell="zsh") + _ZSH_HELPERS]
    for cmd in cmds:
        fn = cmd.name.replace("-", "_")
        if cmd.columns:
            names = " ".join(_sq(name) for name, _ in cmd.columns)
            out.append(f"_mountcursor_columns_{fn}() {{\n    _mountcursor_list_of + {names}\n}}\n")
        specs = [s for opt in cmd.options for s in _zsh_option(cmd, opt)]
        for arg in cmd.arguments:
            action = {FILES: "_files", DIRS: "_files -/"}.get(arg.kind, " ")
            if arg.kind == CHOICE:
                action = "(" + " ".join(arg.choices) + ")"
            specs.append(f"'{'*' if arg.many else ''}:{_zq(arg.name.lower().strip('.'))}:{action}'")
        out.append(f"_mountcursor_{fn}() {{\n    _arguments -s -S \\\n        "
                   + " \\\n        ".join(specs) + "\n}\n")
    top_specs = [s for opt in main.options for s in _zsh_option(main, opt)]
    described = "\n        ".join(_sq(f"{c.name}:{_short(c.summary)}".replace("'", "")) for c in cmds)
    cases = "\n        ".join(f"{c.name}) _mountcursor_{c.name.replace('-', '_')} ;;" for c in cmds)
    out.append(f'''_mountcursor() {{
    local curcontext=$curcontext state line
    typeset -A opt_args
    _arguments -C \\
        {" ".join(top_specs)} \\
        '1:command:->command' \\
        '*::argument:->argument'
    case $state in
    command)
        local -a cmds
        cmds=(
        {described}
        )
        _describe -t commands 'mountcursor command' cmds ;;
    argument)
        curcontext=${{curcontext%:*:*}}:mountcursor-$words[1]:
        case $words[1] in
        {cases}
        esac ;;
    esac
}}

_mountcursor "$@"''')
    return "\n".join(out) + "\n"


# ---- fish ---------------------------------------------------------------------------------------

_FISH_HELPERS = r'''
# the command of the line (the first word after mountcursor's own options)
function __mountcursor_command
    for t in (commandline -opc)[2..-1]
        if not string match -q -- '-*' $t
            echo $t
            return 0
        end
    end
    return 1
end

# whether the command of the line is one of $argv
function __mountcursor_using
    set -l c (__mountcursor_command)
    and contains -- $c $argv
end

function __mountcursor_no_command
    not __mountcursor_command >/dev/null
end

# the item after the last comma of the token: $argv[1] '+' (may start with '+') or 'no' (may start with 'no')
function __mountcursor_list_of
    set -l tok (string replace -r -- '^--[^=]*=' '' (commandline -ct))
    set -l head (string match -r -- '^.*,' $tok; or echo '')
    set -l item (string replace -r -- '^.*,' '' $tok)
    if test -z "$head"; and test "$argv[1]" = +; and string match -q -- '+*' $item
        set head +
    end
    if test "$argv[1]" = no; and string match -q -- 'no*' $item
        set head "$head"no
    end
    for word in $argv[2..-1]
        echo $head$word
    end
end

function __mountcursor_mountopts
    __mountcursor_list_of - (mountcursor list -rno OPTIONS 2>/dev/null | string split , | sort -u)
end

function __mountcursor_fstypes
    test -r /proc/filesystems; or return
    __mountcursor_list_of no (string replace -r '^.*\t' '' </proc/filesystems)
end
'''


def _fq(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_names(opt: Option) -> str:
    out = []
    for name in opt.names:
        if name.startswith("--"):
            out.append(f"-l {name[2:]}")
        elif len(name) == 2:
            out.append(f"-s {name[1]}")
        else:
            out.append(f"-o {name[1:]}")
    return " ".join(out)


def _fish_value(cmd: Command, opt: Option) -> str:
    if not opt.value:
        return ""
    if opt.kind == CHOICE:
        return f" -x -a {_fq(' '.join(opt.choices))}"
    if opt.kind == COLUMNS:
        return f" -x -a {_fq('(__mountcursor_list_of + ' + ' '.join(n for n, _ in cmd.columns) + ')')}"
    if opt.kind == WORDS:
        return f" -x -a {_fq('(__mountcursor_list_of - ' + ' '.join(opt.choices) + ')')}"
    return {FSTYPES: " -x -a '(__mountcursor_fstypes)'", MOUNTOPTS: " -x -a '(__mountcursor_mountopts)'",
            DIRS: " -x -a '(__fish_complete_directories)'", FILES: " -r -F",
            PIDS: " -x -a '(__fish_complete_pids)'"}.get(opt.kind, " -x")


def fish(cmds: list[Command], main: Command) -> str:
    """The fish completions (``mountcursor.fish``)."""
    out = [_HEADER.format(c="#", shell="fish") + _FISH_HELPERS, "complete -c mountcursor -f"]
    for opt in main.options:
        out.append(f"complete -c mountcursor -n __mountcursor_no_command {_fish_names(opt)} "
                   f"-d {_fq(_short(opt.help))}")
    for cmd in cmds:
        out.append(f"complete -c mountcursor -n __mountcursor_no_command -a {cmd.name} -d {_fq(_short(cmd.summary))}")
    groups: dict[tuple[Option, ...], list[Command]] = {}  # list and tree: one set of lines
    for cmd in cmds:
        groups.setdefault(cmd.options, []).append(cmd)
    for same in groups.values():
        names = " ".join(c.name for c in same)
        cmd = same[0]
        cond = _fq(f"__mountcursor_using {names}")
        out.append(f"\n# {names}")
        for opt in cmd.options:
            out.append(f"complete -c mountcursor -n {cond} {_fish_names(opt)}{_fish_value(cmd, opt)} "
                       f"-d {_fq(_short(opt.help))}")
        for arg in cmd.arguments[:1]:
            if arg.kind == CHOICE:
                out.append(f"complete -c mountcursor -n {cond} -a {_fq(' '.join(arg.choices))}")
            elif arg.kind in (FILES, DIRS):
                out.append(f"complete -c mountcursor -n {cond} -F")
    return "\n".join(out) + "\n"


def script(shell: str) -> str:
    """The completion script of ``shell`` (one of :data:`SHELLS`)."""
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](commands(), top())
