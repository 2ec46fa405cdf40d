"""A private mount namespace to experiment in, run by a worker process: :class:`Sandbox`.

    with Sandbox(n=100) as sb:              # 100 tmpfs mounts under sb.root
        facts = sb.mount_tmpfs("a b\\tc")   # -> MountFacts(path, mnt_id, unique_id, major, minor)
        h = sb.open_proc("mountinfo")       # one open fd, kept in the worker
        sb.read(h, 1024); sb.lseek(h, 0); sb.poll(h); sb.close_proc(h)
        sb.umount("a b\\tc", lazy=True)
        table = sb.snapshot().table         # snapshot() run inside the namespace
    sandbox_unavailable()                   # None, or why a sandbox cannot start here

The worker is a fresh, single-threaded Python process (``unshare`` in a threaded process
would move only the calling thread).  It dies with its parent (``PR_SET_PDEATHSIG`` and
EOF on its command pipe), calls ``unshare(CLONE_NEWNS)``, makes ``/`` recursively
private *before* mounting anything, mounts a tmpfs on ``root`` (default ``/tmp``: inside
the namespace only, so nothing is ever created on the host), and then ``n`` tmpfs
mounts ``root/m00000`` ... with source ``sandbox``.  When the worker exits its namespace
and every mount in it go away.  Needs CAP_SYS_ADMIN.

Commands (one method each; paths are ``str`` or ``bytes``, any byte but NUL, relative
ones are taken under ``root``; every mount command returns the :class:`MountFacts` the
kernel gave, read back with statx):

* ``mount_tmpfs(target, source=b"tmpfs", data=None, flags=0)``, ``bind(source, target,
  recursive=False)``, ``mount(source, target, fstype, flags=0, data=None)``,
  ``mount_fs(fstype, target, options=[(key, value)], source=None)`` (new mount API:
  option values may hold commas), ``move(source, target)``;
* ``umount(target, lazy=False, recursive=False)``, ``make(target, "shared"|"slave"|
  "private"|"unbindable", recursive=False)``, ``mkdir(path)``, ``stat(path)``;
* ``open_proc("mountinfo"|"mounts"|"mountstats", pid="self", jail=None)`` -> handle;
  ``read(h, n)``, ``lseek(h, offset, whence=0)``, ``poll(h, events=POLLPRI, timeout_ms=0)``
  -> revents, ``close_proc(h)``; ``read_proc(name, pid="self", jail=None)`` -> the whole
  file; ``read_proc_chrooted(name, root)`` -> the whole file as a child chrooted into
  ``root`` reads it; ``read_proc_chrooted_reads(name, root, sizes)`` -> what each of its
  ``read()`` calls returned (sizes taken in turn, over and over);
* ``jail(path)`` -> the pid of a child of the worker chrooted into ``path`` that stays
  alive with the sandbox; ``open_proc(name, jail=path)`` opens ``/proc/self/<name>`` in
  it (its reads, seeks and polls go through it), ``open_proc(name, pid=sb.jail(path))``
  opens its ``/proc/<pid>/<name>`` from the worker's root;
* ``snapshot(**kwargs)`` -> :class:`~mountcursor.live.reader.Snapshot` taken inside;
  ``snapshot_chrooted(root, **kwargs)``: taken by a child chrooted into ``root`` (which
  needs a ``/proc`` mounted in it);
* table shapes: ``peer_groups(groups, peers, where=b"peers")`` (shared tmpfs, each bound
  ``peers - 1`` times), ``containers(count, layers=4, where=b"overlay2")`` (overlayfs
  roots with tmpfs inside), each returning the mounts made; ``slave_copy()`` -> the pid
  of a child in a copy of the namespace with every mount a slave;
* ``churn_start(where=b"churn", live=4, depth=2, pause=0.0)``, ``churn_stop()`` -> counts:
  a thread in the worker mounting and detaching nested tmpfs trees; ``storm(where, n,
  live, seed, pause)`` -> the operations: ``n`` mounts and ``n`` umounts at once;
* ``watch_start(source="auto", min_interval=0.0)``, ``watch_stop()`` -> the
  :class:`~mountcursor.live.watcher.WatchBatch` list of a watch run inside;
  ``watch_open(source)``, ``watch_read(lose_events=False)`` -> a batch or ``None``,
  ``watch_close()``: a watch inside that the caller steps (``lose_events``: fanotify's
  queued events are dropped for one ``FAN_Q_OVERFLOW``, as on a queue overflow);
* ``call(op, *args, **kwargs)``: any of the above by name.

Errors in the worker come back as :class:`OSError` (with the errno) or
:class:`SandboxError`; a worker that stops answering within ``timeout`` seconds is
killed.  The default timeout, :data:`DEFAULT_TIMEOUT` seconds, is taken from the
environment variable ``MOUNTCURSOR_SANDBOX_TIMEOUT`` where it is set
(:func:`default_timeout`): a slow guest (``mountcursor vm`` under TCG runs Python
12-30 times slower) sets it higher.
"""

from __future__ import annotations

import errno as _errno
import functools
import os
import select
import subprocess
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ._sandbox_worker import MountFacts, recv, result_of, send

if TYPE_CHECKING:
    from ..live.reader import Snapshot
    from ..live.watcher import WatchBatch

PathArg = str | bytes
"""A path for the worker: ``str`` or ``bytes``, any byte but NUL; relative ones are
taken under the sandbox's root."""
_T = TypeVar("_T")

__all__ = ["Sandbox", "SandboxError", "MountFacts", "sandbox_unavailable", "visible_root"]


class SandboxError(RuntimeError):
    """The sandbox could not start, stopped answering, or a command failed (not an
    OSError)."""


DEFAULT_TIMEOUT = 30.0
#: where a sandbox mounts its tmpfs unless told (inside its own namespace only)
DEFAULT_ROOT = "/tmp"
TIMEOUT_ENV = "MOUNTCURSOR_SANDBOX_TIMEOUT"


def default_timeout() -> float:
    """Seconds the worker has to answer: ``$MOUNTCURSOR_SANDBOX_TIMEOUT``, else
    :data:`DEFAULT_TIMEOUT`."""
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise SandboxError(f"{TIMEOUT_ENV}={raw!r}: expected seconds, a number above 0")
    return value


def _package_path() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def python_env() -> dict[str, str]:
    """The environment for a child ``python -m mountcursor...``: this one, with this
    package first on ``PYTHONPATH`` (the child finds it even without an install)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = _package_path() + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def visible_root(candidates: Iterable[str] = ("/tmp", "/mnt", "/media", "/srv", "/opt")) -> str:
    """A ``root`` for :class:`Sandbox` whose tmpfs hides nothing this Python needs, for
    callers that run this Python inside the sandbox's namespace (``nsenter``): the first
    existing directory of ``candidates`` that contains neither the interpreter, its
    environment, this package nor the current directory.  ``/tmp`` unless the project
    lives under it (a clone in ``/tmp/x`` would vanish under the sandbox's tmpfs)."""
    needed = {sys.prefix, sys.executable, os.getcwd(), _package_path()}
    needed |= {os.path.realpath(path) for path in needed}
    for candidate in candidates:
        top = os.path.realpath(candidate)
        if os.path.isdir(top) and not any(path == top or path.startswith(top + os.sep) for path in needed):
            return top
    raise SandboxError(f"no directory of {', '.join(candidates)} leaves this Python visible in a sandbox")


class Sandbox:
    """A worker process in its own private mount namespace (see the module docstring)."""

    def __init__(self, n: int = 0, *, root: str | bytes = DEFAULT_ROOT, timeout: float | None = None) -> None:
        self.timeout = default_timeout() if timeout is None else timeout
        self._proc: subprocess.Popen[bytes] | None = None
        c_read, p_write = os.pipe()
        p_read, c_write = os.pipe()
        self._rfd, self._wfd = p_read, p_write
        env = python_env()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "mountcursor.verify._sandbox_worker",
                 str(c_read), str(c_write), str(os.getpid()), str(int(n)), os.fsdecode(root)],
                pass_fds=(c_read, c_write), env=env, stdin=subprocess.DEVNULL, close_fds=True,
            )
        finally:
            os.close(c_read)
            os.close(c_write)
        try:
            info = self._reply(self.timeout + n / 1000)
        except BaseException:
            self._kill()
            raise
        self.pid: int = info["pid"]
        self.root: bytes = info["root"]
        self.base: list[MountFacts] = info["base"]
        self.root_mount: MountFacts = info["root_mount"]

    # ---- plumbing -------------------------------------------------------------------
    def _reply(self, timeout: float) -> Any:
        ready, _, _ = select.select([self._rfd], [], [], timeout)
        if not ready:
            self._kill()
            raise SandboxError(f"the sandbox worker did not answer within {timeout:g} s and was killed")
        try:
            reply: Any = recv(self._rfd)
        except EOFError:
            code = self._proc.wait(5) if self._proc else None
            raise SandboxError(f"the sandbox worker exited (status {code})") from None
        return result_of(reply, SandboxError)

    def call(self, op: str, *args: Any, **kwargs: Any) -> Any:
        """Run one command in the worker and return its result."""
        if self._proc is None:
            raise SandboxError("the sandbox is closed")
        try:
            send(self._wfd, (op, args, kwargs))
        except BrokenPipeError:
            raise SandboxError("the sandbox worker is gone") from None
        return self._reply(self.timeout)

    def _kill(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            self._proc = None
        for fd in (self._rfd, self._wfd):
            try:
                os.close(fd)
            except OSError:
                pass
        self._rfd = self._wfd = -1

    def close(self) -> None:
        """Ask the worker to detach everything and exit; kill it if it does not."""
        if self._proc is None:
            return
        try:
            send(self._wfd, ("exit", (), {}))
            self._reply(5)
            self._proc.wait(5)
        except (OSError, SandboxError, subprocess.TimeoutExpired):
            pass
        self._kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_proc", None) is not None:
            self._kill()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def path(self, name: str | bytes) -> bytes:
        """``name`` under the sandbox root, as bytes."""
        raw = os.fsencode(name)
        return raw if raw.startswith(b"/") else os.path.join(self.root, raw)

    # ---- commands -------------------------------------------------------------------
    def _typed(self, kind: type[_T], op: str, *args: Any, **kwargs: Any) -> _T:
        """:meth:`call`, with the answer checked to be a ``kind``."""
        value = self.call(op, *args, **kwargs)
        if not isinstance(value, kind):
            raise SandboxError(f"{op}: the worker answered a {type(value).__name__}, not a {kind.__name__}")
        return value

    def mount_tmpfs(self, target: PathArg, source: PathArg = b"tmpfs", data: PathArg | None = None,
                    flags: int = 0, mkdir: bool = True) -> MountFacts:
        return self._typed(MountFacts, "mount_tmpfs", os.fsencode(target), os.fsencode(source), _enc(data),
                           flags, mkdir)

    def mount(self, source: PathArg | None, target: PathArg, fstype: PathArg | None, flags: int = 0,
              data: PathArg | None = None, mkdir: bool = True) -> MountFacts:
        return self._typed(MountFacts, "mount", _enc(source), os.fsencode(target), _enc(fstype), flags, _enc(data),
                           mkdir)

    def mount_fs(self, fstype: PathArg, target: PathArg,
                 options: Iterable[tuple[str | bytes, str | bytes | None]] = (), source: PathArg | None = None,
                 mkdir: bool = True) -> MountFacts:
        return self._typed(MountFacts, "mount_fs", os.fsencode(fstype), os.fsencode(target), list(options), source,
                           mkdir)

    def bind(self, source: PathArg, target: PathArg, recursive: bool = False, mkdir: bool = True) -> MountFacts:
        return self._typed(MountFacts, "bind", os.fsencode(source), os.fsencode(target), recursive, mkdir)

    def move(self, source: PathArg, target: PathArg, mkdir: bool = True) -> MountFacts:
        return self._typed(MountFacts, "move", os.fsencode(source), os.fsencode(target), mkdir)

    def umount(self, target: PathArg, lazy: bool = False, recursive: bool = False) -> None:
        self.call("umount", os.fsencode(target), lazy, recursive)

    def make(self, target: PathArg, kind: str, recursive: bool = False) -> None:
        self.call("make", os.fsencode(target), kind, recursive)

    def mkdir(self, path: PathArg) -> bytes:
        return self._typed(bytes, "mkdir", os.fsencode(path))

    def stat(self, path: PathArg) -> MountFacts:
        return self._typed(MountFacts, "stat", os.fsencode(path))

    def open_proc(self, name: str = "mountinfo", pid: int | str = "self", jail: PathArg | None = None) -> int:
        """Open ``/proc/<pid>/<name>`` in the worker, or with ``jail`` ``/proc/self/<name>``
        in the process chrooted there (:meth:`jail`)."""
        return self._typed(int, "open_proc", name, pid, _enc(jail))

    def read(self, handle: int, size: int) -> bytes:
        return self._typed(bytes, "read", handle, size)

    def lseek(self, handle: int, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._typed(int, "lseek", handle, offset, whence)

    def poll(self, handle: int, events: int = select.POLLPRI, timeout_ms: int = 0) -> int:
        return self._typed(int, "poll", handle, events, timeout_ms)

    def close_proc(self, handle: int) -> None:
        self.call("close", handle)

    def read_proc(self, name: str = "mountinfo", size: int = 1 << 20, pid: int | str = "self",
                  jail: PathArg | None = None) -> bytes:
        """The whole ``/proc/<pid>/<name>``, or as the process chrooted into ``jail`` reads it."""
        return self._typed(bytes, "read_proc", name, size, pid, _enc(jail))

    def jail(self, path: PathArg) -> int:
        """The pid of the process chrooted into ``path`` (started on the first call for it,
        alive as long as the sandbox: its root pins the mount ``path`` led to then)."""
        return self._typed(int, "jail", os.fsencode(path))

    def read_proc_chrooted(self, name: str, root: PathArg, size: int = 1 << 20) -> bytes:
        """The whole ``/proc/self/<name>`` read by a child chrooted into ``root``."""
        return self._typed(bytes, "read_proc_chrooted", name, os.fsencode(root), size)

    def read_proc_chrooted_reads(self, name: str, root: PathArg, sizes: Iterable[int]) -> list[bytes]:
        """What each ``read()`` of ``/proc/self/<name>`` returned to a child chrooted into
        ``root`` that reads ``sizes`` in turn, over and over, to EOF."""
        return self._typed(list, "read_proc_chrooted_reads", name, os.fsencode(root), list(sizes))

    def snapshot(self, **kwargs: Any) -> Snapshot:
        from ..live.reader import Snapshot

        return self._typed(Snapshot, "snapshot", **kwargs)

    def peer_groups(self, groups: int, peers: int, where: PathArg = b"peers") -> int:
        return self._typed(int, "peer_groups", groups, peers, os.fsencode(where))

    def containers(self, count: int, layers: int = 4, where: PathArg = b"overlay2") -> int:
        return self._typed(int, "containers", count, layers, os.fsencode(where))

    def slave_copy(self) -> int:
        return self._typed(int, "slave_copy")

    def snapshot_chrooted(self, root: PathArg, **kwargs: Any) -> Snapshot:
        from ..live.reader import Snapshot

        return self._typed(Snapshot, "snapshot_chrooted", os.fsencode(root), **kwargs)

    def churn_start(self, where: PathArg = b"churn", live: int = 4, depth: int = 2, pause: float = 0.0) -> None:
        self.call("churn_start", os.fsencode(where), live, depth, pause)

    def churn_stop(self) -> dict[str, int]:
        return self._typed(dict, "churn_stop")

    def storm(self, where: PathArg = b"storm", n: int = 1000, live: int = 8, seed: int = 1,
              pause: float = 0.0) -> list[tuple[str, bytes]]:
        """``n`` mounts and ``n`` umounts at fresh paths under ``where``, made by the
        worker as fast as it can (at most ``live`` up at once; ``pause`` seconds after
        each mount); the operations, in order."""
        return self._typed(list, "storm", os.fsencode(where), n, live, seed, pause)

    def watch_open(self, source: Literal["auto", "poll", "reread", "fanotify"] = "auto") -> str:
        return self._typed(str, "watch_open", source)

    def watch_read(self, lose_events: bool = False) -> WatchBatch | None:
        return self.call("watch_read", lose_events)  # type: ignore[no-any-return]

    def watch_close(self) -> None:
        self.call("watch_close")

    def watch_start(self, source: Literal["auto", "poll", "reread", "fanotify"] = "auto", min_interval: float = 0.0) -> None:
        self.call("watch_start", source, min_interval)

    def watch_stop(self, settle: float = 0.3) -> list[WatchBatch]:
        return self._typed(list, "watch_stop", settle)


def _enc(value: PathArg | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


@functools.cache
def sandbox_unavailable() -> str | None:
    """``None`` if a sandbox starts here, else the reason (for ``pytest.skip``)."""
    if not sys.platform.startswith("linux"):
        return "mount namespaces need Linux"
    try:
        with Sandbox(0, timeout=max(20.0, default_timeout())):
            return None
    except OSError as err:
        if err.errno in (_errno.EPERM, _errno.EACCES):
            return f"unshare(CLONE_NEWNS)/mount need CAP_SYS_ADMIN: {err.strerror}"
        return f"cannot start a sandbox: {err}"
    except SandboxError as err:
        return f"cannot start a sandbox: {err}"
