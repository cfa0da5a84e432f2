"""Known speakers without a model: the store (validated ids and names,
unique names, a bounded count), matching clusters to voice prints, and
EnrollSpeaker / ListSpeakers / DeleteSpeaker through SpeechService on a
real grpc.aio server, over the real application layer and Diarizer with a
speaker encoder that hears only loudness."""

from __future__ import annotations

import wave

import grpc
import numpy as np
import pytest

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus_common.errors import InvalidArgument, NotFound
from optivus_common.interceptors import error_info_from
from optivus_common.media import MediaResolver
from optivus_testing.whisper import FakeWhisperEngine
from optivus_testing.whisper import serving as whisper_serving
from optivus_whisper import diarization as d
from optivus_whisper.app import WhisperApp
from optivus_whisper.config import WhisperSettings
from optivus_whisper.diarizer import Diarizer
from optivus_whisper.known_speakers import FolderSpeakers

RATE = 16000


def unit(*values):
    v = np.array(values, np.float32)
    return v / np.linalg.norm(v)


async def test_the_store_keeps_voice_prints_under_unique_names(tmp_path):
    store = FolderSpeakers(tmp_path / "speakers", limit=2)
    alice = await store.add("Alice", 5.0, "resemblyzer", np.array([3.0, 4.0]))
    assert len(alice.speaker_id) == 32 and np.allclose(alice.vector, [0.6, 0.8])
    with pytest.raises(InvalidArgument) as err:
        await store.add("alice", 5.0, "resemblyzer", np.array([1.0, 0.0]))
    assert err.value.reason == "SPEAKER_NAME_TAKEN"
    await store.add("Bob", 3.0, "resemblyzer", np.array([1.0, 0.0]))
    with pytest.raises(InvalidArgument) as err:
        await store.add("Carol", 3.0, "resemblyzer", np.array([1.0, 0.0]))
    assert err.value.reason == "TOO_MANY_SPEAKERS"
    (tmp_path / "speakers" / "notes.txt").write_text("not a speaker")
    (tmp_path / "speakers" / ("0" * 32 + ".json")).write_text("{broken")
    assert [s.name for s in await store.list()] == ["Alice", "Bob"]
    await store.delete(alice.speaker_id)
    assert [s.name for s in await store.list()] == ["Bob"]
    with pytest.raises(NotFound):
        await store.delete(alice.speaker_id)


@pytest.mark.parametrize("speaker_id", ["../../etc/passwd", "ABCDEF" + "0" * 26, "", "0" * 33])
async def test_a_client_id_never_reaches_a_path_unless_it_is_one_of_ours(tmp_path, speaker_id):
    with pytest.raises(InvalidArgument) as err:
        await FolderSpeakers(tmp_path, 10).delete(speaker_id)
    assert err.value.reason == "INVALID_SPEAKER_ID"


def test_clusters_take_the_names_of_matching_voice_prints_one_to_one():
    vectors = np.stack([unit(1, 0, 0)] * 3 + [unit(0, 1, 0)] * 3 + [unit(0, 0, 1)] * 3)
    labels = np.array([0] * 3 + [1] * 3 + [2] * 3)
    known = np.stack([unit(0, 1, 0.1), unit(0, 1, 0.2), unit(1, 1, 0)])
    # Cluster 1 is closest to both first prints: it takes the closer one; cluster 0
    # is 0.71 from the third, under the threshold; cluster 2 matches nothing.
    assert d.match_known(vectors, labels, known, threshold=0.9) == {1: 0}
    assert d.match_known(vectors, labels, known, threshold=0.7) == {1: 0, 0: 2}


def test_named_speakers_keep_their_names_and_the_others_are_numbered():
    segments = [d.Segment(i, float(i), i + 1.0, str(i)) for i in range(3)]
    out = d.label_segments(segments, np.array([0.5, 1.5, 2.5]), np.array([0, 1, 2]), {1: "Alice"})
    assert [s.speaker for s in out] == ["SPEAKER_00", "Alice", "SPEAKER_01"]


class LoudnessEncoder:
    """Hears how loud a window is, nothing else."""

    name = "loudness"
    window_s = 1.0

    def load(self):
        pass

    def embed(self, audio, starts):
        out = []
        for s in starts:
            window = audio[int(s * RATE):int((s + self.window_s) * RATE)]
            level = float(np.sqrt(np.mean(np.square(window)))) if window.size else 0.0
            out.append(unit(1.0, 10 * level))
        return np.stack(out)


def wav(path, seconds, level):
    samples = (np.sin(np.arange(int(seconds * RATE)) * 0.05) * level * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return media_ref_pb2.MediaRef(path=str(path))


@pytest.fixture
def settings(tmp_path):
    return WhisperSettings(data_dir=tmp_path, model_cache=tmp_path / "models", max_known_speakers=3)


def serving(settings):
    diarizer = Diarizer(LoudnessEncoder(), 0.3, 4, 60, 0.9)
    return whisper_serving(settings, WhisperApp(FakeWhisperEngine(), MediaResolver(settings), settings, diarizer))


async def reason_of(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value.code(), error_info_from(err.value).reason


async def test_enrol_list_delete(settings, tmp_path):
    async with serving(settings) as stub:
        enrolled = (await stub.EnrollSpeaker(pb.EnrollSpeakerRequest(
            audio=wav(tmp_path / "alice.wav", 3.0, 0.1), name=" Alice "))).speaker
        assert enrolled.name == "Alice" and enrolled.encoder == "loudness" and enrolled.duration.seconds == 3
        listed = (await stub.ListSpeakers(pb.ListSpeakersRequest())).speakers
        assert [(s.speaker_id, s.name) for s in listed] == [(enrolled.speaker_id, "Alice")]
        assert (settings.data_dir / "speakers" / f"{enrolled.speaker_id}.json").is_file()
        await stub.DeleteSpeaker(pb.DeleteSpeakerRequest(speaker_id=enrolled.speaker_id))
        assert not (await stub.ListSpeakers(pb.ListSpeakersRequest())).speakers
        assert await reason_of(stub.DeleteSpeaker(pb.DeleteSpeakerRequest(speaker_id=enrolled.speaker_id))) == (
            grpc.StatusCode.NOT_FOUND, "SPEAKER_NOT_FOUND")


@pytest.mark.parametrize("name, seconds, code, reason", [
    ("SPEAKER_00", 3.0, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SPEAKER_NAME"),
    ("../x", 3.0, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SPEAKER_NAME"),
    ("", 3.0, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SPEAKER_NAME"),
    ("x" * 65, 3.0, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SPEAKER_NAME"),
    ("Bob", 1.0, grpc.StatusCode.INVALID_ARGUMENT, "ENROLMENT_TOO_SHORT"),
    ("Bob", 61.0, grpc.StatusCode.RESOURCE_EXHAUSTED, "AUDIO_TOO_LONG"),
])
async def test_bad_enrolments_are_refused_with_a_reason(settings, tmp_path, name, seconds, code, reason):
    async with serving(settings) as stub:
        request = pb.EnrollSpeakerRequest(audio=wav(tmp_path / "clip.wav", seconds, 0.1), name=name)
        assert await reason_of(stub.EnrollSpeaker(request)) == (code, reason)
        assert not (await stub.ListSpeakers(pb.ListSpeakersRequest())).speakers


async def test_bad_ids_and_a_full_store(settings, tmp_path):
    async with serving(settings) as stub:
        assert await reason_of(stub.DeleteSpeaker(pb.DeleteSpeakerRequest(speaker_id="../speakers"))) == (
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SPEAKER_ID")
        for i, name in enumerate(["A", "B", "C"]):
            await stub.EnrollSpeaker(pb.EnrollSpeakerRequest(audio=wav(tmp_path / f"{i}.wav", 2.5, 0.1), name=name))
        request = pb.EnrollSpeakerRequest(audio=wav(tmp_path / "d.wav", 2.5, 0.1), name="D")
        assert await reason_of(stub.EnrollSpeaker(request)) == (grpc.StatusCode.INVALID_ARGUMENT, "TOO_MANY_SPEAKERS")
        request = pb.EnrollSpeakerRequest(audio=wav(tmp_path / "e.wav", 2.5, 0.1), name="a")
        assert await reason_of(stub.EnrollSpeaker(request)) == (grpc.StatusCode.INVALID_ARGUMENT, "TOO_MANY_SPEAKERS")


async def test_without_a_speaker_model_enrolment_is_refused(settings, tmp_path):
    app = WhisperApp(FakeWhisperEngine(), MediaResolver(settings), settings, None)
    async with whisper_serving(settings, app) as stub:
        assert await reason_of(stub.ListSpeakers(pb.ListSpeakersRequest())) == (
            grpc.StatusCode.FAILED_PRECONDITION, "DIARIZATION_DISABLED")
