"""VisionService on a real grpc.aio server (port 0) over the real
application layer, with a fake engine (no model): conversions, per-image
errors in batches, model batches grouped by (task, phrase), streaming
order, limits, and codes with ErrorInfo reasons."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.rpc import code_pb2
from PIL import Image

from optivus.media.v1 import media_ref_pb2
from optivus.vision.v1 import vision_service_pb2 as pb
from optivus.vision.v1 import vision_service_pb2_grpc as pb_grpc
from optivus_common.errors import InvalidArgument
from optivus_common.interceptors import error_info_from
from optivus_common.media import MediaResolver
from optivus_common.registry import FLORENCE
from optivus_common.server import start_server
from optivus_common.statuses import error_info
from optivus_florence.app import VisionApp
from optivus_florence.config import FlorenceSettings
from optivus_florence.results import Engine, Task
from optivus_florence.server import registration
from optivus_testing.florence import FakeVisionEngine, colour_video
from optivus_testing.media import ffmpeg
from optivus_testing.rpc import rpc_error

OCR_ONLY = {Task.OCR: Engine.RAPIDOCR, Task.OCR_WITH_REGION: Engine.RAPIDOCR}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("florence-fake-data")
    made = {}
    for name, colour, size in (("red", "red", (40, 20)), ("blue", "blue", (30, 30)), ("green", "green", (10, 50))):
        made[name] = folder / f"{name}.png"
        Image.new("RGB", size, colour).save(made[name])
    made["notes"] = folder / "notes.txt"
    made["notes"].write_text("not an image\n" * 20)
    made["big"] = folder / "big.png"
    Image.new("RGB", (200, 200)).save(made["big"])
    made["tone"] = folder / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", str(made["tone"]))
    made["video"] = colour_video(folder / "three.mp4", [("red", 2), ("blue", 2), ("green", 2)])
    return folder, made


class Service:
    def __init__(self, engine: FakeVisionEngine, stub: pb_grpc.VisionServiceStub) -> None:
        self.engine = engine
        self.stub = stub


@pytest.fixture
async def serve(files):
    """serve(engine, **settings) -> Service on a fresh server."""
    folder, _ = files
    started = []

    async def start(engine: FakeVisionEngine, **more) -> Service:
        settings = FlorenceSettings(data_dir=folder, max_image_pixels=150 * 100, **more)
        app = VisionApp.from_settings(settings, engine, MediaResolver(settings))
        running = await start_server(settings, [registration(app)], domain=FLORENCE.domain, address="127.0.0.1:0")
        await running.set_serving(True)
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
        started.append((running, channel))
        return Service(engine, pb_grpc.VisionServiceStub(channel))

    yield start
    for running, channel in started:
        await channel.close()
        await running.stop(None)


def ref(path) -> media_ref_pb2.MediaRef:
    return media_ref_pb2.MediaRef(path=str(path))


def image(path, task=pb.VISION_TASK_UNSPECIFIED, phrase="") -> pb.DescribeImageRequest:
    return pb.DescribeImageRequest(image=ref(path), task=task, phrase=phrase)


def reason(err: grpc.aio.AioRpcError) -> tuple[grpc.StatusCode, str]:
    info = error_info_from(err)
    assert info is not None and info.domain == FLORENCE.domain
    return err.code(), info.reason


async def test_one_image_by_path_and_by_content(serve, files):
    _, media = files
    service = await serve(FakeVisionEngine())
    by_path = (await service.stub.DescribeImage(image(media["red"], pb.VISION_TASK_OD))).result
    assert (by_path.task, by_path.engine, by_path.text) == (pb.VISION_TASK_OD, pb.VISION_ENGINE_FLORENCE2,
                                                            "40x20 (255, 0, 0)")
    assert (by_path.image_width, by_path.image_height, by_path.warning) == (40, 20, "")
    content = media_ref_pb2.MediaRef(content=media["blue"].read_bytes(), filename="blue.png")
    by_content = (await service.stub.DescribeImage(pb.DescribeImageRequest(image=content))).result
    assert by_content.task == pb.VISION_TASK_MORE_DETAILED_CAPTION and by_content.text == "30x30 (0, 0, 255)"


async def test_default_task_without_florence_is_ocr_with_a_warning(serve, files):
    _, media = files
    service = await serve(FakeVisionEngine(OCR_ONLY))
    result = (await service.stub.DescribeImage(image(media["red"]))).result
    assert result.task == pb.VISION_TASK_OCR and result.engine == pb.VISION_ENGINE_RAPIDOCR
    assert "AI_FLORENCE_MODEL" in result.warning


async def test_capabilities_say_what_the_engine_serves(serve):
    service = await serve(FakeVisionEngine(OCR_ONLY))
    reply = await service.stub.GetCapabilities(pb.GetCapabilitiesRequest())
    assert {(t.task, t.engine) for t in reply.tasks} == {(pb.VISION_TASK_OCR, pb.VISION_ENGINE_RAPIDOCR),
                                                        (pb.VISION_TASK_OCR_WITH_REGION, pb.VISION_ENGINE_RAPIDOCR)}
    assert (reply.default_task, reply.florence_model, reply.device) == (pb.VISION_TASK_OCR, "", "cpu")
    assert reply.florence_unavailable_reason


async def test_batch_answers_each_image_in_order_with_its_own_error(serve, files):
    _, media = files
    service = await serve(FakeVisionEngine(OCR_ONLY))
    requests = [
        image(media["red"], pb.VISION_TASK_OCR),
        image("/etc/passwd", pb.VISION_TASK_OCR),
        image(media["notes"], pb.VISION_TASK_OCR),
        image(media["blue"], pb.VISION_TASK_CAPTION),
        image(media["big"], pb.VISION_TASK_OCR),
        image(media["green"], 99),
        pb.DescribeImageRequest(task=pb.VISION_TASK_OCR),
        image(media["red"].with_name("gone.png")),
        image(media["green"], pb.VISION_TASK_OCR_WITH_REGION),
    ]
    replies = [r async for r in service.stub.BatchDescribeImages(pb.BatchDescribeImagesRequest(requests=requests))]
    assert [r.request_index for r in replies] == list(range(len(requests)))
    errors = {r.request_index: (r.error.code, error_info(r.error).reason) for r in replies
              if r.WhichOneof("response") == "error"}
    assert errors == {
        1: (code_pb2.PERMISSION_DENIED, "PATH_OUTSIDE_MEDIA_ROOTS"),
        2: (code_pb2.INVALID_ARGUMENT, "IMAGE_UNDECODABLE"),
        3: (code_pb2.FAILED_PRECONDITION, "FLORENCE_UNAVAILABLE"),
        4: (code_pb2.RESOURCE_EXHAUSTED, "IMAGE_TOO_LARGE"),
        5: (code_pb2.INVALID_ARGUMENT, "UNKNOWN_TASK"),
        6: (code_pb2.INVALID_ARGUMENT, "MEDIA_MISSING"),
        7: (code_pb2.NOT_FOUND, "FILE_NOT_FOUND"),
    }
    assert replies[0].result.text == "40x20 (255, 0, 0)" and replies[8].result.text == "10x50 (0, 128, 0)"
    assert replies[8].result.task == pb.VISION_TASK_OCR_WITH_REGION


async def test_batch_runs_full_model_batches_per_task_and_phrase(serve, files):
    _, media = files
    engine = FakeVisionEngine(batch_size=2)
    service = await serve(engine)
    caption, grounding = pb.VISION_TASK_CAPTION, pb.VISION_TASK_CAPTION_TO_PHRASE_GROUNDING
    requests = [image(media["red"], caption), image(media["blue"], grounding, "a car"),
                image(media["green"], caption), image(media["red"], grounding, "a boat"),
                image(media["blue"], grounding, "a car"), image(media["green"], caption)]
    replies = [r async for r in service.stub.BatchDescribeImages(pb.BatchDescribeImagesRequest(requests=requests))]
    assert [r.request_index for r in replies] == list(range(6))
    assert [r.result.task for r in replies] == [caption, grounding, caption, grounding, grounding, caption]
    # Each model batch holds one (task, phrase), full where there are enough
    # images, taken in the order of the first image still waiting.
    assert [(task, phrase, len(sizes)) for task, phrase, sizes in engine.calls] == [
        (Task.CAPTION, "", 2), (Task.CAPTION_TO_PHRASE_GROUNDING, "a car", 2),
        (Task.CAPTION_TO_PHRASE_GROUNDING, "a boat", 1), (Task.CAPTION, "", 1)]


async def test_a_failing_model_batch_is_each_of_its_images_answer(serve, files):
    _, media = files
    engine = FakeVisionEngine(batch_size=2)
    engine.fail = InvalidArgument("the model refused", reason="SOMETHING_WRONG")
    service = await serve(engine)
    replies = [r async for r in service.stub.BatchDescribeImages(pb.BatchDescribeImagesRequest(
        requests=[image(media["red"]), image(media["blue"]), image(media["green"])]))]
    assert [(r.error.code, error_info(r.error).reason) for r in replies] == [
        (code_pb2.INVALID_ARGUMENT, "SOMETHING_WRONG")] * 3
    engine.fail = RuntimeError("a bug")
    [reply] = [r async for r in service.stub.BatchDescribeImages(pb.BatchDescribeImagesRequest(
        requests=[image(media["red"])]))]
    assert (reply.error.code, reply.error.message) == (code_pb2.INTERNAL, "internal error")


@pytest.mark.parametrize("count, expected", [(0, "NO_IMAGES"), (4, "BATCH_TOO_LARGE")])
async def test_batch_size_limits(serve, files, count, expected):
    _, media = files
    service = await serve(FakeVisionEngine(), max_batch_images=3)
    err = await rpc_error(service.stub.BatchDescribeImages(
        pb.BatchDescribeImagesRequest(requests=[image(media["red"])] * count)))
    assert reason(err) == (grpc.StatusCode.INVALID_ARGUMENT, expected)


async def test_every_call_says_the_model_is_loading(serve, files):
    _, media = files
    service = await serve(FakeVisionEngine(loaded=False))
    stub = service.stub
    for call in (stub.DescribeImage(image(media["red"])),
                 stub.BatchDescribeImages(pb.BatchDescribeImagesRequest(requests=[image(media["red"])])),
                 stub.DescribeVideo(pb.DescribeVideoRequest(video=ref(media["video"]))),
                 stub.GetCapabilities(pb.GetCapabilitiesRequest())):
        err = await rpc_error(call)
        assert reason(err) == (grpc.StatusCode.UNAVAILABLE, "MODEL_NOT_LOADED")


async def test_video_streams_scenes_in_order_then_the_summary(serve, files):
    _, media = files
    engine = FakeVisionEngine(batch_size=2)
    service = await serve(engine)
    replies = [r async for r in service.stub.DescribeVideo(pb.DescribeVideoRequest(
        video=ref(media["video"]), task=pb.VISION_TASK_CAPTION, include_ocr=True))]
    assert [r.WhichOneof("response") for r in replies] == ["scene"] * 3 + ["summary"]
    scenes = [r.scene for r in replies[:3]]
    assert [s.index for s in scenes] == [0, 1, 2]
    sizes, colours = zip(*(s.text.split(" ", 1) for s in scenes))
    assert sizes == ("160x90",) * 3 and len(set(colours)) == 3  # a key frame from each colour
    assert all(s.ocr_text for s in scenes) and scenes[0].start.ToNanoseconds() == 0
    assert [round(s.end.ToNanoseconds() / 1e9) for s in scenes] == [2, 4, 6]
    summary = replies[-1].summary
    assert (summary.scene_count, summary.described_frames, summary.task) == (3, 3, pb.VISION_TASK_CAPTION)
    assert summary.decoded_frames == 60 and summary.sampled_frames == 6
    assert {task for task, _, _ in engine.calls} == {Task.CAPTION, Task.OCR}


@pytest.mark.parametrize("request_, code, expected", [
    (pb.DescribeVideoRequest(sample_fps=-1), grpc.StatusCode.INVALID_ARGUMENT, "BAD_SAMPLE_FPS"),
    (pb.DescribeVideoRequest(sample_fps=31), grpc.StatusCode.INVALID_ARGUMENT, "BAD_SAMPLE_FPS"),
    (pb.DescribeVideoRequest(scene_threshold=1.5), grpc.StatusCode.INVALID_ARGUMENT, "BAD_SCENE_THRESHOLD"),
    (pb.DescribeVideoRequest(task=77), grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_TASK"),
    (pb.DescribeVideoRequest(task=pb.VISION_TASK_CAPTION_TO_PHRASE_GROUNDING), grpc.StatusCode.INVALID_ARGUMENT,
     "PHRASE_MISSING"),
])
async def test_bad_video_requests(serve, files, request_, code, expected):
    _, media = files
    service = await serve(FakeVisionEngine())
    request_.video.CopyFrom(ref(media["video"]))
    err = await rpc_error(service.stub.DescribeVideo(request_))
    assert reason(err) == (code, expected)


@pytest.mark.parametrize("name, expected", [("notes", (grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_UNDECODABLE")),
                                            ("tone", (grpc.StatusCode.INVALID_ARGUMENT, "NO_VIDEO_STREAM"))])
async def test_video_media_errors(serve, files, name, expected):
    _, media = files
    service = await serve(FakeVisionEngine())
    err = await rpc_error(service.stub.DescribeVideo(pb.DescribeVideoRequest(video=ref(media[name]))))
    assert reason(err) == expected


async def test_a_cancelled_video_gives_its_slot_back(serve, files):
    """One worker: once a client walks away mid-video, the next call runs."""
    _, media = files
    service = await serve(FakeVisionEngine(batch_size=1), workers=1)
    call = service.stub.DescribeVideo(pb.DescribeVideoRequest(video=ref(media["video"])))
    first = await call.read()
    assert first.WhichOneof("response") == "scene"
    call.cancel()
    # A hang guard, not a speed goal: a leaked slot would block this forever.
    reply = await asyncio.wait_for(service.stub.DescribeImage(image(media["red"])), timeout=120)
    assert reply.result.text.startswith("40x20")

