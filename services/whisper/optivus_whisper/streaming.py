"""StreamingTranscribe: live audio in, interim and final segments out.

Audio accumulates in a window. Every STEP_S seconds of new audio the
window is transcribed again; once it is longer than WINDOW_S, every
segment but the last is final and the window restarts at the last one.
When the client half-closes, the rest of the window is transcribed and
final."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import numpy as np

from optivus.speech.v1 import speech_service_pb2 as pb
from optivus_common.errors import InvalidArgument
from optivus_common.threads import iterate_in_thread

from .convert import options_from_proto, result_to_proto, segment_to_proto
from .engine import SAMPLE_RATE, AudioInfo, Segment, WhisperEngine

STEP_S = 2.0
WINDOW_S = 20.0


def to_samples(chunk: bytes, encoding: int, rate: int) -> np.ndarray:
    if encoding == pb.AUDIO_ENCODING_FLOAT32:
        if len(chunk) % 4:
            raise InvalidArgument("FLOAT32 chunks must hold whole 4-byte samples", reason="BAD_AUDIO_CHUNK")
        samples = np.frombuffer(chunk, dtype="<f4").astype(np.float32)
    else:
        if len(chunk) % 2:
            raise InvalidArgument("LINEAR16 chunks must hold whole 2-byte samples", reason="BAD_AUDIO_CHUNK")
        samples = np.frombuffer(chunk, dtype="<i2").astype(np.float32) / 32768.0
    if rate != SAMPLE_RATE and samples.size:
        n_out = max(1, round(samples.size * SAMPLE_RATE / rate))
        samples = np.interp(np.linspace(0, samples.size - 1, n_out), np.arange(samples.size), samples)
    return samples.astype(np.float32)


class StreamingSession:
    def __init__(self, engine: WhisperEngine, slots: asyncio.Semaphore) -> None:
        self._engine = engine
        self._slots = slots
        self._final: list[Segment] = []
        self._info: AudioInfo | None = None

    async def _transcribe(self, audio: np.ndarray, options) -> list[Segment]:
        segments = []
        async with self._slots:
            async for item in iterate_in_thread(lambda stop: self._engine.transcribe_array(audio, options, stop)):
                if isinstance(item, AudioInfo):
                    self._info = item
                else:
                    segments.append(item)
        return segments

    def _commit(self, segments: list[Segment], offset: float) -> list[Segment]:
        committed = []
        for seg in segments:
            committed.append(replace(seg, index=len(self._final), start=seg.start + offset, end=seg.end + offset))
            self._final.append(committed[-1])
        return committed

    async def run(self, requests: AsyncIterator[pb.StreamingTranscribeRequest]) -> AsyncIterator[pb.StreamingTranscribeResponse]:
        first = await anext(aiter(requests), None)
        if first is None or first.WhichOneof("streaming_request") != "config":
            raise InvalidArgument("the first request must carry `config`", reason="CONFIG_MISSING")
        cfg = first.config
        rate = cfg.sample_rate_hertz or SAMPLE_RATE
        if not 8000 <= rate <= 48000:
            raise InvalidArgument("sample_rate_hertz must be between 8000 and 48000", reason="BAD_SAMPLE_RATE")
        options = options_from_proto(cfg.config)
        window = np.zeros(0, dtype=np.float32)
        offset, fresh, total = 0.0, 0, 0
        async for request in requests:
            if request.WhichOneof("streaming_request") != "audio_chunk":
                raise InvalidArgument("only the first request may carry `config`", reason="CONFIG_REPEATED")
            samples = to_samples(request.audio_chunk, cfg.encoding, rate)
            window = np.concatenate([window, samples])
            fresh += samples.size
            total += samples.size
            if fresh < STEP_S * SAMPLE_RATE:
                continue
            fresh = 0
            segments = await self._transcribe(window, options)
            if window.size > WINDOW_S * SAMPLE_RATE and len(segments) > 1:
                done, segments = segments[:-1], segments[-1:]
                yield pb.StreamingTranscribeResponse(
                    segments=[segment_to_proto(s) for s in self._commit(done, offset)], is_final=True)
                cut = int(segments[0].start * SAMPLE_RATE)
                window, offset = window[cut:], offset + cut / SAMPLE_RATE
                segments = [replace(s, start=s.start - cut / SAMPLE_RATE, end=s.end - cut / SAMPLE_RATE)
                            for s in segments]
            if cfg.interim_results and segments:
                interim = [replace(s, start=s.start + offset, end=s.end + offset) for s in segments]
                yield pb.StreamingTranscribeResponse(segments=[segment_to_proto(s) for s in interim], is_final=False)
        if window.size:
            last = self._commit(await self._transcribe(window, options), offset)
            yield pb.StreamingTranscribeResponse(segments=[segment_to_proto(s) for s in last], is_final=True)
        info = self._info or AudioInfo(options.language or "", 0.0, 0.0)
        info = replace(info, duration=total / SAMPLE_RATE)
        yield pb.StreamingTranscribeResponse(
            is_final=True,
            result=result_to_proto(info, self._final, cfg.config.output_format, self._engine.model_name))
