"""The seed's `dlp` request through the real gateway and a real DLP
service process, which may fetch from 127.0.0.1 only (the test's own
media site)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from optivus_testing.dlp_site import MediaSite, make_media
from optivus_testing.processes import running_gateway, running_service
from optivus_testing.sockets import SocketClient

pytestmark = [pytest.mark.integration]

METADATA_KEYS = ["uploader", "duration", "view_count", "like_count", "dislike_count", "repost_count",
                 "average_rating", "comment_count", "age_limit", "media_type", "fulltitle", "tags",
                 "categories", "description", "file", "url"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with MediaSite(make_media(tmp_path_factory.mktemp("dlp-site"))) as running:
        yield running


@pytest.fixture(scope="module")
def dlp_gateway(service_env, log_dir):
    env = {**service_env, "OPTIVUS_DLP_ALLOWED_NETWORKS": "127.0.0.1/32", "OPTIVUS_DLP_PROGRESS_INTERVAL_S": "0"}
    with running_service("dlp", env, log_dir, 60) as address, \
            running_gateway(service_env, {"dlp": address}, log_dir) as url:
        yield url


async def test_info_answers_each_url_with_the_first_servers_keys(dlp_gateway, site):
    urls = [site.url("hls/index.m3u8"), site.url("missing.mp4"), "http://192.168.0.10/video.mp4",
            "ftp://127.0.0.1/clip.mp4"]
    async with SocketClient(dlp_gateway) as client:
        reply = await client.ask({"type": "dlp", "urls": urls, "data_type": "info", "id": "r1"})
    assert reply["status"] == "200"
    data = reply["data"]
    assert list(data) == ["type", "urls", "data_type", "id", "data"]
    assert data["urls"] == urls and data["id"] == "r1"
    info, missing, private, ftp = data["data"]
    assert list(info) == METADATA_KEYS
    assert info["url"] == urls[0] and info["file"] is None and info["fulltitle"] == "index"
    assert info["duration"] == pytest.approx(3.0, abs=0.2)
    assert info["uploader"] is None and info["tags"] is None and info["view_count"] is None
    assert missing == {"error": missing["error"], "url": urls[1]} and "404" in missing["error"]
    assert list(private) == ["error", "url"] and "may not fetch" in private["error"]
    assert "only http and https" in ftp["error"]


async def test_file_download_with_progress_events_first(dlp_gateway, site):
    urls = [site.url("clip.mp4"), site.url("page.html")]
    async with SocketClient(dlp_gateway) as client:
        events, reply = await client.ask_with_progress(
            {"type": "dlp", "urls": urls, "data_type": "file", "progress": True, "id": 7})
    assert reply["status"] == "200"
    assert events, "no progress events"
    for event in events:
        assert event["data"]["id"] == 7 and event["data"]["url"] in urls
        assert event["data"]["downloaded_bytes"] > 0
    results = reply["data"]["data"]
    assert [r["url"] for r in results] == urls
    original = (site.root / "clip.mp4").read_bytes()
    for result in results:
        assert list(result) == METADATA_KEYS
        assert Path(result["file"]).read_bytes() == original
    assert results[0]["file"] != results[1]["file"]
    assert "A test page" in results[1]["fulltitle"]


async def test_no_progress_events_unless_asked(dlp_gateway, site):
    async with SocketClient(dlp_gateway) as client:
        reply = await client.ask({"type": "dlp", "urls": [site.url("clip.mp4")], "data_type": "file"})
        assert reply["status"] == "200" and reply["data"]["data"][0]["file"]
        await asyncio.sleep(0.5)
        assert client.replies.empty()


@pytest.mark.parametrize("payload, message", [
    ({"type": "dlp", "data_type": "info"}, "`urls` is missing"),
    ({"type": "dlp", "urls": "http://127.0.0.1/a.mp4", "data_type": "info"}, "must be a list of strings"),
    ({"type": "dlp", "urls": [1, 2], "data_type": "info"}, "must be a list of strings"),
    ({"type": "dlp", "urls": [], "data_type": "info"}, "empty list"),
    ({"type": "dlp", "urls": ["http://127.0.0.1/a.mp4"]}, "`data_type` must be"),
    ({"type": "dlp", "urls": ["http://127.0.0.1/a.mp4"], "data_type": "video"}, "`data_type` must be"),
    ({"type": "dlp", "urls": ["http://127.0.0.1/a.mp4"], "data_type": "file", "progress": "yes"}, "`progress`"),
    ({"type": "dlp", "urls": ["http://a.example/x"] * 40, "data_type": "info"}, "at most 32 URLs"),
])
async def test_bad_requests_get_400_and_the_server_stays_up(dlp_gateway, site, payload, message):
    async with SocketClient(dlp_gateway) as client:
        reply = await client.ask(payload)
        assert reply["status"] == "400", reply
        assert message in reply["data"]["error"]
        ok = await client.ask({"type": "dlp", "urls": [site.url("clip.mp4")], "data_type": "info"})
        assert ok["status"] == "200" and ok["data"]["data"][0]["fulltitle"] == "clip"
