"""Builds the application with its stores and runs their upkeep: the
reference store (shared through NATS JetStream when OPTIVUS_NATS_URL is
set, else the folder FS_PATH/references), the media resolver (blob keys
need NATS too), the retention sweeps of stored WAVs and the reference
store's tidying."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from optivus_common.blobs import BlobStore
from optivus_common.bus import close, connect_as
from optivus_common.media import MediaResolver
from optivus_common.retention import sweeping

from . import speech_files
from .app import TtsApp, retention_of
from .config import FishSettings
from .engine_choice import Engines
from .reference_audio import ReferenceAudio
from .references import FolderReferences
from .shared_references import SharedReferences

log = logging.getLogger(__name__)

UPKEEP_INTERVAL_S = 300.0


@contextlib.asynccontextmanager
async def _jetstream(settings: FishSettings) -> AsyncIterator[object | None]:
    """A JetStream context when OPTIVUS_NATS_URL is set, else None."""
    if not settings.nats_url:
        yield None
        return
    nc = await connect_as(settings)
    try:
        yield nc.jetstream()
    finally:
        await close(nc)


async def _tidy_every(app: TtsApp, interval_s: float) -> None:
    while True:
        try:
            await app.tidy()
        except Exception:  # noqa: BLE001 - a failed pass must not stop the service
            log.exception("reference store tidying failed")
        await asyncio.sleep(interval_s)


@contextlib.asynccontextmanager
async def running_app(settings: FishSettings, engines: Engines) -> AsyncIterator[TtsApp]:
    """The application for as long as the block runs."""
    folder = FolderReferences(settings.fs_path / "references")
    async with _jetstream(settings) as js, \
            sweeping(settings.fs_path, retention_of(settings), speech_files.owned, UPKEEP_INTERVAL_S):
        if js is None:
            references, blobs = folder, None
        else:
            references = await SharedReferences.open(js, settings.reference_bucket, folder)
            blobs = BlobStore(js, settings.blob_bucket)
        reference_audio = ReferenceAudio(MediaResolver(settings, blobs), settings.max_reference_mb,
                                         settings.max_reference_seconds)
        app = TtsApp(engines, references, reference_audio, settings)
        upkeep = asyncio.create_task(_tidy_every(app, UPKEEP_INTERVAL_S))
        try:
            yield app
        finally:
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep
