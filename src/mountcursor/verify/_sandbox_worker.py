"""The sandbox's worker process (private; see :mod:`mountcursor.verify.sandbox`).

Run as ``python -m mountcursor.verify._sandbox_worker RFD WFD PARENT_PID N ROOT``.  It is a
fresh single-threaded interpreter, so ``unshare(CLONE_NEWNS)`` moves the whole process.
Order matters: die with the parent, unshare, make ``/`` recursively private, and only
then mount anything.  Its namespace ends with it, so nothing it mounts reaches the host.

Frames on both pipes: a 4-byte little-endian length, then a pickle.  Requests are
``(op, args, kwargs)``; replies ``("ok", value)`` or ``("err", errno, type, message)``.
The first frame the worker sends is the reply to its own start-up.

Signals: SIGTERM and SIGINT end the worker quietly (no traceback: a Ctrl-C reaches the
whole process group, the worker too), after its cleanup; its namespace, and every mount
in it, ends with it.  Until :func:`main` installs that, SIGINT is ignored.
"""

from __future__ import annotations

import signal

if __name__ == "__main__":  # first of all: a Ctrl-C while the modules below load is no traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)

import errno
import os
import pickle
import select
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..live import backend, syscalls  # noqa: F401 -- backend: snapshot(method="auto") imports it on first use
from ..live.reader import snapshot
from ..live.syscalls import MNT_DETACH, MS_BIND, MS_MOVE, MS_PRIVATE, MS_REC, MS_SHARED, MS_SLAVE, MS_UNBINDABLE
from ..live.watcher import Watch, WatchBatch, watch

# Everything the worker runs is imported here, before it mounts anything: the package
# may live under the directory the sandbox mounts over (a checkout under /tmp), and
# mountcursor.live imports its modules only when they are first used.

if TYPE_CHECKING:
    from ..live.reader import Snapshot

_LEN = struct.Struct("<I")

SIGINT_AT_ENV = "MOUNTCURSOR_SANDBOX_SIGINT_AT"
"""Test hook: the environment variable naming the point where the worker sends itself
SIGINT, as a Ctrl-C would reach it: ``setup`` (in the middle of the start-up mounts),
``idle`` (waiting for a command), ``command`` (running one), ``reply`` (about to answer)."""


def _hook(point: str) -> None:
    if os.environ.get(SIGINT_AT_ENV) == point:
        signal.raise_signal(signal.SIGINT)


def _quiet_exit(signum: int, frame: object) -> None:
    """SIGTERM: exit status 0; SIGINT: 130, as a shell reports it.  ``SystemExit`` runs the
    ``finally`` cleanups on its way out and prints nothing."""
    raise SystemExit(0 if signum == signal.SIGTERM else 128 + signum)


@dataclass(frozen=True)
class MountFacts:
    """What the kernel gave a mount, read back with statx(2) at its mount point."""

    path: bytes
    mnt_id: int | None
    unique_id: int | None
    major: int
    minor: int
    mount_root: bool | None = None


def send(fd: int, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LEN.pack(len(data)) + data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def recv(fd: int) -> object:
    head = _read_exact(fd, _LEN.size)
    return pickle.loads(_read_exact(fd, _LEN.unpack(head)[0]))


def _read_exact(fd: int, n: int) -> bytes:
    parts = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            raise EOFError("the other side closed the pipe")
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


_MAKE_FLAGS = {"shared": MS_SHARED, "slave": MS_SLAVE, "private": MS_PRIVATE, "unbindable": MS_UNBINDABLE}
_PROC_FILES = ("mountinfo", "mounts", "mountstats")
_REMOTE = 1 << 24  # handles of files a jail's process holds start here (above any fd)


def _check_proc_file(name: str) -> None:
    if name not in _PROC_FILES:
        raise ValueError(f"proc file must be one of {_PROC_FILES}, got {name!r}")


class _Files:
    """The file operations on one fd, the same in the worker and in a jail's process."""

    @staticmethod
    def read(fd: int, size: int) -> bytes:
        return os.read(fd, size)

    @staticmethod
    def lseek(fd: int, offset: int, whence: int = os.SEEK_SET) -> int:
        return os.lseek(fd, offset, whence)

    @staticmethod
    def poll(fd: int, events: int = syscalls.POLLPRI, timeout_ms: int = 0) -> int:
        return syscalls.poll_fd(fd, events, timeout_ms)

    @staticmethod
    def close(fd: int) -> None:
        os.close(fd)

    @staticmethod
    def read_proc(where: str, name: str, size: int, dir_fd: int | None = None) -> bytes:
        """The whole ``<where>/<name>`` (``dir_fd``: relative to that directory)."""
        fd = os.open(f"{where}/{name}", os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
        try:
            parts = []
            while chunk := os.read(fd, size):
                parts.append(chunk)
            return b"".join(parts)
        finally:
            os.close(fd)


class _Jail:
    """A child of the worker chrooted into a directory (``chroot``, then ``chdir("/")``: its
    root and cwd pin that mount, so a plain umount of it is ``EBUSY``), serving
    ``open_proc``/``read``/``lseek``/``poll``/``close``/``read_proc`` of ``/proc/self/``
    (``/proc`` is opened before the chroot) on a pipe pair, framed as the worker's."""

    def __init__(self, pid: int, rfd: int, wfd: int) -> None:
        self.pid, self.rfd, self.wfd = pid, rfd, wfd

    @classmethod
    def start(cls, path: bytes, keep_out: list[int]) -> _Jail:
        c_read, p_write = os.pipe()
        p_read, c_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 0
            try:
                for fd in (p_read, p_write, *keep_out):
                    os.close(fd)
                syscalls.prctl_set_pdeathsig(signal.SIGKILL)
                proc = os.open("/proc", os.O_PATH | os.O_DIRECTORY)
                os.chroot(path)
                os.chdir("/")
                send(c_write, ("ok", os.getpid()))
                _serve_jail(c_read, c_write, proc)
            except BaseException as err:  # noqa: BLE001 -- the reply says what failed
                code = 1
                try:
                    send(c_write, _error(err))
                except OSError:
                    pass
            finally:
                os._exit(code)
        os.close(c_read)
        os.close(c_write)
        j = cls(pid, p_read, p_write)
        try:
            j._reply()
        except BaseException:
            j.stop()
            raise
        return j

    def _reply(self) -> Any:
        try:
            reply: Any = recv(self.rfd)
        except EOFError:
            raise RuntimeError(f"the process chrooted by the sandbox (pid {self.pid}) is gone") from None
        return result_of(reply, RuntimeError)

    def call(self, op: str, *args: Any) -> Any:
        send(self.wfd, (op, args))
        return self._reply()

    def stop(self) -> None:
        for fd in (self.rfd, self.wfd):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def _serve_jail(rfd: int, wfd: int, proc: int) -> None:
    """A jail's process: answer until the worker closes the pipe."""
    while True:
        try:
            message: Any = recv(rfd)
        except EOFError:
            return
        op: str = message[0]
        args: tuple[Any, ...] = message[1]
        try:
            if op == "open_proc":
                _check_proc_file(args[0])
                value: Any = os.open(f"self/{args[0]}", os.O_RDONLY | os.O_CLOEXEC, dir_fd=proc)
            elif op == "read_proc":
                _check_proc_file(args[0])
                value = _Files.read_proc("self", args[0], args[1], dir_fd=proc)
            elif op in ("read", "lseek", "poll", "close"):
                value = getattr(_Files, op)(*args)
            else:
                raise ValueError(f"unknown jail command {op!r}")
            send(wfd, ("ok", value))
        except Exception as err:  # noqa: BLE001 -- every failure goes back to the worker
            send(wfd, _error(err))


class Worker:
    """The command handlers; each public method is one ``op``."""

    def __init__(self, root: bytes, rfd: int = -1, wfd: int = -1) -> None:
        self.root = root
        self.rfd, self.wfd = rfd, wfd  # the command pipes (a jail's process closes them)
        self.fds: set[int] = set()
        self.remote: dict[int, tuple[_Jail, int]] = {}  # handle -> (jail, its fd)
        self.last_remote = _REMOTE
        self.jails: dict[bytes, _Jail] = {}
        self.base: list[MountFacts] = []
        self._churn: threading.Thread | None = None
        self._churn_stop = threading.Event()
        self._churn_stats: dict[str, int] = {}
        self._watch: threading.Thread | None = None
        self._watch_stop = threading.Event()
        self._batches: list[WatchBatch] = []
        self.children: list[tuple[int, int]] = []  # slave_copy's processes, and the pipe that holds each
        self._stepped: Watch | None = None

    # ---- helpers --------------------------------------------------------------------
    def _path(self, path: str | bytes) -> bytes:
        raw = os.fsencode(path)
        return raw if raw.startswith(b"/") else os.path.join(self.root, raw)

    def _facts(self, path: bytes) -> MountFacts:
        st = syscalls.statx_mount(path)
        return MountFacts(path, st.mnt_id, st.unique_id, st.dev_major, st.dev_minor, st.mount_root)

    def _target(self, target: str | bytes, mkdir: bool) -> bytes:
        path = self._path(target)
        if mkdir:
            os.makedirs(path, exist_ok=True)
        return path

    # ---- mounts ---------------------------------------------------------------------
    def setup(self, n: int) -> dict[str, Any]:
        syscalls.mount(b"mountcursor-sandbox", self.root, b"tmpfs", 0, b"mode=0755")
        for i in range(n):
            self.base.append(self.mount_tmpfs(b"m%05d" % i, source=b"sandbox"))
            _hook("setup")
        return self.info()

    def info(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "root": self.root, "base": list(self.base), "root_mount": self._facts(self.root)}

    def mount(self, source: bytes | None, target: bytes, fstype: bytes | None, flags: int = 0,
              data: bytes | None = None, mkdir: bool = True) -> MountFacts:
        path = self._target(target, mkdir)
        syscalls.mount(source, path, fstype, flags, data)
        return self._facts(path)

    def mount_tmpfs(self, target: bytes, source: bytes = b"tmpfs", data: bytes | None = None,
                    flags: int = 0, mkdir: bool = True) -> MountFacts:
        return self.mount(source, target, b"tmpfs", flags, data, mkdir)

    def mount_fs(self, fstype: bytes, target: bytes, options: Iterable[tuple[str | bytes, str | bytes | None]] = (),
                 source: bytes | None = None,
                 mkdir: bool = True) -> MountFacts:
        path = self._target(target, mkdir)
        syscalls.mount_fs(fstype, path, list(options), source)
        return self._facts(path)

    def bind(self, source: bytes, target: bytes, recursive: bool = False, mkdir: bool = True) -> MountFacts:
        src = self._path(source)
        path = self._path(target)
        if mkdir and not os.path.lexists(path):
            if os.path.isdir(src):
                os.makedirs(path)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "wb").close()
        syscalls.mount(src, path, None, MS_BIND | (MS_REC if recursive else 0))
        return self._facts(path)

    def umount(self, target: bytes, lazy: bool = False, recursive: bool = False) -> None:
        path = self._path(target)
        if recursive and not lazy:
            table = snapshot(consistency="best-effort").table
            top = table.top(path)
            if top is not None:
                for e in reversed(table.descendants(top)):
                    syscalls.umount2(e.target)
        syscalls.umount2(path, MNT_DETACH if lazy else 0)

    def move(self, source: bytes, target: bytes, mkdir: bool = True) -> MountFacts:
        path = self._target(target, mkdir)
        syscalls.mount(self._path(source), path, None, MS_MOVE)
        return self._facts(path)

    def make(self, target: bytes, kind: str, recursive: bool = False) -> None:
        if kind not in _MAKE_FLAGS:
            raise ValueError(f"propagation must be one of {sorted(_MAKE_FLAGS)}, got {kind!r}")
        syscalls.mount(None, self._path(target), None, _MAKE_FLAGS[kind] | (MS_REC if recursive else 0))

    def stat(self, path: bytes) -> MountFacts:
        return self._facts(self._path(path))

    def mkdir(self, path: bytes) -> bytes:
        full = self._path(path)
        os.makedirs(full, exist_ok=True)
        return full

    # ---- proc files -----------------------------------------------------------------
    def open_proc(self, name: str = "mountinfo", pid: int | str = "self", jail: bytes | None = None) -> int:
        """Open ``/proc/<pid>/<name>`` here, or with ``jail`` ``/proc/self/<name>`` in the
        process chrooted there (:meth:`jail`): a handle for :meth:`read` and the others."""
        _check_proc_file(name)
        if jail is not None:
            j = self._jail(jail)
            self.last_remote += 1
            handle = self.last_remote
            self.remote[handle] = (j, j.call("open_proc", name))
            return handle
        fd = os.open(f"/proc/{pid}/{name}", os.O_RDONLY | os.O_CLOEXEC)
        self.fds.add(fd)
        return fd

    def _fd(self, handle: int) -> int:
        if handle not in self.fds:
            raise ValueError(f"no open proc file with handle {handle}")
        return handle

    def _on(self, op: str, handle: int, *args: Any) -> Any:
        """``op`` on a handle: a file here, or one a jail's process opened."""
        if handle in self.remote:
            j, fd = self.remote[handle]
            return j.call(op, fd, *args)
        return getattr(_Files, op)(self._fd(handle), *args)

    def read(self, handle: int, size: int) -> bytes:
        return self._on("read", handle, size)  # type: ignore[no-any-return]

    def lseek(self, handle: int, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._on("lseek", handle, offset, whence)  # type: ignore[no-any-return]

    def poll(self, handle: int, events: int = syscalls.POLLPRI, timeout_ms: int = 0) -> int:
        return self._on("poll", handle, events, timeout_ms)  # type: ignore[no-any-return]

    def close(self, handle: int) -> None:
        self._on("close", handle)
        self.fds.discard(handle)
        self.remote.pop(handle, None)

    def read_proc(self, name: str = "mountinfo", size: int = 1 << 20, pid: int | str = "self",
                  jail: bytes | None = None) -> bytes:
        """The whole ``/proc/<pid>/<name>``, or with ``jail`` the whole ``/proc/self/<name>``
        as the process chrooted there reads it."""
        _check_proc_file(name)
        if jail is not None:
            return self._jail(jail).call("read_proc", name, size)  # type: ignore[no-any-return]
        return _Files.read_proc(f"/proc/{pid}", name, size)

    # ---- processes chrooted into a subtree ------------------------------------------
    def jail(self, path: bytes) -> int:
        """The pid of a process chrooted into ``path`` (relative ones under the root), started
        on the first call for ``path`` and alive until the worker exits: its root stays the
        mount and directory ``path`` led to then, whatever is mounted or unmounted later.
        Files it opens (``open_proc(name, jail=path)``) have that root; so does its
        ``/proc/<pid>/`` opened here."""
        return self._jail(path).pid

    def _jail(self, path: bytes) -> _Jail:
        key = self._path(path)
        j = self.jails.get(key)
        if j is None:
            j = self.jails[key] = _Jail.start(key, self._keep_out())
        return j

    def _keep_out(self) -> list[int]:
        """The fds a jail's process closes: the command pipes, open files, other jails' pipes."""
        return [fd for fd in (self.rfd, self.wfd) if fd >= 0] + sorted(self.fds) + \
            [fd for o in self.jails.values() for fd in (o.rfd, o.wfd)]

    def read_proc_chrooted(self, name: str, root: bytes, size: int = 1 << 20) -> bytes:
        """The whole ``/proc/self/<name>`` as a child process reads it after ``chroot(root)``
        (``/proc`` is opened before, the file after: its reader's root is ``root``)."""
        return b"".join(self.read_proc_chrooted_reads(name, root, [size]))

    def read_proc_chrooted_reads(self, name: str, root: bytes, sizes: list[int]) -> list[bytes]:
        """What each ``read()`` returned, to EOF, as :meth:`read_proc_chrooted`'s child reads:
        the read sizes are ``sizes`` in turn, over and over."""
        _check_proc_file(name)
        if not sizes or min(sizes) < 1:
            raise ValueError(f"read sizes must be at least 1 byte, got {sizes!r}")
        path = self._path(root)

        def child(out: int) -> None:
            proc = os.open("/proc", os.O_PATH | os.O_DIRECTORY)
            os.chroot(path)
            os.chdir("/")
            fd = os.open(f"self/{name}", os.O_RDONLY, dir_fd=proc)
            reads: list[bytes] = []
            while chunk := os.read(fd, sizes[len(reads) % len(sizes)]):
                reads.append(chunk)
            _write_all(out, pickle.dumps(reads, protocol=pickle.HIGHEST_PROTOCOL))

        reads = pickle.loads(_child_output(child, f"reading /proc/self/{name} chrooted into {path!r}"))
        return reads  # type: ignore[no-any-return]

    def snapshot(self, **kwargs: Any) -> Snapshot:
        return snapshot(**kwargs)

    def snapshot_chrooted(self, root: bytes, **kwargs: Any) -> Snapshot:
        """``snapshot(**kwargs)`` taken by a child process after ``chroot(root)`` (``root``
        needs its own ``/proc``): the reader's root decides which mounts are shown, their
        mount points and ``propagate_from``, for mountinfo and statmount alike."""
        path = self._path(root)

        def child(out: int) -> None:
            os.chroot(path)
            os.chdir("/")
            snap = snapshot(**kwargs)
            snap.table  # noqa: B018 -- built here, where the table is read
            _write_all(out, pickle.dumps(snap, protocol=pickle.HIGHEST_PROTOCOL))

        snap = pickle.loads(_child_output(child, f"snapshot() chrooted into {path!r}"))
        return snap  # type: ignore[no-any-return]

    # ---- table shapes (benchmarks/backend.py, the auto tests) --------------------------
    def peer_groups(self, groups: int, peers: int, where: bytes = b"peers") -> int:
        """``groups`` shared tmpfs under ``where``, each bound ``peers - 1`` times more
        beside it: ``groups`` peer groups of ``peers`` mounts.  Returns the mounts made."""
        top = self._target(where, True)
        for g in range(groups):
            first = os.path.join(top, b"g%05d" % g)
            os.mkdir(first)
            syscalls.mount(b"peer", first, b"tmpfs", 0, None)
            syscalls.mount(None, first, None, MS_SHARED)
            for p in range(1, peers):
                bound = os.path.join(top, b"g%05dp%05d" % (g, p))
                os.mkdir(bound)
                syscalls.mount(first, bound, None, MS_BIND)
        return groups * peers

    def containers(self, count: int, layers: int = 4, where: bytes = b"overlay2") -> int:
        """A container host: ``count`` overlayfs roots on ``layers`` shared lower layers
        (directories named as Docker's overlay2 names them: a 64-hex id), each with
        ``/dev``, ``/dev/shm`` and ``/run`` tmpfs inside.  Returns the mounts made."""
        top = self._target(where, True)
        lower = []
        for i in range(layers):
            layer = os.path.join(top, (b"%064x" % (0x5EED0000 + i)), b"diff")
            os.makedirs(layer)
            lower.append(layer)
        for c in range(count):
            box = os.path.join(top, b"%064x" % (0xC0FFEE000000 + c))
            upper, work, merged = (os.path.join(box, name) for name in (b"diff", b"work", b"merged"))
            for d in (upper, work, merged):
                os.makedirs(d)
            syscalls.mount(b"overlay", merged, b"overlay", 0,
                           b"lowerdir=" + b":".join(lower) + b",upperdir=" + upper + b",workdir=" + work)
            for sub, source in ((b"dev", b"tmpfs"), (b"dev/shm", b"shm"), (b"run", b"tmpfs")):
                path = os.path.join(merged, sub)
                os.makedirs(path, exist_ok=True)
                syscalls.mount(source, path, b"tmpfs", 0, b"mode=755")
        return count * 4

    def slave_copy(self) -> int:
        """A child process in a copy of this namespace with every mount made a slave
        (``unshare -m --propagation slave``): a service's or container's namespace on
        a host.  Returns its pid; it lives until the sandbox closes."""
        ready_r, ready_w = os.pipe()
        hold_r, hold_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: only system calls, then wait for the worker to go
            try:
                os.close(ready_r)
                os.close(hold_w)
                syscalls.prctl_set_pdeathsig(signal.SIGKILL)
                syscalls.unshare(syscalls.CLONE_NEWNS)
                syscalls.mount(None, b"/", None, MS_REC | MS_SLAVE)
                os.write(ready_w, b"1")
                os.read(hold_r, 1)
            finally:
                os._exit(0)
        os.close(ready_w)
        os.close(hold_r)
        ok = os.read(ready_r, 1)
        os.close(ready_r)
        self.children.append((pid, hold_w))
        if ok != b"1":
            raise OSError(errno.ECHILD, "the slave copy's process did not start")
        return pid

    # ---- churn ----------------------------------------------------------------------
    def churn_start(self, where: bytes = b"churn", live: int = 4, depth: int = 2, pause: float = 0.0) -> None:
        """Mount and lazily unmount small trees of tmpfs under ``where`` until stopped.

        Keeps about ``live`` trees of ``depth`` nested mounts; each step mounts a new
        tree and detaches the oldest.
        """
        if self._churn is not None:
            raise RuntimeError("churn is already running")
        base = self.mkdir(where)
        self._churn_stop.clear()
        self._churn_stats = {"mounts": 0, "umounts": 0}

        def run() -> None:
            trees: list[bytes] = []
            i = 0
            while not self._churn_stop.is_set():
                top = os.path.join(base, b"t%d" % i)
                path = top
                for level in range(depth):
                    os.makedirs(path, exist_ok=True)
                    syscalls.mount(b"churn", path, b"tmpfs", 0, None)
                    self._churn_stats["mounts"] += 1
                    path = os.path.join(path, b"d%d" % level)
                trees.append(top)
                i += 1
                if len(trees) > live:
                    syscalls.umount2(trees.pop(0), MNT_DETACH)
                    self._churn_stats["umounts"] += depth
                if pause:
                    time.sleep(pause)
            for top in trees:
                syscalls.umount2(top, MNT_DETACH)
                self._churn_stats["umounts"] += depth

        self._churn = threading.Thread(target=run, name="churn", daemon=True)
        self._churn.start()

    def churn_stop(self) -> dict[str, int]:
        if self._churn is None:
            raise RuntimeError("churn is not running")
        self._churn_stop.set()
        self._churn.join()
        self._churn = None
        return dict(self._churn_stats)

    def storm(self, where: bytes = b"storm", n: int = 1000, live: int = 8, seed: int = 1,
              pause: float = 0.0) -> list[tuple[str, bytes]]:
        """``n`` tmpfs mounts at fresh paths under ``where``, each unmounted (plainly or
        lazily, at random) once ``live`` newer ones are up, the rest at the end: ``n``
        mounts and ``n`` umounts as fast as this process makes them (``pause`` seconds
        after each mount); the operations made, in order."""
        import random

        rng = random.Random(seed)
        base = self.mkdir(where)
        ops: list[tuple[str, bytes]] = []
        held: list[bytes] = []
        for i in range(n):
            path = os.path.join(base, b"s%d" % i)
            os.mkdir(path)
            syscalls.mount(b"storm", path, b"tmpfs", 0, None)
            ops.append(("mount", path))
            held.append(path)
            if pause:
                time.sleep(pause)
            while len(held) > live or (i == n - 1 and held):
                victim = held.pop(rng.randrange(len(held)) if len(held) > live else 0)
                syscalls.umount2(victim, MNT_DETACH if rng.random() < 0.5 else 0)
                ops.append(("umount", victim))
        return ops

    # ---- watching from inside -------------------------------------------------------
    def watch_start(self, source: Literal["auto", "poll", "reread", "fanotify"] = "auto", min_interval: float = 0.0) -> None:
        """Run :func:`~mountcursor.live.watcher.watch` on this namespace in a thread."""
        if self._watch is not None:
            raise RuntimeError("a watch is already running")
        self._watch_stop.clear()
        self._batches = []
        w = watch(source=source, min_interval=min_interval, stop=self._watch_stop)  # reads the first table

        def run() -> None:
            with w:
                for batch in w:
                    self._batches.append(batch)

        self._watch = threading.Thread(target=run, name="watch", daemon=True)
        self._watch.start()

    def watch_stop(self, settle: float = 0.3) -> list[WatchBatch]:
        """Stop the watch (after ``settle`` seconds) and return its batches."""
        if self._watch is None:
            raise RuntimeError("no watch is running")
        time.sleep(settle)
        self._watch_stop.set()
        self._watch.join()
        self._watch = None
        return self._batches

    def watch_open(self, source: Literal["auto", "poll", "reread", "fanotify"] = "auto") -> str:
        """A watch of this namespace that the caller steps (:meth:`watch_read`); its
        source (``poll`` if fanotify fell back)."""
        if self._stepped is not None:
            raise RuntimeError("a stepped watch is already open")
        self._stepped = watch(source=source, min_interval=0.0)
        return self._stepped.source

    def watch_read(self, lose_events: bool = False) -> WatchBatch | None:
        """``read()`` of the stepped watch.  ``lose_events`` (fanotify): the queued
        events are dropped and one ``FAN_Q_OVERFLOW`` is read instead, as the kernel
        does when its queue overflows."""
        w = self._stepped
        if w is None:
            raise RuntimeError("no stepped watch is open")
        if not lose_events:
            return w.read()
        impl = w._source()
        while syscalls.poll_fd(impl.fd, select.POLLIN, 0):
            os.read(impl.fd, 65536)  # lost
        events = impl.collect_raw([syscalls.FanotifyEvent(syscalls.FAN_Q_OVERFLOW, None)])  # type: ignore[union-attr]
        return WatchBatch(tuple(events), impl.batch_table(), impl.name, time.time()) if events else None

    def watch_close(self) -> None:
        if self._stepped is not None:
            self._stepped.close()
            self._stepped = None

    # ---- exit -----------------------------------------------------------------------
    def cleanup(self) -> None:
        for pid, hold in self.children:
            os.close(hold)  # EOF: the child exits, and its namespace with it
            os.waitpid(pid, 0)
        self.children.clear()
        self._watch_stop.set()
        self.watch_close()
        if self._churn is not None:
            self._churn_stop.set()
            self._churn.join(5)
        for fd in list(self.fds):
            os.close(fd)
        self.fds.clear()
        for j in self.jails.values():
            j.stop()
        self.jails.clear()
        self.remote.clear()
        try:
            syscalls.umount2(self.root, MNT_DETACH)
        except OSError:
            pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _child_output(child: Callable[[int], None], what: str) -> bytes:
    """What ``child(fd)`` writes to ``fd`` in a forked child process (which may chroot:
    it never returns); an OSError there comes back as one naming ``what``."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(rfd)
            child(wfd)
        except OSError as e:
            code = min(e.errno or 1, 255)
        except BaseException:  # noqa: BLE001 -- anything else: a status the parent names
            code = 255
        finally:
            os._exit(code)
    os.close(wfd)
    parts = []
    try:
        while chunk := os.read(rfd, 1 << 16):
            parts.append(chunk)
    finally:
        os.close(rfd)
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return b"".join(parts)


def _serve(rfd: int, wfd: int, worker: Worker) -> None:
    while True:
        _hook("idle")
        try:
            message: Any = recv(rfd)
            op, args, kwargs = message
        except EOFError:
            return
        if op == "exit":
            worker.cleanup()
            send(wfd, ("ok", None))
            return
        handler = getattr(worker, op, None) if not op.startswith("_") else None
        try:
            if handler is None or op in ("setup", "cleanup"):
                raise ValueError(f"unknown sandbox command {op!r}")
            _hook("command")
            value = handler(*args, **kwargs)
            _hook("reply")
            send(wfd, ("ok", value))
        except Exception as err:  # noqa: BLE001 -- every failure goes back to the caller
            send(wfd, _error(err))


def _error(err: BaseException) -> tuple[str, int | None, str, str]:
    if isinstance(err, OSError) and err.errno is not None:
        return ("err", err.errno, type(err).__name__, err.strerror or str(err))
    return ("err", None, type(err).__name__, str(err))


def result_of(reply: Any, failure: type[Exception]) -> Any:
    """The value of a reply (``("ok", value)``), or its error raised again: an
    :class:`OSError` with its errno, anything else as ``failure`` (the inverse of
    :func:`_error`)."""
    if reply[0] == "ok":
        return reply[1]
    _, code, kind, message = reply
    if code is not None:
        raise OSError(code, message)
    raise failure(f"{kind}: {message}")


def main(argv: list[str]) -> int:
    rfd, wfd, parent, n = (int(a) for a in argv[1:5])
    root = os.fsencode(argv[5])
    syscalls.prctl_set_pdeathsig(signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        return 1
    signal.signal(signal.SIGTERM, _quiet_exit)
    signal.signal(signal.SIGINT, _quiet_exit)
    worker = Worker(root, rfd, wfd)
    try:
        syscalls.unshare(syscalls.CLONE_NEWNS)
        # Before anything is mounted: nothing may propagate back to the host.
        syscalls.mount(None, b"/", None, MS_REC | MS_PRIVATE)
        info = worker.setup(n)
    except Exception as err:  # noqa: BLE001
        send(wfd, _error(err))
        return 1
    send(wfd, ("ok", info))
    try:
        _serve(rfd, wfd, worker)
    finally:
        worker.cleanup()
    return 0


if __name__ == "__main__":
    # Run the module under its package name, so pickled classes (MountFacts) resolve.
    from mountcursor.verify import _sandbox_worker

    sys.exit(_sandbox_worker.main(sys.argv))
