"""The requests each socket.io connection has in flight: bounded per
connection (beyond the cap a request is answered "429" at once), and
cancelled when the client disconnects, so that the services stop working
for nobody. Cancelling the handler's task cancels its gRPC calls."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class TooManyInFlight(Exception):
    pass


class InFlight:
    def __init__(self, per_connection: int) -> None:
        self.per_connection = per_connection
        self._tasks: dict[str, set[asyncio.Task]] = {}

    def count(self, sid: str) -> int:
        return len(self._tasks.get(sid, ()))

    @contextlib.contextmanager
    def track(self, sid: str) -> Iterator[None]:
        """Registers the current task for `sid`; raises TooManyInFlight
        when the connection already has its cap in flight."""
        tasks = self._tasks.setdefault(sid, set())
        if len(tasks) >= self.per_connection:
            raise TooManyInFlight
        task = asyncio.current_task()
        tasks.add(task)
        try:
            yield
        finally:
            tasks.discard(task)
            if not tasks and self._tasks.get(sid) is tasks:
                del self._tasks[sid]

    def cancel(self, sid: str) -> int:
        """Cancels what `sid` has in flight; returns how many."""
        tasks = self._tasks.pop(sid, set())
        for task in tasks:
            task.cancel()
        return len(tasks)
