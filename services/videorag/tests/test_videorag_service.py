"""The VideoRAG gRPC service and its index stage on a real nats-server:
IndexVideo submits a pipeline job whose transcribe and describe stages
run on workers with fake handlers (optivus_testing.fake_stages), whose
index stage runs this service's real handler, into a real Milvus Lite
folder (with the test embedder). Then the registry, queries streamed in
order, deletes, and errors with their codes and ErrorInfo reasons."""

from __future__ import annotations

import asyncio

import grpc
import pytest
import pytest_asyncio

from optivus.media.v1 import media_ref_pb2
from optivus.videorag.v1 import videorag_service_pb2 as pb
from optivus.videorag.v1 import videorag_service_pb2_grpc as pb_grpc
from optivus_common.interceptors import error_info_from
from optivus_common.jobs import events
from optivus_common.registry import VIDEORAG
from optivus_common.server import Registration, start_server
from optivus_testing.videorag import videorag_stack
from optivus_videorag.servicer import VideoRagServicer

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(nats_urls, tmp_path_factory):
    data = tmp_path_factory.mktemp("videorag-service")
    async with videorag_stack(nats_urls[0], data) as (address, _, nc):
        async with grpc.aio.insecure_channel(address) as channel:
            yield pb_grpc.VideoRagServiceStub(channel), nc.jetstream(), data


def video(folder, name: str, content: bytes) -> media_ref_pb2.MediaRef:
    path = folder / name
    path.write_bytes(content)
    return media_ref_pb2.MediaRef(path=str(path))


async def finished(js, job_id: str) -> list[str]:
    seen = []

    async def collect():
        async for event in events.watch(js, job_id):
            seen.append(event.WhichOneof("event"))

    await asyncio.wait_for(collect(), 60)
    return seen


async def query(stub, **fields) -> list[pb.QueryVideosResponse]:
    return [reply async for reply in stub.QueryVideos(pb.QueryVideosRequest(**fields))]


async def test_index_a_video_then_ask_about_it(stack):
    stub, js, data = stack
    reply = await stub.IndexVideo(pb.IndexVideoRequest(video=video(data, "harbour_tour.mp4", b"harbour"),
                                                       collection="tours", title="Harbour tour"))
    assert len(reply.video_id) == 32 and len(reply.job_id) == 32 and not reply.existing
    queued = (await stub.GetVideo(pb.GetVideoRequest(video_id=reply.video_id))).video
    assert queued.state in (pb.INDEX_STATE_QUEUED, pb.INDEX_STATE_RUNNING, pb.INDEX_STATE_READY)
    kinds = await finished(js, reply.job_id)
    assert kinds[-1] == "finished" and kinds.count("stage_finished") == 3
    got = (await stub.GetVideo(pb.GetVideoRequest(video_id=reply.video_id))).video
    assert (got.state, got.collection, got.title, got.clip_count, got.job_id) == (
        pb.INDEX_STATE_READY, "tours", "Harbour tour", 1, reply.job_id)
    again = await stub.IndexVideo(pb.IndexVideoRequest(video=video(data, "harbour_tour.mp4", b"harbour"),
                                                       collection="tours"))
    assert again.existing and (again.video_id, again.job_id) == (reply.video_id, reply.job_id)

    replies = await query(stub, question="What is said in the harbour tour?", collection="tours")
    kinds = [r.WhichOneof("response") for r in replies]
    assert kinds[0] == "retrieved" and kinds[-1] == "citations" and "answer_delta" in kinds
    assert kinds == sorted(kinds, key=["retrieved", "answer_delta", "citations"].index)
    retrieved = replies[0].retrieved
    assert retrieved.video_id == reply.video_id and retrieved.title == "Harbour tour" and retrieved.number == 0
    assert "said in harbour_tour.mp4" in retrieved.text and "seen in harbour_tour.mp4" in retrieved.text
    answer = "".join(r.answer_delta for r in replies if r.HasField("answer_delta"))
    assert "[1]" in answer
    (cited,) = replies[-1].citations.citations[:1]
    assert cited.number == 1 and cited.video_id == reply.video_id and cited.end.seconds >= 2

    listed = await stub.ListVideos(pb.ListVideosRequest(collection="tours"))
    assert [v.video_id for v in listed.videos] == [reply.video_id]
    libraries = {c.name: c.video_count for c in (await stub.ListCollections(pb.ListCollectionsRequest())).collections}
    assert libraries["tours"] == 1

    await stub.DeleteVideo(pb.DeleteVideoRequest(video_id=reply.video_id))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.DeleteVideo(pb.DeleteVideoRequest(video_id=reply.video_id))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND and error_info_from(err.value).reason == "VIDEO_NOT_FOUND"


async def test_a_video_without_sound_is_indexed_from_what_is_seen(stack):
    stub, js, data = stack
    reply = await stub.IndexVideo(pb.IndexVideoRequest(video=video(data, "mute_slides.mp4", b"mute"),
                                                       collection="tours"))
    await finished(js, reply.job_id)
    got = (await stub.GetVideo(pb.GetVideoRequest(video_id=reply.video_id))).video
    assert got.state == pb.INDEX_STATE_READY and got.clip_count == 1
    replies = await query(stub, question="seen in mute slides", collection="tours", video_ids=[reply.video_id])
    assert replies[0].retrieved.text == "Seen: seen in mute_slides.mp4."


async def test_a_video_that_cannot_be_transcribed_or_described_fails(stack):
    stub, js, data = stack
    reply = await stub.IndexVideo(pb.IndexVideoRequest(video=video(data, "mute_broken.mp4", b"nothing"),
                                                       collection="tours"))
    await finished(js, reply.job_id)
    got = (await stub.GetVideo(pb.GetVideoRequest(video_id=reply.video_id))).video
    assert got.state == pb.INDEX_STATE_FAILED and got.error == "the media has no audio stream"


async def test_capabilities_say_what_retrieval_stands_on(stack):
    stub, _, _ = stack
    caps = await stub.GetCapabilities(pb.GetCapabilitiesRequest())
    assert (caps.embedding_model, caps.keyword_search, caps.visual_search) == ("test-hash", True, False)
    assert "transcripts" in caps.visual_unavailable_reason and caps.answer_engine == "extractive"
    assert caps.entity_extractor == "deterministic" and caps.milvus == "lite"


@pytest.mark.parametrize("call, code, reason", [
    (lambda s, d: query(s, question="", collection="tours"), "INVALID_ARGUMENT", "EMPTY_QUESTION"),
    (lambda s, d: query(s, question="why?", collection="missing"), "NOT_FOUND", "COLLECTION_NOT_FOUND"),
    (lambda s, d: s.GetVideo(pb.GetVideoRequest(video_id="../x")), "INVALID_ARGUMENT", "INVALID_VIDEO_ID"),
    (lambda s, d: s.IndexVideo(pb.IndexVideoRequest(video=media_ref_pb2.MediaRef(path="/etc/passwd"))),
     "PERMISSION_DENIED", "PATH_OUTSIDE_MEDIA_ROOTS"),
    (lambda s, d: s.IndexVideo(pb.IndexVideoRequest(video=media_ref_pb2.MediaRef(path=str(d / "missing.mp4")))),
     "NOT_FOUND", "FILE_NOT_FOUND"),
    (lambda s, d: s.ListVideos(pb.ListVideosRequest(collection="Bad-Name")), "INVALID_ARGUMENT", "INVALID_COLLECTION"),
])
async def test_bad_requests_get_codes_and_reasons(stack, call, code, reason):
    stub, _, data = stack
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call(stub, data)
    assert err.value.code() == getattr(grpc.StatusCode, code)
    assert error_info_from(err.value).reason == reason and error_info_from(err.value).domain == VIDEORAG.domain


async def test_calls_before_the_models_load_are_unavailable():
    from optivus_common.settings import CommonSettings

    running = await start_server(CommonSettings(), [Registration(pb_grpc.add_VideoRagServiceServicer_to_server,
                                                                 VideoRagServicer(), VIDEORAG.grpc_service)],
                                 domain=VIDEORAG.domain, address="127.0.0.1:0")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await pb_grpc.VideoRagServiceStub(channel).GetCapabilities(pb.GetCapabilitiesRequest())
    await running.stop(None)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE and error_info_from(err.value).reason == "MODEL_NOT_LOADED"
