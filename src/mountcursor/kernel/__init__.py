"""The model: the kernel's mount namespace and its proc files, named after the C.

=====================  =========================================================
module                 kernel file / functions it follows
=====================  =========================================================
:mod:`.list`           ``include/linux/list.h``
:mod:`.locks`          ``namespace_sem`` (rwsem), ``ns_lock`` (spinlock), lockdep
:mod:`.mount`          ``fs/mount.h``, ``include/linux/mount.h``: struct mount,
                       ``MNT_*`` flags, ``mnt_alloc_id``, the ``mnt_cache`` slab
:mod:`.namespace`      ``fs/namespace.c``: mount/bind/move/umount, ``event``,
                       ``mnt_list_next``, the 6.8+ id-ordered tree
:mod:`.pnode`          ``fs/pnode.c`` (6.18): peer groups, slaves,
                       ``propagate_mnt``, ``propagate_umount``
:mod:`.seqfile`        ``fs/seq_file.c``: ``seq_read`` (3.10 and 4.19+/5.10+),
                       ``traverse``, ``seq_lseek``
:mod:`.iterators`      ``mounts_op`` (``m_start``/``m_next``/``m_stop``) per version
:mod:`.procfs`         ``fs/proc_namespace.c``: open/read/poll/release, show_*
:mod:`.walkers`        ``__is_local_mountpoint``, ``mnt_already_visible``,
                       the seed's ``sync_collect_filesystems``
:mod:`.hooks`          where a scheduler interposes (the verifier)
=====================  =========================================================

The model knows nothing of :mod:`mountcursor.verify`, :mod:`mountcursor.live`
or the CLI.
"""

from .iterators import STRATEGIES, strategy
from .namespace import MNT_DETACH, Kernel, MountNamespace, Path
from .procfs import KINDS, ProcFile, open_proc
from .seqfile import SEMANTICS, SeqFile

__all__ = [
    "KINDS", "MNT_DETACH", "SEMANTICS", "STRATEGIES", "Kernel", "MountNamespace", "Path",
    "ProcFile", "SeqFile", "open_proc", "strategy",
]
