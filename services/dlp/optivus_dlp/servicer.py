"""MediaService: runs the engine per URL, concurrently up to the service's
limits, and turns results into stream messages. A URL's failure is that
URL's error message; the call itself fails only for a bad request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from optivus.media.v1 import media_service_pb2 as pb
from optivus.media.v1 import media_service_pb2_grpc as pb_grpc
from optivus_common.blobs import BlobStore
from optivus_common.errors import InvalidArgument, OptivusError, Unavailable

from .config import DlpSettings
from .convert import file_to_proto, info_to_proto, internal_status, progress_to_proto, status_of
from .engine import DlpEngine, DownloadResult
from .jobs import Job, Progress
from .worker import run_job

log = logging.getLogger(__name__)


async def _cancel_all(tasks: Sequence[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class MediaServicer(pb_grpc.MediaServiceServicer):
    def __init__(self, engine: DlpEngine, settings: DlpSettings, blobs: BlobStore | None = None) -> None:
        self._engine = engine
        self._settings = settings
        self._blobs = blobs
        self._download_slots = asyncio.Semaphore(settings.concurrency)
        self._info_slots = asyncio.Semaphore(settings.info_concurrency)

    def _urls(self, urls: Sequence[str]) -> list[str]:
        if not urls:
            raise InvalidArgument("no URLs were given", reason="URLS_MISSING")
        if len(urls) > self._settings.max_urls:
            raise InvalidArgument(f"at most {self._settings.max_urls} URLs per request", reason="TOO_MANY_URLS",
                                  count=len(urls), limit=self._settings.max_urls)
        return list(urls)

    async def GetInfo(self, request: pb.GetInfoRequest, context):
        tasks = [asyncio.create_task(self._info(i, url)) for i, url in enumerate(self._urls(request.urls))]
        try:
            for task in tasks:  # concurrent, answered in request order
                yield await task
        finally:
            await _cancel_all(tasks)

    async def _info(self, index: int, url: str) -> pb.GetInfoResponse:
        job = Job()
        try:
            async with self._info_slots:
                meta = await run_job(lambda: self._engine.get_info(url, job), job)
            return pb.GetInfoResponse(url_index=index, url=url, info=info_to_proto(meta))
        except OptivusError as exc:
            return pb.GetInfoResponse(url_index=index, url=url, error=status_of(exc))
        except Exception:
            log.exception("info failed", extra={"url_index": index})
            return pb.GetInfoResponse(url_index=index, url=url, error=internal_status())

    async def Download(self, request: pb.DownloadRequest, context):
        urls = self._urls(request.urls)
        queue: asyncio.Queue = asyncio.Queue()
        tasks = [asyncio.create_task(self._download(i, url, request.format, queue))
                 for i, url in enumerate(urls)]
        try:
            pending = len(tasks)
            while pending:
                item = await queue.get()
                if item is None:
                    pending -= 1
                else:
                    yield item
        finally:
            await _cancel_all(tasks)

    async def _download(self, index: int, url: str, fmt: str, queue: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()

        def on_progress(p: Progress) -> None:  # called on the job's thread
            event = pb.DownloadResponse(url_index=index, url=url, progress=progress_to_proto(p))
            loop.call_soon_threadsafe(queue.put_nowait, event)

        job = Job(on_progress, self._settings.progress_interval_s)
        result: DownloadResult | None = None
        try:
            async with self._download_slots:
                result = await run_job(lambda: self._engine.download(url, fmt, job), job)
            blob_key = await self._publish(result)
            queue.put_nowait(pb.DownloadResponse(url_index=index, url=url, file=file_to_proto(result, blob_key)))
            result = None  # delivered
        except OptivusError as exc:
            queue.put_nowait(pb.DownloadResponse(url_index=index, url=url, error=status_of(exc)))
        except Exception:
            log.exception("download failed", extra={"url_index": index})
            queue.put_nowait(pb.DownloadResponse(url_index=index, url=url, error=internal_status()))
        finally:
            if result is not None:  # finished but never handed out: nobody will ever ask for it
                result.path.unlink(missing_ok=True)
            queue.put_nowait(None)

    async def _publish(self, result: DownloadResult) -> str | None:
        """Copies the file into the object store when one is configured."""
        if self._blobs is None:
            return None
        key = result.path.name
        try:
            return await self._blobs.put_file(result.path, key)
        except asyncio.CancelledError:
            await asyncio.shield(self._forget_blob(key))
            raise
        except Exception as exc:
            log.warning("blob upload failed", extra={"blob_key": key, "error": str(exc)})
            await self._forget_blob(key)
            raise Unavailable("the download finished but could not be stored in the object store",
                              reason="BLOB_STORE_UNAVAILABLE") from None

    async def _forget_blob(self, key: str) -> None:
        try:
            await self._blobs.delete(key)
        except Exception:  # noqa: BLE001 - best effort; the store may be down
            pass
