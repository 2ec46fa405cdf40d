"""escape / unescape / mangle / escape_path, byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mountcursor.format import ERAS, escape, escape_path, mangle, unescape

NASTY = b"a b\tc\nd\\e#f\rg\xffh"


def test_escape_uses_three_octal_digits() -> None:
    assert escape(b"\x01 \x7f\xff", b"\x01 \x7f\xff") == b"\\001\\040\\177\\377"
    assert escape(b"abc", b"") == b"abc"
    assert escape(b"]^-[", b"]^-[") == b"\\135\\136\\055\\133"  # regex metacharacters are literal


def test_escape_path_keeps_hash_and_carriage_return() -> None:
    assert escape_path(NASTY) == b"a\\040b\\011c\\012d\\134e#f\rg\xffh"


def test_mangle_current_escapes_hash() -> None:
    assert mangle(NASTY, "current") == b"a\\040b\\011c\\012d\\134e\\043f\rg\xffh"


def test_mangle_old_keeps_hash() -> None:
    assert mangle(NASTY, "old") == b"a\\040b\\011c\\012d\\134e#f\rg\xffh"


def test_mangle_unknown_era() -> None:
    with pytest.raises(ValueError, match="unknown era 'new'"):
        mangle(b"x", "new")  # type: ignore[arg-type]


def test_eras() -> None:
    assert ERAS == ("old", "current")


def test_unescape_decodes_only_backslash_and_three_octal_digits() -> None:
    assert unescape(b"a\\040b\\011\\012\\134\\043\\377") == b"a b\t\n\\#\xff"
    assert unescape(b"\\000") == b"\x00"
    # not escapes: kept as they are
    assert unescape(b"\\x \\04 \\400 \\8 \\") == b"\\x \\04 \\400 \\8 \\"
    # an escaped backslash followed by digits stays a backslash and digits
    assert unescape(b"\\134040") == b"\\040"


@given(st.binary(), st.binary())
def test_unescape_inverts_escape(data: bytes, chars: bytes) -> None:
    assert unescape(escape(data, chars + b"\\")) == data


@given(st.binary())
def test_mangle_and_path_invert(data: bytes) -> None:
    for era in ERAS:
        assert unescape(mangle(data, era)) == data
    assert unescape(escape_path(data)) == data
