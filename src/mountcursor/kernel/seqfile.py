"""``fs/seq_file.c``: ``seq_read``, ``traverse`` and ``seq_lseek`` of three kernel generations.

The semantics are named after the kernels that ran them (``legacy`` and ``modern``
are kept as aliases of ``3.10`` and ``5.10+``):

``3.10``  (alias ``legacy``)
    ``fs/seq_file.c`` of v3.10 (the RHEL7 family the seed targets).
    ``seq_read`` advances ``m->index`` *itself* when a record has been fully
    copied (``m->index++`` after a flushed leftover, ``pos++`` after the fill
    loop), without calling ``->next``; the fill loop runs
    ``while (m->count < size)``, so ``->stop`` may receive the last record that
    was *shown*.  ``traverse`` calls ``->next`` after the offset test and does
    ``index++`` when it lands on a record end.  There is no reset on a read
    from offset 0.

``4.19-5.9``
    ``seq_read`` of v4.19 to v5.9: after 1f4aace60b0e ("fs/seq_file.c: simplify
    seq_file iteration code and interface", v4.19-rc1), before
    ``seq_read_iter``.  Read in the v4.19 file and in a v5.6–5.9 file (the
    latter only adds a ``pr_info_ratelimited`` to the "buggy ->next" bump and
    drops ``m->version``).  ``->next`` runs once for every record put in the
    buffer, as in 5.10+, but:

    * the leftover flush ends with ``if (!size) goto Done``: a read that exactly
      drains the leftover returns without running the iterator (5.10+ runs
      ``start/show/next/stop`` and keeps the next record buffered);
    * there is no early return for a zero-size read: with an empty buffer it
      runs ``start/show/next/stop`` and keeps the record buffered;
    * ``traverse`` is the one of v5.3+ (6a2aeab59e97, "seq_file: fix problem
      when seeking mid-record", backported to 4.19.68) by default;
      ``traverse_fixed=False`` gives the v4.19.0–4.19.67 one, which calls
      ``->next`` only for records wholly before the offset, so a seek into the
      middle of a record returns its tail and then the whole record again.

    A read at offset 0 resets ``m->index`` and ``m->count`` (e522751d605d,
    "seq_file: reset iterator to first record for zero offset", v4.7).

``5.10+``  (alias ``modern``)
    ``seq_read_iter`` of v5.10 (as fixed before 5.10 by "fix return values of
    seq_read_iter()") to today: a zero-size read returns 0 at once; the leftover
    flush ends with ``if (m->count) goto Done`` (the user buffer is full), so a
    read that exactly drains the leftover goes on to ``start`` and buffers the
    next record.  ``traverse`` calls ``->next`` before the offset test.  A read
    at offset 0 restarts from record 0.

Common rules: the kernel buffer is one page, allocated at the first read and
doubled only when a *first* record does not fit; a record fits only if it
leaves at least one byte free (``count == size`` means overflow).  A read
returns the leftover of a split record first, then whole records, and at most
one buffer's worth.  ``->start`` .. ``->stop`` is one cycle under the
iterator's lock; one ``read()`` may run several cycles (``traverse`` and the
overflow retry), and between a ``->stop`` and the next ``->start`` of the same
call the iterator's lock (``namespace_sem`` for the mount files) is free: that
gap is announced to a scheduler as a ``"relock"`` step (:mod:`.hooks`).
``read``, ``pread`` and ``lseek`` of one open file are serialized by
``m->lock`` (a mutex, :class:`~.locks.Mutex`), as in every version.  Above it,
``read()`` and ``lseek()`` (not ``pread()``) of a file shared by several threads
or processes hold ``file->f_pos_lock`` from reading ``f_pos`` to writing it back
(``fdget_pos``/``fdput_pos`` in ``fs/read_write.c``, FMODE_ATOMIC_POS: mainline
9c225f2655e3, v3.14, and the RHEL7/VZ7 3.10 kernels, which carry it), but only
when the file is shared (``file_count(file) > 1``: :attr:`SeqFile.f_count`, raised
by :meth:`SeqFile.get_file` for each thread or process that shares it).

Every call of ``start/next/show/stop`` can be logged to ``SeqFile.calls``
(for traces and for tests that pin the exact call sequence).
"""

from __future__ import annotations

import errno
from typing import Literal, Optional, Protocol

from . import hooks
from .locks import Mutex

Semantics = Literal["3.10", "4.19-5.9", "5.10+"]
SEMANTICS: tuple[Semantics, ...] = ("3.10", "4.19-5.9", "5.10+")
#: the names the semantics had before they were named after kernels
ALIASES: dict[str, Semantics] = {"legacy": "3.10", "modern": "5.10+"}
#: every name accepted on the command line and by :class:`SeqFile`
SEMANTICS_NAMES: tuple[str, ...] = SEMANTICS + tuple(ALIASES)


def semantics_of(name: str) -> Semantics:
    """The canonical semantics for ``name`` (a kernel name or an alias)."""
    if name in SEMANTICS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    raise ValueError(f"unknown seq_file semantics {name!r} (one of {', '.join(SEMANTICS_NAMES)})")


PAGE_SIZE = 4096
SEQ_SKIP = 1
EAGAIN = -errno.EAGAIN
SEEK_SET = 0
SEEK_CUR = 1


class Pos:
    """A ``loff_t`` passed by pointer (``loff_t *pos``)."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def __repr__(self) -> str:
        return str(self.value)


class SeqOperations(Protocol):
    """``struct seq_operations``."""

    def start(self, m: "SeqFile", pos: Pos) -> Optional[object]: ...
    def next(self, m: "SeqFile", v: object, pos: Pos) -> Optional[object]: ...
    def stop(self, m: "SeqFile", v: Optional[object]) -> None: ...
    def show(self, m: "SeqFile", v: object) -> int: ...


class SeqFile:
    """``struct seq_file`` plus the file position (``f_pos``) of the open file."""

    def __init__(self, op: SeqOperations, semantics: str, private: object = None,
                 page_size: int = PAGE_SIZE, log_calls: bool = False, traverse_fixed: bool = True) -> None:
        self.semantics: Semantics = semantics_of(semantics)
        if not traverse_fixed and self.semantics != "4.19-5.9":
            raise ValueError("traverse_fixed=False (traverse before 6a2aeab59e97) exists only on 4.19-5.9")
        self.op = op
        self.private = private
        self.page_size = page_size
        self.traverse_fixed = traverse_fixed
        self.buf: Optional[bytearray] = None
        self.size = 0
        self.count = 0
        self.from_ = 0
        self.index = 0
        self.read_pos = 0
        self.f_pos = 0
        self.poll_event = 0
        self.lock = Mutex("seq_file->lock")
        self.f_pos_lock = Mutex("file->f_pos_lock")  # struct file's, beside f_pos
        self.f_count = 1  # file_count(file): > 1 once threads or processes share the file
        #: what a read()/lseek() in progress holds in its locals while the iterator's lock is
        #: dropped (see :meth:`_start`): part of the state a scheduler must tell apart
        self.in_call: Optional[tuple[object, ...]] = None
        self._stopped = False  # a ->stop ran in this call: the next ->start retakes the lock
        self.calls: Optional[list[str]] = [] if log_calls else None

    # --- printer: seq_puts and friends ---------------------------------------------------

    def seq_put_record(self, data: bytes) -> int:
        """Append one record's bytes, or overflow (``count = size``) if it would not leave a
        free byte: the net effect of the ``seq_printf``/``seq_escape``/``seq_putc`` calls of a
        ``show`` (each piece needs ``count + len < size``; the final ``seq_putc`` filling the
        last byte makes ``count == size``, which is overflow)."""
        assert self.buf is not None
        if self.count + len(data) < self.size:
            del self.buf[self.count:]
            self.buf += data
            self.count += len(data)
            return 0
        self.count = self.size
        return -1

    def seq_has_overflowed(self) -> bool:
        return self.count == self.size

    # --- logged calls into the iterator ----------------------------------------------------

    def _log(self, s: str) -> None:
        if self.calls is not None:
            self.calls.append(s)

    def _start(self, pos: Pos) -> Optional[object]:
        if self._stopped:
            # C: the ->stop before this ->start released the iterator's lock (namespace_sem
            # for the mount files) inside this one read()/lseek(): another thread may run here
            self._log("(->stop .. ->start: the iterator's lock is free)")
            hooks.step("relock", "->stop .. ->start inside one call: the iterator's lock is free")
        before = pos.value
        p = self.op.start(self, pos)
        if self.calls is not None:
            self._log(f"start({before}) -> {_name(p)}" + (f" pos={pos.value}" if pos.value != before else ""))
        return p

    def _next(self, v: object, pos: Pos) -> Optional[object]:
        before = pos.value
        p = self.op.next(self, v, pos)
        if self.calls is not None:
            self._log(f"next({_name(v)}, {before}) -> {_name(p)} pos={pos.value}")
        return p

    def _show(self, v: object) -> int:
        before = self.count
        err = self.op.show(self, v)
        if self.calls is not None:
            what = "skip" if err > 0 else ("overflow" if self.seq_has_overflowed() else f"{self.count - before}B")
            self._log(f"show({_name(v)}) {what}")
        return err

    def _stop(self, v: Optional[object]) -> None:
        self._log(f"stop({_name(v)})")
        self.op.stop(self, v)
        self._stopped = True

    def _alloc(self) -> None:
        if self.buf is None:
            self.size = self.page_size
            self.buf = bytearray()

    def _grow(self) -> None:
        self.size <<= 1
        self.buf = bytearray()
        self.count = 0

    # --- read ------------------------------------------------------------------------------

    def read(self, size: int, ppos: Optional[Pos] = None) -> bytes:
        """``read(2)`` of up to ``size`` bytes at the file position, under
        ``f_pos_lock`` (``fdget_pos``); with ``ppos``, ``pread(2)`` at ``*ppos`` (no
        ``f_pos_lock``: the file position is left alone)."""
        if ppos is not None:
            return self._seq_read(size, ppos)
        locked = self._fdget_pos()
        try:
            pp = Pos(self.f_pos)  # file_pos_read()
            out = self._seq_read(size, pp)
            self.f_pos = pp.value  # file_pos_write()
            return out
        finally:
            if locked:
                self.f_pos_lock.mutex_unlock()  # fdput_pos()

    def get_file(self) -> None:
        """``get_file()``: one more thread or process shares this open file."""
        self.f_count += 1

    def _fdget_pos(self) -> bool:
        """``fdget_pos()``: take ``f_pos_lock`` if the file is shared; say whether it did."""
        if self.f_count > 1:
            self.f_pos_lock.mutex_lock()
            return True
        return False

    def _seq_read(self, size: int, pp: Pos) -> bytes:
        """``seq_read``/``seq_read_iter`` at ``*pp``, under ``m->lock``."""
        if self.semantics == "5.10+" and size == 0:
            return b""  # seq_read_iter: if (!iov_iter_count(iter)) return 0; before m->lock
        self.lock.mutex_lock()
        self._stopped = False
        self.in_call = ("read", size, pp.value, b"")
        try:
            if self.semantics == "3.10":
                out = self._read_3_10(size, pp)
            else:
                out = self._read_next_always(size, pp)
        finally:
            self.in_call = None
            self.lock.mutex_unlock()
        return out

    def _reset_after_error(self) -> None:
        self.read_pos = 0
        self.index = 0
        self.count = 0

    def _read_3_10(self, size: int, ppos: Pos) -> bytes:
        """v3.10 ``seq_read()``."""
        out = bytearray()
        err = 0
        if ppos.value != self.read_pos:
            while (err := self._traverse(ppos.value)) == EAGAIN:
                pass
            if err:
                self._reset_after_error()
                return self._done(out, err, ppos)
            self.read_pos = ppos.value
        self._alloc()
        assert self.buf is not None
        if self.count:  # flush the leftover of a split record first
            n = min(self.count, size)
            out += self.buf[self.from_:self.from_ + n]
            self.count -= n
            self.from_ += n
            size -= n
            if not self.count:
                self.index += 1  # record fully consumed: advance without ->next
            if not size:
                return self._done(out, err, ppos)
        self.in_call = ("read", size, ppos.value, bytes(out))
        pos = Pos(self.index)
        p = self._start(pos)
        while True:  # we need at least one record in the buffer
            if p is None:
                break
            err = self._show(p)
            if err < 0:
                break
            if err:
                self.count = 0
            if not self.count:
                p = self._next(p, pos)
                self.index = pos.value
                continue
            if self.count < self.size:
                return self._fill_3_10(out, size, pos, p, ppos)
            self._stop(p)  # first record does not fit: double the buffer, start again
            self._grow()
            pos = Pos(self.index)
            p = self._start(pos)
        self._stop(p)
        self.count = 0
        return self._done(out, err, ppos)

    def _fill_3_10(self, out: bytearray, size: int, pos: Pos, p: Optional[object], ppos: Pos) -> bytes:
        assert self.buf is not None
        err = 0
        while self.count < size:
            offs = self.count
            nxt = Pos(pos.value)
            p = self._next(p, nxt)
            if p is None:
                err = 0
                break
            err = self._show(p)
            if self.seq_has_overflowed() or err:
                self.count = offs
                if err <= 0:
                    break
            pos = nxt
        self._stop(p)
        n = min(self.count, size)
        out += self.buf[:n]
        self.count -= n
        if self.count:
            self.from_ = n
        else:
            pos = Pos(pos.value + 1)
        self.index = pos.value
        return self._done(out, err, ppos)

    def _read_next_always(self, size: int, ppos: Pos) -> bytes:
        """``seq_read()`` of v4.19–v5.9 and ``seq_read_iter()`` of v5.10+ (``->next`` for every
        record buffered); the branches where they differ are marked."""
        out = bytearray()
        err = 0
        if ppos.value == 0:  # a read from offset 0 restarts from the first record (v4.7+)
            self.index = 0
            self.count = 0
        if ppos.value != self.read_pos:
            while (err := self._traverse(ppos.value)) == EAGAIN:
                pass
            if err:
                self._reset_after_error()
                return self._done(out, err, ppos)
            self.read_pos = ppos.value
        self._alloc()
        assert self.buf is not None
        if self.count:  # leftover first
            n = min(self.count, size)
            out += self.buf[self.from_:self.from_ + n]
            self.count -= n
            self.from_ += n
            size -= n
            if self.semantics == "4.19-5.9":
                if not size:  # v4.19-v5.9: if (!size) goto Done;
                    return self._done(out, err, ppos)
            elif self.count:  # v5.10+: if (m->count) goto Done; (the user buffer is full)
                return self._done(out, err, ppos)
        self.in_call = ("read", size, ppos.value, bytes(out))
        self.from_ = 0
        pos = Pos(self.index)
        p = self._start(pos)
        self.index = pos.value
        while True:
            if p is None:
                break
            err = self._show(p)
            if err < 0:
                break
            if err:
                self.count = 0
            if not self.count:
                p = self._next(p, pos)
                self.index = pos.value
                continue
            if not self.seq_has_overflowed():
                return self._fill_next_always(out, size, pos, p, ppos)
            self._stop(p)
            self._grow()
            pos = Pos(self.index)
            p = self._start(pos)
            self.index = pos.value
        self._stop(p)
        self.count = 0
        return self._done(out, err, ppos)

    def _fill_next_always(self, out: bytearray, size: int, pos: Pos, p: Optional[object], ppos: Pos) -> bytes:
        assert self.buf is not None
        err = 0
        while True:
            offs = self.count
            before = pos.value
            p = self._next(p, pos)
            self.index = pos.value
            if before == pos.value:  # "buggy .next function ... did not update position index"
                self._log("buggy .next: index bumped by seq_read")
                pos.value += 1
                self.index = pos.value
            if p is None:
                break
            if self.count >= size:  # enough for the user
                break
            err = self._show(p)
            if err > 0:
                self.count = offs
            elif err or self.seq_has_overflowed():
                self.count = offs
                break
        self._stop(p)
        n = min(self.count, size)
        out += self.buf[:n]
        self.count -= n
        self.from_ = n
        return self._done(out, err, ppos)

    def _done(self, out: bytearray, err: int, ppos: Pos) -> bytes:
        if not out:
            if err < 0:
                raise OSError(-err, f"read: {errno.errorcode.get(-err, err)}")
            return b""
        ppos.value += len(out)
        self.read_pos += len(out)
        return bytes(out)

    # --- traverse / lseek --------------------------------------------------------------------

    def _traverse_3_10(self, offset: int) -> int:
        """v3.10 ``traverse()``: regenerate records from 0 up to byte ``offset``; ``->next``
        after the offset test, ``index++`` on landing at a record end."""
        pos = 0
        index = Pos(0)
        err = 0
        self.count = self.from_ = 0
        if not offset:
            self.index = 0
            return 0
        self._alloc()
        p = self._start(index)
        while p is not None:
            err = self._show(p)
            if err < 0:
                break
            if err:
                err = 0
                self.count = 0
            if self.seq_has_overflowed():
                self._stop(p)
                self._grow()
                return EAGAIN
            if pos + self.count > offset:
                self.from_ = offset - pos
                self.count -= self.from_
                self.index = index.value
                break
            pos += self.count
            self.count = 0
            if pos == offset:
                index.value += 1
                self.index = index.value
                break
            p = self._next(p, index)
        self._stop(p)
        self.index = index.value
        return err

    def _traverse_next_always(self, offset: int) -> int:
        """``traverse()`` of the engines that call ``->next`` for every record.  With
        ``traverse_fixed`` (6a2aeab59e97, "seq_file: fix problem when seeking mid-record":
        v5.3+, 4.19.68+, and ``seq_read_iter``'s) ``->next`` runs before the offset test.
        Without it (v4.19.0–v4.19.67, v4.19-rc1..v5.2) ``->next`` runs only after a record
        wholly before ``offset``: a record split by ``offset`` keeps ``m->index``, so the
        read after the seek shows its tail and then the whole record again."""
        pos = 0
        err = 0
        self.index = 0
        self.count = self.from_ = 0
        if not offset:
            return 0
        self._alloc()
        idx = Pos(0)
        p = self._start(idx)
        self.index = idx.value
        while p is not None:
            err = self._show(p)
            if err < 0:
                break
            if err:
                err = 0
                self.count = 0
            if self.seq_has_overflowed():
                self._stop(p)
                self._grow()
                return EAGAIN
            if self.traverse_fixed:
                p = self._next(p, idx)
                self.index = idx.value
            if pos + self.count > offset:
                self.from_ = offset - pos
                self.count -= self.from_
                break
            pos += self.count
            self.count = 0
            if not self.traverse_fixed:
                p = self._next(p, idx)
                self.index = idx.value
            if pos == offset:
                break
        self._stop(p)
        return err

    def _traverse(self, offset: int) -> int:
        if self.semantics == "3.10":
            return self._traverse_3_10(offset)
        return self._traverse_next_always(offset)

    def lseek(self, offset: int, whence: int = SEEK_SET) -> int:
        """``lseek(2)``: ``seq_lseek()`` under ``f_pos_lock`` and ``m->lock``; SEEK_SET and
        SEEK_CUR only; any other offset than ``read_pos`` replays the records from the start
        (``traverse``)."""
        locked = self._fdget_pos()
        self.lock.mutex_lock()
        self._stopped = False
        self.in_call = ("lseek", offset, whence)
        try:
            return self._lseek(offset, whence)
        finally:
            self.in_call = None
            self.lock.mutex_unlock()
            if locked:
                self.f_pos_lock.mutex_unlock()

    def _lseek(self, offset: int, whence: int) -> int:
        if whence == SEEK_CUR:
            offset += self.f_pos
        elif whence != SEEK_SET:
            raise OSError(errno.EINVAL, "seq_lseek: only SEEK_SET and SEEK_CUR are supported")
        if offset < 0:
            raise OSError(errno.EINVAL, "seq_lseek: negative offset")
        if offset == self.read_pos:
            self.f_pos = offset
            return offset
        while (ret := self._traverse(offset)) == EAGAIN:
            pass
        if ret:
            self.f_pos = 0
            self._reset_after_error()
            raise OSError(-ret, "seq_lseek: traverse failed")
        self.read_pos = offset
        self.f_pos = offset
        return offset


def _name(v: object) -> str:
    if v is None:
        return "NULL"
    return str(getattr(v, "trace_name", None) or v)
