"""docs/patches/: the backport's one-line fix as a mail patch that ``git am`` applies to the
end of the seed's m_start() (the 7 lines below are the seed's, GPL-2.0 kernel code, quoted
as test data), signed off, naming the seed's patch in its log (no Fixes: tag: the
backport's commit id is not known), and clean for scripts/checkpatch.pl."""

from __future__ import annotations

import glob
import os
import pathlib
import shutil
import subprocess

import pytest

PATCH = pathlib.Path(__file__).parent.parent / "docs" / "patches" / "0001-proc-mounts-record-last_pos-in-m_start.patch"

SEED_M_START_END = """\
\tif (mnt && (*pos == p->last_pos + 1) &&
\t    !(p->last_mntpos && (p->last_mntpos != mnt)))
\t\tmnt = mnt_list_next(p->ns, &mnt->mnt_list);

\tp->last_mntpos = mnt;

\treturn mnt;
}
"""


def _log(text: str) -> list[str]:
    """The commit message's lines: after the headers' blank line, up to ``---``."""
    return text[text.index("\n\n") + 2:text.index("\n---\n")].splitlines()


def test_the_patch_is_one_line_signed_off_and_names_what_it_fixes() -> None:
    text = PATCH.read_text()
    assert text.startswith("From ") and "\nSubject: [PATCH RH7] proc/mounts: record last_pos in m_start\n" in text
    log = _log(text)
    author = next(ln for ln in text.splitlines() if ln.startswith("From: ")).removeprefix("From: ")
    assert log[-1] == f"Signed-off-by: {author}"  # checkpatch: MISSING_SIGN_OFF, FROM_SIGN_OFF_MISMATCH
    # no Fixes: tag without the backport's commit id, which is not known (the notes say so)
    assert not [ln for ln in text.splitlines() if ln.lower().startswith("fixes:")]
    notes = text[text.index("\n---\n"):text.index("\ndiff --git")]
    assert "No Fixes: tag: it needs the commit id of the backport" in notes
    body = " ".join(log)
    assert "<20210316122147.984730-1-alexander.mikhalitsyn@virtuozzo.com>" in body
    assert 'commit 9f6c61f96f2d ("proc/mounts: add cursor")' in log  # checkpatch: GIT_COMMIT_ID style
    assert max(len(ln) for ln in log if not ln.startswith("Signed-off-by:")) <= 75  # COMMIT_LOG_LONG_LINE
    diff = text[text.index("\ndiff --git"):text.index("\n-- \n")]
    added = [ln for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert added == ["+\tp->last_pos = *pos;"] and removed == []


def _checkpatch() -> str | None:
    """scripts/checkpatch.pl of a kernel tree: $CHECKPATCH, or an unpacked linux-source."""
    env = os.environ.get("CHECKPATCH")
    if env:
        return env
    found = sorted(glob.glob("/usr/src/linux-source-*/scripts/checkpatch.pl"))
    return found[-1] if found else None


@pytest.mark.skipif(_checkpatch() is None or shutil.which("perl") is None,
                    reason="no scripts/checkpatch.pl (set CHECKPATCH=) or no perl")
def test_checkpatch_finds_nothing_but_the_commit_it_cannot_look_up() -> None:
    """Without a kernel git tree checkpatch cannot look commit ids up: the one warning left
    is that it does not know 9f6c61f96f2d (mainline, v5.8-rc1)."""
    res = subprocess.run(["perl", _checkpatch(), "--no-tree", "--strict", "--terse", str(PATCH)],  # type: ignore[list-item]
                         capture_output=True, text=True, cwd=pathlib.Path(_checkpatch()).parent)  # type: ignore[arg-type]
    found = [ln for ln in res.stdout.splitlines() if ": ERROR:" in ln or ": WARNING:" in ln or ": CHECK:" in ln]
    assert [ln.split(": ", 1)[1] for ln in found] == [
        "WARNING: Unknown commit id '9f6c61f96f2d', maybe rebased or not pulled?"], res.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_am_applies_it_to_the_seeds_m_start(tmp_path: pathlib.Path) -> None:
    (tmp_path / "fs").mkdir()
    src = tmp_path / "fs" / "namespace.c"
    src.write_text("".join(f"/* line {i} */\n" for i in range(300)) + SEED_M_START_END)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "seed"], ["am", "-q", str(PATCH)]):
        subprocess.run(git + args, cwd=tmp_path, check=True, capture_output=True)
    assert "\tp->last_mntpos = mnt;\n\tp->last_pos = *pos;\n\n\treturn mnt;\n}\n" in src.read_text()
    log = subprocess.run(["git", "log", "-1", "--format=%B"], cwd=tmp_path, check=True, capture_output=True,
                         text=True).stdout
    assert log.rstrip().endswith("Signed-off-by: mountcursor maintainers "
                                 "<maintainers@users.noreply.r-seed-e5734dfc.example>")
