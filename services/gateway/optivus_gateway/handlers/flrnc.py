"""`flrnc`: image and video description through the Florence service.

Image reply: data.transcribe_img = {"error": null, "text": ...} (plus
"regions" for the region tasks). Video reply: data.transcribe_video =
[{"start", "end", "text"}, ...], always a list, times in float seconds.
data.task names the task that ran; where Florence-2 weights are absent a
request that names no task gets OCR text, with data.task = "ocr" and a
data.warning that says so. Optional fields: task, phrase (for
caption_to_phrase_grounding), sample_fps, scene_threshold, ocr (adds
"ocr_text" to each scene), and stream (true: a video's scenes are sent as
they are described, each in a "102" message {"file", "scene_index",
"scene"}, before the unchanged "200" reply). Images and videos are told apart by the
file's extension, and by the service when the extension does not say."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import PurePath

import grpc

from optivus.vision.v1 import vision_service_pb2 as pb
from optivus.vision.v1 import vision_service_pb2_grpc as pb_grpc

from ..envelope import RequestError, describe_failure, envelope, error_reason
from ..uploads import file_ref
from .batch import single_or_batch
from .context import Context
from .options import option

log = logging.getLogger(__name__)

TASKS = {
    "caption": pb.VISION_TASK_CAPTION,
    "detailed_caption": pb.VISION_TASK_DETAILED_CAPTION,
    "more_detailed_caption": pb.VISION_TASK_MORE_DETAILED_CAPTION,
    "ocr": pb.VISION_TASK_OCR,
    "ocr_with_region": pb.VISION_TASK_OCR_WITH_REGION,
    "od": pb.VISION_TASK_OD,
    "dense_region_caption": pb.VISION_TASK_DENSE_REGION_CAPTION,
    "caption_to_phrase_grounding": pb.VISION_TASK_CAPTION_TO_PHRASE_GROUNDING,
}
_TASK_NAMES = {value: name for name, value in TASKS.items()}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".jfif", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".ppm",
                    ".pgm", ".pbm", ".tga", ".ico", ".avif", ".heic"}
_UNDECODABLE = {"IMAGE_UNDECODABLE", "MEDIA_UNDECODABLE"}


@dataclass(frozen=True)
class Request:
    file: str
    kind: str  # "image" or "video": what the extension suggests
    task: int
    phrase: str
    sample_fps: float
    scene_threshold: float
    include_ocr: bool
    stream: bool = False


def parse_task(value: str) -> int:
    key = value.strip().strip("<>").strip().lower().replace(" ", "_").replace("-", "_")
    if key not in TASKS:
        raise RequestError(f"unknown task {value!r}; expected one of " + ", ".join(TASKS))
    return TASKS[key]


def build_request(item: object, defaults: dict) -> Request:
    if not isinstance(item, dict):
        raise RequestError("each item of `data` must be an object with a `file`")
    file = item.get("file")
    if file is None:
        raise RequestError("`file` is missing: give the path of an image or a video")
    if not isinstance(file, str):
        raise RequestError("`file` must be a string: the path of an image or a video")
    task = option(item, defaults, "task", str)
    fps = option(item, defaults, "sample_fps", (int, float))
    if fps is not None and not 0 < fps <= 30:
        raise RequestError("`sample_fps` must be above 0 and at most 30")
    threshold = option(item, defaults, "scene_threshold", (int, float))
    if threshold is not None and not 0 < threshold <= 1:
        raise RequestError("`scene_threshold` must be above 0 and at most 1")
    kind = "image" if PurePath(file).suffix.lower() in IMAGE_EXTENSIONS else "video"
    return Request(file=file, kind=kind, task=parse_task(task) if task is not None else pb.VISION_TASK_UNSPECIFIED,
                   phrase=option(item, defaults, "phrase", str) or "", sample_fps=float(fps or 0),
                   scene_threshold=float(threshold or 0), include_ocr=bool(option(item, defaults, "ocr", bool)),
                   stream=bool(option(item, defaults, "stream", bool)))


def _seconds(d) -> float:
    return round(d.seconds + d.nanos / 1e9, 3)


def _region(region: pb.Region) -> dict:
    out: dict = {"label": region.label}
    if region.HasField("box"):
        out["box"] = [region.box.x1, region.box.y1, region.box.x2, region.box.y2]
    elif region.HasField("quad"):
        out["quad"] = list(region.quad.points)
    if region.HasField("score"):
        out["score"] = round(region.score, 4)
    return out


def _notes(task: int, warning: str) -> dict:
    notes = {"task": _TASK_NAMES.get(task, "")}
    if warning:
        notes["warning"] = warning
    return notes


async def describe_image(ctx: Context, req: Request, head: dict) -> dict:
    stub = pb_grpc.VisionServiceStub(ctx.backends.channel("florence"))
    reply = await stub.DescribeImage(pb.DescribeImageRequest(
        image=file_ref(req.file), task=req.task, phrase=req.phrase),
        timeout=ctx.settings.request_timeout_s)
    result = reply.result
    image = {"error": None, "text": result.text}
    if result.regions:
        image["regions"] = [_region(r) for r in result.regions]
    return {"transcribe_img": image, **_notes(result.task, result.warning)}


async def describe_video(ctx: Context, req: Request, head: dict) -> dict:
    stub = pb_grpc.VisionServiceStub(ctx.backends.channel("florence"))
    request = pb.DescribeVideoRequest(video=file_ref(req.file), task=req.task, phrase=req.phrase,
                                      sample_fps=req.sample_fps, scene_threshold=req.scene_threshold,
                                      include_ocr=req.include_ocr)
    scenes, summary = [], None
    async for response in stub.DescribeVideo(request, timeout=ctx.settings.request_timeout_s):
        if response.HasField("scene"):
            scene = response.scene
            chunk = {"start": _seconds(scene.start), "end": _seconds(scene.end), "text": scene.text}
            if req.include_ocr:
                chunk["ocr_text"] = scene.ocr_text
            scenes.append(chunk)
            if req.stream:
                await ctx.emit(envelope("102", {**head, "file": req.file, "scene_index": len(scenes) - 1,
                                                "scene": chunk}))
        else:
            summary = response.summary
    notes = _notes(summary.task, summary.warning) if summary is not None else {}
    return {"transcribe_video": scenes, **notes}


async def describe(ctx: Context, req: Request, head: dict) -> dict:
    """By the extension's kind first; when the service cannot decode the
    file as that kind, as the other."""
    first, second = (describe_image, describe_video) if req.kind == "image" else (describe_video, describe_image)
    try:
        return await first(ctx, req, head)
    except grpc.aio.AioRpcError as exc:
        if error_reason(exc) not in _UNDECODABLE:
            raise
    try:
        return await second(ctx, req, head)
    except grpc.aio.AioRpcError as exc:
        if error_reason(exc) in _UNDECODABLE:
            raise RequestError("the file could not be decoded as an image or a video "
                               "(corrupt, truncated, or not media)") from None
        raise


def _failure(kind: str | None, message: str) -> dict:
    if kind == "image":
        return {"transcribe_img": {"error": message, "text": ""}, "error": message}
    if kind == "video":
        return {"transcribe_video": [], "error": message}
    return {"error": message}


async def process(item: object, defaults: dict, ctx: Context, head: dict) -> tuple[str, dict]:
    kind = None
    try:
        req = build_request(item, defaults)
        kind = req.kind
        return "200", await describe(ctx, req, head)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
        status, message = describe_failure(exc, "florence")
        if status == "500":
            log.error("flrnc failed", exc_info=exc)
        return status, _failure(kind, message)


async def handle(request: dict, ctx: Context) -> dict:
    head = {k: request[k] for k in ("type", "id") if k in request}
    return await single_or_batch(request, ctx, lambda item, defaults: process(item, defaults, ctx, head))
