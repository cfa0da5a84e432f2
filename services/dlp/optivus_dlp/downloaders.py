"""The media downloaders the service runs: yt-dlp's native ones, whose
every request goes through the guarded handler (network.py).

HLS needs more: yt-dlp's HlsFD reads the manifest and, when it cannot
download the stream itself (SAMPLE-AES or other encryption, DRM, a live
stream; AES-128 without pycryptodomex), hands it to FFmpegFD, and ffmpeg
opens the URLs itself, past the guard. GuardedHlsFD stops at that point
instead."""

from __future__ import annotations

from yt_dlp.dependencies import Cryptodome
from yt_dlp.downloader.dash import DashSegmentsFD
from yt_dlp.downloader.hls import HlsFD
from yt_dlp.downloader.http import HttpFD


class NotNative(Exception):
    """The stream needs a downloader that fetches URLs by itself."""


class GuardedHlsFD(HlsFD):
    @classmethod
    def can_download(cls, manifest, info_dict, allow_unplayable_formats=False):
        # HlsFD.real_download hands the stream to ffmpeg when this is false,
        # and for AES-128 when pycryptodomex is missing.
        if (not super().can_download(manifest, info_dict, allow_unplayable_formats)
                or (not Cryptodome.AES and "#EXT-X-KEY:METHOD=AES-128" in manifest)):
            raise NotNative("the HLS stream needs ffmpeg to download it (encryption other than AES-128, DRM, "
                            "or a live playlist), which this server does not use")
        return True

    def real_download(self, filename, info_dict):
        try:
            return super().real_download(filename, info_dict)
        except NotNative:
            if self.params.get("test"):
                return False  # yt-dlp testing a format: this one does not work here
            raise


# The downloader yt-dlp picks -> the one that runs. Any other is refused.
NATIVE = {HttpFD: HttpFD, HlsFD: GuardedHlsFD, DashSegmentsFD: DashSegmentsFD}
