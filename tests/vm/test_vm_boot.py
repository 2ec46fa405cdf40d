"""A real boot (``slow``): Debian's 6.12 kernel under QEMU runs ``mountcursor probe`` on the
host's read-only root and names the id tree with its fix; the job's status, stdout and
stderr come back.  Skips where qemu is missing or the kernel cannot be fetched."""

from __future__ import annotations

import json
import shutil

import pytest

from mountcursor.vm.apt import FetchError
from mountcursor.vm.boot import QEMU
from mountcursor.vm.run import run_mountcursor
from mountcursor.vm.sources import SourcesError

pytestmark = [pytest.mark.slow, pytest.mark.root,
              pytest.mark.skipif(shutil.which(QEMU) is None, reason=f"{QEMU} is not installed")]


def _run(args: list[str]):  # noqa: ANN202
    err: list[bytes] = []
    try:
        return run_mountcursor("6.12", args, lambda _: None, err.append, timeout=900), b"".join(err)
    except (FetchError, SourcesError) as e:
        pytest.skip(f"the 6.12 kernel cannot be fetched here: {e}")


def test_probe_in_a_6_12_guest() -> None:
    (release, res), err = _run(["probe", "--json"])
    assert release.startswith("6.12.")
    assert res.status == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["kernel"] == release
    assert out["matches"] == [{"strategy": "idtree", "semantics": "5.10+"}] and out["bugs"] == []


def test_status_and_stderr_come_back() -> None:
    """A usage error in the guest: its exit status 2 and its one-line message."""
    (release, res), err = _run(["diff-kernel", "--semantics", "5.10+"])
    assert res.status == 2 and res.stdout == b""
    assert res.stderr == err == (b"mountcursor: --semantics needs a --strategy (with --strategy auto both come "
                                 b"from probe)\n")
