"""The concurrency slots of the speech work: `running` at once, at most
`waiting` more in line; past that a request is refused at once (retryable)
instead of holding its memory in an unbounded queue."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from optivus_common.errors import ResourceExhausted


class Slots:
    def __init__(self, running: int, waiting: int) -> None:
        self._running = running
        self._max_waiting = waiting
        self._free = asyncio.Semaphore(running)
        self.waiting = 0

    @contextlib.asynccontextmanager
    async def take(self) -> AsyncIterator[None]:
        if self._free.locked() and self.waiting >= self._max_waiting:
            raise ResourceExhausted(
                f"the speech service is busy ({self._running} running, {self.waiting} waiting); try again shortly",
                reason="TTS_BUSY", retryable=True)
        self.waiting += 1
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._free.release()
