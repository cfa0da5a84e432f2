"""Runs one job's blocking engine call in its own thread.

When the awaiting task is cancelled (the client cancelled the call), the
job is cancelled and the task still waits for the thread to end, so that
its working folder is gone and its concurrency slot is really free when
the cancellation completes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

from .jobs import Job

T = TypeVar("T")


async def run_job(fn: Callable[[], T], job: Job) -> T:
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

    threading.Thread(target=target, name="dlp-job", daemon=True).start()
    try:
        return await asyncio.shield(done)
    except asyncio.CancelledError:
        job.cancel()
        while not done.done():
            try:
                await asyncio.shield(done)
            except asyncio.CancelledError:
                continue
            except BaseException:  # noqa: BLE001 - the job's own error no longer matters
                break
        if done.done() and not done.cancelled():
            done.exception()  # retrieved, so asyncio does not log it
        raise
