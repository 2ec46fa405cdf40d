"""One mount as the kernel reports it: :class:`MountEntry`, and its options.

All path-like fields are raw ``bytes`` exactly as the kernel knows them (unescaped);
the ``*_str`` properties give ``os.fsdecode`` views (surrogateescape), so non-UTF-8
names survive a round trip through ``os.fsencode``.

Options are kept twice: the raw text the kernel printed (``vfs_options``, escaped,
as in field 6 of mountinfo; ``fs_options``, field 11) and split into
:class:`Option` items by :func:`split_options` (split on ``,`` first, then each name
and value unescaped, so an escaped ``\\054`` comma or ``=`` inside a value stays
inside it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import NamedTuple

from .optstr import merge_options, split_items

__all__ = ["MountEntry", "Option", "split_options", "merge_options", "DELETED_SUFFIX"]

DELETED_SUFFIX = b" (deleted)"
"""What ``d_path`` appends to the mount point of a mount whose dentry was deleted."""


class Option(NamedTuple):
    """One mount option: ``name`` and ``value`` (``None`` for a flag), unescaped bytes."""

    name: bytes
    value: bytes | None

    def __str__(self) -> str:
        text = os.fsdecode(self.name)
        return text if self.value is None else f"{text}={os.fsdecode(self.value)}"


def split_options(raw: bytes) -> tuple[Option, ...]:
    """Split a kernel option string into :class:`Option` items.

    >>> [str(o) for o in split_options(b"rw,size=4k,mode=755")]
    ['rw', 'size=4k', 'mode=755']
    >>> split_options(b'rw,context="system_u:object_r:container_file_t:s0:c314,c894"')[1].value
    b'"system_u:object_r:container_file_t:s0:c314,c894"'

    The string is cut on ``,`` before unescaping and each item on its first raw ``=``
    (the kernel escapes ``,`` in values and ``,``/``=`` in names, see
    ``seq_show_option``), except inside double quotes: SELinux prints a context that
    holds commas in quotes (``selinux_sb_show_options``), and libmount keeps such a
    value whole, quotes included, as kept here.  Empty items are dropped.
    """
    return tuple(Option(name, value) for name, value in split_items(raw))


@dataclass(slots=True, unsafe_hash=True)
class MountEntry:
    """A mount: one line of mountinfo, or one statmount(2) record.

    Treat it as immutable: a :class:`~mountcursor.live.table.MountTable` indexes its
    entries, and equal entries hash equal (use :func:`dataclasses.replace` for a
    changed copy).  It is not a frozen dataclass only because a frozen one costs two
    microseconds more to build, most of the time a whole mountinfo line takes to parse
    (a 100,000-mount table is 100,000 of them).

    ``mnt_id``/``parent_id`` are the kernel's reused 32-bit ids (mountinfo fields 1-2);
    ``unique_id``/``parent_unique_id`` the 64-bit ids of Linux 6.8+ when the source had
    them (listmount, statx), else ``None``.  ``target`` is the mount point relative to
    the reader's root, ``root`` the path inside the filesystem that is mounted there.
    ``vfs_options`` are the per-mount options, ``fs_options`` the super-block ones,
    both as printed (escaped; ``fs_options`` is everything after the source, so it may
    hold spaces on old kernels).  ``extra_tags`` keeps optional fields this library
    does not know.  ``lineno`` is the 1-based line in the parsed data (0 if none; not
    part of equality).
    """

    mnt_id: int
    parent_id: int
    major: int
    minor: int
    root: bytes
    target: bytes
    vfs_options: bytes
    fstype: bytes
    source: bytes
    fs_options: bytes
    shared: int | None = None
    master: int | None = None
    propagate_from: int | None = None
    unbindable: bool = False
    extra_tags: tuple[bytes, ...] = ()
    unique_id: int | None = None
    parent_unique_id: int | None = None
    lineno: int = field(default=0, compare=False)

    # ---- derived views -------------------------------------------------------------
    @property
    def dev(self) -> int:
        """``st_dev`` of the filesystem (``os.makedev(major, minor)``)."""
        return os.makedev(self.major, self.minor)

    @property
    def devno(self) -> str:
        """``"major:minor"``."""
        return f"{self.major}:{self.minor}"

    @property
    def target_str(self) -> str:
        return os.fsdecode(self.target)

    @property
    def root_str(self) -> str:
        return os.fsdecode(self.root)

    @property
    def source_str(self) -> str:
        return os.fsdecode(self.source)

    @property
    def fstype_str(self) -> str:
        return os.fsdecode(self.fstype)

    @property
    def fs_main_type(self) -> bytes:
        """The type without its ``.subtype`` (``b"fuse"`` for ``b"fuse.sshfs"``)."""
        return self.fstype.partition(b".")[0]

    @property
    def fs_subtype(self) -> bytes | None:
        main, dot, sub = self.fstype.partition(b".")
        return sub if dot else None

    @property
    def vfs_opts(self) -> tuple[Option, ...]:
        """Per-mount options, split and unescaped."""
        return split_options(self.vfs_options)

    @property
    def fs_opts(self) -> tuple[Option, ...]:
        """Super-block and filesystem options, split and unescaped."""
        return split_options(self.fs_options)

    @property
    def options(self) -> bytes:
        """All options merged the way findmnt's OPTIONS column shows them."""
        return merge_options(self.vfs_options, self.fs_options)

    def option(self, name: bytes | str) -> Option | None:
        """Option ``name`` (per-mount options first, then super-block ones), or
        ``None`` if absent.  A flag has ``value`` ``None``; ``size=`` has ``b""``.

        >>> e = MountEntry(1, 0, 0, 1, b"/", b"/", b"rw,nosuid", b"tmpfs", b"tmpfs", b"rw,size=4k")
        >>> e.option("nosuid"), e.option("size").value, e.option("noexec")
        (Option(name=b'nosuid', value=None), b'4k', None)
        """
        key = os.fsencode(name)
        for opt in self.vfs_opts + self.fs_opts:
            if opt.name == key:
                return opt
        return None

    @property
    def readonly(self) -> bool:
        """Read-only through this mount: the mount or its super block is ``ro``."""
        return self.vfs_options.startswith(b"ro") or self.fs_options.startswith(b"ro")

    @property
    def propagation(self) -> str:
        """findmnt's PROPAGATION: ``shared``/``private``, then ``,slave``, ``,unbindable``."""
        text = "shared" if self.shared is not None else "private"
        if self.master is not None:
            text += ",slave"
        if self.unbindable:
            text += ",unbindable"
        return text

    @property
    def opt_fields(self) -> bytes:
        """The optional fields as mountinfo prints them (findmnt's OPT-FIELDS)."""
        tags = []
        if self.shared is not None:
            tags.append(b"shared:%d" % self.shared)
        if self.master is not None:
            tags.append(b"master:%d" % self.master)
        if self.propagate_from is not None:
            tags.append(b"propagate_from:%d" % self.propagate_from)
        if self.unbindable:
            tags.append(b"unbindable")
        return b" ".join(tags + list(self.extra_tags))

    @property
    def target_deleted(self) -> bool:
        """The mount point was deleted (the kernel appended ``" (deleted)"``)."""
        return self.target.endswith(DELETED_SUFFIX)

    @property
    def root_deleted(self) -> bool:
        """The mounted dentry was deleted (``//deleted`` after the root path)."""
        return self.root.endswith(b"//deleted")

    @property
    def is_self_parent(self) -> bool:
        return self.parent_id == self.mnt_id and self.parent_id != 0
