import asyncio
import threading
import time

import pytest

from optivus_common.threads import iterate_in_thread


async def test_items_arrive_in_order_off_the_loop():
    loop_thread = threading.get_ident()
    seen_threads = set()

    def produce(stop):
        for i in range(5):
            seen_threads.add(threading.get_ident())
            yield i

    assert [i async for i in iterate_in_thread(produce)] == [0, 1, 2, 3, 4]
    assert loop_thread not in seen_threads


async def test_errors_reach_the_consumer():
    def produce(stop):
        yield 1
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        [i async for i in iterate_in_thread(produce)]


async def test_an_early_exit_stops_the_producer_and_waits_for_it():
    finished = threading.Event()

    def produce(stop):
        try:
            for i in range(1000):
                if stop.is_set():
                    return
                time.sleep(0.01)
                yield i
        finally:
            finished.set()

    stream = iterate_in_thread(produce)
    assert await anext(stream) == 0
    await stream.aclose()
    assert finished.is_set()


async def test_the_loop_stays_responsive():
    def produce(stop):
        time.sleep(0.3)
        yield "done"

    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    assert [i async for i in iterate_in_thread(produce)] == ["done"]
    ticker.cancel()
    assert ticks >= 10
