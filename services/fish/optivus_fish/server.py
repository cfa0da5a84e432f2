"""Wires the speech engines, the application layer and the gRPC servicer
into the shared service bootstrap."""

from __future__ import annotations

from optivus.tts.v1 import tts_service_pb2_grpc
from optivus_common.registry import FISH
from optivus_common.server import serve_service

from .app_runtime import running_app
from .config import FishSettings
from .engine_choice import Engines
from .servicer import TtsServicer


async def run(settings: FishSettings) -> int:
    engines = Engines(settings)
    try:
        async with running_app(settings, engines) as app:
            return await serve_service(settings, FISH, tts_service_pb2_grpc.add_TtsServiceServicer_to_server,
                                       TtsServicer(app), load=engines.load)
    finally:
        engines.close()
