"""The model checked against the running kernel (issue: the running kernel as oracle).

Everything runs in a sandbox: a worker process in a private mount namespace of its own.
"""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.format import parse_mountinfo
from mountcursor.kernel import open_proc
from mountcursor.kernel.mirror import mount_like, namespace_from_table
from mountcursor.verify.sandbox import Sandbox, sandbox_unavailable
from mountcursor.verify.kernel_diff import HOSTILE, diff_kernel, propagation_script, random_script, run_script

pytestmark = pytest.mark.root
_WHY = sandbox_unavailable()
if _WHY is not None:
    pytest.skip(f"no sandbox here: {_WHY}", allow_module_level=True)


def test_hostile_names_print_identically_in_all_three_formats() -> None:
    with Sandbox(n=3) as sb:
        uids = {e.mnt_id: e.unique_id for e in sb.snapshot(method="listmount").table.entries}
        ns = namespace_from_table(parse_mountinfo(sb.read_proc("mountinfo")), uids)  # type: ignore[arg-type]
        for name in HOSTILE:
            facts = sb.mount_tmpfs(name, source=b"src " + name)
            rec = next(r for r in parse_mountinfo(sb.read_proc("mountinfo")) if r.mnt_id == facts.mnt_id)
            assert rec.mount_point == sb.path(name)
            mount_like(ns, rec, facts.unique_id)  # type: ignore[arg-type]
        for kind in ("mountinfo", "mounts", "mountstats"):
            model = open_proc(ns, kind).read_all(4096)  # type: ignore[arg-type]
            assert model == sb.read_proc(kind), kind


@pytest.mark.parametrize("scripts", [12, pytest.param(100, marks=pytest.mark.slow)])
def test_random_scripts_agree_byte_for_byte(scripts: int) -> None:
    res = diff_kernel(scripts=scripts, seed=11, length=50)
    assert res["first_mismatch"] is None
    assert res["agreed"] == scripts and res["reads"] > 16 * scripts


def test_the_oracle_can_disagree() -> None:
    """Played against the 5.8 cursor instead of what this kernel runs, reads after EOF differ
    (the cursor strategies return 0 until a seek to 0; the id tree shows new mounts)."""
    script = [("read", 65536), ("read", 65536), ("mount", b"late"), ("read", 65536)]
    assert run_script(script).mismatch is None
    r = run_script(script, strategy="cursor")
    assert r.mismatch is not None and r.mismatch.step == 3 and r.mismatch.model == b""
    assert r.mismatch.kernel.endswith(b"/tmp/late rw,relatime - tmpfs tmpfs rw\n")


def test_random_script_shapes() -> None:
    s = random_script(random.Random(1), 200, 8)
    kinds = {op[0] for op in s}
    assert kinds == {"read", "mount", "umount", "lazy", "lseek", "poll", "reopen", "open"}


def test_race_live_kernel_row() -> None:
    res = CliRunner().invoke(main, ["race", "--live", "--json", "--mounts", "500",
                                    "--strategy", "index", "--semantics", "modern"])
    assert res.exit_code == 1, res.output  # the index row is BROKEN
    rows = json.loads(res.stdout)
    index, kernel = rows
    assert index["missed"] > 0
    assert kernel["strategy"] == "kernel" and kernel["eof"]
    assert kernel["missed"] == kernel["duplicated"] == kernel["malformed"] == 0


def test_diff_kernel_cli_json() -> None:
    res = CliRunner().invoke(main, ["diff-kernel", "--scripts", "3", "--seed", "2", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out == {"scripts": 3, "propagation": False, "strategy": "idtree", "semantics": "5.10+",
                   "agreed": 3, "reads": out["reads"],
                   "tables": out["tables"], "propagated": 0, "scripts_propagated": 0,
                   "vantage_points": out["vantage_points"], "first_mismatch": None}
    assert out["reads"] > 0 and out["tables"] > 0
    vp = out["vantage_points"]
    assert list(vp) == [f"{f}@{r}" for r in ("root", "chroot", "pid") for f in ("mountinfo", "mounts", "mountstats")]
    assert sum(c["reads"] for c in vp.values()) == out["reads"]
    assert vp["mountinfo@root"]["scripts"] == 3 and vp["mountinfo@root"]["tables"] == out["tables"] - sum(
        c["tables"] for k, c in vp.items() if k != "mountinfo@root")
    assert all(c["share"] == round(c["reads"] / out["reads"], 4) for c in vp.values())


def test_diff_kernel_replay_and_bad_script(tmp_path) -> None:  # noqa: ANN001
    good = tmp_path / "s.json"
    good.write_text('[["read", 7], ["mount", "x y"], ["poll"], ["read", 65536], ["umount", "x y"], ["poll"]]')
    res = CliRunner().invoke(main, ["diff-kernel", "--replay", str(good)])
    assert res.exit_code == 0 and res.output.rstrip().endswith("agreed"), res.output
    bad = tmp_path / "b.json"
    bad.write_text('[["rd", 7]]')
    res = CliRunner().invoke(main, ["diff-kernel", "--replay", str(bad)])
    assert res.exit_code == 2 and "operation 0: expected one of" in res.output and "Traceback" not in res.output


def test_diff_kernel_holds_the_kernel_to_the_strategy_asked(tmp_path) -> None:  # noqa: ANN001
    """--strategy/--semantics choose the model; auto (the default) takes probe's
    generation (idtree on 5.10+ here); the 5.10-6.7 cursor disagrees after EOF."""
    f = tmp_path / "late.json"
    f.write_text('[["read", 65536], ["read", 65536], ["mount", "late"], ["read", 65536]]')
    res = CliRunner().invoke(main, ["diff-kernel", "--replay", str(f)])
    assert res.exit_code == 0 and res.stdout.rstrip().endswith("agreed"), res.output
    assert res.stderr.splitlines()[0] == "diff-kernel: the model as idtree on the 5.10+ seq_file"
    res = CliRunner().invoke(main, ["diff-kernel", "--replay", str(f), "--strategy", "cursor", "--semantics", "modern"])
    assert res.exit_code == 1 and res.stdout.rstrip().endswith("MISMATCH at step 3"), res.output
    assert res.stderr.splitlines()[0] == "diff-kernel: the model as cursor on the 5.10+ seq_file"
    res = CliRunner().invoke(main, ["diff-kernel", "--scripts", "2", "--strategy", "idtree", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["strategy"] == "idtree"


def test_semantics_without_a_strategy_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["diff-kernel", "--semantics", "5.10+"])
    assert res.exit_code == 2
    assert res.stderr == ("mountcursor: --semantics needs a --strategy (with --strategy auto both come "
                          "from probe)\n")


@pytest.mark.parametrize("propagation", [False, True])
def test_scripts_agree_with_ids_from_mountinfo_order(propagation: bool) -> None:
    """The ids made up as diff-kernel does before 6.8 (the first table's in mountinfo order,
    then each operation's new mounts in mnt_id order) hold on this kernel too, whose
    listmount ids are allocation order as well."""
    rng = random.Random(5)
    make = propagation_script if propagation else random_script
    for _ in range(6):
        r = run_script(make(rng, 40, 4), 4, listmount=False)
        assert r.mismatch is None, r.mismatch
