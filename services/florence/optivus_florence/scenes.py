"""Scene detection from the sampled frames themselves: a colour histogram
per frame, and a cut wherever the distance between consecutive samples
reaches the threshold. Histograms ignore where things are, so camera and
subject motion between samples (one second apart by default) rarely look
like a cut, while a change of shot changes the colours.

Each scene keeps a bounded, evenly thinned set of its frames, from which
key frames are taken near its middle, so a long scene costs no more
memory than a short one. Every scene is described, so their number is
bounded too: a change closer than min_scene_seconds to the scene's start
is merged into it, and after max_scenes scenes nothing is cut."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .video import Frame

# Hue x saturation x value bins.
BINS = (8, 4, 4)
_THUMB = (64, 36)
BUFFER = 16


def signature(image: Image.Image) -> np.ndarray:
    hsv = np.asarray(image.resize(_THUMB, Image.Resampling.BILINEAR).convert("HSV"), dtype=np.uint16)
    h = hsv[..., 0] * BINS[0] // 256
    s = hsv[..., 1] * BINS[1] // 256
    v = hsv[..., 2] * BINS[2] // 256
    index = (h * BINS[1] + s) * BINS[2] + v
    hist = np.bincount(index.ravel(), minlength=BINS[0] * BINS[1] * BINS[2]).astype(np.float32)
    return hist / hist.sum()


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance: 0 for equal histograms, 1 for disjoint ones."""
    return float(0.5 * np.abs(a - b).sum())


@dataclass
class SceneFrames:
    index: int
    start: float
    end: float = 0.0
    frames: list[Frame] = field(default_factory=list)
    # Scene changes inside this scene that the limits merged into it.
    merged: int = 0
    _stride: int = 1
    _seen: int = 0

    def add(self, frame: Frame) -> None:
        if self._seen % self._stride == 0:
            self.frames.append(frame)
            if len(self.frames) > BUFFER:
                self.frames = self.frames[::2]
                self._stride *= 2
        self._seen += 1

    def keyframes(self, count: int) -> list[Frame]:
        """`count` frames spread evenly over the scene, centred (one: the middle)."""
        n = len(self.frames)
        picks = sorted({min(n - 1, int((i + 0.5) * n / count)) for i in range(count)})
        return [self.frames[i] for i in picks]


def detect_scenes(frames: Iterable[Frame], threshold: float, max_scene_seconds: float,
                  end_of_video: Callable[[float], float], min_scene_seconds: float = 0.0,
                  max_scenes: int = 0) -> Iterator[SceneFrames]:
    """Yields each scene once the next one has begun (the last at the end).
    A cut lies midway between the last sample before it and the first after.
    end_of_video(last_sample_time) gives the last scene's end. max_scenes 0:
    no cap."""
    scene: SceneFrames | None = None
    prev_sig, prev_time = None, 0.0
    for frame in frames:
        sig = signature(frame.image)
        if scene is None:
            scene = SceneFrames(index=0, start=0.0)
        else:
            changed = distance(prev_sig, sig) >= threshold
            midway = (prev_time + frame.time) / 2
            cut = changed and midway - scene.start >= min_scene_seconds
            too_long = max_scene_seconds > 0 and frame.time - scene.start >= max_scene_seconds
            if (cut or too_long) and (max_scenes <= 0 or scene.index + 1 < max_scenes):
                scene.end = midway if cut else frame.time
                yield scene
                scene = SceneFrames(index=scene.index + 1, start=scene.end)
            elif changed:
                scene.merged += 1
        scene.add(frame)
        prev_sig, prev_time = sig, frame.time
    if scene is not None:
        scene.end = max(scene.start, end_of_video(prev_time))
        yield scene
