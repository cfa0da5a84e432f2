"""SpeechService on a real grpc.aio server (port 0) over the real
application layer and a fake engine (no model): validation, codes and
ErrorInfo reasons, streaming order, cancellation, live sessions."""

from __future__ import annotations

import asyncio

import grpc
import numpy as np
import pytest

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus_common.interceptors import error_info_from
from optivus_common.media import MediaResolver
from optivus_common.registry import WHISPER
from optivus_testing.whisper import FakeWhisperEngine, word_audio
from optivus_testing.whisper import serving as whisper_serving
from optivus_whisper.app import WhisperApp
from optivus_whisper.config import WhisperSettings


@pytest.fixture
def settings(tmp_path):
    # Live tests send their audio as fast as they can: no speed limit here
    # unless a test asks for one.
    return WhisperSettings(data_dir=tmp_path, model_cache=tmp_path / "models", batch_workers=2,
                           live_max_speed=1e6)


@pytest.fixture
def engine():
    return FakeWhisperEngine()


def serving(settings, engine):
    return whisper_serving(settings, WhisperApp(engine, MediaResolver(settings), settings))


@pytest.fixture
async def stub(settings, engine):
    async with serving(settings, engine) as stub:
        yield stub


def media(settings, name: str, content: bytes) -> media_ref_pb2.MediaRef:
    path = settings.data_dir / name
    path.write_bytes(content)
    return media_ref_pb2.MediaRef(path=str(path))


async def failure(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        [r async for r in call]
    info = error_info_from(err.value)
    assert info is not None and info.domain == WHISPER.domain
    return err.value.code(), info.reason


async def one_chunk_failure(stub, audio: np.ndarray) -> tuple[grpc.StatusCode, str]:
    """failure() of a live call whose audio travels in one chunk (a client
    still writing when the server ends a call sees a local INTERNAL status
    in grpc.aio, whatever the server said)."""
    return await failure(stub.StreamingTranscribe(_live_requests(audio, chunk_s=audio.size / 16000)))


async def test_segments_stream_in_order_then_one_result(stub, settings, engine):
    request = pb.TranscribeRequest(
        audio=media(settings, "a.txt", b"hello there\ngeneral kenobi\n"),
        config=pb.RecognitionConfig(language_code=" DE ", task=pb.TASK_TRANSLATE, word_timestamps=True,
                                    vad_filter=True, beam_size=3, initial_prompt="Kenobi",
                                    output_format=pb.OUTPUT_FORMAT_SRT, decoding=pb.DECODING_BATCHED))
    *segments, last = [r async for r in stub.Transcribe(request)]
    assert [r.segment.text for r in segments] == ["hello there", "general kenobi"]
    assert [r.segment.index for r in segments] == [0, 1]
    assert segments[1].segment.start.seconds == 1 and segments[1].segment.end.seconds == 2
    result = last.result
    assert (result.text, result.segment_count, result.language_code, result.model) == (
        "hello there general kenobi", 2, "de", "fake")
    assert result.duration.seconds == 2
    assert result.decoding == pb.DECODING_BATCHED
    assert result.output_format == pb.OUTPUT_FORMAT_SRT
    assert result.formatted == "1\n00:00:00,000 --> 00:00:01,000\nhello there\n\n" \
                               "2\n00:00:01,000 --> 00:00:02,000\ngeneral kenobi\n"
    (options,) = engine.options
    assert (options.language, options.task, options.word_timestamps, options.vad_filter, options.beam_size,
            options.initial_prompt, options.decoding) == ("de", "translate", True, True, 3, "Kenobi", "batched")


async def test_defaults_reach_the_engine_as_none(stub, settings, engine):
    responses = [r async for r in stub.Transcribe(pb.TranscribeRequest(audio=media(settings, "b.txt", b"x\n")))]
    assert responses[-1].result.output_format == pb.OUTPUT_FORMAT_SEGMENTS
    assert responses[-1].result.formatted == ""
    assert responses[-1].result.decoding == pb.DECODING_SEQUENTIAL
    (options,) = engine.options
    assert (options.language, options.task, options.beam_size, options.initial_prompt, options.decoding) == (
        None, "transcribe", None, None, "auto")


async def test_inline_content(stub):
    request = pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=b"inline words\n", filename="x.wav"))
    responses = [r async for r in stub.Transcribe(request)]
    assert responses[-1].result.text == "inline words"


@pytest.mark.parametrize("ref, code, reason", [  # a bad reference or a bad config
    (media_ref_pb2.MediaRef(), grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_MISSING"),
    (media_ref_pb2.MediaRef(path="/etc/passwd"), grpc.StatusCode.PERMISSION_DENIED, "PATH_OUTSIDE_MEDIA_ROOTS"),
    (media_ref_pb2.MediaRef(content=b""), grpc.StatusCode.INVALID_ARGUMENT, "EMPTY_FILE"),
    (media_ref_pb2.MediaRef(url="https://example.com/a.mp3"), grpc.StatusCode.INVALID_ARGUMENT,
     "URL_NOT_SUPPORTED"),
    (media_ref_pb2.MediaRef(blob_key="abc.wav"), grpc.StatusCode.FAILED_PRECONDITION, "BLOB_STORE_NOT_CONFIGURED"),
    (media_ref_pb2.MediaRef(content=b"error:MEDIA_UNDECODABLE"), grpc.StatusCode.INVALID_ARGUMENT,
     "MEDIA_UNDECODABLE"),
    (media_ref_pb2.MediaRef(content=b"crash"), grpc.StatusCode.INTERNAL, "INTERNAL"),
    (pb.RecognitionConfig(beam_size=21), grpc.StatusCode.INVALID_ARGUMENT, "BAD_BEAM_SIZE"),
    (pb.RecognitionConfig(beam_size=-1), grpc.StatusCode.INVALID_ARGUMENT, "BAD_BEAM_SIZE"),
    (pb.RecognitionConfig(initial_prompt="x" * 2001), grpc.StatusCode.INVALID_ARGUMENT, "PROMPT_TOO_LONG"),
])
async def test_bad_requests_get_a_code_and_reason(stub, ref, code, reason):
    if isinstance(ref, pb.RecognitionConfig):
        request = pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=b"x\n"), config=ref)
    else:
        request = pb.TranscribeRequest(audio=ref)
    assert await failure(stub.Transcribe(request)) == (code, reason)
    ok = [r async for r in stub.Transcribe(pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=b"ok\n")))]
    assert ok[-1].result.text == "ok"


async def test_missing_file_inside_a_root_is_not_found(stub, settings):
    ref = media_ref_pb2.MediaRef(path=str(settings.data_dir / "missing.wav"))
    assert await failure(stub.Transcribe(pb.TranscribeRequest(audio=ref))) == (
        grpc.StatusCode.NOT_FOUND, "FILE_NOT_FOUND")


async def test_unloaded_model_is_unavailable(stub, engine):
    engine.loaded = False
    ref = media_ref_pb2.MediaRef(content=b"x\n")
    assert await failure(stub.Transcribe(pb.TranscribeRequest(audio=ref))) == (
        grpc.StatusCode.UNAVAILABLE, "MODEL_NOT_LOADED")
    assert await failure(stub.StreamingTranscribe(_live_requests(np.zeros(0, np.float32)))) == (
        grpc.StatusCode.UNAVAILABLE, "MODEL_NOT_LOADED")


async def test_cancelling_a_call_stops_the_engine(stub, engine):
    call = stub.Transcribe(pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=b"slow")))
    first = await call.read()
    assert first.segment.text == "first"
    call.cancel()
    assert await asyncio.to_thread(engine.stopped.wait, 10)
    ok = [r async for r in stub.Transcribe(pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=b"ok\n")))]
    assert ok[-1].result.text == "ok"


def _live_requests(audio: np.ndarray, rate: int = 16000, chunk_s: float = 0.5, interim: bool = False,
                   encoding=pb.AUDIO_ENCODING_FLOAT32):
    async def requests():
        yield pb.StreamingTranscribeRequest(config=pb.StreamingRecognitionConfig(
            encoding=encoding, sample_rate_hertz=rate, interim_results=interim,
            config=pb.RecognitionConfig(language_code="en", output_format=pb.OUTPUT_FORMAT_TEXT)))
        step = int(chunk_s * rate)
        for i in range(0, audio.size, step):
            piece = audio[i:i + step]
            data = piece.astype("<f4").tobytes() if encoding == pb.AUDIO_ENCODING_FLOAT32 else \
                (piece * 32767).astype("<i2").tobytes()
            yield pb.StreamingTranscribeRequest(audio_chunk=data)
    return requests()


def _seconds(d) -> float:
    return d.seconds + d.nanos / 1e9


@pytest.mark.parametrize("encoding", [pb.AUDIO_ENCODING_FLOAT32, pb.AUDIO_ENCODING_LINEAR16])
async def test_live_session_finals_cover_every_word_once(stub, encoding):
    values = [k / 1000 for k in range(1, 41)]  # 40 words over 40 s
    audio = word_audio(values)
    responses = [r async for r in stub.StreamingTranscribe(_live_requests(audio, interim=True, encoding=encoding))]
    finals = [s for r in responses if r.is_final for s in r.segments]
    assert [s.text for s in finals] == [f"w{k}" for k in range(1, 41)]
    assert [s.index for s in finals] == list(range(40))
    for k, seg in enumerate(finals):  # each word where it was spoken
        assert abs(_seconds(seg.start) - k) < 0.01 and abs(_seconds(seg.end) - k - 0.5) < 0.01
    assert any(not r.is_final for r in responses)
    result = responses[-1].result
    assert abs(_seconds(result.duration) - 40) < 0.01
    assert result.text == " ".join(s.text for s in finals)
    assert result.formatted == "".join(f"{s.text}\n" for s in finals)


async def test_live_audio_at_another_rate_is_resampled(stub):
    audio = np.repeat(word_audio([0.005, 0.006]), 3)  # 48 kHz
    responses = [r async for r in stub.StreamingTranscribe(_live_requests(audio, rate=48000))]
    assert [s.text for r in responses for s in r.segments] == ["w5", "w6"]
    assert abs(_seconds(responses[-1].result.duration) - 2) < 0.01


async def test_live_needs_config_first_and_only_once(stub):
    async def audio_first():
        yield pb.StreamingTranscribeRequest(audio_chunk=np.zeros(100, "<i2").tobytes())

    assert await failure(stub.StreamingTranscribe(audio_first())) == (
        grpc.StatusCode.INVALID_ARGUMENT, "CONFIG_MISSING")

    async def config_twice():
        config = pb.StreamingTranscribeRequest(config=pb.StreamingRecognitionConfig())
        yield config
        yield config

    assert await failure(stub.StreamingTranscribe(config_twice())) == (
        grpc.StatusCode.INVALID_ARGUMENT, "CONFIG_REPEATED")


@pytest.mark.parametrize("rate, chunks, reason", [
    (4000, [], "BAD_SAMPLE_RATE"),
    (96000, [], "BAD_SAMPLE_RATE"),
    (16000, [b"\x00\x00\x00"], "BAD_AUDIO_CHUNK"),
])
async def test_live_bad_audio(stub, rate, chunks, reason):
    async def requests():
        yield pb.StreamingTranscribeRequest(config=pb.StreamingRecognitionConfig(
            encoding=pb.AUDIO_ENCODING_LINEAR16, sample_rate_hertz=rate))
        for chunk in chunks:
            yield pb.StreamingTranscribeRequest(audio_chunk=chunk)

    assert await failure(stub.StreamingTranscribe(requests())) == (grpc.StatusCode.INVALID_ARGUMENT, reason)


# Issue #9 item 6: a hostile live client. Today's code re-transcribed an
# ever-growing window when the model returned one segment (600 s of audio:
# 301 transcriptions, 90,900 s in all) and took audio at any speed.

async def test_live_window_stays_bounded_when_the_model_returns_one_segment(settings):
    engine = FakeWhisperEngine(single_segment=True)
    values = [k / 1000 for k in range(1, 601)]  # 600 words over 600 s
    async with serving(settings, engine) as stub:
        responses = [r async for r in stub.StreamingTranscribe(_live_requests(word_audio(values), interim=True))]
    limit = (settings.live_window_seconds + 2) * 16000
    assert max(engine.array_lengths) <= limit
    assert sum(engine.array_lengths) <= 300 * limit  # one transcription per 2 s step at most
    finals = " ".join(s.text for r in responses if r.is_final for s in r.segments)
    assert finals.split() == [f"w{k}" for k in range(1, 601)]
    assert abs(_seconds(responses[-1].result.duration) - 600) < 0.01


async def test_live_without_interim_results_transcribes_little_more_than_the_audio(settings):
    engine = FakeWhisperEngine(single_segment=True)
    values = [k / 1000 for k in range(1, 301)]
    async with serving(settings, engine) as stub:
        responses = [r async for r in stub.StreamingTranscribe(_live_requests(word_audio(values)))]
    assert all(r.is_final for r in responses)
    assert sum(engine.array_lengths) <= 2 * 300 * 16000
    finals = " ".join(s.text for r in responses for s in r.segments)
    assert finals.split() == [f"w{k}" for k in range(1, 301)]


async def test_live_audio_faster_than_real_time_is_refused(settings, engine):
    settings = settings.model_copy(update={"live_max_speed": 2.0})
    async with serving(settings, engine) as stub:
        audio = word_audio([0.001] * 120)  # 120 s, sent at once
        assert await one_chunk_failure(stub, audio) == (
            grpc.StatusCode.RESOURCE_EXHAUSTED, "AUDIO_TOO_FAST")
        # A head start of one window is fine.
        ok = [r async for r in stub.StreamingTranscribe(_live_requests(word_audio([0.002] * 10)))]
        assert [s.text for r in ok for s in r.segments] == ["w2"] * 10


async def test_live_session_length_is_capped(settings, engine):
    settings = settings.model_copy(update={"live_max_seconds": 10.0})
    async with serving(settings, engine) as stub:
        assert await one_chunk_failure(stub, word_audio([0.001] * 20)) == (
            grpc.StatusCode.RESOURCE_EXHAUSTED, "AUDIO_TOO_LONG")


@pytest.fixture(scope="module")
def spans():
    """An in-memory span exporter behind the global tracer provider (set once
    per process; skipped where something else set one first)."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    if trace.get_tracer_provider() is not provider:
        pytest.skip("another tracer provider is installed")
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_the_decoding_shows_in_the_trace(stub, spans):
    spans.clear()
    request = pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=b"a\nb\n"),
                                   config=pb.RecognitionConfig(decoding=pb.DECODING_BATCHED))
    [r async for r in stub.Transcribe(request)]

    def finished():
        return [s for s in spans.get_finished_spans() if s.name.endswith("SpeechService/Transcribe")]

    for _ in range(200):  # the server's span may end just after the client's last read
        if finished():
            break
        await asyncio.sleep(0.05)
    (span,) = finished()
    assert span.attributes["whisper.decoding"] == "batched"
    assert span.attributes["whisper.segments"] == 2
