"""What the pipeline runtime tells about itself, on a real nats-server: one
trace from the submitter through every stage (the W3C context rides in
the work's NATS headers; each stage's consumer span is the child of the
span that published its work, and carries the stage's cost), and the
stage metrics (outcomes, errors by reason, redeliveries, queue wait, jobs,
the consumer's lag) moved by exactly what happened."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus.gateway.v1 import job_service_pb2 as jobs_pb
from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as speech_pb
from optivus_common import errors
from optivus_common.jobs import events, infra, names
from optivus_common.jobs.stage_worker import StageWorker, WorkerSettings
from optivus_common.jobs.store import JobStore
from optivus_common.jobs.submit import submit
from optivus_testing.fake_stages import FakeStages, stage_workers

pytestmark = pytest.mark.integration

tracer = trace.get_tracer(__name__)


@pytest.fixture
async def store(nc):
    kv, results = await infra.ensure(nc.jetstream())
    return JobStore(kv, results)


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def spec(*inputs: media_ref_pb2.MediaRef, transcribe=True, describe=True) -> jobs_pb.JobSpec:
    return jobs_pb.JobSpec(pipeline=jobs_pb.PipelineJob(inputs=list(inputs), transcribe=transcribe,
                                                        describe=describe))


async def until_finished(js, job_id: str) -> None:
    async def follow():
        async for _ in events.watch(js, job_id):
            pass

    await asyncio.wait_for(follow(), 60)


async def until(condition, what: str) -> None:
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def consumer_spans(exporter, job_id: str) -> list:
    return [s for s in exporter.get_finished_spans()
            if s.kind == SpanKind.CONSUMER and s.attributes.get("optivus.job_id") == job_id]


async def test_one_trace_from_the_submitter_through_every_stage(nc, store, span_exporter):
    js = nc.jetstream()
    async with stage_workers(nc, FakeStages()):
        with tracer.start_as_current_span("client request") as root:
            record = await submit(js, store, spec(media_ref_pb2.MediaRef(url="https://example.com/v/talk")))
        await until_finished(js, record.job_id)
        # The last consumer span ends once its work is acknowledged, just after the job's end event.
        await until(lambda: len(consumer_spans(span_exporter, record.job_id)) == 3, "three consumer spans")

    spans = span_exporter.get_finished_spans()
    trace_id = root.get_span_context().trace_id
    ours = [s for s in spans if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in ours}
    publish = {s.attributes["optivus.stage"]: s for s in ours if s.kind == SpanKind.PRODUCER}
    process = {s.attributes["optivus.stage"]: s for s in ours if s.kind == SpanKind.CONSUMER}
    assert set(publish) == set(process) == {"download", "transcribe", "describe"}
    # Every span of the job is in the client's trace, and every parent link holds.
    assert {s.context.span_id for s in consumer_spans(span_exporter, record.job_id)} == \
        {s.context.span_id for s in process.values()}
    for span in ours:
        if span.context.span_id != root.get_span_context().span_id:
            assert span.parent.span_id in by_id, span.name
    assert publish["download"].parent.span_id == root.get_span_context().span_id
    for stage in ("download", "transcribe", "describe"):
        assert process[stage].parent.span_id == publish[stage].context.span_id, stage  # across the NATS hop
        assert publish[stage].name == f"publish optivus.work.{stage}"
        assert process[stage].name == f"process optivus.work.{stage}"
        attributes = process[stage].attributes
        assert attributes["messaging.system"] == "nats"
        assert attributes["messaging.consumer.group.name"] == names.consumer_name(stage)
        assert (attributes["optivus.attempt"], attributes["optivus.redeliveries"]) == (1, 0)
        assert attributes["optivus.queue_wait_s"] >= 0
        assert attributes["optivus.outcome"] == "succeeded"
    # The next stages are published from inside the stage that made them ready.
    assert publish["transcribe"].parent.span_id == process["download"].context.span_id
    assert publish["describe"].parent.span_id == process["download"].context.span_id
    # What each stage cost, from its result.
    assert process["download"].attributes["optivus.download_bytes"] == 1000
    assert process["download"].attributes["optivus.media_duration_s"] == 4.0
    assert process["transcribe"].attributes["optivus.audio_seconds"] == 2.0


async def test_stage_metrics_count_what_happened(nc, store, span_exporter):
    js = nc.jetstream()
    stages = ("transcribe", "describe")
    before = {
        "submitted": value("optivus_jobs_submitted_total"),
        "finished": value("optivus_jobs_finished_total", state="succeeded"),
        **{f"{s}.{o}": value("optivus_stage_outcomes_total", stage=s, outcome=o)
           for s in stages for o in ("succeeded", "failed", "retried")},
        **{f"{s}.deliveries": value("optivus_stage_deliveries_total", stage=s) for s in stages},
        **{f"{s}.redeliveries": value("optivus_stage_redeliveries_total", stage=s) for s in stages},
        **{f"{s}.waits": value("optivus_stage_queue_wait_seconds_count", stage=s) for s in stages},
        **{f"{s}.runs": value("optivus_stage_seconds_count", stage=s) for s in stages},
        "loading": value("optivus_stage_errors_total", stage="transcribe", reason="MODEL_NOT_LOADED"),
        "undecodable": value("optivus_stage_errors_total", stage="describe", reason="MEDIA_UNDECODABLE"),
    }
    tries: dict[str, int] = {}

    async def transcribe_once_loading(ctx) -> events_pb.ItemResult:
        name = ctx.work.media.path
        tries[name] = tries.get(name, 0) + 1
        if "flaky" in name and ctx.attempt == 1:
            raise errors.Unavailable("the model is still loading", reason="MODEL_NOT_LOADED")
        return events_pb.ItemResult(transcript=speech_pb.TranscriptionResult(text="words"))

    fakes = FakeStages()
    fakes.transcribe = transcribe_once_loading
    async with stage_workers(nc, fakes):
        record = await submit(js, store, spec(media_ref_pb2.MediaRef(path="/data/flaky.mp4"),
                                              media_ref_pb2.MediaRef(path="/data/broken.mp4")))
        await until_finished(js, record.job_id)
        await until(lambda: len(consumer_spans(span_exporter, record.job_id)) == 5, "five deliveries' spans")

    def moved(key: str, name: str, **labels) -> float:
        return value(name, **labels) - before[key]

    assert moved("submitted", "optivus_jobs_submitted_total") == 1
    assert moved("finished", "optivus_jobs_finished_total", state="succeeded") == 1
    # transcribe: flaky.mp4 retried once then done, broken.mp4 done; describe: flaky done, broken failed.
    assert moved("transcribe.deliveries", "optivus_stage_deliveries_total", stage="transcribe") == 3
    assert moved("transcribe.redeliveries", "optivus_stage_redeliveries_total", stage="transcribe") == 1
    assert moved("transcribe.retried", "optivus_stage_outcomes_total", stage="transcribe", outcome="retried") == 1
    assert moved("transcribe.succeeded", "optivus_stage_outcomes_total", stage="transcribe",
                 outcome="succeeded") == 2
    assert moved("loading", "optivus_stage_errors_total", stage="transcribe", reason="MODEL_NOT_LOADED") == 1
    assert moved("transcribe.waits", "optivus_stage_queue_wait_seconds_count", stage="transcribe") == 2
    assert moved("transcribe.runs", "optivus_stage_seconds_count", stage="transcribe") == 3
    assert moved("describe.deliveries", "optivus_stage_deliveries_total", stage="describe") == 2
    assert moved("describe.redeliveries", "optivus_stage_redeliveries_total", stage="describe") == 0
    assert moved("describe.succeeded", "optivus_stage_outcomes_total", stage="describe", outcome="succeeded") == 1
    assert moved("describe.failed", "optivus_stage_outcomes_total", stage="describe", outcome="failed") == 1
    assert moved("undecodable", "optivus_stage_errors_total", stage="describe", reason="MEDIA_UNDECODABLE") == 1
    for stage in stages:
        assert value("optivus_stage_in_flight", stage=stage) == 0

    # The retry is the same trace, one redelivery later, below the same publish span.
    flaky = sorted((s for s in consumer_spans(span_exporter, record.job_id)
                    if s.attributes["optivus.stage"] == "transcribe" and s.attributes["optivus.item_index"] == 0),
                   key=lambda s: s.attributes["optivus.attempt"])
    assert [s.attributes["optivus.outcome"] for s in flaky] == ["retried", "succeeded"]
    assert [s.attributes["optivus.redeliveries"] for s in flaky] == [0, 1]
    assert flaky[0].parent.span_id == flaky[1].parent.span_id
    failed = [s for s in consumer_spans(span_exporter, record.job_id)
              if s.attributes["optivus.stage"] == "describe" and s.attributes["optivus.outcome"] == "failed"]
    assert len(failed) == 1 and not failed[0].status.is_ok


async def test_the_consumers_lag_is_reported(nc, store):
    js = nc.jetstream()
    release = asyncio.Event()

    async def held(ctx) -> events_pb.ItemResult:
        await release.wait()
        return events_pb.ItemResult()

    settings = WorkerSettings(concurrency=1, ack_wait_s=30, max_deliver=3, progress_interval_s=0.0,
                              fetch_wait_s=0.5, lag_interval_s=0.02)
    worker = StageWorker(nc, "describe", held, "test.optivus", settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.wait_for(worker.ready.wait(), 30)
        record = await submit(js, store, spec(*(media_ref_pb2.MediaRef(path=f"/data/{i}.mp4") for i in range(3)),
                                              transcribe=False))

        def lag() -> tuple[float, float]:
            return (value("optivus_stage_consumer_pending", stage="describe"),
                    value("optivus_stage_consumer_ack_pending", stage="describe"))

        # One runs (delivered, not acknowledged), two wait.
        await until(lambda: lag() == (2, 1), "2 pending and 1 unacknowledged")
        release.set()
        await until_finished(js, record.job_id)
        await until(lambda: lag() == (0, 0), "no lag")
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)
