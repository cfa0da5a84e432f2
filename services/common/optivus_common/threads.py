"""Runs blocking, model-facing work off the event loop.

call_in_thread(fn, on_cancel) runs one blocking call; iterate_in_thread(factory) calls factory(stop) in a worker thread and
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


async def call_in_thread(fn: Callable[[], T], on_cancel: Callable[[], None] = lambda: None) -> T:
    """fn() in its own thread. When the awaiting task is cancelled,
    on_cancel() asks fn to stop (it runs on the loop, so it must only set
    flags or close sockets) and the task still waits for the thread to end
    before the cancellation completes, so whatever fn holds (a concurrency
    slot, a working folder) is really free by then."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future = loop.create_future()

    def settle(result, exc) -> None:
        if done.done():
            return
        if exc is not None:
            done.set_exception(exc)
        else:
            done.set_result(result)

    def target() -> None:
        try:
            result, exc = fn(), None
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting task
            result, exc = None, error
        try:
            loop.call_soon_threadsafe(settle, result, exc)
        except RuntimeError:  # loop closed: nobody is waiting any more
            pass

    threading.Thread(target=target, name="blocking-call", daemon=True).start()
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        on_cancel()
        while not done.done():
            try:
                await asyncio.shield(done)
            except asyncio.CancelledError:
                continue
            except BaseException:  # noqa: BLE001 - the call's own error no longer matters
                break
        if done.done() and not done.cancelled():
            done.exception()  # retrieved, so asyncio does not log it
        raise
