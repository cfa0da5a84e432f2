"""Only yt-dlp's native downloaders run, and the HLS one cannot hand a
stream to ffmpeg, which would fetch its URLs past the address guard.

These tests run yt-dlp without ffmpeg's protocol whitelist (the service's
second line of defence, engine.py), so that any fetch ffmpeg made would
reach the test site and show."""

from __future__ import annotations

import ipaddress

import pytest

from optivus_common.errors import InvalidArgument, OptivusError
from optivus_dlp.fetch_handle import FetchHandle
from optivus_dlp.guard import AddressPolicy
from optivus_dlp.network import Network
from optivus_dlp.ytdl import GuardedYoutubeDL, Refused
from optivus_testing.dlp_site import files_under


def _fetched_past_the_playlist(site) -> list[str]:
    return [h.path for h in site.hits if h.path.startswith("/saes/") and h.path != "/saes/index.m3u8"]


def _ydl(tmp_path, handle: FetchHandle) -> GuardedYoutubeDL:
    params = {"quiet": True, "no_warnings": True, "paths": {"home": str(tmp_path), "temp": str(tmp_path)},
              "external_downloader": {"default": "native"}, "hls_prefer_native": True}
    return GuardedYoutubeDL(params, Network(AddressPolicy([ipaddress.ip_network("127.0.0.1/32")]), handle))


def test_an_hls_stream_the_native_downloader_cannot_read_is_refused(site, tmp_path):
    """SAMPLE-AES: yt-dlp's HlsFD would hand it to ffmpeg."""
    handle = FetchHandle()
    with _ydl(tmp_path, handle) as ydl, pytest.raises(Refused):
        ydl.extract_info(site.url("saes/index.m3u8"), download=True)
    assert isinstance(handle.refusal, InvalidArgument) and handle.refusal.reason == "PROTOCOL_NOT_SUPPORTED"
    assert _fetched_past_the_playlist(site) == []
    assert files_under(tmp_path) == []


def test_testing_such_a_format_fetches_nothing_either(site, tmp_path):
    """yt-dlp tests formats an extractor marks as uncertain with
    dl(test=True), which runs the downloader with other parameters."""
    handle = FetchHandle()
    with _ydl(tmp_path, handle) as ydl:
        info = ydl.extract_info(site.url("saes/index.m3u8"), download=False)
        success, _ = ydl.dl(str(tmp_path / "probe.tmp"), info, test=True)
    assert success is False  # not a working format here; the download is not refused as a whole
    assert handle.refusal is None
    assert _fetched_past_the_playlist(site) == []


def test_the_service_reports_the_refusal(engine_for, site):
    engine = engine_for()
    with pytest.raises(OptivusError) as err:
        engine.download(site.url("saes/index.m3u8"), None, FetchHandle())
    assert isinstance(err.value, InvalidArgument) and err.value.reason == "PROTOCOL_NOT_SUPPORTED"
    assert "ffmpeg" in err.value.message
    assert files_under(engine.settings.path_video) == []
