"""SpeechService on a real grpc.aio server (port 0) with the real engine:
streaming, error codes with ErrorInfo reasons, health, live streaming."""

from __future__ import annotations

import asyncio
import wave

import grpc
import numpy as np
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
from optivus_common.interceptors import error_info_from
from optivus_common.media import MediaResolver
from optivus_common.registry import WHISPER
from optivus_common.server import start_server
from optivus_whisper.app import WhisperApp
from optivus_whisper.config import WhisperSettings
from optivus_whisper.engine import WhisperEngine
from optivus_whisper.server import registration

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def settings(media_dir, model_cache):
    return WhisperSettings(data_dir=media_dir, model_cache=model_cache, model="base", batch_workers=2)


@pytest.fixture(scope="module")
def engine(settings):
    engine = WhisperEngine(settings)
    engine.load()
    return engine


@pytest.fixture
async def server(settings, engine):
    running = await start_server(settings, [registration(WhisperApp(engine, MediaResolver(settings), settings))],
                                 domain=WHISPER.domain, address="127.0.0.1:0")
    await running.set_serving(True)
    yield running
    await running.stop(None)


@pytest.fixture
async def stub(server):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield pb_grpc.SpeechServiceStub(channel)


def ref(path) -> media_ref_pb2.MediaRef:
    return media_ref_pb2.MediaRef(path=str(path))


async def collect(stub, request):
    return [r async for r in stub.Transcribe(request)]


def error_info(err: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    info = error_info_from(err)
    assert info is not None, "no ErrorInfo"
    return info


async def test_segments_stream_then_one_result(stub, speech_mp3, wer):
    path, text = speech_mp3
    responses = await collect(stub, pb.TranscribeRequest(
        audio=ref(path), config=pb.RecognitionConfig(output_format=pb.OUTPUT_FORMAT_VTT)))
    *segments, last = responses
    assert segments and all(r.HasField("segment") for r in segments)
    assert [r.segment.index for r in segments] == list(range(len(segments)))
    result = last.result
    assert result.segment_count == len(segments)
    assert wer(text, result.text) <= 0.10
    assert result.language_code == "en" and result.model == "base"
    assert result.formatted.startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert 12 < result.duration.seconds < 25


async def test_inline_content(stub, speech, wer):
    path, text = speech[3]
    responses = await collect(stub, pb.TranscribeRequest(
        audio=media_ref_pb2.MediaRef(content=path.read_bytes(), filename="x.wav")))
    assert wer(text, responses[-1].result.text) <= 0.2


@pytest.mark.parametrize("key, code, reason", [
    ("outside", grpc.StatusCode.PERMISSION_DENIED, "PATH_OUTSIDE_MEDIA_ROOTS"),
    ("symlink", grpc.StatusCode.PERMISSION_DENIED, "PATH_OUTSIDE_MEDIA_ROOTS"),
    ("escape", grpc.StatusCode.PERMISSION_DENIED, "PATH_OUTSIDE_MEDIA_ROOTS"),
    ("empty", grpc.StatusCode.INVALID_ARGUMENT, "EMPTY_FILE"),
    ("text", grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_UNDECODABLE"),
    ("truncated", grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_UNDECODABLE"),
    ("no_audio", grpc.StatusCode.INVALID_ARGUMENT, "NO_AUDIO_STREAM"),
    ("playlist", grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_UNDECODABLE"),
])
async def test_bad_media_gets_a_code_and_reason(stub, bad_media, speech, key, code, reason):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await collect(stub, pb.TranscribeRequest(audio=ref(bad_media[key])))
    assert err.value.code() == code
    info = error_info(err.value)
    assert (info.reason, info.domain) == (reason, WHISPER.domain)
    ok = await collect(stub, pb.TranscribeRequest(audio=ref(speech[0][0])))
    assert ok[-1].result.text


@pytest.mark.parametrize("media, code, reason", [
    (media_ref_pb2.MediaRef(), grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_MISSING"),
    (media_ref_pb2.MediaRef(path="/etc/passwd"), grpc.StatusCode.PERMISSION_DENIED, "PATH_OUTSIDE_MEDIA_ROOTS"),
    (media_ref_pb2.MediaRef(path="nope/missing.wav"), grpc.StatusCode.PERMISSION_DENIED, "PATH_OUTSIDE_MEDIA_ROOTS"),
    (media_ref_pb2.MediaRef(url="https://example.com/a.mp3"), grpc.StatusCode.INVALID_ARGUMENT, "URL_NOT_SUPPORTED"),
    (media_ref_pb2.MediaRef(blob_key="abc.wav"), grpc.StatusCode.FAILED_PRECONDITION, "BLOB_STORE_NOT_CONFIGURED"),
    (media_ref_pb2.MediaRef(blob_key="../etc/passwd"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_BLOB_KEY"),
    (media_ref_pb2.MediaRef(content=b"\x00" * 1000), grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_UNDECODABLE"),
])
async def test_bad_references(stub, media, code, reason):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await collect(stub, pb.TranscribeRequest(audio=media))
    assert err.value.code() == code
    assert error_info(err.value).reason == reason


async def test_missing_file_inside_a_root_is_not_found(stub, media_dir):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await collect(stub, pb.TranscribeRequest(audio=ref(media_dir / "missing.wav")))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert error_info(err.value).reason == "FILE_NOT_FOUND"


async def test_health_says_not_serving_until_the_model_is_loaded(settings):
    engine = WhisperEngine(settings)  # never loaded
    running = await start_server(settings, [registration(WhisperApp(engine, MediaResolver(settings), settings))],
                                 domain=WHISPER.domain, address="127.0.0.1:0")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            for service in ("", "optivus.speech.v1.SpeechService"):
                reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
                assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await collect(pb_grpc.SpeechServiceStub(channel), pb.TranscribeRequest(audio=ref("x")))
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
            await asyncio.to_thread(engine.load)
            await running.set_serving(True)
            reply = await health.Check(health_pb2.HealthCheckRequest())
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await running.stop(None)


async def test_cancelling_a_call_frees_the_service(stub, speech_mp3, speech):
    call = stub.Transcribe(pb.TranscribeRequest(audio=ref(speech_mp3[0])))
    first = await call.read()
    assert first.HasField("segment")
    call.cancel()
    ok = await collect(stub, pb.TranscribeRequest(audio=ref(speech[5][0])))
    assert ok[-1].result.text


def pcm16(path) -> tuple[bytes, int]:
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes()), w.getframerate()


async def test_streaming_transcribe_live_pcm(stub, speech, wer):
    audio, rate = b"", 0
    reference = []
    for path, text in speech[:4]:
        data, rate = pcm16(path)
        audio += data + b"\x00\x00" * (rate // 2)
        reference.append(text)
    chunk = rate // 2 * 2  # half a second of 16-bit samples

    async def requests():
        yield pb.StreamingTranscribeRequest(config=pb.StreamingRecognitionConfig(
            encoding=pb.AUDIO_ENCODING_LINEAR16, sample_rate_hertz=rate, interim_results=True,
            config=pb.RecognitionConfig(language_code="en")))
        for i in range(0, len(audio), chunk):
            yield pb.StreamingTranscribeRequest(audio_chunk=audio[i:i + chunk])

    responses = [r async for r in stub.StreamingTranscribe(requests())]
    interim = [r for r in responses if not r.is_final]
    final_segments = [s for r in responses if r.is_final for s in r.segments]
    assert interim, "interim results were asked for"
    assert wer(" ".join(reference), " ".join(s.text for s in final_segments)) <= 0.15
    starts = [s.start.ToTimedelta().total_seconds() for s in final_segments]
    assert starts == sorted(starts)
    result = responses[-1].result
    assert abs(result.duration.ToTimedelta().total_seconds() - len(audio) / 2 / rate) < 0.01
    assert result.text == " ".join(s.text for s in final_segments)


async def test_streaming_needs_config_first(stub):
    async def requests():
        yield pb.StreamingTranscribeRequest(audio_chunk=np.zeros(100, "<i2").tobytes())

    with pytest.raises(grpc.aio.AioRpcError) as err:
        [r async for r in stub.StreamingTranscribe(requests())]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(err.value).reason == "CONFIG_MISSING"
