"""SpeechService: converts proto <-> engine types and raises domain errors."""

from __future__ import annotations

import asyncio
import logging
import time

from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
from optivus_common.errors import Unavailable
from optivus_common.media import MediaResolver
from optivus_common.threads import iterate_in_thread

from .convert import options_from_proto, result_to_proto, segment_to_proto
from .engine import AudioInfo, WhisperEngine
from .streaming import StreamingSession

log = logging.getLogger(__name__)


class SpeechServicer(pb_grpc.SpeechServiceServicer):
    def __init__(self, engine: WhisperEngine, media: MediaResolver, concurrency: int) -> None:
        self._engine = engine
        self._media = media
        self._slots = asyncio.Semaphore(concurrency)

    def _require_loaded(self) -> None:
        if not self._engine.loaded:
            raise Unavailable("the Whisper model is still loading", reason="MODEL_NOT_LOADED")

    async def Transcribe(self, request: pb.TranscribeRequest, context):
        self._require_loaded()
        options = options_from_proto(request.config)
        started = time.monotonic()
        async with self._media.open(request.audio, "audio") as media, self._slots:
            info, segments = None, []
            async for item in iterate_in_thread(lambda stop: self._engine.transcribe(media.source, options, stop)):
                if isinstance(item, AudioInfo):
                    info = item
                    continue
                segments.append(item)
                yield pb.TranscribeResponse(segment=segment_to_proto(item))
        yield pb.TranscribeResponse(result=result_to_proto(info, segments, request.config.output_format,
                                                           self._engine.model_name))
        log.info("transcribed", extra={"media": media.name, "audio_s": round(info.duration, 2),
                                       "segments": len(segments), "wall_s": round(time.monotonic() - started, 3)})

    async def StreamingTranscribe(self, request_iterator, context):
        self._require_loaded()
        async for response in StreamingSession(self._engine, self._slots).run(request_iterator):
            yield response
