"""Propagation checked against the running kernel, in a sandbox (issue 12, part 3).

``run_script`` compares every read and, after every operation that changes the table,
the whole ``mountinfo`` of kernel and model; the ids the kernel's global IDAs handed
out are the only thing the model takes from the kernel.
"""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.kernel import pnode
from mountcursor.verify.sandbox import sandbox_unavailable
from mountcursor.verify.kernel_diff import diff_kernel, propagation_script, run_script

pytestmark = pytest.mark.root
_WHY = sandbox_unavailable()
if _WHY is not None:
    pytest.skip(f"no sandbox here: {_WHY}", allow_module_level=True)

#: the operations of tests/kernel/test_propagation.py, on the kernel
PEER_AND_SLAVE = [("make", b"m00000", "shared"), ("bind", b"m00000", b"p"), ("bind", b"m00000", b"s"),
                  ("make", b"s", "slave")]


@pytest.mark.parametrize("script", [
    PEER_AND_SLAVE + [("mount", b"s/pre"), ("mount", b"m00000/x"), ("mount", b"p/pre"), ("read", 65536)],
    PEER_AND_SLAVE + [("mount", b"m00000/x"), ("umount", b"m00000/x"), ("mount", b"p/y"), ("mount", b"s/y/z"),
                      ("umount", b"m00000/y"), ("make", b"s/y", "shared"), ("read", 65536)],
    [("make", b"m00000", "unbindable"), ("make", b"m00000", "slave"), ("make", b"m00001", "shared"),
     ("make", b"m00001", "slave"), ("read", 65536)],
    [("make", b"m00000", "shared"), ("bind", b"m00000", b"b"), ("bind", b"m00000", b"c"), ("make", b"c", "slave"),
     ("make", b"m00000", "private"), ("make", b"b", "slave"), ("read", 65536)],
    [("make", b"m00000", "shared"), ("bind", b"m00000", b"e"), ("make", b"e", "slave"), ("mount", b"e/a"),
     ("make", b"e/a", "shared"), ("rbind", b"e", b"f"), ("read", 65536)],
    [("mount", b"d/a"), ("mount", b"d/b"), ("mount", b"d/a/x"), ("rbind", b"d", b"e"), ("make", b"d/a", "unbindable"),
     ("rbind", b"d", b"g"), ("bind", b"d/a", b"h"), ("read", 65536)],
    [("make", b"m00000", "rshared"), ("rbind", b"m00000", b"m00000/loop"), ("lazy", b"m00000"), ("read", 65536)],
    [("make", b"m00000", "shared"), ("bind", b"m00000", b"b"), ("mount", b"c"), ("mount", b"c/x"),
     ("move", b"c", b"m00000/c"), ("move", b"m00000/c", b"d"), ("move", b"m00000", b"m00000/c"), ("read", 65536)],
], ids=["mount-propagates-and-tucks", "umount-propagates", "make-slave", "slaves-move-to-a-peer",
        "bind-keeps-master", "copy-tree-depth-first", "rbind-into-itself", "move-propagates"])
def test_the_model_cases_on_the_kernel(script: list) -> None:
    r = run_script(script, n_mounts=2)
    assert r.mismatch is None, r.mismatch
    assert r.tables == sum(op[0] not in ("read",) for op in script)


def test_propagation_scripts_agree_byte_for_byte() -> None:
    res = diff_kernel(scripts=12, seed=3, length=60, propagation=True)
    assert res["first_mismatch"] is None
    assert res["agreed"] == 12 and res["reads"] > 150 and res["tables"] > 300
    assert res["propagated"] > 5  # mounts and umounts that reached peers or slaves


def test_propagation_oracle_can_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without propagate_mnt (the model before this work) the copy on the peer is missing:
    the whole-table check fails at the mount, and the mount id the kernel gave the copy
    is left unused."""
    monkeypatch.setattr(pnode, "propagate_mnt", lambda *args: None)
    r = run_script([("make", b"m00000", "shared"), ("bind", b"m00000", b"b0"), ("mount", b"m00000/x")], n_mounts=1)
    assert r.mismatch is not None and r.mismatch.step == 2
    assert r.mismatch.model[0] == "model" and "fewer than the kernel: mount ids" in r.mismatch.model[1]


def test_propagation_script_shapes() -> None:
    ops = [op for _ in range(20) for op in propagation_script(random.Random(_), 60, 8)]
    assert {op[0] for op in ops} == {"read", "mount", "umount", "lazy", "make", "bind", "rbind", "move", "lseek",
                                     "poll", "reopen", "open"}
    assert {op[2] for op in ops if op[0] == "make"} == set(("shared", "slave", "private", "unbindable", "rshared",
                                                             "rslave", "rprivate", "runbindable"))
    assert any(b"/" in op[1] for op in ops if op[0] == "mount")


def test_diff_kernel_cli_propagation_json() -> None:
    res = CliRunner().invoke(main, ["diff-kernel", "--propagation", "--scripts", "2", "--seed", "4", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["propagation"] is True and out["agreed"] == 2 and out["first_mismatch"] is None


@pytest.mark.slow
def test_propagation_scripts_many() -> None:
    """A bounded share of the full run (`make diff-kernel-propagation`: 1,500 scripts)."""
    res = diff_kernel(scripts=40, seed=1, length=60, propagation=True)
    assert res["first_mismatch"] is None and res["agreed"] == 40
