"""Agreement with ``findmnt`` (util-linux) on every fixture, the live table, and filters.

Where we differ on purpose, a test says so and why.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

from mountcursor.cli.app import main
from mountcursor.live import MountTable
from mountcursor.live.findmnt import to_json, tree

from .conftest import FIXTURE_FILES

COLUMNS = "TARGET,SOURCE,FSTYPE,OPTIONS"
ALL_COLUMNS = "TARGET,SOURCE,FSTYPE,OPTIONS,VFS-OPTIONS,FS-OPTIONS,ID,PARENT,MAJ:MIN,FSROOT,PROPAGATION"


def run_findmnt(findmnt: str, *args: str) -> dict:
    out = subprocess.run([findmnt, *args], capture_output=True, check=True).stdout
    return json.loads(out.decode("utf-8", "surrogateescape"))


def run_ours(*args: str) -> dict:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout_bytes.decode("utf-8", "surrogateescape"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("mode", ["tree", "list"])
def test_fixture_agrees_with_findmnt(findmnt, path, mode):
    extra = ["-l"] if mode == "list" else []
    theirs = run_findmnt(findmnt, "-F", str(path), "--json", "-o", ALL_COLUMNS, *extra)
    ours = run_ours(mode, "-F", str(path), "--json", "-o", ALL_COLUMNS)
    assert ours == theirs


@pytest.mark.parametrize(
    "filters", [["-t", "cgroup"], ["-t", "noautofs,cgroup"], ["-O", "noatime"], ["-O", "+noatime"],
                ["-S", "systemd-1"], ["-S", "0:38"], ["-O", "rw,size=1983516k", "-t", "devtmpfs"]],
)
def test_filters_agree_with_findmnt(findmnt, filters):
    path = str(FIXTURE_FILES[0].parent / "util-linux-libmount-mountinfo")
    theirs = run_findmnt(findmnt, "-F", path, "--json", "-l", "-o", COLUMNS, *filters)
    assert run_ours("list", "-F", path, "--json", "-o", COLUMNS, *filters) == theirs


def test_no_match_exits_1_like_findmnt(findmnt):
    path = str(FIXTURE_FILES[0].parent / "util-linux-libmount-mountinfo")
    assert subprocess.run([findmnt, "-F", path, "-l", "-O", "ro"], capture_output=True).returncode == 1
    result = CliRunner().invoke(main, ["list", "-F", path, "-O", "ro"])
    assert result.exit_code == 1 and result.stdout == ""


def test_live_table_agrees_with_findmnt(findmnt, tmp_path):
    # findmnt's own read of the live table is not consistent; compare on one saved copy.
    saved = tmp_path / "mountinfo"
    saved.write_bytes(open("/proc/self/mountinfo", "rb").read())
    theirs = run_findmnt(findmnt, "-F", str(saved), "--json", "-o", ALL_COLUMNS)
    assert run_ours("tree", "-F", str(saved), "--json", "-o", ALL_COLUMNS) == theirs


def test_tree_api_equals_cli_shape():
    path = FIXTURE_FILES[0]
    t = MountTable.from_file(path)
    assert to_json(tree(t), COLUMNS.split(",")) == run_ours("tree", "-F", str(path), "--json")


def test_by_design_escaped_comma_in_option_value(findmnt, tmp_path):
    """findmnt unescapes the whole option string and so shows ``upperdir=/a,b`` -- an
    option list that splits wrongly.  We print the options as the kernel did
    (``\\054``) and give the exact value through the API."""
    line = b"30 1 0:40 / /o rw - overlay ovl rw,upperdir=/a\\054b,workdir=/w\n"
    saved = tmp_path / "mi"
    saved.write_bytes(line)
    theirs = run_findmnt(findmnt, "-F", str(saved), "--json", "-o", "OPTIONS")
    ours = run_ours("list", "-F", str(saved), "--json", "-o", "OPTIONS")
    assert theirs["filesystems"][0]["options"] == "rw,upperdir=/a,b,workdir=/w"
    assert ours["filesystems"][0]["options"] == "rw,upperdir=/a\\054b,workdir=/w"
    assert MountTable.from_bytes(line).entries[0].option("upperdir").value == b"/a,b"


def test_by_design_trailing_cr(findmnt, tmp_path):
    r"""libmount strips one ``\r`` before the newline of every line (a DOS line end);
    the kernel never writes line ends like that, so a raw ``\r`` at the end of the
    super options is data and we keep it."""
    saved = tmp_path / "mi"
    saved.write_bytes(b"30 1 0:40 / /o rw - tmpfs t rw,x=y\r\n")
    theirs = run_findmnt(findmnt, "-F", str(saved), "--json", "-o", "FS-OPTIONS")
    ours = run_ours("list", "-F", str(saved), "--json", "-o", "FS-OPTIONS")
    assert theirs["filesystems"][0]["fs-options"] == "rw,x=y"
    assert ours["filesystems"][0]["fs-options"] == "rw,x=y\r"
