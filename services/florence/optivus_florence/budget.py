"""A byte budget shared by every request of the process: the memory that
decoded images (or inline media) may hold at once. take() waits its turn,
first come first served, so that a large image is not starved by small
ones; try_take() never waits. Used on the event loop only."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator


class ByteBudget:
    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError("a budget needs a positive limit")
        self.limit = limit
        self._free = limit
        self._waiting: deque[tuple[int, asyncio.Future]] = deque()

    @property
    def in_use(self) -> int:
        return self.limit - self._free

    def _check(self, amount: int) -> None:
        if not 0 <= amount <= self.limit:
            raise ValueError(f"{amount} bytes can never fit a budget of {self.limit}")

    def try_take(self, amount: int) -> bool:
        """Takes `amount` now if it fits and nobody waits before it."""
        self._check(amount)
        if self._waiting or amount > self._free:
            return False
        self._free -= amount
        return True

    async def take(self, amount: int) -> None:
        if self.try_take(amount):
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (amount, waiter)
        self._waiting.append(entry)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.give(amount)  # granted as the cancellation arrived
            else:
                with contextlib.suppress(ValueError):  # already dropped by _wake
                    self._waiting.remove(entry)
                self._wake()
            raise

    def give(self, amount: int) -> None:
        self._free += amount
        self._wake()

    def _wake(self) -> None:
        while self._waiting and self._waiting[0][0] <= self._free:
            amount, waiter = self._waiting.popleft()
            if waiter.done():
                continue
            self._free -= amount
            waiter.set_result(None)

    @contextlib.asynccontextmanager
    async def hold(self, amount: int) -> AsyncIterator[None]:
        await self.take(amount)
        try:
            yield
        finally:
            self.give(amount)
