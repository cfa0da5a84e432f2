"""Jobs as clients see them: the gRPC Job message, and the first server's
`video` reply shape (data.data: one item per input, in order)."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus.gateway.v1 import job_service_pb2 as jobs_pb
from optivus_common.convert import timestamp
from optivus_common.jobs import results
from optivus_common.jobs.progression import status_proto
from optivus_common.jobs.records import JobRecord
from optivus_common.jobs.store import JobStore

from .handlers.dlp import metadata

STATES = {"queued": jobs_pb.JOB_STATE_QUEUED, "running": jobs_pb.JOB_STATE_RUNNING,
          "succeeded": jobs_pb.JOB_STATE_SUCCEEDED, "failed": jobs_pb.JOB_STATE_FAILED,
          "cancelled": jobs_pb.JOB_STATE_CANCELLED}


def _when(seconds: float):
    return timestamp(datetime.fromtimestamp(seconds, timezone.utc))


async def job_message(store: JobStore, record: JobRecord, with_result: bool = True) -> jobs_pb.Job:
    job = jobs_pb.Job(job_id=record.job_id, spec=jobs_pb.JobSpec.FromString(base64.b64decode(record.spec)),
                      state=STATES[record.state], create_time=_when(record.create_time),
                      update_time=_when(record.update_time), progress=record.progress())
    if record.state == "failed":
        job.error.CopyFrom(status_proto(next(i.error for i in record.items if i.error)))
    if with_result and record.state in ("succeeded", "failed"):
        job.result.CopyFrom(await results.job_result(store, record))
    return job


def _seconds(d) -> float:
    return round(d.seconds + d.nanos / 1e9, 3)


def _stage_error(item: events_pb.ItemResult, stage: int) -> str | None:
    for failed in item.stage_errors:
        if failed.stage == stage:
            return failed.error.message
    return None


def seed_item(item: events_pb.ItemResult, source: dict) -> dict:
    """One input's result as the first server's `video` reply item."""
    where = {"url": source["url"]} if "url" in source else {"file": source.get("path") or source.get("blob_key")}
    if item.HasField("error"):
        return {"error": item.error.message, **where}
    info = {**metadata(item.download.info), "file": item.download.path, "url": source["url"]} \
        if item.HasField("download") else {"file": where["file"]}
    out = {}
    transcript_error = _stage_error(item, events_pb.STAGE_TRANSCRIBE)
    if item.HasField("transcript") or transcript_error:
        out["transcribe_audio"] = {"error": transcript_error, "text": item.transcript.text,
                                   "chunks": [{"start": _seconds(s.start), "end": _seconds(s.end), "text": s.text}
                                              for s in item.segments]}
    describe_error = _stage_error(item, events_pb.STAGE_DESCRIBE)
    if item.scenes or item.HasField("video_summary") or item.HasField("image") or describe_error:
        if item.HasField("image"):
            out["transcribe_img"] = {"error": describe_error, "text": item.image.text}
        else:
            out["transcribe_video"] = [{"start": _seconds(s.start), "end": _seconds(s.end), "text": s.text}
                                       for s in item.scenes]
            if describe_error:
                out["describe_error"] = describe_error
    out["info"] = info
    return out


def progress_event(event: events_pb.JobEvent) -> dict:
    """A job event as the fields of a "102" reply."""
    kind = event.WhichOneof("event")
    body = getattr(event, kind)
    out: dict = {"job_id": event.job_id, "event": kind, "sequence": event.sequence}
    if kind == "queued":
        out["items"] = body.item_count
    elif kind in ("stage_started", "stage_progress", "stage_finished"):
        out["item_index"] = body.item_index
        out["stage"] = events_pb.Stage.Name(body.stage).removeprefix("STAGE_").lower()
        if kind == "stage_progress":
            out["fraction"] = round(body.fraction, 3)
        if kind == "stage_started":
            out["attempt"] = body.attempt
        if kind == "stage_finished" and body.HasField("error"):
            out["error"] = body.error.message
    elif kind == "item_finished":
        out["item_index"] = body.item_index
        if body.HasField("error"):
            out["error"] = body.error.message
    elif kind == "finished":
        out["succeeded_items"], out["failed_items"] = body.succeeded_items, body.failed_items
    return out
