"""A transcription tells what it cost: a span below the call's own
(engine, model, device, audio seconds, decoding) and the media-seconds
metrics whose ratio to wall time is speech recognition's real-time factor
(the real application layer and servicer on a fake engine, a real server)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from opentelemetry.trace import SpanKind
from prometheus_client import REGISTRY

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
from optivus_common.media import MediaResolver
from optivus_common.registry import WHISPER
from optivus_common.server import start_server
from optivus_testing.whisper import FakeWhisperEngine
from optivus_whisper.app import WhisperApp
from optivus_whisper.config import WhisperSettings
from optivus_whisper.server import registration


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def stub(tmp_path):
    settings = WhisperSettings(data_dir=tmp_path, model_cache=tmp_path / "models", batch_workers=2)
    app = WhisperApp(FakeWhisperEngine(), MediaResolver(settings), settings)
    running = await start_server(settings, [registration(app)], domain=WHISPER.domain, address="127.0.0.1:0")
    await running.set_serving(True)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield pb_grpc.SpeechServiceStub(channel)
    await running.stop(None)


async def finished_call(span_exporter):
    """The server's span of the Transcribe call (it may end just after the
    client's last read)."""
    for _ in range(200):
        calls = [s for s in span_exporter.get_finished_spans()
                 if s.kind == SpanKind.SERVER and s.name.endswith("SpeechService/Transcribe")]
        if calls:
            return calls
        await asyncio.sleep(0.05)
    return []


async def test_a_transcription_reports_its_seconds_and_span(stub, span_exporter):
    heard = value("optivus_media_seconds_total", operation="transcribe")
    requests = value("optivus_realtime_factor_count", operation="transcribe")
    request = pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=b"one\ntwo\nthree\n"),
                                   config=pb.RecognitionConfig(decoding=pb.DECODING_BATCHED, beam_size=3))
    replies = [r async for r in stub.Transcribe(request)]
    duration = replies[-1].result.duration.ToNanoseconds() / 1e9
    assert duration == 3.0  # the fake engine: one second per line
    assert value("optivus_media_seconds_total", operation="transcribe") - heard == pytest.approx(duration)
    assert value("optivus_realtime_factor_count", operation="transcribe") - requests == 1

    (call,) = await finished_call(span_exporter)
    (work,) = [s for s in span_exporter.get_finished_spans() if s.name == "whisper.transcribe"]
    assert work.parent.span_id == call.context.span_id
    assert (work.attributes["optivus.engine"], work.attributes["optivus.model"]) == ("faster-whisper", "fake")
    assert work.attributes["optivus.device"] == "cpu" and work.attributes["optivus.beam_size"] == 3
    assert work.attributes["optivus.decoding"] == "batched" and work.attributes["optivus.segments"] == 3
    assert work.attributes["optivus.audio_seconds"] == pytest.approx(duration)
    assert work.attributes["optivus.language"] == "en"


async def test_a_refused_transcription_is_an_error_span_and_no_media_seconds(stub, span_exporter):
    heard = value("optivus_media_seconds_total", operation="transcribe")
    request = pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=b"error:UNREADABLE_AUDIO"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        [r async for r in stub.Transcribe(request)]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    (work,) = [s for s in span_exporter.get_finished_spans() if s.name == "whisper.transcribe"]
    assert not work.status.is_ok and "UNREADABLE_AUDIO" in work.status.description
    assert value("optivus_media_seconds_total", operation="transcribe") == heard
