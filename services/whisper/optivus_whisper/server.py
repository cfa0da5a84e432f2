"""Wires the Whisper engine and servicer into the shared gRPC bootstrap."""

from __future__ import annotations

from optivus.speech.v1 import speech_service_pb2, speech_service_pb2_grpc
from optivus_common.media import MediaResolver
from optivus_common.server import Registration, serve
from optivus_common.blobs import blob_store_from_settings

from .config import WhisperSettings
from .engine import WhisperEngine
from .servicer import SpeechServicer

DOMAIN = "speech.optivus"
SERVICE_NAME = speech_service_pb2.DESCRIPTOR.services_by_name["SpeechService"].full_name


def registration(engine: WhisperEngine, media: MediaResolver, settings: WhisperSettings) -> Registration:
    servicer = SpeechServicer(engine, media, settings.batch_workers)
    return Registration(speech_service_pb2_grpc.add_SpeechServiceServicer_to_server, servicer, SERVICE_NAME)


async def run(settings: WhisperSettings) -> int:
    engine = WhisperEngine(settings)
    async with blob_store_from_settings(settings) as blobs:
        media = MediaResolver(settings, blobs)
        return await serve(settings, [registration(engine, media, settings)], domain=DOMAIN,
                           address=f"{settings.host}:{settings.port}", load=engine.load)
