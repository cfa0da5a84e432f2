"""Streaming video decode with PyAV: frames are taken at a sampling rate
as the decoder produces them, so memory does not grow with the video's
length. Time comes from frame timestamps; frames without one are placed
after the previous frame, so missing or zero frame-rate metadata can
neither stall nor loop the reader."""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import av
from PIL import Image

from optivus_common.errors import InvalidArgument, ResourceExhausted
from optivus_common.safe_av import open_container

from .images import check_pixels

# Frames kept for description are scaled to fit this (Florence-2 reads
# 768 x 768; OCR wants a little more).
FRAME_MAX_SIDE = 1280
# Consecutive undecodable packets tolerated before the file counts as corrupt.
MAX_BAD_PACKETS = 50
FALLBACK_RATE = 25.0
# FFmpeg renders any text file as "video" through these (ANSI art); a text
# file is not a video.
_TEXT_DEMUXERS = {"tty", "bin", "xbin", "adf", "idf"}


@dataclass(frozen=True)
class VideoInfo:
    duration: float | None
    width: int
    height: int
    rate: float | None


@dataclass(frozen=True)
class Frame:
    time: float
    image: Image.Image


@dataclass
class Counters:
    decoded: int = 0
    sampled: int = 0
    last_time: float = 0.0


def undecodable(detail: str = "") -> InvalidArgument:
    return InvalidArgument("the file is not a video that can be decoded" + (f": {detail}" if detail else ""),
                           reason="MEDIA_UNDECODABLE")


def _positive(value) -> float | None:
    try:
        number = float(value) if value is not None else None
    except (TypeError, ZeroDivisionError):
        return None
    return number if number and math.isfinite(number) and number > 0 else None


@contextlib.contextmanager
def open_video(source: str | bytes, max_pixels: int, max_seconds: float):
    """Yields (container, stream, VideoInfo) for the first video stream.
    Only plain container demuxers are allowed: a playlist (HLS, ffconcat)
    would open the files it names, outside the media roots."""
    try:
        container = open_container(source)
    except av.FFmpegError:
        raise undecodable() from None
    with container:
        if set(container.format.name.split(",")) & _TEXT_DEMUXERS:
            raise undecodable("it is text")
        if not container.streams.video:
            raise InvalidArgument("the media has no video stream", reason="NO_VIDEO_STREAM")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width or 0, stream.codec_context.height or 0
        check_pixels(width, height, max_pixels, "video frame")
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = _positive(stream.duration * stream.time_base)
        if duration is None and container.duration is not None:
            duration = _positive(container.duration / av.time_base)
        if duration is not None and duration > max_seconds:
            raise ResourceExhausted(f"the video is {duration:.0f} s long; this server accepts at most {max_seconds:.0f} s",
                                    reason="VIDEO_TOO_LONG", duration_s=round(duration), limit_s=round(max_seconds))
        rate = _positive(stream.average_rate) or _positive(stream.guessed_rate) or _positive(stream.base_rate)
        stream.thread_type = "AUTO"
        yield container, stream, VideoInfo(duration, width, height, rate)


def _scaled_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, FRAME_MAX_SIDE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _start_time(stream) -> float | None:
    if stream.start_time is None or stream.time_base is None:
        return None
    return float(stream.start_time * stream.time_base)


def too_many_frames(max_rate: float) -> ResourceExhausted:
    return ResourceExhausted(f"the video has more than {max_rate:g} frames a second, each of which would be decoded "
                             "(OPTIVUS_FLORENCE_MAX_VIDEO_FPS)", reason="VIDEO_FRAME_RATE_TOO_HIGH",
                             max_fps=f"{max_rate:g}")


def sample_frames(container, stream, info: VideoInfo, fps: float, max_pixels: int, max_seconds: float,
                  counters: Counters, stop: threading.Event | None = None, max_rate: float = 0.0) -> Iterator[Frame]:
    """Yields the first frame at or after each multiple of 1/fps seconds.
    Every frame is decoded, so a video of more than max_rate frames a
    second of its own time (0: no limit) is refused as it decodes: its
    length alone does not bound the work."""
    origin = _start_time(stream)
    next_time = 0.0
    previous: float | None = None
    bad = 0
    for packet in container.demux(stream):
        if stop is not None and stop.is_set():
            return
        try:
            frames = packet.decode()
            bad = 0
        except av.FFmpegError:
            bad += 1
            if bad > MAX_BAD_PACKETS:
                raise undecodable("too many corrupt packets") from None
            continue
        for frame in frames:
            counters.decoded += 1
            t = frame.time
            if t is None:
                t = 0.0 if previous is None else previous + 1.0 / (info.rate or FALLBACK_RATE)
            else:
                if origin is None:
                    origin = t
                t = max(0.0, t - origin)
            previous = t
            counters.last_time = max(counters.last_time, t)
            if t > max_seconds:
                raise ResourceExhausted(f"the video is longer than {max_seconds:.0f} s", reason="VIDEO_TOO_LONG")
            if max_rate > 0 and counters.decoded > max_rate * (t + 1.0):
                raise too_many_frames(max_rate)
            if t + 1e-6 < next_time:
                continue
            next_time = (math.floor(t * fps + 1e-6) + 1) / fps
            check_pixels(frame.width, frame.height, max_pixels, "video frame")
            width, height = _scaled_size(frame.width, frame.height)
            counters.sampled += 1
            yield Frame(t, frame.to_image(width=width, height=height))


def frame_interval(info: VideoInfo, fps: float) -> float:
    return 1.0 / (info.rate or fps)
