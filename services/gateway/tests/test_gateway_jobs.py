"""Jobs through the gateway, on a real nats-server with stage workers whose
handlers answer from the work alone (optivus_testing.fake_stages):
socket.io `video`, `job` and `cancel`, and JobService over gRPC."""

from __future__ import annotations

import asyncio

import grpc
import nats
import pytest

from optivus.gateway.v1 import job_service_pb2 as pb
from optivus.gateway.v1 import job_service_pb2_grpc as pb_grpc
from optivus.media.v1 import media_ref_pb2
from optivus_common.interceptors import error_info_from
from optivus_common.jobs import names
from optivus_testing.fake_stages import FakeStages, stage_workers
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.processes import free_port
from optivus_testing.sockets import SocketClient

pytestmark = pytest.mark.integration


@pytest.fixture
async def stack(nc, nats_urls):
    stages = FakeStages()
    async with stage_workers(nc, stages):
        async with gateway_in_process({}, nats_url=nats_urls[0], grpc_port=free_port(),
                                      job_idle_check_s=5) as (url, gateway):
            yield url, gateway, stages


async def test_video_with_urls_and_a_file_has_the_seed_shape(stack):
    url, _, _ = stack
    async with SocketClient(url) as client:
        events, reply = await client.ask_with_progress({
            "type": "video", "id": 7, "urls": ["https://a.example/v/talk", "https://a.example/v/missing"],
            "file": "/data/local.mp4", "language": "en"})
    accepted = events[0]
    assert accepted["status"] == "202" and len(accepted["data"]["job_id"]) == 32
    progress = events[1:]
    assert progress and all(e["status"] == "102" and e["data"]["id"] == 7 for e in progress)
    assert {e["data"]["event"] for e in progress} >= {"queued", "stage_started", "stage_finished", "item_finished"}
    assert reply["status"] == "200", reply
    data = reply["data"]
    assert data["id"] == 7 and data["job_id"] == accepted["data"]["job_id"]
    talk, missing, local = data["data"]
    assert talk["transcribe_audio"] == {"error": None, "text": "said in talk.mp4",
                                        "chunks": [{"start": 0.0, "end": 2.0, "text": "said in talk.mp4"}]}
    assert talk["transcribe_video"] == [{"start": 0.0, "end": 4.0, "text": "seen in talk.mp4"}]
    assert talk["info"]["fulltitle"] == "talk" and talk["info"]["duration"] == 4.0
    assert talk["info"]["file"] == "/data/videos/talk.mp4" and talk["info"]["url"] == "https://a.example/v/talk"
    assert missing == {"error": "the server answered HTTP 404 for https://a.example/v/missing",
                       "url": "https://a.example/v/missing"}
    assert local["transcribe_audio"]["text"] == "said in local.mp4" and local["info"] == {"file": "/data/local.mp4"}


async def test_v_conv_a_stage_error_and_queries(stack):
    url, _, _ = stack
    async with SocketClient(url) as client:
        _, reply = await client.ask_with_progress({"type": "whisp", "file": "/data/mute.mp4", "v_conv": True,
                                                   "query": ["what is said?"]})
    assert reply["status"] == "200"
    (item,) = reply["data"]["data"]
    assert item["transcribe_audio"] == {"error": "the media has no audio stream", "text": "", "chunks": []}
    assert item["transcribe_video"][0]["text"] == "seen in mute.mp4"
    assert reply["data"]["query"] == [{"error": "VideoRAG is not deployed on this server: "
                                                "this question was not answered"}]


async def test_a_job_whose_every_input_failed_answers_with_the_error(stack):
    url, _, _ = stack
    async with SocketClient(url) as client:
        _, reply = await client.ask_with_progress({"type": "video", "urls": ["https://a.example/v/missing"]})
    assert reply["status"] == "404" and "404" in reply["data"]["data"][0]["error"]
    assert reply["data"]["error"] == reply["data"]["data"][0]["error"]


@pytest.mark.parametrize("payload, message", [
    ({"type": "video"}, "needs `urls`, `file` or `files`"),
    ({"type": "video", "urls": "https://a"}, "`urls` must be a list"),
    ({"type": "video", "files": [3]}, "`files` must be a list of strings"),
    ({"type": "video", "urls": ["https://a"] * 33}, "at most 32 inputs"),
    ({"type": "video", "file": "/a.mp4", "transcribe": False, "describe": False}, "does nothing"),
    ({"type": "video", "file": "/a.mp4", "sample_fps": 99}, "`sample_fps`"),
    ({"type": "video", "file": "/a.mp4", "query": "what?"}, "`query` must be a list"),
    ({"type": "job", "job_id": "../../etc"}, "32 hex"),
    ({"type": "job", "job_id": "0" * 32}, "no job"),
    ({"type": "cancel"}, "32 hex"),
])
async def test_bad_job_requests(stack, payload, message):
    url, _, stages = stack
    async with SocketClient(url) as client:
        reply = await client.ask(payload)
    assert reply["status"] in ("400", "404") and message in reply["data"]["error"], reply
    assert stages.calls == []


async def test_cancel_stops_the_job_and_its_follower_gets_410(stack):
    url, _, stages = stack
    async with SocketClient(url) as watcher, SocketClient(url) as other:
        await watcher.sio.emit("message", {"type": "video", "file": "/data/slow.mp4", "id": "w"})
        accepted = await asyncio.wait_for(watcher.replies.get(), 30)
        job_id = accepted["data"]["job_id"]
        await asyncio.wait_for(stages.started.wait(), 30)
        cancelled = await other.ask({"type": "cancel", "job_id": job_id})
        assert cancelled["status"] == "200" and cancelled["data"]["state"] == "cancelled"
        while True:
            reply = await asyncio.wait_for(watcher.replies.get(), 30)
            if reply["status"] != "102":
                break
    assert reply["status"] == "410" and reply["data"]["state"] == "cancelled" and reply["data"]["id"] == "w"
    again = await SocketClient(url).__aenter__()
    try:
        assert (await again.ask({"type": "cancel", "job_id": job_id}))["data"]["state"] == "cancelled"
    finally:
        await again.__aexit__()


async def test_a_reconnecting_client_replays_every_event_once_in_order(stack):
    url, _, _ = stack
    client = SocketClient(url)
    await client.__aenter__()
    await client.sio.emit("message", {"type": "video", "urls": ["https://a.example/v/first"], "file": "/data/x.mp4"})
    job_id = (await asyncio.wait_for(client.replies.get(), 30))["data"]["job_id"]
    first = await asyncio.wait_for(client.replies.get(), 30)  # one progress event, then the client drops
    await client.__aexit__()
    assert first["status"] == "102"
    async with SocketClient(url) as back:
        events, reply = await back.ask_with_progress({"type": "job", "job_id": job_id})
        again, replay = await back.ask_with_progress({"type": "job", "job_id": job_id,
                                                      "after": first["data"]["sequence"]})
    sequences = [e["data"]["sequence"] for e in events]
    assert sequences == sorted(set(sequences)) and sequences[0] == first["data"]["sequence"]
    assert [e["data"]["sequence"] for e in again] == sequences[1:]
    assert reply["status"] == "200" and replay["data"]["data"] == reply["data"]["data"]
    assert [i["info"].get("url", i["info"].get("file")) for i in reply["data"]["data"]] == [
        "https://a.example/v/first", "/data/x.mp4"]


async def test_twenty_jobs_from_five_clients_each_get_their_own(stack):
    url, _, _ = stack

    async def one_client(n: int) -> list[tuple[int, dict]]:
        async with SocketClient(url) as client:
            for j in range(4):
                await client.sio.emit("message", {"type": "video", "id": j, "file": f"/data/c{n}_j{j}.mp4"})
            finals = []
            while len(finals) < 4:
                reply = await asyncio.wait_for(client.replies.get(), 60)
                if reply["status"] == "200":
                    finals.append(reply)
            return [(f["data"]["id"], f["data"]["data"][0]) for f in finals]

    results = await asyncio.gather(*(one_client(n) for n in range(5)))
    for n, finals in enumerate(results):
        assert sorted(i for i, _ in finals) == [0, 1, 2, 3]
        for j, item in finals:
            assert item["transcribe_audio"]["text"] == f"said in c{n}_j{j}.mp4"


async def test_job_service_over_grpc(stack):
    _, gateway, _ = stack
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.grpc_port}") as channel:
        stub = pb_grpc.JobServiceStub(channel)
        spec = pb.JobSpec(pipeline=pb.PipelineJob(inputs=[media_ref_pb2.MediaRef(path="/data/grpc.mp4")],
                                                  transcribe=True))
        job = (await stub.SubmitJob(pb.SubmitJobRequest(spec=spec, request_id="r-1"))).job
        same = (await stub.SubmitJob(pb.SubmitJobRequest(spec=spec, request_id="r-1"))).job
        assert same.job_id == job.job_id and job.state in (pb.JOB_STATE_QUEUED, pb.JOB_STATE_RUNNING)
        events = [r.event async for r in stub.WatchJob(pb.WatchJobRequest(job_id=job.job_id))]
        assert events[0].WhichOneof("event") == "queued" and events[-1].WhichOneof("event") == "finished"
        done = (await stub.GetJob(pb.GetJobRequest(job_id=job.job_id))).job
        assert done.state == pb.JOB_STATE_SUCCEEDED and done.progress == 1.0
        assert done.result.items[0].transcript.text == "said in grpc.mp4"
        listed = (await stub.ListJobs(pb.ListJobsRequest(page_size=1))).jobs
        assert [j.job_id for j in listed] == [job.job_id] and not listed[0].HasField("result")
        tail = [r.event async for r in stub.WatchJob(pb.WatchJobRequest(job_id=job.job_id,
                                                                        after_sequence=events[-2].sequence))]
        assert [e.sequence for e in tail] == [events[-1].sequence]
        for call, reason in ((stub.GetJob(pb.GetJobRequest(job_id="nope")), "INVALID_JOB_ID"),
                             (stub.GetJob(pb.GetJobRequest(job_id="f" * 32)), "JOB_NOT_FOUND"),
                             (stub.SubmitJob(pb.SubmitJobRequest(spec=pb.JobSpec())), "INPUTS_MISSING")):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert error_info_from(err.value).reason == reason


async def test_a_stage_whose_workers_keep_dying_fails_by_dead_letter(nc, nats_urls):
    """Each delivery's worker dies without a word (its connection closes);
    after max_deliver the gateway's dead-letter watch fails the stage."""
    from optivus_common.jobs.stage_worker import StageWorker, WorkerSettings

    settings = WorkerSettings(concurrency=1, ack_wait_s=1.0, max_deliver=2, fetch_wait_s=0.5)
    taken = asyncio.Event()

    async def hangs(ctx):
        taken.set()
        await asyncio.Event().wait()

    async with gateway_in_process({}, nats_url=nats_urls[0], grpc_port=free_port(), job_idle_check_s=5) as (url, _):
        async with SocketClient(url) as client:
            await client.sio.emit("message", {"type": "video", "file": "/data/doomed.mp4", "describe": False})
            job_id = (await asyncio.wait_for(client.replies.get(), 30))["data"]["job_id"]
            for _ in range(settings.max_deliver):
                taken.clear()
                doomed = await nats.connect(nats_urls[0])
                stop = asyncio.Event()
                task = asyncio.create_task(StageWorker(doomed, "transcribe", hangs, "t", settings).run(stop))
                await asyncio.wait_for(taken.wait(), 30)
                await doomed.close()  # no ack, no nak: as a kill -9
                stop.set()
                await asyncio.gather(task, return_exceptions=True)
            # A healthy replica keeps pulling: the server notices the exhausted
            # work (and advises) when it would deliver it again.
            healthy_stop = asyncio.Event()
            healthy = asyncio.create_task(StageWorker(nc, "transcribe", hangs, "t", settings).run(healthy_stop))
            while True:
                reply = await asyncio.wait_for(client.replies.get(), 60)
                if reply["status"] != "102":
                    break
            healthy_stop.set()
            await asyncio.gather(healthy, return_exceptions=True)
    assert reply["data"]["job_id"] == job_id
    assert "did not finish after 2 tries" in reply["data"]["data"][0]["error"]
    info = await nc.jetstream().consumer_info(names.WORK_STREAM, names.consumer_name("transcribe"))
    assert (info.num_pending, info.num_ack_pending) == (0, 0)
