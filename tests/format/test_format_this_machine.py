"""This machine's own proc files, and util-linux's public tables, re-rendered byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mountcursor.format import (
    parse_mountinfo,
    parse_mountinfo_line,
    parse_mounts,
    parse_mounts_line,
    parse_mountstats,
    render_mountinfo,
    render_mounts,
    render_mountstats,
)

# public util-linux test tables, copied into the repository (licence: tests/fixtures/README.md)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"the shared fixtures ({FIXTURES}) are not here")
LINE_FORMATS = {
    "mountinfo": (parse_mountinfo, parse_mountinfo_line, render_mountinfo),
    "mounts": (parse_mounts, parse_mounts_line, render_mounts),
}


@pytest.mark.parametrize("name", sorted(LINE_FORMATS))
def test_proc_self_lines(name: str, read_file: Callable[[str], bytes]) -> None:
    """Every line re-renders to itself (a line read twice under churn is still a whole line)."""
    parse_file, parse_line, render = LINE_FORMATS[name]
    data = read_file(f"/proc/self/{name}")
    records = parse_file(data)
    lines = data.split(b"\n")[:-1]
    assert len(records) == len(lines) > 0
    for lineno, (line, rec) in enumerate(zip(lines, records), 1):
        assert parse_line(line, lineno) == rec
        assert render(rec) == line + b"\n"


def test_proc_self_mountstats(read_file: Callable[[str], bytes]) -> None:
    data = read_file("/proc/self/mountstats")
    records = parse_mountstats(data)
    assert records
    assert b"".join(render_mountstats(rec) for rec in records) == data


def test_mountinfo_and_mounts_agree(read_file: Callable[[str], bytes]) -> None:
    """Same mounts, same order: mount point, type and device name match line by line."""
    infos = parse_mountinfo(read_file("/proc/self/mountinfo"))
    mounts = parse_mounts(read_file("/proc/self/mounts"))
    if len(infos) != len(mounts):
        pytest.skip("the mount table changed between the two reads")
    assert [(i.source, i.mount_point, i.fstype) for i in infos] == [(m.source, m.mount_point, m.fstype) for m in mounts]


@needs_fixtures
@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*mountinfo*")), ids=lambda p: p.name)
def test_public_fixtures(path: Path) -> None:
    data = path.read_bytes()
    records = parse_mountinfo(data)
    assert b"".join(render_mountinfo(rec) for rec in records) == data


@needs_fixtures
def test_fixture_quirks() -> None:
    """The quirks the fixtures README lists come out as the kernel meant them."""
    libmount = parse_mountinfo((FIXTURES / "util-linux-libmount-mountinfo").read_bytes())
    assert libmount[-1].mount_point == b"/mnt/test/foo\rbar"
    assert libmount[-1].shared == 323
    assert any(rec.fstype == b"fuse.gvfs-fuse-daemon" for rec in libmount)
    nosrc = parse_mountinfo((FIXTURES / "util-linux-libmount-mountinfo_nosrc").read_bytes())
    assert (nosrc[-1].source, nosrc[-1].super_opts) == (b"", b"rw")
    nonroot = parse_mountinfo((FIXTURES / "util-linux-findmnt-mountinfo-nonroot").read_bytes())
    assert nonroot[-1].mount_point == b"/mnt/foo (deleted)"
    messy = parse_mountinfo((FIXTURES / "util-linux-findmnt-mountinfo-messy").read_bytes())
    console = next(rec for rec in messy if rec.mount_point == b"/dev/console")
    assert (console.root, console.shared, console.master) == (b"/5", 57, 4)
