"""VisionService: converts proto <-> engine types and raises domain errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from PIL import Image

from optivus.vision.v1 import vision_service_pb2 as pb
from optivus.vision.v1 import vision_service_pb2_grpc as pb_grpc
from optivus_common.errors import InvalidArgument, OptivusError, Unavailable
from optivus_common.media import MediaResolver
from optivus_common.threads import iterate_in_thread

from .convert import (engine_to_proto, result_to_proto, scene_to_proto, summary_to_proto, task_from_proto,
                      task_to_proto, video_options_from_proto)
from .engine import Plan, VisionEngine
from .images import open_image
from .video_pipeline import SceneResult, describe_video

log = logging.getLogger(__name__)
_INTERNAL = 13  # google.rpc.Code.INTERNAL


class VisionServicer(pb_grpc.VisionServiceServicer):
    def __init__(self, engine: VisionEngine, media: MediaResolver) -> None:
        self._engine = engine
        self._media = media
        self._slots = asyncio.Semaphore(engine.settings.workers)

    def _require_loaded(self) -> None:
        if not self._engine.loaded:
            raise Unavailable("the vision models are still loading", reason="MODEL_NOT_LOADED")

    async def DescribeImage(self, request: pb.DescribeImageRequest, context):
        self._require_loaded()
        plan = self._engine.plan(task_from_proto(request.task), request.phrase)
        started = time.monotonic()
        async with self._media.open(request.image, "image") as media, self._slots:
            result = await asyncio.to_thread(self._engine.describe_image, media.source, plan)
        log.info("described image", extra={"media": media.name, "task": plan.task.name,
                                           "engine": plan.engine.value, "wall_s": round(time.monotonic() - started, 3)})
        return pb.DescribeImageResponse(result=result_to_proto(result))

    async def BatchDescribeImages(self, request: pb.BatchDescribeImagesRequest, context):
        self._require_loaded()
        items = list(request.requests)
        if not items:
            raise InvalidArgument("`requests` is empty", reason="NO_IMAGES")
        limit = self._engine.settings.max_batch_images
        if len(items) > limit:
            raise InvalidArgument(f"at most {limit} images per batch (OPTIVUS_FLORENCE_MAX_BATCH_IMAGES)",
                                  reason="BATCH_TOO_LARGE", limit=limit)
        size = self._engine.settings.batch_size
        for start in range(0, len(items), size):
            async with self._slots:
                responses = await self._describe_chunk(items[start:start + size], start)
            for response in responses:
                yield response

    async def _describe_chunk(self, items: list[pb.DescribeImageRequest], offset: int) -> list[pb.BatchDescribeImagesResponse]:
        """Opens each image (its own error on failure), then runs each
        (task, phrase) group of the chunk as one batch."""
        outcomes: dict[int, pb.BatchDescribeImagesResponse] = {}
        groups: dict[tuple, list[tuple[int, Image.Image, Plan]]] = {}
        async with contextlib.AsyncExitStack() as stack:
            for i, item in enumerate(items, start=offset):
                try:
                    plan = self._engine.plan(task_from_proto(item.task), item.phrase)
                    media = await stack.enter_async_context(self._media.open(item.image, "image"))
                    image = await asyncio.to_thread(open_image, media.source, self._engine.settings.max_image_pixels)
                except Exception as exc:  # noqa: BLE001 - one image's failure is its own answer
                    outcomes[i] = pb.BatchDescribeImagesResponse(index=i, error=_image_error(exc))
                    continue
                groups.setdefault((plan.task, plan.phrase), []).append((i, image, plan))
        for members in groups.values():
            plan = members[0][2]
            try:
                results = await asyncio.to_thread(self._engine.describe, [m[1] for m in members], plan)
            except Exception as exc:  # noqa: BLE001
                error = _image_error(exc)
                for i, _, _ in members:
                    outcomes[i] = pb.BatchDescribeImagesResponse(index=i, error=error)
                continue
            for (i, _, _), result in zip(members, results):
                outcomes[i] = pb.BatchDescribeImagesResponse(index=i, result=result_to_proto(result))
        return [outcomes[i] for i in sorted(outcomes)]

    async def DescribeVideo(self, request: pb.DescribeVideoRequest, context):
        self._require_loaded()
        options = video_options_from_proto(request)
        started = time.monotonic()
        async with self._media.open(request.video, "video") as media, self._slots:
            async for item in iterate_in_thread(lambda stop: describe_video(self._engine, media.source, options, stop)):
                if isinstance(item, SceneResult):
                    yield pb.DescribeVideoResponse(scene=scene_to_proto(item))
                else:
                    summary = item
                    yield pb.DescribeVideoResponse(summary=summary_to_proto(item))
        log.info("described video", extra={"media": media.name, "scenes": summary.scene_count,
                                           "decoded_frames": summary.decoded_frames,
                                           "described_frames": summary.described_frames,
                                           "wall_s": round(time.monotonic() - started, 3)})

    async def GetCapabilities(self, request: pb.GetCapabilitiesRequest, context):
        self._require_loaded()
        engine = self._engine
        return pb.GetCapabilitiesResponse(
            tasks=[pb.TaskSupport(task=task_to_proto(t), engine=engine_to_proto(e))
                   for t, e in engine.capabilities().items()],
            default_task=task_to_proto(engine.default_task()), florence_model=engine.florence_model,
            florence_unavailable_reason=engine.florence_reason, device=engine.device,
        )


def _image_error(exc: BaseException) -> pb.ImageError:
    if isinstance(exc, OptivusError):
        return pb.ImageError(code=exc.code.value[0], message=exc.message, reason=exc.reason)
    log.error("image failed in a batch", exc_info=exc)
    return pb.ImageError(code=_INTERNAL, message="internal error", reason="INTERNAL")
