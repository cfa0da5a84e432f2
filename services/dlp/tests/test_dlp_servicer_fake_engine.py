"""The MediaService adapter and the application layer under it, on a real
gRPC server on loopback, with a fake engine and object store (fast: no
yt-dlp, no site, no NATS)."""

from __future__ import annotations

import asyncio
import contextlib

import grpc
import pytest
from dlp_stub import reason_of, serving, url_refs
from fake_engine import BODY, FakeBlobStore, FakeEngine
from google.rpc import code_pb2

from optivus.media.v1 import media_ref_pb2
from optivus.media.v1 import media_service_pb2 as pb
from optivus_dlp.app import DlpApp, Downloaded
from optivus_testing.dlp_site import files_under, wait_until

URL = "http://media.example/"


@contextlib.asynccontextmanager
async def fake_service(dlp_settings, blobs=None, **overrides):
    settings = dlp_settings(**overrides)
    settings.path_video.mkdir(parents=True)
    engine = FakeEngine(settings.path_video)
    async with serving(settings, DlpApp(engine, settings, blobs)) as stub:
        yield stub, engine, settings


def kinds(replies) -> list[str]:
    return [r.WhichOneof("response") for r in replies]


async def test_get_info_answers_every_url_in_request_order(dlp_settings):
    urls = [URL + n for n in ("a.mp4", "missing.mp4", "private.mp4", "crash.mp4", "b.html")]
    async with fake_service(dlp_settings) as (stub, engine, _):
        replies = [r async for r in stub.GetInfo(pb.GetInfoRequest(sources=url_refs(urls)))]
    assert [(r.source_index, r.url) for r in replies] == list(enumerate(urls))
    assert kinds(replies) == ["info", "error", "error", "error", "info"]
    assert replies[0].info.fulltitle == "a.mp4" and replies[0].info.extractor == "fake"
    assert replies[0].info.duration.ToTimedelta().total_seconds() == 1.5
    assert not replies[0].info.HasField("uploader")
    assert [(r.error.code, reason_of(r.error)) for r in replies[1:4]] == [
        (code_pb2.NOT_FOUND, "MEDIA_NOT_FOUND"), (code_pb2.PERMISSION_DENIED, "ADDRESS_NOT_ALLOWED"),
        (code_pb2.INTERNAL, "INTERNAL")]
    assert replies[3].error.message == "internal error"  # a bug's details stay in the log
    assert sorted(u for kind, u, _ in engine.calls if kind == "info") == sorted(urls)


async def test_download_streams_progress_then_the_file_per_url(dlp_settings):
    urls = [URL + "a.mp4", URL + "missing.mp4", URL + "b.mp4"]
    async with fake_service(dlp_settings) as (stub, engine, settings):
        replies = [r async for r in stub.Download(pb.DownloadRequest(sources=url_refs(urls), format="best"))]
    for index in (0, 2):
        mine = [r for r in replies if r.source_index == index]
        assert kinds(mine) == ["progress"] * 3 + ["file"]
        assert [r.progress.downloaded_bytes for r in mine[:3]] == [len(BODY) // 3, 2 * len(BODY) // 3, len(BODY)]
        assert {r.url for r in mine} == {urls[index]}
        done = mine[-1].file
        assert done.size_bytes == len(BODY) and done.warning == "" and done.info.fulltitle == urls[index][-5:]
        assert done.media.path == done.path and done.media.mime_type == "video/mp4"
        assert done.media.filename == done.path.rsplit("/", 1)[-1]
    failed = [r for r in replies if r.source_index == 1]
    assert kinds(failed) == ["error"] and reason_of(failed[0].error) == "MEDIA_NOT_FOUND"
    assert failed[0].error.code == code_pb2.NOT_FOUND
    assert {fmt for kind, _, fmt in engine.calls} == {"best"}
    assert len(files_under(settings.path_video)) == 2


@pytest.mark.parametrize("sources, reason", [
    ([], "URLS_MISSING"),
    (url_refs([URL + "x.mp4"] * 40), "TOO_MANY_URLS"),
    ([media_ref_pb2.MediaRef(url=URL + "x.mp4"), media_ref_pb2.MediaRef(path="/etc/passwd")], "URL_REQUIRED"),
    ([media_ref_pb2.MediaRef(content=b"abc")], "URL_REQUIRED"),
])
async def test_bad_requests_fail_the_call_before_any_fetch(dlp_settings, sources, reason):
    async with fake_service(dlp_settings) as (stub, engine, _):
        for call in (stub.GetInfo(pb.GetInfoRequest(sources=sources)),
                     stub.Download(pb.DownloadRequest(sources=sources))):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                [r async for r in call]
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert reason in str(err.value.trailing_metadata())
    assert engine.calls == []


async def test_downloads_run_concurrently_up_to_the_limit(dlp_settings):
    urls = [URL + f"held-{i}.mp4" for i in range(3)]
    async with fake_service(dlp_settings, concurrency=2) as (stub, engine, _):
        call = stub.Download(pb.DownloadRequest(sources=url_refs(urls)))
        assert await asyncio.to_thread(wait_until, lambda: engine.running == 2)
        engine.gate.set()
        replies = [r async for r in call]
    assert sorted(r.source_index for r in replies if r.WhichOneof("response") == "file") == [0, 1, 2]
    assert engine.peak == 2


async def test_cancelling_the_call_cancels_every_fetch(dlp_settings):
    urls = [URL + "a.mp4", URL + "held-1.mp4", URL + "held-2.mp4"]
    async with fake_service(dlp_settings) as (stub, engine, settings):
        call = stub.Download(pb.DownloadRequest(sources=url_refs(urls)))
        assert await asyncio.to_thread(wait_until, lambda: engine.running == 2)
        call.cancel()
        assert await asyncio.to_thread(wait_until, lambda: len(engine.cancelled) == 2)
    assert sorted(engine.cancelled) == urls[1:]


async def test_a_file_the_store_refuses_stays_on_disk_with_a_warning(dlp_settings):
    store = FakeBlobStore(refuse=True)
    async with fake_service(dlp_settings, blobs=store) as (stub, _, settings):
        replies = [r async for r in stub.Download(pb.DownloadRequest(sources=url_refs([URL + "a.mp4"])))]
    done = replies[-1].file
    assert done.media.WhichOneof("source") == "path" and done.media.path == done.path
    assert "could not be stored in the object store" in done.warning
    assert [str(p) for p in files_under(settings.path_video)] == [done.path]
    assert store.deleted == [done.media.filename]  # a partial object is not left behind


async def test_a_stored_file_is_answered_by_its_blob_key(dlp_settings):
    store = FakeBlobStore()
    async with fake_service(dlp_settings, blobs=store) as (stub, _, _settings):
        replies = [r async for r in stub.Download(pb.DownloadRequest(sources=url_refs([URL + "a.mp4"])))]
    done = replies[-1].file
    assert done.media.WhichOneof("source") == "blob_key" and done.warning == ""
    assert store.keys == {done.media.blob_key} and done.media.blob_key == done.path.rsplit("/", 1)[-1]


async def test_files_not_handed_out_are_removed_when_the_consumer_stops(dlp_settings):
    """The consumer stops after the first file: whatever state the other
    downloads are in (running, finished, queued), only that file remains."""
    settings = dlp_settings(concurrency=4)
    settings.path_video.mkdir(parents=True)
    engine = FakeEngine(settings.path_video)
    app = DlpApp(engine, settings)
    async with contextlib.aclosing(app.download([URL + f"{n}.mp4" for n in "abcd"])) as events:
        async for event in events:
            if isinstance(event, Downloaded):
                first = event.file.path
                break
    assert files_under(settings.path_video) == [first]


async def test_capabilities_say_what_yt_dlp_runs_with(dlp_settings):
    async with fake_service(dlp_settings) as (stub, _, _settings):
        caps = await stub.GetCapabilities(pb.GetCapabilitiesRequest())
    assert caps.yt_dlp_version == "2099.01.01" and caps.ejs_version == "0.0.1"
    assert [(r.name, r.version, r.supported) for r in caps.js_runtimes] == [("deno", "9.9.9", True),
                                                                            ("node", "18.0.0", False)]
    assert caps.cookies_file_set and not caps.pot_provider_set and caps.pot_plugin_installed
