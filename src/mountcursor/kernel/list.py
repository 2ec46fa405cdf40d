"""A faithful circular doubly linked list: ``include/linux/list.h`` (same in 3.10 and 6.x).

Nodes are :class:`ListHead` objects with ``next``/``prev`` pointers and an
``owner`` (what ``list_entry()`` / ``container_of()`` would return).  Every
pointer *write* is announced to the scheduler as a ``"write"`` step, so that
the verifier's ``fine`` granularity can interleave two unlocked list updates
and produce real corruption.  Pointer *reads* happen between steps, as in C
where a function reads its arguments first and then writes.

``list_del`` poisons the entry like the kernel (``LIST_POISON1/2``); following
a poisoned pointer raises :class:`ListCorruption` instead of oopsing.
"""

from __future__ import annotations

from typing import Iterator

from . import hooks


class ListCorruption(RuntimeError):
    """The list is not well formed (the model's equivalent of a list_debug BUG or an oops)."""


class _Poison:
    """LIST_POISON1 / LIST_POISON2: any access through it is a use-after-del."""

    __slots__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __getattr__(self, attr: str) -> object:
        raise ListCorruption(f"dereferenced {self.name} (->{attr}) : entry used after list_del")

    def __repr__(self) -> str:
        return self.name


LIST_POISON1 = _Poison("LIST_POISON1")
LIST_POISON2 = _Poison("LIST_POISON2")


class ListHead:
    """``struct list_head``.  ``owner`` is the containing object (None for a list head)."""

    __slots__ = ("next", "prev", "owner", "name")

    def __init__(self, owner: object = None, name: str = "") -> None:
        self.next: ListHead = self
        self.prev: ListHead = self
        self.owner = owner
        self.name = name

    def __repr__(self) -> str:
        return f"<list_head {self.name or hex(id(self))}>"


def _set_next(node: ListHead, value: ListHead) -> None:
    if hooks.active is not None:
        hooks.step("write", f"{node.name}->next = {value.name}")
    node.next = value


def _set_prev(node: ListHead, value: ListHead) -> None:
    if hooks.active is not None:
        hooks.step("write", f"{node.name}->prev = {value.name}")
    node.prev = value


def INIT_LIST_HEAD(head: ListHead) -> None:
    """Make ``head`` an empty list (points to itself)."""
    _set_next(head, head)
    _set_prev(head, head)


def _list_add(new: ListHead, prev: ListHead, next_: ListHead) -> None:
    """``__list_add``: insert ``new`` between two known consecutive entries."""
    _set_prev(next_, new)
    _set_next(new, next_)
    _set_prev(new, prev)
    _set_next(prev, new)


def list_add(new: ListHead, head: ListHead) -> None:
    """Insert ``new`` right after ``head`` (stack order)."""
    _list_add(new, head, head.next)


def list_add_tail(new: ListHead, head: ListHead) -> None:
    """Insert ``new`` right before ``head`` (queue order: at the tail of the list)."""
    _list_add(new, head.prev, head)


def _list_del(prev: ListHead, next_: ListHead) -> None:
    _set_prev(next_, prev)
    _set_next(prev, next_)


def list_del_entry(entry: ListHead) -> None:
    """``__list_del_entry``: unlink ``entry``, leaving its own pointers as they were."""
    _list_del(entry.prev, entry.next)


def list_del(entry: ListHead) -> None:
    """Unlink ``entry`` and poison its pointers."""
    list_del_entry(entry)
    _set_next(entry, LIST_POISON1)  # type: ignore[arg-type]
    _set_prev(entry, LIST_POISON2)  # type: ignore[arg-type]


def list_del_init(entry: ListHead) -> None:
    """Unlink ``entry`` and make it an empty list of its own."""
    list_del_entry(entry)
    INIT_LIST_HEAD(entry)


def list_move_tail(entry: ListHead, head: ListHead) -> None:
    """Unlink ``entry`` and insert it right before ``head``."""
    list_del_entry(entry)
    list_add_tail(entry, head)


def list_empty(head: ListHead) -> bool:
    """True if ``head`` points to itself (an empty list, or an entry after list_del_init)."""
    return head.next is head


def list_for_each_continue(pos: ListHead, head: ListHead) -> Iterator[ListHead]:
    """``list_for_each_continue(pos, head)``: the entries after ``pos``, up to ``head``."""
    pos = pos.next
    while pos is not head:
        yield pos
        pos = pos.next


def list_for_each(head: ListHead) -> Iterator[ListHead]:
    """``list_for_each(pos, head)``: every entry of the list."""
    return list_for_each_continue(head, head)


def list_check(head: ListHead, limit: int = 10_000_000) -> int:
    """Check that the list is well formed (``prev``/``next`` agree, no poison, no short cycle).

    Returns the number of entries; raises :class:`ListCorruption` naming the bad link.
    """
    n = 0
    node = head
    while True:
        nxt = node.next
        if isinstance(nxt, _Poison):
            raise ListCorruption(f"{node.name}->next is {nxt.name}")
        if nxt.prev is not node:
            raise ListCorruption(
                f"{node.name}->next = {nxt.name} but {nxt.name}->prev = {getattr(nxt.prev, 'name', nxt.prev)}"
            )
        node = nxt
        if node is head:
            return n
        n += 1
        if n > limit:
            raise ListCorruption(f"no way back to the head after {limit} entries (a cycle)")
