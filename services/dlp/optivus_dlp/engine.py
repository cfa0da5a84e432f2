"""DlpEngine: metadata and downloads with yt-dlp's Python API. Blocking
(call it from a worker thread); no gRPC here.

Each download runs in its own folder under PATH_VIDEO/.dlp-partial, so
whatever yt-dlp leaves behind (.part files, fragments, unmerged streams)
goes when the folder goes: after success, failure, refusal or cancel
alike. Only the finished file moves out, renamed to a name of our own."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from optivus_common.errors import Cancelled, InvalidArgument

from .config import DlpSettings
from .failures import to_domain_error
from .guard import AddressPolicy, check_url
from .jobs import Job, Progress
from .metadata import MediaMetadata, metadata_from_info
from .network import Network
from .probe import probe
from .ytdl import GuardedYoutubeDL, Limits, refuse

log = logging.getLogger(__name__)

MAX_FORMAT_LENGTH = 200
STALE_PARTIAL_S = 24 * 3600


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size_bytes: int
    metadata: MediaMetadata


class _YtdlpLog:
    """yt-dlp's messages go to our log at DEBUG; errors reach the client
    through the exceptions instead."""

    def debug(self, msg: str) -> None:
        log.debug(msg)

    info = debug

    def warning(self, msg: str) -> None:
        log.debug(msg)

    def error(self, msg: str) -> None:
        log.debug(msg)


class _ProgressHook:
    """Sums progress over the files of one download (video and audio
    streams download one after the other), enforces the size limit on
    the bytes as they arrive and stops when the job is cancelled."""

    def __init__(self, job: Job, limits: Limits) -> None:
        self._job = job
        self._limits = limits
        self._done: dict[str, int] = {}

    def __call__(self, d: dict) -> None:
        if self._job.cancelled.is_set():
            raise refuse(self._job, Cancelled("the download was cancelled", reason="DOWNLOAD_CANCELLED"))
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
            raise refuse(self._job, error)
        estimate = exact or d.get("total_bytes_estimate")
        total = others + int(estimate) if estimate else None
        speed, eta = d.get("speed"), d.get("eta")
        self._job.progress(Progress(others + current, total, float(speed) if speed else None,
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

    def _params(self, **more) -> dict:
        s = self.settings
        params = {
            "logger": _YtdlpLog(), "quiet": True, "no_warnings": True, "noprogress": True,
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
        if s.proxy:
            params["proxy"] = s.proxy
        if s.cookies_file is not None:
            params["cookiefile"] = str(s.cookies_file)
        params.update(more)
        return params

    def _ydl(self, job: Job, params: dict, limits: Limits | None = None) -> GuardedYoutubeDL:
        try:
            return GuardedYoutubeDL(params, Network(self.policy, job, self.settings.max_page_bytes), limits)
        except SyntaxError as exc:
            raise InvalidArgument(f"invalid format selector: {exc}", reason="INVALID_FORMAT") from None

    def get_info(self, url: str, job: Job) -> MediaMetadata:
        try:
            check_url(url, self.policy)
            with self._ydl(job, self._params(skip_download=True)) as ydl:
                info = ydl.extract_info(url, download=False)
            return metadata_from_info(self._single(info, url))
        except BaseException as exc:
            error = to_domain_error(exc, job, url)
            if error is exc:
                raise
        finally:
            job.release()
        raise error  # outside the except: yt-dlp's exception (and its frames) can go now

    def download(self, url: str, fmt: str | None, job: Job) -> DownloadResult:
        fmt = (fmt or "").strip() or self.settings.format
        if len(fmt) > MAX_FORMAT_LENGTH:
            raise InvalidArgument("the format selector is too long", reason="INVALID_FORMAT")
        token = secrets.token_hex(16)
        workdir = self.settings.partial_dir / token
        try:
            check_url(url, self.policy)
            workdir.mkdir(parents=True)
            params = self._params(
                format=fmt, merge_output_format=self.settings.merge_format,
                paths={"home": str(workdir), "temp": str(workdir)}, outtmpl={"default": "media.%(ext)s"},
                restrictfilenames=True, overwrites=True, continuedl=False,
                progress_hooks=[_ProgressHook(job, self._limits)])
            with self._ydl(job, params, self._limits) as ydl:
                info = ydl.extract_info(url, download=True)
            info = self._single(info, url)
            if job.cancelled.is_set():
                raise Cancelled("the download was cancelled", reason="DOWNLOAD_CANCELLED")
            return self._finish(info, workdir, token)
        except BaseException as exc:
            error = to_domain_error(exc, job, url)
            if error is exc:
                raise
        finally:
            job.release()
            shutil.rmtree(workdir, ignore_errors=True)
        raise error

    @staticmethod
    def _single(info: dict | None, url: str) -> dict:
        if not info:
            raise InvalidArgument(f"no video or audio was found at {url}", reason="NO_MEDIA_FOUND")
        if info.get("_type") in ("playlist", "multi_video"):
            count = len(info.get("entries") or [])
            raise InvalidArgument(f"{url} is a playlist of {count} items: send the URL of each item",
                                  reason="PLAYLIST_NOT_SUPPORTED", items=count)
        return info

    def _finish(self, info: dict, workdir: Path, token: str) -> DownloadResult:
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
        ext = "".join(c for c in source.suffix.lower() if c.isalnum())[:8] or "bin"
        dest = self.settings.path_video / f"{token}.{ext}"
        os.replace(source, dest)
        log.info("downloaded", extra={"extractor": info.get("extractor"), "media_id": info.get("id"),
                                      "file": dest.name, "size_bytes": size,
                                      "duration_s": found.duration})
        return DownloadResult(dest, size, metadata_from_info(info))
