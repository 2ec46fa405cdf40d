"""``-S`` of a table column by column: the rows of pseudo filesystems are told at C speed
(their source matches only as written), the others once per distinct (source, type)
pair; on generated tables the answer is :func:`~mountcursor.live.devices.source_matches`
row by row."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mountcursor.findmnt.rows import Rows
from mountcursor.findmnt.select import Query, _Filters
from mountcursor.live.devices import source_matches

SOURCES = [b"/dev/vda", b"/dev/vda/", b"//dev/vda", b"tmpfs", b"proc", b"t1", b"", b"LABEL=x", b"/dev/sd\\000a",
           b"/dev/null", b"none"]
TYPES = [b"tmpfs", b"proc", b"ext4", b"nfs", b"overlay", b"tmp\\000fs", b"cgroup2"]
SPECS = ["t", "/dev/vda", "tmpfs", "proc", "t1", "", "LABEL=x", "/dev/sd", "/dev/null", "none", "//dev//vda"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SOURCES), st.sampled_from(TYPES)), min_size=1, max_size=12),
       st.sampled_from(SPECS), st.booleans())
@example([(b"tmpfs", b"tmpfs"), (b"t1", b"tmpfs")], "t", False)                # every type pseudo
@example([(b"tmpfs", b"tmpfs"), (b"/dev/vda", b"ext4")], "/dev/vda/", False)   # some pseudo, some not
@example([(b"/dev/sd\\000a", b"proc"), (b"t1", b"ext4")], "/dev/sd", False)    # an escaped NUL
def test_source_of_every_row_is_source_matches(lines: list[tuple[bytes, bytes]], spec: str,
                                               nocanonicalize: bool) -> None:
    data = b"".join(b"%d %d 0:%d / /m%d rw - %s %s rw\n" % (i + 1, 0 if i == 0 else 1, i, i, t, s)
                    for i, (s, t) in enumerate(lines))
    rows = Rows.from_mountinfo(data)
    assert rows is not None
    q = Query(source=spec, nocanonicalize=nocanonicalize)
    want = [source_matches(s, t, spec.encode(), canonical=not nocanonicalize)
            for s, t in zip(rows.sources, rows.fstypes)]
    assert _Filters(rows, q, True).source(spec.encode()) == want
