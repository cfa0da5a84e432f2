"""A synthesis tells what it cost: a span below the call's own (engine,
characters, seconds spoken) and the media-seconds metrics whose ratio to
wall time is synthesis's real-time factor (fake engines, a real server)."""

from __future__ import annotations

import pytest
from fish_testkit import collect, fake_engines, parts, seconds, tts_server
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus_fish.config import FishSettings


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_synthesis_reports_its_seconds_and_span(tmp_path, span_exporter):
    data = tmp_path / "data"
    settings = FishSettings(data_dir=data, path_video=data / "videos", fs_path=data / "fs_audio",
                            model_cache=tmp_path / "models", model="")
    spoken = value("optivus_media_seconds_total", operation="synthesize")
    requests = value("optivus_realtime_factor_count", operation="synthesize")
    text = "One sentence here. And another one."
    async with tts_server(settings, fake_engines(settings)) as (stub, _):
        _, _, summary = parts(await collect(stub, pb.SynthesizeRequest(text=text, engine=pb.TTS_ENGINE_PIPER)))
    duration = seconds(summary.audio_duration)
    assert duration > 0
    assert value("optivus_media_seconds_total", operation="synthesize") - spoken == pytest.approx(duration)
    assert value("optivus_realtime_factor_count", operation="synthesize") - requests == 1

    spans = span_exporter.get_finished_spans()
    (work,) = [s for s in spans if s.name == "fish.synthesize"]
    (call,) = [s for s in spans if s.kind == SpanKind.SERVER and s.name.endswith("TtsService/Synthesize")]
    assert work.parent.span_id == call.context.span_id
    assert (work.attributes["optivus.engine"], work.attributes["optivus.model"]) == ("piper", "piper:fake")
    assert work.attributes["optivus.chars"] == len(text) and work.attributes["optivus.sentences"] == 2
    assert work.attributes["optivus.audio_seconds"] == pytest.approx(duration)
