"""How a job moves on: a stage's end is written to the job record with
compare-and-set, then everything that follows from the record is
published (the next stages' work, the events of what ended). Publishing
derives only from the stored record and every message carries a
Nats-Msg-Id, so doing it again after a crash or a redelivery changes
nothing; this is what makes "exactly once" of the joins and the end."""

from __future__ import annotations

import base64
import logging

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus.gateway.v1 import job_service_pb2 as jobs_pb

from .. import metrics
from ..convert import media_ref
from ..media import MediaSource
from . import events, flow, names
from .records import CANCELLED, DONE, FAILED, RUNNING, SUCCEEDED, JobRecord
from .store import JobStore
from .tracing import publish_work

log = logging.getLogger(__name__)


def spec_of(record: JobRecord) -> jobs_pb.JobSpec:
    return jobs_pb.JobSpec.FromString(base64.b64decode(record.spec))


def status_dict(status) -> dict:
    """A google.rpc.Status as the record keeps it."""
    from ..statuses import error_info

    info = error_info(status)
    return {"code": status.code, "message": status.message, "reason": info.reason if info else ""}


def status_proto(error: dict | None):
    from ..statuses import status

    if not error:
        return None
    return status(error["code"], error["message"], error.get("reason", ""), "jobs.optivus")


def source_of(media: dict) -> MediaSource:
    return MediaSource(**{k: v for k, v in media.items() if k in ("path", "blob_key", "url", "filename")})


def media_dict(ref) -> dict:
    kind = ref.WhichOneof("source")
    out = {kind: getattr(ref, kind)} if kind in ("path", "blob_key", "url") else {}
    if ref.filename:
        out["filename"] = ref.filename
    return out


def end_job_if_done(record: JobRecord) -> bool:
    if record.ended or not all(item.ended for item in record.items):
        return False
    record.state = SUCCEEDED if any(item.state == DONE for item in record.items) else FAILED
    return True


async def finish_stage(js, store: JobStore, job_id: str, index: int, stage: str,
                       error: dict | None = None, media: dict | None = None) -> JobRecord:
    """Records that `stage` of item `index` ended (with `error` when it
    failed; `media`: the file the next stages read), then publishes what
    follows. Safe to call again for the same stage."""

    def change(record: JobRecord) -> bool:
        if record.ended:
            return False
        item = record.items[index]
        current = item.stages[stage]
        if current.state in (DONE, FAILED):
            return False
        current.state, current.error = (FAILED, error) if error else (DONE, None)
        if media is not None:
            item.media = media
        flow.settle(item)
        end_job_if_done(record)
        if record.state not in (SUCCEEDED, FAILED):
            record.state = RUNNING
        return True

    record, changed = await store.update(job_id, change)
    if changed and record.ended:  # this stage's end ended the job (change() leaves an ended job alone)
        metrics.JOBS_FINISHED.labels(record.state).inc()
    await publish_follow_ups(js, record, index)
    return record


async def publish_follow_ups(js, record: JobRecord, index: int) -> None:
    """What the stored record says should exist by now for item `index`:
    its ready stages' work, its ended stages' and item's events, and the
    job's end event. Deduplicated by Nats-Msg-Id."""
    job_id = record.job_id
    item = record.items[index]
    if record.state == CANCELLED:
        return
    for name, stage in item.stages.items():
        if stage.state in (DONE, FAILED):
            value = flow.stage_value(name)
            await events.publish(js, job_id, msg_id=f"{names.work_msg_id(job_id, index, value)}.finished",
                                 stage_finished=events_pb.StageFinished(item_index=index, stage=value,
                                                                        error=status_proto(stage.error)))
    if item.ended:
        await events.publish(js, job_id, msg_id=f"{job_id}.{index}.item-finished",
                             item_finished=events_pb.ItemFinished(item_index=index, error=status_proto(item.error)))
    elif item.media is not None:
        options = spec_of(record).pipeline.options
        for name in flow.ready(item):
            value = flow.stage_value(name)
            await publish_work(js, events_pb.StageWork(job_id=job_id, item_index=index, stage=value,
                                                       media=media_ref(source_of(item.media)), options=options))
    if record.state in (SUCCEEDED, FAILED):
        done = sum(1 for i in record.items if i.state == DONE)
        await events.publish(js, job_id, msg_id=f"{job_id}.finished", finished=events_pb.JobFinished(
            succeeded_items=done, failed_items=len(record.items) - done))


async def queue_first_stages(js, record: JobRecord) -> None:
    """The work a new job starts with: every item's first ready stage."""
    options = spec_of(record).pipeline.options
    for index, item in enumerate(record.items):
        source = item.media if item.media is not None else item.input
        for name in flow.ready(item):
            value = flow.stage_value(name)
            await publish_work(js, events_pb.StageWork(job_id=record.job_id, item_index=index, stage=value,
                                                       media=media_ref(source_of(source)), options=options))


async def cancel(nc, store: JobStore, job_id: str) -> JobRecord:
    """Stops a job that has not ended: its record says cancelled (workers
    check it before and during every stage), the event says so, and a
    control message reaches the workers running its stages at once."""

    def change(record: JobRecord) -> bool:
        if record.ended:
            return False
        record.state = CANCELLED
        return True

    record, changed = await store.update(job_id, change)
    if changed:
        metrics.JOBS_FINISHED.labels(CANCELLED).inc()
    if record.state == CANCELLED:
        await events.publish(nc.jetstream(), job_id, msg_id=f"{job_id}.cancelled",
                             cancelled=events_pb.JobCancelled())
        await nc.publish(names.control_subject(job_id), b"cancel")
    return record
