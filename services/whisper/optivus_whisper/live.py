"""A live transcription session over plain sample arrays: audio in,
interim and final segments out. No gRPC here; the servicer turns the
client's chunks into float32 samples and the updates back into protos.

Audio accumulates in a window that is transcribed again every STEP_S
seconds of new audio when the client wants interim results (else once it
is STABLE_S long). Once the window is STABLE_S long, every segment but the
last is final and the window restarts where the last one starts. A window
that reaches the window limit (one long utterance, or silence, where the
model returns a single segment or none) is made final whole, so that no
transcription ever covers more than the limit plus one step. A session
ends with AUDIO_TOO_LONG past its length limit and with AUDIO_TOO_FAST
when audio arrives faster than the speed limit allows after a head start
of one window. When the audio ends, the rest of the window is final."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, replace

import numpy as np

from optivus_common.errors import InvalidArgument, ResourceExhausted
from optivus_common.threads import call_in_thread, iterate_in_thread

from .audio import SAMPLE_RATE
from .transcript import AudioInfo, Options, OutputFormat, Segment, Transcript, TranscriptBuilder

STEP_S = 2.0
STABLE_S = 20.0


@dataclass(frozen=True)
class LiveConfig:
    options: Options = Options()
    # Hz of the samples the client sends; resampled to 16 kHz here.
    sample_rate: int = SAMPLE_RATE
    interim_results: bool = False
    output_format: OutputFormat = "segments"


@dataclass(frozen=True)
class LiveUpdate:
    segments: list[Segment]
    is_final: bool
    # Set on the last update only, after the audio ended.
    transcript: Transcript | None = None


@dataclass(frozen=True)
class LiveLimits:
    window_s: float = 30.0
    max_seconds: float = 4 * 3600.0
    # Audio seconds per wall-clock second, after a head start of window_s.
    max_speed: float = 2.0


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE or not samples.size:
        return samples.astype(np.float32, copy=False)
    n_out = max(1, round(samples.size * SAMPLE_RATE / rate))
    return np.interp(np.linspace(0, samples.size - 1, n_out), np.arange(samples.size), samples).astype(np.float32)


def check_config(config: LiveConfig) -> None:
    if not 8000 <= config.sample_rate <= 48000:
        raise InvalidArgument("sample_rate_hertz must be between 8000 and 48000", reason="BAD_SAMPLE_RATE")


class LiveSession:
    def __init__(self, engine, slots: asyncio.Semaphore, config: LiveConfig, limits: LiveLimits = LiveLimits(),
                 clock=time.monotonic, speakers=None) -> None:
        check_config(config)
        self._engine = engine
        # A live_speakers.SpeakerTracker when the session asked for diarize.
        self._speakers = speakers
        self._slots = slots
        self._config = config
        self._limits = limits
        self._clock = clock
        self._final = TranscriptBuilder(config.output_format, engine.model_name)
        self._info: AudioInfo | None = None

    async def _transcribe(self, audio: np.ndarray) -> list[Segment]:
        options = self._config.options
        segments = []
        async with self._slots:
            async for item in iterate_in_thread(lambda stop: self._engine.transcribe_array(audio, options, stop)):
                if isinstance(item, AudioInfo):
                    self._info = item
                else:
                    segments.append(item)
        return segments

    async def _label(self, window: np.ndarray, segments: list[Segment]) -> list[Segment]:
        if self._speakers is None or not segments:
            return segments
        return await call_in_thread(lambda: self._speakers.label(window, segments))

    def _commit(self, segments: list[Segment], offset: float) -> list[Segment]:
        committed = []
        for seg in segments:
            committed.append(replace(seg, index=self._final.count, start=seg.start + offset, end=seg.end + offset))
            self._final.add(committed[-1])
        return committed

    def _check(self, received_s: float, elapsed_s: float) -> None:
        limits = self._limits
        if received_s > limits.max_seconds:
            raise ResourceExhausted(f"a live session may carry at most {limits.max_seconds:.0f} s of audio",
                                    reason="AUDIO_TOO_LONG", limit_s=round(limits.max_seconds))
        if received_s > limits.window_s + limits.max_speed * elapsed_s:
            raise ResourceExhausted(
                f"live audio arrives faster than {limits.max_speed:g} times real time; send it as it is "
                "recorded, or use Transcribe for recordings", reason="AUDIO_TOO_FAST",
                max_speed=limits.max_speed)

    def _split(self, segments: list[Segment], window_s: float) -> tuple[list[Segment], list[Segment], float]:
        """(final, still interim, seconds cut from the window's start)."""
        final, cut = [], 0.0
        if window_s >= min(STABLE_S, self._limits.window_s) and len(segments) > 1 and \
                0 < segments[-1].start < window_s:
            final, segments = segments[:-1], segments[-1:]
            cut = segments[0].start
        if window_s - cut >= self._limits.window_s:  # nothing stable: make it all final
            final, segments = final + segments, []
            cut = min(window_s, max([window_s - STEP_S, *(s.end for s in final)]))
        return final, segments, cut

    async def run(self, chunks: AsyncIterable[np.ndarray]) -> AsyncIterator[LiveUpdate]:
        rate, step = self._config.sample_rate, int(STEP_S * SAMPLE_RATE)
        stable = int(min(STABLE_S, self._limits.window_s) * SAMPLE_RATE)
        # Without interim results a window is only worth transcribing when
        # something can become final: at STABLE_S, or else at the limit.
        due = 0 if self._config.interim_results else stable
        started = self._clock()
        window = np.zeros(0, dtype=np.float32)
        offset, fresh, total, received = 0.0, 0, 0, 0.0
        async for chunk in chunks:
            received += chunk.size / rate
            self._check(received, self._clock() - started)
            samples = resample(chunk, rate)
            total += samples.size
            for i in range(0, samples.size, step):  # a step at a time, so the window stays bounded
                part = samples[i:i + step]
                window = np.concatenate([window, part])
                fresh += part.size
                if fresh < step or window.size < due:
                    continue
                fresh = 0
                final, segments, cut = self._split(await self._transcribe(window), window.size / SAMPLE_RATE)
                if final:
                    yield LiveUpdate(self._commit(await self._label(window, final), offset), is_final=True)
                if cut:
                    cut_n = round(cut * SAMPLE_RATE)
                    cut = cut_n / SAMPLE_RATE
                    window, offset = window[cut_n:], offset + cut
                    segments = [replace(s, start=s.start - cut, end=s.end - cut) for s in segments]
                if self._config.interim_results:
                    if segments:
                        yield LiveUpdate([replace(s, start=s.start + offset, end=s.end + offset) for s in segments],
                                         is_final=False)
                else:
                    due = stable if final or cut else int(self._limits.window_s * SAMPLE_RATE)
        if window.size:
            last = await self._label(window, await self._transcribe(window))
            yield LiveUpdate(self._commit(last, offset), is_final=True)
        info = self._info or AudioInfo(self._config.options.language or "", 0.0, 0.0)
        yield LiveUpdate([], is_final=True, transcript=self._final.finish(replace(info, duration=total / SAMPLE_RATE)))
