"""A YoutubeDL that can only do what the service allows.

- Its requests go through the guarded handler only (network.py).
- Formats whose protocol the native downloaders cannot fetch through that
  handler are dropped before format selection, and the downloader is
  chosen here, with the parameters it runs with: ffmpeg, aria2c and
  friends open URLs themselves, past the guard, so they never download
  here, not even handed a stream by the HLS downloader (downloaders.py).
- Live streams, and media over the duration or size limits, are refused
  from the metadata before any media byte is fetched.
- A playlist is refused as soon as an extractor returns one, before any
  of its entries is processed (yt-dlp would resolve each, and when
  downloading, fetch each).
- The cookies file is read, never written back."""

from __future__ import annotations

import functools

from yt_dlp import YoutubeDL
from yt_dlp.downloader import get_suitable_downloader
from yt_dlp.extractor import gen_extractor_classes
from yt_dlp.extractor.common import UnsupportedURLIE
from yt_dlp.utils import DownloadCancelled, determine_protocol

from optivus_common.errors import InvalidArgument, OptivusError, ResourceExhausted

from .downloaders import NATIVE, NotNative
from .fetch_handle import FetchHandle
from .network import Network, OptivusGuardedRH

PROTOCOLS = frozenset({"http", "https", "m3u8", "m3u8_native", "http_dash_segments",
                       "http_dash_segments_generator"})
# YoutubeDL.dl's settings for a format test. Here they go on top of the
# service's own, so that a test picks and runs its downloader as configured.
TEST_PARAMS = {"test": True, "quiet": True, "noprogress": True, "nopart": True, "skip_unavailable_fragments": False,
               "keep_fragments": False, "overwrites": True, "_no_ytdl_file": True}
LIVE = ("is_live", "is_upcoming")
PLAYLISTS = ("playlist", "multi_video")


class Refused(DownloadCancelled):
    """Stops yt-dlp on purpose; DownloadCancelled passes its error handlers."""


def refuse(handle: FetchHandle, error: OptivusError) -> Refused:
    handle.refuse(error)
    return Refused(error.message)


def playlist_error(info: dict, url: str) -> InvalidArgument:
    entries = info.get("entries")
    # Only a list is counted: a lazy one may fetch pages, or never end.
    count = len(entries) if isinstance(entries, (list, tuple)) else None
    if count is None:
        return InvalidArgument(f"{url} is a playlist: send the URL of each item", reason="PLAYLIST_NOT_SUPPORTED")
    return InvalidArgument(f"{url} is a playlist of {count} items: send the URL of each item",
                           reason="PLAYLIST_NOT_SUPPORTED", items=count)


def _mb(size: float) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


class Limits:
    def __init__(self, max_bytes: int | None, max_duration: float | None) -> None:
        self.max_bytes = max_bytes
        self.max_duration = max_duration

    def too_large(self, size: int) -> OptivusError | None:
        if self.max_bytes and size > self.max_bytes:
            return ResourceExhausted(
                f"the media is larger than this server accepts ({_mb(size)} > {_mb(self.max_bytes)}): ask for a "
                "smaller format (e.g. \"best[filesize<500M]\"), or the operator to raise OPTIVUS_DLP_MAX_FILE_MB",
                reason="FILE_TOO_LARGE", size_bytes=size, limit_bytes=self.max_bytes)
        return None

    def too_long(self, duration: float) -> OptivusError | None:
        if self.max_duration and duration > self.max_duration:
            return ResourceExhausted(
                f"the media is {duration:.0f} s long; this server accepts at most {self.max_duration:.0f} s "
                "(the operator can raise OPTIVUS_DLP_MAX_DURATION_S)",
                reason="MEDIA_TOO_LONG", duration_s=round(duration), limit_s=round(self.max_duration))
        return None

    def check_info(self, info: dict) -> OptivusError | None:
        if info.get("is_live") or info.get("live_status") in LIVE:
            return InvalidArgument("live streams cannot be downloaded", reason="LIVE_NOT_SUPPORTED")
        duration = info.get("duration")
        if isinstance(duration, (int, float)) and (error := self.too_long(float(duration))):
            return error
        formats = info.get("requested_formats") or [info]
        sizes = [f.get("filesize") or f.get("filesize_approx") for f in formats]
        known = sum(s for s in sizes if isinstance(s, (int, float)) and s > 0)
        return self.too_large(int(known)) if known else None


@functools.cache
def _default_extractors() -> tuple[type, ...]:
    """yt-dlp's default extractor list, built once per process instead of
    once per YoutubeDL (a YoutubeDL per URL made that a visible cost)."""
    return tuple(ie for ie in {ie.IE_NAME.lower(): ie for ie in gen_extractor_classes()}.values() if ie._ENABLED)


class GuardedYoutubeDL(YoutubeDL):
    def __init__(self, params: dict, net: Network, limits: Limits | None = None) -> None:
        self._net = net
        self._limits = limits
        super().__init__(params, auto_init=True)
        self.cookiejar.filename = None  # loaded; never saved back

    @functools.cached_property
    def _request_director(self):
        director = self.build_request_director([OptivusGuardedRH])
        for handler in director.handlers.values():
            handler.net = self._net
        return director

    def save_cookies(self) -> None:
        pass

    def add_default_info_extractors(self) -> None:
        for ie in _default_extractors():
            self.add_info_extractor(ie)
        self.add_info_extractor(UnsupportedURLIE())

    def process_ie_result(self, ie_result, download=True, extra_info=None):
        if ie_result.get("_type") in PLAYLISTS:
            url = ie_result.get("original_url") or ie_result.get("webpage_url") or "the URL"
            raise refuse(self._net.handle, playlist_error(ie_result, url))
        return super().process_ie_result(ie_result, download, extra_info)

    def process_video_result(self, info_dict, download=True):
        if download:
            formats = info_dict.get("formats")
            if formats:
                usable = [f for f in formats if determine_protocol(f) in PROTOCOLS]
                if not usable:
                    raise self._unsupported(formats)
                info_dict["formats"] = usable
            elif info_dict.get("url") and determine_protocol(info_dict) not in PROTOCOLS:
                raise self._unsupported([info_dict])
        return super().process_video_result(info_dict, download)

    def _unsupported(self, formats: list[dict]) -> Refused:
        protocols = sorted({determine_protocol(f) for f in formats})
        return refuse(self._net.handle, InvalidArgument(
            f"the media is only offered over protocols this server does not download ({', '.join(protocols)})",
            reason="PROTOCOL_NOT_SUPPORTED"))

    def process_info(self, info_dict):
        if self._limits is not None and (error := self._limits.check_info(info_dict)):
            raise refuse(self._net.handle, error)
        return super().process_info(info_dict)

    def dl(self, name, info, subtitle=False, test=False):
        """YoutubeDL.dl, except that the downloader is picked here, from the
        parameters it then runs with (a format test included), and must be
        a native one."""
        if not info.get("url"):
            self.raise_no_formats(info, True)
        handle = self._net.handle
        params = {**self.params, **TEST_PARAMS} if test else self.params
        downloader = get_suitable_downloader(info, params, to_stdout=name == "-")
        if downloader not in NATIVE:
            raise refuse(handle, InvalidArgument(
                f"this media needs the {getattr(downloader, '__name__', 'unknown')} downloader, "
                "which this server does not use", reason="PROTOCOL_NOT_SUPPORTED"))
        fd = NATIVE[downloader](self, params)
        if not test:
            for hook in self._progress_hooks:
                fd.add_progress_hook(hook)
        new_info = self._copy_infodict(info)
        if new_info.get("http_headers") is None:
            new_info["http_headers"] = self._calc_headers(new_info)
        handle.reading_media = True
        try:
            return fd.download(name, new_info, subtitle)
        except NotNative as exc:
            raise refuse(handle, InvalidArgument(str(exc), reason="PROTOCOL_NOT_SUPPORTED")) from None
        finally:
            handle.reading_media = False
