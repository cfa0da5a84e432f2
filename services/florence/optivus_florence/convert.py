"""Proto <-> plain type conversions for the vision API (transport side)."""

from __future__ import annotations

from optivus.vision.v1 import vision_service_pb2 as pb
from optivus_common.convert import duration, media_source
from optivus_common.errors import InvalidArgument

from .app import Capabilities, ImageRequest
from .results import Description, Engine, Region, Task
from .video_pipeline import SceneResult, VideoOptions, VideoSummary

_TASKS = {getattr(pb, f"VISION_TASK_{task.name}"): task for task in Task}
_TASK_TO_PB = {task: value for value, task in _TASKS.items()}
_ENGINES = {Engine.FLORENCE2: pb.VISION_ENGINE_FLORENCE2, Engine.RAPIDOCR: pb.VISION_ENGINE_RAPIDOCR}


def task_from_proto(value: int) -> Task | None:
    """None for VISION_TASK_UNSPECIFIED (the service default)."""
    if value == pb.VISION_TASK_UNSPECIFIED:
        return None
    if value not in _TASKS:
        raise InvalidArgument(f"unknown task {value}", reason="UNKNOWN_TASK", task=value)
    return _TASKS[value]


def task_to_proto(task: Task) -> int:
    return _TASK_TO_PB[task]


def engine_to_proto(engine: Engine) -> int:
    return _ENGINES[engine]


def image_request_from_proto(request: pb.DescribeImageRequest) -> ImageRequest:
    return ImageRequest(source=media_source(request.image), task=task_from_proto(request.task),
                        phrase=request.phrase)


def region_to_proto(region: Region) -> pb.Region:
    message = pb.Region(label=region.label)
    if region.box is not None:
        message.box.CopyFrom(pb.BoundingBox(x1=region.box[0], y1=region.box[1], x2=region.box[2], y2=region.box[3]))
    elif region.quad is not None:
        message.quad.CopyFrom(pb.QuadBox(points=region.quad))
    if region.score is not None:
        message.score = region.score
    return message


def result_to_proto(result: Description) -> pb.VisionResult:
    return pb.VisionResult(
        task=task_to_proto(result.task), engine=engine_to_proto(result.engine), text=result.text,
        regions=[region_to_proto(r) for r in result.regions],
        image_width=result.width, image_height=result.height, warning=result.warning,
    )


def video_options_from_proto(request: pb.DescribeVideoRequest) -> VideoOptions:
    return VideoOptions(task=task_from_proto(request.task), phrase=request.phrase,
                        sample_fps=request.sample_fps, scene_threshold=request.scene_threshold,
                        include_ocr=request.include_ocr)


def scene_to_proto(scene: SceneResult) -> pb.Scene:
    return pb.Scene(index=scene.index, start=duration(scene.start), end=duration(scene.end), text=scene.text,
                    keyframe_time=duration(scene.keyframe_time), ocr_text=scene.ocr_text,
                    result=result_to_proto(scene.result))


def summary_to_proto(summary: VideoSummary) -> pb.VideoSummary:
    return pb.VideoSummary(
        duration=duration(summary.duration), scene_count=summary.scene_count,
        decoded_frames=summary.decoded_frames, sampled_frames=summary.sampled_frames,
        described_frames=summary.described_frames, task=task_to_proto(summary.task),
        engine=engine_to_proto(summary.engine), warning=summary.warning,
    )


def video_item_to_proto(item: SceneResult | VideoSummary) -> pb.DescribeVideoResponse:
    if isinstance(item, SceneResult):
        return pb.DescribeVideoResponse(scene=scene_to_proto(item))
    return pb.DescribeVideoResponse(summary=summary_to_proto(item))


def capabilities_to_proto(capabilities: Capabilities) -> pb.GetCapabilitiesResponse:
    return pb.GetCapabilitiesResponse(
        tasks=[pb.TaskSupport(task=task_to_proto(t), engine=engine_to_proto(e))
               for t, e in capabilities.tasks.items()],
        default_task=task_to_proto(capabilities.default_task), florence_model=capabilities.florence_model,
        florence_unavailable_reason=capabilities.florence_unavailable_reason, device=capabilities.device,
    )
