"""A job's result, assembled from its record and the stage results."""

from __future__ import annotations

from optivus.events.v1 import pipeline_events_pb2 as events_pb

from . import flow, progression
from .records import JobRecord
from .store import JobStore


def input_name(source: dict) -> str:
    return source.get("url") or source.get("filename") or source.get("path") or source.get("blob_key") or ""


async def job_result(store: JobStore, record: JobRecord) -> events_pb.JobResult:
    result = events_pb.JobResult()
    for index, item in enumerate(record.items):
        out = events_pb.ItemResult(item_index=index, input=input_name(item.input))
        for name, stage in item.stages.items():
            data = await store.get_result(record.job_id, index, flow.stage_value(name))
            if data:
                out.MergeFromString(data)
            if stage.error and not item.error:
                out.stage_errors.append(events_pb.StageError(stage=flow.stage_value(name),
                                                             error=progression.status_proto(stage.error)))
        out.item_index = index
        if item.error:
            out.error.CopyFrom(progression.status_proto(item.error))
        result.items.append(out)
    return result
