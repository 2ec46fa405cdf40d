"""The README's table of generations: its rows on this machine's kernel (the same code runs
them in each guest), the check that fails when a kernel is named otherwise, the README
section it rewrites."""

from __future__ import annotations

import pytest

from mountcursor.verify.sandbox import sandbox_unavailable
from mountcursor.vm.table import END, START, Row, host_runner, markdown, one_row, replace_section

_WHY = sandbox_unavailable()
needs_sandbox = pytest.mark.skipif(_WHY is not None, reason=f"no sandbox here: {_WHY}")


def test_replace_section() -> None:
    text = f"# T\n\nbefore\n{START}\nold\nrows\n{END}\nafter\n"
    assert replace_section(text, "| new |") == f"# T\n\nbefore\n{START}\n| new |\n{END}\nafter\n"
    with pytest.raises(ValueError, match="has no"):
        replace_section("# no section\n", "x")


def test_markdown_rows() -> None:
    rows = [Row("6.1", "6.1.0-50-amd64", "`cursor` on 5.10+ (5.10 to 6.7)", ("cursor", "5.10+"), "3/3 (9 reads)",
                "", "`idtree`: 1/4", "ok: 0 missed", seconds=71.4),
            Row("host", "6.18.1", "no match")]
    assert markdown(rows, 3, 0, 4, 200, "tcg").splitlines()[2:4] == [
        "| 6.1.0-50-amd64 (Debian bookworm) | `cursor` on 5.10+ (5.10 to 6.7) | 3/3 (9 reads) | - | `idtree`: 1/4 "
        "| ok: 0 missed | 71 s |",
        "| 6.18.1 (this machine) | no match | - | - | - | - | 0 s |"]


@pytest.mark.root
@needs_sandbox
def test_a_row_on_this_kernel() -> None:
    """probe, 2 plain scripts, 1 propagation script and a race on the running kernel, all
    as the guests run them: nothing to complain of."""
    row = one_row("host", host_runner(lambda _: None), 2, 1, 100, control_scripts=3)
    assert row.generation == ("idtree", "5.10+")
    assert row.probe == "`idtree` on 5.10+ (with 4a403d7aa907 (2026))"
    assert row.plain.startswith("2/2 (") and row.propagation.startswith("1/1 (")
    assert row.race.startswith("ok: 0 missed, 0 twice, EOF yes") and row.race.endswith("model row ok)")
    assert row.control.startswith("`cursor`: ") and row.control != "`cursor`: 3/3"
    assert row.problems == []


@pytest.mark.root
@needs_sandbox
def test_the_check_fails_on_a_kernel_named_otherwise() -> None:
    """This kernel (the id tree with the fix) taken for the 5.10 guest: the probe's answer is
    not the 5.10 kernel's, and the check says so."""
    row = one_row("5.10", host_runner(lambda _: None), 0, 0, 0)
    assert row.problems == ["probe named idtree/5.10+, expected cursor/5.10+"]
    assert one_row("6.12", host_runner(lambda _: None), 0, 0, 0).problems == []


def test_ci_skips_with_a_line_where_no_guest_can_boot(monkeypatch, tmp_path, capsys) -> None:  # noqa: ANN001
    """No qemu (an empty PATH): CI's share says what it skipped and why, and exits 0; the
    full run (without --ci) exits 3 with the same reason."""
    from mountcursor.vm.table import main

    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["--ci", "--kernels", "6.12", "--accel", "tcg"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("vm-table: SKIPPED the guest share on 6.12: qemu-system-x86_64 is not installed "
                      "(apt-get install qemu-system-x86)")
    assert main(["--kernels", "6.12", "--accel", "tcg"]) == 3
    assert capsys.readouterr().err.splitlines()[-1] == ("vm-table: qemu-system-x86_64 is not installed "
                                                         "(apt-get install qemu-system-x86)")
