"""Says so in the log when an event loop stops turning: a thread beside
the loop notices that the loop's tick has not come for `stall_s` and logs
where the loop's thread is (its Python stack), once per stall, and again
when the loop turns again. A blocked loop answers nothing (no heartbeats,
no fetches) while looking alive from outside, so this is how a stall after
a NATS restart, say, shows whether the loop or one awaited call held it.
where_awaiting(task) tells the other case: the chain of awaits a task is
suspended in, down to the call that holds it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator

log = logging.getLogger(__name__)


class LoopWatch:
    def __init__(self, stall_s: float = 30.0, tick_s: float = 1.0) -> None:
        self.stall_s, self.tick_s = stall_s, tick_s
        self._last = time.monotonic()
        self._done = threading.Event()
        self._loop_thread = threading.get_ident()
        self.stalls = 0

    async def _tick(self) -> None:
        while True:
            self._last = time.monotonic()
            await asyncio.sleep(self.tick_s)

    def _watch(self) -> None:
        stalled_since = None
        while not self._done.wait(min(self.tick_s, self.stall_s / 4)):
            quiet = time.monotonic() - self._last
            if quiet >= self.stall_s and stalled_since is None:
                stalled_since = self._last
                self.stalls += 1
                frame = sys._current_frames().get(self._loop_thread)
                stack = "".join(traceback.format_stack(frame)) if frame is not None else "(thread gone)"
                log.error("event loop blocked", extra={"blocked_s": round(quiet, 1), "stack": stack})
            elif quiet < self.stall_s and stalled_since is not None:
                log.warning("event loop turning again",
                            extra={"blocked_s": round(time.monotonic() - stalled_since, 1)})
                stalled_since = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LoopWatch]:
        self._loop_thread = threading.get_ident()
        self._last = time.monotonic()
        ticker = asyncio.create_task(self._tick())
        watcher = threading.Thread(target=self._watch, name="loop-watch", daemon=True)
        watcher.start()
        try:
            yield self
        finally:
            self._done.set()
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            watcher.join()


def where_awaiting(task: asyncio.Future) -> str:
    """The frames a suspended task is awaiting in, outermost first (a task's
    own get_stack() gives only its outermost coroutine)."""
    lines, node, seen = [], task, 0
    while node is not None and seen < 100:
        seen += 1
        if isinstance(node, asyncio.Task):
            node = node.get_coro()
        frame = getattr(node, "cr_frame", None) or getattr(node, "gi_frame", None) or getattr(node, "ag_frame", None)
        if frame is not None:
            lines.append(f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        following = (getattr(node, "cr_await", None) or getattr(node, "gi_yieldfrom", None)
                     or getattr(node, "ag_await", None))
        if following is None and lines:
            lines.append(f"(waiting on {type(node).__name__})" if frame is None else "")
        node = following
    return "\n".join(line for line in lines if line)
