"""What a described video costs is told: a span below the call's own
(engine, model, task, frames) and the frames and media-seconds metrics,
moved by exactly the summary's counts (a fake engine on a real server)."""

from __future__ import annotations

import grpc
import pytest
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from optivus.media.v1 import media_ref_pb2
from optivus.vision.v1 import vision_service_pb2 as pb
from optivus.vision.v1 import vision_service_pb2_grpc as pb_grpc
from optivus_common.media import MediaResolver
from optivus_common.registry import FLORENCE
from optivus_common.server import start_server
from optivus_florence.app import VisionApp
from optivus_florence.config import FlorenceSettings
from optivus_florence.server import registration
from optivus_testing.florence import FakeVisionEngine, colour_video


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def stub(tmp_path):
    video = colour_video(tmp_path / "two.mp4", [("red", 2), ("blue", 2)])
    settings = FlorenceSettings(data_dir=tmp_path)
    app = VisionApp.from_settings(settings, FakeVisionEngine(), MediaResolver(settings))
    running = await start_server(settings, [registration(app)], domain=FLORENCE.domain, address="127.0.0.1:0")
    await running.set_serving(True)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield pb_grpc.VisionServiceStub(channel), video
    await running.stop(None)


async def test_a_video_reports_its_frames_and_seconds(stub, span_exporter):
    stub, video = stub
    kinds = ("decoded", "sampled", "described")
    before = {kind: value("optivus_frames_total", operation="describe_video", kind=kind) for kind in kinds}
    seconds = value("optivus_media_seconds_total", operation="describe_video")
    rtf = value("optivus_realtime_factor_count", operation="describe_video")
    replies = [r async for r in stub.DescribeVideo(pb.DescribeVideoRequest(
        video=media_ref_pb2.MediaRef(path=str(video)), task=pb.VISION_TASK_CAPTION))]
    summary = replies[-1].summary
    counts = {"decoded": summary.decoded_frames, "sampled": summary.sampled_frames,
              "described": summary.described_frames}
    assert counts["described"] == 2 and counts["decoded"] > counts["sampled"] > 0
    for kind in kinds:
        assert value("optivus_frames_total", operation="describe_video", kind=kind) - before[kind] == counts[kind]
    assert value("optivus_media_seconds_total", operation="describe_video") - seconds == pytest.approx(
        summary.duration.ToNanoseconds() / 1e9)
    assert value("optivus_realtime_factor_count", operation="describe_video") - rtf == 1

    spans = span_exporter.get_finished_spans()
    (work,) = [s for s in spans if s.name == "florence.describe_video"]
    (call,) = [s for s in spans if s.kind == SpanKind.SERVER and s.name.endswith("VisionService/DescribeVideo")]
    assert work.parent.span_id == call.context.span_id
    assert work.attributes["optivus.engine"] == "florence2" and work.attributes["optivus.task"] == "CAPTION"
    assert work.attributes["optivus.frames_decoded"] == counts["decoded"]
    assert work.attributes["optivus.frames_described"] == 2
    assert work.attributes["optivus.scenes"] == 2
