"""list_head operations, poisoning, the well-formedness check, and the lock checker."""

from __future__ import annotations

import threading

import pytest

from mountcursor.kernel import hooks
from mountcursor.kernel.list import (
    LIST_POISON1, ListCorruption, ListHead, list_add, list_add_tail, list_check, list_del, list_del_init,
    list_empty, list_for_each, list_for_each_continue, list_move_tail,
)
from mountcursor.kernel.locks import LockChecker, LockError, RwSemaphore, SpinLock, install_checker


def names(head: ListHead) -> list[str]:
    return [n.name for n in list_for_each(head)]


def test_add_tail_del_move() -> None:
    head = ListHead(None, "head")
    a, b, c = (ListHead(None, x) for x in "abc")
    cur = ListHead(None, "cur")
    for n in (a, b, c):
        list_add_tail(n, head)
    assert names(head) == ["a", "b", "c"]
    list_add(cur, head)
    assert names(head) == ["cur", "a", "b", "c"]
    list_move_tail(cur, c)  # just before c
    assert names(head) == ["a", "b", "cur", "c"]
    assert [n.name for n in list_for_each_continue(cur, head)] == ["c"]
    list_del_init(cur)
    assert list_empty(cur) and names(head) == ["a", "b", "c"]
    list_del(b)
    assert b.next is LIST_POISON1
    assert names(head) == ["a", "c"]
    assert list_check(head) == 2


def test_poison_and_corruption_detected() -> None:
    head = ListHead(None, "head")
    a, b = ListHead(None, "a"), ListHead(None, "b")
    list_add_tail(a, head)
    list_add_tail(b, head)
    list_del(a)
    with pytest.raises(ListCorruption, match="LIST_POISON1"):
        a.next.next  # noqa: B018
    b.prev = a  # a broken back pointer
    with pytest.raises(ListCorruption, match=r"head->next = b but b->prev = a"):
        list_check(head)


def test_rwsem_excludes_writer_from_readers_with_threads() -> None:
    sem = RwSemaphore("namespace_sem")
    inside: list[str] = []
    bad: list[str] = []
    lock = threading.Lock()

    def reader() -> None:
        for _ in range(300):
            sem.down_read()
            with lock:
                if "w" in inside:
                    bad.append("reader with writer")
                inside.append("r")
            with lock:
                inside.remove("r")
            sem.up_read()

    def writer() -> None:
        for _ in range(300):
            sem.down_write()
            with lock:
                if inside:
                    bad.append(f"writer with {inside}")
                inside.append("w")
            with lock:
                inside.remove("w")
            sem.up_write()

    ts = [threading.Thread(target=reader) for _ in range(3)] + [threading.Thread(target=writer) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert bad == []


def test_lock_checker_order_and_sleep_under_spinlock() -> None:
    c = LockChecker(strict=True)
    install_checker(c)
    try:
        sem, spin = RwSemaphore("namespace_sem"), SpinLock("ns_lock")
        sem.down_read()
        spin.spin_lock()
        spin.spin_unlock()
        sem.up_read()
        assert ("namespace_sem", "ns_lock") in c.order
        spin.spin_lock()
        with pytest.raises(LockError, match="sleeping lock namespace_sem taken while holding spinlock ns_lock"):
            sem.down_read()
    finally:
        install_checker(None)
        assert hooks.active is None
