"""The text-to-speech application layer: plain Python types in and out, no
transport. It checks requests, holds the concurrency slots, resolves
reference audio, keeps saved references (within their caps), stores WAVs
under FS_PATH (within their retention) and raises domain errors. The gRPC
servicer is one adapter over it; a JetStream worker can be another.
app_runtime.running_app builds it with its stores. A synthesis is a span
(engine, characters, seconds spoken) and counts in the media-seconds
metrics, whose ratio to wall time is synthesis's real-time factor."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from optivus_common import metrics
from optivus_common.errors import InvalidArgument, ResourceExhausted
from optivus_common.media import MediaSource
from optivus_common.retention import Retention, sweep
from optivus_common.telemetry import attributes, work_span
from optivus_common.threads import iterate_in_thread

from . import audio, speech_files
from .config import FishSettings
from .engine_choice import Engines
from .reference_audio import ReferenceAudio
from .references import Reference, ReferenceStore, check_id, new_id
from .slots import Slots
from .speech_engine import Params, ReferenceClip
from .text import check_text, split_sentences

log = logging.getLogger(__name__)

MAX_INLINE_REFERENCES = 8
MAX_REFERENCE_TEXT_CHARS = 2000
MAX_DISPLAY_NAME_CHARS = 200
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_MAX_PAGE_TOKEN_CHARS = 200

AudioFormat = Literal["wav", "pcm_s16le"]


@dataclass(frozen=True)
class VoiceSample:
    """An inline voice reference: its audio and what is said in it."""

    audio: MediaSource
    text: str


@dataclass(frozen=True)
class SynthesisRequest:
    text: str
    reference_id: str = ""
    references: Sequence[VoiceSample] = ()
    engine: str | None = None  # "fish", "piper" or None (auto)
    params: Params = field(default_factory=Params)
    format: AudioFormat = "wav"
    store: bool = False  # also keep the whole WAV under FS_PATH


@dataclass(frozen=True)
class SynthesisStart:
    sample_rate: int
    engine: str
    model: str
    format: AudioFormat


@dataclass(frozen=True)
class AudioPiece:
    """Audio of one sentence; in WAV format the first piece starts with a
    streaming WAV header, so the pieces joined are one playable file."""

    sentence_index: int
    data: bytes


@dataclass(frozen=True)
class SynthesisEnd:
    audio_seconds: float
    sentence_count: int
    stored: Path | None  # the WAV under FS_PATH, when the request asked for it


@dataclass(frozen=True)
class ReferencePage:
    references: list[Reference]
    next_page_token: str  # empty on the last page


def _page_token(ref: Reference) -> str:
    """Where the next page starts: after this reference in the list's
    order, whether or not it still exists then."""
    raw = json.dumps([ref.create_time.isoformat(), ref.reference_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _after(token: str) -> tuple[datetime, str]:
    try:
        if len(token) > _MAX_PAGE_TOKEN_CHARS:
            raise ValueError
        when, reference_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        after = datetime.fromisoformat(when), check_id(reference_id)
        if after[0].tzinfo is None:
            raise ValueError
        return after
    except (ValueError, TypeError, binascii.Error, InvalidArgument):
        raise InvalidArgument("invalid page_token: pass the next_page_token of the previous page",
                              reason="INVALID_PAGE_TOKEN") from None


class TtsApp:
    def __init__(self, engines: Engines, references: ReferenceStore, reference_audio: ReferenceAudio,
                 settings: FishSettings) -> None:
        self._engines = engines
        self._references = references
        self._reference_audio = reference_audio
        self._settings = settings
        self.slots = Slots(settings.concurrency, settings.max_waiting)
        self._retention = retention_of(settings)

    # Speech

    async def synthesize(self, request: SynthesisRequest
                         ) -> AsyncIterator[SynthesisStart | AudioPiece | SynthesisEnd]:
        """Start, one AudioPiece per sentence as it is spoken, End. Every
        check that needs no work runs before the request waits for a slot;
        reference audio is read and decoded only once it has one."""
        s = self._settings
        text = check_text(request.text, s.max_text_chars)
        clones = bool(request.reference_id or request.references)
        engine = self._engines.pick(request.engine, clones=clones)
        self._check_references(request)
        pieces = split_sentences(text, request.params.chunk_length or s.chunk_length)
        started = time.monotonic()
        wav = request.format == "wav"
        async with self.slots.take():
            began = time.monotonic()
            with work_span("fish.synthesize", engine=engine.name, model=engine.description, chars=len(text),
                           sentences=len(pieces), clones=clones) as span:
                clips = await self._clips(request)
                yield SynthesisStart(engine.sample_rate, engine.name, engine.description, request.format)
                kept, samples, first = [], 0, True
                async for piece in iterate_in_thread(lambda stop: engine.speak(pieces, clips, request.params, stop)):
                    pcm = audio.to_pcm16(piece.samples)
                    if not pcm:
                        continue
                    samples += piece.samples.size
                    if request.store:
                        kept.append(pcm)
                    yield AudioPiece(piece.index, audio.wav_header(engine.sample_rate) + pcm if first and wav else pcm)
                    first = False
                if first and wav:  # nothing was spoken: still a (silent) WAV
                    yield AudioPiece(0, audio.wav_header(engine.sample_rate))
                span.set_attributes(attributes(audio_seconds=samples / engine.sample_rate))
            metrics.observe_media("synthesize", samples / engine.sample_rate, time.monotonic() - began)
        stored = await self._store(b"".join(kept), engine.sample_rate) if request.store else None
        seconds = samples / engine.sample_rate
        yield SynthesisEnd(seconds, len(pieces), stored)
        log.info("synthesized", extra={"engine": engine.description, "chars": len(text), "sentences": len(pieces),
                                       "audio_s": round(seconds, 2), "wall_s": round(time.monotonic() - started, 3)})

    def _check_references(self, request: SynthesisRequest) -> None:
        if request.reference_id and request.references:
            raise InvalidArgument("give either reference_id or references, not both", reason="REFERENCES_CONFLICT")
        if request.reference_id:
            check_id(request.reference_id)
        if len(request.references) > MAX_INLINE_REFERENCES:
            raise InvalidArgument(f"at most {MAX_INLINE_REFERENCES} references", reason="TOO_MANY_REFERENCES")
        for sample in request.references:
            _check_reference_text(sample.text)

    async def _clips(self, request: SynthesisRequest) -> list[ReferenceClip]:
        if request.reference_id:
            ref, wav = await self._references.get(request.reference_id)
            return [ReferenceClip(wav, ref.text)]
        clips = []
        for sample in request.references:
            wav, _ = await self._reference_audio.clip(sample.audio)
            clips.append(ReferenceClip(wav, sample.text.strip()))
        return clips

    async def _store(self, pcm: bytes, sample_rate: int) -> Path:
        folder, name = self._settings.fs_path, speech_files.new_name()
        path = await asyncio.to_thread(speech_files.write, folder, name, pcm, sample_rate)
        if self._retention.enabled:
            await self._sweep(folder, name, len(pcm) + audio.WAV_HEADER_BYTES)
        return path.resolve()

    async def _sweep(self, folder: Path, new: str, new_bytes: int) -> None:
        """Sweeps the stored WAVs but the one just written (the caller is
        about to be told its path), counting it in the total."""
        retention = self._retention
        if retention.max_bytes:
            retention = Retention(retention.max_age_s, max(retention.max_bytes - new_bytes, 1))
        try:
            await asyncio.to_thread(sweep, folder, retention, lambda name: name != new and speech_files.owned(name))
        except OSError:
            log.exception("retention sweep failed", extra={"folder": str(folder)})

    # Saved references

    async def add_reference(self, source: MediaSource, text: str, display_name: str = "") -> Reference:
        text = _check_reference_text(text)
        if len(display_name) > MAX_DISPLAY_NAME_CHARS:
            raise InvalidArgument(f"display_name is longer than {MAX_DISPLAY_NAME_CHARS} characters",
                                  reason="DISPLAY_NAME_TOO_LONG")
        async with self.slots.take():
            wav, duration = await self._reference_audio.clip(source)
            await self._check_room(len(wav))
            ref = Reference(new_id(), display_name, text, round(duration, 3), datetime.now(timezone.utc), len(wav))
            await self._references.add(ref, wav)
        log.info("reference added", extra={"reference_id": ref.reference_id, "audio_s": ref.duration_s})
        return ref

    async def _check_room(self, size: int) -> None:
        """The caps on saved references. With several replicas each checks
        the shared index before it adds, so replicas adding at the same
        moment can pass a cap by one reference each."""
        s = self._settings
        saved = await self._references.list_all()
        used = sum(r.size_bytes for r in saved)
        if len(saved) >= s.max_references or used + size > s.references_max_mb * 1024 * 1024:
            raise ResourceExhausted(
                f"the reference store is full ({len(saved)} references, {used / 1048576:.1f} MB; at most "
                f"{s.max_references} and {s.references_max_mb:g} MB): delete references you no longer use",
                reason="REFERENCE_STORE_FULL")

    async def list_references(self, page_size: int = 0, page_token: str = "") -> ReferencePage:
        """Oldest first, a page at a time: page_size 0 means
        DEFAULT_PAGE_SIZE, more than MAX_PAGE_SIZE means MAX_PAGE_SIZE."""
        if page_size < 0:
            raise InvalidArgument("page_size must not be negative", reason="INVALID_PAGE_SIZE")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        after = _after(page_token) if page_token else None
        refs = await self._references.list_all()
        if after is not None:
            refs = [r for r in refs if r.order > after]
        page = refs[:size]
        return ReferencePage(page, _page_token(page[-1]) if len(refs) > size else "")

    async def delete_reference(self, reference_id: str) -> None:
        await self._references.delete(check_id(reference_id))
        log.info("reference deleted", extra={"reference_id": reference_id})

    async def tidy(self) -> None:
        """Removes what interrupted writes left and cached copies of
        references deleted elsewhere (app_runtime runs it every few minutes)."""
        await self._references.tidy()


def retention_of(settings: FishSettings) -> Retention:
    return Retention.from_hours_mb(settings.retention_hours, settings.retention_mb)


def _check_reference_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidArgument("each reference needs the text spoken in it", reason="REFERENCE_TEXT_MISSING")
    if len(text) > MAX_REFERENCE_TEXT_CHARS:
        raise InvalidArgument(f"a reference's text is longer than {MAX_REFERENCE_TEXT_CHARS} characters",
                              reason="REFERENCE_TEXT_TOO_LONG")
    return text
