"""Wires the DLP engine and application layer into the shared gRPC
bootstrap (the servicer) and, with NATS, the pipeline (the download
stage's worker)."""

from __future__ import annotations

from functools import partial

from optivus.media.v1 import media_service_pb2_grpc
from optivus_common.jobs.service_worker import stage_worker
from optivus_common.registry import DLP
from optivus_common.server import serve_service

from .app import running_app
from .config import DlpSettings
from .engine import DlpEngine
from .servicer import MediaServicer
from .worker import download_stage


async def run(settings: DlpSettings) -> int:
    engine = DlpEngine(settings)
    async with running_app(settings, engine) as app, \
            stage_worker(settings, DLP, partial(download_stage, app), settings.concurrency) as worker:
        return await serve_service(settings, DLP, media_service_pb2_grpc.add_MediaServiceServicer_to_server,
                                   MediaServicer(app), load=engine.prepare, on_ready=worker.start,
                                   on_stop=worker.stop)
