"""Wires engine, application layer and servicer into the shared gRPC
bootstrap (the model loads while health says NOT_SERVING) and, with NATS,
the pipeline (the transcribe stage's worker) and the known speakers shared
by every replica."""

from __future__ import annotations

from functools import partial

from optivus.speech.v1 import speech_service_pb2_grpc
from optivus_common.blobs import blob_store_from_settings
from optivus_common.jobs.service_worker import stage_worker
from optivus_common.media import MediaResolver
from optivus_common.registry import WHISPER
from optivus_common.server import Registration, serve_service

from .app import WhisperApp
from .config import WhisperSettings
from .diarizer import Diarizer
from .engine import WhisperEngine
from .servicer import SpeechServicer
from .shared_speakers import speaker_store
from .worker import transcribe_stage


def registration(app: WhisperApp) -> Registration:
    """The SpeechService mount, for tests that start a server on port 0."""
    return Registration(speech_service_pb2_grpc.add_SpeechServiceServicer_to_server, SpeechServicer(app),
                        WHISPER.grpc_service)


def load(engine: WhisperEngine, diarizer: Diarizer | None, preload_diarizer: bool) -> None:
    engine.load()
    if diarizer is not None and preload_diarizer:
        diarizer.load()


async def run(settings: WhisperSettings) -> int:
    engine = WhisperEngine(settings)
    async with blob_store_from_settings(settings) as blobs, speaker_store(settings) as speakers:
        diarizer = Diarizer.from_settings(settings)
        app = WhisperApp(engine, MediaResolver(settings, blobs), settings, diarizer, speakers)
        async with stage_worker(settings, WHISPER, partial(transcribe_stage, app), settings.batch_workers) as worker:
            return await serve_service(settings, WHISPER, speech_service_pb2_grpc.add_SpeechServiceServicer_to_server,
                                       SpeechServicer(app), load=partial(load, engine, diarizer, settings.diarizer_preload), on_ready=worker.start,
                                       on_stop=worker.stop)
