"""Helpers for model tests: a namespace of named mounts and a fixed-width ``show``."""

from __future__ import annotations

from typing import Optional

import pytest

from mountcursor.kernel import Kernel, MountNamespace
from mountcursor.kernel.iterators import ProcMounts, strategy
from mountcursor.kernel.mount import Mount
from mountcursor.kernel.seqfile import SEQ_SKIP, SeqFile


def names_show(width: int = 4, long: Optional[dict[bytes, int]] = None):
    """A ``show`` that prints the last path component, padded to ``width``, plus ``\\n``;
    mounts named in ``long`` get that many bytes instead."""

    def show(m: SeqFile, p: ProcMounts, mnt: Mount) -> int:
        mp = p.ns.path_of(mnt, p.root)
        if mp is None:
            return SEQ_SKIP
        name = mp.rsplit(b"/", 1)[-1] or b"/"
        n = (long or {}).get(name, width)
        m.seq_put_record(name.ljust(n, b".")[:max(n, len(name))] + b"\n")
        return 0

    return show


def make_ns(n: int, rootfs: bool = False, prefix: bytes = b"m") -> MountNamespace:
    """A namespace whose list is ``/`` then ``<prefix>01`` .. ``<prefix>n``."""
    k = Kernel()
    ns = k.create_namespace(with_rootfs=rootfs)
    for i in range(1, n + 1):
        ns.mount(b"/%s%02d" % (prefix, i))
    return ns


def open_seq(ns: MountNamespace, strat: str, semantics: str, width: int = 4,
             long: Optional[dict[bytes, int]] = None, page_size: int = 4096) -> SeqFile:
    p = ProcMounts(ns=ns, root=ns.root, show=names_show(width, long))
    return SeqFile(strategy(strat), semantics, private=p, page_size=page_size, log_calls=True)  # type: ignore[arg-type]


def read_all(m: SeqFile, size: int, limit: int = 10_000) -> list[bytes]:
    out = []
    for _ in range(limit):
        b = m.read(size)
        if not b:
            return out
        out.append(b)
    raise AssertionError(f"no EOF after {limit} reads: {b''.join(out)[-200:]!r}")


@pytest.fixture
def ns10() -> MountNamespace:
    return make_ns(20)
