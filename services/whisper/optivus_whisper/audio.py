"""Decodes client media to 16 kHz mono float32 samples in bounded blocks,
so that a long file never sits decoded in memory whole. Opens only plain
containers (optivus_common.safe_av) and raises domain errors for anything
that is not decodable audio or is too long."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import av
import numpy as np

from optivus_common.errors import InvalidArgument, ResourceExhausted
from optivus_common.safe_av import open_container

SAMPLE_RATE = 16000
# Seconds per decoded block: 30 s of float32 is under 2 MB.
BLOCK_S = 30


def _audio_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _frames(container):
    """The first audio stream's frames, skipping frames FFmpeg cannot decode
    (as faster-whisper does)."""
    frames = container.decode(audio=0)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue
        yield frame


def _too_long(seconds: float | None, max_seconds: float) -> ResourceExhausted:
    if seconds is None:  # the container under-reported its duration
        return ResourceExhausted(f"the audio is longer than {max_seconds:.0f} s", reason="AUDIO_TOO_LONG")
    return ResourceExhausted(f"the audio is {seconds:.0f} s long; this server accepts at most {max_seconds:.0f} s",
                             reason="AUDIO_TOO_LONG", duration_s=round(seconds), limit_s=round(max_seconds))


def decode_blocks(source: str | bytes, max_seconds: float, block_s: float = BLOCK_S) -> Iterator[np.ndarray]:
    """The first audio stream as float32 blocks of block_s seconds (the
    last one shorter). Refuses audio longer than max_seconds before
    decoding it when the container says how long it is, else as soon as
    decoding passes the limit."""
    block = int(block_s * SAMPLE_RATE)
    limit = max_seconds * SAMPLE_RATE
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    pending: list[np.ndarray] = []
    pending_n = decoded = 0

    def take(n: int) -> np.ndarray:
        nonlocal pending, pending_n
        joined = np.concatenate(pending)
        out, rest = joined[:n], joined[n:]
        pending, pending_n = ([rest] if rest.size else []), rest.size
        return out.astype(np.float32) / 32768.0

    try:
        with open_container(source) as container:
            if not container.streams.audio:
                raise InvalidArgument("the media has no audio stream", reason="NO_AUDIO_STREAM")
            duration = _audio_duration(container, container.streams.audio[0])
            if duration is not None and duration > max_seconds:
                raise _too_long(duration, max_seconds)
            for frame in itertools.chain(_frames(container), [None]):  # None flushes the resampler
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1)
                    decoded += samples.size
                    if decoded > limit:
                        raise _too_long(None, max_seconds)
                    pending.append(samples)
                    pending_n += samples.size
                    while pending_n >= block:
                        yield take(block)
    except av.FFmpegError:
        raise InvalidArgument("the file is not audio or video that can be decoded",
                              reason="MEDIA_UNDECODABLE") from None
    if not decoded:
        raise InvalidArgument("the media contains no audio samples", reason="NO_AUDIO")
    if pending_n:
        yield take(pending_n)


def decode(source: str | bytes, max_seconds: float) -> np.ndarray:
    """All of it at once, for short clips only."""
    return np.concatenate(list(decode_blocks(source, max_seconds)))
