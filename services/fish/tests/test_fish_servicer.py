"""TtsService on a real grpc.aio server (port 0) with the real engines:
Piper and Fish Speech on a tiny random OpenAudio S1 checkpoint."""

from __future__ import annotations

import struct
import wave

import grpc
import pytest
from fish_testkit import (
    GatedEngine,
    collect,
    error_reason,
    parts,
    seconds,
    tts_server,
)

from optivus.media.v1 import media_ref_pb2
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus_testing.rpc import rpc_error

pytestmark = pytest.mark.slow

THREE = "The first sentence is here. A second one follows it! Is this the third?"


@pytest.fixture
async def stub(fish_settings, engines):
    async with tts_server(fish_settings, engines) as (stub, _):
        yield stub


def piper(text: str, **kw) -> pb.SynthesizeRequest:
    return pb.SynthesizeRequest(text=text, engine=pb.TTS_ENGINE_PIPER, **kw)


def fish(text: str, **kw) -> pb.SynthesizeRequest:
    kw.setdefault("params", pb.SynthesisParams(seed=7))
    return pb.SynthesizeRequest(text=text, engine=pb.TTS_ENGINE_FISH, **kw)


async def expect_error(call, code, reason=None, message=None):
    error = await rpc_error(call())
    assert error.code() == code, error.details()
    if reason is not None:
        assert error_reason(error) == reason
    if message is not None:
        assert message in error.details()
    return error


async def test_piper_wav_stream_is_one_playable_file(stub):
    header, chunks, summary = parts(await collect(stub, piper(THREE)))
    assert header.engine == pb.TTS_ENGINE_PIPER and header.model.startswith("piper:")
    assert header.format == pb.AUDIO_FORMAT_WAV and header.channels == 1 and header.sample_rate_hertz == 22050
    data = b"".join(c.data for c in chunks)
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    rate, bits = struct.unpack("<I", data[24:28])[0], struct.unpack("<H", data[34:36])[0]
    assert (rate, bits) == (22050, 16)
    pcm_bytes = len(data) - 44
    assert pcm_bytes / 2 / rate == pytest.approx(seconds(summary.audio_duration), abs=1e-3)
    assert summary.sentence_count == 3
    assert [c.sentence_index for c in chunks] == [0, 1, 2]
    assert 2.0 < seconds(summary.audio_duration) < 15.0


async def test_pcm_format_has_no_header(stub):
    header, chunks, summary = parts(await collect(stub, piper("Just raw samples.", format=pb.AUDIO_FORMAT_PCM_S16LE)))
    data = b"".join(c.data for c in chunks)
    assert header.format == pb.AUDIO_FORMAT_PCM_S16LE and not data.startswith(b"RIFF")
    assert len(data) / 2 / header.sample_rate_hertz == pytest.approx(seconds(summary.audio_duration), abs=1e-3)


async def test_first_chunk_arrives_before_synthesis_ends(fish_settings, engines, monkeypatch):
    gated = GatedEngine(engines.piper)
    monkeypatch.setattr(engines, "piper", gated)
    try:
        async with tts_server(fish_settings, engines) as (stub, _):
            kinds, done_at_first_chunk = [], None
            async for response in stub.Synthesize(piper(THREE)):
                kinds.append(response.WhichOneof("response"))
                if kinds[-1] == "chunk" and done_at_first_chunk is None:
                    done_at_first_chunk = list(gated.pieces_done)
                    gated.gate.set()  # only now may sentences 2 and 3 be synthesized
    finally:
        gated.gate.set()
    # The client held sentence 1's audio while sentence 2 was still waiting to be spoken.
    assert done_at_first_chunk == [0]
    assert not gated.gate_timed_out
    assert kinds.count("chunk") >= 2 and gated.pieces_done == [0, 1, 2]


async def test_auto_is_fish_when_its_checkpoint_resolves(stub):
    header, chunks, summary = parts(await collect(stub, pb.SynthesizeRequest(
        text="Hello.", params=pb.SynthesisParams(seed=1))))
    assert header.engine == pb.TTS_ENGINE_FISH and header.model == "fish:tiny-openaudio-s1"
    assert header.sample_rate_hertz == 44100
    assert 0.5 < seconds(summary.audio_duration) < 3.0


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "...!?"])
async def test_empty_text_is_invalid(stub, text):
    await expect_error(lambda: stub.Synthesize(piper(text)), grpc.StatusCode.INVALID_ARGUMENT, "TEXT_EMPTY")


async def test_text_over_the_limit_is_invalid(stub, fish_settings):
    limit = fish_settings.max_text_chars
    await expect_error(lambda: stub.Synthesize(piper("a" * (limit + 1))), grpc.StatusCode.INVALID_ARGUMENT,
                       "TEXT_TOO_LONG", f"at most {limit}")


async def test_huge_text_is_refused_without_waiting_for_the_busy_engine(fish_settings, engines, monkeypatch):
    """100k characters are refused while the only synthesis slot is taken:
    the check runs before any queueing or engine work."""
    gated = GatedEngine(engines.piper)
    monkeypatch.setattr(engines, "piper", gated)
    try:
        async with tts_server(fish_settings, engines) as (stub, _):
            busy = stub.Synthesize(piper(THREE))
            first = [await anext(aiter(busy)) for _ in range(2)]  # header + first chunk: slot held
            assert first[1].WhichOneof("response") == "chunk"
            await expect_error(lambda: stub.Synthesize(piper("word " * 20_000)),
                               grpc.StatusCode.INVALID_ARGUMENT, "TEXT_TOO_LONG")
            assert gated.pieces_done == [0]  # the busy synthesis had not moved on meanwhile
            gated.gate.set()
            rest = [r async for r in busy]
            assert rest[-1].WhichOneof("response") == "summary"
    finally:
        gated.gate.set()


@pytest.mark.parametrize("params, field", [
    (pb.SynthesisParams(temperature=0.0), "temperature"),
    (pb.SynthesisParams(top_p=1.5), "top_p"),
    (pb.SynthesisParams(repetition_penalty=3.0), "repetition_penalty"),
    (pb.SynthesisParams(max_new_tokens=0), "max_new_tokens"),
    (pb.SynthesisParams(chunk_length=20), "chunk_length"),
])
async def test_out_of_range_params_are_invalid(stub, params, field):
    err = await expect_error(lambda: stub.Synthesize(fish("Hi.", params=params)),
                             grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PARAMETER")
    assert field in err.details()


async def test_stored_wavs_get_unique_names_under_fs_path(stub, fish_settings):
    paths = []
    for _ in range(2):
        *_, summary = parts(await collect(stub, piper("Store me.", store=True)))
        paths.append(summary.stored.path)
    assert paths[0] != paths[1]
    for path in paths:
        assert path.startswith(str(fish_settings.fs_path.resolve()))
        with wave.open(path) as w:
            assert w.getframerate() == 22050 and w.getnframes() > 0


async def test_references_add_list_use_delete(stub, speech, fish_settings, engines):
    path, text = speech[0]
    added = (await stub.AddReference(pb.AddReferenceRequest(
        reference=pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(path=str(path)), text=text),
        display_name="joe"))).reference
    rid = added.reference_id
    assert len(rid) == 32 and added.text == text and added.display_name == "joe"
    assert 1.0 < seconds(added.duration) < 10.0
    folder = fish_settings.fs_path / "references" / rid
    assert (folder / "audio.wav").is_file() and (folder / "meta.json").is_file()
    listed = (await stub.ListReferences(pb.ListReferencesRequest())).references
    assert rid in [r.reference_id for r in listed]

    before = engines.fish.encode_count
    header, chunks, summary = parts(await collect(stub, fish("Speak in that voice.", reference_id=rid)))
    assert header.engine == pb.TTS_ENGINE_FISH and chunks
    assert engines.fish.encode_count == before + 1
    await collect(stub, fish("Again, in the same voice.", reference_id=rid))
    assert engines.fish.encode_count == before + 1  # encoded features came from the cache

    await expect_error(lambda: stub.Synthesize(piper("Not with Piper.", reference_id=rid)),
                       grpc.StatusCode.FAILED_PRECONDITION, "VOICE_CLONING_NEEDS_FISH",
                       "voice cloning needs the fish engine")

    await stub.DeleteReference(pb.DeleteReferenceRequest(reference_id=rid))
    assert not folder.exists()
    assert rid not in [r.reference_id for r in (await stub.ListReferences(pb.ListReferencesRequest())).references]
    await expect_error(lambda: stub.DeleteReference(pb.DeleteReferenceRequest(reference_id=rid)),
                       grpc.StatusCode.NOT_FOUND, "REFERENCE_NOT_FOUND")
    await expect_error(lambda: stub.Synthesize(fish("Gone.", reference_id=rid)),
                       grpc.StatusCode.NOT_FOUND, "REFERENCE_NOT_FOUND")


async def test_inline_reference_bytes(stub, speech, engines):
    path, text = speech[1]
    ref = pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(content=path.read_bytes()), text=text)
    header, chunks, _ = parts(await collect(stub, pb.SynthesizeRequest(
        text="Cloned inline.", references=[ref], params=pb.SynthesisParams(seed=3))))
    assert header.engine == pb.TTS_ENGINE_FISH and chunks
    await expect_error(lambda: stub.Synthesize(piper("No.", references=[ref])),
                       grpc.StatusCode.FAILED_PRECONDITION, "VOICE_CLONING_NEEDS_FISH")


HOSTILE_IDS = ["../../etc", "/etc/passwd", "a" * 10_240, "..", "0" * 31 + "/", "0" * 32 + "\x00",
               "ABCDEF0123456789ABCDEF0123456789", "references/../../x", "%2e%2e%2f"]


@pytest.mark.parametrize("bad", HOSTILE_IDS)
async def test_hostile_reference_ids_are_refused(stub, bad, fish_settings):
    for call in (lambda: stub.DeleteReference(pb.DeleteReferenceRequest(reference_id=bad)),
                 lambda: stub.Synthesize(fish("Hi.", reference_id=bad))):
        await expect_error(call, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REFERENCE_ID")
    root = fish_settings.fs_path / "references"
    assert not root.exists() or all(len(p.name) == 32 for p in root.iterdir())


@pytest.mark.parametrize("audio, text, reason", [
    (media_ref_pb2.MediaRef(content=b"not audio at all" * 100), "hello", "REFERENCE_UNDECODABLE"),
    (media_ref_pb2.MediaRef(path="/etc/passwd"), "hello", "PATH_OUTSIDE_MEDIA_ROOTS"),
    (media_ref_pb2.MediaRef(), "hello", "MEDIA_MISSING"),
])
async def test_bad_reference_audio(stub, audio, text, reason):
    code = grpc.StatusCode.PERMISSION_DENIED if reason == "PATH_OUTSIDE_MEDIA_ROOTS" else grpc.StatusCode.INVALID_ARGUMENT
    await expect_error(lambda: stub.AddReference(pb.AddReferenceRequest(
        reference=pb.ReferenceAudio(audio=audio, text=text))), code, reason)


async def test_huge_reference_file_is_refused_before_it_is_read(stub, fish_settings, monkeypatch):
    """A 3 GB (sparse) WAV under the media folder: refused from its size, and
    nothing is decoded."""
    from optivus_fish import audio as fish_audio

    decoded = []
    monkeypatch.setattr(fish_audio, "decode", lambda *a, **k: decoded.append(1))
    big = fish_settings.data_dir / "huge-reference.wav"
    size = 3 << 30
    with open(big, "wb") as f:
        f.write(fish_audio.wav_header(16000, size - 44))
        f.truncate(size)
    try:
        err = await expect_error(lambda: stub.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
            audio=media_ref_pb2.MediaRef(path=str(big)), text="hello"))),
            grpc.StatusCode.INVALID_ARGUMENT, "REFERENCE_TOO_LARGE")
        assert f"at most {fish_settings.max_reference_mb:g} MB" in err.details()
        ref = pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(path=str(big)), text="hello")
        await expect_error(lambda: stub.Synthesize(fish("Hi.", references=[ref])),
                           grpc.StatusCode.INVALID_ARGUMENT, "REFERENCE_TOO_LARGE")
    finally:
        big.unlink()
    assert decoded == []


async def test_reference_without_text_is_refused(stub, speech):
    await expect_error(lambda: stub.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
        audio=media_ref_pb2.MediaRef(path=str(speech[0][0])), text="  "))),
        grpc.StatusCode.INVALID_ARGUMENT, "REFERENCE_TEXT_MISSING")


async def test_server_stays_up_after_errors(stub):
    await expect_error(lambda: stub.Synthesize(piper("")), grpc.StatusCode.INVALID_ARGUMENT)
    *_, summary = parts(await collect(stub, piper("Still here.")))
    assert seconds(summary.audio_duration) > 0.3
