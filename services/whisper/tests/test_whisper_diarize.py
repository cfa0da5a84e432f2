"""diarize with the real models, through SpeechService on a real grpc.aio
server: a conversation of two voices from the test corpus (the Piper
voice and a pitch-and-formant-shifted variant, turns of 2 to 15 s) is
labelled with two speakers, with a diarization error rate under 15 %
(0.25 s collar)."""

from __future__ import annotations

import pytest

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus_common.media import MediaResolver
from optivus_testing.diarization import Turn, Voices, conversation, diarization_error_rate
from optivus_testing.whisper import serving as whisper_serving
from optivus_whisper.app import WhisperApp
from optivus_whisper.config import WhisperSettings
from optivus_whisper.diarizer import Diarizer
from optivus_whisper.engine import WhisperEngine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def settings(media_dir, model_cache):
    # The live test sends its audio as fast as it can.
    return WhisperSettings(data_dir=media_dir, model_cache=model_cache, model="base", batch_workers=2,
                           live_max_speed=1e6)


@pytest.fixture(scope="module")
def talk(piper_voice, media_dir):
    talk = conversation(Voices(piper_voice), speakers=2, seconds=60, seed=0)
    return talk, talk.write(media_dir / "two_speakers.wav")


@pytest.fixture
async def stub(settings):
    engine, diarizer = WhisperEngine(settings), Diarizer.from_settings(settings)
    engine.load()
    diarizer.load()
    async with whisper_serving(settings, WhisperApp(engine, MediaResolver(settings), settings, diarizer)) as stub:
        yield stub


def _seconds(d) -> float:
    return d.seconds + d.nanos / 1e9


async def test_two_speakers_are_found_and_told_apart(stub, talk):
    conversation_, path = talk
    request = pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(path=str(path)), config=pb.RecognitionConfig(
        language_code="en", diarize=True, word_timestamps=True, output_format=pb.OUTPUT_FORMAT_VTT))
    *responses, last = [r async for r in stub.Transcribe(request)]
    segments = [r.segment for r in responses]
    assert list(last.result.speakers) == ["SPEAKER_00", "SPEAKER_01"]
    assert [s.index for s in segments] == list(range(len(segments)))
    assert all(s.speaker and all(w.speaker == s.speaker for w in s.words) for s in segments)
    hypothesis = [Turn(s.speaker, _seconds(s.start), _seconds(s.end)) for s in segments]
    der = diarization_error_rate(conversation_.turns, hypothesis, collar=0.25)
    assert der < 0.15, f"DER {der:.1%}"
    assert "<v SPEAKER_00>" in last.result.formatted and "<v SPEAKER_01>" in last.result.formatted


async def test_an_enrolled_voice_is_named(stub, talk, speech):
    conversation_, path = talk
    clip, _ = speech[1]  # the unshifted Piper voice (speaker 0), saying something the conversation does not
    enrolled = (await stub.EnrollSpeaker(pb.EnrollSpeakerRequest(audio=media_ref_pb2.MediaRef(path=str(clip)),
                                                                 name="Joe"))).speaker
    try:
        request = pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(path=str(path)),
                                       config=pb.RecognitionConfig(language_code="en", diarize=True))
        *responses, last = [r async for r in stub.Transcribe(request)]
    finally:
        await stub.DeleteSpeaker(pb.DeleteSpeakerRequest(speaker_id=enrolled.speaker_id))
    assert sorted(last.result.speakers) == ["Joe", "SPEAKER_00"]

    def who(at: float):
        return next((t.speaker for t in conversation_.turns if t.start - 0.5 <= at <= t.end + 0.5), None)

    joes = [who((_seconds(r.segment.start) + _seconds(r.segment.end)) / 2)
            for r in responses if r.segment.speaker == "Joe"]
    assert joes and joes.count(0) >= 0.9 * len(joes)


async def test_a_live_session_labels_its_final_segments(stub, talk):
    conversation_, _ = talk

    async def requests():
        yield pb.StreamingTranscribeRequest(config=pb.StreamingRecognitionConfig(
            encoding=pb.AUDIO_ENCODING_FLOAT32, config=pb.RecognitionConfig(language_code="en", diarize=True)))
        audio = conversation_.audio
        for i in range(0, audio.size, 8000):
            yield pb.StreamingTranscribeRequest(audio_chunk=audio[i:i + 8000].astype("<f4").tobytes())

    responses = [r async for r in stub.StreamingTranscribe(requests())]
    finals = [s for r in responses if r.is_final for s in r.segments]
    assert list(responses[-1].result.speakers) == ["SPEAKER_00", "SPEAKER_01"]
    hypothesis = [Turn(s.speaker, _seconds(s.start), _seconds(s.end)) for s in finals]
    der = diarization_error_rate(conversation_.turns, hypothesis, collar=0.25)
    print(f"live DER {der:.1%}")
    assert der < 0.15, f"DER {der:.1%}"
