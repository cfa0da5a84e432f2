"""Job events on optivus.job.<job_id>.event (stream OPTIVUS_EVENTS): what
the gateway relays to the client that asked, replayable from any point.
An event's `sequence` is its stream sequence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timezone

from nats.js.api import ConsumerConfig, DeliverPolicy

from optivus.events.v1 import pipeline_events_pb2 as events_pb

from ..convert import timestamp
from . import names

TERMINAL = ("finished", "cancelled")


async def publish(js, job_id: str, msg_id: str | None = None, **event) -> None:
    """Publishes one JobEvent (event: one field of the oneof, e.g.
    stage_started=StageStarted(...)). `msg_id` makes a repeat of the same
    event (a redelivered stage) a no-op within the dedupe window."""
    body = events_pb.JobEvent(job_id=job_id, event_time=timestamp(datetime.now(timezone.utc)), **event)
    headers = {"Nats-Msg-Id": msg_id} if msg_id else None
    await js.publish(names.event_subject(job_id), body.SerializeToString(), headers=headers)


async def watch(js, job_id: str, after_sequence: int = 0,
                idle_timeout: float | None = None) -> AsyncIterator[events_pb.JobEvent]:
    """The job's events after `after_sequence`, then new ones as they come,
    ending after the job's last (finished or cancelled) event. Each carries
    its stream sequence. `idle_timeout`: give up (TimeoutError) after that
    long without an event."""
    queue: asyncio.Queue = asyncio.Queue()

    async def on_message(msg) -> None:
        queue.put_nowait(msg)

    config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after_sequence + 1) \
        if after_sequence else ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    sub = await js.subscribe(names.event_subject(job_id), cb=on_message, ordered_consumer=True, config=config,
                             stream=names.EVENTS_STREAM)
    try:
        while True:
            msg = await asyncio.wait_for(queue.get(), idle_timeout)
            event = events_pb.JobEvent.FromString(msg.data)
            event.sequence = msg.metadata.sequence.stream
            yield event
            if event.WhichOneof("event") in TERMINAL:
                return
    finally:
        await sub.unsubscribe()
