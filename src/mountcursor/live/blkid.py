"""The system's libblkid through ctypes: device tags as findmnt and libmount find them.

    evaluate_tag("LABEL", b"root")   # -> b"/dev/vda1" (udev links, else a scan), or None
    read_tags(b"/dev/vda1")          # -> Tags(values={"LABEL": b"root", "TYPE": b"ext4", ...}, errno=0)
    sources(b"UUID", b"1234")        # -> every device holding the tag (findmnt's SOURCES)
    unavailable()                    # -> None, or why libblkid cannot be used here

findmnt resolves ``LABEL=``/``UUID=``/``PARTUUID=``/``PARTLABEL=`` with libmount's
``mnt_resolve_tag`` (``blkid_evaluate_tag``: the udev link in ``/dev/disk/by-*``
checked to be a block device, then libblkid's scan of every device), and fills the
LABEL, UUID, PARTUUID and PARTLABEL columns and ``--verify``'s on-disk type with
libmount's ``mnt_cache_read_tags`` (a probe of the device's superblock and partition
entry, read once per device).  Both are done here the same way, with the same library
(``libblkid.so.1``, or the file ``$MOUNTCURSOR_LIBBLKID`` names), so a container or a
VM without udev finds what findmnt finds.  Follows util-linux 2.38.1
``libmount/src/cache.c`` (``mnt_cache_read_tags``, ``mnt_resolve_tag``,
``mnt_get_fstype``), ``libblkid/src/evaluate.c`` and ``misc-utils/findmnt.c``
(``get_data_col_sources``): read for behaviour, written anew.

Where the library cannot be loaded, :mod:`mountcursor.live.devices` falls back to
the udev links alone, and :func:`say_missing` says so once, in one line.
"""

from __future__ import annotations

import ctypes
import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)

__all__ = ["LIBRARY", "TAGS", "Tags", "unavailable", "say_missing", "evaluate_tag", "read_tags", "sources"]

LIBRARY = "libblkid.so.1"
"""The library loaded, unless ``$MOUNTCURSOR_LIBBLKID`` names another file (empty: none)."""

TAGS = ("LABEL", "UUID", "TYPE", "PARTUUID", "PARTLABEL")
"""The tags libmount reads of a device, and the probe's names for them (below)."""
_PROBE_NAMES = (b"LABEL", b"UUID", b"TYPE", b"PART_ENTRY_UUID", b"PART_ENTRY_NAME")

# blkid.h: superblock and partition probing flags
_SUBLKS_LABEL, _SUBLKS_UUID, _SUBLKS_TYPE = 1 << 1, 1 << 3, 1 << 5
_PARTS_ENTRY_DETAILS = 1 << 2

_lib: ctypes.CDLL | None = None
_libc: ctypes.CDLL | None = None
_why_not: str | None = None
_loaded = False
_said = False
_cache = ctypes.c_void_p()      # libmount's cache->bc: libblkid's cache of the scan, kept for the process
_scan_cache = ctypes.c_void_p()  # findmnt's blk_cache (SOURCES): every device probed once
_tags: dict[bytes, Tags] = {}    # libmount's MNT_CACHE_TAGREAD entries: a device's tags, read once
# (libmount probes again a device that had none, to the same answer: here it is kept too)
_evaluated: dict[tuple[str, bytes], bytes] = {}  # libmount's cache of tags resolved to devices


class Tags:
    """What a probe of a device found: ``values`` (tag name to value, for the tags it
    has) and, when it found nothing, ``errno`` (as the C library left it; 0 if none)."""

    __slots__ = ("values", "errno")

    def __init__(self, values: dict[str, bytes], errno: int) -> None:
        self.values = values
        self.errno = errno


def _load() -> ctypes.CDLL | None:
    global _lib, _libc, _why_not, _loaded
    if _loaded:
        return _lib
    _loaded = True
    name = os.environ.get("MOUNTCURSOR_LIBBLKID", LIBRARY)
    if not name:
        _why_not = "libblkid disabled ($MOUNTCURSOR_LIBBLKID is empty)"
        return None
    try:
        lib = ctypes.CDLL(name, use_errno=True)
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as err:
        _why_not = f"libblkid not loaded ({err})"
        return None
    vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for fn, res, args in (
            ("blkid_evaluate_tag", vp, (cp, cp, ctypes.POINTER(vp))),
            ("blkid_new_probe_from_filename", vp, (cp,)),
            ("blkid_probe_enable_superblocks", i, (vp, i)),
            ("blkid_probe_set_superblocks_flags", i, (vp, i)),
            ("blkid_probe_enable_partitions", i, (vp, i)),
            ("blkid_probe_set_partitions_flags", i, (vp, i)),
            ("blkid_do_safeprobe", i, (vp,)),
            ("blkid_probe_lookup_value", i, (vp, cp, ctypes.POINTER(cp), ctypes.POINTER(ctypes.c_size_t))),
            ("blkid_free_probe", None, (vp,)),
            ("blkid_get_cache", i, (ctypes.POINTER(vp), cp)),
            ("blkid_probe_all", i, (vp,)),
            ("blkid_get_tag_value", vp, (vp, cp, cp)),
            ("blkid_dev_iterate_begin", vp, (vp,)),
            ("blkid_dev_set_search", i, (vp, cp, cp)),
            ("blkid_dev_next", i, (vp, ctypes.POINTER(vp))),
            ("blkid_verify", vp, (vp, vp)),
            ("blkid_dev_devname", cp, (vp,)),
            ("blkid_dev_iterate_end", None, (vp,))):
        try:
            func = getattr(lib, fn)
        except AttributeError:
            _why_not = f"libblkid not usable ({name} has no {fn})"
            return None
        func.restype = res
        func.argtypes = args
    libc.free.restype = None
    libc.free.argtypes = (vp,)
    _lib, _libc = lib, libc
    return lib


def unavailable() -> str | None:
    """Why libblkid cannot be used here, or None when it can."""
    _load()
    return _why_not


def say_missing() -> None:
    """Say once, in one line on stderr, that tags come from the udev links alone."""
    global _said
    if _said or unavailable() is None:
        return
    _said = True
    from ..status import say

    say(f"{_why_not}: tags and LABEL/UUID/PARTUUID/PARTLABEL from /dev/disk/by-* links only")


def _take(ptr: int | None) -> bytes | None:
    """A string libblkid allocated, copied and freed."""
    if not ptr:
        return None
    assert _libc is not None
    value = ctypes.string_at(ptr)
    _libc.free(ptr)
    return value


def evaluate_tag(name: str, value: bytes) -> bytes | None:
    """libmount's ``mnt_resolve_tag``: ``blkid_evaluate_tag(NAME, value)``, the device
    holding the tag (the udev link, else libblkid's scan of the devices), or None; a
    device found is kept for the process.  Requires the library."""
    found = _evaluated.get((name, value))
    if found is not None:
        return found
    lib = _load()
    assert lib is not None, "evaluate_tag without libblkid"
    found = _take(lib.blkid_evaluate_tag(name.encode(), value, ctypes.byref(_cache)))
    if found is not None:
        _evaluated[(name, value)] = found
    return found


def read_tags(devname: bytes) -> Tags:
    """libmount's ``mnt_cache_read_tags``: probe ``devname`` (a file, usually a block
    device) for LABEL, UUID, TYPE, PARTUUID and PARTLABEL, once per device for the
    process (a device that cannot be probed too: 10,000 tmpfs rows of source ``tmpfs``
    try one file).  Requires the library."""
    cached = _tags.get(devname)
    if cached is not None:
        return cached
    lib = _load()
    assert lib is not None, "read_tags without libblkid"
    ctypes.set_errno(0)
    values: dict[str, bytes] = {}
    pr = lib.blkid_new_probe_from_filename(devname)
    if not pr:
        tags = _tags[devname] = Tags(values, ctypes.get_errno())
        return tags
    try:
        lib.blkid_probe_enable_superblocks(pr, 1)
        lib.blkid_probe_set_superblocks_flags(pr, _SUBLKS_LABEL | _SUBLKS_UUID | _SUBLKS_TYPE)
        lib.blkid_probe_enable_partitions(pr, 1)
        lib.blkid_probe_set_partitions_flags(pr, _PARTS_ENTRY_DETAILS)
        if lib.blkid_do_safeprobe(pr) == 0:
            data = ctypes.c_char_p()
            for tag, probe_name in zip(TAGS, _PROBE_NAMES):
                found = lib.blkid_probe_lookup_value(pr, probe_name, ctypes.byref(data), None) == 0
                if found and data.value is not None:
                    values[tag] = data.value
    finally:
        lib.blkid_free_probe(pr)
    tags = _tags[devname] = Tags(values, 0 if values else ctypes.get_errno())
    return tags


def sources(tag: bytes, value: bytes | None, device: bytes | None) -> list[bytes] | None:
    """findmnt's ``get_data_col_sources``: every device libblkid's cache (all devices
    probed once) holds with ``tag=value``; with no value, the UUID of ``device`` first.
    None when that UUID is unknown.  Requires the library."""
    lib = _load()
    assert lib is not None, "sources without libblkid"
    if not _scan_cache:
        if lib.blkid_get_cache(ctypes.byref(_scan_cache), None) != 0:
            return None
        lib.blkid_probe_all(_scan_cache)
    if value is None:
        tag = b"UUID"
        value = _take(lib.blkid_get_tag_value(_scan_cache, tag, device))
        if value is None:
            return None
    out: list[bytes] = []
    it = lib.blkid_dev_iterate_begin(_scan_cache)
    lib.blkid_dev_set_search(it, tag, value)
    dev = ctypes.c_void_p()
    while lib.blkid_dev_next(it, ctypes.byref(dev)) == 0:
        verified = lib.blkid_verify(_scan_cache, dev)
        if not verified:
            continue
        name = lib.blkid_dev_devname(verified)
        if name is not None:
            out.append(name)
    lib.blkid_dev_iterate_end(it)
    return out
