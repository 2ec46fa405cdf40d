"""diff-kernel's long-line generator (issue 20): mount points whose lines end near the seq_file
buffer's size, within PATH_MAX and NAME_MAX, mixed into the random scripts."""

from __future__ import annotations

import random

import pytest

from mountcursor.format import escape_path
from mountcursor.kernel.seqfile import PAGE_SIZE
from mountcursor.verify import kernel_diff
from mountcursor.verify.kernel_diff import (
    LONG_RATE, _LINE_OVERHEAD, _ROOT, check_script, fits, long_path, pad_path, propagation_script, random_script,
)
from mountcursor.verify.schema import NAME_MAX, PATH_MAX


def _components_ok(path: bytes) -> bool:
    return all(0 < len(c) <= NAME_MAX for c in path.split(b"/"))


@pytest.mark.parametrize("start", [b"a-", b"m00000/" + b"y" * 200 + b"-", b"x" * 254, b"b/" + b"z" * 254])
@pytest.mark.parametrize("every", [0, 1, 2, 7])
def test_pad_path_adds_exactly_what_it_is_asked(start: bytes, every: int) -> None:
    for add in (2, 3, 4, 5, 6, 250, 255, 256, 257, 511, 1000, 4000):
        path = pad_path(start, add, PATH_MAX, every)
        assert path.startswith(start) and _components_ok(path), (add, path[:40])
        assert len(escape_path(path)) - len(escape_path(start)) == add, add
        if every and add >= 6 * every:
            assert any(c in path for c in b" \t\n\\"), add


def test_pad_path_stops_at_its_room() -> None:
    path = pad_path(b"s-", 10_000, 1000, every=1)
    assert len(path) == 2 + 1000 and _components_ok(path)
    assert pad_path(b"s-", 500, 0) == b"s-"


def test_long_paths_land_near_one_two_or_three_pages_below_path_max() -> None:
    rng = random.Random(4)
    near = pages = 0
    for i in range(600):
        parent = rng.choice([b"", b"m00001", b"b0/n3/" + b"q" * 250])
        path = long_path(rng, parent, b"n%d" % i)
        assert path.startswith((parent + b"/" if parent else b"") + b"n%d-" % i)
        assert fits(path) and _components_ok(path)
        check_script([["mount", path.decode("utf-8", "surrogateescape")]])
        line = _LINE_OVERHEAD + len(escape_path(_ROOT + b"/" + path))
        if abs(line - PAGE_SIZE) <= 48:
            near += 1
        else:
            assert 2 * PAGE_SIZE - 2000 < line <= 3 * PAGE_SIZE + 48, line
            pages += 1
    assert near > 420 and pages > 80  # four in five near one page, the others longer


def test_random_scripts_mix_long_lines_in_at_their_rate() -> None:
    rng = random.Random(9)
    mounts = long = 0
    for maker in (random_script, propagation_script):
        for _ in range(60):
            script = maker(rng, 80, 8)
            check_script([kernel_diff._op_json(op) for op in script])
            for op in script:
                paths = [x for x in op[1:] if isinstance(x, bytes)]  # a peer's copy: a few bytes longer
                assert all(len(_ROOT) + 1 + len(p) < PATH_MAX for p in paths), op[0]
                if op[0] == "mount":
                    mounts += 1
                    long += len(op[1]) > 2000
    assert 0.5 * LONG_RATE < long / mounts < 2 * LONG_RATE
