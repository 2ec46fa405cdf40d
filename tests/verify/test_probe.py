"""``mountcursor probe``: the scripts tell the generations apart (run against the model
configured as each one), the known bugs reproduce where they live and nowhere else, the
running kernel is named, and the probe says so when it cannot run."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.verify.sandbox import sandbox_unavailable
from mountcursor.verify.probe import GENERATIONS, kernel_target, model_outcomes, model_target, probe

#: generations no script can tell apart: the mount tables read the same on every one
SAME = [{("index", "3.10"), ("index", "4.19-5.9")}, {("cursor-vz-fixed", "3.10"), ("cursor", "4.19-5.9")}]
BUGS = {("index", "3.10"): ["index skip"], ("index", "4.19-5.9"): ["index skip"],
        ("cursor-vz", "3.10"): ["backport repeat", "backport skip"], ("idtree-6.8", "5.10+"): ["6.8 repeat"]}


@pytest.fixture(scope="module")
def models():  # noqa: ANN201
    return model_outcomes()


@pytest.mark.parametrize("g", GENERATIONS, ids=lambda g: f"{g.strategy}/{g.semantics}")
def test_the_probe_names_each_generation(g, models) -> None:  # noqa: ANN001
    r = probe(model_target(g.strategy, g.semantics), models)
    me = (g.strategy, g.semantics)
    expected = next((s for s in SAME if me in s), {me})
    assert {(x.strategy, x.semantics) for x in r.generations} == expected
    assert me in r.matches
    assert [b.name for b in r.bugs] == BUGS.get(me, [])


def test_the_endless_repeat_is_stopped(models) -> None:  # noqa: ANN001
    """The seed on 3.10 repeats a line longer than a 1024-byte read forever: the probe's
    read loop stops it (no EOF) after a bounded number of reads."""
    o = models["cursor-vz", "3.10"]["long-lines"]
    assert not o.eof and 16 < len(o.reads) < 400
    assert models["cursor-vz-fixed", "3.10"]["long-lines"].eof


def test_no_sandbox_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import mountcursor.verify.sandbox as sandbox

    monkeypatch.setattr(sandbox, "sandbox_unavailable", lambda: "needs root (CAP_SYS_ADMIN)")
    res = CliRunner().invoke(main, ["probe"])
    assert res.exit_code == 3
    assert res.stderr.strip() == ("mountcursor: probe: cannot run against the kernel here: "
                                  "needs root (CAP_SYS_ADMIN)")
    assert "Traceback" not in res.output


@pytest.mark.root
@pytest.mark.skipif(sandbox_unavailable() is not None, reason=f"no sandbox here: {sandbox_unavailable()}")
def test_the_running_kernel_is_idtree_on_5_10(models) -> None:  # noqa: ANN001
    r = probe(kernel_target(), models)
    assert r.matches == [("idtree", "5.10+")] and r.bugs == []
    res = CliRunner().invoke(main, ["probe", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [(g["strategy"], g["semantics"]) for g in out["generations"]] == [("idtree", "5.10+")]
    assert out["bugs"] == [] and [e["script"] for e in out["evidence"]][:2] == ["index-skip", "after-eof"]


@pytest.mark.parametrize("g", [g for g in GENERATIONS if g.semantics == "5.10+"], ids=lambda g: g.strategy)
def test_mounts_hidden_under_the_directory_are_not_evidence(g, models) -> None:  # noqa: ANN001
    """Mounts the target's own /tmp hides (a host with something mounted under /tmp, and
    one with the name of a probe mount) are left out: the probe still names the
    generation.  Before, their names joined the evidence and nothing matched."""
    hidden = (b"x", b"m00002", b"x/y")
    t = model_target(g.strategy, g.semantics, hidden)()
    table = t.__enter__().table()
    assert table.count(b" /tmp/x ") == 1 and table.count(b" /tmp/m00002 ") == 2
    r = probe(model_target(g.strategy, g.semantics, hidden), models)
    assert (g.strategy, g.semantics) in r.matches
    assert [x.kernels for x in r.generations] == [g.kernels]
    assert b"x" not in r.outcomes["after-eof"].names
    assert r.outcomes["after-eof"].names.count(b"m00002") == 1


@pytest.mark.root
@pytest.mark.skipif(sandbox_unavailable() is not None, reason=f"no sandbox here: {sandbox_unavailable()}")
def test_the_running_kernel_is_named_with_a_mount_under_tmp() -> None:
    """``mountcursor probe`` in a private namespace (made here, by unshare) where a tmpfs
    is mounted on a directory under /tmp: it names the kernel and exits 0 (it said "no
    match", exit 1, while that mount joined its evidence).  The directory is a fresh one
    (/tmp itself is not covered: a checkout under /tmp, as CI makes, must stay visible)."""
    import os
    import shlex
    import subprocess
    import sys
    import tempfile

    from mountcursor.verify.sandbox import python_env

    busy = tempfile.mkdtemp(prefix="probe-x", dir="/tmp")
    try:
        sh = (f"mount -t tmpfs probe-test {shlex.quote(busy)} && "
              f"exec {shlex.quote(sys.executable)} -m mountcursor probe --json")
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", sh], capture_output=True,
                           env=python_env(), cwd=os.path.dirname(__file__), timeout=600)
    finally:
        os.rmdir(busy)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["matches"] == [{"strategy": "idtree", "semantics": "5.10+"}]
    assert all(os.path.basename(busy) not in ev["names"] for ev in out["evidence"])
