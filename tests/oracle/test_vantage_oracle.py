"""diff-kernel's vantage points held to the running kernel (issue 20): ``mounts`` and
``mountstats`` beside ``mountinfo``, readers chrooted into a jail, and ``/proc/<pid>/`` of
a process chrooted there read from the namespace's root; each model fix found by the
random scripts keeps the script it shrank to."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.verify.kernel_diff import (
    FILES, READERS, check_script, diff_kernel, propagation_script, random_script, run_script,
)
from mountcursor.verify.sandbox import Sandbox, sandbox_unavailable

pytestmark = pytest.mark.root
_WHY = sandbox_unavailable()
if _WHY is not None:
    pytest.skip(f"no sandbox here: {_WHY}", allow_module_level=True)


def _agrees(script: list, n_mounts: int = 1) -> None:
    r = run_script(check_script(script), n_mounts=n_mounts)
    assert r.mismatch is None, r.mismatch


@pytest.mark.parametrize("reader", ["chroot", "pid"])
def test_a_lazily_unmounted_jail_stays_the_readers_root(reader: str) -> None:
    """The jail's mount, lazily unmounted, is pinned by the chrooted process (its root and
    cwd): not freed, so a new mount cannot take its place as that reader's root; every
    mount of the namespace is outside it (the files are empty).  The model freed it and
    its slab gave the object to the next mount, printed as ``/``."""
    _agrees([["open", 1, "mountstats", reader, "m00000"], ["lazy", "m00000"], ["mount", "n1"],
             ["read", 4096, 1], ["read", 4096, 1]])


@pytest.mark.parametrize("script", [
    [["open", 1, "mountinfo", "chroot", "m00000"], ["umount", "m00000"], ["read", 65536, 1]],
    [["open", 1, "mounts", "pid", "m00000/d"], ["umount", "m00000"], ["read", 65536, 1]],
    [["make", "m00000", "shared"], ["bind", "m00000", "b0"], ["mount", "m00000/x"],
     ["open", 1, "mountinfo", "chroot", "b0/x"], ["umount", "m00000/x"], ["read", 65536, 1]],
    [["make", "m00000", "shared"], ["bind", "m00000", "b0"], ["mount", "m00000/x"], ["mount", "b0/x"],
     ["open", 1, "mountinfo", "chroot", "b0/x"], ["umount", "b0/x"], ["umount", "m00000/x"], ["read", 65536, 1]],
], ids=["jail", "directory-in-it", "peer-copy", "covered-peer-copy"])
def test_a_mount_a_chroot_holds_is_busy(script: list) -> None:
    """``propagate_mount_busy(mnt, 2)`` counts references: a plain umount of a mount a
    chrooted process holds, or of one whose copy on a peer (with no other mount on it than
    one covering it whole) it holds, is ``EBUSY``.  The model looked only for children."""
    _agrees(script)


def _at(script: list, file: str, reader: str) -> list:
    """``script`` with every file it opens opened as ``file`` from ``reader``."""
    jail = [b"j"]
    out = []
    for op in script:
        if op[0] == "open":
            jail = list(op[4:]) or jail
            op = ("open", op[1], file, reader) if reader == "root" else ("open", op[1], file, reader, jail[0])
        out.append(op)
    return out


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("file", FILES)
def test_every_vantage_point_agrees(file: str, reader: str) -> None:
    """A bounded run per vantage point: a plain and a propagation script with their files
    opened as ``file`` from ``reader`` (the full runs are ``mountcursor diff-kernel`` and
    the slow test below)."""
    import random

    rng = random.Random(f"{file}@{reader}")
    key = f"{file}@{reader}"
    for make, length in ((random_script, 40), (propagation_script, 60)):
        r = run_script(_at(make(rng, length, 4), file, reader), n_mounts=4)
        assert r.mismatch is None, r.mismatch
        assert r.vantage_reads.get(key, 0) > 0 and r.vantage_tables.get(key, 0) > 0, (r.vantage_reads, r.steps)


def test_diff_kernel_reports_each_vantage_point() -> None:
    res = CliRunner().invoke(main, ["diff-kernel", "--scripts", "4", "--seed", "3", "--strategy", "idtree"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("4/4 scripts agreed (")
    assert lines[1].startswith("reads per vantage point: mountinfo@root ")
    assert [part.rsplit(" ", 1)[0] for part in lines[1].split(": ", 1)[1].split(", ")] == [
        f"{f}@{r}" for r in READERS for f in FILES]


@pytest.mark.slow
@pytest.mark.parametrize("propagation", [False, True])
def test_vantage_scripts_many(propagation: bool) -> None:
    """A longer run: 150 scripts, every vantage point read from and compared whole."""
    res = diff_kernel(scripts=150, seed=7, length=60 if propagation else 40, propagation=propagation)
    assert res["first_mismatch"] is None and res["agreed"] == 150
    assert all(c["reads"] > 0 and c["tables"] > 0 for c in res["vantage_points"].values()), res["vantage_points"]


def test_a_saved_vantage_script_replays(tmp_path) -> None:  # noqa: ANN001
    """Saved and replayed: a stream per reader, every step logged; a script saved before
    vantage points (no ``open``, no stream arguments) reads stream 0 as it did."""
    from mountcursor.verify.kernel_diff import load_script, save_script

    script = check_script([["open", 1, "mounts", "chroot", "j"], ["open", 2, "mountstats", "pid", "j"],
                           ["mount", "j/a b"], ["read", 7, 1], ["lseek", 3, 1], ["read", 4096, 2], ["poll", 2],
                           ["reopen", 1], ["read", 65536, 1], ["read", 65536], ["poll"]])
    path = str(tmp_path / "v.json")
    save_script(script, path)
    assert load_script(path) == script
    res = CliRunner().invoke(main, ["diff-kernel", "--replay", path, "--strategy", "idtree"])
    assert res.exit_code == 0, res.output
    log = res.stdout.splitlines()
    assert log[-1] == "agreed" and len(log) == len(script) + 1
    assert log[3] == "  3 ['read', 7, 1]: kernel b'tmpfs /' model b'tmpfs /'"
    # the jail is a directory of the sandbox's tmpfs, whose own mount point is outside it
    assert log[8] == (r"  8 ['read', 65536, 1]: kernel b'tmpfs /a\\040b tmpfs rw,relatime 0 0\n' "
                      r"model b'tmpfs /a\\040b tmpfs rw,relatime 0 0\n'")
    old = tmp_path / "old.json"
    old.write_text(json.dumps([["read", 7], ["mount", "x"], ["read", 65536], ["poll"]]))
    res = CliRunner().invoke(main, ["diff-kernel", "--replay", str(old), "--strategy", "idtree"])
    assert res.exit_code == 0 and res.stdout.splitlines()[-1] == "agreed", res.output


def test_an_unbindable_tree_moved_into_itself_onto_a_shared_mount_is_einval() -> None:
    """``do_move_mount`` asks whether an unbindable tree goes onto a shared mount (EINVAL)
    before whether it goes into itself (ELOOP); the model asked the other way round
    (propagation script 134 of seed 11, shrunk)."""
    _agrees([["bind", "m00001", "m00003/n0"], ["make", "m00003", "rshared"], ["make", "m00003", "unbindable"],
             ["move", "m00003", "m00003/n0/n9"]], n_mounts=4)


def test_superblock_flags_print_where_the_kernel_prints_them() -> None:
    """A mount with ``sync``, ``dirsync`` and ``lazytime`` in the sandbox, mirrored: the
    model's three files are the kernel's (``/proc/mounts`` puts the per-mount flags
    between the superblock's flags and the filesystem's options; the 6.1 guest's ``mounts``
    showed the mirror keeping them in the options)."""
    from mountcursor.format import parse_mountinfo
    from mountcursor.kernel import open_proc
    from mountcursor.kernel.mirror import namespace_from_table
    from mountcursor.verify.kernel_diff import UniqueIds, _kernel_table

    with Sandbox(n=0) as sb:
        sb.mount_tmpfs("s", flags=16 | 128 | (1 << 25))  # MS_SYNCHRONOUS | MS_DIRSYNC | MS_LAZYTIME
        data, ktab = _kernel_table(sb, UniqueIds(None))
        ns = namespace_from_table(ktab.records, ktab.unique_ids)
        assert parse_mountinfo(data)[-1].super_opts == b"rw,sync,dirsync,lazytime"
        for kind in FILES:
            with open_proc(ns, kind) as f:  # type: ignore[arg-type]
                assert f.read_all(65536) == sb.read_proc(kind), kind


@pytest.mark.parametrize("reader", ["chroot", "pid"])
def test_a_jailed_vantage_point_can_disagree(monkeypatch: pytest.MonkeyPatch, reader: str) -> None:
    """The control: a model whose chroot leaves the root where it was reads the whole table
    where the kernel shows the jail's mounts only; the first read of the stream differs."""
    from mountcursor.kernel.namespace import MountNamespace

    monkeypatch.setattr(MountNamespace, "chroot", lambda self, path: self.root)
    r = run_script(check_script([["open", 1, "mountinfo", reader, "m00000"], ["read", 65536, 1]]), n_mounts=1)
    assert r.mismatch is not None and r.mismatch.step == 1
    assert r.mismatch.kernel.count(b"\n") == 1 and b" / / rw,relatime - tmpfs sandbox rw\n" in r.mismatch.kernel
    assert r.mismatch.model.count(b"\n") > 1
