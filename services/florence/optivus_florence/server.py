"""Wires engine and application layer into the shared gRPC bootstrap (the
servicer; models load while health says NOT_SERVING) and, with NATS, the
pipeline (the describe stage's worker)."""

from __future__ import annotations

from functools import partial

from optivus.vision.v1 import vision_service_pb2_grpc
from optivus_common.blobs import blob_store_from_settings
from optivus_common.jobs.service_worker import stage_worker
from optivus_common.media import MediaResolver
from optivus_common.registry import FLORENCE
from optivus_common.server import Registration, serve_service

from .app import VisionApp
from .config import FlorenceSettings
from .engine import VisionEngine
from .servicer import VisionServicer
from .worker import describe_stage


def registration(app: VisionApp) -> Registration:
    """The VisionService mount, for tests that start their own server."""
    return Registration(vision_service_pb2_grpc.add_VisionServiceServicer_to_server, VisionServicer(app),
                        FLORENCE.grpc_service)


async def run(settings: FlorenceSettings) -> int:
    engine = VisionEngine.from_settings(settings)
    async with blob_store_from_settings(settings) as blobs:
        app = VisionApp.from_settings(settings, engine, MediaResolver(settings, blobs))
        async with stage_worker(settings, FLORENCE, partial(describe_stage, app), settings.workers) as worker:
            return await serve_service(settings, FLORENCE,
                                       vision_service_pb2_grpc.add_VisionServiceServicer_to_server,
                                       VisionServicer(app), load=engine.load, on_ready=worker.start,
                                       on_stop=worker.stop)
