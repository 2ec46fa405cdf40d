"""Reading ``/proc/<pid>/mountinfo`` to EOF without missing a change: the loop under
:func:`mountcursor.live.reader.snapshot`, and under ``mountcursor list``'s lean path
(:mod:`mountcursor.findmnt.command`), which is why it imports nothing but the standard
library's built-in modules.

    fd, path = open_mountinfo(pid)
    data, attempts, reads, changed = read_consistent(fd, "strict", 100, None, start, 65536)

A pass reads to EOF, then polls once: ``POLLPRI`` means the namespace changed during the
pass (see :func:`read_pass`), and the next pass starts again at offset 0.
"""

from __future__ import annotations

import errno
import os
import select
import time

__all__ = ["mountinfo_path", "open_mountinfo", "change_poller", "backoff", "give_up", "read_pass",
           "read_consistent", "TooManyLines", "Sample", "read_sample", "mount_max", "SHORTEST_LINE"]


def mount_max() -> int | None:
    """``fs.mount-max``: the most mounts a namespace may hold (``None``: unreadable)."""
    try:
        with open("/proc/sys/fs/mount-max", "rb") as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


class TooManyLines(Exception):
    """A pass grew past its bound (``max_lines``): the kernel repeats lines, or the table
    grew while it was read.  ``data`` holds what was read (at most one read more than the
    bound), ``lines`` its line count."""

    def __init__(self, data: bytes, lines: int, bound: int) -> None:
        super().__init__(f"the read passed {bound:,} lines")
        self.data, self.lines, self.bound = data, lines, bound


class Sample:
    """The first reads of a pass, each timed: what ``method="auto"`` decides from.

    ``data``: the bytes read; ``reads``: ``read()`` calls; ``eof``: the table ended
    within them; ``us_per_line``: the least over the reads of microseconds per line
    (the least, as a moment the machine gave the core to other work only adds)."""

    __slots__ = ("data", "reads", "eof", "us_per_line", "lines")

    def __init__(self, data: bytes, reads: int, eof: bool, us_per_line: float, lines: int) -> None:
        self.data, self.reads, self.eof, self.us_per_line, self.lines = data, reads, eof, us_per_line, lines


def read_sample(fd: int, chunk_size: int, lines: int) -> Sample:
    """Read from the file's offset until at least ``lines`` lines or EOF, timing each
    ``read()`` (the kernel formats about a page of lines a call)."""
    chunks: list[bytes] = []
    costs: list[float] = []
    got = reads = 0
    eof = False
    clock = time.perf_counter
    while got < lines:
        t = clock()
        chunk = os.read(fd, chunk_size)
        t = clock() - t
        reads += 1
        if not chunk:
            eof = True
            break
        n = chunk.count(b"\n")
        if n:
            costs.append(t * 1e6 / n)
        got += n
        chunks.append(chunk)
    return Sample(b"".join(chunks), reads, eof, min(costs, default=0.0), got)


def mountinfo_path(pid: int | str = "self") -> str:
    """``/proc/thread-self/mountinfo`` for ``"self"`` (the calling thread's namespace,
    right in threaded programs), else ``/proc/<pid>/mountinfo``."""
    if pid in ("self", "thread-self"):
        if os.path.exists("/proc/thread-self/mountinfo"):
            return "/proc/thread-self/mountinfo"
        return "/proc/self/mountinfo"
    if isinstance(pid, bool) or not isinstance(pid, int) and not (str(pid).isascii() and str(pid).isdigit()):
        raise ValueError(f"pid must be a process id or 'self', got {pid!r}")
    return f"/proc/{int(pid)}/mountinfo"


def open_mountinfo(pid: int | str = "self") -> tuple[int, str]:
    """Open the mountinfo file of ``pid``; ``(fd, path)``.  Clear errors for a process
    that is gone or that we may not inspect."""
    path = mountinfo_path(pid)
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC), path
    except FileNotFoundError:
        if pid in ("self", "thread-self"):
            raise FileNotFoundError(errno.ENOENT, f"{path} does not exist: is /proc mounted?") from None
        raise ProcessLookupError(errno.ESRCH, f"process {pid} does not exist (or has exited)") from None
    except PermissionError:
        raise PermissionError(
            errno.EACCES,
            f"cannot read the mount table of process {pid}: permission denied "
            "(it needs ptrace access: the same user, or CAP_SYS_PTRACE)",
        ) from None


def change_poller(fd: int) -> select.poll:
    """A poll object watching ``fd`` for ``POLLPRI``, made once and polled at each EOF."""
    poller = select.poll()
    poller.register(fd, select.POLLPRI)
    return poller


def backoff(attempt: int) -> None:
    """No wait for the first three retries, then 1, 2, 4 ... ms, at most 50 ms."""
    if attempt > 3:
        time.sleep(min(0.001 * 2 ** (attempt - 4), 0.05))


def give_up(consistency: str, attempts: int, max_attempts: int, deadline: float | None, start: float) -> bool:
    if consistency == "single-pass" or attempts >= max_attempts:
        return True
    return deadline is not None and time.perf_counter() - start >= deadline


SHORTEST_LINE = 23
"""Bytes in the shortest line ``show_mountinfo()`` can print (fs/proc_namespace.c, 3.10 to
6.18), its newline included: ``1 1 0:0 / / rw - x  rw`` (one-digit ids, the device
``0:0``, root and mount point ``/``, a one-letter type, an empty source)."""


def read_pass(fd: int, chunk_size: int, poller: select.poll, max_lines: int | None = None,
              head: bytes = b"") -> tuple[bytes, int, bool]:
    """One pass from the file's offset to EOF, then one poll: ``(data, reads, changed)``.
    ``head``: what this pass read before (from offset 0).  With ``max_lines``, a pass
    that grows past that many lines stops and raises :class:`TooManyLines`: a kernel
    that repeats a line forever never reaches EOF, and memory would run out first.  Its
    lines are counted only once it holds bytes enough for more than that many
    (:data:`SHORTEST_LINE` each): under the bound of ``fs.mount-max`` (100,000: 201,024
    lines), a table of 10,000 mounts never is.

    One poll at EOF is enough.  mounts_poll() (fs/proc_namespace.c, v2.6.15 to v6.18)
    reports ``POLLPRI`` when the namespace's event counter differs from the one the
    file saw at open() or at the last poll that reported it, and only then takes the
    new value: a change anywhere in the pass stays pending until this poll (proven on
    the running kernel by tests/live/test_live_snapshot.py).
    """
    chunks: list[bytes] = [head] if head else []
    append = chunks.append
    reads = 0
    size = len(head)
    lines = counted = 0  # the lines of chunks[:counted]
    # fewer bytes than this cannot hold more than max_lines lines: none are counted
    uncounted = (max_lines + 1) * SHORTEST_LINE if max_lines is not None else 0
    while True:
        try:
            chunk = os.read(fd, chunk_size)
        except ProcessLookupError:
            raise ProcessLookupError(errno.ESRCH, "the process exited while its mount table was read") from None
        reads += 1
        if not chunk:
            break
        append(chunk)
        size += len(chunk)
        if max_lines is not None and size >= uncounted:
            lines += sum(piece.count(b"\n") for piece in chunks[counted:])
            counted = len(chunks)
            if lines > max_lines:
                raise TooManyLines(b"".join(chunks), lines, max_lines)
    changed = any(revents & select.POLLPRI for _, revents in poller.poll(0))
    return b"".join(chunks), reads, changed


def read_consistent(fd: int, consistency: str, max_attempts: int, deadline: float | None, start: float,
                    chunk_size: int, max_lines: int | None = None,
                    head: Sample | None = None) -> tuple[bytes, int, int, bool]:
    """Passes over the open mountinfo file ``fd`` until one sees no change (or
    ``consistency``, ``max_attempts`` and ``deadline`` say stop): ``(data, attempts,
    reads, changed)`` of the last pass.  ``start`` is when the caller started
    (``time.perf_counter()``), for the deadline.  ``max_lines``: see :func:`read_pass`;
    ``head``: the first reads of the first pass, already made (:func:`read_sample`)."""
    attempts = 0
    poller = change_poller(fd)
    while True:
        attempts += 1
        data, reads, changed = read_pass(fd, chunk_size, poller, max_lines, head.data if head else b"")
        reads += head.reads if head else 0
        head = None
        if not changed or give_up(consistency, attempts, max_attempts, deadline, start):
            return data, attempts, reads, changed
        os.lseek(fd, 0, os.SEEK_SET)
        backoff(attempts)
