"""VideoRAG libraries over socket.io, through the videorag service:

- `rag_index`: {"library", "file" | "files" | "urls", "title", "clip_length"}:
  "202" with data.videos (video_id, job_id, existing per input), "102"
  job events while they are indexed (when this gateway follows jobs), then
  "200" with each video's state, clip count and error.
- `rag_query`: {"library", "question", "top_k", "video_ids", "stream"}:
  "200" with data.answer, data.citations ([{"n", "video_id", "title",
  "start", "end", "label", "text", "score"}]) and data.retrieved; with
  "stream": true the answer also arrives in pieces as "102" events
  ({"answer_delta": ...}).
- `rag_list`: {"library"}: data.videos; without `library`, data.libraries.
- `rag_delete`: {"video_id"}: data.deleted and data.removed_rows.

`ask` is shared with `video`'s `query` part."""

from __future__ import annotations

import asyncio
import logging

from optivus.media.v1 import media_ref_pb2
from optivus.videorag.v1 import videorag_service_pb2 as pb
from optivus.videorag.v1 import videorag_service_pb2_grpc as pb_grpc
from optivus_common.convert import duration

from ..envelope import RequestError, describe_failure, echo_of, envelope
from ..job_views import progress_event
from ..pipeline import relay
from .context import Context
from .options import option

log = logging.getLogger(__name__)

MAX_INPUTS = 32
MAX_LIST = 1000
STATES = {pb.INDEX_STATE_QUEUED: "queued", pb.INDEX_STATE_RUNNING: "running", pb.INDEX_STATE_READY: "ready",
          pb.INDEX_STATE_FAILED: "failed"}


def _stub(ctx: Context) -> pb_grpc.VideoRagServiceStub:
    return pb_grpc.VideoRagServiceStub(ctx.backends.channel("videorag"))


def _seconds(d) -> float:
    return round(d.seconds + d.nanos / 1e9, 3)


def _mmss(seconds: float) -> str:
    total = int(round(seconds))
    return f"{total // 60:02d}:{total % 60:02d}"


def citation(c: pb.Citation) -> dict:
    start, end = _seconds(c.start), _seconds(c.end)
    out = {"video_id": c.video_id, "title": c.title, "start": start, "end": end,
           "label": f"{c.title or c.video_id}, {_mmss(start)}-{_mmss(end)}", "text": c.text,
           "score": round(float(c.score), 5), "sources": list(c.sources)}
    if c.number:
        out = {"n": c.number, **out}
        out["label"] = f"[{c.number}] {out['label']}"
    return out


def video(v: pb.Video) -> dict:
    return {"video_id": v.video_id, "library": v.collection, "title": v.title, "state": STATES.get(v.state, "unknown"),
            "duration": _seconds(v.duration), "clip_count": v.clip_count, "job_id": v.job_id,
            "error": v.error or None}


def _library(request: dict) -> str:
    return option(request, {}, "library", str, "a library name") or ""


async def ask(ctx: Context, question: str, library: str, top_k: int = 0, video_ids: list[str] | None = None,
              on_delta=None) -> dict:
    """One question through QueryVideos: {"result", "citations", "retrieved"}."""
    request = pb.QueryVideosRequest(question=question, collection=library, top_k=top_k, video_ids=video_ids or [])
    answer, cited, retrieved = [], [], []
    async for reply in _stub(ctx).QueryVideos(request, timeout=ctx.settings.request_timeout_s):
        kind = reply.WhichOneof("response")
        if kind == "retrieved":
            retrieved.append(citation(reply.retrieved))
        elif kind == "answer_delta":
            answer.append(reply.answer_delta)
            if on_delta is not None:
                await on_delta(reply.answer_delta)
        elif kind == "citations":
            cited = [citation(c) for c in reply.citations.citations]
    return {"result": "".join(answer), "citations": cited, "retrieved": retrieved}


def _inputs(request: dict) -> list[media_ref_pb2.MediaRef]:
    refs = []
    for key in ("urls", "file", "files"):
        value = request.get(key)
        if value is None:
            continue
        values = [value] if key == "file" and isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise RequestError(f"`{key}` must be {'a string' if key == 'file' else 'a list of strings'}")
        refs += [media_ref_pb2.MediaRef(url=v) if key == "urls" else media_ref_pb2.MediaRef(path=v) for v in values]
    if not refs:
        raise RequestError("a rag_index request needs `urls`, `file` or `files`")
    if len(refs) > MAX_INPUTS:
        raise RequestError(f"at most {MAX_INPUTS} videos per request")
    return refs


async def _index(request: dict, ctx: Context) -> dict:
    refs = _inputs(request)
    library = _library(request)
    title = option(request, {}, "title", str) or ""
    clip = option(request, {}, "clip_length", (int, float))
    if clip is not None and not 5 <= clip <= 600:
        raise RequestError("`clip_length` must be between 5 and 600 seconds")
    stub = _stub(ctx)
    started = []
    for ref in refs:
        reply = await stub.IndexVideo(pb.IndexVideoRequest(
            video=ref, collection=library, title=title if len(refs) == 1 else "",
            clip_length=duration(float(clip or 0))),
            timeout=ctx.settings.request_timeout_s)
        started.append({"video_id": reply.video_id, "job_id": reply.job_id, "existing": reply.existing,
                        **({"url": ref.url} if ref.url else {"file": ref.path})})
    echo = echo_of(request)
    small = {k: request[k] for k in ("type", "id") if k in request}
    await ctx.emit(envelope("202", {**echo, "videos": started}))
    if ctx.pipeline is not None and ctx.pipeline.available:
        for item in started:
            if not item["existing"]:
                async for event in relay(ctx.pipeline, item["job_id"]):
                    await ctx.emit(envelope("102", {**small, "video_id": item["video_id"], **progress_event(event)}))
    videos = []
    for item in started:
        got = (await stub.GetVideo(pb.GetVideoRequest(video_id=item["video_id"]),
                                   timeout=ctx.settings.request_timeout_s)).video
        videos.append({**item, **video(got)})
    return envelope("200", {**echo, "videos": videos})


async def _query(request: dict, ctx: Context) -> dict:
    question = request.get("question")
    if not isinstance(question, str) or not question.strip():
        raise RequestError("`question` must be a non-empty string")
    top_k = option(request, {}, "top_k", int) or 0
    ids = request.get("video_ids") or []
    if not isinstance(ids, list) or not all(isinstance(v, str) for v in ids):
        raise RequestError("`video_ids` must be a list of video ids")
    stream = option(request, {}, "stream", bool)
    small = {k: request[k] for k in ("type", "id") if k in request}

    async def delta(text: str) -> None:
        await ctx.emit(envelope("102", {**small, "answer_delta": text}))

    found = await ask(ctx, question, _library(request), top_k, ids, delta if stream else None)
    return envelope("200", {**request, "answer": found["result"], "citations": found["citations"],
                            "retrieved": found["retrieved"]})


async def _list(request: dict, ctx: Context) -> dict:
    stub = _stub(ctx)
    if request.get("library") is None:
        reply = await stub.ListCollections(pb.ListCollectionsRequest(), timeout=ctx.settings.request_timeout_s)
        return envelope("200", {**request, "libraries": [{"library": c.name, "videos": c.video_count}
                                                         for c in reply.collections]})
    videos, token = [], ""
    while len(videos) < MAX_LIST:
        reply = await stub.ListVideos(pb.ListVideosRequest(collection=_library(request), page_token=token),
                                      timeout=ctx.settings.request_timeout_s)
        videos += [video(v) for v in reply.videos]
        token = reply.next_page_token
        if not token:
            break
    return envelope("200", {**request, "videos": videos[:MAX_LIST]})


async def _delete(request: dict, ctx: Context) -> dict:
    video_id = request.get("video_id")
    if not isinstance(video_id, str) or not video_id:
        raise RequestError("`video_id` must be the id rag_index returned")
    reply = await _stub(ctx).DeleteVideo(pb.DeleteVideoRequest(video_id=video_id),
                                         timeout=ctx.settings.request_timeout_s)
    return envelope("200", {**request, "deleted": True, "removed_rows": reply.removed_rows})


def _guarded(run):
    async def handle(request: dict, ctx: Context) -> dict:
        try:
            return await run(request, ctx)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
            status, message = describe_failure(exc, "videorag")
            if status == "500":
                log.error("videorag request failed", exc_info=exc)
            return envelope(status, {**request, "error": message})

    return handle


index = _guarded(_index)
query = _guarded(_query)
list_videos = _guarded(_list)
delete = _guarded(_delete)
