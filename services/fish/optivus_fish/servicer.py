"""TtsService: converts proto <-> engine types and raises domain errors."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from datetime import datetime, timezone
from pathlib import Path

from optivus.media.v1 import media_ref_pb2
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc
from optivus_common.errors import InvalidArgument
from optivus_common.media import MediaResolver
from optivus_common.threads import iterate_in_thread

from . import audio
from .config import FishSettings
from .convert import (ENGINE_ENUMS, duration, engine_from_proto, format_from_proto, params_from_proto,
                      reference_to_proto)
from .engine import ReferenceClip
from .engines import Engines
from .references import MAX_TEXT_CHARS, ReferenceStore, check_id
from .text import check_text, split_sentences

log = logging.getLogger(__name__)

MAX_INLINE_REFERENCES = 8


def _read_at_most(path: Path, cap: int) -> tuple[int, bytes]:
    """(size, bytes): nothing is read when the file is over `cap` bytes, and
    never more than cap + 1 bytes, even if the file grows meanwhile."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > cap:
            return size, b""
        data = f.read(cap + 1)
    return max(size, len(data)), data


class TtsServicer(pb_grpc.TtsServiceServicer):
    def __init__(self, engines: Engines, references: ReferenceStore, media: MediaResolver,
                 settings: FishSettings) -> None:
        self._engines = engines
        self._references = references
        self._media = media
        self._settings = settings
        self._slots = asyncio.Semaphore(settings.concurrency)

    async def _read(self, ref: media_ref_pb2.MediaRef) -> bytes:
        cap = int(self._settings.max_reference_mb * 1024 * 1024)
        async with self._media.open(ref, "reference audio") as media:
            if media.content is not None:
                size = len(media.content)
                data = media.content if size <= cap else b""
            else:
                size, data = await asyncio.to_thread(_read_at_most, media.path, cap)
        if size > cap:
            raise InvalidArgument(f"the reference audio is {size / 1048576:.1f} MB; at most "
                                  f"{self._settings.max_reference_mb:g} MB is accepted", reason="REFERENCE_TOO_LARGE")
        return data

    async def _clips(self, request: pb.SynthesizeRequest) -> list[ReferenceClip]:
        if request.reference_id and len(request.references):
            raise InvalidArgument("give either reference_id or references, not both", reason="REFERENCES_CONFLICT")
        if request.reference_id:
            ref, wav = await self._references.get(check_id(request.reference_id))
            return [ReferenceClip(wav, ref.text)]
        if len(request.references) > MAX_INLINE_REFERENCES:
            raise InvalidArgument(f"at most {MAX_INLINE_REFERENCES} references", reason="TOO_MANY_REFERENCES")
        clips = []
        for item in request.references:
            text = item.text.strip()
            if not text or len(text) > MAX_TEXT_CHARS:
                raise InvalidArgument(f"each reference needs the text spoken in it (1 to {MAX_TEXT_CHARS} characters)",
                                      reason="REFERENCE_TEXT_MISSING")
            data = await self._read(item.audio)
            wav, _ = await asyncio.to_thread(audio.reference_clip, data, self._settings.max_reference_seconds)
            clips.append(ReferenceClip(wav, text))
        return clips

    async def _store(self, pcm: bytes, sample_rate: int) -> media_ref_pb2.MediaRef:
        folder = self._settings.fs_path
        name = f"fish-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(6)}.wav"
        path = folder / name

        def write() -> None:
            folder.mkdir(parents=True, exist_ok=True)
            with open(path, "xb") as f:
                f.write(audio.wav_header(sample_rate, len(pcm)) + pcm)

        await asyncio.to_thread(write)
        return media_ref_pb2.MediaRef(path=str(path.resolve()), mime_type="audio/wav", filename=name)

    async def Synthesize(self, request: pb.SynthesizeRequest, context):
        text = check_text(request.text, self._settings.max_text_chars)
        params = params_from_proto(request.params)
        fmt = format_from_proto(request.format)
        requested = engine_from_proto(request.engine)
        self._engines.pick(requested, clones=bool(request.reference_id or len(request.references)))
        clips = await self._clips(request)
        engine = self._engines.pick(requested, clones=bool(clips))
        pieces = split_sentences(text, params.chunk_length or self._settings.chunk_length)
        started = time.monotonic()
        async with self._slots:
            yield pb.SynthesizeResponse(header=pb.SynthesisHeader(
                sample_rate_hertz=engine.sample_rate, channels=1, format=fmt, engine=ENGINE_ENUMS[engine.name],
                model=engine.description))
            stored, samples, first = [], 0, True
            async for piece in iterate_in_thread(lambda stop: engine.speak(pieces, clips, params, stop)):
                pcm = audio.to_pcm16(piece.samples)
                if not pcm:
                    continue
                samples += piece.samples.size
                if request.store:
                    stored.append(pcm)
                data = audio.wav_header(engine.sample_rate) + pcm if first and fmt == pb.AUDIO_FORMAT_WAV else pcm
                first = False
                yield pb.SynthesizeResponse(chunk=pb.AudioChunk(data=data, sentence_index=piece.index))
            if first and fmt == pb.AUDIO_FORMAT_WAV:  # nothing was spoken: still a (silent) WAV
                yield pb.SynthesizeResponse(chunk=pb.AudioChunk(data=audio.wav_header(engine.sample_rate)))
        summary = pb.SynthesisSummary(audio_duration=duration(samples / engine.sample_rate),
                                      sentence_count=len(pieces))
        if request.store:
            summary.stored.CopyFrom(await self._store(b"".join(stored), engine.sample_rate))
        yield pb.SynthesizeResponse(summary=summary)
        log.info("synthesized", extra={"engine": engine.description, "chars": len(text), "sentences": len(pieces),
                                       "audio_s": round(samples / engine.sample_rate, 2),
                                       "wall_s": round(time.monotonic() - started, 3)})

    async def AddReference(self, request: pb.AddReferenceRequest, context):
        data = await self._read(request.reference.audio)
        ref = await self._references.add(data, request.reference.text, request.display_name,
                                         self._settings.max_reference_seconds)
        log.info("reference added", extra={"reference_id": ref.reference_id, "audio_s": ref.duration_s})
        return pb.AddReferenceResponse(reference=reference_to_proto(ref))

    async def ListReferences(self, request: pb.ListReferencesRequest, context):
        refs = await asyncio.to_thread(self._references.list)
        return pb.ListReferencesResponse(references=[reference_to_proto(r) for r in refs])

    async def DeleteReference(self, request: pb.DeleteReferenceRequest, context):
        await self._references.delete(check_id(request.reference_id))
        log.info("reference deleted", extra={"reference_id": request.reference_id})
        return pb.DeleteReferenceResponse()
