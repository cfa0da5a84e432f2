"""Every JetStream name the pipeline uses, in one place: the code creates
these, and the chart's KEDA ScaledObjects name the same stream and
consumers (tests/test_helm_chart.py compares them)."""

from __future__ import annotations

from optivus.events.v1 import pipeline_events_pb2 as events_pb

from ..registry import stage_service

WORK_STREAM = "OPTIVUS_WORK"
WORK_SUBJECTS = "optivus.work.>"
EVENTS_STREAM = "OPTIVUS_EVENTS"
EVENTS_SUBJECTS = "optivus.job.>"
JOBS_BUCKET = "optivus-jobs"
RESULTS_BUCKET = "optivus-job-results"

STAGES = {
    events_pb.STAGE_DOWNLOAD: "download",
    events_pb.STAGE_TRANSCRIBE: "transcribe",
    events_pb.STAGE_DESCRIBE: "describe",
    events_pb.STAGE_INDEX: "index",
}
STAGE_VALUES = {name: value for value, name in STAGES.items()}


def stage_name(stage: int) -> str:
    return STAGES[stage]


def work_subject(stage: int | str) -> str:
    return f"optivus.work.{stage if isinstance(stage, str) else STAGES[stage]}"


def consumer_name(stage: int | str) -> str:
    """The durable pull consumer of a stage: the name of the service that serves it."""
    return stage_service(stage if isinstance(stage, str) else STAGES[stage]).name


def event_subject(job_id: str) -> str:
    return f"optivus.job.{job_id}.event"


def control_subject(job_id: str) -> str:
    """Core NATS (in no stream): "cancel" reaches the workers at once."""
    return f"optivus.control.{job_id}"


def work_msg_id(job_id: str, item: int, stage: int) -> str:
    return f"{job_id}.{item}.{STAGES[stage]}"


def result_key(job_id: str, item: int, stage: int) -> str:
    return f"{job_id}.{item}.{STAGES[stage]}"
