"""VisionService on a real grpc.aio server (port 0) with real engines:
structured results, streaming scenes, per-image batch errors, canonical
codes with ErrorInfo reasons."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2

from optivus.media.v1 import media_ref_pb2
from optivus.vision.v1 import vision_service_pb2 as pb
from optivus.vision.v1 import vision_service_pb2_grpc as pb_grpc
from optivus_common.interceptors import error_info_from
from optivus_common.media import MediaResolver
from optivus_common.registry import FLORENCE
from optivus_common.server import start_server
from optivus_common.statuses import error_info as status_error_info
from optivus_florence.app import VisionApp
from optivus_florence.config import FlorenceSettings
from optivus_florence.engine import VisionEngine
from optivus_florence.server import registration
from optivus_testing.florence import TINY_PHRASE, escaping_playlist

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def squash(text: str) -> str:
    return "".join(text.split()).upper()


@pytest.fixture(scope="module")
def engines(tiny_florence, media_dir, model_cache):
    made = {}
    for name, model in (("florence", str(tiny_florence)), ("ocr", str(media_dir / "no-such-model"))):
        settings = FlorenceSettings(data_dir=media_dir, model_cache=model_cache, model=model, max_new_tokens=40,
                                    batch_size=2, max_image_pixels=50_000_000)
        engine = VisionEngine.from_settings(settings)
        engine.load()
        made[name] = settings, engine
    return made


async def _stub(made):
    settings, engine = made
    app = VisionApp.from_settings(settings, engine, MediaResolver(settings))
    running = await start_server(settings, [registration(app)], domain=FLORENCE.domain, address="127.0.0.1:0")
    await running.set_serving(True)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    return running, channel, pb_grpc.VisionServiceStub(channel)


@pytest.fixture
async def florence(engines):
    running, channel, stub = await _stub(engines["florence"])
    yield stub
    await channel.close()
    await running.stop(None)


@pytest.fixture
async def ocr(engines):
    running, channel, stub = await _stub(engines["ocr"])
    yield stub
    await channel.close()
    await running.stop(None)


def ref(path) -> media_ref_pb2.MediaRef:
    return media_ref_pb2.MediaRef(path=str(path))


def error_info(err: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    info = error_info_from(err)
    assert info is not None, "no ErrorInfo"
    return info


async def test_structured_results_are_proto_messages(florence, vision_media):
    reply = await florence.DescribeImage(pb.DescribeImageRequest(image=ref(vision_media["tiny"]),
                                                                 task=pb.VISION_TASK_OD))
    result = reply.result
    assert (result.task, result.engine, result.text) == (pb.VISION_TASK_OD, pb.VISION_ENGINE_FLORENCE2, "car")
    assert (result.image_width, result.image_height) == (200, 100)
    [region] = result.regions
    assert region.label == "car" and region.WhichOneof("shape") == "box" and not region.HasField("score")
    assert (region.box.x1, region.box.y1, region.box.x2, region.box.y2) == (20, 20, 100, 80)
    quads = await florence.DescribeImage(pb.DescribeImageRequest(
        image=media_ref_pb2.MediaRef(content=vision_media["tiny"].read_bytes()), task=pb.VISION_TASK_OCR_WITH_REGION))
    assert list(quads.result.regions[0].quad.points) == [2, 2, 60, 2, 60, 40, 2, 40]


async def test_capabilities(florence, ocr):
    full = await florence.GetCapabilities(pb.GetCapabilitiesRequest())
    assert len(full.tasks) == 8 and all(t.engine == pb.VISION_ENGINE_FLORENCE2 for t in full.tasks)
    assert full.default_task == pb.VISION_TASK_MORE_DETAILED_CAPTION and full.florence_model
    assert full.device == "cpu"
    fallback = await ocr.GetCapabilities(pb.GetCapabilitiesRequest())
    assert {(t.task, t.engine) for t in fallback.tasks} == {
        (pb.VISION_TASK_OCR, pb.VISION_ENGINE_RAPIDOCR), (pb.VISION_TASK_OCR_WITH_REGION, pb.VISION_ENGINE_RAPIDOCR)}
    assert fallback.default_task == pb.VISION_TASK_OCR and fallback.florence_model == ""
    assert fallback.florence_unavailable_reason


async def test_batch_answers_each_image_in_order(florence, vision_media):
    requests = [
        pb.DescribeImageRequest(image=ref(vision_media["tiny"]), task=pb.VISION_TASK_CAPTION),
        pb.DescribeImageRequest(image=ref("/etc/passwd")),
        pb.DescribeImageRequest(image=ref(vision_media["tiny"]), task=pb.VISION_TASK_CAPTION_TO_PHRASE_GROUNDING,
                                phrase=TINY_PHRASE),
        pb.DescribeImageRequest(image=ref(vision_media["notes"])),
        pb.DescribeImageRequest(image=ref(vision_media["tiny"]), task=pb.VISION_TASK_CAPTION),
        pb.DescribeImageRequest(image=ref(vision_media["huge"])),
        pb.DescribeImageRequest(image=ref(vision_media["tiny"]), task=99),
    ]
    replies = [r async for r in florence.BatchDescribeImages(pb.BatchDescribeImagesRequest(requests=requests))]
    assert [r.request_index for r in replies] == list(range(len(requests)))
    assert [r.WhichOneof("response") for r in replies] == ["result", "error", "result", "error", "result", "error",
                                                          "error"]
    assert replies[0].result.text == replies[4].result.text == "a red car"
    assert replies[2].result.regions[0].label == "a red car"
    assert (replies[1].error.code, status_error_info(replies[1].error).reason) == (code_pb2.PERMISSION_DENIED, "PATH_OUTSIDE_MEDIA_ROOTS")
    assert (replies[3].error.code, status_error_info(replies[3].error).reason) == (code_pb2.INVALID_ARGUMENT, "IMAGE_UNDECODABLE")
    assert (replies[5].error.code, status_error_info(replies[5].error).reason) == (code_pb2.RESOURCE_EXHAUSTED, "IMAGE_TOO_LARGE")
    assert (replies[6].error.code, status_error_info(replies[6].error).reason) == (code_pb2.INVALID_ARGUMENT, "UNKNOWN_TASK")


async def test_video_streams_scenes_then_a_summary(ocr, vision_media):
    responses = [r async for r in ocr.DescribeVideo(pb.DescribeVideoRequest(video=ref(vision_media["scenes"]),
                                                                            include_ocr=True))]
    *scenes, last = responses
    assert [r.WhichOneof("response") for r in responses] == ["scene"] * 3 + ["summary"]
    assert [squash(r.scene.text) for r in scenes] == ["FIRSTSCENE", "SECONDPART", "THIRDACT"]
    assert [squash(r.scene.ocr_text) for r in scenes] == ["FIRSTSCENE", "SECONDPART", "THIRDACT"]
    first = scenes[0].scene
    assert first.start.ToNanoseconds() == 0 and abs(first.end.ToNanoseconds() / 1e9 - 4.4) <= 1
    assert first.result.engine == pb.VISION_ENGINE_RAPIDOCR
    summary = last.summary
    assert (summary.scene_count, summary.described_frames, summary.task) == (3, 3, pb.VISION_TASK_OCR)
    assert summary.decoded_frames > summary.sampled_frames > summary.described_frames
    assert "AI_FLORENCE_MODEL" in summary.warning


@pytest.mark.parametrize("call, request_, code, reason", [
    ("DescribeImage", pb.DescribeImageRequest(task=pb.VISION_TASK_CAPTION, image=media_ref_pb2.MediaRef(path="x.png")),
     grpc.StatusCode.FAILED_PRECONDITION, "FLORENCE_UNAVAILABLE"),
    ("DescribeImage", pb.DescribeImageRequest(), grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_MISSING"),
    ("DescribeImage", pb.DescribeImageRequest(image=media_ref_pb2.MediaRef(path="/etc/passwd")),
     grpc.StatusCode.PERMISSION_DENIED, "PATH_OUTSIDE_MEDIA_ROOTS"),
    ("DescribeImage", pb.DescribeImageRequest(task=42, image=media_ref_pb2.MediaRef(path="x.png")),
     grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_TASK"),
    ("DescribeImage", pb.DescribeImageRequest(image=media_ref_pb2.MediaRef(url="https://example.com/a.png")),
     grpc.StatusCode.INVALID_ARGUMENT, "URL_NOT_SUPPORTED"),
    ("DescribeVideo", pb.DescribeVideoRequest(video=media_ref_pb2.MediaRef(path="x.mp4"), sample_fps=-1),
     grpc.StatusCode.INVALID_ARGUMENT, "BAD_SAMPLE_FPS"),
    ("BatchDescribeImages", pb.BatchDescribeImagesRequest(), grpc.StatusCode.INVALID_ARGUMENT, "NO_IMAGES"),
])
async def test_bad_requests_get_codes_and_reasons(ocr, call, request_, code, reason):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        result = getattr(ocr, call)(request_)
        if call == "DescribeImage":
            await result
        else:
            async for _ in result:
                pass
    assert err.value.code() == code
    info = error_info(err.value)
    assert (info.reason, info.domain) == (reason, FLORENCE.domain)


@pytest.mark.parametrize("name, call, code, reason", [
    ("huge", "DescribeImage", grpc.StatusCode.RESOURCE_EXHAUSTED, "IMAGE_TOO_LARGE"),
    ("notes", "DescribeImage", grpc.StatusCode.INVALID_ARGUMENT, "IMAGE_UNDECODABLE"),
    ("scenes", "DescribeImage", grpc.StatusCode.INVALID_ARGUMENT, "IMAGE_UNDECODABLE"),
    ("audio", "DescribeVideo", grpc.StatusCode.INVALID_ARGUMENT, "NO_VIDEO_STREAM"),
    ("truncated", "DescribeVideo", grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_UNDECODABLE"),
    ("notes", "DescribeVideo", grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_UNDECODABLE"),
])
async def test_bad_media_then_the_server_still_answers(ocr, vision_media, name, call, code, reason):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        if call == "DescribeImage":
            await ocr.DescribeImage(pb.DescribeImageRequest(image=ref(vision_media[name]), task=pb.VISION_TASK_OCR))
        else:
            async for _ in ocr.DescribeVideo(pb.DescribeVideoRequest(video=ref(vision_media[name]))):
                pass
    assert err.value.code() == code and error_info(err.value).reason == reason
    ok = await ocr.DescribeImage(pb.DescribeImageRequest(image=ref(vision_media["text_jpg"])))
    assert squash(ok.result.text) == "OPENDAILY"


async def test_hls_playlist_naming_a_video_outside_the_media_root_is_refused(ocr, media_dir, tmp_path):
    playlist = media_dir / "playlists" / f"{tmp_path.name}.m3u8"
    playlist.parent.mkdir(exist_ok=True)
    escaping_playlist(playlist, tmp_path / "outside")
    scenes = []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for response in ocr.DescribeVideo(pb.DescribeVideoRequest(video=ref(playlist))):
            scenes.append(response)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and error_info(err.value).reason == "MEDIA_UNDECODABLE"
    assert scenes == []
