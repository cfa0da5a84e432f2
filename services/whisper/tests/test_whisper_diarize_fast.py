"""diarize through SpeechService on a real grpc.aio server (port 0), over
the real application layer with a fake engine and a fake diarizer (no
model): labels on segments and words, the bounds, the errors and their
reasons, and nothing new in a transcript that did not ask; live sessions
over the real Diarizer with a speaker encoder that hears loudness only."""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus_common.interceptors import error_info_from
from optivus_common.media import MediaResolver
from optivus_common.registry import WHISPER
from optivus_testing.whisper import FakeDiarizer, FakeWhisperEngine, LoudnessSpeakerEncoder, word_audio
from optivus_testing.whisper import serving as whisper_serving
from optivus_whisper.app import WhisperApp
from optivus_whisper.config import WhisperSettings
from optivus_whisper.diarizer import Diarizer

TALK = b"alpha apple bravo\nbeta\n"  # speakers by first letter: a, b, b


@pytest.fixture
def settings(tmp_path):
    return WhisperSettings(data_dir=tmp_path, model_cache=tmp_path / "models", batch_workers=2)


@pytest.fixture
def engine():
    return FakeWhisperEngine()


@pytest.fixture
def diarizer():
    return FakeDiarizer(max_speakers=4)


def serving(settings, engine, diarizer):
    return whisper_serving(settings, WhisperApp(engine, MediaResolver(settings), settings, diarizer))


@pytest.fixture
async def stub(settings, engine, diarizer):
    async with serving(settings, engine, diarizer) as stub:
        yield stub


def request(config: pb.RecognitionConfig, content: bytes = TALK) -> pb.TranscribeRequest:
    return pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=content, filename="talk.wav"), config=config)


async def failure(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        [r async for r in call]
    info = error_info_from(err.value)
    assert info is not None and info.domain == WHISPER.domain
    return err.value.code(), info.reason


async def test_segments_carry_speakers_and_are_cut_where_the_speaker_changes(stub, engine, diarizer):
    config = pb.RecognitionConfig(diarize=True, output_format=pb.OUTPUT_FORMAT_SRT)
    *segments, last = [r async for r in stub.Transcribe(request(config))]
    assert [(r.segment.index, r.segment.text, r.segment.speaker) for r in segments] == [
        (0, "alpha apple", "SPEAKER_00"), (1, "bravo", "SPEAKER_01"), (2, "beta", "SPEAKER_01")]
    assert all(not r.segment.words for r in segments)  # words were not asked for
    assert (engine.options[0].word_timestamps, engine.options[0].diarize) == (True, True)
    ((given, low, high),) = diarizer.calls
    assert all(s.words for s in given) and (low, high) == (0, 0)
    result = last.result
    assert list(result.speakers) == ["SPEAKER_00", "SPEAKER_01"] and result.segment_count == 3
    assert "[SPEAKER_00] alpha apple" in result.formatted and "[SPEAKER_01] beta" in result.formatted


async def test_words_carry_speakers_when_asked_for(stub):
    config = pb.RecognitionConfig(diarize=True, word_timestamps=True, min_speakers=2, max_speakers=3)
    *segments, _ = [r async for r in stub.Transcribe(request(config))]
    words = [(w.word.strip(), w.speaker) for r in segments for w in r.segment.words]
    assert words == [("alpha", "SPEAKER_00"), ("apple", "SPEAKER_00"), ("bravo", "SPEAKER_01"),
                     ("beta", "SPEAKER_01")]


async def test_bounds_reach_the_diarizer(stub, diarizer):
    [r async for r in stub.Transcribe(request(pb.RecognitionConfig(diarize=True, min_speakers=2, max_speakers=4)))]
    assert [(low, high) for _, low, high in diarizer.calls] == [(2, 4)]


async def test_without_diarize_nothing_changes(stub, engine, diarizer):
    *segments, last = [r async for r in stub.Transcribe(request(pb.RecognitionConfig()))]
    assert [r.segment.text for r in segments] == ["alpha apple bravo", "beta"]
    assert all(r.segment.speaker == "" and not r.segment.words for r in segments)
    assert list(last.result.speakers) == [] and not diarizer.calls
    assert engine.options[0].word_timestamps is False


@pytest.mark.parametrize("config, reason", [
    (pb.RecognitionConfig(diarize=True, min_speakers=3, max_speakers=2), "BAD_SPEAKER_COUNT"),
    (pb.RecognitionConfig(diarize=True, max_speakers=5), "BAD_SPEAKER_COUNT"),  # over the server's 4
    (pb.RecognitionConfig(diarize=True, min_speakers=-1), "BAD_SPEAKER_COUNT"),
    (pb.RecognitionConfig(min_speakers=2), "SPEAKERS_WITHOUT_DIARIZE"),
    (pb.RecognitionConfig(max_speakers=2), "SPEAKERS_WITHOUT_DIARIZE"),
])
async def test_bad_speaker_options_are_refused_with_a_reason(stub, engine, config, reason):
    assert await failure(stub.Transcribe(request(config))) == (grpc.StatusCode.INVALID_ARGUMENT, reason)
    assert not engine.options  # refused before any decoding


async def test_a_server_without_a_speaker_model_says_so(settings, engine):
    async with serving(settings, engine, None) as stub:
        assert await failure(stub.Transcribe(request(pb.RecognitionConfig(diarize=True)))) == (
            grpc.StatusCode.FAILED_PRECONDITION, "DIARIZATION_DISABLED")
        ok = [r async for r in stub.Transcribe(request(pb.RecognitionConfig()))]
        assert ok[-1].result.text == "alpha apple bravo beta"


@pytest.fixture
async def live_stub(settings, engine):
    diarizer = Diarizer(LoudnessSpeakerEncoder(), 0.3, 4, 60, 0.8)
    async with serving(settings, engine, diarizer) as stub:
        yield stub


def live(audio: np.ndarray, config: pb.RecognitionConfig):
    async def requests():
        yield pb.StreamingTranscribeRequest(config=pb.StreamingRecognitionConfig(
            encoding=pb.AUDIO_ENCODING_FLOAT32, config=config))
        for i in range(0, audio.size, 8000):
            yield pb.StreamingTranscribeRequest(audio_chunk=audio[i:i + 8000].astype("<f4").tobytes())
    return requests()


async def test_live_final_segments_carry_speakers_consistently(live_stub):
    # Quiet words are one voice and loud words another (LoudnessSpeakerEncoder).
    audio = word_audio([0.1, 0.11, 0.12, 0.5, 0.51, 0.52, 0.13, 0.14])
    responses = [r async for r in live_stub.StreamingTranscribe(live(audio, pb.RecognitionConfig(diarize=True)))]
    finals = [s for r in responses if r.is_final for s in r.segments]
    assert [(s.text, s.speaker) for s in finals] == [
        ("w100", "SPEAKER_00"), ("w110", "SPEAKER_00"), ("w120", "SPEAKER_00"), ("w500", "SPEAKER_01"),
        ("w510", "SPEAKER_01"), ("w520", "SPEAKER_01"), ("w130", "SPEAKER_00"), ("w140", "SPEAKER_00")]
    assert list(responses[-1].result.speakers) == ["SPEAKER_00", "SPEAKER_01"]


async def test_live_max_speakers_caps_the_voices(live_stub):
    audio = word_audio([0.1, 0.5, 0.1])
    config = pb.RecognitionConfig(diarize=True, max_speakers=1)
    responses = [r async for r in live_stub.StreamingTranscribe(live(audio, config))]
    assert {s.speaker for r in responses for s in r.segments} == {"SPEAKER_00"}


async def test_live_sessions_take_no_min_speakers(live_stub):
    config = pb.RecognitionConfig(diarize=True, min_speakers=2)
    # The config alone: a client still writing when the server ends the call sees INTERNAL in grpc.aio.
    assert await failure(live_stub.StreamingTranscribe(live(np.zeros(0, np.float32), config))) == (
        grpc.StatusCode.INVALID_ARGUMENT, "BAD_SPEAKER_COUNT")


async def test_live_without_diarize_has_no_speakers(live_stub):
    responses = [r async for r in live_stub.StreamingTranscribe(live(word_audio([0.1, 0.5]), pb.RecognitionConfig()))]
    assert all(s.speaker == "" for r in responses for s in r.segments)
    assert not responses[-1].result.speakers
