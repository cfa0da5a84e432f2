"""DlpEngine against the test's own media site on 127.0.0.1: real yt-dlp,
real HTTP, real ffmpeg."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import threading

import pytest

from optivus_common.errors import (
    Cancelled,
    InvalidArgument,
    NotFound,
    OptivusError,
    PermissionDenied,
    ResourceExhausted,
)
from optivus_dlp.download_files import owned
from optivus_dlp.fetch_handle import FetchHandle
from optivus_dlp.guard import AddressPolicy
from optivus_dlp.network import Network
from optivus_dlp.ytdl import GuardedYoutubeDL, Refused
from optivus_testing.dlp_site import BIG_BYTES, PLAYLIST_ENTRIES, SLOW_BYTES, files_under, wait_until


def streams(path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type",
                          "-of", "json", str(path)], capture_output=True, check=True).stdout
    data = json.loads(out)
    return {"kinds": sorted(s["codec_type"] for s in data["streams"]), "duration": float(data["format"]["duration"])}


def assert_only(engine, *expected) -> None:
    """PATH_VIDEO holds exactly `expected`: no partial file, fragment or temp."""
    assert files_under(engine.settings.path_video) == sorted(expected)


def fails(fn, *args) -> OptivusError:
    with pytest.raises(OptivusError) as err:
        fn(*args)
    return err.value


def test_direct_mp4_is_downloaded_byte_for_byte(engine_for, site):
    engine = engine_for()
    events = []
    result = engine.download(site.url("clip.mp4"), None, FetchHandle(events.append))
    assert result.path.parent == engine.settings.path_video
    assert owned(result.path.name)
    assert result.path.read_bytes() == (site.root / "clip.mp4").read_bytes()
    assert result.size_bytes == result.path.stat().st_size
    assert result.metadata.fulltitle == "clip" and result.metadata.extractor == "generic"
    assert result.metadata.webpage_url == site.url("clip.mp4")
    assert events and events[-1].downloaded_bytes == result.size_bytes
    assert_only(engine, result.path)


def test_info_reads_metadata_without_downloading(engine_for, site):
    engine = engine_for()
    before = len(site.hits_for("/hls/seg000.ts"))
    meta = engine.get_info(site.url("hls/index.m3u8"), FetchHandle())
    assert meta.duration == pytest.approx(3.0, abs=0.2)
    assert meta.fulltitle == "index" and meta.uploader is None and meta.tags == []
    assert len(site.hits_for("/hls/seg000.ts")) == before
    assert_only(engine)


def test_hls_playlist_segments_are_joined(engine_for, site):
    engine = engine_for()
    result = engine.download(site.url("hls/index.m3u8"), None, FetchHandle())
    probe = streams(result.path)
    assert probe["kinds"] == ["audio", "video"]
    assert probe["duration"] == pytest.approx(3.0, abs=0.3)
    assert_only(engine, result.path)


def test_separate_audio_and_video_are_merged_by_default(engine_for, site):
    engine = engine_for()
    result = engine.download(site.url("sep/master.m3u8"), None, FetchHandle())
    assert site.hits_for("/sep/v000.ts") and site.hits_for("/sep/a000.ts")
    probe = streams(result.path)
    assert probe["kinds"] == ["audio", "video"]
    assert probe["duration"] == pytest.approx(3.0, abs=0.3)
    assert_only(engine, result.path)


def test_the_first_servers_format_is_reported_unavailable(engine_for, site):
    engine = engine_for()
    err = fails(engine.download, site.url("clip.mp4"), "bestaudio[ext=mp3]", FetchHandle())
    assert isinstance(err, InvalidArgument) and err.reason == "FORMAT_NOT_AVAILABLE"
    err = fails(engine.download, site.url("clip.mp4"), "best[height>", FetchHandle())
    assert err.reason == "INVALID_FORMAT"
    assert_only(engine)


def test_video_element_of_an_html_page(engine_for, site):
    engine = engine_for()
    result = engine.download(site.url("page.html"), None, FetchHandle())
    assert result.path.read_bytes() == (site.root / "clip.mp4").read_bytes()
    assert "A test page" in result.metadata.fulltitle
    assert_only(engine, result.path)


def test_a_page_with_several_videos_is_a_playlist(engine_for, site):
    engine = engine_for()
    err = fails(engine.download, site.url("two.html"), None, FetchHandle())
    assert err.reason == "PLAYLIST_NOT_SUPPORTED"
    assert_only(engine)


def _entry_requests(site) -> list[str]:
    return [h.path for h in site.hits if h.path.startswith("/clip.mp4?entry=")]


def test_a_playlist_is_refused_before_any_entry_is_fetched(engine_for, site):
    engine = engine_for()
    for call in (lambda: engine.download(site.url("many.html"), None, FetchHandle()),
                 lambda: engine.get_info(site.url("many.html"), FetchHandle())):
        err = fails(call)
        assert isinstance(err, InvalidArgument) and err.reason == "PLAYLIST_NOT_SUPPORTED"
        assert err.metadata == {"items": str(PLAYLIST_ENTRIES)} and site.url("many.html") in err.message
    assert _entry_requests(site) == []
    assert_only(engine)


def test_a_playlist_is_refused_before_any_entry_is_processed(site):
    """yt-dlp calls match_filter on a playlist and on each of its entries
    as it processes them; here it is never called."""
    seen: list = []
    handle = FetchHandle()
    params = {"quiet": True, "no_warnings": True, "noplaylist": True, "extract_flat": "in_playlist",
              "skip_download": True, "match_filter": lambda info, incomplete=False: seen.append(info.get("id"))}
    with GuardedYoutubeDL(params, Network(AddressPolicy([ipaddress.ip_network("127.0.0.1/32")]), handle)) as ydl:
        with pytest.raises(Refused):
            ydl.extract_info(site.url("many.html"), download=False)
    assert handle.refusal.reason == "PLAYLIST_NOT_SUPPORTED" and handle.refusal.metadata["items"] == str(PLAYLIST_ENTRIES)
    assert seen == []


def test_missing_media_and_pages_without_media(engine_for, site):
    engine = engine_for()
    err = fails(engine.download, site.url("missing.mp4"), None, FetchHandle())
    assert isinstance(err, NotFound) and err.reason == "MEDIA_NOT_FOUND" and "404" in err.message
    err = fails(engine.get_info, site.url("empty.html"), FetchHandle())
    assert isinstance(err, InvalidArgument) and err.reason == "NO_MEDIA_FOUND"
    assert_only(engine)


@pytest.mark.parametrize("path", ["big.mp4", "big-unannounced.mp4"])
def test_file_over_the_size_limit_is_stopped(engine_for, site, path):
    engine = engine_for(max_file_mb=1)
    err = fails(engine.download, site.url(path), None, FetchHandle())
    assert isinstance(err, ResourceExhausted) and err.reason == "FILE_TOO_LARGE"
    hit = site.hits_for(f"/{path}")[-1]
    assert wait_until(lambda: hit.ended is not None)
    assert hit.sent < BIG_BYTES  # stopped during the transfer, not after it
    assert_only(engine)


def test_duration_known_from_metadata_is_refused_before_downloading(engine_for, site):
    engine = engine_for(max_duration_s=2)
    before = len(site.hits_for("/hls/seg000.ts"))
    err = fails(engine.download, site.url("hls/index.m3u8"), None, FetchHandle())
    assert err.reason == "MEDIA_TOO_LONG" and isinstance(err, ResourceExhausted)
    assert len(site.hits_for("/hls/seg000.ts")) == before
    assert_only(engine)


def test_duration_found_only_in_the_file_is_refused_after_downloading(engine_for, site):
    engine = engine_for(max_duration_s=2)
    err = fails(engine.download, site.url("clip.mp4"), None, FetchHandle())
    assert err.reason == "MEDIA_TOO_LONG"
    assert_only(engine)


@pytest.mark.parametrize("url, reason", [
    ("file:///etc/passwd", "UNSUPPORTED_SCHEME"),
    ("ftp://127.0.0.1/clip.mp4", "UNSUPPORTED_SCHEME"),
    ("data:video/mp4;base64,AAAA", "UNSUPPORTED_SCHEME"),
    ("javascript:alert(1)", "UNSUPPORTED_SCHEME"),
    ("", "URL_MISSING"),
    ("http://", "INVALID_URL"),
    ("http://exa mple.com/x.mp4", "INVALID_URL"),
    ("http://host.invalid/x.mp4", "HOST_NOT_FOUND"),
])
def test_unusable_urls(engine_for, url, reason):
    engine = engine_for()
    for call in (lambda: engine.get_info(url, FetchHandle()), lambda: engine.download(url, None, FetchHandle())):
        err = fails(call)
        assert isinstance(err, InvalidArgument) and err.reason == reason, (url, err)
    assert_only(engine)


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/video.mp4", "http://192.168.1.1/video.mp4", "http://172.16.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://0.0.0.0/",
    "http://224.0.0.1/", "http://[fd00::1]/", "http://[fe80::1]/",
])
def test_private_ranges_are_refused_even_with_loopback_allowed(engine_for, url):
    engine = engine_for()
    err = fails(engine.download, url, None, FetchHandle())
    assert isinstance(err, PermissionDenied) and err.reason == "ADDRESS_NOT_ALLOWED", err


def test_loopback_is_refused_by_default(engine_for, site):
    engine = engine_for(allowed_networks="")
    port = site.port
    before = len(site.hits)
    for url in (site.url("clip.mp4"), f"http://localhost:{port}/clip.mp4", f"http://[::1]:{port}/clip.mp4",
                f"http://[::ffff:127.0.0.1]:{port}/clip.mp4", f"http://2130706433:{port}/clip.mp4"):
        err = fails(engine.get_info, url, FetchHandle())
        assert isinstance(err, PermissionDenied) and err.reason == "ADDRESS_NOT_ALLOWED", (url, err)
    assert len(site.hits) == before  # nothing was fetched


def test_redirects_are_checked_too(engine_for, site, site_root):
    from optivus_testing.dlp_site import MediaSite

    engine = engine_for()
    with MediaSite(site_root, host="127.0.0.2") as other:  # loopback, but not 127.0.0.1/32
        err = fails(engine.download, site.url(f"redirect?to={other.url('clip.mp4')}"), None, FetchHandle())
        assert isinstance(err, PermissionDenied) and err.reason == "ADDRESS_NOT_ALLOWED"
        err = fails(engine.download, site.url("redirect?to=ftp://127.0.0.1/clip.mp4"), None, FetchHandle())
        assert err.reason == "UNSUPPORTED_SCHEME"
        err = fails(engine.download, site.url("redirect?to=file:///etc/passwd"), None, FetchHandle())
        assert err.reason in ("UNSUPPORTED_SCHEME", "REMOTE_HTTP_ERROR"), err
        assert other.hits == []
    result = engine.download(site.url(f"redirect?to={site.url('clip.mp4')}"), None, FetchHandle())
    assert result.path.read_bytes() == (site.root / "clip.mp4").read_bytes()
    assert_only(engine, result.path)


@pytest.mark.parametrize("path", ["slow.mp4", "stall.mp4"])
def test_cancelling_stops_the_transfer_and_leaves_no_partial_file(engine_for, site, path):
    """stall.mp4 stops sending after its first part: only shutting the
    socket down ends that read (the socket timeout here is 60 s)."""
    engine = engine_for()
    started = threading.Event()
    handle = FetchHandle(lambda p: started.set())
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(_catch(engine.download, site.url(path), handle)))
    worker.start()
    assert started.wait(30), "no progress"
    handle.cancel()
    worker.join(30)
    assert not worker.is_alive(), "the download did not stop"
    assert isinstance(outcome[0], Cancelled) and outcome[0].reason == "DOWNLOAD_CANCELLED"
    hit = site.hits_for(f"/{path}")[-1]
    assert wait_until(lambda: hit.ended is not None)
    assert hit.client_closed and hit.sent < SLOW_BYTES
    assert_only(engine)


def _catch(fn, url, handle):
    try:
        return fn(url, None, handle)
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return exc
