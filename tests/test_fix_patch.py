"""docs/patches/: the backport's one-line fix as a mail patch that ``git am`` applies to the
end of the seed's m_start() (the 7 lines below are the seed's, GPL-2.0 kernel code, quoted
as test data), and that names the seed's patch in its Fixes: tag."""

from __future__ import annotations

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


def test_the_patch_is_one_line_with_a_fixes_tag() -> None:
    text = PATCH.read_text()
    assert text.startswith("From ") and "\nSubject: [PATCH RH7] proc/mounts: record last_pos in m_start\n" in text
    fixes = [ln for ln in text.splitlines() if ln.startswith("Fixes: ")]
    assert fixes == ['Fixes: ("[RH7,v2] proc/mounts: add cursor", '
                     "Message-ID <20210316122147.984730-1-alexander.mikhalitsyn@virtuozzo.com>)"]
    diff = text[text.index("\ndiff --git"):text.index("\n-- \n")]
    added = [ln for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert added == ["+\tp->last_pos = *pos;"] and removed == []


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
    assert "Fixes: (\"[RH7,v2] proc/mounts: add cursor\"" in log
