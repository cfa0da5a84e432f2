"""Stage handlers that answer from the work alone, and a runner of
StageWorkers for them, for tests of the pipeline and the gateway's jobs
without models. A media name decides: "mute" has no audio, "broken" is
not a video, "slow" runs until cancelled; a URL ending in "missing" is a
404."""

from __future__ import annotations

import asyncio
import contextlib

from google.protobuf.duration_pb2 import Duration

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus.media.v1 import media_ref_pb2, media_service_pb2
from optivus.speech.v1 import speech_service_pb2 as speech_pb
from optivus.vision.v1 import vision_service_pb2 as vision_pb
from optivus_common import errors
from optivus_common.jobs.stage_worker import StageWorker, WorkerSettings

FAST = WorkerSettings(concurrency=4, ack_wait_s=2.0, max_deliver=3, retry_base_s=0.05, retry_cap_s=0.2,
                      progress_interval_s=0.0, fetch_wait_s=0.5)


def _seconds(value: float) -> Duration:
    d = Duration()
    d.FromNanoseconds(round(value * 1e9))
    return d


def _name(ctx) -> str:
    return ctx.work.media.path or ctx.work.media.blob_key


async def _maybe_slow(name: str, started: asyncio.Event | None) -> None:
    if "slow" in name:
        if started is not None:
            started.set()
        await asyncio.Event().wait()


class FakeStages:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.calls: list[tuple[str, str]] = []

    async def download(self, ctx) -> events_pb.ItemResult:
        url = ctx.work.media.url
        self.calls.append(("download", url))
        if url.endswith("missing"):
            raise errors.NotFound(f"the server answered HTTP 404 for {url}", reason="MEDIA_NOT_FOUND")
        await ctx.progress(0.5)
        file = f"/data/videos/{url.rsplit('/', 1)[-1]}.mp4"
        info = media_service_pb2.MediaInfo(fulltitle=url.rsplit("/", 1)[-1], webpage_url=url, duration=_seconds(4))
        return events_pb.ItemResult(download=media_service_pb2.DownloadedFile(
            media=media_ref_pb2.MediaRef(path=file), path=file, size_bytes=1000, info=info))

    async def transcribe(self, ctx) -> events_pb.ItemResult:
        name = _name(ctx)
        self.calls.append(("transcribe", name))
        await _maybe_slow(name, self.started)
        if "mute" in name:
            raise errors.InvalidArgument("the media has no audio stream", reason="NO_AUDIO_STREAM")
        text = f"said in {name.rsplit('/', 1)[-1]}"
        return events_pb.ItemResult(
            segments=[speech_pb.Segment(index=0, start=_seconds(0), end=_seconds(2), text=text)],
            transcript=speech_pb.TranscriptionResult(text=text, language_code="en", duration=_seconds(2)))

    async def describe(self, ctx) -> events_pb.ItemResult:
        name = _name(ctx)
        self.calls.append(("describe", name))
        await _maybe_slow(name, self.started)
        if "broken" in name:
            raise errors.InvalidArgument("the file is not a video that can be decoded", reason="MEDIA_UNDECODABLE")
        return events_pb.ItemResult(scenes=[vision_pb.Scene(index=0, start=_seconds(0), end=_seconds(4),
                                                            text=f"seen in {name.rsplit('/', 1)[-1]}")])


@contextlib.asynccontextmanager
async def stage_workers(nc, stages: FakeStages, settings: WorkerSettings = FAST):
    """Runs a StageWorker per stage on `nc` until the block ends."""
    stop = asyncio.Event()
    workers = [StageWorker(nc, name, getattr(stages, name), "test.optivus", settings)
               for name in ("download", "transcribe", "describe")]
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    try:
        for w in workers:
            await asyncio.wait_for(w.ready.wait(), 30)
        yield workers
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
