"""Wires the DLP engine and servicer into the shared gRPC bootstrap."""

from __future__ import annotations

from optivus.media.v1 import media_service_pb2, media_service_pb2_grpc
from optivus_common.blobs import BlobStore, blob_store_from_settings
from optivus_common.server import Registration, serve

from .config import DlpSettings
from .convert import DOMAIN
from .engine import DlpEngine
from .servicer import MediaServicer

SERVICE_NAME = media_service_pb2.DESCRIPTOR.services_by_name["MediaService"].full_name


def registration(engine: DlpEngine, settings: DlpSettings, blobs: BlobStore | None) -> Registration:
    servicer = MediaServicer(engine, settings, blobs)
    return Registration(media_service_pb2_grpc.add_MediaServiceServicer_to_server, servicer, SERVICE_NAME)


async def run(settings: DlpSettings) -> int:
    engine = DlpEngine(settings)
    async with blob_store_from_settings(settings) as blobs:
        return await serve(settings, [registration(engine, settings, blobs)], domain=DOMAIN,
                           address=f"{settings.host}:{settings.port}", load=engine.prepare)
