"""Hypothesis fuzzers over every input surface, bounded so the suite stays fast.

Each asserts what must hold for *any* input: parsers raise only ``FormatError``, the CLI
exits with a documented status (0-3) and never a traceback, JSON replay files are refused
with their own error, the iterative JSON writer matches ``json.dumps`` byte for byte.
``MOUNTCURSOR_FUZZ_EXAMPLES`` raises the number of examples for a long hunt.
"""

from __future__ import annotations

import copy
import json
import os

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mountcursor import format as fmt
from mountcursor.cli.app import main
from mountcursor.live import parse as live_parse
from mountcursor.live.findmnt import COLUMNS, column_value, to_json, tree
from mountcursor.live.jsonout import dumps
from mountcursor.live.table import MountTable
from mountcursor.verify.kernel_diff import ScriptFileError, check_script, load_script
from mountcursor.verify.schema import SchemaError
from mountcursor.verify.trace import TraceFileError, load_trace

N = int(os.environ.get("MOUNTCURSOR_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck), database=None)

# tokens a mountinfo line is made of, hostile ones among them
TOKENS = [b"1", b"0", b"2", b"3", b"22", b"-1", b"9" * 25, b"9" * 5000, b"0:1", b"1:", b":", b"4095:1048575",
          b"4096:1048576", b"/", b"/a", b"/a/b", b"/a b", b"\\040", b"\\", b"\\777", b"\\134", b"rw", b"ro,relatime",
          b"-", b"shared:1", b"master:x", b"master:" + b"7" * 5000, b"propagate_from:2", b"unbindable", b"tmpfs", b"",
          b"\r", b"\xff", b"#", b"\t", b"\xd9\xa3", b"a=b\\054c"]
line = st.lists(st.sampled_from(TOKENS), max_size=13).map(b" ".join)
table_bytes = st.lists(line, max_size=8).map(lambda ls: b"\n".join(ls) + b"\n") | st.binary(max_size=300)


@FUZZ
@given(table_bytes)
def test_parsers_raise_only_format_error(data: bytes) -> None:
    result = live_parse.parse_mountinfo(data)  # tolerant: never raises
    assert all(isinstance(e, fmt.FormatError) for e in result.errors)
    for parse in (lambda d: live_parse.parse_mountinfo(d, strict=True), fmt.parse_mountinfo, fmt.parse_mounts,
                  fmt.parse_mountstats):
        try:
            parse(data)
        except fmt.FormatError:
            pass
    table = MountTable(result.entries, errors=result.errors)
    table.problems()
    assert len(dumps(to_json(tree(table), list(COLUMNS)))) > 0
    for e in table.entries:
        for name in COLUMNS:
            column_value(e, name)


WORDS = ["", "x", "/", "/a", "/a b", "tmpfs", "notmpfs", "rw", "ro,noexec", "0:1", "TARGET", "+ID", ",", "nosuch",
         "SOURCE,FSTYPE", "ID,PARENT,MAJ:MIN", "SIZE,USE%", "-", "\udcff", "\u0661", "\u00b2", "0", "1", "-3", "1e3",
         "nan", "forward", "backward", "UUID=x", "/dev/sda1", "auto", "listmount", "strict"]


def _options_of() -> tuple[list[str], list[str]]:
    """Every option and flag ``list``/``tree`` take today (so new ones are fuzzed too):
    the findmnt engine's options table."""
    from mountcursor.findmnt.options import FLAG, OPTIONS as TABLE

    opts = [o for o in TABLE if o.names[0] not in ("-s", "-F")]
    return [o.names[0] for o in opts if o.kind != FLAG], [o.names[0] for o in opts if o.kind == FLAG]


OPTIONS, FLAGS = _options_of()
cli_args = st.lists(st.tuples(st.sampled_from(OPTIONS), st.sampled_from(WORDS)) | st.tuples(st.sampled_from(FLAGS)),
                    max_size=5)


def _clean_exit(res, allowed=(0, 1, 2)) -> None:
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exc_info
    assert res.exit_code in allowed, res.output
    assert "Traceback" not in res.output


@FUZZ
@given(st.sampled_from(["list", "tree"]), table_bytes, cli_args)
def test_list_and_tree_of_any_file_and_options(tmp_path_factory, cmd, data, extra) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "table"
    path.write_bytes(data)
    argv = [cmd, "-F", str(path)] + [x for a in extra if a[0] != "-N" for x in a]
    _clean_exit(CliRunner().invoke(main, argv), allowed=(0, 1, 2, 3))


@FUZZ
@given(cli_args)
def test_list_of_the_live_table_with_any_options(extra) -> None:
    _clean_exit(CliRunner().invoke(main, ["list"] + [x for a in extra for x in a]), allowed=(0, 1, 2, 3))


NUMBERS = st.integers(-3, 3) | st.integers(-(2**70), 2**70) | st.sampled_from(["", "x", "1.5", "nan", "0x10", "\u0661"])


@settings(FUZZ, max_examples=max(N // 3, 10))
@given(st.integers(1, 80), NUMBERS, NUMBERS, NUMBERS, NUMBERS,
       st.sampled_from(["index", "cursor", "cursor-vz", "idtree"]), st.sampled_from(["legacy", "modern"]))
def test_race_with_any_numbers(mounts, read_size, seed, churn, long_every, strategy, semantics) -> None:
    argv = ["race", "--mounts", str(mounts), "--read-size", str(read_size), "--seed", str(seed), "--churn",
            str(churn), "--long-every", str(long_every), "--strategy", strategy, "--semantics", semantics, "--json"]
    res = CliRunner().invoke(main, argv)
    _clean_exit(res)
    if res.exit_code in (0, 1):  # 0: every row ok; 1: some row BROKEN
        assert all(r["ok"] for r in json.loads(res.stdout)) == (res.exit_code == 0)


@settings(FUZZ, max_examples=max(N // 3, 10))
@given(st.sampled_from(["syscall", "fine"]), st.integers(1, 2) | st.sampled_from(["-1", "x", "1.5", "\u0661"]),
       NUMBERS, st.sampled_from(["idtree", "index", "nope"]),
       st.sampled_from([[], ["--no-ns-lock"], ["--no-slab-reuse"], ["--faithful-sync"]]))
def test_check_with_any_options(granularity, runs, seed, strategy, flags) -> None:
    argv = ["check", "--granularity", granularity, "--random", str(runs), "--seed", str(seed), "--strategy", strategy,
            "--semantics", "modern", "--jobs", "1", "--json", *flags]
    _clean_exit(CliRunner().invoke(main, argv))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.integers() | st.floats()
    | st.sampled_from(["", "/", "/m01", "/m01/x", "a", "\udcff", "\ud800", "mountinfo", "umount", "mount", "move",
                       "walk-sync", "short", "page", "index", "legacy", "fine", "read", "lazy", "poll", "reopen"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["kind", "path", "to", "length", "prop", "message", "script", "first_mismatch"]), inner,
        max_size=3),
    max_leaves=10)


def _paths(doc, prefix=()):
    yield prefix
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        yield from _paths(v, prefix + (k,))


@pytest.fixture(scope="module")
def saved_trace() -> dict:
    from mountcursor.verify.check import check_cell
    from mountcursor.verify.scenarios import seed_example
    from mountcursor.verify.trace import trace_to_json

    return trace_to_json(check_cell("index", "modern", [seed_example()]).failures["missed"])


@FUZZ
@given(st.data())
def test_mutated_traces_are_refused_or_replayed(tmp_path_factory, saved_trace, data) -> None:
    doc = copy.deepcopy(saved_trace)
    where = list(_paths(doc))[1:]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(where))
        value = data.draw(JSON)
        obj = doc
        try:
            for k in path[:-1]:
                obj = obj[k]
            obj[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            pass
    f = tmp_path_factory.mktemp("trace") / "t.json"
    f.write_text(json.dumps(doc))
    try:
        load_trace(str(f))
    except TraceFileError:
        pass
    _clean_exit(CliRunner().invoke(main, ["check", "--replay", str(f)]))


@FUZZ
@given(JSON | st.lists(st.lists(JSON, max_size=3), max_size=5))
def test_any_json_is_a_script_or_a_clear_error(tmp_path_factory, doc) -> None:
    f = tmp_path_factory.mktemp("script") / "s.json"
    f.write_text(json.dumps(doc))
    try:
        script = load_script(str(f))
    except ScriptFileError as e:
        assert str(e).startswith(f"{f}: ")
        return
    for op in script:  # what loads names nothing outside the sandbox's directory
        if op[0] in ("mount", "umount", "lazy"):
            assert b"/" not in op[1] and op[1] not in (b".", b"..")


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_are_a_script_or_a_clear_error(tmp_path_factory, raw) -> None:
    f = tmp_path_factory.mktemp("script") / "s.json"
    f.write_bytes(raw)
    with pytest.raises(ScriptFileError):
        load_script(str(f))
    with pytest.raises(TraceFileError):
        load_trace(str(f))


@FUZZ
@given(st.lists(st.lists(JSON, max_size=3), max_size=4))
def test_check_script_refuses_with_schema_errors_only(doc) -> None:
    try:
        check_script(doc)
    except SchemaError:
        pass


@FUZZ
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=20))
def test_iterative_json_writer_matches_json_dumps(doc) -> None:
    assert dumps(doc) == json.dumps(doc, indent=3, ensure_ascii=False)
