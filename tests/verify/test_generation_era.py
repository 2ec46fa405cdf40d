"""A generation implies its format era (issue 17 item 5): the 3.10 cells of the verifier
and ``probe``'s 3.10 generations print 3.10's bytes (no ``lazytime``), unless asked."""

from __future__ import annotations

import pytest

from mountcursor.kernel import Kernel, open_proc
from mountcursor.kernel.mount import SB_LAZYTIME
from mountcursor.verify.probe import ModelTarget
from mountcursor.verify.scenarios import one_file_two_threads
from mountcursor.verify.world import World


def test_open_proc_takes_the_era_from_the_semantics_unless_asked() -> None:
    ns = Kernel().create_namespace(with_rootfs=False)
    ns.mount(b"/l", sb_flags=SB_LAZYTIME)
    line = b"2 1 0:20 / /l rw - tmpfs tmpfs rw"
    for sem, era, want in [("3.10", None, line), ("legacy", None, line), ("4.19-5.9", None, line + b",lazytime"),
                           ("5.10+", None, line + b",lazytime"), ("3.10", "current", line + b",lazytime"),
                           ("5.10+", "old", line)]:
        with open_proc(ns, "mountinfo", semantics=sem, era=era) as f:  # type: ignore[arg-type]
            assert f.read_all().splitlines()[1] == want, (sem, era)


@pytest.mark.parametrize("strategy,semantics,lazy", [("cursor-vz-fixed", "3.10", False), ("index", "3.10", False),
                                                     ("cursor", "4.19-5.9", True), ("idtree", "5.10+", True)])
def test_a_world_prints_its_generations_era(strategy: str, semantics: str, lazy: bool) -> None:
    w = World(one_file_two_threads(1024), strategy, semantics)
    w.ns.find(b"/m01").mnt_sb.s_flags |= SB_LAZYTIME  # type: ignore[union-attr]
    assert w.run(lambda en, s: en[0]) == []
    out = bytes(w.readers[0].out)
    m01 = next(ln for ln in out.splitlines() if b" /m01 " in ln)
    assert m01.endswith(b"tmpfs tmpfs rw,lazytime,inode64") == lazy, m01


@pytest.mark.parametrize("strategy,semantics,lazy", [("cursor-vz", "3.10", False), ("cursor", "5.10+", True)])
def test_probes_model_prints_its_generations_era(strategy: str, semantics: str, lazy: bool) -> None:
    t = ModelTarget(strategy, semantics, n=1)
    t.ns.find(b"/tmp/m00000").mnt_sb.s_flags |= SB_LAZYTIME  # type: ignore[union-attr]
    t.open()
    read, table = t.read(65536), t.table()
    assert read == table and (b"rw,lazytime\n" in table) == lazy
