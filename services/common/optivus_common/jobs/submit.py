"""Starting a job: its record (created only if new), its first event and
its first stages' work. A client's request_id makes a repeat submission
return the first job."""

from __future__ import annotations

import base64
import secrets
import time

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus.gateway.v1 import job_service_pb2 as jobs_pb

from .. import metrics, registry
from ..errors import FailedPrecondition, InvalidArgument
from . import events, flow, progression
from .records import JobRecord
from .store import JobStore

MAX_REQUEST_ID = 200


def new_job_id() -> str:
    """32 hex characters that sort by creation time (milliseconds, then 80 random bits)."""
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(10)}"


def check_spec(spec: jobs_pb.JobSpec, max_inputs: int) -> None:
    pipeline = spec.pipeline
    if not pipeline.inputs:
        raise InvalidArgument("the job has no inputs", reason="INPUTS_MISSING")
    if len(pipeline.inputs) > max_inputs:
        raise InvalidArgument(f"a job may have at most {max_inputs} inputs", reason="TOO_MANY_INPUTS",
                              limit=max_inputs)
    for i, ref in enumerate(pipeline.inputs):
        kind = ref.WhichOneof("source")
        if kind not in ("url", "path", "blob_key") or not getattr(ref, kind):
            raise InvalidArgument(f"inputs[{i}] must be a url, a path or a blob_key (inline content is not "
                                  "taken by jobs: upload it first)", reason="INVALID_INPUT", index=i)
    if not (pipeline.transcribe or pipeline.describe):
        raise InvalidArgument("the job does nothing: ask for transcribe, describe or both", reason="NOTHING_TO_DO")
    if pipeline.index and not registry.stage_service("index").built:
        raise FailedPrecondition("indexing for questions (VideoRAG) is not available on this server yet",
                                 reason="INDEX_NOT_AVAILABLE")


async def submit(js, store: JobStore, spec: jobs_pb.JobSpec, request_id: str = "", max_inputs: int = 32) -> JobRecord:
    check_spec(spec, max_inputs)
    if len(request_id) > MAX_REQUEST_ID:
        raise InvalidArgument(f"request_id is longer than {MAX_REQUEST_ID} characters", reason="INVALID_REQUEST_ID")
    job_id = new_job_id()
    if request_id:
        first = await store.claim_request(request_id, job_id)
        if first != job_id:
            return await store.get(first)
    pipeline = spec.pipeline
    now = time.time()
    record = JobRecord(job_id=job_id, spec=base64.b64encode(spec.SerializeToString()).decode(), create_time=now,
                       update_time=now, request_id=request_id,
                       items=flow.plan([progression.media_dict(ref) for ref in pipeline.inputs],
                                       pipeline.transcribe, pipeline.describe, pipeline.index))
    await store.create(record)
    metrics.JOBS_SUBMITTED.inc()
    await events.publish(js, job_id, msg_id=f"{job_id}.queued",
                         queued=events_pb.JobQueued(item_count=len(record.items)))
    await progression.queue_first_stages(js, record)
    return record
