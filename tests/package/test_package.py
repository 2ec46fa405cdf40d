"""The package as Python users get it: the sdist and wheel carry LICENSE and py.typed
with an SPDX licence, the live library and list/tree/watch need neither greenlet nor
rich, the verifier's commands say which extra they need, ``python -m mountcursor``
works, and there is one version number."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import mountcursor

ROOT = Path(__file__).resolve().parents[2]
BLOCK = "import sys; sys.modules['greenlet'] = None; sys.modules['rich'] = None; "


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"setuptools {setuptools.__version__} < 77 cannot build PEP 639 metadata")
    out = tmp_path_factory.mktemp("dist")
    code = ("import sys; from setuptools import build_meta as b; "
            "out = sys.argv[1]; s = b.build_sdist(out); w = b.build_wheel(out); print('BUILT', s, w)")  # build_meta rewrites argv
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    sdist, wheel = done.stdout.split("BUILT ")[-1].split()
    return out / sdist, out / wheel


def test_sdist_and_wheel_carry_license_and_py_typed(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
        top = names[0].split("/")[0]
        assert f"{top}/LICENSE" in names and f"{top}/src/mountcursor/py.typed" in names
        pkg_info = tar.extractfile(f"{top}/PKG-INFO").read().decode()  # type: ignore[union-attr]
    assert "License-Expression: GPL-2.0-or-later" in pkg_info
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(f"{dist_info}/METADATA").decode()
        license_text = zf.read(f"{dist_info}/licenses/LICENSE").decode()
    assert "mountcursor/py.typed" in names
    # the command is a script of its own (bin/mountcursor), not a wrapper importing re
    script = zf_script(wheel)
    assert script.startswith(b"#!python\n") and b"import re" not in script and b"from mountcursor.cli import main" in script
    assert "License-Expression: GPL-2.0-or-later" in metadata
    assert f"Version: {mountcursor.__version__}\n" in metadata
    assert "Requires-Dist: click" in metadata
    assert "Requires-Dist: greenlet" in metadata and 'extra == "verify"' in metadata
    assert "GNU GENERAL PUBLIC LICENSE" in license_text and "Version 2, June 1991" in license_text
    assert "or (at your option) any later version" in license_text


def zf_script(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".data/scripts/mountcursor")]
        return zf.read(name)


def test_the_command_starts_without_re(tmp_path: Path) -> None:
    """``bin/mountcursor`` as installed: ``list`` loads neither re nor enum (pip's wrapper
    for an entry point imports re first: a third of a small table's run)."""
    script = tmp_path / "mountcursor"
    script.write_bytes((ROOT / "bin" / "mountcursor").read_bytes().replace(b"#!python", b"#!" + sys.executable.encode(), 1))
    done = subprocess.run([sys.executable, "-X", "importtime", str(script), "list", "-o", "TARGET"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("TARGET\n/"), done.stderr[-2000:]
    loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "mountcursor.findmnt.command" in loaded  # the list ran in this process
    assert sorted(loaded & {"re", "enum", "click", "typing"}) == []


def test_live_and_its_commands_need_neither_greenlet_nor_rich() -> None:
    done = _python(BLOCK + "import mountcursor.live as l; import mountcursor.verify.sandbox; "
                   "from mountcursor.cli import main; "
                   "main(['list', '-o', 'TARGET', '-F', sys.argv[0] if False else '/proc/self/mountinfo'])")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("TARGET\n/")


@pytest.mark.parametrize("command", ["race", "check", "diff-kernel"])
def test_verifier_commands_name_the_missing_extra(command: str) -> None:
    done = _python(BLOCK + f"from mountcursor.cli import main; main([{command!r}, '--help'])")
    assert done.returncode == 3
    assert done.stderr == (f"mountcursor: {command} needs the verifier's dependencies (greenlet is not installed): "
                           "pip install 'mountcursor[verify]'\n") or done.stderr == (
        f"mountcursor: {command} needs the verifier's dependencies (rich is not installed): "
        "pip install 'mountcursor[verify]'\n")


def test_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "mountcursor", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout == f"mountcursor, version {mountcursor.__version__}\n"


def test_one_version_number() -> None:
    from importlib.metadata import version

    assert version("mountcursor") == mountcursor.__version__
    assert "version =" not in (ROOT / "pyproject.toml").read_text().split("[project]")[1].split("[")[0]


def test_man_pages_and_completions_are_shipped_and_installed(built: tuple[Path, Path], tmp_path: Path) -> None:
    """The package carries share/ (for ``mountcursor man``/``completion``) and installs it
    into the prefix's share/, where man finds a page from PATH alone, as in an activated
    virtual environment."""
    from mountcursor.cli.share import SHARE

    shipped = sorted(str(p.relative_to(SHARE)) for p in SHARE.rglob("*") if p.is_file())
    assert "man/man1/mountcursor-list.1" in shipped and "bash-completion/completions/mountcursor" in shipped
    sdist, wheel = built
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        assert {f"{top}/src/mountcursor/share/{p}" for p in shipped} <= set(tar.getnames())
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    data = f"mountcursor-{mountcursor.__version__}.data/data/share/"
    assert {f"mountcursor/share/{p}" for p in shipped} <= names
    assert sorted(n[len(data):] for n in names if n.startswith(data)) == shipped
    prefix = tmp_path / "prefix"
    # --ignore-installed: without it pip would first uninstall this environment's mountcursor
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-compile",
                           "--ignore-installed", "--disable-pip-version-check", "--prefix", str(prefix), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for p in shipped:
        assert (prefix / "share" / p).read_bytes() == (SHARE / p).read_bytes(), p
    if shutil.which("man") is None:
        pytest.skip("man is not installed")
    env = {k: v for k, v in os.environ.items() if k != "MANPATH"}
    env["PATH"] = f"{prefix / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    found = subprocess.run(["man", "-w", "mountcursor-list"], capture_output=True, text=True, env=env, timeout=60)
    assert (found.returncode, found.stdout) == (0, f"{prefix}/share/man/man1/mountcursor-list.1\n")


def test_no_file_under_version_control_holds_a_merge_conflict_marker() -> None:
    """A merge left unresolved in a committed file (docs/benchmarks/README.md held one
    twice): git's three marker lines, at a line's start, in no tracked text file."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60)
    markers = (b"<<<<<<< ", b">>>>>>> ")
    found = []
    for name in listed.stdout.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        for number, line in enumerate(data.split(b"\n"), 1):
            if line.startswith(markers):
                found.append(f"{name}:{number}")
    assert found == []
