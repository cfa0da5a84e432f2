"""The media download application layer: plain Python types in and out, no
transport. It checks requests, runs the engine per URL in its own thread,
concurrently within the service's slots and each site's share (a site
that rate-limits or bot-checks is backed off: site_gates.py), keeps
PATH_VIDEO within its retention, publishes finished files to the object
store and reports each URL's outcome as plain events. The gRPC servicer
is one adapter over it; a JetStream worker can be another.

A URL's failure is that URL's Failed event; only a bad request as a whole
raises (before any event)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from optivus_common.blobs import BlobStore, blob_store_from_settings
from optivus_common.errors import InvalidArgument
from optivus_common.media import MediaSource
from optivus_common.retention import Retention, sweep, sweeping
from optivus_common.threads import call_in_thread

from . import download_files
from .config import DlpSettings
from .engine import DownloadResult
from .fetch_handle import FetchHandle, Progress
from .metadata import MediaMetadata
from .runtimes import Capabilities
from .site_gates import Clock, SiteGates, site_of

log = logging.getLogger(__name__)

STORE_FAILED_WARNING = ("the download finished but could not be stored in the object store: "
                        "the file is only at its path on the DLP service's machine")


class Engine(Protocol):
    """What the application layer needs of the engine (engine.DlpEngine).
    Every call blocks; the fetches report through the handle, stop when it
    is cancelled and raise domain errors."""

    def get_info(self, url: str, handle: FetchHandle) -> MediaMetadata: ...

    def download(self, url: str, fmt: str | None, handle: FetchHandle) -> DownloadResult: ...

    def capabilities(self) -> Capabilities: ...


@dataclass(frozen=True)
class DownloadedFile:
    """A finished download: always a file under PATH_VIDEO (`path`, a name
    the service chose), and its object-store key when it was stored there."""

    path: Path
    size_bytes: int
    metadata: MediaMetadata
    blob_key: str | None = None
    # Set when something after the download went wrong (the object store
    # refused the file): the download itself stands.
    warning: str = ""


@dataclass(frozen=True)
class InfoFound:
    index: int
    url: str
    metadata: MediaMetadata


@dataclass(frozen=True)
class Progressed:
    index: int
    url: str
    progress: Progress


@dataclass(frozen=True)
class Downloaded:
    index: int
    url: str
    file: DownloadedFile


@dataclass(frozen=True)
class Failed:
    """One URL's failure: a domain error (optivus_common.errors), or an
    unexpected exception that adapters report as an internal error."""

    index: int
    url: str
    error: BaseException


InfoEvent = InfoFound | Failed
DownloadEvent = Progressed | Downloaded | Failed


def urls_of(sources: Sequence[MediaSource]) -> list[str]:
    """The URL of each source; the media service fetches URLs only."""
    urls = []
    for i, source in enumerate(sources):
        if source.url is None:
            raise InvalidArgument(f"sources[{i}] has no url: the media service fetches http(s) URLs only",
                                  reason="URL_REQUIRED", index=i)
        urls.append(source.url)
    return urls


async def _cancel_all(tasks: Sequence[asyncio.Task]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def retention_of(settings: DlpSettings) -> Retention:
    return Retention.from_hours_mb(settings.retention_hours, settings.retention_mb)


class DlpApp:
    def __init__(self, engine: Engine, settings: DlpSettings, blobs: BlobStore | None = None,
                 clock: Clock | None = None) -> None:
        self._engine = engine
        self._settings = settings
        self._blobs = blobs
        self.retention = retention_of(settings)
        self.sites = SiteGates(settings.site_concurrency, settings.site_backoff_s, settings.site_backoff_max_s,
                               clock)
        self._download_slots = asyncio.Semaphore(settings.concurrency)
        self._info_slots = asyncio.Semaphore(settings.info_concurrency)

    def _check(self, urls: Sequence[str]) -> None:
        if not urls:
            raise InvalidArgument("no URLs were given", reason="URLS_MISSING")
        if len(urls) > self._settings.max_urls:
            raise InvalidArgument(f"at most {self._settings.max_urls} URLs per request", reason="TOO_MANY_URLS",
                                  count=len(urls), limit=self._settings.max_urls)

    async def capabilities(self) -> Capabilities:
        return await asyncio.to_thread(self._engine.capabilities)

    # Metadata

    async def info(self, urls: Sequence[str]) -> AsyncIterator[InfoEvent]:
        """One event per URL, in request order; looked up concurrently."""
        self._check(urls)
        tasks = [asyncio.create_task(self._info(i, url)) for i, url in enumerate(urls)]
        try:
            for task in tasks:
                yield await task
        finally:
            await _cancel_all(tasks)

    async def _info(self, index: int, url: str) -> InfoEvent:
        handle = FetchHandle()
        site = site_of(url)
        try:
            async with self.sites.entry(site), self._info_slots:
                try:
                    meta = await call_in_thread(lambda: self._engine.get_info(url, handle), handle.cancel)
                except Exception as exc:
                    self.sites.failed(site, exc)  # before the site's next fetch may start
                    raise
            self.sites.succeeded(site)
            return InfoFound(index, url, meta)
        except Exception as exc:  # noqa: BLE001 - one URL's failure is its own answer
            return Failed(index, url, exc)

    # Downloads

    async def download(self, urls: Sequence[str], fmt: str = "") -> AsyncIterator[DownloadEvent]:
        """For each URL: Progressed events, then Downloaded or Failed. URLs
        download concurrently, so events of different URLs interleave.
        Stopping the iteration early cancels every download and waits for
        them to end; a finished file not handed out by then is removed."""
        self._check(urls)
        queue: asyncio.Queue[DownloadEvent | None] = asyncio.Queue()
        tasks = [asyncio.create_task(self._download(i, url, fmt, queue)) for i, url in enumerate(urls)]
        try:
            pending = len(tasks)
            while pending:
                event = await queue.get()
                if event is None:
                    pending -= 1
                else:
                    yield event
        finally:
            await _cancel_all(tasks)
            while not queue.empty():
                event = queue.get_nowait()
                if isinstance(event, Downloaded):
                    await asyncio.shield(self._discard(event.file))

    async def _download(self, index: int, url: str, fmt: str, queue: asyncio.Queue) -> None:
        loop = asyncio.get_running_loop()

        def on_progress(p: Progress) -> None:  # called on the fetch's thread
            loop.call_soon_threadsafe(queue.put_nowait, Progressed(index, url, p))

        handle = FetchHandle(on_progress, self._settings.progress_interval_s)
        # Filled on the fetch's thread: a download that finished while the
        # wait for it was being cancelled is still known here.
        made: list[DownloadResult] = []

        def fetch() -> DownloadResult:
            made.append(self._engine.download(url, fmt, handle))
            return made[-1]

        handed_over = False
        site = site_of(url)
        try:
            async with self.sites.entry(site), self._download_slots:
                try:
                    result = await call_in_thread(fetch, handle.cancel)
                except Exception as exc:
                    self.sites.failed(site, exc)
                    raise
            self.sites.succeeded(site)
            await self._sweep(result)
            file = await self._publish(result)
            queue.put_nowait(Downloaded(index, url, file))
            handed_over = True  # from here on the iterator removes it if it is never handed out
        except Exception as exc:  # noqa: BLE001 - one URL's failure is its own answer
            queue.put_nowait(Failed(index, url, exc))
        finally:
            if not handed_over:  # finished but never handed over: nobody will ever ask for it
                for result in made:
                    result.path.unlink(missing_ok=True)
            queue.put_nowait(None)

    async def _sweep(self, new: DownloadResult) -> None:
        """Sweeps the downloads but the one just finished (the caller is
        about to be told its path), counting it in the total, so that a
        burst of downloads cannot outrun the periodic sweep."""
        retention = self.retention
        if not retention.enabled:
            return
        if retention.max_bytes:
            retention = Retention(retention.max_age_s, max(retention.max_bytes - new.size_bytes, 1))
        name = new.path.name
        try:
            await asyncio.to_thread(sweep, self._settings.path_video, retention,
                                    lambda other: other != name and download_files.owned(other))
        except OSError:
            log.exception("retention sweep failed", extra={"folder": str(self._settings.path_video)})

    async def _publish(self, result: DownloadResult) -> DownloadedFile:
        """Copies the file into the object store when one is configured.
        When that fails the download still stands, with a warning, and the
        client gets the file's server path."""
        file = DownloadedFile(result.path, result.size_bytes, result.metadata)
        if self._blobs is None:
            return file
        key = result.path.name
        try:
            return DownloadedFile(result.path, result.size_bytes, result.metadata,
                                  blob_key=await self._blobs.put_file(result.path, key))
        except asyncio.CancelledError:
            await asyncio.shield(self._forget_blob(key))
            raise
        except Exception as exc:
            log.warning("blob upload failed", extra={"blob_key": key, "error": str(exc)})
            await self._forget_blob(key)
            return DownloadedFile(result.path, result.size_bytes, result.metadata, warning=STORE_FAILED_WARNING)

    async def _discard(self, file: DownloadedFile) -> None:
        file.path.unlink(missing_ok=True)
        if file.blob_key is not None:
            await self._forget_blob(file.blob_key)

    async def _forget_blob(self, key: str) -> None:
        try:
            await self._blobs.delete(key)
        except Exception:  # noqa: BLE001 - best effort; the store may be down
            pass


@contextlib.asynccontextmanager
async def running_app(settings: DlpSettings, engine: Engine) -> AsyncIterator[DlpApp]:
    """The application layer with what it runs on: the object store (when
    OPTIVUS_NATS_URL is set), and the downloads' retention, swept at the
    start and every few minutes while the block runs."""
    async with blob_store_from_settings(settings) as blobs, \
            sweeping(settings.path_video, retention_of(settings), download_files.owned):
        yield DlpApp(engine, settings, blobs)
