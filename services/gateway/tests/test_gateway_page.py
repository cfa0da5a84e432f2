"""The page at / in headless Chromium (playwright driving Debian's
chromium), against fake backends: each feature clicked through as a
person would, checking what appears on the page."""

from __future__ import annotations

import pytest

from optivus_testing.browser import chromium, chromium_path
from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (make installs it)")]

KEY = "page-key-0123456789abcdef"


@pytest.fixture
async def page(tmp_path):
    async with fake_backends() as fakes:
        async with gateway_in_process(fakes.addresses, api_keys=f"page:{KEY}", data_dir=tmp_path / "data") as (url,
                                                                                                                gw):
            async with chromium() as browser:
                tab = await browser.new_page()
                errors = []
                tab.on("pageerror", lambda exc: errors.append(str(exc)))
                await tab.goto(url)
                await tab.fill("#key", KEY)
                await tab.click("#connect")
                await tab.wait_for_selector("#connection:text('connected')")
                yield tab, fakes, tmp_path
                assert errors == []


async def test_a_wrong_key_is_refused_on_the_page(tmp_path):
    async with gateway_in_process({}, api_keys=f"page:{KEY}", data_dir=tmp_path) as (url, _):
        async with chromium() as browser:
            tab = await browser.new_page()
            await tab.goto(url)
            await tab.wait_for_selector("#connection:text('refused')")
            assert "API key" in await tab.text_content("#connection")


async def test_upload_then_transcribe_with_segments_as_they_stream(page):
    tab, fakes, tmp = page
    sample = tmp / "greeting.wav"
    sample.write_text("gated hello from the page")  # the fake whisper reads an upload's text
    await tab.set_input_files("#upload-file", str(sample))
    await tab.click("#upload")
    await tab.wait_for_selector("#media-status:text('uploaded greeting.wav')")
    assert (await tab.input_value("#file")).startswith("media:")
    await tab.check("#words")
    await tab.click("#transcribe-run")
    # The service holds after its first segment: the page already shows it.
    await tab.wait_for_selector("#segments li")
    assert await tab.locator("#segments li").count() == 1
    assert await tab.text_content("#transcript") == ""
    fakes.servicers["whisper"].recorder.gate.set()
    await tab.wait_for_selector("#transcribe-status:text('done')")
    assert await tab.locator("#segments li").all_text_contents() == [
        "0:00.0–0:01.0gated", "0:01.0–0:02.0hello", "0:02.0–0:03.0from", "0:03.0–0:04.0the", "0:04.0–0:05.0page"]
    assert await tab.text_content("#transcript") == "gated hello from the page"
    assert "language en" in await tab.text_content("#transcribe-status")
    assert await tab.get_attribute("#segments li:first-child", "title") == "gated 0.00"


async def test_describe_an_image_and_a_video_as_a_timeline(page):
    tab, _, _ = page
    await tab.fill("#file", "/data/red_car.png")
    await tab.click("#describe-run")
    await tab.wait_for_selector("#describe-status:text('image described')")
    assert await tab.text_content("#description") == "red car"
    await tab.fill("#file", "/data/intro_main_talk.mp4")
    await tab.click("#describe-run")
    await tab.wait_for_selector("#describe-status:text('3 scenes')")
    assert await tab.locator("#scenes li").all_text_contents() == [
        "0:00.0–0:02.0intro", "0:02.0–0:04.0main", "0:04.0–0:06.0talk"]


async def test_speak_plays_while_it_streams(page):
    tab, fakes, _ = page
    await tab.fill("#speak-text", "gated words to say")
    await tab.click("#speak-run")
    await tab.wait_for_selector("#speak-status:text('playing: 1 chunks received')")
    fakes.servicers["fish"].recorder.gate.set()
    await tab.wait_for_selector("#speak-status:text('spoken')")
    assert await tab.text_content("#speak-status") == "spoken: 0.40 s in 4 chunks (piper)"
    assert (await tab.get_attribute("#speech", "src")).startswith("blob:")
    assert await tab.evaluate("document.getElementById('speech').hidden") is False


async def test_saved_voices_are_offered(page):
    tab, fakes, _ = page
    from optivus.tts.v1 import tts_service_pb2 as tts_pb
    fakes.servicers["fish"].references["ab" * 16] = tts_pb.Reference(reference_id="ab" * 16, display_name="Anna")
    await tab.click("#voices")
    await tab.wait_for_selector("#speak-status:text('1 saved voices')")
    assert await tab.locator("#voice option").all_text_contents() == ["default", "Anna"]
    await tab.select_option("#voice", "ab" * 16)
    await tab.click("#speak-run")
    await tab.wait_for_selector("#speak-status:text('spoken')")
    assert fakes.servicers["fish"].recorder.requests[-1].reference_id == "ab" * 16


async def test_a_pipeline_without_nats_says_why(page):
    tab, _, _ = page
    await tab.fill("#file", "/data/talk.mp4")
    await tab.click("#pipeline-run")
    await tab.wait_for_selector("#pipeline-status.error")
    assert "NATS" in await tab.text_content("#pipeline-status")


async def test_errors_show_on_the_page(page):
    tab, _, _ = page
    await tab.fill("#file", "/data/missing.mp3")
    await tab.click("#transcribe-run")
    await tab.wait_for_selector("#transcribe-status.error")
    assert "file not found" in await tab.text_content("#transcribe-status")


async def test_a_video_pipeline_with_its_progress_and_a_question(nats_urls, tmp_path):
    import contextlib

    import nats

    from optivus_common.jobs import names
    from optivus_testing.fake_stages import FakeStages, stage_workers

    nc = await nats.connect(nats_urls[0])
    js = nc.jetstream()
    for stream in (names.WORK_STREAM, names.EVENTS_STREAM, "KV_" + names.JOBS_BUCKET, "OBJ_" + names.RESULTS_BUCKET):
        with contextlib.suppress(Exception):
            await js.delete_stream(stream)
    try:
        async with stage_workers(nc, FakeStages()):
            async with gateway_in_process({}, nats_url=nats_urls[0], data_dir=tmp_path,
                                          job_idle_check_s=5) as (url, _):
                async with chromium() as browser:
                    tab = await browser.new_page()
                    await tab.goto(url)
                    await tab.wait_for_selector("#connection:text('connected')")
                    await tab.fill("#pipeline-urls", "https://a.example/v/talk")
                    await tab.fill("#question", "what is said?")
                    await tab.click("#pipeline-run")
                    await tab.wait_for_selector("#pipeline-status:text('finished')", timeout=60_000)
                    events = await tab.locator("#pipeline-events li").all_text_contents()
                    assert "queued" in events and any(e.startswith("stage_finished transcribe") for e in events)
                    assert await tab.evaluate("document.getElementById('pipeline-progress').value") == 1
                    result = await tab.text_content("#pipeline-result")
                    assert "said: said in talk.mp4" in result and "seen: seen in talk.mp4" in result
                    # No VideoRAG address for this gateway: the page says the question was not answered.
                    (answer,) = await tab.locator("#answers li").all_text_contents()
                    assert answer.startswith("not answered: VideoRAG is not deployed")
    finally:
        await nc.close()


@pytest.mark.slow
async def test_transcribe_an_upload_with_the_real_service(gateway_url, speech, wer):
    path, text = speech[2]
    async with chromium() as browser:
        tab = await browser.new_page()
        await tab.goto(gateway_url)
        await tab.wait_for_selector("#connection:text('connected')")
        await tab.set_input_files("#upload-file", str(path))
        await tab.click("#upload")
        await tab.wait_for_selector("#media-status:text('uploaded')")
        await tab.click("#transcribe-run")
        await tab.wait_for_selector("#transcribe-status:text('done')", timeout=120_000)
        assert await tab.locator("#segments li").count() >= 1
        assert wer(text, await tab.text_content("#transcript")) <= 0.2
