"""DescribeVideo's engine side: decode at the sampling rate, cut into
scenes, describe each scene's key frames (batched across the scenes that
are ready), and yield every scene as soon as it is described."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from .config import FlorenceSettings
from .engine import Plan, VisionEngine
from .prefetch import Prefetcher
from .results import Description, Engine, Task
from .scenes import SceneFrames, detect_scenes
from .video import Counters, frame_interval, open_video, sample_frames, undecodable


@dataclass(frozen=True)
class VideoConfig:
    """The service's side of a video: limits and defaults."""

    max_pixels: int = 50_000_000  # per frame
    max_seconds: float = 4 * 3600
    # Frames decoded per second of video at most (every frame is decoded).
    max_fps: float = 240.0
    sample_fps: float = 1.0
    scene_threshold: float = 0.35
    keyframes_per_scene: int = 1
    max_scene_seconds: float = 300.0
    min_scene_seconds: float = 1.0
    # Scenes described at most: each costs a model pass (two with OCR).
    max_scenes: int = 1000

    @classmethod
    def from_settings(cls, settings: FlorenceSettings) -> VideoConfig:
        return cls(max_pixels=settings.max_image_pixels, max_seconds=settings.max_video_seconds,
                   max_fps=settings.max_video_fps, sample_fps=settings.sample_fps,
                   scene_threshold=settings.scene_threshold, keyframes_per_scene=settings.keyframes_per_scene, max_scene_seconds=settings.max_scene_seconds,
                   min_scene_seconds=settings.min_scene_seconds, max_scenes=settings.max_scenes)

    def min_scene_for(self, duration: float | None) -> float:
        """The shortest scene for a video this long: the configured minimum,
        or longer where max_scenes scenes would not otherwise cover it."""
        return max(self.min_scene_seconds, (duration or 0.0) / self.max_scenes)


@dataclass(frozen=True)
class VideoOptions:
    """The request's side of a video."""

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


def _limit_warning(config: VideoConfig, min_scene: float, merged: int, scene_count: int) -> str:
    if merged == 0 or (scene_count < config.max_scenes and min_scene <= config.min_scene_seconds):
        return ""
    return (f"this video changes scene more often than OPTIVUS_FLORENCE_MAX_SCENES ({config.max_scenes}) scenes "
            f"allow: {merged} scene changes were merged into longer scenes")


def describe_video(engine: VisionEngine, source: str | bytes, options: VideoOptions, config: VideoConfig,
                   stop: threading.Event | None = None) -> Iterator[SceneResult | VideoSummary]:
    """Blocking: call it from a worker thread (iterate_in_thread)."""
    batch_size = engine.batch_size
    plan = engine.plan(options.task, options.phrase)
    ocr_plan: Plan | None = None
    if options.include_ocr and not plan.task.is_ocr:
        ocr_plan = engine.plan(Task.OCR)
    fps = options.sample_fps or config.sample_fps
    threshold = options.scene_threshold or config.scene_threshold
    per_scene = config.keyframes_per_scene
    counters = Counters()
    scene_count = described = merged = 0
    duration = 0.0
    with open_video(source, config.max_pixels, config.max_seconds) as (container, stream, info):
        min_scene = config.min_scene_for(info.duration)

        def end_of_video(last_sample: float) -> float:
            return max(info.duration or 0.0, counters.last_time + frame_interval(info, fps), last_sample)

        def scenes_of(inner_stop: threading.Event) -> Iterator[SceneFrames]:
            frames = sample_frames(container, stream, info, fps, config.max_pixels, config.max_seconds,
                                   counters, inner_stop, config.max_fps)
            return detect_scenes(frames, threshold, config.max_scene_seconds, end_of_video, min_scene,
                                 config.max_scenes)

        with Prefetcher(scenes_of, ahead=batch_size) as scenes:
            while True:
                first = scenes.get(stop=stop)
                if stop is not None and stop.is_set():
                    return
                if first is None:
                    break
                group = [first]
                while len(group) * per_scene < batch_size and (more := scenes.get(block=False)):
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
                    merged += scene.merged
                    duration = max(duration, scene.end)
    if counters.sampled == 0:
        raise undecodable("no frame could be decoded")
    warning = " ".join(filter(None, [plan.warning, _limit_warning(config, min_scene, merged, scene_count)]))
    yield VideoSummary(duration=duration, scene_count=scene_count, decoded_frames=counters.decoded,
                       sampled_frames=counters.sampled, described_frames=described, task=plan.task,
                       engine=plan.engine, warning=warning)
