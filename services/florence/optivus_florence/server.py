"""Wires the vision engine and servicer into the shared gRPC bootstrap."""

from __future__ import annotations

from optivus.vision.v1 import vision_service_pb2, vision_service_pb2_grpc
from optivus_common.blobs import blob_store_from_settings
from optivus_common.media import MediaResolver
from optivus_common.server import Registration, serve

from .config import FlorenceSettings
from .engine import VisionEngine
from .servicer import VisionServicer

DOMAIN = "vision.optivus"
SERVICE_NAME = vision_service_pb2.DESCRIPTOR.services_by_name["VisionService"].full_name


def registration(engine: VisionEngine, media: MediaResolver) -> Registration:
    return Registration(vision_service_pb2_grpc.add_VisionServiceServicer_to_server,
                        VisionServicer(engine, media), SERVICE_NAME)


async def run(settings: FlorenceSettings) -> int:
    engine = VisionEngine(settings)
    async with blob_store_from_settings(settings) as blobs:
        media = MediaResolver(settings, blobs)
        return await serve(settings, [registration(engine, media)], domain=DOMAIN,
                           address=f"{settings.host}:{settings.port}", load=engine.load)
