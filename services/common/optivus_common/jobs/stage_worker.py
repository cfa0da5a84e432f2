"""The JetStream side of a service: it pulls its stage's work through the
durable consumer every replica shares, runs the service's handler (an
adapter over its application layer), stores the result, records the end
with compare-and-set and acknowledges only then.

- Heartbeats (in_progress) keep the work while it runs; a worker that dies
  stops them, and the work is redelivered to another replica after
  ack_wait.
- A domain error decides: retryable ones (a model still loading, a store
  down) are retried later, up to max_deliver, with growing delays; the
  others (a corrupt file) end the stage at once with that error.
- Cancelling the job stops the handler at once (a control message) or at
  the next heartbeat (the job record), and its work is acknowledged.
- On shutdown the worker stops pulling and hands its running work back
  (nak) so another replica takes it at once.
- Each delivery runs in a consumer span continuing the trace of whoever
  published the work (jobs.tracing), with the stage's cost on it, and is
  counted in the stage metrics (optivus_common.metrics): outcomes, errors
  by reason, handler time, queue wait, redeliveries, work in flight, and
  the consumer's lag, read every lag_interval_s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig

from optivus.events.v1 import pipeline_events_pb2 as events_pb

from opentelemetry import trace

from .. import metrics
from ..errors import NotFound, OptivusError, Unavailable
from ..loop_watch import LoopWatch, where_awaiting
from ..statuses import status_of
from ..telemetry import attributes
from . import events, infra, names, progression, tracing
from .records import CANCELLED, DONE, FAILED, RUNNING
from .store import JobStore

log = logging.getLogger(__name__)


@dataclass
class StageContext:
    """What a handler gets besides the work: progress reporting, and an
    event set when the job is cancelled (the handler task is also cancelled)."""

    work: events_pb.StageWork
    attempt: int
    worker: str
    report: Callable[[float], Awaitable[None]]
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    async def progress(self, fraction: float) -> None:
        await self.report(fraction)


# Runs one stage; returns this stage's part of the item's result.
Handler = Callable[[StageContext], Awaitable[events_pb.ItemResult]]


@dataclass(frozen=True)
class WorkerSettings:
    concurrency: int = 1
    ack_wait_s: float = 30.0
    max_deliver: int = 5
    # Seconds a retryable failure waits before the next try: min(cap, base * 2^(attempt-1)).
    retry_base_s: float = 2.0
    retry_cap_s: float = 60.0
    # Least time between two progress events of one stage.
    progress_interval_s: float = 1.0
    fetch_wait_s: float = 5.0
    # How often the consumer's lag (pending, unacknowledged, redelivered) is read for the metrics.
    lag_interval_s: float = 15.0
    # Longest the recording of a stage's end (result stored, record advanced,
    # what follows published, acknowledged) may take; past it the stuck call's
    # stack is logged and the work left for redelivery.
    record_timeout_s: float = 60.0
    # A loop that does not turn for this long is logged with its stack (loop_watch).
    loop_stall_s: float = 30.0


def worker_name() -> str:
    return os.environ.get("POD_NAME") or f"{socket.gethostname()}:{os.getpid()}"


class StageWorker:
    def __init__(self, nc, stage: str, handler: Handler, domain: str, settings: WorkerSettings = WorkerSettings(),
                 retention: infra.Retention = infra.Retention()) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self._stage = stage
        self._stage_value = names.STAGE_VALUES[stage]
        self._handler = handler
        self._domain = domain
        self._settings = settings
        self._retention = retention
        self._name = worker_name()
        self._store: JobStore | None = None
        self._stopping = False
        self.ready = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        async with LoopWatch(self._settings.loop_stall_s).running():
            await self._run_loop(stop)

    async def _run_loop(self, stop: asyncio.Event) -> None:
        kv, results = await infra.ensure(self._js, self._retention)
        self._store = JobStore(kv, results)
        s = self._settings
        psub = await self._js.pull_subscribe(
            names.work_subject(self._stage), durable=names.consumer_name(self._stage), stream=names.WORK_STREAM,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=s.ack_wait_s, max_deliver=s.max_deliver,
                                  filter_subject=names.work_subject(self._stage)))
        self.ready.set()
        log.info("stage worker pulling", extra={"stage": self._stage, "consumer": names.consumer_name(self._stage),
                                                "concurrency": s.concurrency})
        running: set[asyncio.Task] = set()
        stopper = asyncio.create_task(stop.wait())
        lag = asyncio.create_task(self._watch_lag(psub))
        try:
            while not stop.is_set():
                free = s.concurrency - len(running)
                if free <= 0:
                    await asyncio.wait({*running, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    continue
                fetch = asyncio.create_task(psub.fetch(batch=free, timeout=s.fetch_wait_s))
                await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    with contextlib.suppress(asyncio.CancelledError, NatsTimeout):
                        await fetch
                    break
                try:
                    messages = fetch.result()
                except (NatsTimeout, asyncio.TimeoutError):
                    continue
                except Exception:  # noqa: BLE001 - NATS restarting: try again shortly
                    log.warning("fetch failed", exc_info=True)
                    await asyncio.sleep(1)
                    continue
                for msg in messages:
                    task = asyncio.create_task(self._handle(msg))
                    running.add(task)
                    task.add_done_callback(running.discard)
        finally:
            stopper.cancel()
            lag.cancel()
            self._stopping = True
            for task in list(running):
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            with contextlib.suppress(Exception):
                await psub.unsubscribe()

    async def _handle(self, msg) -> None:
        try:
            await self._handle_unguarded(msg)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - NATS went away mid-way: the work comes back after ack_wait
            log.warning("work left unacknowledged", exc_info=True, extra={"stage": self._stage})

    async def _handle_unguarded(self, msg) -> None:
        stage = self._stage
        attempt = msg.metadata.num_delivered
        metrics.STAGE_DELIVERIES.labels(stage).inc()
        if attempt > 1:
            metrics.STAGE_REDELIVERIES.labels(stage).inc()
        with tracing.consuming(msg, stage, names.consumer_name(stage)) as span:
            if attempt == 1:
                wait = queue_wait_s(msg)
                metrics.STAGE_QUEUE_WAIT.labels(stage).observe(wait)
                span.set_attribute("optivus.queue_wait_s", wait)
            try:
                outcome = await self._process(msg, attempt, span)
            except asyncio.CancelledError:
                if self._stopping:
                    metrics.STAGE_OUTCOMES.labels(stage, "handed_back").inc()
                    span.set_attribute("optivus.outcome", "handed_back")
                raise
            metrics.STAGE_OUTCOMES.labels(stage, outcome).inc()
            span.set_attribute("optivus.outcome", outcome)

    async def _process(self, msg, attempt: int, span: trace.Span) -> str:
        """Runs one delivery; returns how it ended (STAGE_OUTCOMES' outcome)."""
        try:
            work = events_pb.StageWork.FromString(msg.data)
        except Exception:  # noqa: BLE001 - not ours to parse: never redeliver
            log.error("unreadable work message", extra={"stage": self._stage})
            await msg.term()
            return "dropped"
        job_id, index = work.job_id, work.item_index
        span.set_attributes(attributes(job_id=job_id, item_index=index))
        try:
            record = await self._store.get(job_id)
        except NotFound:
            log.warning("work dropped: no such job", extra={"job_id": job_id, "stage": self._stage})
            await msg.term()
            return "dropped"
        if index >= len(record.items) or self._stage not in record.items[index].stages:
            log.warning("work dropped: not a stage of the job", extra={"job_id": job_id, "stage": self._stage})
            await msg.term()
            return "dropped"
        stage = record.items[index].stages[self._stage]
        if record.ended or record.items[index].ended or stage.state in (DONE, FAILED):
            # Done before (a redelivery, or the job ended): what follows from it is published again.
            log.info("work done before", extra={"job_id": job_id, "stage": self._stage, "attempt": attempt,
                                                "state": stage.state})
            await progression.publish_follow_ups(self._js, record, index)
            await msg.ack()
            return "duplicate"
        await self._mark_running(job_id, index, attempt)
        log.info("stage running", extra={"job_id": job_id, "stage": self._stage, "item_index": index,
                                         "attempt": attempt})
        await events.publish(self._js, job_id, msg_id=f"{names.work_msg_id(job_id, index, self._stage_value)}"
                             f".started.{attempt}", stage_started=events_pb.StageStarted(
                                 item_index=index, stage=self._stage_value, worker=self._name, attempt=attempt))
        outcome, error, result = await self._run(msg, work, attempt)
        if outcome in ("retried", "cancelled"):
            return outcome  # already handed back (nak) or acknowledged
        await self._bounded(self._record_end(msg, job_id, index, error, result, span), job_id)
        return outcome

    async def _bounded(self, step, job_id: str) -> None:
        """Runs `step` for at most record_timeout_s; past it, logs where it
        was stuck and raises, which leaves the work unacknowledged: it comes
        back after ack_wait and the stage runs again."""
        task = asyncio.ensure_future(step)
        try:
            done, _ = await asyncio.wait({task}, timeout=self._settings.record_timeout_s)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            return task.result()
        log.error("stage end not recorded in time", extra={
            "job_id": job_id, "stage": self._stage, "timeout_s": self._settings.record_timeout_s,
            "awaiting": where_awaiting(task)})
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise Unavailable(f"recording the end of the {self._stage} stage took over "
                          f"{self._settings.record_timeout_s:g} s", reason="STAGE_RECORD_STALLED")

    async def _record_end(self, msg, job_id: str, index: int, error: dict | None, result, span: trace.Span) -> None:
        if result is not None:
            span.set_attributes(tracing.result_attributes(result))
            await self._store.put_result(job_id, index, self._stage_value, result.SerializeToString())
        elif error:
            span.set_status(trace.Status(trace.StatusCode.ERROR, error.get("message", "")))
        media = (progression.media_dict(result.download.media)
                 if result is not None and result.HasField("download") else None)
        await progression.finish_stage(self._js, self._store, job_id, index, self._stage, error=error, media=media)
        await msg.ack()

    async def _mark_running(self, job_id: str, index: int, attempt: int) -> None:
        def change(record) -> bool:
            stage = record.items[index].stages[self._stage]
            if record.ended or stage.state in (DONE, FAILED):
                return False
            stage.state, stage.attempts = RUNNING, attempt
            if record.state != CANCELLED:
                record.state = RUNNING
            return True

        await self._store.update(job_id, change)

    async def _run(self, msg, work: events_pb.StageWork, attempt: int):
        """(outcome, error dict or None, result or None): succeeded with its
        result, failed with its error, or retried (handed back with a delay)
        or cancelled (acknowledged) with neither. A shutdown hands the work
        back (nak) and raises CancelledError."""
        s = self._settings
        last_report = [0.0]

        async def report(fraction: float) -> None:
            now = time.monotonic()
            if now - last_report[0] < s.progress_interval_s and fraction < 1:
                return
            last_report[0] = now
            with contextlib.suppress(Exception):  # progress is best effort
                await events.publish(self._js, work.job_id, stage_progress=events_pb.StageProgress(
                    item_index=work.item_index, stage=self._stage_value, fraction=max(0.0, min(1.0, fraction))))

        ctx = StageContext(work=work, attempt=attempt, worker=self._name, report=report)
        task = asyncio.create_task(self._handler(ctx))

        async def on_control(control_msg) -> None:
            if control_msg.data == b"cancel":
                ctx.cancelled.set()
                task.cancel()

        control = await self._nc.subscribe(names.control_subject(work.job_id), cb=on_control)
        beat = asyncio.create_task(self._heartbeat(msg, work.job_id, ctx, task))
        in_flight = metrics.STAGE_IN_FLIGHT.labels(self._stage)
        in_flight.inc()
        started = time.perf_counter()
        try:
            result = await task
            metrics.STAGE_SECONDS.labels(self._stage).observe(time.perf_counter() - started)
            return "succeeded", None, result
        except asyncio.CancelledError:
            if ctx.cancelled.is_set():
                await msg.ack()  # the job was cancelled: nobody wants this stage any more
                log.info("stage cancelled", extra={"job_id": work.job_id, "stage": self._stage})
                return "cancelled", None, None
            if self._stopping:
                await msg.nak()  # shutting down: another replica takes it now
                raise
            raise
        except OptivusError as exc:
            metrics.STAGE_SECONDS.labels(self._stage).observe(time.perf_counter() - started)
            return await self._failed(msg, work, attempt, exc, exc.retryable)
        except Exception as exc:  # noqa: BLE001 - a bug or an outage: retried, then reported as INTERNAL
            metrics.STAGE_SECONDS.labels(self._stage).observe(time.perf_counter() - started)
            log.error("stage failed", exc_info=exc, extra={"job_id": work.job_id, "stage": self._stage})
            return await self._failed(msg, work, attempt, exc, True)
        finally:
            in_flight.dec()
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            with contextlib.suppress(Exception):
                await control.unsubscribe()

    async def _failed(self, msg, work, attempt: int, exc: BaseException, retryable: bool):
        s = self._settings
        metrics.STAGE_ERRORS.labels(self._stage, exc.reason if isinstance(exc, OptivusError) else "INTERNAL").inc()
        trace.get_current_span().record_exception(exc)
        if retryable and attempt < s.max_deliver:
            delay = min(s.retry_cap_s, s.retry_base_s * 2 ** (attempt - 1))
            log.warning("stage will be retried", extra={"job_id": work.job_id, "stage": self._stage,
                                                        "attempt": attempt, "delay_s": delay, "error": str(exc)})
            await msg.nak(delay=delay)
            return "retried", None, None
        status = status_of(exc, self._domain, self._stage)
        if retryable:
            status.message = f"gave up after {attempt} tries: {status.message}"
        return "failed", progression.status_dict(status), None

    async def _watch_lag(self, psub) -> None:
        """The consumer's lag, every lag_interval_s, for the metrics (every
        replica reports the same durable consumer's numbers)."""
        while True:
            try:
                info = await psub.consumer_info()
                metrics.CONSUMER_PENDING.labels(self._stage).set(info.num_pending or 0)
                metrics.CONSUMER_ACK_PENDING.labels(self._stage).set(info.num_ack_pending or 0)
                metrics.CONSUMER_REDELIVERED.labels(self._stage).set(info.num_redelivered or 0)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - NATS restarting: read it next time
                log.debug("consumer info not read", exc_info=True)
            await asyncio.sleep(self._settings.lag_interval_s)

    async def _heartbeat(self, msg, job_id: str, ctx: StageContext, task: asyncio.Task) -> None:
        """Keeps the work while the handler runs, and stops the handler when
        the job record says cancelled (should the control message be lost)."""
        while True:
            await asyncio.sleep(self._settings.ack_wait_s / 3)
            with contextlib.suppress(Exception):
                await msg.in_progress()
            with contextlib.suppress(Exception):
                if (await self._store.get(job_id)).state == CANCELLED:
                    ctx.cancelled.set()
                    task.cancel()
                    return


def queue_wait_s(msg) -> float:
    """Seconds from the work's storing in the stream to now (the server's
    clock against this one's: never below 0)."""
    stored = msg.metadata.timestamp
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=timezone.utc)
    return max(0.0, (datetime.now(timezone.utc) - stored).total_seconds())
