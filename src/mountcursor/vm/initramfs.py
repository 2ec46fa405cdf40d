"""The guest's initramfs: busybox, the kernel's virtio/9p modules, and ``/init``.

Debian's kernel packages ship no ``modules.dep`` (``depmod`` runs at install), so the
load order comes from each module's own ``.modinfo`` section: its ``depends=`` field
(what ``modinfo -F depends`` prints; written by ``scripts/mod/modpost.c``).
:func:`load_order` walks those from :data:`WANTED`, dependencies first, leaving out the
modules ``modules.builtin`` names (on 6.12 the virtio core and virtio_pci are built in).
Compressed modules (``.ko.xz`` on 6.12) are decompressed here: busybox's ``insmod``
hands the file to ``init_module(2)`` as it is.

``/init`` (:func:`init_script`) loads them, mounts the host's ``/`` over 9p read-only
(tag :data:`ROOT_TAG`, ``cache=loose``) with ``/proc``, ``/sys``, ``/dev``, ``/tmp`` and
``/run`` on it, mounts the writable results share (tag :data:`OUT_TAG`) on
:data:`GUEST_OUT`, and ``switch_root``\\ s to a shell (PID 1) that runs ``job`` from the
share, writes its status beside its output and powers off through sysrq.

The archive is ``newc`` cpio (``Documentation/driver-api/early-userspace/buffer-format.rst``),
written here so that no cpio tool and no device-node privilege is needed.
"""

from __future__ import annotations

import gzip
import lzma
import os
import struct
import subprocess

ROOT_TAG = "hostroot"
OUT_TAG = "vmout"
GUEST_OUT = "/run/mountcursor-vm"
INIT_VERSION = 2
"""Bumped whenever :func:`init_script` changes: the cached initramfs is named after it."""
#: the modules the guest needs: the 9p filesystem, its virtio transport, the PCI virtio bus
WANTED = ("virtio_pci", "9pnet_virtio", "9p")


class InitramfsError(RuntimeError):
    """A module that cannot be found or read."""


def modinfo(data: bytes) -> dict[str, str]:
    """The ``key=value`` strings of an ELF64 module's ``.modinfo`` section."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise InitramfsError("not an ELF64 object")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i: int) -> tuple[int, int, int]:
        name, _t, _f, _a, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        return name, off, size

    _, stroff, _ = section(shstrndx)
    for i in range(shnum):
        name, off, size = section(i)
        end = data.index(b"\0", stroff + name)
        if data[stroff + name:end] == b".modinfo":
            out: dict[str, str] = {}
            for item in data[off:off + size].split(b"\0"):
                key, sep, value = item.partition(b"=")
                if sep:
                    out.setdefault(key.decode(), value.decode(errors="replace"))
            return out
    raise InitramfsError("no .modinfo section")


def module_name(filename: str) -> str:
    """``virtio_pci.ko.xz`` -> ``virtio_pci`` (``-`` and ``_`` are one in module names)."""
    return filename.split(".ko", 1)[0].replace("-", "_")


def index_modules(modules_dir: str) -> dict[str, str]:
    """module name -> file, for every ``.ko``/``.ko.xz``/``.ko.zst`` under ``modules_dir``."""
    out = {}
    for top, _dirs, files in os.walk(modules_dir):
        for f in files:
            if ".ko" in f:
                out[module_name(f)] = os.path.join(top, f)
    return out


def builtin_modules(modules_dir: str) -> set[str]:
    """The names ``modules.builtin`` lists (``kernel/drivers/virtio/virtio.ko`` -> ``virtio``)."""
    try:
        with open(os.path.join(modules_dir, "modules.builtin"), encoding="utf-8") as fh:
            return {module_name(os.path.basename(line.strip())) for line in fh if line.strip()}
    except FileNotFoundError:
        return set()


def read_module(path: str) -> bytes:
    """A module file, decompressed (``.xz``, ``.gz``; ``.zst`` with the zstd tool)."""
    with open(path, "rb") as fh:
        data = fh.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    return data


def load_order(wanted: tuple[str, ...], depends: dict[str, list[str]], builtin: set[str]) -> list[str]:
    """``wanted`` and everything they depend on, each after its dependencies, built-in
    ones left out; ``depends`` maps a module to its ``depends=`` names."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name in builtin:
            return
        if name in path:
            raise InitramfsError(f"modules depend on each other in a circle: {' -> '.join(path + (name,))}")
        if name not in depends:
            raise InitramfsError(f"module {name} is neither in the package nor built in"
                                 + (f" (needed by {path[-1]})" if path else ""))
        for dep in depends[name]:
            visit(dep, path + (name,))
        seen.add(name)
        order.append(name)

    for name in wanted:
        visit(name, ())
    return order


def modules_for(modules_dir: str, wanted: tuple[str, ...] = WANTED) -> list[tuple[str, bytes]]:
    """(name, decompressed module) in load order, reading each needed module's ``depends=``."""
    files = index_modules(modules_dir)
    builtin = builtin_modules(modules_dir)
    depends: dict[str, list[str]] = {}
    blobs: dict[str, bytes] = {}
    todo = [w for w in wanted if w not in builtin]
    while todo:
        name = todo.pop()
        if name in depends or name in builtin or name not in files:
            continue
        try:
            blobs[name] = read_module(files[name])
            info = modinfo(blobs[name])
        except (InitramfsError, lzma.LZMAError, OSError, subprocess.CalledProcessError) as e:
            raise InitramfsError(f"{files[name]}: cannot read the module: {e}") from None
        depends[name] = [d for d in info.get("depends", "").split(",") if d]
        todo += depends[name]
    return [(n, blobs[n]) for n in load_order(tuple(w for w in wanted), depends, builtin)]


def init_script(modules: list[str]) -> str:
    """The text of ``/init`` (busybox sh), loading ``modules`` (``/modules/NN-name.ko``) in order."""
    loads = "".join(f"insmod /modules/{i:02d}-{name}.ko || fail 'insmod {name}'\n" for i, name in enumerate(modules))
    stage2 = (f"cd /; . {GUEST_OUT}/job >{GUEST_OUT}/stdout 2>{GUEST_OUT}/stderr; "
              f"echo $? >{GUEST_OUT}/status; sync; echo o >/proc/sysrq-trigger; "
              "while :; do sleep 1; done")
    return f"""#!/bin/busybox sh
# mountcursor vm: stage 1 (initramfs), then the job under the host's / (read-only 9p)
/bin/busybox --install -s /bin
export PATH=/bin
fail() {{ echo "mountcursor-vm: $1" >/dev/console; echo o >/proc/sysrq-trigger; sleep 5; }}
mount -t proc proc /proc
{loads}mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 {ROOT_TAG} /newroot || fail 'mount the host root'
mount -t proc proc /newroot/proc || fail 'mount /proc'
mount -t sysfs sysfs /newroot/sys || fail 'mount /sys'
mount -t devtmpfs devtmpfs /newroot/dev || fail 'mount /dev'
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp || fail 'mount /tmp'
mount -t tmpfs -o mode=755 tmpfs /newroot/run || fail 'mount /run'
mkdir -p /newroot{GUEST_OUT}
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 {OUT_TAG} /newroot{GUEST_OUT} || fail 'mount the results share'
if [ -f /newroot{GUEST_OUT}/shares ]; then
  while read -r tag dir; do
    mkdir -p "/newroot$dir" || fail "mkdir $dir"
    mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 "$tag" "/newroot$dir" || fail "mount $dir"
  done < /newroot{GUEST_OUT}/shares
fi
echo "mountcursor-vm: running the job" >/dev/console
umount /proc
exec switch_root /newroot /bin/sh -c '{stage2}'
"""


def _cpio_entry(name: str, mode: int, data: bytes = b"", ino: int = 0, rdev: tuple[int, int] = (0, 0)) -> bytes:
    raw = name.encode() + b"\0"
    head = b"070701" + b"".join(b"%08X" % v for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(raw), 0))
    pad = (4 - (len(head) + len(raw)) % 4) % 4
    return head + raw + b"\0" * pad + data + b"\0" * ((4 - len(data) % 4) % 4)


def cpio(dirs: list[str], files: list[tuple[str, int, bytes]], chardevs: list[tuple[str, int, int]]) -> bytes:
    """A ``newc`` archive of directories, (path, mode, data) files and character devices."""
    out = bytearray()
    ino = 1
    for d in dirs:
        out += _cpio_entry(d, 0o040755, ino=ino)
        ino += 1
    for path, mode, data in files:
        out += _cpio_entry(path, 0o100000 | mode, data, ino=ino)
        ino += 1
    for path, major, minor in chardevs:
        out += _cpio_entry(path, 0o020600, ino=ino, rdev=(major, minor))
        ino += 1
    out += _cpio_entry("TRAILER!!!", 0)
    return bytes(out)


def build(busybox: str, modules_dir: str) -> bytes:
    """The whole initramfs for one kernel."""
    mods = modules_for(modules_dir)
    with open(busybox, "rb") as fh:
        bb = fh.read()
    files = [("bin/busybox", 0o755, bb), ("init", 0o755, init_script([n for n, _ in mods]).encode())]
    files += [(f"modules/{i:02d}-{n}.ko", 0o644, blob) for i, (n, blob) in enumerate(mods)]
    return cpio(["bin", "dev", "proc", "sys", "newroot", "modules"], files, [("dev/console", 5, 1)])


def extract_vmlinux(bzimage: bytes) -> bytes | None:
    """The uncompressed ELF ``vmlinux`` inside a bzImage (xz in place; zstd with the zstd
    tool, as ``scripts/extract-vmlinux`` does), or None when none is found."""
    for magic in (b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"\x1f\x8b\x08"):
        start = bzimage.find(magic)
        while start != -1:
            out = _decompress(magic, bzimage[start:])
            if out is not None and out[:4] == b"\x7fELF":
                return out
            start = bzimage.find(magic, start + 1)
    return None


def _decompress(magic: bytes, data: bytes) -> bytes | None:
    try:
        if magic.startswith(b"\xfd7z"):
            return lzma.LZMADecompressor().decompress(data)
        if magic.startswith(b"\x1f\x8b"):
            return _gunzip(data)
        p = subprocess.run(["zstd", "-dc"], input=data, capture_output=True)
        return p.stdout or None
    except (lzma.LZMAError, OSError, EOFError):
        return None


def _gunzip(data: bytes) -> bytes:
    import zlib

    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
