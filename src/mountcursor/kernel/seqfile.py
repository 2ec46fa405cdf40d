"""``fs/seq_file.c``: ``seq_read``, ``traverse`` and ``seq_lseek`` in two semantics.

``legacy``
    Linux 3.10 (the RHEL7 family the seed targets).  ``seq_read`` advances
    ``m->index`` *itself* when a record has been fully copied (``m->index++``
    after a flushed leftover, ``pos++`` after the fill loop), without calling
    ``->next``; the fill loop runs ``while (m->count < size)``, so ``->stop``
    may receive the last record that was *shown*.  ``traverse`` calls ``->next``
    after the offset test and does ``index++`` when it lands on a record end.

``modern``
    upstream 1f4aace60b0e (v4.19, "fs/seq_file.c: simplify seq_file iteration
    code and interface"; the seed calls it 3a0cfe5da871) and ``seq_read_iter``
    (5.10+): ``->next`` runs once for every record put in the buffer, so
    ``m->index`` always names the first record *not* buffered and ``->stop``
    gets that record (NULL at EOF).  A read at offset 0 restarts from record 0;
    ``traverse`` calls ``->next`` before the offset test (6a2aeab59e97, v5.3).

Common rules: the kernel buffer is one page, allocated at the first read and
doubled only when a *first* record does not fit; a record fits only if it
leaves at least one byte free (``count == size`` means overflow).  A read
returns the leftover of a split record first, then whole records, and at most
one buffer's worth.  ``->start`` .. ``->stop`` is one cycle under the
iterator's lock; one ``read()`` may run several cycles (the overflow retry).

Every call of ``start/next/show/stop`` can be logged to ``SeqFile.calls``
(for traces and for tests that pin the exact call sequence).
"""

from __future__ import annotations

import errno
from typing import Literal, Optional, Protocol

Semantics = Literal["legacy", "modern"]
SEMANTICS: tuple[Semantics, ...] = ("legacy", "modern")

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

    def __init__(self, op: SeqOperations, semantics: Semantics, private: object = None,
                 page_size: int = PAGE_SIZE, log_calls: bool = False) -> None:
        if semantics not in SEMANTICS:
            raise ValueError(f"unknown seq_file semantics {semantics!r} (one of {', '.join(SEMANTICS)})")
        self.op = op
        self.semantics = semantics
        self.private = private
        self.page_size = page_size
        self.buf: Optional[bytearray] = None
        self.size = 0
        self.count = 0
        self.from_ = 0
        self.index = 0
        self.read_pos = 0
        self.f_pos = 0
        self.poll_event = 0
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
        """``read(2)`` of up to ``size`` bytes at ``*ppos`` (the file position by default)."""
        own = ppos is None
        pp = Pos(self.f_pos) if own else ppos
        assert pp is not None
        out = self._read_legacy(size, pp) if self.semantics == "legacy" else self._read_modern(size, pp)
        if own:
            self.f_pos = pp.value
        return out

    def _reset_after_error(self) -> None:
        self.read_pos = 0
        self.index = 0
        self.count = 0

    def _read_legacy(self, size: int, ppos: Pos) -> bytes:
        out = bytearray()
        err = 0
        if ppos.value != self.read_pos:
            while (err := self._traverse_legacy(ppos.value)) == EAGAIN:
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
                return self._fill_legacy(out, size, pos, p, ppos)
            self._stop(p)  # first record does not fit: double the buffer, start again
            self._grow()
            pos = Pos(self.index)
            p = self._start(pos)
        self._stop(p)
        self.count = 0
        return self._done(out, err, ppos)

    def _fill_legacy(self, out: bytearray, size: int, pos: Pos, p: Optional[object], ppos: Pos) -> bytes:
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

    def _read_modern(self, size: int, ppos: Pos) -> bytes:
        out = bytearray()
        err = 0
        if size == 0:
            return bytes(out)
        if ppos.value == 0:  # a read from offset 0 restarts from the first record
            self.index = 0
            self.count = 0
        if ppos.value != self.read_pos:
            while (err := self._traverse_modern(ppos.value)) == EAGAIN:
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
            if self.count:  # the user buffer is full
                return self._done(out, err, ppos)
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
                return self._fill_modern(out, size, pos, p, ppos)
            self._stop(p)
            self._grow()
            pos = Pos(self.index)
            p = self._start(pos)
            self.index = pos.value
        self._stop(p)
        self.count = 0
        return self._done(out, err, ppos)

    def _fill_modern(self, out: bytearray, size: int, pos: Pos, p: Optional[object], ppos: Pos) -> bytes:
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

    def _traverse_legacy(self, offset: int) -> int:
        """3.10 ``traverse()``: regenerate records from 0 up to byte ``offset``."""
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

    def _traverse_modern(self, offset: int) -> int:
        """Current ``traverse()`` (``->next`` before the offset test, 6a2aeab59e97)."""
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
            p = self._next(p, idx)
            self.index = idx.value
            if pos + self.count > offset:
                self.from_ = offset - pos
                self.count -= self.from_
                break
            pos += self.count
            self.count = 0
            if pos == offset:
                break
        self._stop(p)
        return err

    def lseek(self, offset: int, whence: int = SEEK_SET) -> int:
        """``seq_lseek()``: SEEK_SET and SEEK_CUR only; any other offset than ``read_pos``
        replays the records from the start (``traverse``)."""
        if whence == SEEK_CUR:
            offset += self.f_pos
        elif whence != SEEK_SET:
            raise OSError(errno.EINVAL, "seq_lseek: only SEEK_SET and SEEK_CUR are supported")
        if offset < 0:
            raise OSError(errno.EINVAL, "seq_lseek: negative offset")
        if offset == self.read_pos:
            self.f_pos = offset
            return offset
        traverse = self._traverse_legacy if self.semantics == "legacy" else self._traverse_modern
        while (ret := traverse(offset)) == EAGAIN:
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
