"""The trace crosses the NATS hop: publishing a stage's work opens a
producer span and writes its W3C trace context (traceparent, tracestate)
into the message's headers; the worker that takes the work opens a
consumer span continuing that context. A job's trace so runs from the
client's request through every stage, since each stage's end publishes the
next stages' work from inside its own consumer span."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from optivus.events.v1 import pipeline_events_pb2 as events_pb

from ..telemetry import attributes
from . import names

tracer = trace.get_tracer("optivus.jobs")


def _messaging(subject: str, operation: str, msg_id: str) -> dict:
    return {"messaging.system": "nats", "messaging.destination.name": subject,
            "messaging.operation.type": operation, "messaging.message.id": msg_id}


async def publish_work(js, work: events_pb.StageWork) -> None:
    """Publishes a stage's work (deduplicated by its Nats-Msg-Id) with the
    current trace context in its headers."""
    subject = names.work_subject(work.stage)
    msg_id = names.work_msg_id(work.job_id, work.item_index, work.stage)
    with tracer.start_as_current_span(f"publish {subject}", kind=SpanKind.PRODUCER, attributes={
            **_messaging(subject, "publish", msg_id),
            **attributes(job_id=work.job_id, item_index=work.item_index, stage=names.stage_name(work.stage))}):
        headers = {"Nats-Msg-Id": msg_id}
        propagate.inject(headers)
        await js.publish(subject, work.SerializeToString(), headers=headers)


@contextlib.contextmanager
def consuming(msg, stage: str, consumer: str) -> Iterator[trace.Span]:
    """The consumer span of one delivery of `stage`'s work, a child of the
    span that published it (a new trace when the message carries none)."""
    subject = names.work_subject(stage)
    metadata = msg.metadata
    parent = propagate.extract(dict(msg.headers or {}))
    with tracer.start_as_current_span(f"process {subject}", context=parent, kind=SpanKind.CONSUMER, attributes={
            **_messaging(subject, "process", (msg.headers or {}).get("Nats-Msg-Id", "")),
            "messaging.consumer.group.name": consumer,
            **attributes(stage=stage, attempt=metadata.num_delivered,
                         redeliveries=metadata.num_delivered - 1)}) as span:
        yield span


def result_attributes(result: events_pb.ItemResult) -> dict:
    """What a stage's result says about its cost, as span attributes."""
    values: dict = {}
    if result.HasField("download"):
        values.update(download_bytes=result.download.size_bytes,
                      media_duration_s=result.download.info.duration.ToNanoseconds() / 1e9)
    if result.HasField("transcript"):
        values.update(audio_seconds=result.transcript.duration.ToNanoseconds() / 1e9,
                      model=result.transcript.model, segments=len(result.segments))
    if result.HasField("video_summary"):
        summary = result.video_summary
        values.update(video_seconds=summary.duration.ToNanoseconds() / 1e9, scenes=summary.scene_count,
                      frames_decoded=summary.decoded_frames, frames_sampled=summary.sampled_frames,
                      frames_described=summary.described_frames)
    if result.HasField("image"):
        values.update(images_described=1)
    if result.HasField("indexed"):
        values.update(clips_indexed=result.indexed.clip_count)
    return attributes(**values)
