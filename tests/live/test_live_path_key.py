"""Paths equal as util-linux ``streq_paths`` (``lib/strutils.c``) compares them: the
library's :func:`path_key` against a segment-by-segment reading of that function."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mountcursor.live.devices import path_key, streq_paths


def _segment(path: bytes, at: int) -> tuple[int, int]:
    """``next_path_segment``: (start, size) of the segment at ``at``; a run of ``/``
    counts from its last one, and a segment keeps the ``/`` before it; size 0 at the end."""
    while at < len(path) and path[at:at + 1] == b"/" and path[at + 1:at + 2] == b"/":
        at += 1
    if at >= len(path):
        return at, 0
    end = at + 1
    while end < len(path) and path[end:end + 1] != b"/":
        end += 1
    return at, end - at


def _streq_paths(a: bytes, b: bytes) -> bool:
    i = j = 0
    while True:
        i, a_sz = _segment(a, i)
        j, b_sz = _segment(b, j)
        if a_sz + b_sz == 0:
            return True
        if a_sz + b_sz == 1 and (a[i:i + 1] == b"/" or b[j:j + 1] == b"/"):  # a trailing slash
            return True
        if a_sz != b_sz or a[i:i + a_sz] != b[j:j + b_sz]:
            return False
        i, j = i + a_sz, j + b_sz


paths = st.text(alphabet="/ab", max_size=7).map(str.encode)


@given(paths, paths)
def test_equal_keys_are_equal_paths(a: bytes, b: bytes) -> None:
    assert (path_key(a) == path_key(b)) == _streq_paths(a, b) == streq_paths(a, b)


def test_the_cases_that_tell_them_apart() -> None:
    assert streq_paths(b"/a//b/", b"/a/b") and streq_paths(b"", b"/") and streq_paths(b"a/", b"a")
    assert not streq_paths(b"a", b"/a") and not streq_paths(b"a/b", b"/a/b") and not streq_paths(b"", b"a")
    assert path_key(b"/a/b")[:1] == path_key(b"/a")  # a directory above is a prefix
