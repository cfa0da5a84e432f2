"""A service's stage worker, run in the service's own process beside its
gRPC server (the same application layer, model and slots): started once
the model is loaded, stopped as soon as the service is asked to stop, so
its running work goes back to the queue for another replica."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ..bus import close, connect_as
from ..registry import ServiceSpec
from ..settings import CommonSettings
from .stage_worker import Handler, StageWorker, WorkerSettings

log = logging.getLogger(__name__)


@dataclass
class RunningWorker:
    worker: StageWorker | None
    _stop: asyncio.Event
    _task: asyncio.Task | None = None

    async def start(self, _server=None) -> None:
        if self.worker is not None and self._task is None:
            self._task = asyncio.create_task(self.worker.run(self._stop))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


@contextlib.asynccontextmanager
async def stage_worker(settings: CommonSettings, spec: ServiceSpec, handler: Handler,
                       concurrency: int) -> AsyncIterator[RunningWorker]:
    """Yields the worker of `spec`'s stage, not yet pulling (start() once
    serving, stop() when stopping); without OPTIVUS_NATS_URL a worker that
    does nothing, so the service serves gRPC only."""
    stop = asyncio.Event()
    if not settings.nats_url or not spec.stage:
        yield RunningWorker(None, stop)
        return
    nc = await connect_as(settings, "-worker")
    worker = StageWorker(nc, spec.stage, handler, spec.domain, WorkerSettings(
        concurrency=concurrency, ack_wait_s=settings.work_ack_wait_s, max_deliver=settings.work_max_deliver))
    running = RunningWorker(worker, stop)
    try:
        yield running
    finally:
        await running.stop()
        await close(nc)
