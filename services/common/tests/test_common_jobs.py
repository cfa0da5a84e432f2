"""The pipeline runtime on a real nats-server with handlers that answer
from the work alone: stages run in order and in parallel, joins fire once,
errors end a stage or are retried, cancel stops running work, and a worker
that dies hands its work to another."""

from __future__ import annotations

import asyncio

import nats
import pytest

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus.gateway.v1 import job_service_pb2 as jobs_pb
from optivus.media.v1 import media_ref_pb2, media_service_pb2
from optivus.speech.v1 import speech_service_pb2 as speech_pb
from optivus.vision.v1 import vision_service_pb2 as vision_pb
from optivus_common import errors
from optivus_common.jobs import events, infra, names, progression
from optivus_common.jobs.results import job_result
from optivus_common.jobs.stage_worker import StageWorker, WorkerSettings
from optivus_common.jobs.store import JobStore
from optivus_common.jobs.submit import submit

pytestmark = pytest.mark.integration

FAST = WorkerSettings(concurrency=2, ack_wait_s=2.0, max_deliver=3, retry_base_s=0.05, retry_cap_s=0.2,
                      progress_interval_s=0.0, fetch_wait_s=0.5)


@pytest.fixture
async def store(nc):
    kv, results = await infra.ensure(nc.jetstream())
    return JobStore(kv, results)


class Workers:
    """Runs StageWorkers until the test ends."""

    def __init__(self) -> None:
        self.tasks: list[tuple[asyncio.Event, asyncio.Task]] = []

    async def start(self, nc, stage: str, handler, settings: WorkerSettings = FAST) -> StageWorker:
        worker = StageWorker(nc, stage, handler, "test.optivus", settings)
        stop = asyncio.Event()
        self.tasks.append((stop, asyncio.create_task(worker.run(stop))))
        await asyncio.wait_for(worker.ready.wait(), 30)
        return worker

    async def stop(self) -> None:
        for stop, task in self.tasks:
            stop.set()
        await asyncio.gather(*(task for _, task in self.tasks), return_exceptions=True)


@pytest.fixture
async def workers():
    running = Workers()
    yield running
    await running.stop()


def spec(*inputs: media_ref_pb2.MediaRef, transcribe=True, describe=True) -> jobs_pb.JobSpec:
    return jobs_pb.JobSpec(pipeline=jobs_pb.PipelineJob(inputs=list(inputs), transcribe=transcribe,
                                                        describe=describe))


async def transcribe(ctx) -> events_pb.ItemResult:
    name = ctx.work.media.path or ctx.work.media.blob_key
    if "mute" in name:
        raise errors.InvalidArgument("the media has no audio stream", reason="NO_AUDIO_STREAM")
    await ctx.progress(0.5)
    return events_pb.ItemResult(segments=[speech_pb.Segment(text=f"said in {name}")],
                                transcript=speech_pb.TranscriptionResult(text=f"said in {name}"))


async def describe(ctx) -> events_pb.ItemResult:
    name = ctx.work.media.path or ctx.work.media.blob_key
    if "broken" in name:
        raise errors.InvalidArgument("not a video", reason="MEDIA_UNDECODABLE")
    return events_pb.ItemResult(scenes=[vision_pb.Scene(text=f"seen in {name}")])


async def download(ctx) -> events_pb.ItemResult:
    file = f"/data/videos/{ctx.work.media.url.rsplit('/', 1)[-1]}.mp4"
    return events_pb.ItemResult(download=media_service_pb2.DownloadedFile(
        media=media_ref_pb2.MediaRef(path=file), path=file))


async def until_finished(js, job_id: str, timeout: float = 60) -> list[events_pb.JobEvent]:
    seen = []

    async def collect():
        async for event in events.watch(js, job_id):
            seen.append(event)

    await asyncio.wait_for(collect(), timeout)
    return seen


def kinds(seen):
    return [e.WhichOneof("event") for e in seen]


async def test_a_url_is_downloaded_then_transcribed_and_described(nc, store, workers):
    js = nc.jetstream()
    for stage, handler in (("download", download), ("transcribe", transcribe), ("describe", describe)):
        await workers.start(nc, stage, handler)
    record = await submit(js, store, spec(media_ref_pb2.MediaRef(url="https://example.com/v/talk"),
                                          media_ref_pb2.MediaRef(path="/data/local.mp4")))
    seen = await until_finished(js, record.job_id)
    assert kinds(seen)[0] == "queued" and kinds(seen)[-1] == "finished"
    assert [e.sequence for e in seen] == sorted(e.sequence for e in seen)
    assert kinds(seen).count("item_finished") == 2 and kinds(seen).count("finished") == 1
    finished = await store.get(record.job_id)
    assert finished.state == "succeeded" and [i.state for i in finished.items] == ["done", "done"]
    result = await job_result(store, finished)
    first, second = result.items
    assert first.input == "https://example.com/v/talk" and first.download.path == "/data/videos/talk.mp4"
    assert first.transcript.text == "said in /data/videos/talk.mp4"
    assert [s.text for s in first.scenes] == ["seen in /data/videos/talk.mp4"]
    assert second.transcript.text == "said in /data/local.mp4" and not second.HasField("download")


async def test_a_failed_stage_is_that_items_error_only(nc, store, workers):
    js = nc.jetstream()
    await workers.start(nc, "transcribe", transcribe)
    await workers.start(nc, "describe", describe)
    record = await submit(js, store, spec(media_ref_pb2.MediaRef(path="/data/mute.mp4"),
                                          media_ref_pb2.MediaRef(path="/data/mute_broken.mp4"),
                                          media_ref_pb2.MediaRef(path="/data/fine.mp4")))
    await until_finished(js, record.job_id)
    finished = await store.get(record.job_id)
    assert [i.state for i in finished.items] == ["done", "failed", "done"]
    result = await job_result(store, finished)
    muted, broken, fine = result.items
    assert [s.text for s in muted.scenes] == ["seen in /data/mute.mp4"]
    assert [(e.stage, e.error.message) for e in muted.stage_errors] == [
        (events_pb.STAGE_TRANSCRIBE, "the media has no audio stream")]
    assert broken.error.message == "the media has no audio stream" and not broken.stage_errors
    assert fine.transcript.text and not fine.HasField("error")
    assert finished.state == "succeeded"


async def test_retryable_errors_are_retried_then_given_up(nc, store, workers):
    js = nc.jetstream()
    calls: dict[str, int] = {}

    async def flaky(ctx):
        name = ctx.work.media.path
        calls[name] = calls.get(name, 0) + 1
        if "never" in name or calls[name] == 1:
            raise errors.Unavailable("the model is still loading", reason="MODEL_NOT_LOADED")
        return events_pb.ItemResult(transcript=speech_pb.TranscriptionResult(text=f"attempt {calls[name]}"))

    await workers.start(nc, "transcribe", flaky)
    record = await submit(js, store, spec(media_ref_pb2.MediaRef(path="/data/once.mp4"),
                                          media_ref_pb2.MediaRef(path="/data/never.mp4"), describe=False))
    await until_finished(js, record.job_id)
    result = await job_result(store, await store.get(record.job_id))
    assert result.items[0].transcript.text == "attempt 2"
    assert calls["/data/never.mp4"] == FAST.max_deliver
    assert result.items[1].error.message.startswith(f"gave up after {FAST.max_deliver} tries")


async def test_cancel_stops_running_stages_and_nothing_stays_pending(nc, store, workers):
    js = nc.jetstream()
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def endless(ctx):
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    await workers.start(nc, "transcribe", endless)
    record = await submit(js, store, spec(*[media_ref_pb2.MediaRef(path=f"/data/{i}.mp4") for i in range(4)],
                                          describe=False))
    await asyncio.wait_for(started.wait(), 30)
    await progression.cancel(nc, store, record.job_id)
    await asyncio.wait_for(cancelled.wait(), 30)
    seen = await until_finished(js, record.job_id)
    assert kinds(seen)[-1] == "cancelled" and "finished" not in kinds(seen)
    assert (await store.get(record.job_id)).state == "cancelled"
    consumer = names.consumer_name("transcribe")
    for _ in range(300):
        info = await js.consumer_info(names.WORK_STREAM, consumer)
        if info.num_pending == 0 and info.num_ack_pending == 0:
            break
        await asyncio.sleep(0.05)
    assert (info.num_pending, info.num_ack_pending) == (0, 0)
    assert (await progression.cancel(nc, store, record.job_id)).state == "cancelled"  # idempotent


async def test_a_dead_workers_stage_goes_to_another_and_ends_once(nc, store, workers, nats_urls):
    js = nc.jetstream()
    doomed = await nats.connect(nats_urls[0])
    taken = asyncio.Event()

    async def dies(ctx):
        taken.set()
        await asyncio.Event().wait()

    done_by: list[str] = []

    async def survives(ctx):
        done_by.append(ctx.worker)
        return events_pb.ItemResult(transcript=speech_pb.TranscriptionResult(text=f"attempt {ctx.attempt}"))

    await workers.start(doomed, "transcribe", dies)
    record = await submit(js, store, spec(media_ref_pb2.MediaRef(path="/data/a.mp4"), describe=False))
    await asyncio.wait_for(taken.wait(), 30)
    await doomed.close()  # as a kill -9 would: no ack, no nak
    await workers.start(nc, "transcribe", survives)
    seen = await until_finished(js, record.job_id)
    assert kinds(seen).count("finished") == 1 and kinds(seen).count("item_finished") == 1
    assert len(done_by) == 1
    result = await job_result(store, await store.get(record.job_id))
    assert result.items[0].transcript.text == "attempt 2"


async def test_a_stage_end_stuck_in_recording_is_logged_and_run_again(nc, store, workers, monkeypatch, caplog):
    """The end of a stage whose recording never returns (as a NATS call
    wedged after a restart might) is given up after record_timeout_s, with
    where it was stuck in the log; the work comes back and the stage runs
    again to its end."""
    js = nc.jetstream()
    stuck_once: list[bool] = []
    store_result = JobStore.put_result

    async def stuck_put(self, job_id, item, stage, data):
        if not stuck_once:
            stuck_once.append(True)
            await asyncio.Event().wait()
        await store_result(self, job_id, item, stage, data)

    monkeypatch.setattr(JobStore, "put_result", stuck_put)
    attempts: list[int] = []

    async def counted(ctx):
        attempts.append(ctx.attempt)
        return events_pb.ItemResult(transcript=speech_pb.TranscriptionResult(text=f"attempt {ctx.attempt}"))

    settings = WorkerSettings(concurrency=1, ack_wait_s=1.0, max_deliver=3, record_timeout_s=0.5, fetch_wait_s=0.5)
    with caplog.at_level("ERROR", logger="optivus_common.jobs.stage_worker"):
        await workers.start(nc, "transcribe", counted, settings)
        record = await submit(js, store, spec(media_ref_pb2.MediaRef(path="/data/a.mp4"), describe=False))
        seen = await until_finished(js, record.job_id)
    assert attempts == [1, 2] and kinds(seen).count("finished") == 1
    result = await job_result(store, await store.get(record.job_id))
    assert result.items[0].transcript.text == "attempt 2"
    (stuck,) = [r for r in caplog.records if r.getMessage() == "stage end not recorded in time"]
    assert "stuck_put" in stuck.awaiting and "_record_end" in stuck.awaiting


async def test_the_same_request_id_gives_the_same_job(nc, store):
    js = nc.jetstream()
    first = await submit(js, store, spec(media_ref_pb2.MediaRef(path="/data/a.mp4")), request_id="client-42")
    again = await submit(js, store, spec(media_ref_pb2.MediaRef(path="/data/b.mp4")), request_id="client-42")
    assert again.job_id == first.job_id and again.items[0].input == {"path": "/data/a.mp4"}


@pytest.mark.parametrize("bad, reason", [
    (spec(), "INPUTS_MISSING"),
    (spec(media_ref_pb2.MediaRef(content=b"x")), "INVALID_INPUT"),
    (spec(media_ref_pb2.MediaRef(path="")), "INVALID_INPUT"),
    (spec(media_ref_pb2.MediaRef(path="/a"), transcribe=False, describe=False), "NOTHING_TO_DO"),
    (spec(*[media_ref_pb2.MediaRef(path="/a")] * 33), "TOO_MANY_INPUTS"),
])
async def test_bad_specs_are_refused(nc, store, bad, reason):
    with pytest.raises(errors.InvalidArgument) as err:
        await submit(nc.jetstream(), store, bad)
    assert err.value.reason == reason


async def test_a_stream_that_holds_the_pipelines_subjects_is_named(nc):
    js = nc.jetstream()
    await js.add_stream(name="SQUATTER", subjects=["optivus.>"])
    try:
        with pytest.raises(infra.StreamConflict, match="OPTIVUS_WORK .*overlap"):
            await infra.ensure(js)
    finally:
        await js.delete_stream("SQUATTER")
