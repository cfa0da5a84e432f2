"""The seed's `fish` message through the real gateway and a real fish
service process (Piper, and Fish Speech on a tiny random checkpoint)."""

from __future__ import annotations

import asyncio
import json
import wave
from pathlib import Path

import numpy as np
import pytest

from optivus_testing.fish import build
from optivus_testing.processes import running_gateway, running_service
from optivus_testing.sockets import SocketClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

AUDIO_DATA_MAX_S = 4.0


@pytest.fixture(scope="module")
def fish_address(service_env, log_dir, tmp_path_factory):
    tiny = build(tmp_path_factory.mktemp("fish-gw") / "tiny-openaudio-s1")
    env = {**service_env, "AI_FISH_MODEL": str(tiny), "OPTIVUS_FISH_MAX_NEW_TOKENS": "30"}
    with running_service("fish", env, log_dir, 300) as address:
        yield address


@pytest.fixture(scope="module")
def fish_gateway(fish_address, service_env, log_dir):
    gateway_env = {**service_env, "OPTIVUS_GATEWAY_FISH_AUDIO_DATA_MAX_S": str(AUDIO_DATA_MAX_S)}
    with running_gateway(gateway_env, {"fish": fish_address}, log_dir) as url:
        yield url


def wav_samples(path: str) -> tuple[np.ndarray, int]:
    with wave.open(path) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32767, w.getframerate()


async def test_piper_speech_reply_in_the_seed_envelope(fish_gateway, service_env):
    async with SocketClient(fish_gateway) as client:
        reply = await client.ask({"type": "fish", "text": "Good morning. How are you?", "engine": "piper", "id": 3})
    assert reply["status"] == "200", reply
    data = reply["data"]
    assert data["type"] == "fish" and data["id"] == 3 and data["engine"] == "piper"
    path = Path(data["fish"])
    assert path.is_file() and path.resolve().is_relative_to(Path(service_env["FS_PATH"]).resolve())
    samples, rate = wav_samples(data["fish"])
    assert rate == data["sample_rate"] == 22050
    assert isinstance(data["audio_data"], list) and all(isinstance(x, float) for x in data["audio_data"][:50])
    assert np.allclose(np.array(data["audio_data"], np.float32), samples, atol=1e-4)
    assert all(round(x, 4) == x for x in data["audio_data"])  # 4 decimals keep the JSON small
    assert data["duration"] == pytest.approx(samples.size / rate, abs=1e-3)
    json.dumps(reply)


async def test_each_request_gets_its_own_file(fish_gateway):
    async with SocketClient(fish_gateway) as client:
        replies = await asyncio.gather(*(client.ask({"type": "fish", "text": "Same words.", "engine": "piper"})
                                         for _ in range(2)))
    paths = [r["data"]["fish"] for r in replies]
    assert len(set(paths)) == 2 and all(Path(p).is_file() for p in paths)


async def test_audio_data_can_be_turned_off_and_is_left_out_when_long(fish_gateway):
    async with SocketClient(fish_gateway) as client:
        off = await client.ask({"type": "fish", "text": "No samples please.", "engine": "piper", "audio_data": False})
        long = await client.ask({"type": "fish", "engine": "piper",
                                 "text": "This text is long enough to take more than four seconds to say. " * 2})
    assert off["status"] == "200" and "audio_data" not in off["data"] and Path(off["data"]["fish"]).is_file()
    assert long["status"] == "200" and long["data"]["duration"] > AUDIO_DATA_MAX_S
    assert "audio_data" not in long["data"] and "limit" in long["data"]["audio_data_omitted"]


async def test_save_a_reference_then_speak_with_it(fish_gateway, speech):
    path, text = speech[0]
    async with SocketClient(fish_gateway) as client:
        saved = await client.ask({"type": "fish", "reference_audio": str(path), "reference_text": text})
        assert saved["status"] == "200", saved
        rid = saved["data"]["reference_id"]
        assert saved["data"]["status"] == "success" and saved["data"]["message"] and len(rid) == 32
        spoken = await client.ask({"type": "fish", "text": "In the saved voice.", "reference_id": rid, "seed": 5,
                                   "temperature": 0.7, "top_p": 0.8, "repetition_penalty": 1.2,
                                   "max_new_tokens": 20, "chunk_length": 150})
        refused = await client.ask({"type": "fish", "text": "Piper cannot.", "reference_id": rid, "engine": "piper"})
        inline = await client.ask({"type": "fish", "text": "Inline voice.", "seed": 1,
                                   "references": [{"audio": path.read_bytes(), "text": text}]})
    assert spoken["status"] == "200", spoken
    assert spoken["data"]["engine"] == "fish" and spoken["data"]["model"] == "fish:tiny-openaudio-s1"
    assert 0 < spoken["data"]["duration"] <= 20 * 2048 / 44100 + 0.01
    assert refused["status"] == "400" and "voice cloning needs the fish engine" in refused["data"]["error"]
    assert inline["status"] == "200" and inline["data"]["engine"] == "fish"
    assert "references" not in inline["data"]  # audio bytes are not echoed back


async def test_saving_bad_audio_answers_status_error(fish_gateway, bad_media):
    async with SocketClient(fish_gateway) as client:
        reply = await client.ask({"type": "fish", "reference_audio": str(bad_media["text"]), "reference_text": "hi"})
        outside = await client.ask({"type": "fish", "reference_audio": "/etc/passwd", "reference_text": "hi"})
    assert reply["status"] == "400" and reply["data"]["status"] == "error"
    assert "could not be decoded" in reply["data"]["message"]
    assert outside["status"] == "403" and outside["data"]["status"] == "error"


@pytest.mark.parametrize("payload, status, message", [
    ({"type": "fish", "text": ""}, "400", "empty"),
    ({"type": "fish", "text": "x" * 100_000}, "400", "at most"),
    ({"type": "fish"}, "400", "`text` must be a string"),
    ({"type": "fish", "text": "hi", "reference_id": "../../etc"}, "400", "invalid reference id"),
    ({"type": "fish", "text": "hi", "reference_id": "0" * 32}, "404", "no reference"),
    ({"type": "fish", "text": "hi", "temperature": "hot"}, "400", "`temperature` must be a number"),
    ({"type": "fish", "text": "hi", "temperature": 5.0}, "400", "temperature must be between"),
    ({"type": "fish", "text": "hi", "max_new_tokens": 2.5}, "400", "whole number"),
    ({"type": "fish", "text": "hi", "seed": 2**70}, "400", "`seed` must be a whole number from"),
    ({"type": "fish", "text": "hi", "seed": -2**64}, "400", "`seed` must be a whole number from"),
    ({"type": "fish", "text": "hi", "max_new_tokens": 2**31}, "400", "`max_new_tokens` must be a whole number"),
    ({"type": "fish", "text": "hi", "chunk_length": -2**40}, "400", "`chunk_length` must be a whole number"),
    ({"type": "fish", "text": "hi", "top_p": float("nan")}, "400", "not valid JSON (NaN"),
    ({"type": "fish", "text": "hi", "top_p": 1e309}, "400", "not valid JSON (Infinity"),
    ({"type": "fish", "text": "hi", "engine": "espeak"}, "400", "`engine` must be"),
    ({"type": "fish", "text": "hi", "references": "nope"}, "400", "`references` must be a list"),
    ({"type": "fish", "reference_audio": "a.wav"}, "400", "`reference_text` is missing"),
])
async def test_bad_requests_get_clear_errors_and_the_server_stays_up(fish_gateway, payload, status, message):
    async with SocketClient(fish_gateway) as client:
        reply = await client.ask(payload)
        assert reply["status"] == status, reply
        assert message in reply["data"]["error"], reply
        ok = await client.ask({"type": "fish", "text": "Still up.", "engine": "piper", "audio_data": False})
        assert ok["status"] == "200"


async def test_audio_data_is_built_off_the_event_loop(fish_address, monkeypatch):
    """The handler in this process against the real fish service: the float
    list (hundreds of thousands of objects for long audio) is made in a
    worker thread, so other clients' messages keep flowing meanwhile."""
    import threading

    from optivus_gateway.backends import Backends
    from optivus_gateway.config import GatewaySettings
    from optivus_gateway.handlers import Context
    from optivus_gateway.handlers import fish as fish_handler

    assert GatewaySettings.model_fields["fish_audio_data_max_s"].default <= 15
    loop_thread, built_on = threading.current_thread(), []
    real = fish_handler._float_list

    def watched(samples):
        built_on.append(threading.current_thread() is loop_thread)
        return real(samples)
    monkeypatch.setattr(fish_handler, "_float_list", watched)
    settings = GatewaySettings(fish_addr=fish_address)
    backends = Backends(settings)
    try:
        reply = await fish_handler.handle({"type": "fish", "text": "Off the loop.", "engine": "piper"},
                                          Context("sid", backends, settings, None))
    finally:
        await backends.close()
    assert reply["status"] == "200", reply
    assert built_on == [False] and len(reply["data"]["audio_data"]) > 1000


async def test_stream_sends_the_audio_as_it_is_spoken(fish_gateway):
    async with SocketClient(fish_gateway) as client:
        events, reply = await client.ask_with_progress({
            "type": "fish", "engine": "piper", "stream": True, "id": 8,
            "text": "The first sentence comes first. Then the second one. And a third."})
    assert reply["status"] == "200" and events, reply
    assert all(e["status"] == "102" and e["data"]["id"] == 8 and isinstance(e["data"]["audio"], bytes) for e in events)
    assert [e["data"]["chunk_index"] for e in events] == list(range(len(events)))
    assert len({e["data"]["sentence_index"] for e in events}) == 3
    samples, rate = wav_samples(reply["data"]["fish"])
    streamed = np.frombuffer(b"".join(e["data"]["audio"] for e in events), "<i2").astype(np.float32) / 32767
    assert events[0]["data"]["sample_rate"] == rate and np.allclose(streamed, samples, atol=1e-4)


async def test_references_are_listed_and_deleted(fish_gateway, speech):
    path, text = speech[1]
    async with SocketClient(fish_gateway) as client:
        saved = await client.ask({"type": "fish", "reference_audio": str(path), "reference_text": text,
                                  "reference_name": "listed"})
        rid = saved["data"]["reference_id"]
        listed = await client.ask({"type": "fish_references"})
        mine = [r for r in listed["data"]["references"] if r["reference_id"] == rid]
        deleted = await client.ask({"type": "fish_references", "action": "delete", "reference_id": rid})
        again = await client.ask({"type": "fish_references", "action": "delete", "reference_id": rid})
        bad = await client.ask({"type": "fish_references", "action": "delete", "reference_id": "../x"})
    assert listed["status"] == "200" and len(mine) == 1
    assert mine[0]["name"] == "listed" and mine[0]["text"] == text and mine[0]["duration"] > 1
    assert deleted["status"] == "200" and again["status"] == "404" and bad["status"] == "400"


async def test_openai_speech_with_the_real_service(fish_gateway):
    import openai

    client = openai.AsyncOpenAI(base_url=f"{fish_gateway}/v1", api_key="none", max_retries=0)
    try:
        wav = (await client.audio.speech.create(model="tts-1", voice="piper", input="Good evening, everyone.",
                                                response_format="wav")).content
        mp3 = (await client.audio.speech.create(model="tts-1", voice="piper", input="Good evening, everyone.",
                                                response_format="mp3")).content
    finally:
        await client.close()
    samples = np.frombuffer(wav[44:], "<i2")
    assert wav[:4] == b"RIFF" and samples.size > 22050 * 0.5 and np.abs(samples).max() > 1000  # real speech
    assert mp3[:3] == b"ID3" or mp3[:2] in (b"\xff\xfb", b"\xff\xf3")
