"""The VideoRAG application layer: plain types in and out, no transport.

Indexing a video is a pipeline job (transcribe and describe on their
services' workers, then this service's index stage); `start_indexing`
checks the media, derives the video's id from its content and library,
and hands the job to the `Jobs` port. `index_content` is the index stage:
clips, chunks, embeddings, the graph, frames, all into Milvus. Queries
retrieve clips and answer with citations, as an async iterator."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

import numpy as np

from optivus_common.errors import Cancelled, FailedPrecondition, InvalidArgument, NotFound, ResourceExhausted, Unavailable
from optivus_common.media import MediaResolver, MediaSource
from optivus_common.threads import iterate_in_thread

from . import answer as answers
from .chunks import chunk_clip
from .clips import VideoContent, cut, spans
from .config import VideoRagSettings
from .graph import build, short_hash
from .models import Models
from .retrieve import ClipHit, retrieve
from .store import MilvusStore, VideoRow, check_library, check_video_id

log = logging.getLogger(__name__)

QUEUED, RUNNING, READY, FAILED = "queued", "running", "ready", "failed"
MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_VIDEO_IDS = 100


class Jobs(Protocol):
    """The pipeline, as the application layer sees it."""

    async def submit_index(self, source: MediaSource, library: str, video_id: str, clip_length: float,
                           title: str) -> str: ...

    async def state(self, job_id: str) -> tuple[str, str] | None:
        """(job state, error message) or None when the job is gone."""

    async def cancel(self, job_id: str) -> None: ...


@dataclass(frozen=True)
class IndexStarted:
    video_id: str
    job_id: str
    existing: bool


@dataclass(frozen=True)
class IndexRequest:
    """What the index stage gets: the earlier stages' output and the options."""

    content: VideoContent
    media: MediaSource
    library: str
    video_id: str
    title: str
    clip_length: float
    job_id: str = ""


@dataclass(frozen=True)
class Indexed:
    video_id: str
    library: str
    clip_count: int


@dataclass(frozen=True)
class Retrieved:
    hit: ClipHit


@dataclass(frozen=True)
class AnswerDelta:
    text: str


@dataclass(frozen=True)
class Citations:
    hits: list[tuple[int, ClipHit]]


@dataclass(frozen=True)
class Capabilities:
    embedding_model: str
    embedding_dim: int
    keyword_search: bool
    visual_search: bool
    visual_model: str
    visual_unavailable_reason: str
    entity_extractor: str
    answer_engine: str
    milvus: str


def video_id_for(library: str, content_id: str) -> str:
    return hashlib.sha256(f"{library}\n{content_id}".encode()).hexdigest()[:32]


def _file_sha256(path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _title_of(source: MediaSource, title: str) -> str:
    if title.strip():
        return " ".join(title.split())[:500]
    raw = source.filename or source.path or source.url or source.blob_key or ""
    return PurePosixPath(raw.split("?")[0]).name[:500] or "video"


class VideoRagApp:
    def __init__(self, settings: VideoRagSettings, store: MilvusStore, models: Models, media: MediaResolver,
                 jobs: Jobs | None = None) -> None:
        self.settings = settings
        self.store = store
        self.models = models
        self.media = media
        self.jobs = jobs
        self._query_slots = asyncio.Semaphore(settings.query_concurrency)
        self._store_lock = asyncio.Lock()
        # Where the last index stage's time went (embed, graph, write), for logs and benchmarks.
        self.last_timings: dict[str, float] = {}

    # --- indexing -------------------------------------------------------------------

    def _clip_length(self, seconds: float) -> float:
        if not seconds:
            return self.settings.clip_seconds
        if not 5 <= seconds <= 600:
            raise InvalidArgument("clip_length must be between 5 s and 600 s", reason="INVALID_CLIP_LENGTH")
        return seconds

    async def content_id(self, source: MediaSource) -> str:
        """What makes two videos the same: the file's SHA-256, or the URL."""
        if source.kind == "url":
            url = (source.url or "").strip()
            if not url.startswith(("http://", "https://")) or len(url) > 2000:
                raise InvalidArgument("a video URL is an http(s) URL of at most 2000 characters",
                                      reason="INVALID_URL")
            return "url:" + url
        if source.kind == "content":
            raise InvalidArgument("inline video bytes are not indexed: upload the video (a path or a blob key)",
                                  reason="INLINE_MEDIA_NOT_SUPPORTED")
        async with self.media.open(source, "video") as local:
            if not local.path.is_file():
                raise NotFound(f"no video at {source.path or source.blob_key!r}", reason="FILE_NOT_FOUND")
            if local.path.stat().st_size == 0:
                raise InvalidArgument("the video file is empty", reason="EMPTY_FILE")
            return "sha256:" + await asyncio.to_thread(_file_sha256, local.path)

    async def start_indexing(self, source: MediaSource, library: str, clip_length: float = 0.0,
                             title: str = "") -> IndexStarted:
        library = check_library(library)
        length = self._clip_length(clip_length)
        if self.jobs is None:
            raise FailedPrecondition("indexing runs as a pipeline job, which needs NATS JetStream "
                                     "(set OPTIVUS_NATS_URL)", reason="PIPELINE_UNAVAILABLE")
        content_id = await self.content_id(source)
        video_id = video_id_for(library, content_id)
        async with self._store_lock:
            existing = await asyncio.to_thread(self.store.get_video, video_id)
            if existing is not None and existing.state != FAILED:
                return IndexStarted(video_id, existing.job_id, True)
            await asyncio.to_thread(self.store.create_library, library)
            name = _title_of(source, title)
            job_id = await self.jobs.submit_index(source, library, video_id, length, name)
            await asyncio.to_thread(self.store.put_video, VideoRow(
                video_id=video_id, library=library, title=name, state=QUEUED, source=content_id, job_id=job_id,
                clip_length=length, create_time=time.time()))
        log.info("indexing queued", extra={"video_id": video_id, "collection": library, "job_id": job_id})
        return IndexStarted(video_id, job_id, False)

    async def index_content(self, request: IndexRequest, stop: threading.Event | None = None) -> Indexed:
        """The index stage: everything the earlier stages found about the
        video, into the library. Safe to run again (a redelivery): the
        video's old rows are replaced."""
        library = check_library(request.library)
        length = self._clip_length(request.clip_length)
        video_id = request.video_id
        content_id = ""
        if not video_id:
            content_id = await self.content_id(request.media)
            video_id = video_id_for(library, content_id)
        check_video_id(video_id)
        if request.content.length > self.settings.max_video_seconds:
            raise ResourceExhausted(f"the video is longer than {self.settings.max_video_seconds:.0f} s "
                                    "(OPTIVUS_VIDEORAG_MAX_VIDEO_SECONDS)", reason="VIDEO_TOO_LONG")
        await asyncio.to_thread(self.store.create_library, library)
        row = await asyncio.to_thread(self.store.get_video, video_id)
        if row is None:
            row = VideoRow(video_id=video_id, library=library, title=_title_of(request.media, request.title),
                           state=QUEUED, source=content_id, job_id=request.job_id, clip_length=length,
                           create_time=time.time())
        row.state, row.error = RUNNING, ""
        await asyncio.to_thread(self.store.put_video, row)
        try:
            counts = await self._index(request, library, video_id, length, stop)
        except Exception as exc:
            row.state, row.error = FAILED, getattr(exc, "message", "") or "indexing failed"
            await asyncio.to_thread(self.store.put_video, row)
            raise
        if await asyncio.to_thread(self.store.get_video, video_id) is None:  # deleted while indexing
            await asyncio.to_thread(self.store.delete_video_rows, library, video_id)
            raise NotFound("the video was deleted while it was indexed", reason="VIDEO_DELETED")
        row.state = READY
        row.duration = request.content.length
        row.clip_count, row.chunk_count, row.entity_count, row.relation_count = counts
        await asyncio.to_thread(self.store.put_video, row)
        log.info("video indexed", extra={"video_id": video_id, "collection": library, "clips": counts[0],
                                         "chunks": counts[1], "entities": counts[2], "relations": counts[3]})
        return Indexed(video_id, library, counts[0])

    async def _index(self, request: IndexRequest, library: str, video_id: str, length: float,
                     stop: threading.Event | None) -> tuple[int, int, int, int]:
        clips = cut(request.content, length)
        if not clips:
            raise InvalidArgument("nothing was said, seen or written in this video: there is nothing to index",
                                  reason="NOTHING_TO_INDEX")
        frames = await self._frames(request, length) if self.models.visual is not None else []
        return await asyncio.to_thread(self._write, library, video_id, clips, frames, stop)

    async def _frames(self, request: IndexRequest, length: float) -> list[tuple[int, float, object]]:
        from .visual import frame_times, read_frames

        wanted = frame_times([(i, a, b) for i, (a, b) in enumerate(spans(request.content.length, length))],
                             self.settings.visual_frames_per_clip)
        async with self.media.open(request.media, "video") as local:
            return await asyncio.to_thread(read_frames, str(local.path), wanted)

    def _write(self, library: str, video_id: str, clips, frames, stop) -> tuple[int, int, int, int]:
        """Blocking: embeds and writes every row of the video (its old ones first removed)."""
        embedder, store = self.models.embedder, self.store
        clock = time.monotonic()
        limit = min(self.settings.chunk_tokens, embedder.max_tokens)
        chunks = [c for clip in clips for c in chunk_clip(video_id, clip, limit, embedder.count_tokens)]
        vectors = embedder.embed([c.text for c in chunks])
        embed_s = time.monotonic() - clock
        if stop is not None and stop.is_set():
            raise Cancelled("indexing was stopped", reason="INDEX_STOPPED")
        clock = time.monotonic()
        entities, relations = build(chunks, self.models.extractor)
        graph_s = time.monotonic() - clock
        clock = time.monotonic()
        entity_vectors = embedder.embed([e.name for e in entities])
        embed_s += time.monotonic() - clock
        clock = time.monotonic()
        store.delete_video_rows(library, video_id)
        store.insert(library, "clips", [
            {"id": f"{video_id}:{c.index}", "video_id": video_id, "clip_index": c.index, "start": c.start,
             "end": c.end, "text": c.text[:16000], "vector": [0.0, 0.0]} for c in clips])
        store.insert(library, "chunks", [
            {"id": c.chunk_id, "video_id": video_id, "clip_index": c.clip_index, "start": c.start, "end": c.end,
             "text": c.text[:8000], "vector": v.tolist()} for c, v in zip(chunks, vectors)])
        store.insert(library, "entities", [
            {"id": f"{video_id}:{short_hash(e.key)}", "video_id": video_id, "key": e.key[:250], "name": e.name[:500],
             "mentions": e.mentions, "chunk_ids": " ".join(e.chunk_ids)[:4000], "vector": v.tolist()}
            for e, v in zip(entities, entity_vectors)])
        store.insert(library, "relations", [
            {"id": f"{video_id}:{short_hash(r.source, r.target)}", "video_id": video_id, "source": r.source[:250],
             "target": r.target[:250], "weight": r.weight, "description": r.description[:1000],
             "chunk_ids": " ".join(r.chunk_ids)[:4000], "vector": [0.0, 0.0]} for r in relations])
        if frames:
            bounds = {c.index: (c.start, c.end) for c in clips}
            kept = [(i, t, img) for i, t, img in frames if i in bounds]
            frame_vectors = self.models.visual.embed_images([img for _, _, img in kept])
            store.insert(library, "frames", [
                {"id": f"{video_id}:{i}:{n}", "video_id": video_id, "clip_index": i, "start": bounds[i][0],
                 "end": bounds[i][1], "vector": v.tolist()} for n, ((i, _, _), v) in enumerate(zip(kept, frame_vectors))])
        store.seal(library)
        self.last_timings = {"embed_s": embed_s, "graph_s": graph_s, "write_s": time.monotonic() - clock}
        log.info("video written", extra={"video_id": video_id, **{k: round(v, 3) for k, v in self.last_timings.items()}})
        return len(clips), len(chunks), len(entities), len(relations)

    # --- the registry ------------------------------------------------------------------

    async def _row(self, video_id: str) -> VideoRow:
        row = await asyncio.to_thread(self.store.get_video, check_video_id(video_id))
        if row is None:
            raise NotFound(f"no video with id {video_id}", reason="VIDEO_NOT_FOUND", video_id=video_id)
        return row

    async def _current(self, row: VideoRow) -> VideoRow:
        """A row still queued or running, checked against its job: a job that
        ended without the index stage (both earlier stages failed, or it was
        cancelled) leaves the video failed with the job's error."""
        if row.state in (READY, FAILED) or self.jobs is None or not row.job_id:
            return row
        state = await self.jobs.state(row.job_id)
        if state is None:
            row.state, row.error = FAILED, "the indexing job is gone (expired before it ended)"
        elif state[0] in ("failed", "cancelled", "succeeded"):
            row.state, row.error = FAILED, state[1] or f"the indexing job ended ({state[0]}) before the video was indexed"
        elif state[0] == "running" and row.state == QUEUED:
            row.state = RUNNING
        return row

    async def get_video(self, video_id: str) -> VideoRow:
        return await self._current(await self._row(video_id))

    async def list_videos(self, library: str, page_size: int = 0, page_token: str = "") -> tuple[list[VideoRow], str]:
        library = check_library(library)
        size = page_size or DEFAULT_PAGE
        if not 0 < size <= MAX_PAGE:
            raise InvalidArgument(f"page_size must be between 1 and {MAX_PAGE}", reason="INVALID_PAGE_SIZE")
        if not await asyncio.to_thread(self.store.library_exists, library):
            raise NotFound(f"there is no library {library!r}", reason="COLLECTION_NOT_FOUND", collection=library)
        rows = await asyncio.to_thread(self.store.videos, library)
        start = 0
        if page_token:
            if not page_token.isdigit() or int(page_token) > len(rows):
                raise InvalidArgument("page_token is not one this server gave", reason="INVALID_PAGE_TOKEN")
            start = int(page_token)
        page = [await self._current(r) for r in rows[start:start + size]]
        following = str(start + size) if start + size < len(rows) else ""
        return page, following

    async def delete_video(self, video_id: str) -> int:
        row = await self._row(video_id)
        if row.state in (QUEUED, RUNNING) and self.jobs is not None and row.job_id:
            await self.jobs.cancel(row.job_id)
        async with self._store_lock:
            await asyncio.to_thread(self.store.drop_video_row, row.video_id)
            removed = await asyncio.to_thread(self.store.delete_video_rows, row.library, row.video_id)
        log.info("video deleted", extra={"video_id": row.video_id, "collection": row.library, "rows": removed})
        return removed

    async def list_libraries(self) -> list[tuple[str, int]]:
        names = await asyncio.to_thread(self.store.libraries)
        return [(name, len(await asyncio.to_thread(self.store.videos, name))) for name in names]

    # --- questions ------------------------------------------------------------------------

    def _check_query(self, question: str, library: str, top_k: int, video_ids: Sequence[str]) -> tuple[str, str, int]:
        question = " ".join((question or "").split())
        if not question:
            raise InvalidArgument("the question is empty", reason="EMPTY_QUESTION")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InvalidArgument(f"the question is longer than {limit} characters "
                                  "(OPTIVUS_VIDEORAG_MAX_QUESTION_CHARS)", reason="QUESTION_TOO_LONG", limit=limit)
        if top_k and not 1 <= top_k <= 50:
            raise InvalidArgument("top_k must be between 1 and 50", reason="INVALID_TOP_K")
        if len(video_ids) > MAX_VIDEO_IDS:
            raise InvalidArgument(f"at most {MAX_VIDEO_IDS} video ids", reason="TOO_MANY_VIDEO_IDS")
        for v in video_ids:
            check_video_id(v)
        return question, check_library(library), top_k or self.settings.top_k

    async def query(self, question: str, library: str = "", top_k: int = 0,
                    video_ids: Sequence[str] = ()) -> AsyncIterator[Retrieved | AnswerDelta | Citations]:
        question, library, top_k = self._check_query(question, library, top_k, video_ids)
        async with self._query_slots:
            await asyncio.to_thread(self.store.require_library, library)
            vector, hits = await asyncio.to_thread(self._retrieve, question, library, top_k, list(video_ids))
            for hit in hits:
                yield Retrieved(hit)
            if self.models.llm is None:
                text, order = await asyncio.to_thread(
                    answers.extractive, question, vector, hits, self.models.embedder.embed)
                yield AnswerDelta(text)
            else:
                pieces: list[str] = []
                if not hits:
                    pieces.append(answers.NOTHING_FOUND)
                    yield AnswerDelta(answers.NOTHING_FOUND)
                else:
                    async for piece in iterate_in_thread(
                            lambda stop: answers.generated(self.models.llm, question, hits, stop)):
                        pieces.append(piece)
                        yield AnswerDelta(piece)
                order = answers.cited("".join(pieces), len(hits)) or list(range(len(hits)))
            yield Citations([(n + 1, hits[i]) for n, i in enumerate(order)])

    def _retrieve(self, question: str, library: str, top_k: int, video_ids: list[str]) -> tuple[np.ndarray, list[ClipHit]]:
        vector = self.models.embedder.embed([question])[0]
        visual = self.models.visual.embed_text(question) if self.models.visual is not None else None
        s = self.settings
        weights = {"dense": 1.0, "keyword": s.keyword_weight, "graph": s.graph_weight, "visual": s.visual_weight}
        hits = retrieve(self.store, library, question, vector, top_k, video_ids, visual, graph=s.graph,
                        keyword=s.hybrid, weights=weights)
        titles = {}
        for vid in {h.video_id for h in hits}:
            row = self.store.get_video(vid)
            titles[vid] = row.title if row is not None else vid
        for hit in hits:
            hit.title = titles[hit.video_id]
        return vector, hits

    def capabilities(self) -> Capabilities:
        m = self.models
        return Capabilities(
            embedding_model=m.embedder.name, embedding_dim=m.embedder.dim, keyword_search=self.store.keyword,
            visual_search=m.visual is not None, visual_model=getattr(m.visual, "name", ""),
            visual_unavailable_reason=m.visual_reason, entity_extractor=m.extractor_name,
            answer_engine=m.answer_engine, milvus="lite" if self.store.lite else "server")


def require_ready(app: VideoRagApp | None) -> VideoRagApp:
    if app is None:
        raise Unavailable("the videorag models are still loading", reason="MODEL_NOT_LOADED")
    return app
