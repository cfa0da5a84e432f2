"""The gateway's page at / with VideoRAG deployed (headless Chromium; the
videorag service in this process with its index stage, fake transcribe
and describe workers): a video job with a question shows the answer and
its citation, which plays that clip."""

from __future__ import annotations

import pytest

from optivus_testing.browser import chromium, chromium_path
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.processes import free_port
from optivus_testing.videorag import videorag_stack

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (make installs it)")]


async def test_the_page_shows_the_answer_and_its_clip(nats_urls, tmp_path):
    video = tmp_path / "lighthouse.mp4"
    video.write_bytes(b"lighthouse")  # the fake stages make its text from the name
    async with videorag_stack(nats_urls[0], tmp_path) as (address, _, _):
        async with gateway_in_process({"videorag": address}, nats_url=nats_urls[0], grpc_port=free_port(),
                                      job_idle_check_s=5, data_dir=tmp_path) as (url, _):
            async with chromium() as browser:
                tab = await browser.new_page()
                errors = []
                tab.on("pageerror", lambda exc: errors.append(str(exc)))
                await tab.goto(url)
                await tab.wait_for_selector("#connection:text('connected')")
                await tab.fill("#file", str(video))
                await tab.fill("#question", "What is said in the lighthouse video?")
                await tab.click("#pipeline-run")
                await tab.wait_for_selector("#pipeline-status:text('finished')", timeout=60_000)
                events = await tab.locator("#pipeline-events li").all_text_contents()
                assert any(e.startswith("stage_finished index") for e in events), events
                (answer,) = await tab.locator("#answers li").all_text_contents()
                assert "said in lighthouse.mp4" in answer and "[1]" in answer, answer
                (cite,) = await tab.locator("#answers .cite").all_text_contents()
                assert cite.startswith("0:00.0–"), cite
                await tab.click("#answers .cite")
                await tab.wait_for_selector("#pipeline-status:text('playing 0:00.0–')")
                assert errors == []
