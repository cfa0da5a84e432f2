"""Wires the VideoRAG service: the models and Milvus (loaded while health
says NOT_SERVING), the gRPC servicer, and, with OPTIVUS_NATS_URL, the
index stage's JetStream worker in the same process."""

from __future__ import annotations

import asyncio
import logging

from optivus.videorag.v1 import videorag_service_pb2_grpc
from optivus_common.blobs import BlobStore
from optivus_common.bus import close, connect_as
from optivus_common.jobs.stage_worker import StageWorker, WorkerSettings
from optivus_common.media import MediaResolver
from optivus_common.registry import VIDEORAG
from optivus_common.server import serve_service

from .app import VideoRagApp
from .config import VideoRagSettings
from .models import Models, load_models
from .pipeline import PipelineJobs, index_handler
from .servicer import VideoRagServicer
from .store import MilvusStore

log = logging.getLogger(__name__)


def open_store(settings: VideoRagSettings, models: Models) -> MilvusStore:
    return MilvusStore(settings.milvus_target, settings.milvus_token.get_secret_value(), settings.collection_prefix,
                       models.embedder.dim, settings.hybrid, models.visual.dim if models.visual is not None else 0,
                       settings.max_collections)


def build_app(settings: VideoRagSettings, media: MediaResolver, jobs: PipelineJobs | None = None) -> VideoRagApp:
    """Blocking: loads the models and opens Milvus."""
    models = load_models(settings)
    return VideoRagApp(settings, open_store(settings, models), models, media, jobs)


async def run(settings: VideoRagSettings) -> int:
    servicer = VideoRagServicer()
    nc = jobs = blobs = None
    if settings.nats_url:
        nc = await connect_as(settings)
        blobs = BlobStore(nc.jetstream(), settings.blob_bucket, ttl_s=settings.blob_ttl_hours * 3600,
                          max_bytes=int(settings.blob_max_mb * 1024 * 1024))
        jobs = PipelineJobs(nc)
        await jobs.start()
    media = MediaResolver(settings, blobs)
    stop = asyncio.Event()
    tasks: list[asyncio.Task] = []

    def load() -> None:
        servicer.app = build_app(settings, media, jobs)

    async def on_ready(_running) -> None:
        if jobs is not None:
            worker = StageWorker(nc, VIDEORAG.stage, index_handler(servicer.app, jobs), VIDEORAG.domain,
                                 WorkerSettings(concurrency=settings.index_concurrency,
                                                ack_wait_s=settings.work_ack_wait_s,
                                                max_deliver=settings.work_max_deliver))
            tasks.append(asyncio.create_task(worker.run(stop)))

    async def stop_worker() -> None:
        """As soon as the service is asked to stop: running index work goes
        back to the queue for another replica."""
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    try:
        return await serve_service(settings, VIDEORAG, videorag_service_pb2_grpc.add_VideoRagServiceServicer_to_server,
                                   servicer, load=load, on_ready=on_ready, on_stop=stop_worker)
    finally:
        await stop_worker()
        if servicer.app is not None:
            servicer.app.store.close()
        if nc is not None:
            await close(nc)
