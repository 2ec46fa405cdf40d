"""The README's table of generations: its rows on this machine's kernel (the same code runs
them in each guest), the check that fails when a kernel is named otherwise, the README
section it rewrites."""

from __future__ import annotations

import pytest

from mountcursor.verify.sandbox import sandbox_unavailable
from mountcursor.vm.table import (
    END, EXPECTED, KERNELS, START, Row, Runner, host_runner, markdown, merge_rows, one_row, replace_section,
)

_WHY = sandbox_unavailable()
needs_sandbox = pytest.mark.skipif(_WHY is not None, reason=f"no sandbox here: {_WHY}")


@pytest.fixture(scope="module")
def host() -> Runner:
    """:func:`host_runner`, each command line run once for the module: the rows below only
    read what a command printed, and ``probe`` (most of a row's time) is asked four times."""
    run = host_runner(lambda _: None)
    done: dict[tuple[str, ...], tuple[str, int, bytes]] = {}

    def once(args: list[str]) -> tuple[str, int, bytes]:
        if tuple(args) not in done:
            done[tuple(args)] = run(args)
        return done[tuple(args)]
    return once


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
def test_a_row_on_this_kernel(host: Runner) -> None:
    """probe, 2 plain scripts, 1 propagation script and a race on the running kernel, all
    as the guests run them: nothing to complain of."""
    row = one_row("host", host, 2, 1, 100, control_scripts=3)
    assert row.generation == ("idtree", "5.10+")
    assert row.probe == "`idtree` on 5.10+ (with 4a403d7aa907 (2026))"
    assert row.plain.startswith("2/2 (") and row.propagation.startswith("1/1 (")
    assert row.race.startswith("ok: 0 missed, 0 twice, EOF yes") and row.race.endswith("model row ok)")
    assert row.control.startswith("`cursor`: ") and row.control != "`cursor`: 3/3"
    assert row.problems == []


@pytest.mark.root
@needs_sandbox
def test_the_check_fails_on_a_kernel_named_otherwise(host: Runner) -> None:
    """This kernel (the id tree with the fix) taken for the 5.10 guest: the probe's answer is
    not the 5.10 kernel's, and the check says so."""
    row = one_row("5.10", host, 0, 0, 0)
    assert row.problems == ["probe named idtree/5.10+, expected cursor/5.10+"]
    assert one_row("6.12", host, 0, 0, 0).problems == []
    assert one_row("7.2", host, 0, 0, 0).problems == []


def test_what_each_generation_must_be_named() -> None:
    """The cursor of 9f6c61f96f2d up to 6.7; the id tree with 4a403d7aa907 on trixie's
    6.12 and on sid's 7.2 (7.2.13's fs/namespace.c m_next sets ``*pos`` past the last
    id; booted, 7.2.13+deb14-amd64 names itself so)."""
    assert EXPECTED == {"5.10": ("cursor", "5.10+"), "6.1": ("cursor", "5.10+"), "6.12": ("idtree", "5.10+"),
                        "7.2": ("idtree", "5.10+")}
    assert KERNELS == ("5.10", "6.1", "6.12", "7.2", "host")


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


HEAD = markdown([], 30, 30, 10, 500, "tcg").splitlines()
OLD = "\n".join([*HEAD[:2],
                 "| 5.10.0-32-amd64 (Debian bullseye) | a | b | c | d | e | 1002 s |",
                 "| 6.12.117+deb13-amd64 (Debian trixie) | a | b | c | d | e | 651 s |",
                 "| 7.2.12+deb14-amd64 (Debian sid) | a | b | c | d | e | 600 s |",
                 "| 6.18.44-fc-v1272 (this machine) | a | b | c | d | e | 24 s |",
                 "", "Guests under TCG; old footer."])


def test_one_row_replaces_its_own_and_keeps_the_others() -> None:
    """``--kernels 7.2 --readme``: the 7.2 row (whatever 7.2 release it was) is the new
    one, the others stay as they were, in the table's order."""
    kept = merge_rows(OLD, HEAD[0], ["7.2"])
    assert list(kept) == ["5.10", "6.12", "host"]
    new = Row("7.2", "7.2.13+deb14-amd64", "`idtree` on 5.10+", ("idtree", "5.10+"), "30/30", "30/30", "`cursor`: 3/10",
              "ok", seconds=700.2)
    assert markdown([new], 30, 30, 10, 500, "tcg", kept=kept).splitlines()[2:6] == [
        "| 5.10.0-32-amd64 (Debian bullseye) | a | b | c | d | e | 1002 s |",
        "| 6.12.117+deb13-amd64 (Debian trixie) | a | b | c | d | e | 651 s |",
        "| 7.2.13+deb14-amd64 (Debian sid) | `idtree` on 5.10+ | 30/30 | 30/30 | `cursor`: 3/10 | ok | 700 s |",
        "| 6.18.44-fc-v1272 (this machine) | a | b | c | d | e | 24 s |"]


def test_a_row_under_another_heading_is_refused() -> None:
    """Rows kept under a header of other counts would lie; a run of every kernel keeps
    nothing and may change the counts."""
    other = markdown([], 5, 0, 3, 200, "tcg").splitlines()[0]
    with pytest.raises(ValueError) as e:
        merge_rows(OLD, other, ["7.2"])
    assert str(e.value) == (f"the vm table was made with other counts (its header: {HEAD[0]!r}): run every kernel, "
                            "or these with the table's counts")
    assert merge_rows(OLD, other, list(KERNELS)) == {}


def test_rows_of_an_earlier_run_into_the_readme(tmp_path, capsys) -> None:  # noqa: ANN001
    """``--from-json`` boots nothing: the rows a run wrote go into the README's section,
    the other kernels' rows kept; a file that is not such rows is one line, exit 2."""
    import json

    from mountcursor.vm.table import main

    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n\n{START}\n{OLD}\n{END}\nafter\n")
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([{**Row("7.2", "7.2.13+deb14-amd64", "p", ["idtree", "5.10+"], "30/30").__dict__}]))
    assert main(["--from-json", str(rows), "--readme", str(readme), "--accel", "tcg"]) == 0
    text = readme.read_text()
    assert text.startswith(f"# T\n\n{START}\n{HEAD[0]}\n") and text.endswith(f"{END}\nafter\n")
    assert [ln for ln in text.splitlines() if "7.2" in ln] == [
        "| 7.2.13+deb14-amd64 (Debian sid) | p | 30/30 | - | - | - | 0 s |"]
    assert sum(ln.startswith("| ") for ln in text.splitlines()) == 6
    capsys.readouterr()
    rows.write_text(json.dumps([{**Row("7.3", "7.3.1").__dict__}]))
    assert main(["--from-json", str(rows), "--readme", str(readme), "--accel", "tcg"]) == 2
    assert capsys.readouterr().err == (f"vm-table: {rows}: not the rows of a --json: a row of kernel '7.3' "
                                       "(not one of 5.10, 6.1, 6.12, 7.2, host)\n")
