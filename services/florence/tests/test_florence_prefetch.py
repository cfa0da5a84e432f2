"""The decode-ahead thread: order, errors, early stop, no thread left."""

from __future__ import annotations

import threading

import pytest

from optivus_florence.prefetch import Prefetcher


def test_items_come_in_order_then_none():
    with Prefetcher(lambda stop: iter(range(10)), ahead=2) as items:
        got = [items.get() for _ in range(10)]
        assert items.get() is None and items.exhausted and items.get() is None
    assert got == list(range(10))


def test_producer_errors_reach_the_consumer():
    def failing(stop):
        yield 1
        raise ValueError("bad packet")

    with Prefetcher(failing, ahead=1) as items:
        assert items.get() == 1
        with pytest.raises(ValueError, match="bad packet"):
            items.get()


def test_closing_stops_a_producer_that_is_ahead():
    produced = []

    def endless(stop):
        n = 0
        while not stop.is_set():
            produced.append(n)
            yield n
            n += 1

    items = Prefetcher(endless, ahead=2)
    assert items.get() == 0
    items.close()
    assert not any(t.name == "video-decode" and t.is_alive() for t in threading.enumerate())
    assert len(produced) <= 5  # bounded by `ahead`, not by the source


def test_a_set_stop_ends_a_blocking_get():
    stop = threading.Event()

    def silent(inner_stop):
        inner_stop.wait()  # produces nothing until the Prefetcher closes
        yield from ()

    with Prefetcher(silent, ahead=1) as items:
        got = []
        getter = threading.Thread(target=lambda: got.append(items.get(stop=stop)), daemon=True)
        getter.start()
        getter.join(timeout=0.3)
        assert getter.is_alive() and got == []  # nothing to get: it blocks
        stop.set()
        getter.join(timeout=30)  # a hang guard, not a speed goal
        assert not getter.is_alive(), "hung: a set stop did not end get()"
        assert got == [None] and not items.exhausted
