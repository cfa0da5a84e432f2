"""The byte budget decoded images (and inline media) share: first come,
first served, never over its limit, and nothing lost on cancellation."""

from __future__ import annotations

import asyncio

import pytest

from optivus_florence.budget import ByteBudget


async def test_takes_wait_in_order_and_never_exceed_the_limit():
    budget = ByteBudget(10)
    assert budget.try_take(6)
    order = []

    async def take(name, amount):
        await budget.take(amount)
        order.append(name)

    big = asyncio.ensure_future(take("big", 10))
    small = asyncio.ensure_future(take("small", 2))
    await asyncio.sleep(0)  # both are waiting now
    # 4 bytes are free, but the big take waits first: the small one may not pass it.
    assert not budget.try_take(1)
    budget.give(6)
    await big
    assert order == ["big"] and budget.in_use == 10 and not small.done()
    budget.give(10)
    await small
    assert order == ["big", "small"] and budget.in_use == 2


async def test_a_cancelled_wait_takes_nothing():
    budget = ByteBudget(4)
    assert budget.try_take(4)
    waiting = asyncio.ensure_future(budget.take(3))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    budget.give(4)
    assert budget.in_use == 0 and budget.try_take(4)


async def test_hold_gives_back_on_error():
    budget = ByteBudget(4)
    with pytest.raises(RuntimeError):
        async with budget.hold(3):
            assert budget.in_use == 3
            raise RuntimeError("boom")
    assert budget.in_use == 0


def test_more_than_the_limit_can_never_be_taken():
    with pytest.raises(ValueError):
        ByteBudget(4).try_take(5)
