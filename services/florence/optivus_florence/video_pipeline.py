"""DescribeVideo's engine side: decode at the sampling rate, cut into
scenes, describe each scene's key frames (batched across the scenes that
are ready), and yield every scene as soon as it is described."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from .engine import Plan, VisionEngine
from .prefetch import Prefetcher
from .results import Description, Engine, Task
from .scenes import SceneFrames, detect_scenes
from .video import Counters, frame_interval, open_video, sample_frames, undecodable


@dataclass(frozen=True)
class VideoOptions:
    task: Task | None = None
    phrase: str = ""
    sample_fps: float = 0.0  # 0: the service default
    scene_threshold: float = 0.0  # 0: the service default
    include_ocr: bool = False


@dataclass(frozen=True)
class SceneResult:
    index: int
    start: float
    end: float
    text: str
    keyframe_time: float
    ocr_text: str
    result: Description


@dataclass(frozen=True)
class VideoSummary:
    duration: float
    scene_count: int
    decoded_frames: int
    sampled_frames: int
    described_frames: int
    task: Task
    engine: Engine
    warning: str = ""


def _join(texts: list[str], sep: str) -> str:
    unique = []
    for text in texts:
        if text and text not in unique:
            unique.append(text)
    return sep.join(unique)


def describe_video(engine: VisionEngine, source: str | bytes, options: VideoOptions,
                   stop: threading.Event | None = None) -> Iterator[SceneResult | VideoSummary]:
    """Blocking: call it from a worker thread (iterate_in_thread)."""
    settings = engine.settings
    plan = engine.plan(options.task, options.phrase)
    ocr_plan: Plan | None = None
    if options.include_ocr and not plan.task.is_ocr:
        ocr_plan = engine.plan(Task.OCR)
    fps = options.sample_fps or settings.sample_fps
    threshold = options.scene_threshold or settings.scene_threshold
    per_scene = settings.keyframes_per_scene
    counters = Counters()
    scene_count = described = 0
    duration = 0.0
    with open_video(source, settings.max_image_pixels, settings.max_video_seconds) as (container, stream, info):
        def end_of_video(last_sample: float) -> float:
            return max(info.duration or 0.0, counters.last_time + frame_interval(info, fps), last_sample)

        def scenes_of(inner_stop: threading.Event) -> Iterator[SceneFrames]:
            frames = sample_frames(container, stream, info, fps, settings.max_image_pixels,
                                   settings.max_video_seconds, counters, inner_stop)
            return detect_scenes(frames, threshold, settings.max_scene_seconds, end_of_video)

        with Prefetcher(scenes_of, ahead=settings.batch_size) as scenes:
            while True:
                first = scenes.get(stop=stop)
                if stop is not None and stop.is_set():
                    return
                if first is None:
                    break
                group = [first]
                while len(group) * per_scene < settings.batch_size and (more := scenes.get(block=False)):
                    group.append(more)
                keyframes = [scene.keyframes(per_scene) for scene in group]
                images = [frame.image for frames in keyframes for frame in frames]
                descriptions = engine.describe(images, plan)
                ocr = engine.describe(images, ocr_plan) if ocr_plan else descriptions
                described += len(images)
                at = 0
                for scene, frames in zip(group, keyframes):
                    mine, mine_ocr = descriptions[at:at + len(frames)], ocr[at:at + len(frames)]
                    at += len(frames)
                    yield SceneResult(
                        index=scene.index, start=scene.start, end=scene.end,
                        text=_join([d.text for d in mine], " "), keyframe_time=frames[0].time,
                        ocr_text=_join([d.text for d in mine_ocr], "\n") if options.include_ocr else "",
                        result=mine[0],
                    )
                    scene_count += 1
                    duration = max(duration, scene.end)
    if counters.sampled == 0:
        raise undecodable("no frame could be decoded")
    yield VideoSummary(duration=duration, scene_count=scene_count, decoded_frames=counters.decoded,
                       sampled_frames=counters.sampled, described_frames=described, task=plan.task,
                       engine=plan.engine, warning=plan.warning)
