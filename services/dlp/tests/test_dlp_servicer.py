"""MediaService over real gRPC on loopback, with the real engine against the
tests' media site (the fast servicer tests use a fake engine)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from dlp_stub import media_stub, reason_of, url_refs
from google.rpc import code_pb2

from optivus.media.v1 import media_service_pb2 as pb
from optivus_testing.dlp_site import MediaSite, files_under, wait_until

pytestmark = pytest.mark.integration


async def test_get_info_answers_every_url_in_order(dlp_settings, site):
    urls = [site.url("hls/index.m3u8"), site.url("missing.mp4"), "http://10.0.0.1/a.mp4",
            "ftp://127.0.0.1/a.mp4", site.url("page.html")]
    async with media_stub(dlp_settings()) as stub:
        replies = [r async for r in stub.GetInfo(pb.GetInfoRequest(sources=url_refs(urls)))]
    assert [(r.source_index, r.url) for r in replies] == list(enumerate(urls))
    assert [r.WhichOneof("response") for r in replies] == ["info", "error", "error", "error", "info"]
    hls = replies[0].info
    assert hls.fulltitle == "index" and hls.extractor == "generic" and hls.webpage_url == urls[0]
    assert hls.duration.ToTimedelta().total_seconds() == pytest.approx(3.0, abs=0.2)
    assert not hls.HasField("uploader") and not hls.HasField("view_count")
    assert [(r.error.code, reason_of(r.error)) for r in replies[1:4]] == [
        (code_pb2.NOT_FOUND, "MEDIA_NOT_FOUND"), (code_pb2.PERMISSION_DENIED, "ADDRESS_NOT_ALLOWED"),
        (code_pb2.INVALID_ARGUMENT, "UNSUPPORTED_SCHEME")]
    assert "A test page" in replies[4].info.fulltitle


async def test_download_streams_progress_then_the_file(dlp_settings, site):
    settings = dlp_settings()
    urls = [site.url("clip.mp4"), site.url("empty.html")]
    async with media_stub(settings) as stub:
        replies = [r async for r in stub.Download(pb.DownloadRequest(sources=url_refs(urls)))]
    first = [r for r in replies if r.source_index == 0]
    kinds = [r.WhichOneof("response") for r in first]
    assert kinds[-1] == "file" and set(kinds[:-1]) == {"progress"} and len(kinds) >= 2
    done = first[-1].file
    assert first[-2].progress.downloaded_bytes == done.size_bytes
    assert done.media.path == done.path and done.media.mime_type == "video/mp4"
    assert done.info.fulltitle == "clip"
    assert files_under(settings.path_video) == [settings.path_video / done.media.filename]
    assert (settings.path_video / done.media.filename).read_bytes() == (site.root / "clip.mp4").read_bytes()
    second = [r for r in replies if r.source_index == 1]
    assert [r.WhichOneof("response") for r in second] == ["error"]
    assert reason_of(second[0].error) == "NO_MEDIA_FOUND"


@pytest.mark.parametrize("urls, reason", [([], "URLS_MISSING"), (["http://a.example/x"] * 40, "TOO_MANY_URLS")])
async def test_bad_requests_fail_the_call(dlp_settings, urls, reason):
    async with media_stub(dlp_settings()) as stub:
        for call in (stub.GetInfo(pb.GetInfoRequest(sources=url_refs(urls))), stub.Download(pb.DownloadRequest(sources=url_refs(urls)))):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                [r async for r in call]
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert reason in str(err.value.trailing_metadata())


async def test_cancelling_the_call_stops_the_download_and_leaves_nothing(dlp_settings, site):
    settings = dlp_settings()
    async with media_stub(settings) as stub:
        call = stub.Download(pb.DownloadRequest(sources=url_refs([site.url("slow.mp4")])))
        first = await call.read()
        assert first.WhichOneof("response") == "progress"
        call.cancel()
        hit = site.hits_for("/slow.mp4")[-1]
        assert await asyncio.to_thread(wait_until, lambda: hit.ended is not None)
        assert hit.client_closed
        # The working folder goes when the job's thread has ended.
        assert await asyncio.to_thread(wait_until, lambda: not files_under(settings.path_video))
        assert files_under(settings.path_video) == []


async def test_two_urls_download_at_the_same_time(dlp_settings, site):
    """Each gated stream's first segment is held back until the other
    stream has asked for its own, so both finish only if they overlap;
    the server's timestamps show the overlap."""
    site.reset_gate()
    urls = [site.url("gate/a/index.m3u8"), site.url("gate/b/index.m3u8")]
    async with media_stub(dlp_settings(concurrency=2)) as stub:
        replies = [r async for r in stub.Download(pb.DownloadRequest(sources=url_refs(urls)))]
    assert sorted(r.source_index for r in replies if r.WhichOneof("response") == "file") == [0, 1]
    assert not site.barrier_broken
    a, b = (site.hits_for(f"/gate/{n}/seg000.ts")[-1] for n in "ab")
    assert a.started < b.ended and b.started < a.ended


async def test_with_one_slot_the_same_urls_run_one_after_the_other(dlp_settings, site_root):
    """The control for the test above: its proof fails when downloads do
    not overlap (here the gate gives up after 2 s and lets each through)."""
    with MediaSite(site_root, gate_timeout=2) as site:
        urls = [site.url("gate/a/index.m3u8"), site.url("gate/b/index.m3u8")]
        async with media_stub(dlp_settings(concurrency=1)) as stub:
            replies = [r async for r in stub.Download(pb.DownloadRequest(sources=url_refs(urls)))]
        assert sorted(r.source_index for r in replies if r.WhichOneof("response") == "file") == [0, 1]
        assert site.barrier_broken
        a, b = (site.hits_for(f"/gate/{n}/seg000.ts")[-1] for n in "ab")
        assert not (a.started < b.ended and b.started < a.ended)


async def test_capabilities_of_the_real_service_name_yt_dlp_and_deno(dlp_settings):
    import yt_dlp.version

    async with media_stub(dlp_settings()) as stub:
        caps = await stub.GetCapabilities(pb.GetCapabilitiesRequest())
    assert caps.yt_dlp_version == yt_dlp.version.__version__ and caps.ejs_version
    assert [r.name for r in caps.js_runtimes if r.supported] == ["deno"]
    assert not caps.cookies_file_set and not caps.pot_provider_set
