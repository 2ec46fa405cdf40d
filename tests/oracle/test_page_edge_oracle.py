"""Records that end within a few bytes of the seq_file buffer, held to the running kernel
(issue 20's last item).

A sandbox mounts tmpfs at mount points whose ``mountinfo``, ``mounts`` or ``mountstats``
line is exactly ``PAGE_SIZE - k`` to ``PAGE_SIZE + k`` bytes long, or whose lines add up
to that, plain and with escapes (a space, tab, newline or backslash prints as four
bytes), nested up to PATH_MAX; the model is its table mirrored
(:func:`~mountcursor.kernel.mirror.namespace_from_table`, as ``diff-kernel`` builds it).
Every read of sequences of 1, 4095, 4096, 4097 and 65536 bytes (and seeks into long
lines) must give the same bytes.  Readers chrooted into a subtree meet mounts outside
it whose walk to the namespace's root does not fit in what is left of the buffer
(``-ENAMETOOLONG`` before ``SEQ_SKIP``: the read ends there, or the buffer doubles for a
first record) and the one-byte edge of the 5.14+ ``__d_path`` for a mount on ``/``.
"""

from __future__ import annotations

import os
import random

import pytest

from mountcursor.format import escape_path, parse_mountinfo
from mountcursor.kernel import MountNamespace, Path, open_proc
from mountcursor.kernel.mirror import namespace_from_table
from mountcursor.kernel.seqfile import PAGE_SIZE
from mountcursor.verify import kernel_diff
from mountcursor.verify.kernel_diff import diff_kernel, pad_path, propagation_script, random_script
from mountcursor.verify.sandbox import Sandbox, sandbox_unavailable
from mountcursor.verify.schema import PATH_MAX

pytestmark = pytest.mark.root
_WHY = sandbox_unavailable()
if _WHY is not None:
    pytest.skip(f"no sandbox here: {_WHY}", allow_module_level=True)

KINDS = ("mountinfo", "mounts", "mountstats")
#: read sizes taken in turn, over and over, to EOF
SEQUENCES = ([1], [4095], [4096], [4097], [65536], [4095, 1], [1, 4097], [4096, 65536, 1], [4097, 4095])


def _line(data: bytes, mount_point: bytes) -> bytes:
    """The one line of ``data`` that prints ``mount_point`` (escaped) between spaces."""
    lines = [ln for ln in data.splitlines(keepends=True) if b" " + escape_path(mount_point) + b" " in ln]
    assert len(lines) == 1, (mount_point[:60], len(lines))
    return lines[0]


def _stretch(sb: Sandbox, kind: str, mount_point: bytes, want: int, every: int = 0, view: bytes = b"") -> bytes:
    """Move the mount at ``mount_point`` where its ``kind`` line, as a reader whose root is
    ``view`` (a path it is under) sees it, is exactly ``want`` bytes: the move keeps its id,
    device and place in the list, so only the mount point changes."""
    full = sb.path(mount_point)
    others = len(_line(sb.read_proc(kind), full)) - len(escape_path(full))
    start = full + b"-"
    target = pad_path(start, want - others + len(escape_path(view)) - len(escape_path(start)), PATH_MAX, every)
    assert len(target) < PATH_MAX
    sb.move(full, target)
    assert len(_line(sb.read_proc(kind), target)) == want + len(escape_path(view))
    return target


def _place(sb: Sandbox, kind: str, want: int, stem: bytes, under: bytes = b"", every: int = 0,
           view: bytes = b"", source: bytes = b"tmpfs") -> bytes:
    """A new tmpfs at ``under/stem``, moved where its line is ``want`` bytes (:func:`_stretch`)."""
    short = os.path.join(under, stem)
    sb.mount_tmpfs(short, source=source)
    return _stretch(sb, kind, short, want, every, view)


def _model(sb: Sandbox) -> MountNamespace:
    uids = {e.mnt_id: e.unique_id for e in sb.snapshot(method="listmount").table.entries}
    return namespace_from_table(parse_mountinfo(sb.read_proc("mountinfo")), uids)  # type: ignore[arg-type]


def _root(ns: MountNamespace, sb: Sandbox, view: bytes) -> Path | None:
    """The model's root for a reader chrooted into ``view``: None for ``/``, else the
    sandbox's tmpfs and a directory in it (found by mount id, not by a lookup, which
    would cross a mount on ``/``)."""
    if view == b"/":
        return None
    tmp = next(m for m in ns.mounts_by_id() if m.mnt_id == sb.root_mount.mnt_id)
    return Path(tmp, view[len(sb.root):] or b"/")


def _model_reads(ns: MountNamespace, kind: str, sizes: list[int], root: Path | None = None,
                 d_path: str | None = None) -> list[bytes]:
    f = open_proc(ns, kind, root=root, d_path=d_path)  # type: ignore[arg-type]
    out, i = [], 0
    while chunk := f.read(sizes[i % len(sizes)]):
        out.append(chunk)
        i += 1
    f.close()
    return out


def _reads_agree(sb: Sandbox, ns: MountNamespace, kind: str, view: bytes,
                 sequences: tuple[list[int], ...] = SEQUENCES) -> list[bytes]:
    """Each sequence's reads by a child chrooted into ``view`` (``/``: the namespace's root)
    are the model's with that root; returns the 64 KiB reads."""
    root = _root(ns, sb, view)
    for sizes in sequences:
        kernel = sb.read_proc_chrooted_reads(kind, view, sizes)
        assert kernel == _model_reads(ns, kind, sizes, root), (kind, view[:20], sizes)
    return sb.read_proc_chrooted_reads(kind, view, [65536])


#: for the long tables (the host's, the tests of many long lines): a whole file a byte at a
#: time is slow to read, and 1-byte reads come in the mixed sequences
_NOT_BYTEWISE = tuple(s for s in SEQUENCES if s != [1])


@pytest.mark.parametrize("kind", KINDS)
def test_lines_of_a_page_give_the_kernels_reads(kind: str) -> None:
    """Lines of PAGE_SIZE-2 .. PAGE_SIZE+2 bytes (a line of PAGE_SIZE bytes does not fit: the
    buffer doubles for it), pairs of lines that end 1 byte before, at and 1 byte after the
    page, and lines of PAGE_SIZE - 1 after a doubled buffer; plain, then with every third
    byte of the mount point escaped and a device name of 400 bytes that ``mangle()`` makes
    900 (space, tab and ``#``).  Exact for a reader chrooted into the sandbox's root; 4
    bytes longer (``/tmp``) for one at the namespace's root."""
    with Sandbox(n=0) as sb:
        lengths = [PAGE_SIZE + k for k in (-2, -1, 0, 1, 2)]
        lengths += [2047, 2048, 2048, 2048, 2048, 2049, 4000, 95, 4000, 96, 4000, 97, PAGE_SIZE - 1]
        for every in (0, 3):
            for i, want in enumerate(lengths):
                source = b"s #\t-" * 80 if every and want > 2000 else b"tmpfs"
                _place(sb, kind, want, b"p%d-%02d" % (every, i), every=every, view=sb.root, source=source)
        ns = _model(sb)
        reads = _reads_agree(sb, ns, kind, sb.root, _NOT_BYTEWISE)
        assert max(len(r) for r in reads) >= PAGE_SIZE  # the buffer did double
        _reads_agree(sb, ns, kind, b"/", _NOT_BYTEWISE)


def test_seeks_into_long_lines_agree() -> None:
    """``lseek`` (``traverse``, which doubles the buffer and starts again on a record that does
    not fit) into lines of one to four pages, escaped ones up to PATH_MAX, and reads of 1
    to 65536 bytes: 150 steps of one open file of each kind, compared step by step."""
    rng = random.Random(20)
    with Sandbox(n=0) as sb:
        for kind in KINDS:
            for i, (want, every) in enumerate([(PAGE_SIZE, 0), (2 * PAGE_SIZE, 2), (PAGE_SIZE - 1, 0),
                                               (12000, 1), (PAGE_SIZE + 1, 0), (15000, 1)]):
                _place(sb, kind, want, b"s%s%d" % (kind[-1:].encode(), i), every=every)
        ns = _model(sb)
        for kind in KINDS:
            end = len(sb.read_proc(kind))
            h, f = sb.open_proc(kind), open_proc(ns, kind)  # type: ignore[arg-type]
            for step in range(150):
                if rng.random() < 0.2:
                    off = rng.choice([0, rng.randrange(end + 9), 4095, 4096, 4097, 8191, 8192, end - 1, end])
                    assert sb.lseek(h, off) == f.lseek(off), (kind, step, off)
                else:
                    n = rng.choice([1, 4095, 4096, 4097, 8191, 8192, 8193, 65536])
                    assert sb.read(h, n) == f.read(n), (kind, step, n)
            sb.close_proc(h)
            f.close()


def test_nested_mount_points_up_to_path_max() -> None:
    """Mounts nested in mounts down to a 4095-byte mount point, escaped (lines of nearly three
    pages), and a bind of a deep directory (a long root field) onto a deep mount point."""
    with Sandbox(n=0) as sb:
        path = b"n"
        for depth in range(6):
            path = pad_path(path + b"/d%d-" % depth, 650, PATH_MAX, every=depth % 3)
            sb.mount_tmpfs(path, source=b"lvl %d" % depth)
        last = pad_path(path + b"/", 10_000, PATH_MAX - 1 - len(sb.path(path)) - 1, every=1)
        assert len(sb.path(last)) == PATH_MAX - 1
        sb.mount_tmpfs(last)
        deep = pad_path(b"n/d0-", 3000, 3000, every=4)
        sb.mkdir(deep)
        sb.bind(deep, pad_path(b"b-", 3000, 3000, every=5))
        ns = _model(sb)
        for kind in KINDS:
            _reads_agree(sb, ns, kind, sb.root, _NOT_BYTEWISE)
            _reads_agree(sb, ns, kind, b"/", _NOT_BYTEWISE)
        assert max(len(ln) for ln in sb.read_proc("mountinfo").splitlines()) > 2 * PAGE_SIZE


# --- readers chrooted into a subtree ------------------------------------------------------
#
# Each case has a jail of its own in one sandbox (``jail0``, ``jail1``, ..., made one after
# the other): for a reader chrooted into one, the other jails' mounts are outside its root,
# those before skipped at the start of a read, with an empty buffer.

def _head(kind: str, line: bytes) -> int:
    """What a show function writes before ``seq_path_root`` (through the root field, the
    device name, or ``device X mounted on``)."""
    if kind == "mountinfo":
        return len(b" ".join(line.split(b" ")[:4])) + 1
    if kind == "mounts":
        return len(line.split(b" ")[0]) + 1
    return len(line.split(b" mounted on ")[0]) + len(b" mounted on ")


def _first_read_ends_before(sb: Sandbox, kind: str, jail: bytes, reads: list[bytes]) -> bool:
    """Whether the first 64 KiB read of the jail ended before its ``z`` (the line after the
    case's edge)."""
    z = _line(sb.read_proc(kind), sb.path(jail + b"/z"))
    return z[z.index(b" " + sb.path(jail)) + 1 + len(sb.path(jail)):] not in reads[0]


@pytest.mark.parametrize("kind", KINDS)
def test_a_mount_outside_the_root_takes_its_walk_of_room(kind: str) -> None:
    """After a line inside the jail, a mount outside it is skipped when its head and its
    walk to the namespace's root (the NUL and its raw path: escapes do not count) fit in
    what is left of the page; ``k`` bytes more (k > 0) and it is ``-ENAMETOOLONG``: the read
    ends before it and the next one skips it.  Plain and escaped outside paths."""
    cases = [(every, k) for every in (0, 5) for k in (-1, 0, 1, 2)]
    with Sandbox(n=0) as sb:
        for n, (every, k) in enumerate(cases):
            jail = b"jail%d" % n
            sb.mount_tmpfs(jail + b"/i")
            outside = sb.path(pad_path(b"out%d/o-" % n, 1500, PATH_MAX, every=every))
            sb.mount_tmpfs(outside)
            sb.mount_tmpfs(jail + b"/z")
            room = _head(kind, _line(sb.read_proc(kind), outside)) + 1 + len(outside)
            _stretch(sb, kind, jail + b"/i", PAGE_SIZE - room + k, view=sb.path(jail))
        ns = _model(sb)
        for n, (every, k) in enumerate(cases):
            reads = _reads_agree(sb, ns, kind, sb.path(b"jail%d" % n))
            assert _first_read_ends_before(sb, kind, b"jail%d" % n, reads) == (k > 0), (every, k)


@pytest.mark.parametrize("kind", KINDS)
def test_a_first_record_outside_the_root_doubles_the_buffer(kind: str) -> None:
    """A mount outside the jail, first in the buffer, whose head and walk need ``PAGE_SIZE + k``
    bytes: at ``k = 1`` the buffer doubles before the mount is skipped, and stays doubled
    (the twelve lines of 1 KiB after it come 8 KiB at a time); at ``k = 0`` it does not."""
    with Sandbox(n=0) as sb:
        for k in (0, 1):
            outside = sb.path(pad_path(b"out%d/o-" % k, 2000, PATH_MAX))
            if kind == "mountinfo":  # a long head: a bind of a deep directory (its root field)
                deep = pad_path(b"src%d/deep-" % k, 1500, PATH_MAX)
                sb.mount_tmpfs(b"src%d" % k)
                sb.mkdir(deep)
                sb.bind(deep, outside)
                sb.umount(b"src%d" % k)
            else:
                sb.mount_tmpfs(outside, source=b"s" * 1500)
            need = _head(kind, _line(sb.read_proc(kind), outside)) + 1 + len(outside)
            sb.move(outside, pad_path(outside, PAGE_SIZE + k - need, PATH_MAX))
            for i in range(12):
                _place(sb, kind, 1000 + i, b"i%d" % i, under=b"jail%d" % k, view=sb.path(b"jail%d" % k))
        ns = _model(sb)
        for k in (0, 1):
            reads = _reads_agree(sb, ns, kind, sb.path(b"jail%d" % k))
            assert (max(len(r) for r in reads) > PAGE_SIZE) == (k == 1)


@pytest.mark.parametrize("kind", KINDS)
def test_a_mount_on_slash_needs_room_for_the_nul_only(kind: str) -> None:
    """A mount on ``/`` (outside the jail) after a line inside it: its empty walk needs only
    the NUL on 5.14+ (the first read takes the line after it at ``k = 0``), where 3.10-5.13
    also needed the ``/`` (``d_path="3.10-5.13"`` splits the read there)."""
    cases = (-1, 0, 1)
    with Sandbox(n=0) as sb:
        for n, k in enumerate(cases):
            jail = b"jail%d" % n
            sb.mount_tmpfs(jail + b"/i")
            if kind == "mountinfo":  # a long head: a bind of a deep directory (its root field)
                marker = b"/deep%d-" % n
                deep = pad_path(b"src%d" % n + marker, 2000, PATH_MAX)
                sb.mount_tmpfs(b"src%d" % n)
                sb.mkdir(deep)
                sb.bind(deep, b"/")
                sb.umount(b"src%d" % n)
            else:
                marker = b"over%d-" % n
                sb.mount_tmpfs(b"/", source=marker * 300)
            sb.mount_tmpfs(jail + b"/z")
            over = next(ln for ln in sb.read_proc(kind).splitlines() if marker in ln)
            _stretch(sb, kind, jail + b"/i", PAGE_SIZE - _head(kind, over) - 1 + k, view=sb.path(jail))
        ns = _model(sb)
        for n, k in enumerate(cases):
            view = sb.path(b"jail%d" % n)
            reads = _reads_agree(sb, ns, kind, view)
            assert _first_read_ends_before(sb, kind, b"jail%d" % n, reads) == (k > 0), k
            old = _model_reads(ns, kind, [65536], _root(ns, sb, view), d_path="3.10-5.13")
            assert (old == reads) == (k != 0), k


def test_the_outside_walk_can_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    """A model that skipped every mount outside the root whatever was left of the buffer
    (no ``-ENAMETOOLONG``) returns the line after the edge in the first read where the
    kernel does not."""
    from mountcursor.kernel import procfs

    monkeypatch.setattr(procfs, "d_path_room", lambda path, d_path: 0)
    with pytest.raises(AssertionError, match=r"\(\'mounts\', b\'/tmp/jail"):
        test_a_mount_outside_the_root_takes_its_walk_of_room("mounts")


def _long_scripts_agree(monkeypatch: pytest.MonkeyPatch, propagation: bool, scripts: int, seed: int) -> None:
    monkeypatch.setattr(kernel_diff, "LONG_RATE", 0.5)
    res = diff_kernel(scripts=scripts, seed=seed, length=30, propagation=propagation)
    assert res["first_mismatch"] is None and res["agreed"] == scripts
    rng = random.Random(seed)  # the same scripts again: they did hold lines of a page and more
    made = [(propagation_script if propagation else random_script)(rng, 30, 8) for _ in range(scripts)]
    assert sum(op[0] == "mount" and len(op[1]) > 3000 for script in made for op in script) >= scripts


@pytest.mark.parametrize("propagation", [False, True], ids=["plain", "propagation"])
def test_diff_kernel_scripts_with_long_lines_agree(monkeypatch: pytest.MonkeyPatch, propagation: bool) -> None:
    """diff-kernel's random scripts with half their new mount points long
    (:func:`~mountcursor.verify.kernel_diff.long_path`), read by read and table by table;
    the bounded run of the ``slow`` one below."""
    _long_scripts_agree(monkeypatch, propagation, 3, 24)


@pytest.mark.slow
@pytest.mark.parametrize("propagation", [False, True], ids=["plain", "propagation"])
def test_diff_kernel_scripts_with_long_lines_agree_long(monkeypatch: pytest.MonkeyPatch, propagation: bool) -> None:
    _long_scripts_agree(monkeypatch, propagation, 150, 25)
