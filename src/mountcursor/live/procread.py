"""Reading ``/proc/<pid>/mountinfo`` to EOF without missing a change: the loop under
:func:`mountcursor.live.reader.snapshot`, and under ``mountcursor list``'s lean path
(:mod:`mountcursor.cli.fastlist`), which is why it imports nothing but the standard
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
           "read_consistent"]


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


def read_pass(fd: int, chunk_size: int, poller: select.poll) -> tuple[bytes, int, bool]:
    """One pass from the file's offset to EOF, then one poll: ``(data, reads, changed)``.

    One poll at EOF is enough.  mounts_poll() (fs/proc_namespace.c, v2.6.15 to v6.18)
    reports ``POLLPRI`` when the namespace's event counter differs from the one the
    file saw at open() or at the last poll that reported it, and only then takes the
    new value: a change anywhere in the pass stays pending until this poll (proven on
    the running kernel by tests/live/test_live_snapshot.py).
    """
    chunks: list[bytes] = []
    append = chunks.append
    reads = 0
    while True:
        try:
            chunk = os.read(fd, chunk_size)
        except ProcessLookupError:
            raise ProcessLookupError(errno.ESRCH, "the process exited while its mount table was read") from None
        reads += 1
        if not chunk:
            break
        append(chunk)
    changed = any(revents & select.POLLPRI for _, revents in poller.poll(0))
    return b"".join(chunks), reads, changed


def read_consistent(fd: int, consistency: str, max_attempts: int, deadline: float | None, start: float,
                    chunk_size: int) -> tuple[bytes, int, int, bool]:
    """Passes over the open mountinfo file ``fd`` until one sees no change (or
    ``consistency``, ``max_attempts`` and ``deadline`` say stop): ``(data, attempts,
    reads, changed)`` of the last pass.  ``start`` is when the caller started
    (``time.perf_counter()``), for the deadline."""
    attempts = 0
    poller = change_poller(fd)
    while True:
        attempts += 1
        data, reads, changed = read_pass(fd, chunk_size, poller)
        if not changed or give_up(consistency, attempts, max_attempts, deadline, start):
            return data, attempts, reads, changed
        os.lseek(fd, 0, os.SEEK_SET)
        backoff(attempts)
