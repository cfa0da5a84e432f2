"""DlpEngine: metadata and downloads with yt-dlp's Python API. Blocking
(call it from a worker thread); no gRPC here.

Each download runs in its own folder under PATH_VIDEO/.dlp-partial, so
whatever yt-dlp leaves behind (.part files, fragments, unmerged streams)
goes when the folder goes: after success, failure, refusal or cancel
alike. Only the finished file moves out, renamed to a name of our own
(download_files.py)."""

from __future__ import annotations

import functools
import logging
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from optivus_common.errors import Cancelled, InvalidArgument, OptivusError

from .config import DlpSettings
from .download_files import new_name
from .failures import to_domain_error
from .fetch_handle import FetchHandle, Progress
from .guard import AddressPolicy, check_url
from .metadata import MediaMetadata, metadata_from_info
from .network import Network
from .probe import probe
from .redaction import Redactor, cookie_secrets
from .runtimes import (
    YT_DLP_VERSION,
    Capabilities,
    ejs_version,
    found_runtimes,
    js_runtime_params,
    pot_plugin_installed,
)
from .site_gates import site_of
from .ytdl import PLAYLISTS, GuardedYoutubeDL, Limits, playlist_error, refuse

log = logging.getLogger(__name__)

MAX_FORMAT_LENGTH = 200
STALE_PARTIAL_S = 24 * 3600


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size_bytes: int
    metadata: MediaMetadata


class _YtdlpLog:
    """yt-dlp's messages go to our log at DEBUG, redacted; errors reach the
    client through the exceptions instead. Warnings are also kept on the
    fetch's handle: some explain the error that follows."""

    def __init__(self, handle: FetchHandle, redact: Redactor) -> None:
        self._handle = handle
        self._redact = redact

    def debug(self, msg: str) -> None:
        log.debug(self._redact.message(msg))

    info = debug

    def warning(self, msg: str) -> None:
        msg = self._redact.message(msg)
        self._handle.warn(msg)
        log.debug(msg)

    def error(self, msg: str) -> None:
        log.debug(self._redact.message(msg))


class _ProgressHook:
    """Sums progress over the files of one download (video and audio
    streams download one after the other), enforces the size limit on
    the bytes as they arrive and stops when the fetch is cancelled."""

    def __init__(self, handle: FetchHandle, limits: Limits) -> None:
        self._handle = handle
        self._limits = limits
        self._done: dict[str, int] = {}

    def __call__(self, d: dict) -> None:
        if self._handle.cancelled.is_set():
            raise refuse(self._handle, Cancelled("the download was cancelled", reason="DOWNLOAD_CANCELLED"))
        status = d.get("status")
        if status not in ("downloading", "finished"):
            return
        name = str(d.get("filename") or "")
        self._done[name] = current = int(d.get("downloaded_bytes") or 0)
        others = sum(v for k, v in self._done.items() if k != name)
        exact = d.get("total_bytes")
        # What arrived, and what the server announced: both must fit.
        if (error := self._limits.too_large(others + current)) or (
                exact and (error := self._limits.too_large(others + int(exact)))):
            raise refuse(self._handle, error)
        estimate = exact or d.get("total_bytes_estimate")
        total = others + int(estimate) if estimate else None
        speed, eta = d.get("speed"), d.get("eta")
        self._handle.progress(Progress(others + current, total, float(speed) if speed else None,
                                    float(eta) if eta is not None else None), final=status == "finished")


class DlpEngine:
    def __init__(self, settings: DlpSettings) -> None:
        self.settings = settings
        self.policy = AddressPolicy(settings.allowed_networks)
        self._limits = Limits(settings.max_file_bytes, settings.max_duration)
        self._cache_dir = settings.data_dir / "cache" / "yt-dlp"

    def prepare(self) -> None:
        """Creates the folders and removes working folders a crashed
        process left behind (only old ones: replicas may share the volume)."""
        self.settings.path_video.mkdir(parents=True, exist_ok=True)
        partial = self.settings.partial_dir
        partial.mkdir(parents=True, exist_ok=True)
        for entry in partial.iterdir():
            try:
                if time.time() - entry.stat().st_mtime > STALE_PARTIAL_S:
                    shutil.rmtree(entry, ignore_errors=True)
            except OSError:
                pass

    @functools.cached_property
    def _capabilities(self) -> Capabilities:
        with self._ydl(FetchHandle(), self._params(skip_download=True)) as ydl:
            runtimes = found_runtimes(ydl)
        return Capabilities(YT_DLP_VERSION, runtimes, ejs_version(), self.settings.cookies_file is not None,
                            bool(self.settings.pot_provider_url), pot_plugin_installed())

    def capabilities(self) -> Capabilities:
        """Blocking the first time (each runtime's --version runs once)."""
        return self._capabilities

    def _params(self, **more) -> dict:
        s = self.settings
        params = {
            "quiet": True, "no_warnings": True, "noprogress": True,
            "color": {"stdout": "no_color", "stderr": "no_color"},
            "noplaylist": True, "extract_flat": "in_playlist",
            "socket_timeout": s.socket_timeout_s, "retries": s.retries, "fragment_retries": s.retries,
            "extractor_retries": s.retries, "file_access_retries": 0,
            "cachedir": str(self._cache_dir),
            # Native downloaders only: ffmpeg and other external tools fetch
            # URLs themselves, past the address guard. Should yt-dlp fall
            # back to ffmpeg anyway, ffmpeg may not open network URLs.
            "external_downloader": {"default": "native"}, "hls_prefer_native": True,
            "external_downloader_args": {"ffmpeg_i": ["-protocol_whitelist", "file,crypto,data"]},
            "writethumbnail": False, "writesubtitles": False, "writeautomaticsub": False,
            "writeinfojson": False, "writedescription": False,
        }
        params["js_runtimes"] = js_runtime_params(s.js_runtimes)
        if s.pot_provider_url:
            params["extractor_args"] = {"youtubepot-bgutilhttp": {"base_url": [s.pot_provider_url]}}
        if s.proxy:
            params["proxy"] = s.proxy
        if s.cookies_file is not None:
            params["cookiefile"] = str(s.cookies_file)
        params.update(more)
        return params

    def _ydl(self, handle: FetchHandle, params: dict, limits: Limits | None = None) -> GuardedYoutubeDL:
        # Read per fetch, as yt-dlp reads the file: a rotated Secret counts at once.
        cookies = self.settings.cookies_file
        handle.redact = Redactor(cookie_secrets(cookies)) if cookies is not None else Redactor()
        params = {**params, "logger": _YtdlpLog(handle, handle.redact)}
        try:
            net = Network(self.policy, handle, self.settings.max_page_bytes, self.settings.pot_provider_url or None)
            return GuardedYoutubeDL(params, net, limits)
        except SyntaxError as exc:
            raise InvalidArgument(f"invalid format selector: {exc}", reason="INVALID_FORMAT") from None

    def get_info(self, url: str, handle: FetchHandle) -> MediaMetadata:
        try:
            check_url(url, self.policy)
            with self._ydl(handle, self._params(skip_download=True)) as ydl:
                info = ydl.extract_info(url, download=False)
            return metadata_from_info(self._single(info, url))
        except BaseException as exc:
            error = to_domain_error(exc, handle, url, site_of(url))
            if error is exc:
                raise
            if isinstance(error, OptivusError):
                handle.redact.error(error)
        finally:
            handle.release()
        raise error  # outside the except: yt-dlp's exception (and its frames) can go now

    def download(self, url: str, fmt: str | None, handle: FetchHandle) -> DownloadResult:
        fmt = (fmt or "").strip() or self.settings.format
        if len(fmt) > MAX_FORMAT_LENGTH:
            raise InvalidArgument("the format selector is too long", reason="INVALID_FORMAT")
        workdir = self.settings.partial_dir / secrets.token_hex(16)
        try:
            check_url(url, self.policy)
            workdir.mkdir(parents=True)
            params = self._params(
                format=fmt, merge_output_format=self.settings.merge_format,
                paths={"home": str(workdir), "temp": str(workdir)}, outtmpl={"default": "media.%(ext)s"},
                restrictfilenames=True, overwrites=True, continuedl=False,
                progress_hooks=[_ProgressHook(handle, self._limits)])
            with self._ydl(handle, params, self._limits) as ydl:
                info = ydl.extract_info(url, download=True)
            info = self._single(info, url)
            if handle.cancelled.is_set():
                raise Cancelled("the download was cancelled", reason="DOWNLOAD_CANCELLED")
            return self._finish(info, workdir)
        except BaseException as exc:
            error = to_domain_error(exc, handle, url, site_of(url))
            if error is exc:
                raise
            if isinstance(error, OptivusError):
                handle.redact.error(error)
        finally:
            handle.release()
            shutil.rmtree(workdir, ignore_errors=True)
        raise error

    @staticmethod
    def _single(info: dict | None, url: str) -> dict:
        if not info:
            raise InvalidArgument(f"no video or audio was found at {url}", reason="NO_MEDIA_FOUND")
        if info.get("_type") in PLAYLISTS:
            raise playlist_error(info, url)
        return info

    def _finish(self, info: dict, workdir: Path) -> DownloadResult:
        downloads = info.get("requested_downloads") or []
        filepath = downloads[-1].get("filepath") if downloads else info.get("filepath")
        if not filepath:
            raise InvalidArgument("yt-dlp reported no file", reason="DOWNLOAD_FAILED")
        source = Path(filepath).resolve()
        if not source.is_relative_to(workdir.resolve()) or not source.is_file():
            raise InvalidArgument("yt-dlp reported no file", reason="DOWNLOAD_FAILED")
        size = source.stat().st_size
        if error := self._limits.too_large(size):
            raise error
        found = probe(source)
        if found.duration is not None and (error := self._limits.too_long(found.duration)):
            raise error
        dest = self.settings.path_video / new_name(source.suffix)
        os.replace(source, dest)
        # Its age is the download's: yt-dlp can date files by the server's
        # Last-Modified, which retention would take for the file's age.
        os.utime(dest)
        log.info("downloaded", extra={"extractor": info.get("extractor"), "media_id": info.get("id"),
                                      "file": dest.name, "size_bytes": size,
                                      "duration_s": found.duration})
        return DownloadResult(dest, size, metadata_from_info(info))
