"""Runs blocking, model-facing iteration off the event loop.

iterate_in_thread(factory) calls factory(stop) in a worker thread and
yields its items on the loop as they come. When the consumer stops early
(client cancelled, error), `stop` is set so that the factory can quit at
its next item, and the consumer waits for the thread to end, so a slot
guarding the model (a semaphore) is not released while it still runs."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


async def iterate_in_thread(factory: Callable[[threading.Event], Iterator[T]]) -> AsyncIterator[T]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()
    finished = loop.create_future()

    def post(item, exc=None) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, (item, exc))
        except RuntimeError:  # loop closed: nobody is listening any more
            stop.set()

    def run() -> None:
        try:
            for item in factory(stop):
                if stop.is_set():
                    break
                post(item)
            post(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            post(_DONE, exc)
        finally:
            try:
                loop.call_soon_threadsafe(lambda: finished.done() or finished.set_result(None))
            except RuntimeError:
                pass

    threading.Thread(target=run, name="model-worker", daemon=True).start()
    try:
        while True:
            item, exc = await queue.get()
            if exc is not None:
                raise exc
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        try:
            await asyncio.shield(finished)
        except asyncio.CancelledError:
            pass
