"""Helpers shared by the format tests."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest


def read_whole(path: str) -> bytes:
    """Read a file to EOF with plain ``os.read`` calls (a proc file returns ~one page a call)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


@pytest.fixture
def read_file() -> Callable[[str], bytes]:
    return read_whole
