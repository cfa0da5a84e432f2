"""The florence door as a hostile client tries it, on a real gRPC server
with the real application layer and a fake engine (no model): every
scene, frame, pixel and inline byte a request can make the server hold or
describe is bounded."""

from __future__ import annotations

import asyncio
import threading
import weakref

import grpc
import pytest
from PIL import Image

from optivus.media.v1 import media_ref_pb2
from optivus.vision.v1 import vision_service_pb2 as pb
from optivus.vision.v1 import vision_service_pb2_grpc as pb_grpc
from optivus_common.interceptors import error_info_from
from optivus_common.media import MediaResolver, MediaSource
from optivus_common.registry import FLORENCE
from optivus_common.server import start_server
from optivus_florence import app as app_module
from optivus_florence.app import ImageLimits, ImageRequest, VisionApp
from optivus_florence.config import FlorenceSettings
from optivus_florence.images import BYTES_PER_PIXEL
from optivus_florence.server import registration
from optivus_florence.video_pipeline import VideoConfig
from optivus_testing.florence import FakeVisionEngine, fast_video, flicker_video


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    made = tmp_path_factory.mktemp("florence-hostile")
    flicker_video(made / "flicker.mp4")
    fast_video(made / "fps1000.mp4", 1000, seconds=2)
    fast_video(made / "fps200.mp4", 200, seconds=2)
    for i in range(4):
        Image.new("L", (100, 100), 60 * i).save(made / f"limit{i}.png")  # 10 000 pixels: at the limit below
    return made


@pytest.fixture
async def serve(folder):
    started = []

    async def start(engine: FakeVisionEngine, **more):
        settings = FlorenceSettings(data_dir=folder, max_image_pixels=100 * 100, **more)
        app = VisionApp.from_settings(settings, engine, MediaResolver(settings))
        running = await start_server(settings, [registration(app)], domain=FLORENCE.domain, address="127.0.0.1:0")
        await running.set_serving(True)
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}", options=[
            ("grpc.max_send_message_length", 8 * 2**20)])
        started.append((running, channel))
        return pb_grpc.VisionServiceStub(channel)

    yield start
    for running, channel in started:
        await channel.close()
        await running.stop(None)


def video(path, **fields) -> pb.DescribeVideoRequest:
    return pb.DescribeVideoRequest(video=media_ref_pb2.MediaRef(path=str(path)), **fields)


def image(path) -> pb.DescribeImageRequest:
    return pb.DescribeImageRequest(image=media_ref_pb2.MediaRef(path=str(path)))


async def test_a_video_of_tiny_scenes_is_described_a_bounded_number_of_times(serve, folder):
    """Every frame of the flicker video is a scene change; at 30 samples a
    second that was 180 scenes (180 model passes) for 6 seconds of video."""
    engine = FakeVisionEngine()
    stub = await serve(engine)
    replies = [r async for r in stub.DescribeVideo(video(folder / "flicker.mp4", sample_fps=30))]
    summary = replies[-1].summary
    assert summary.sampled_frames == 180
    assert summary.scene_count <= 6  # OPTIVUS_FLORENCE_MIN_SCENE_SECONDS: 1
    assert all(r.scene.end.ToNanoseconds() - r.scene.start.ToNanoseconds() >= 1e9 for r in replies[:-2])
    assert sum(len(sizes) for _, _, sizes in engine.calls) == summary.described_frames == summary.scene_count


async def test_scenes_past_the_cap_are_merged_and_the_summary_says_so(serve, folder):
    engine = FakeVisionEngine()
    stub = await serve(engine, max_scenes=2, min_scene_seconds=0)
    replies = [r async for r in stub.DescribeVideo(video(folder / "flicker.mp4", sample_fps=30, include_ocr=True))]
    summary = replies[-1].summary
    assert summary.scene_count == 2 and len(replies) == 3
    # Two scenes, each described twice (the task and OCR): four images in all.
    assert sum(len(sizes) for _, _, sizes in engine.calls) == 4 and summary.described_frames == 2
    assert replies[1].scene.end.ToNanoseconds() == summary.duration.ToNanoseconds()  # the last runs to the end
    assert "OPTIVUS_FLORENCE_MAX_SCENES" in summary.warning


async def test_a_video_of_too_many_frames_a_second_is_refused_as_it_decodes(serve, folder):
    """The video's length bounds the work only at a sane frame rate: 1000
    frames a second of 16 x 16 pixels is 60 000 frames a minute to decode
    from a few hundred KB (a 64 MB file: hours of one core)."""
    engine = FakeVisionEngine()
    stub = await serve(engine)
    replies = [r async for r in stub.DescribeVideo(video(folder / "fps200.mp4"))]
    assert replies[-1].summary.decoded_frames == 400
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for _ in stub.DescribeVideo(video(folder / "fps1000.mp4")):
            pass
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info_from(err.value).reason == "VIDEO_FRAME_RATE_TOO_HIGH"


@pytest.mark.parametrize("field", ["sample_fps", "scene_threshold"])
async def test_not_a_number_is_a_bad_argument(serve, folder, field):
    """NaN passed `fps < 0 or fps > 30` and then failed deep in the decoder (INTERNAL)."""
    stub = await serve(FakeVisionEngine())
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for _ in stub.DescribeVideo(video(folder / "flicker.mp4", **{field: float("nan")})):
            pass
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info_from(err.value).reason in ("BAD_SAMPLE_FPS", "BAD_SCENE_THRESHOLD")


async def test_a_batch_holds_no_more_decoded_pixels_than_the_budget(folder, monkeypatch):
    """Images at the pixel limit, two batches at once, model batches of 4,
    and a decode budget of two such images: never more than two are held
    decoded at once (it was a model batch per call: 4 each, 8 in all), and
    every image is still answered."""
    live, most = set(), [0]
    lock = threading.Lock()
    real_open = app_module.open_image

    def counting_open(source, max_pixels):
        decoded = real_open(source, max_pixels)
        with lock:
            live.add(id(decoded))
            most[0] = max(most[0], len(live))
        weakref.finalize(decoded, live.discard, id(decoded))
        return decoded

    monkeypatch.setattr(app_module, "open_image", counting_open)
    engine = FakeVisionEngine(batch_size=4)
    settings = FlorenceSettings(data_dir=folder)
    limits = ImageLimits(workers=2, max_pixels=100 * 100, decode_budget_bytes=2 * 100 * 100 * BYTES_PER_PIXEL)
    vision = VisionApp(engine, MediaResolver(settings), limits, VideoConfig())
    requests = [ImageRequest(MediaSource(path=str(folder / f"limit{i % 4}.png"))) for i in range(12)]

    async def batch():
        return [outcome async for outcome in vision.describe_images(requests)]

    first, second = await asyncio.gather(batch(), batch())
    assert [o.index for o in first] == [o.index for o in second] == list(range(12))
    assert all(o.error is None and o.result.width == 100 for o in first + second)
    assert most[0] == 2
    assert max(len(sizes) for _, _, sizes in engine.calls) <= 2


def inline(content: bytes) -> pb.DescribeImageRequest:
    return pb.DescribeImageRequest(image=media_ref_pb2.MediaRef(content=content))


async def test_inline_media_waiting_for_a_slot_is_bounded(serve, folder):
    """Calls that carry their media inline are refused at once (retryable)
    while OPTIVUS_FLORENCE_MAX_INLINE_MB is held by calls in progress,
    instead of queueing with their messages in memory."""
    engine = FakeVisionEngine()
    engine.gate = threading.Event()
    stub = await serve(engine, max_inline_mb=1, grpc_max_message_mb=1)
    content = (folder / "limit0.png").read_bytes() + bytes(600_000)  # a PNG, then bytes after its end
    first = asyncio.ensure_future(stub.DescribeImage(inline(content)))
    try:
        assert await asyncio.to_thread(engine.entered.wait, 120)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            # A hang guard, not a speed goal: queued, this call would wait for the gate.
            await asyncio.wait_for(stub.DescribeImage(inline(content)), timeout=120)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert error_info_from(err.value).reason == "INLINE_MEDIA_BUSY"
    finally:
        engine.gate.set()
    assert (await first).result.text.startswith("100x100")
    assert (await stub.DescribeImage(inline(content))).result.text.startswith("100x100")


async def test_inline_media_over_the_message_size_is_refused_by_grpc(serve, folder):
    stub = await serve(FakeVisionEngine(), grpc_max_message_mb=1, max_inline_mb=1)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.DescribeImage(inline(bytes(2**20)))
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    ok = await stub.DescribeImage(image(folder / "limit1.png"))
    assert ok.result.text == "100x100 (60, 60, 60)"


def test_a_long_video_gets_longer_scenes_so_that_the_cap_covers_it():
    config = VideoConfig(min_scene_seconds=1.0, max_scenes=1000)
    assert config.min_scene_for(4 * 3600) == pytest.approx(14.4)
    assert config.min_scene_for(600) == 1.0 and config.min_scene_for(None) == 1.0
