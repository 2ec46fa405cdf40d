"""findmnt's ``--verify``: check a table (fstab by default) line by line.

    report = verify_table(entries, order, Checks(listall=True, verbose=False, nocache=False,
                                                 mounted=targets, first_only=False))
    report.out, report.err, report.status        # stdout bytes, stderr bytes, exit status

For each entry selected (every one, or those findmnt's filters pick), in order: the
targets later in the table (only when nothing filters: a target given twice, a mount
point listed before the one it sits on), then the target (canonical? reachable? a
directory?) and the options (``--verbose``) -- or, for swap, its ``discard=`` and
``pri=`` -- then the source (a tag it resolves, a path that exists, is a block device),
then the filesystem type (known to the kernel, from ``/proc/filesystems`` and the
modules' list; the device probed for its type with libblkid, which must match), then
``/``'s fsck pass number.  Each finding is a line ``   [E] ...`` (error), ``   [W] ...``
(warning) or, with ``--verbose``, ``   [ ] ...`` under the entry's target, on stdout.
Then a summary on stderr -- ``N parse errors, N errors, N warnings`` -- or ``Success,
no errors or warnings detected`` on stdout; exit status 1 when there were errors or
parse errors.

Follows util-linux 2.38.1 ``misc-utils/findmnt-verify.c`` (built with systemd, as
Debian's is: the ``daemon-reload`` warning) and the libmount functions it calls
(``mnt_resolve_target``, ``mnt_resolve_tag``, ``mnt_get_fstype``, ``mnt_fs_get_option``),
read for behaviour, written anew; messages are findmnt's, word for word (its typo
"oprations" included).
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..live.entry import MountEntry

__all__ = ["Checks", "Report", "verify_table", "kernel_filesystems", "match_fstype", "UNITS_LOAD", "FSTAB"]

UNITS_LOAD = "/run/systemd/systemd-units-load"
FSTAB = "/etc/fstab"
"""systemd's stamp of its last load of the units, and the fstab it compares with it."""


class Checks:
    """How to verify: ``listall`` (no filter: check the order of targets), ``verbose``
    (say what is fine too), ``nocache`` (``-C``: no path canonicalized, no tag
    resolved), ``mounted`` (the mount points of this namespace: a target that is one is
    taken as it is written, as libmount's cache of targets does; None for a kernel table),
    ``first_only`` (``-f``: one entry)."""

    __slots__ = ("listall", "verbose", "nocache", "mounted", "first_only")

    def __init__(self, *, listall: bool, verbose: bool = False, nocache: bool = False,
                 mounted: set[tuple[bytes, ...]] | None = None, first_only: bool = False) -> None:
        self.listall = listall
        self.verbose = verbose
        self.nocache = nocache
        self.mounted = mounted
        self.first_only = first_only


class Report:
    """What ``--verify`` printed: ``out`` (stdout), ``err`` (stderr, the summary), the
    counts, and ``status`` (1 with errors or parse errors, else 0)."""

    __slots__ = ("out", "err", "errors", "warnings", "parse_errors")

    def __init__(self, out: bytes, err: bytes, errors: int, warnings: int, parse_errors: int) -> None:
        self.out = out
        self.err = err
        self.errors = errors
        self.warnings = warnings
        self.parse_errors = parse_errors

    @property
    def status(self) -> int:
        return 1 if self.errors + self.parse_errors else 0


# ---- the kernel's filesystems ---------------------------------------------------------------


def match_fstype(type_: bytes, pattern: bytes) -> bool:
    """util-linux ``lib/match.c`` ``match_fstype(type, pattern)``: ``type`` in the
    comma-separated ``pattern`` (case-insensitive), a ``no`` before the list or a name
    negating it."""
    no = pattern.startswith(b"no")
    if no:
        pattern = pattern[2:]
    n = len(type_)
    low = type_.lower()
    p = 0
    while True:
        negated = pattern[p:p + 2] == b"no" and pattern[p + 2:p + 2 + n].lower() == low
        if negated and pattern[p + 2 + n:p + 3 + n] in (b"", b","):
            return False
        if pattern[p:p + n].lower() == low and pattern[p + n:p + n + 1] in (b"", b","):
            return not no
        p = pattern.find(b",", p)
        if p < 0:
            return no
        p += 1


def _supported(filesystems: list[bytes], name: bytes) -> bool:
    """findmnt's ``is_supported_filesystem``: a filesystem of the list matches ``name``
    read as a pattern."""
    return any(match_fstype(fs, name) for fs in filesystems)


def _fgets(data: bytes, size: int) -> list[bytes]:
    """The pieces ``fgets(buf, size)`` reads: lines, a line longer than ``size - 1``
    bytes in pieces of that many."""
    out = []
    for line in data.splitlines(keepends=True):
        while len(line) > size - 1:
            out.append(line[:size - 1])
            line = line[size - 1:]
        if line:
            out.append(line)
    return out


def kernel_filesystems(proc: str = "/proc/filesystems", modules_dir: str = "/lib/modules") -> list[bytes]:
    """findmnt's ``read_proc_filesystems`` and ``read_kernel_filesystems``: the names in
    ``/proc/filesystems`` and those of the modules under ``kernel/fs/`` (not ``nls``) in
    ``modules.dep`` of the running kernel, each once."""
    names: list[bytes] = []

    def add(name: bytes) -> None:
        if not _supported(names, name):
            names.append(name)

    ws = b" \t\n\v\f\r"  # C isspace
    try:
        with open(proc, "rb") as f:
            data = f.read()
    except OSError:
        return names
    for piece in _fgets(data, 80):
        cp = 0
        if piece[0] not in ws:  # "nodev\tsysfs": the first word is a flag
            while cp < len(piece) and piece[cp] not in ws:
                cp += 1
        while cp < len(piece) and piece[cp] in ws:
            cp += 1
        name = piece[cp:].split(b"\n", 1)[0].split(b"\t", 1)[0].split(b" ", 1)[0]
        add(name)
    try:
        with open(os.path.join(modules_dir, os.uname().release, "modules.dep"), "rb") as f:
            data = f.read()
    except OSError:
        return names
    for piece in _fgets(data, 1024):
        if not piece.startswith(b"kernel/fs/") or piece.startswith(b"kernel/fs/nls/"):
            continue
        path, colon, _ = piece.partition(b":")
        if not colon or b"/" not in path:
            continue
        name = path.rsplit(b"/", 1)[1]
        ko = name.find(b".ko")
        if ko < 0:
            continue
        add(name[:ko])
    return names


# ---- one entry ------------------------------------------------------------------------------


def _option(opts: tuple[bytes, bytes, bytes], name: bytes) -> tuple[bool, bytes | None, bytes]:
    """libmount ``mnt_fs_get_option``: whether ``name`` is among the filesystem, then
    the per-mount, then the userspace options, its value (None: no ``=``), and the
    option string from the value on (what C's ``%s`` of the value pointer prints)."""
    for optstr in opts:
        at = 0
        for item in optstr.split(b",") if optstr else ():
            key, eq, value = item.partition(b"=")
            if key == name:
                return True, value if eq else None, optstr[at + len(key) + 1:]
            at += len(item) + 1
    return False, None, b""


def _strerror(err: int) -> bytes:
    return os.strerror(err).encode()


class _Entry:
    """The checks of one entry, printing under its target."""

    def __init__(self, v: _Verifier, e: MountEntry) -> None:
        from ..live.tabfile import all_options, split_optstr

        self.v = v
        self.e = e
        self.printed = False
        self.no_fsck = False
        if hasattr(e, "optstr"):  # an fstab line: its options as libmount splits them
            self.vfs, self.fs, self.user = split_optstr(all_options(e))
        else:
            self.vfs, self.fs, self.user = e.vfs_options, e.fs_options, getattr(e, "user_options", b"")
        self.opts = (self.fs, self.vfs, self.user)  # the order mnt_fs_get_option looks in

    def say(self, kind: bytes, text: bytes) -> None:
        if not self.printed:
            self.v.out.append(self.e.target + b"\n")
            self.printed = True
        self.v.out.append(b"   [" + kind + b"] " + text + b"\n")

    def error(self, text: bytes) -> None:
        self.v.errors += 1
        self.say(b"E", text)

    def warn(self, text: bytes) -> None:
        self.v.warnings += 1
        self.say(b"W", text)

    def ok(self, text: bytes) -> None:
        if self.v.checks.verbose:
            self.say(b" ", text)

    def has(self, name: bytes) -> bool:
        return _option(self.opts, name)[0]

    def pseudo_or_net(self) -> bool:
        from ..live.devices import is_netfs, is_pseudofs

        return is_pseudofs(self.e.fstype) or is_netfs(self.e.fstype)

    # -- the checks, in findmnt's order --

    def order(self, later: list[MountEntry]) -> None:
        tgt = self.e.target
        if not tgt:
            return
        if not self.v.checks.nocache:
            tgt = self.v.resolve_target(tgt)
        for nxt in later:
            n_tgt = nxt.target
            if not n_tgt:
                continue
            if not self.v.checks.nocache:
                n_tgt = self.v.resolve_target(n_tgt)
            if tgt.startswith(n_tgt):
                rest = tgt[len(n_tgt):len(n_tgt) + 1]
                if rest == b"":
                    self.warn(b"target specified more than once")
                elif rest == b"/":
                    self.error(b"wrong order: " + tgt + b" specified before " + n_tgt)

    def target(self) -> None:
        tgt = self.e.target
        if not self.v.checks.nocache:
            cn = self.v.resolve_target(tgt)
            if cn != tgt:
                self.warn(b"non-canonical target path (real: " + cn + b")")
            tgt = cn
        try:
            st = os.stat(tgt)
        except (OSError, ValueError) as err:
            why = _strerror(getattr(err, "errno", None) or 2)
            if not self.has(b"noauto"):
                self.error(b"unreachable on boot required target: " + why)
            else:
                self.warn(b"unreachable target: " + why)
            return
        if not stat.S_ISDIR(st.st_mode) and not self.has(b"bind"):
            self.error(b"target is not a directory")
        else:
            self.ok(b"target exists")

    def options(self) -> None:
        for label, value in ((b"VFS options: ", self.vfs), (b"FS options: ", self.fs),
                             (b"userspace options: ", self.user)):
            if value:
                self.ok(label + value)

    def swaparea(self) -> None:
        found, arg, rest = _option(self.opts, b"discard")
        if found and arg is not None and not (b"once".startswith(arg) or b"pages".startswith(arg)):
            self.error(b"unsupported swaparea discard policy: " + rest)
        found, arg, _ = _option(self.opts, b"pri")
        if found and arg is not None:
            digits = arg[1:] if arg[:1] == b"-" else arg
            if not all(48 <= c <= 57 for c in digits):
                self.error(b"failed to parse swaparea priority option")

    def tag(self, name: str, value: bytes) -> bytes | None:
        from ..live.devices import resolve_tag

        src = None if self.v.checks.nocache else resolve_tag(name, value)
        shown = name.encode() + b"=" + value
        if src is None:
            if not self.has(b"noauto"):
                self.error(b"unreachable on boot required source: " + shown)
            else:
                self.warn(b"unreachable: " + shown)
        else:
            self.ok(shown + b" translated to " + src)
        return src

    def source(self) -> None:
        from ..live.devices import parse_tag, split_tag

        tag = parse_tag(self.e.source)
        src: bytes | None
        if tag is not None:
            src = self.tag(*tag)
            if src is None:
                return
        else:
            src = self.e.source
            if split_tag(src) is not None and not _exists(src):
                self.error(b"unsupported source tag: " + src)
                return
        isbind = self.has(b"bind")
        if self.pseudo_or_net():
            self.ok(b"do not check " + src + b" source (pseudo/net)")
            return
        try:
            st = os.stat(src)
        except (OSError, ValueError) as err:
            self.warn(b"unreachable source: " + src + b": " + _strerror(getattr(err, "errno", None) or 2))
            return
        if (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)) and not isbind:
            self.warn(b"non-bind mount source " + src + b" is a directory or regular file")
        elif not stat.S_ISBLK(st.st_mode) and not isbind:
            self.warn(b"source " + src + b" is not a block device")
        else:
            self.ok(b"source " + src + b" exists")

    def fstype(self) -> None:
        from ..live.devices import parse_tag, resolve_spec, resolve_tag

        tag = parse_tag(self.e.source)
        if self.v.checks.nocache or not self.e.source:
            src = resolve_spec(self.e.source) if self.e.source else None
        else:
            src = resolve_tag(*tag) if tag is not None else self.v.resolve_path(self.e.source)
        if src is None:
            return
        if self.pseudo_or_net():
            self.ok(b"do not check " + src + b" FS type (pseudo/net)")
            return
        type_ = self.e.fstype
        isauto = isswap = False
        if type_:
            none = type_ == b"none"
            if none and not self.has(b"bind") and not self.has(b"move"):
                self.warn(b'"none" FS type is recommended for bind or move oprations only')
                return
            isauto, isswap = type_ == b"auto", type_ == b"swap"
            if type_ in (b"xfs", b"btrfs"):
                self.no_fsck = True
            if not (isswap or isauto or none) and not _supported(self.v.filesystems, type_):
                self.warn(type_ + b" seems unsupported by the current kernel")
        realtype, errno_ = self.v.probe_type(src)
        if realtype is None:
            reason = _strerror(errno_) if errno_ else b"reason unknown"
            (self.error if isauto else self.warn)(b"cannot detect on-disk filesystem type (" + reason + b")")
            return
        isswap = realtype == b"swap"
        self.no_fsck = realtype in (b"xfs", b"btrfs")
        if type_ and not isauto and type_ != realtype:
            self.error(type_ + b" does not match with on-disk " + realtype)
            return
        if not isswap and not _supported(self.v.filesystems, realtype):
            self.error(b"on-disk " + realtype + b" seems unsupported by the current kernel")
            return
        self.ok(b"FS type is " + realtype)

    def passno(self) -> None:
        passno = getattr(self.e, "passno", 0)
        if self.e.target == b"/" and passno != 1 and not self.no_fsck:
            self.warn(b"recommended root FS passno is 1 (current is %d)" % passno)


def _exists(path: bytes) -> bool:
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


class _Verifier:
    def __init__(self, checks: Checks) -> None:
        self.checks = checks
        self.out: list[bytes] = []
        self.errors = self.warnings = 0
        self.filesystems = kernel_filesystems()
        self._paths: dict[tuple[bool, tuple[bytes, ...]], bytes] = {}

    def resolve_target(self, path: bytes) -> bytes:
        """libmount ``mnt_resolve_target``: a path that is a mount point of this
        namespace as it is written, else canonical; from the cache of paths first."""
        return self.resolve_path(path, self.checks.mounted)

    def resolve_path(self, path: bytes, mounted: set[tuple[bytes, ...]] | None = None) -> bytes:
        """libmount ``mnt_resolve_path`` with its cache: the first answer for a path
        equal to ``path`` as a path (``/a/`` is ``/a``, not ``a``) is kept and given again."""
        parts = tuple(s for s in path.split(b"/") if s)
        key = (path[:1] == b"/", parts)
        done = self._paths.get(key)
        if done is None:
            from ..live.devices import canonicalize

            done = path if mounted is not None and key[0] and parts in mounted else canonicalize(path) or path
            self._paths[key] = done
        return done

    def probe_type(self, dev: bytes) -> tuple[bytes | None, int]:
        """libmount ``mnt_get_fstype``: the on-disk type of ``dev`` and, if none, errno."""
        from ..live import blkid
        from ..live.devices import device_tag

        if blkid.unavailable() is not None:
            blkid.say_missing()
            return device_tag(dev, "TYPE"), 0
        tags = blkid.read_tags(dev)
        return tags.values.get("TYPE"), tags.errno


def verify_table(entries: list[MountEntry], order: list[int], checks: Checks, parse_errors: int = 0) -> Report:
    """findmnt's ``verify_table`` of the entries ``order`` picks (table order, or as
    findmnt's selection returned them), ``entries`` being the whole table."""
    v = _Verifier(checks)
    last: _Entry | None = None
    for i in order:
        e = entries[i]
        one = last = _Entry(v, e)
        if checks.listall:
            one.order(entries[i + 1:])
        if e.fstype == b"swap":
            one.swaparea()
        else:
            one.target()
            one.options()
        one.source()
        one.fstype()
        one.passno()
        if checks.first_only:
            break
    if not checks.first_only:
        last = None
    try:
        stale = os.stat(UNITS_LOAD).st_mtime_ns < os.stat(FSTAB).st_mtime_ns
    except OSError:
        stale = False
    if stale:
        text = (b"your fstab has been modified, but systemd still uses the old version;\n"
                b"       use 'systemctl daemon-reload' to reload")
        if last is not None:
            last.warn(text)
        else:
            v.warnings += 1
            v.out.append(b"   [W] " + text + b"\n")
    err = b""
    if v.errors or parse_errors or v.warnings:
        def n(count: int, word: str) -> bytes:
            return f"{count} {word}{'' if count == 1 else 's'}".encode()
        err = b"\n" + n(parse_errors, "parse error") + b", " + n(v.errors, "error") + b", " \
            + n(v.warnings, "warning") + b"\n"
    else:
        v.out.append(b"Success, no errors or warnings detected\n")
    return Report(b"".join(v.out), err, v.errors, v.warnings, parse_errors)
