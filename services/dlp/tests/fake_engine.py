"""Stand-ins for the fast tests of the application layer and the servicer
(KServe's DummyModel pattern): an engine that fetches nothing and an
object store that keeps nothing. The last part of a URL's path says what
the fake engine does:

    "*missing*"  NOT_FOUND (MEDIA_NOT_FOUND)
    "*private*"  PERMISSION_DENIED (ADDRESS_NOT_ALLOWED)
    "*crash*"    an unexpected exception: INTERNAL
    "*held*"     starts, then waits until the test opens `gate` (or the fetch is cancelled)
    anything else: metadata made from the name; a download reports three
    progress steps and writes a small file under PATH_VIDEO, named as the
    real engine names its files.

Every call is recorded, and so is the most downloads that ran at once
(in all and per site)."""

from __future__ import annotations

import threading
import urllib.parse
from pathlib import Path

from optivus_common.errors import Cancelled, NotFound, PermissionDenied
from optivus_dlp.download_files import new_name
from optivus_dlp.engine import DownloadResult
from optivus_dlp.fetch_handle import FetchHandle, Progress
from optivus_dlp.metadata import MediaMetadata
from optivus_dlp.runtimes import Capabilities, JsRuntime

BODY = b"\x00\x00\x00\x18ftypmp42" + bytes(1000)


def name_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]


class FakeEngine:
    def __init__(self, path_video: Path) -> None:
        self.path_video = path_video
        self.calls: list[tuple[str, str, str | None]] = []
        self.gate = threading.Event()
        self.cancelled: list[str] = []
        self.running = 0
        self.peak = 0
        self.running_by_site: dict[str, int] = {}
        self.peak_by_site: dict[str, int] = {}
        self._lock = threading.Lock()

    def _behave(self, url: str, handle: FetchHandle) -> str:
        name = name_of(url)
        if "missing" in name:
            raise NotFound(f"the server answered HTTP 404 for {url}", reason="MEDIA_NOT_FOUND", http_status=404)
        if "private" in name:
            raise PermissionDenied(f"this server may not fetch from {url}", reason="ADDRESS_NOT_ALLOWED")
        if "crash" in name:
            raise ZeroDivisionError("a bug with a secret detail /etc/shadow")
        if "held" in name:
            while not self.gate.wait(0.01):
                if handle.cancelled.is_set():
                    self.cancelled.append(url)
                    raise Cancelled("the download was cancelled", reason="DOWNLOAD_CANCELLED")
        return name

    def get_info(self, url: str, handle: FetchHandle) -> MediaMetadata:
        self.calls.append(("info", url, None))
        name = self._behave(url, handle)
        return MediaMetadata(fulltitle=name, webpage_url=url, extractor="fake", id=name, duration=1.5)

    def download(self, url: str, fmt: str | None, handle: FetchHandle) -> DownloadResult:
        self.calls.append(("download", url, fmt))
        site = urllib.parse.urlsplit(url).netloc
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.running_by_site[site] = now = self.running_by_site.get(site, 0) + 1
            self.peak_by_site[site] = max(self.peak_by_site.get(site, 0), now)
        try:
            name = self._behave(url, handle)
            for step in (1, 2, 3):
                handle.progress(Progress(step * len(BODY) // 3, len(BODY), 1000.0, 0.0), final=step == 3)
            path = self.path_video / new_name(".mp4")
            path.write_bytes(BODY)
            return DownloadResult(path, len(BODY), MediaMetadata(fulltitle=name, webpage_url=url, extractor="fake"))
        finally:
            with self._lock:
                self.running -= 1
                self.running_by_site[site] -= 1


    def capabilities(self) -> Capabilities:
        return Capabilities("2099.01.01", (JsRuntime("deno", "9.9.9", True), JsRuntime("node", "18.0.0", False)),
                            "0.0.1", cookies_file_set=True, pot_provider_set=False, pot_plugin_installed=True)


class FakeBlobStore:
    """An object store that keeps keys in memory, or refuses every file."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.keys: set[str] = set()
        self.deleted: list[str] = []

    async def put_file(self, path: Path, key: str) -> str:
        if self.refuse:
            raise OSError("the bucket is full")
        self.keys.add(key)
        return key

    async def delete(self, key: str) -> None:
        self.deleted.append(key)
        self.keys.discard(key)
