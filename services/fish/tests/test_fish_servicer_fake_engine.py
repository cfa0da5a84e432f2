"""TtsService (servicer over the application layer) on a real grpc.aio
server (port 0) with fake engines (fish_testkit.FakeEngine): validation,
codes and ErrorInfo reasons, streaming order and WAV framing, stored
files, saved references. Fast: no fish_speech, no Piper."""

from __future__ import annotations

import struct
import wave

import grpc
import numpy as np
import pytest
from fish_testkit import collect, error_reason, fake_engines, parts, seconds, tts_server

from optivus.media.v1 import media_ref_pb2
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus_fish import audio
from optivus_fish.config import FishSettings
from optivus_testing.rpc import rpc_error

THREE = "The first sentence is here. A second one follows it! Is this the third?"


@pytest.fixture
def settings(tmp_path) -> FishSettings:
    data = tmp_path / "data"
    return FishSettings(data_dir=data, path_video=data / "videos", fs_path=data / "fs_audio",
                        model_cache=tmp_path / "models", model="", max_text_chars=500)


@pytest.fixture
def engines(settings):
    return fake_engines(settings)


@pytest.fixture
async def stub(settings, engines):
    async with tts_server(settings, engines) as (stub, _):
        yield stub


@pytest.fixture
def voice(settings):
    """Two seconds of a tone as a WAV under the data folder, and its 'transcript'."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "voice.wav"
    path.write_bytes(audio.wav_bytes(0.3 * np.sin(np.linspace(0, 3000, 32000)).astype(np.float32), 16000))
    return path, "a tone standing in for a voice"


def ref_audio(path) -> pb.ReferenceAudio:
    return pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(path=str(path)), text="what is said")


async def expect_error(call, code, reason):
    error = await rpc_error(call())
    assert error.code() == code, error.details()
    assert error_reason(error) == reason, error.details()
    return error


async def test_wav_stream_header_then_one_chunk_per_sentence_then_summary(stub, engines):
    header, chunks, summary = parts(await collect(stub, pb.SynthesizeRequest(text=THREE, engine=pb.TTS_ENGINE_PIPER)))
    assert (header.engine, header.model, header.sample_rate_hertz) == (pb.TTS_ENGINE_PIPER, "piper:fake", 22050)
    assert header.format == pb.AUDIO_FORMAT_WAV and header.channels == 1
    assert [c.sentence_index for c in chunks] == [0, 1, 2]
    assert chunks[0].data[:4] == b"RIFF" and not any(c.data[:4] == b"RIFF" for c in chunks[1:])
    data = b"".join(c.data for c in chunks)
    assert struct.unpack("<I", data[24:28])[0] == 22050
    pcm_seconds = (len(data) - 44) / 2 / 22050
    assert seconds(summary.audio_duration) == pytest.approx(pcm_seconds, abs=1e-3)
    assert summary.sentence_count == 3 and not summary.HasField("stored")
    (pieces, references, _), = engines.piper.calls
    assert pieces == ["The first sentence is here.", "A second one follows it!", "Is this the third?"]
    assert references == []


async def test_pcm_format_has_no_header_and_auto_picks_fish(stub):
    header, chunks, summary = parts(await collect(stub, pb.SynthesizeRequest(
        text="Raw samples.", format=pb.AUDIO_FORMAT_PCM_S16LE)))
    assert header.engine == pb.TTS_ENGINE_FISH and header.format == pb.AUDIO_FORMAT_PCM_S16LE
    data = b"".join(c.data for c in chunks)
    assert not data.startswith(b"RIFF")
    assert len(data) / 2 / 44100 == pytest.approx(seconds(summary.audio_duration), abs=1e-3)


async def test_params_reach_the_engine(stub, engines):
    params = pb.SynthesisParams(temperature=0.5, top_p=0.7, repetition_penalty=1.2, max_new_tokens=99,
                                chunk_length=150, seed=4)
    await collect(stub, pb.SynthesizeRequest(text="Hello.", engine=pb.TTS_ENGINE_FISH, params=params))
    (_, _, got), = engines.fish.calls
    assert (got.temperature, got.top_p, got.repetition_penalty) == (0.5, 0.7, 1.2)
    assert (got.max_new_tokens, got.chunk_length, got.seed) == (99, 150, 4)


async def test_stored_wav_is_named_in_the_summary(stub, settings):
    *_, summary = parts(await collect(stub, pb.SynthesizeRequest(text="Keep me.", engine=pb.TTS_ENGINE_PIPER,
                                                                 store=True)))
    path = summary.stored.path
    assert path.startswith(str(settings.fs_path.resolve())) and summary.stored.mime_type == "audio/wav"
    with wave.open(path) as w:
        assert w.getframerate() == 22050 and w.getnframes() / 22050 == pytest.approx(
            seconds(summary.audio_duration), abs=1e-3)


@pytest.mark.parametrize("request_, code, reason", [
    (pb.SynthesizeRequest(text=" ... "), grpc.StatusCode.INVALID_ARGUMENT, "TEXT_EMPTY"),
    (pb.SynthesizeRequest(text="a" * 501), grpc.StatusCode.INVALID_ARGUMENT, "TEXT_TOO_LONG"),
    (pb.SynthesizeRequest(text="Hi.", params=pb.SynthesisParams(top_p=2)), grpc.StatusCode.INVALID_ARGUMENT,
     "INVALID_PARAMETER"),
    (pb.SynthesizeRequest(text="Hi.", engine=42), grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_ENGINE"),
    (pb.SynthesizeRequest(text="Hi.", format=42), grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_FORMAT"),
    (pb.SynthesizeRequest(text="Hi.", reference_id="../../etc"), grpc.StatusCode.INVALID_ARGUMENT,
     "INVALID_REFERENCE_ID"),
    (pb.SynthesizeRequest(text="Hi.", reference_id="0" * 32), grpc.StatusCode.NOT_FOUND, "REFERENCE_NOT_FOUND"),
    (pb.SynthesizeRequest(text="Hi.", reference_id="0" * 32, references=[ref_audio("x.wav")]),
     grpc.StatusCode.INVALID_ARGUMENT, "REFERENCES_CONFLICT"),
    (pb.SynthesizeRequest(text="Hi.", references=[ref_audio("x.wav")] * 9), grpc.StatusCode.INVALID_ARGUMENT,
     "TOO_MANY_REFERENCES"),
    (pb.SynthesizeRequest(text="Hi.", references=[pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(path="x.wav"))]),
     grpc.StatusCode.INVALID_ARGUMENT, "REFERENCE_TEXT_MISSING"),
    (pb.SynthesizeRequest(text="Hi.", references=[ref_audio("/etc/passwd")]), grpc.StatusCode.PERMISSION_DENIED,
     "PATH_OUTSIDE_MEDIA_ROOTS"),
    (pb.SynthesizeRequest(text="Hi.", engine=pb.TTS_ENGINE_PIPER, reference_id="0" * 32),
     grpc.StatusCode.FAILED_PRECONDITION, "VOICE_CLONING_NEEDS_FISH"),
])
async def test_bad_requests_get_a_code_and_a_reason_and_no_engine_work(stub, engines, request_, code, reason):
    await expect_error(lambda: stub.Synthesize(request_), code, reason)
    assert engines.fish.calls == [] and engines.piper.calls == []
    header, *_ = parts(await collect(stub, pb.SynthesizeRequest(text="Still up.")))  # and the server stays up
    assert header.engine == pb.TTS_ENGINE_FISH


async def test_while_loading_requests_are_unavailable(settings):
    async with tts_server(settings, fake_engines(settings, loaded=False)) as (stub, _):
        err = await expect_error(lambda: stub.Synthesize(pb.SynthesizeRequest(text="Hi.")),
                                 grpc.StatusCode.UNAVAILABLE, "MODEL_NOT_LOADED")
    assert "still loading" in err.details()


async def test_inline_and_saved_references_reach_fish_as_clips(stub, engines, voice):
    path, text = voice
    await collect(stub, pb.SynthesizeRequest(text="Inline.", references=[
        pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(content=path.read_bytes()), text=text)]))
    added = (await stub.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
        audio=media_ref_pb2.MediaRef(path=str(path)), text=text), display_name="tone"))).reference
    assert len(added.reference_id) == 32 and added.display_name == "tone"
    assert seconds(added.duration) == pytest.approx(2.0, abs=0.01)
    await collect(stub, pb.SynthesizeRequest(text="Saved.", reference_id=added.reference_id))
    (_, inline, _), (_, saved, _) = engines.fish.calls
    assert [c.text for c in inline] == [text] and [c.text for c in saved] == [text]
    assert inline[0].wav[:4] == b"RIFF" and inline[0].wav == saved[0].wav


async def test_references_add_list_delete(stub, voice):
    path, text = voice
    ids = []
    for name in ("one", "two"):
        ids.append((await stub.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
            audio=media_ref_pb2.MediaRef(path=str(path)), text=text), display_name=name))).reference.reference_id)
    listed = (await stub.ListReferences(pb.ListReferencesRequest())).references
    assert [r.reference_id for r in listed] == ids and [r.display_name for r in listed] == ["one", "two"]
    await stub.DeleteReference(pb.DeleteReferenceRequest(reference_id=ids[0]))
    assert [r.reference_id for r in (await stub.ListReferences(pb.ListReferencesRequest())).references] == ids[1:]
    await expect_error(lambda: stub.DeleteReference(pb.DeleteReferenceRequest(reference_id=ids[0])),
                       grpc.StatusCode.NOT_FOUND, "REFERENCE_NOT_FOUND")
    await expect_error(lambda: stub.Synthesize(pb.SynthesizeRequest(text="Gone.", reference_id=ids[0])),
                       grpc.StatusCode.NOT_FOUND, "REFERENCE_NOT_FOUND")


@pytest.mark.parametrize("bad", ["../../etc", "/etc/passwd", "a" * 10_240, "0" * 32 + "\x00", "A" * 32])
async def test_hostile_reference_ids_are_refused(stub, bad, settings):
    await expect_error(lambda: stub.DeleteReference(pb.DeleteReferenceRequest(reference_id=bad)),
                       grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REFERENCE_ID")
    root = settings.fs_path / "references"
    assert not root.exists() or all(len(p.name) == 32 for p in root.iterdir())


@pytest.mark.parametrize("reference, reason", [
    (pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(content=b"not audio" * 100), text="hi"), "REFERENCE_UNDECODABLE"),
    (pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(), text="hi"), "MEDIA_MISSING"),
    (pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(content=b"RIFF"), text=" "), "REFERENCE_TEXT_MISSING"),
])
async def test_bad_references_are_refused(stub, reference, reason):
    await expect_error(lambda: stub.AddReference(pb.AddReferenceRequest(reference=reference)),
                       grpc.StatusCode.INVALID_ARGUMENT, reason)


@pytest.mark.parametrize("caps", [{"max_references": 2}, {"references_max_mb": 2.5 * 64044 / 1048576}])
async def test_the_reference_store_is_capped(settings, voice, caps):
    """Two 2 s clips at 16 kHz (64 044 bytes each) fit; a third is refused
    until one is deleted."""
    path, text = voice
    settings = settings.model_copy(update=caps)
    add = pb.AddReferenceRequest(reference=pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(path=str(path)), text=text))
    async with tts_server(settings, fake_engines(settings)) as (stub, _):
        first = (await stub.AddReference(add)).reference.reference_id
        await stub.AddReference(add)
        err = await expect_error(lambda: stub.AddReference(add), grpc.StatusCode.RESOURCE_EXHAUSTED,
                                 "REFERENCE_STORE_FULL")
        assert "delete references" in err.details()
        await stub.DeleteReference(pb.DeleteReferenceRequest(reference_id=first))
        await stub.AddReference(add)
        assert len((await stub.ListReferences(pb.ListReferencesRequest())).references) == 2


async def test_a_broken_record_does_not_break_the_list(stub, settings, voice):
    path, text = voice
    added = (await stub.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
        audio=media_ref_pb2.MediaRef(path=str(path)), text=text)))).reference
    broken = settings.fs_path / "references" / ("f" * 32)
    broken.mkdir()
    (broken / "meta.json").write_text("{not json")
    listed = (await stub.ListReferences(pb.ListReferencesRequest())).references
    assert [r.reference_id for r in listed] == [added.reference_id]
    await expect_error(lambda: stub.Synthesize(pb.SynthesizeRequest(text="Hi.", reference_id="f" * 32)),
                       grpc.StatusCode.NOT_FOUND, "REFERENCE_NOT_FOUND")
