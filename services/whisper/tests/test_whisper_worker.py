"""The transcribe stage on a real nats-server with the real model: a job's
file is transcribed by the same application layer as gRPC calls, a file
without sound is that item's error, and one outside the media folder is
refused."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from optivus.gateway.v1 import job_service_pb2 as jobs_pb
from optivus.media.v1 import media_ref_pb2
from optivus_common.jobs import events, infra
from optivus_common.jobs.results import job_result
from optivus_common.jobs.stage_worker import StageWorker, WorkerSettings
from optivus_common.jobs.store import JobStore
from optivus_common.jobs.submit import submit
from optivus_common.media import MediaResolver
from optivus_whisper.app import WhisperApp
from optivus_whisper.config import WhisperSettings
from optivus_whisper.engine import WhisperEngine
from optivus_whisper.worker import transcribe_stage

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def app(media_dir, model_cache):
    settings = WhisperSettings(data_dir=media_dir, model_cache=model_cache, model="base", batch_workers=2)
    engine = WhisperEngine(settings)
    engine.load()
    return WhisperApp(engine, MediaResolver(settings), settings)


@pytest.fixture
async def pipeline(nc, app):
    js = nc.jetstream()
    kv, results = await infra.ensure(js)
    worker = StageWorker(nc, "transcribe", partial(transcribe_stage, app), "test.optivus",
                         WorkerSettings(concurrency=2, fetch_wait_s=0.5))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(worker.ready.wait(), 30)
    yield js, JobStore(kv, results)
    stop.set()
    await task


async def run_job(js, store, *paths):
    record = await submit(js, store, jobs_pb.JobSpec(pipeline=jobs_pb.PipelineJob(
        inputs=[media_ref_pb2.MediaRef(path=str(p)) for p in paths], transcribe=True, describe=False)))
    async for _ in events.watch(js, record.job_id):
        pass
    finished = await store.get(record.job_id)
    return finished, await job_result(store, finished)


async def test_a_jobs_files_are_transcribed_in_order(pipeline, speech, bad_media, wer):
    js, store = pipeline
    (first, first_text), (second, second_text) = speech[:2]
    record, result = await asyncio.wait_for(run_job(js, store, first, bad_media["no_audio"], second), 300)
    assert record.state == "succeeded"
    said, mute, said_too = result.items
    assert wer(first_text, said.transcript.text) < 0.15 and wer(second_text, said_too.transcript.text) < 0.15
    assert said.transcript.language_code == "en" and said.transcript.segment_count == len(said.segments) > 0
    starts = [s.start.ToTimedelta() for s in said.segments]
    assert starts == sorted(starts)
    assert mute.error.message and not mute.segments
    assert "no audio" in mute.error.message


async def test_a_file_outside_the_media_folder_is_refused(pipeline, bad_media):
    js, store = pipeline
    _, result = await asyncio.wait_for(run_job(js, store, bad_media["outside"]), 120)
    assert result.items[0].error.message and not result.items[0].HasField("transcript")
