"""/status carries the media service's capabilities (the yt-dlp version and
the JavaScript runtimes yt-dlp finds), or null when it cannot say."""

from __future__ import annotations

import aiohttp

from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.processes import free_port


async def _status(url: str) -> dict:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/status") as response:
        assert response.status == 200
        return await response.json()


async def test_status_shows_yt_dlp_and_its_javascript_runtimes():
    async with fake_backends(["dlp"]) as fakes, gateway_in_process(fakes.addresses) as (url, _):
        body = await _status(url)
    assert body["services"]["dlp"] == "SERVING"
    assert body["media"] == {"yt_dlp_version": "2099.01.01", "ejs_version": "0.8.0",
                             "js_runtimes": [{"name": "deno", "version": "2.9.8", "supported": True}],
                             "cookies_file_set": False, "pot_provider_set": True, "pot_plugin_installed": False}


async def test_status_says_null_when_the_media_service_is_absent_or_down():
    async with gateway_in_process({}) as (url, _):
        assert (await _status(url))["media"] is None
    async with gateway_in_process({"dlp": f"127.0.0.1:{free_port()}"}) as (url, _):
        body = await _status(url)
    assert body["media"] is None and body["services"]["dlp"] == "UNREACHABLE"
