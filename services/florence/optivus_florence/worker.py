"""The JetStream adapter of the vision service: the pipeline's describe
stage over the same application layer as the gRPC servicer. A video is
described scene by scene; a file that is a picture, not a video, gets
the picture's description."""

from __future__ import annotations

import contextlib

from optivus.events.v1 import pipeline_events_pb2 as events_pb
from optivus_common.convert import media_source
from optivus_common.errors import InvalidArgument
from optivus_common.jobs.stage_worker import StageContext

from .app import ImageRequest, VisionApp
from .convert import result_to_proto, scene_to_proto, summary_to_proto, task_from_proto
from .video_pipeline import SceneResult, VideoOptions

UNDECODABLE_AS_VIDEO = {"MEDIA_UNDECODABLE", "NO_VIDEO_STREAM"}


async def describe_stage(app: VisionApp, ctx: StageContext) -> events_pb.ItemResult:
    source = media_source(ctx.work.media)
    opts = ctx.work.options.describe
    task = task_from_proto(opts.task)
    result = events_pb.ItemResult()
    try:
        async with contextlib.aclosing(app.describe_video(source, VideoOptions(
                task=task, sample_fps=opts.sample_fps, include_ocr=opts.include_ocr), progress=ctx.progress)) as items:
            async for item in items:
                if isinstance(item, SceneResult):
                    result.scenes.append(scene_to_proto(item))
                else:
                    result.video_summary.CopyFrom(summary_to_proto(item))
    except InvalidArgument as exc:
        if exc.reason not in UNDECODABLE_AS_VIDEO:
            raise
        description = await app.describe_image(ImageRequest(source=source, task=task))
        return events_pb.ItemResult(image=result_to_proto(description))
    return result
