"""Requests take their concurrency slot before they read any reference
audio (AddReference too), and the line of requests waiting for a slot is
bounded: past it, a request is refused at once with RESOURCE_EXHAUSTED."""

from __future__ import annotations

import asyncio

import grpc
import numpy as np
import pytest
from fish_testkit import GatedEngine, error_reason, fake_engines, tts_server

from optivus.media.v1 import media_ref_pb2
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus_fish import audio
from optivus_fish.config import FishSettings
from optivus_fish.reference_audio import ReferenceAudio
from optivus_testing.rpc import rpc_error

THREE = "The first sentence is here. A second one follows it! Is this the third?"


@pytest.fixture
def settings(tmp_path) -> FishSettings:
    data = tmp_path / "data"
    return FishSettings(data_dir=data, path_video=data / "videos", fs_path=data / "fs_audio",
                        model_cache=tmp_path / "models", model="", concurrency=1, max_waiting=1)


@pytest.fixture
def voice(settings) -> bytes:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "voice.wav"
    path.write_bytes(audio.wav_bytes(0.3 * np.sin(np.linspace(0, 3000, 32000)).astype(np.float32), 16000))
    return path


@pytest.fixture
def reads(monkeypatch) -> list:
    """Every reference audio read, as it starts."""
    seen, real = [], ReferenceAudio.read

    async def read(self, source):
        seen.append(source.kind)
        return await real(self, source)
    monkeypatch.setattr(ReferenceAudio, "read", read)
    return seen


async def until(condition) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


async def test_reference_audio_waits_for_the_slot_and_the_line_is_bounded(settings, voice, reads):
    engines = fake_engines(settings)
    gated = engines.piper = GatedEngine(engines.piper)
    try:
        async with tts_server(settings, engines) as (stub, app):
            busy = aiter(stub.Synthesize(pb.SynthesizeRequest(text=THREE, engine=pb.TTS_ENGINE_PIPER)))
            assert (await anext(busy)).WhichOneof("response") == "header"
            assert (await anext(busy)).WhichOneof("response") == "chunk"  # the only slot is taken

            adding = asyncio.ensure_future(stub.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
                audio=media_ref_pb2.MediaRef(path=str(voice)), text="a tone"))))
            await until(lambda: app.slots.waiting == 1)
            assert reads == []  # in line, and its audio not read yet

            inline = pb.ReferenceAudio(audio=media_ref_pb2.MediaRef(content=voice.read_bytes()), text="a tone")
            for call in (lambda: stub.Synthesize(pb.SynthesizeRequest(text="Hi.", references=[inline])),
                         lambda: stub.AddReference(pb.AddReferenceRequest(reference=inline))):
                error = await rpc_error(call())
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert error_reason(error) == "TTS_BUSY" and "busy" in error.details()
            assert reads == []

            gated.gate.set()
            assert [r.WhichOneof("response") async for r in busy][-1] == "summary"
            added = (await adding).reference
            assert len(added.reference_id) == 32 and reads == ["path"]
    finally:
        gated.gate.set()


async def test_a_cancelled_wait_leaves_the_line(settings, voice, reads):
    engines = fake_engines(settings)
    gated = engines.piper = GatedEngine(engines.piper)
    try:
        async with tts_server(settings, engines) as (stub, app):
            busy = aiter(stub.Synthesize(pb.SynthesizeRequest(text=THREE, engine=pb.TTS_ENGINE_PIPER)))
            await anext(busy), await anext(busy)
            waiting = stub.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
                audio=media_ref_pb2.MediaRef(path=str(voice)), text="a tone")))
            task = asyncio.ensure_future(waiting)
            await until(lambda: app.slots.waiting == 1)
            waiting.cancel()
            await until(lambda: app.slots.waiting == 0)
            with pytest.raises(asyncio.CancelledError):
                await task
            gated.gate.set()
            assert [r.WhichOneof("response") async for r in busy][-1] == "summary"
            added = await stub.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
                audio=media_ref_pb2.MediaRef(path=str(voice)), text="a tone")))
            assert added.reference.reference_id and reads == ["path"]
    finally:
        gated.gate.set()
