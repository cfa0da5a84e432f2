"""`video` jobs through real processes on loopback: nats-server, the dlp,
whisper and florence services with their JetStream workers, and the
gateway. Inputs are narrated slide videos served by a local HTTP site or
lying in the media folder; a crash (kill -9 of the whisper replica that
holds a stage), a restart of nats-server and a cancel happen mid-job."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import nats
import pytest

from optivus_common.jobs import names
from optivus_testing.dlp_site import MediaSite
from optivus_testing.media import narrated_video
from optivus_testing.sockets import SocketClient
from optivus_testing.stack import Gateway, Nats, Replica

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TALK = [("FIRST SLIDE", "Hello and welcome to the talk about rivers."),
        ("SECOND SLIDE", "Thank you for listening and goodbye.")]
OTHER = [("WEATHER", "Tomorrow will be sunny with a light breeze.")]
# A stage silent this long goes to another replica (short, so that the
# crash test does not wait 30 s; the heartbeats come every third of it).
ACK_WAIT_S = 4


class Stack:
    def __init__(self, url: str, nats_: Nats, replicas: dict[str, Replica], site: MediaSite, files: Path) -> None:
        self.url, self.nats, self.replicas, self.site, self.files = url, nats_, replicas, site, files


@pytest.fixture(scope="module")
def stack(tmp_path_factory, service_env, media_dir, piper_voice):
    root = tmp_path_factory.mktemp("pipeline")
    (root / "site").mkdir()
    narrated_video(root / "site" / "talk.mp4", piper_voice, TALK)
    narrated_video(root / "site" / "weather.mp4", piper_voice, OTHER)
    files = media_dir / "pipeline"
    files.mkdir(exist_ok=True)
    narrated_video(files / "local.mp4", piper_voice, OTHER)
    # About a minute of narration: a transcribe stage that lasts a while.
    narrated_video(files / "long.mp4", piper_voice, [(f"PART {i}", TALK[0][1] + " " + TALK[1][1] + " " + OTHER[0][1])
                                                     for i in range(6)])
    (files / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 5000)
    nats_ = Nats(root / "nats")
    nats_.start()
    env = {**service_env, "OPTIVUS_NATS_URL": nats_.url, "OPTIVUS_WORK_ACK_WAIT_S": str(ACK_WAIT_S),
           "OPTIVUS_DLP_ALLOWED_NETWORKS": "127.0.0.1/32", "AI_WHISPER_BATCH_WORKER": "2"}
    replicas = {name: Replica(name, env, root / "logs") for name in ("dlp", "whisper", "florence")}
    gateway = Gateway(env, replicas, root / "logs")
    with MediaSite(root / "site") as site:
        try:
            for replica in replicas.values():
                replica.start()
            gateway.start()
            yield Stack(gateway.url, nats_, replicas, site, files)
        finally:
            gateway.stop()
            for replica in replicas.values():
                replica.stop()
            nats_.stop()


async def video(stack: Stack, payload: dict, timeout: float = 300) -> tuple[list[dict], dict]:
    async with SocketClient(stack.url) as client:
        return await client.ask_with_progress({"type": "video", **payload}, timeout=timeout)


def stage_events(events: list[dict], event: str, stage: str) -> list[dict]:
    return [e["data"] for e in events if e["data"].get("event") == event and e["data"].get("stage") == stage]


async def started(client: SocketClient, stage: str) -> str:
    """Reads replies until `stage` has started; returns the job id."""
    job_id = ""
    while True:
        reply = await asyncio.wait_for(client.replies.get(), 120)
        job_id = reply["data"].get("job_id", job_id)
        assert reply["status"] in ("202", "102"), reply
        if reply["data"].get("event") == "stage_started" and reply["data"].get("stage") == stage:
            return job_id


async def until_final(client: SocketClient, timeout: float = 300) -> tuple[list[dict], dict]:
    events = []
    while True:
        reply = await asyncio.wait_for(client.replies.get(), timeout)
        if reply["status"] != "102":
            return events, reply
        events.append(reply)


async def test_two_urls_then_a_file_in_the_first_servers_shape(stack, wer):
    talk, weather = stack.site.url("talk.mp4"), stack.site.url("weather.mp4")
    events, reply = await video(stack, {"id": 7, "urls": [talk, weather]})
    assert reply["status"] == "200", reply
    assert set(reply) == {"status", "data"} and reply["data"]["id"] == 7 and len(reply["data"]["job_id"]) == 32
    first, second = reply["data"]["data"]
    for item, scenes, url in ((first, TALK, talk), (second, OTHER, weather)):
        assert set(item) == {"transcribe_audio", "transcribe_video", "info"}
        assert set(item["transcribe_audio"]) == {"error", "text", "chunks"} and item["transcribe_audio"]["error"] is None
        assert wer(" ".join(n for _, n in scenes), item["transcribe_audio"]["text"]) < 0.2
        assert [s["text"] for s in item["transcribe_video"]] == [t for t, _ in scenes]
        assert all(set(s) == {"start", "end", "text"} for s in item["transcribe_video"])
        assert item["info"]["url"] == url and item["info"]["file"]
    for stage in ("download", "transcribe", "describe"):
        assert len(stage_events(events, "stage_finished", stage)) == 2
    for stage in ("transcribe", "describe"):  # how far each got, by the media's length
        fractions = [e["fraction"] for e in stage_events(events, "stage_progress", stage)]
        assert fractions and all(0 < f <= 1 for f in fractions), (stage, fractions)
    sequences = [e["data"]["sequence"] for e in events if e["status"] == "102"]
    assert sequences == sorted(set(sequences))

    _, reply = await video(stack, {"file": str(stack.files / "local.mp4")})
    (item,) = reply["data"]["data"]
    assert reply["status"] == "200" and item["info"]["file"] == str(stack.files / "local.mp4")
    assert wer(OTHER[0][1], item["transcribe_audio"]["text"]) < 0.2
    assert [s["text"] for s in item["transcribe_video"]] == ["WEATHER"]


async def test_a_corrupt_file_is_its_items_error_and_the_others_go_on(stack, wer):
    _, reply = await video(stack, {"files": [str(stack.files / "corrupt.mp4"), str(stack.files / "local.mp4")],
                                   "describe": False})
    assert reply["status"] == "200", reply
    corrupt, fine = reply["data"]["data"]
    assert corrupt["error"] and corrupt["file"] == str(stack.files / "corrupt.mp4")
    assert wer(OTHER[0][1], fine["transcribe_audio"]["text"]) < 0.2
    _, reply = await video(stack, {"file": str(stack.files / "corrupt.mp4")})
    assert reply["status"] == "400" and reply["data"]["error"]


async def test_kill_9_of_the_whisper_replica_mid_stage(stack, wer):
    whisper = stack.replicas["whisper"]
    async with SocketClient(stack.url) as client:
        await client.sio.emit("message", {"type": "video", "file": str(stack.files / "long.mp4"), "describe": False})
        await started(client, "transcribe")
        whisper.kill()
        whisper.start()  # the replacement replica; the stage comes back to it after ACK_WAIT_S
        events, reply = await until_final(client)
    assert reply["status"] == "200", reply
    (item,) = reply["data"]["data"]
    assert wer(" ".join([TALK[0][1], TALK[1][1], OTHER[0][1]] * 6), item["transcribe_audio"]["text"]) < 0.2
    retried = stage_events(events, "stage_started", "transcribe")
    assert [e["attempt"] for e in retried] == [2]  # the first try's start came before `events`
    assert len(stage_events(events, "stage_finished", "transcribe")) == 1
    assert [e["data"].get("event") for e in events].count("item_finished") == 1


async def test_nats_restarted_mid_job_the_job_finishes(stack, wer):
    async with SocketClient(stack.url) as client:
        await client.sio.emit("message", {"type": "video", "urls": [stack.site.url("talk.mp4")]})
        await started(client, "transcribe")
        stack.nats.stop()
        stack.nats.start()
        _, reply = await until_final(client)
    assert reply["status"] == "200", reply
    (item,) = reply["data"]["data"]
    assert wer(" ".join(n for _, n in TALK), item["transcribe_audio"]["text"]) < 0.2
    # The services took new work after the restart too.
    _, reply = await video(stack, {"file": str(stack.files / "local.mp4")})
    assert reply["status"] == "200" and reply["data"]["data"][0]["transcribe_video"][0]["text"] == "WEATHER"


async def test_cancel_mid_job_stops_it_and_leaves_nothing_in_flight(stack, wer):
    async with SocketClient(stack.url) as watcher, SocketClient(stack.url) as other:
        await watcher.sio.emit("message", {"type": "video", "file": str(stack.files / "long.mp4")})
        job_id = await started(watcher, "transcribe")
        cancelled = await other.ask({"type": "cancel", "job_id": job_id})
        assert cancelled["status"] == "200" and cancelled["data"]["state"] == "cancelled"
        events, reply = await until_final(watcher)
    assert reply["status"] == "410" and reply["data"]["state"] == "cancelled" and "data" not in reply["data"]
    assert "item_finished" not in [e["data"].get("event") for e in events]
    nc = await nats.connect(stack.nats.url)
    try:
        js = nc.jetstream()

        async def nothing_in_flight() -> bool:
            for stage in ("transcribe", "describe"):
                info = await js.consumer_info(names.WORK_STREAM, names.consumer_name(stage))
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        for _ in range(600):
            if await nothing_in_flight():
                break
            await asyncio.sleep(0.1)
        assert await nothing_in_flight(), "work still pending or unacknowledged"
    finally:
        with contextlib.suppress(Exception):
            await nc.close()
    # The cancelled stage gave its slot back: the next job runs.
    _, reply = await video(stack, {"file": str(stack.files / "local.mp4"), "describe": False})
    assert reply["status"] == "200" and wer(OTHER[0][1], reply["data"]["data"][0]["transcribe_audio"]["text"]) < 0.2
