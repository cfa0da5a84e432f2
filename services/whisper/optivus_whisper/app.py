"""The Whisper application layer: plain types in and out, no transport.
It resolves the client's media, holds the concurrency slots, runs the
engine off the event loop, assembles each request's Transcript and logs
what a request cost. A transcription is a span (engine, model, device,
audio seconds, decoding) and counts in the media-seconds metrics, whose
ratio to wall time is speech recognition's real-time factor. The gRPC
servicer and the JetStream worker only convert to and from these types."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import replace

import numpy as np
from opentelemetry import trace

from optivus_common import metrics
from optivus_common.errors import FailedPrecondition, InvalidArgument, still_loading
from optivus_common.media import MediaResolver, MediaSource
from optivus_common.safe_av import duration_of
from optivus_common.telemetry import attributes, work_span
from optivus_common.threads import call_in_thread, iterate_in_thread

from .config import WhisperSettings
from .diarizer import Diarizer
from .known_speakers import FolderSpeakers, KnownSpeaker, check_id, check_name, folder_speakers
from .live import LiveConfig, LiveLimits, LiveSession, LiveUpdate
from .shared_speakers import SharedSpeakers
from .transcript import AudioInfo, Options, OutputFormat, Segment, Transcript, TranscriptBuilder

log = logging.getLogger(__name__)

MAX_BEAM_SIZE = 20
MAX_PROMPT_CHARS = 2000  # Whisper reads at most 223 prompt tokens anyway


def check_options(options: Options) -> None:
    if options.beam_size is not None and not 1 <= options.beam_size <= MAX_BEAM_SIZE:
        raise InvalidArgument(f"beam_size must be between 1 and {MAX_BEAM_SIZE}", reason="BAD_BEAM_SIZE")
    if options.initial_prompt and len(options.initial_prompt) > MAX_PROMPT_CHARS:
        raise InvalidArgument(f"initial_prompt may hold at most {MAX_PROMPT_CHARS} characters",
                              reason="PROMPT_TOO_LONG")


def _require(diarizer: Diarizer | None) -> Diarizer:
    if diarizer is None:
        raise FailedPrecondition("diarization is off on this server (OPTIVUS_WHISPER_DIARIZER=none)",
                                 reason="DIARIZATION_DISABLED")
    return diarizer


def check_speakers(options: Options, diarizer: Diarizer | None) -> None:
    if not options.diarize:
        if options.min_speakers or options.max_speakers:
            raise InvalidArgument("min_speakers and max_speakers need diarize", reason="SPEAKERS_WITHOUT_DIARIZE")
        return
    _require(diarizer)
    cap = diarizer.max_speakers
    for name, value in (("min_speakers", options.min_speakers), ("max_speakers", options.max_speakers)):
        if not 0 <= value <= cap:
            raise InvalidArgument(f"{name} must be between 1 and {cap} (0 leaves it to the server)",
                                  reason="BAD_SPEAKER_COUNT", limit=cap)
    if options.min_speakers and options.max_speakers and options.min_speakers > options.max_speakers:
        raise InvalidArgument("min_speakers is more than max_speakers", reason="BAD_SPEAKER_COUNT", limit=cap)


class WhisperApp:
    def __init__(self, engine, media: MediaResolver, settings: WhisperSettings,
                 diarizer: Diarizer | None = None, speakers: FolderSpeakers | SharedSpeakers | None = None) -> None:
        """`speakers`: the known speakers' store (default: the folder one)."""
        self._engine = engine
        self._diarizer = diarizer
        self._speakers = speakers if speakers is not None else folder_speakers(settings)
        self._media = media
        self._settings = settings
        self._slots = asyncio.Semaphore(settings.batch_workers)
        self._live_limits = LiveLimits(settings.live_window_seconds, settings.live_max_seconds,
                                       settings.live_max_speed)

    @property
    def model_name(self) -> str:
        return self._engine.model_name

    def require_loaded(self) -> None:
        if not self._engine.loaded:
            raise still_loading("Whisper model")

    async def transcribe(self, source: MediaSource, options: Options, output_format: OutputFormat = "segments",
                         progress: Callable[[float], Awaitable[None]] | None = None,
                         ) -> AsyncIterator[Segment | Transcript]:
        """Yields each segment as the model decodes it, then one Transcript.
        With diarize, the segments come after the whole file is decoded and
        its speakers are found (a segment is cut where its speaker changes).
        `progress` is told the fraction of the audio decoded (by the media's
        stated length; diarizing is the last tenth)."""
        self.require_loaded()
        check_options(options)
        check_speakers(options, self._diarizer)
        started = time.monotonic()
        builder = TranscriptBuilder(output_format, self._engine.model_name)
        info = None
        held: list[Segment] = []  # with diarize, until the speakers are known
        # Speakers change between words, so diarization needs their times.
        decode_options = replace(options, word_timestamps=True) if options.diarize else options
        diarize_s = 0.0
        async with self._media.open(source, "audio") as media, self._slots:
            total = await asyncio.to_thread(duration_of, media.source) if progress is not None else None
            share = 0.9 if options.diarize else 1.0
            began = time.monotonic()
            with work_span("whisper.transcribe", engine="faster-whisper", model=self._engine.model_name,
                           device=self._engine.device, task=options.task, beam_size=options.beam_size,
                           decoding_asked=options.decoding, diarize=options.diarize) as span:
                async for item in iterate_in_thread(
                        lambda stop: self._engine.transcribe(media.source, decode_options, stop)):
                    if isinstance(item, AudioInfo):
                        info = item
                        continue
                    if total:
                        await progress(share * min(1.0, item.end / total))
                    if options.diarize:
                        held.append(item)
                        continue
                    builder.add(item)
                    yield item
                span.set_attributes(attributes(audio_seconds=info.duration, decoding=info.decoding,
                                               segments=builder.count or len(held), language=info.language))
            metrics.observe_media("transcribe", info.duration, time.monotonic() - began)
            if options.diarize:
                diarized = time.monotonic()
                for segment in await self._diarize(media.source, held, options, info.duration):
                    segment = segment if options.word_timestamps else replace(segment, words=[])
                    builder.add(segment)
                    yield segment
                diarize_s = time.monotonic() - diarized
        transcript = builder.finish(info)
        wall_s = round(time.monotonic() - started, 3)
        trace.get_current_span().set_attributes({"whisper.decoding": info.decoding, "whisper.audio_s": info.duration,
                                                 "whisper.segments": builder.count})
        log.info("transcribed", extra={"media": media.name, "audio_s": round(info.duration, 2),
                                       "segments": builder.count, "decoding": info.decoding, "wall_s": wall_s,
                                       "speakers": len(transcript.speakers), "diarize_s": round(diarize_s, 3)})
        yield transcript

    async def _diarize(self, source, segments: list[Segment], options: Options, audio_s: float) -> list[Segment]:
        stop = threading.Event()
        with work_span("whisper.diarize", engine=self._diarizer.name, audio_seconds=audio_s,
                       min_speakers=options.min_speakers, max_speakers=options.max_speakers) as span:
            known = await self._speakers.list()
            labelled = await call_in_thread(
                lambda: self._diarizer.diarize(source, segments, options.min_speakers, options.max_speakers, known,
                                               stop),
                stop.set)
            span.set_attributes(attributes(speakers=len({s.speaker for s in labelled if s.speaker}),
                                           segments=len(labelled)))
        return labelled

    async def enroll_speaker(self, source: MediaSource, name: str) -> KnownSpeaker:
        """Saves a known speaker's voice print from a short clip of them."""
        diarizer = _require(self._diarizer)
        name = check_name(name)
        async with self._media.open(source, "audio") as media, self._slots:
            with work_span("whisper.enroll_speaker", engine=diarizer.name):
                seconds, vector = await call_in_thread(lambda: diarizer.enrolment(media.source))
                speaker = await self._speakers.add(name, seconds, diarizer.name, vector)
        log.info("speaker enrolled", extra={"speaker_id": speaker.speaker_id, "audio_s": speaker.duration_s})
        return speaker

    async def list_speakers(self) -> list[KnownSpeaker]:
        _require(self._diarizer)
        return await self._speakers.list()

    async def delete_speaker(self, speaker_id: str) -> None:
        _require(self._diarizer)
        await self._speakers.delete(check_id(speaker_id))
        log.info("speaker deleted", extra={"speaker_id": speaker_id})

    async def live(self, config: LiveConfig, audio: AsyncIterable[np.ndarray]) -> AsyncIterator[LiveUpdate]:
        """A live session: float32 samples at config.sample_rate in (one
        array per client chunk), interim and final segments out; the last
        update carries the Transcript."""
        self.require_loaded()
        check_options(config.options)
        check_speakers(config.options, self._diarizer)
        speakers = None
        if config.options.diarize:
            if config.options.min_speakers:
                raise InvalidArgument("a live session takes max_speakers only (its speakers are found as they speak)",
                                      reason="BAD_SPEAKER_COUNT")
            known = await self._speakers.list()
            speakers = await asyncio.to_thread(self._diarizer.tracker, config.options.max_speakers, known)
        session = LiveSession(self._engine, self._slots, config, self._live_limits, speakers=speakers)
        async for update in session.run(audio):
            yield update
