"""The JetStream adapter (a transport, like the servicer): it submits the
indexing job (transcribe with word times and voice activity detection, and describe with on-screen text,
then index), reads a job's state for GetVideo, cancels one on delete, and
runs the index stage: the earlier stages' results (protobuf ItemResult
parts in the results store) become plain VideoContent for the application
layer, whose answer becomes the stage's IndexedVideo."""

from __future__ import annotations

import logging
import threading

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus.gateway.v1 import job_service_pb2 as jobs_pb
from optivus.speech.v1 import speech_service_pb2 as speech_pb
from optivus.vision.v1 import vision_service_pb2 as vision_pb
from optivus_common.convert import duration, media_ref, media_source, seconds
from optivus_common.errors import NotFound
from optivus_common.jobs import infra, progression
from optivus_common.jobs.stage_worker import StageContext
from optivus_common.jobs.store import JobStore
from optivus_common.jobs.submit import submit
from optivus_common.media import MediaSource

from .app import IndexRequest, VideoRagApp
from .clips import Scene, Segment, VideoContent, Word

log = logging.getLogger(__name__)

OCR_TASKS = (vision_pb.VISION_TASK_OCR, vision_pb.VISION_TASK_OCR_WITH_REGION)


class PipelineJobs:
    """The application layer's Jobs port on NATS JetStream."""

    def __init__(self, nc) -> None:
        self._nc = nc
        self._js = nc.jetstream()
        self.store: JobStore | None = None

    async def start(self) -> None:
        kv, results = await infra.ensure(self._js)
        self.store = JobStore(kv, results)

    async def submit_index(self, source: MediaSource, library: str, video_id: str, clip_length: float,
                           title: str) -> str:
        options = events_pb.StageOptions(
            # VAD: whisper invents words in long silences ("You"), which would become clips.
            recognition=speech_pb.RecognitionConfig(word_timestamps=True, vad_filter=True),
            describe=events_pb.DescribeOptions(include_ocr=True),
            index=events_pb.IndexOptions(collection=library, clip_length=duration(clip_length), title=title,
                                         video_id=video_id))
        spec = jobs_pb.JobSpec(pipeline=jobs_pb.PipelineJob(inputs=[media_ref(source)], transcribe=True,
                                                            describe=True, index=True, options=options))
        record = await submit(self._js, self.store, spec)
        return record.job_id

    async def state(self, job_id: str) -> tuple[str, str] | None:
        try:
            record = await self.store.get(job_id)
        except NotFound:
            return None
        error = next((i.error.get("message", "") for i in record.items if i.error), "")
        if not error:
            stage = record.items[0].stages.get("index") if record.items else None
            error = (stage.error or {}).get("message", "") if stage is not None else ""
        return record.state, error

    async def cancel(self, job_id: str) -> None:
        try:
            await progression.cancel(self._nc, self.store, job_id)
        except NotFound:
            pass


def content_of(transcribed: bytes | None, described: bytes | None) -> VideoContent:
    """The transcribe and describe stages' results as plain content."""
    content = VideoContent()
    if transcribed:
        part = events_pb.ItemResult.FromString(transcribed)
        content.language = part.transcript.language_code
        content.duration = seconds(part.transcript.duration)
        content.segments = [Segment(seconds(s.start), seconds(s.end), s.text,
                                    tuple(Word(seconds(w.start), seconds(w.end), w.word) for w in s.words))
                            for s in part.segments]
    if described:
        part = events_pb.ItemResult.FromString(described)
        ocr_only = part.video_summary.task in OCR_TASKS
        for s in part.scenes:
            is_ocr = ocr_only or s.result.task in OCR_TASKS
            text = "" if is_ocr else s.text
            read = s.ocr_text or (s.text if is_ocr else "")
            content.scenes.append(Scene(seconds(s.start), seconds(s.end), text, read))
        if part.HasField("image"):
            is_ocr = part.image.task in OCR_TASKS
            content.scenes.append(Scene(0.0, 0.0, "" if is_ocr else part.image.text,
                                        part.image.text if is_ocr else ""))
        content.duration = max(content.duration, seconds(part.video_summary.duration))
    return content


def index_handler(app: VideoRagApp, jobs: PipelineJobs):
    """The index stage's handler for optivus_common.jobs.stage_worker.StageWorker."""

    async def handle(ctx: StageContext) -> events_pb.ItemResult:
        work = ctx.work
        transcribed = await jobs.store.get_result(work.job_id, work.item_index, events_pb.STAGE_TRANSCRIBE)
        described = await jobs.store.get_result(work.job_id, work.item_index, events_pb.STAGE_DESCRIBE)
        options = work.options.index
        request = IndexRequest(content=content_of(transcribed, described), media=media_source(work.media),
                               library=options.collection, video_id=options.video_id, title=options.title,
                               clip_length=seconds(options.clip_length), job_id=work.job_id)
        await ctx.progress(0.1)
        stop = threading.Event()
        try:
            indexed = await app.index_content(request, stop)
        finally:
            stop.set()
        return events_pb.ItemResult(indexed=events_pb.IndexedVideo(
            video_id=indexed.video_id, collection=indexed.library, clip_count=indexed.clip_count))

    return handle
