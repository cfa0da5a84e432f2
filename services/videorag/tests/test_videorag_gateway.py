"""The gateway with the videorag service in the same pipeline (fake
transcribe and describe workers, the real index stage, the test
embedder): `video` with `query` indexes the job's inputs and answers
from them only; `rag_index` relays the indexing job's events as "102"."""

from __future__ import annotations

import pytest

from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.processes import free_port
from optivus_testing.sockets import SocketClient
from optivus_testing.videorag import videorag_stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def stack(nats_urls, tmp_path):
    async with videorag_stack(nats_urls[0], tmp_path) as (address, app, _):
        async with gateway_in_process({"videorag": address}, nats_url=nats_urls[0], grpc_port=free_port(),
                                      job_idle_check_s=5, data_dir=tmp_path) as (url, _):
            async with SocketClient(url) as client:
                yield client, tmp_path


async def test_video_with_questions_answers_from_its_own_videos(stack):
    client, data = stack
    for name in ("lighthouse.mp4", "windmill.mp4"):
        (data / name).write_bytes(name.encode())
    events, reply = await client.ask_with_progress({
        "type": "video", "id": 3, "files": [str(data / "lighthouse.mp4"), str(data / "windmill.mp4")],
        "library": "walks", "query": ["What is said in the lighthouse video?", "anything about volcanoes?"]})
    assert reply["status"] == "200", reply
    stages = {e["data"].get("stage") for e in events if e["status"] == "102"}
    assert {"transcribe", "describe", "index"} <= stages
    lighthouse, volcanoes = reply["data"]["query"]
    assert "said in lighthouse.mp4" in lighthouse["result"] and "[1]" in lighthouse["result"]
    cited = lighthouse["citations"][0]
    assert cited["n"] == 1 and cited["title"] == "lighthouse.mp4" and cited["label"].startswith("[1] lighthouse.mp4, 00:00-")
    assert "result" in volcanoes and reply["data"]["data"][0]["transcribe_audio"]["text"] == "said in lighthouse.mp4"
    # A second job's questions see only that job's video, in the same library.
    (data / "harbour.mp4").write_bytes(b"harbour")
    _, other = await client.ask_with_progress({"type": "video", "file": str(data / "harbour.mp4"), "library": "walks",
                                               "query": ["What is said in the lighthouse video?"]})
    (answer,) = other["data"]["query"]
    assert {c["title"] for c in answer["citations"]} == {"harbour.mp4"}


async def test_rag_index_relays_the_job_then_reports_the_video(stack):
    client, data = stack
    (data / "bridge.mp4").write_bytes(b"bridge")
    events, reply = await client.ask_with_progress({"type": "rag_index", "file": str(data / "bridge.mp4"),
                                                    "library": "walks", "title": "Bridge walk"})
    accepted = events[0]["data"]["videos"][0]
    progress = [e["data"] for e in events[1:]]
    assert progress and all(p["video_id"] == accepted["video_id"] for p in progress)
    assert progress[-1]["event"] == "finished"
    (video,) = reply["data"]["videos"]
    assert (video["state"], video["title"], video["clip_count"]) == ("ready", "Bridge walk", 1)
    _, again = await client.ask_with_progress({"type": "rag_index", "file": str(data / "bridge.mp4"),
                                               "library": "walks"})
    assert again["data"]["videos"][0]["existing"] is True
    (data / "mute_broken.mp4").write_bytes(b"neither")
    _, failed = await client.ask_with_progress({"type": "rag_index", "file": str(data / "mute_broken.mp4")})
    (video,) = failed["data"]["videos"]
    assert (video["state"], video["error"]) == ("failed", "the media has no audio stream")
    missing = await client.ask({"type": "rag_index", "file": str(data / "missing.mp4")})
    assert missing["status"] == "404" and "file not found" in missing["data"]["error"]
