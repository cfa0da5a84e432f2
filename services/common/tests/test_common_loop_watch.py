"""A blocked event loop is logged with where its thread was, and the
chain of awaits a stuck task sits in can be read."""

from __future__ import annotations

import asyncio
import logging
import time

from optivus_common.loop_watch import LoopWatch, where_awaiting


def hold_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # a synchronous call in the loop's thread, as a blocking library call would be


async def test_a_blocked_loop_is_logged_with_its_stack_then_its_recovery(caplog):
    watch = LoopWatch(stall_s=0.3, tick_s=0.05)
    with caplog.at_level(logging.WARNING, logger="optivus_common.loop_watch"):
        async with watch.running():
            hold_the_loop(2.0)
            for _ in range(200):
                if any(r.getMessage() == "event loop turning again" for r in caplog.records):
                    break
                await asyncio.sleep(0.05)
    blocked = [r for r in caplog.records if r.getMessage() == "event loop blocked"]
    assert blocked and "hold_the_loop" in blocked[0].stack and blocked[0].blocked_s >= 0.3
    assert any(r.getMessage() == "event loop turning again" for r in caplog.records)
    assert watch.stalls >= 1


async def test_where_a_task_waits_names_every_await_down_to_the_holder():
    gate = asyncio.Event()

    async def innermost():
        await gate.wait()

    async def middle():
        await innermost()

    async def outer():
        await middle()

    task = asyncio.create_task(outer())
    await asyncio.sleep(0)
    chain = where_awaiting(task)
    names = [line.rsplit(" in ", 1)[-1] for line in chain.splitlines() if " in " in line]
    assert names[:4] == ["outer", "middle", "innermost", "wait"]
    gate.set()
    await task
    assert where_awaiting(task) == ""
