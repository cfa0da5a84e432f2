"""Wires the speech engines and the servicer into the shared gRPC bootstrap."""

from __future__ import annotations

from optivus.tts.v1 import tts_service_pb2, tts_service_pb2_grpc
from optivus_common.blobs import blob_store_from_settings
from optivus_common.media import MediaResolver
from optivus_common.server import Registration, serve

from .config import FishSettings
from .engines import Engines
from .references import ReferenceStore
from .servicer import TtsServicer

DOMAIN = "tts.optivus"
SERVICE_NAME = tts_service_pb2.DESCRIPTOR.services_by_name["TtsService"].full_name


def registration(engines: Engines, references: ReferenceStore, media: MediaResolver,
                 settings: FishSettings) -> Registration:
    servicer = TtsServicer(engines, references, media, settings)
    return Registration(tts_service_pb2_grpc.add_TtsServiceServicer_to_server, servicer, SERVICE_NAME)


async def run(settings: FishSettings) -> int:
    engines = Engines(settings)
    try:
        async with blob_store_from_settings(settings) as blobs:
            references = ReferenceStore(settings.fs_path / "references", blobs)
            media = MediaResolver(settings, blobs)
            return await serve(settings, [registration(engines, references, media, settings)], domain=DOMAIN,
                               address=f"{settings.host}:{settings.port}", load=engines.load)
    finally:
        engines.close()
