"""Issue 12's socket.io additions against fake backends: results as they
stream ("stream": true, "102" messages before the unchanged "200"), word
timings and the language in whisp replies, fish audio chunks as binary
attachments, fish references listed and deleted, known speakers enrolled,
listed and deleted (`whisp_speakers`), and a disconnect that
cancels a streaming call in the service. "gated" files make the fake
service hold after its first item until the test opens the gate, so a
"102" that arrives before that was sent while the service was working."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import pytest_asyncio

from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.sockets import SocketClient, eventually


# One gateway for the module (its start is most of a test's time); each
# test gets its own connection, and the fakes' records cleared.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared():
    async with fake_backends() as fakes:
        async with gateway_in_process(fakes.addresses) as (url, _):
            yield url, fakes


@pytest_asyncio.fixture(loop_scope="module")
async def stack(shared):
    url, fakes = shared
    for servicer in fakes.servicers.values():
        servicer.recorder.requests.clear()
        servicer.recorder.gate.clear()
        servicer.recorder.cancelled = 0
    fakes.servicers["fish"].references.clear()
    fakes.servicers["whisper"].speakers.clear()
    async with SocketClient(url) as client:
        yield client, fakes
    for servicer in fakes.servicers.values():
        servicer.recorder.gate.set()


async def next_reply(client: SocketClient) -> dict:
    return await asyncio.wait_for(client.replies.get(), 30)


async def test_whisp_streams_each_chunk_before_the_unchanged_reply(stack):
    client, fakes = stack
    gate = fakes.servicers["whisper"].recorder.gate
    request = {"type": "whisp", "file": "/data/gated_three_words.mp3", "id": 1}
    gate.set()
    plain = await client.ask(request)
    gate.clear()
    await client.sio.emit("message", {**request, "stream": True})
    first = await next_reply(client)
    assert first == {"status": "102", "data": {"type": "whisp", "id": 1, "file": "/data/gated_three_words.mp3",
                                               "chunk_index": 0, "chunk": {"start": 0.0, "end": 1.0, "text": "gated"}}}
    gate.set()
    rest = [await next_reply(client) for _ in range(3)]
    assert [r["status"] for r in rest] == ["102", "102", "200"]
    assert [(r["data"]["chunk_index"], r["data"]["chunk"]["text"]) for r in rest[:2]] == [(1, "three"), (2, "words")]
    final = rest[-1]
    assert final["data"] == {**plain["data"], "stream": True}  # the final reply is the one without streaming
    assert final["data"]["transcribe_audio"]["chunks"] == [e["data"]["chunk"] for e in [first, *rest[:2]]]


async def test_without_stream_nothing_comes_before_the_reply(stack):
    client, _ = stack
    events, reply = await client.ask_with_progress({"type": "whisp", "file": "/data/one_two.mp3"})
    assert events == [] and reply["status"] == "200"


async def test_a_batch_streams_each_items_chunks(stack):
    client, _ = stack
    events, reply = await client.ask_with_progress({"type": "whisp", "id": 2, "stream": True, "data": [
        {"file": "/data/alpha.mp3"}, {"file": "/data/beta_gamma.mp3"}]})
    assert reply["status"] == "200"
    by_file = {}
    for e in events:
        by_file.setdefault(e["data"]["file"], []).append(e["data"]["chunk"]["text"])
        assert e["data"]["id"] == 2
    assert by_file == {"/data/alpha.mp3": ["alpha"], "/data/beta_gamma.mp3": ["beta", "gamma"]}


async def test_word_timings_and_language(stack):
    client, fakes = stack
    reply = await client.ask({"type": "whisp", "file": "/data/hello_world.mp3", "word_timestamps": True,
                              "language": "de", "verbose": True})
    audio = reply["data"]["transcribe_audio"]
    assert audio["chunks"][1] == {"start": 1.0, "end": 2.0, "text": "world",
                                  "words": [{"start": 1.0, "end": 1.5, "word": "world", "probability": 0.5}]}
    assert (audio["language"], audio["language_probability"]) == ("de", 1.0)
    detected = await client.ask({"type": "whisp", "file": "/data/hello.mp3", "verbose": True})
    assert detected["data"]["transcribe_audio"]["language_probability"] == 0.875
    plain = await client.ask({"type": "whisp", "file": "/data/hello.mp3"})
    assert list(plain["data"]["transcribe_audio"]) == ["error", "text", "chunks"]
    assert "words" not in detected["data"]["transcribe_audio"]["chunks"][0]


async def test_stream_must_be_a_boolean(stack):
    client, fakes = stack
    reply = await client.ask({"type": "whisp", "file": "/data/a.mp3", "stream": "yes"})
    assert reply["status"] == "400" and "`stream` must be" in reply["data"]["transcribe_audio"]["error"]
    assert fakes.servicers["whisper"].recorder.requests == []


async def test_flrnc_streams_each_scene(stack):
    client, fakes = stack
    gate = fakes.servicers["florence"].recorder.gate
    await client.sio.emit("message", {"type": "flrnc", "file": "/data/gated_intro_outro.mp4", "stream": True,
                                      "ocr": True, "id": "v"})
    first = await next_reply(client)
    assert first == {"status": "102", "data": {"type": "flrnc", "id": "v", "file": "/data/gated_intro_outro.mp4",
                                               "scene_index": 0, "scene": {"start": 0.0, "end": 2.0, "text": "gated",
                                                                           "ocr_text": "GATED"}}}
    gate.set()
    rest = [await next_reply(client) for _ in range(3)]
    assert [r["status"] for r in rest] == ["102", "102", "200"]
    assert rest[-1]["data"]["transcribe_video"] == [first["data"]["scene"]] + [r["data"]["scene"] for r in rest[:2]]


async def test_fish_streams_audio_as_binary_attachments(stack):
    client, fakes = stack
    gate = fakes.servicers["fish"].recorder.gate
    await client.sio.emit("message", {"type": "fish", "text": "gated three words", "stream": True, "id": 3})
    first = await next_reply(client)
    data = first["data"]
    assert first["status"] == "102" and isinstance(data["audio"], bytes)
    assert {k: v for k, v in data.items() if k != "audio"} == {
        "type": "fish", "id": 3, "sample_rate": 16000, "format": "pcm_s16le", "sentence_index": 0, "chunk_index": 0}
    gate.set()
    rest = [await next_reply(client) for _ in range(3)]
    assert [r["status"] for r in rest] == ["102", "102", "200"]
    pcm = np.frombuffer(b"".join([data["audio"]] + [r["data"]["audio"] for r in rest[:2]]), "<i2")
    assert pcm.size == 4800 and list(np.unique(pcm)) == [1, 2, 3]  # each chunk in its place
    final = rest[-1]["data"]
    assert final["duration"] == 0.3 and len(final["audio_data"]) == 4800 and "audio" not in final


async def test_fish_references_list_and_delete(stack):
    client, fakes = stack
    saved = await client.ask({"type": "fish", "reference_audio": b"RIFF....", "reference_text": "what is said",
                              "reference_name": "anna"})
    ref_id = saved["data"]["reference_id"]
    listed = await client.ask({"type": "fish_references", "id": 9})
    assert listed["status"] == "200" and listed["data"]["id"] == 9
    (ref,) = listed["data"]["references"]
    assert (ref["reference_id"], ref["name"], ref["text"], ref["duration"]) == (ref_id, "anna", "what is said", 1.5)
    assert ref["created"].endswith("Z")
    deleted = await client.ask({"type": "fish_references", "action": "delete", "reference_id": ref_id})
    assert deleted["status"] == "200" and deleted["data"]["deleted"] is True
    again = await client.ask({"type": "fish_references", "action": "delete", "reference_id": ref_id})
    assert again["status"] == "404" and "no reference" in again["data"]["error"]
    assert (await client.ask({"type": "fish_references", "action": "list"}))["data"]["references"] == []


@pytest.mark.parametrize("payload, message", [
    ({"type": "fish_references", "action": "rename"}, "`action` must be"),
    ({"type": "fish_references", "action": "delete"}, "`reference_id` is missing"),
    ({"type": "fish_references", "action": 3}, "`action` must be"),
])
async def test_fish_references_validation(stack, payload, message):
    client, _ = stack
    reply = await client.ask(payload)
    assert reply["status"] == "400" and message in reply["data"]["error"]


async def test_whisp_speakers_enrol_list_and_delete(stack):
    client, fakes = stack
    alice = await client.ask({"type": "whisp_speakers", "action": "enroll", "name": "Alice", "audio": b"RIFF....",
                              "id": 4})
    assert alice["status"] == "200" and alice["data"]["id"] == 4 and "audio" not in alice["data"]
    speaker = alice["data"]["speaker"]
    assert (speaker["name"], speaker["duration"], len(speaker["speaker_id"])) == ("Alice", 2.5, 32)
    enrolled = fakes.servicers["whisper"].recorder.requests[-1]
    assert (enrolled.name, enrolled.audio.content) == ("Alice", b"RIFF....")
    bob = await client.ask({"type": "whisp_speakers", "action": "enroll", "name": "Bob", "file": "/data/bob.wav"})
    assert fakes.servicers["whisper"].recorder.requests[-1].audio.path == "/data/bob.wav"
    taken = await client.ask({"type": "whisp_speakers", "action": "enroll", "name": "alice", "audio": b"RIFF"})
    assert taken["status"] == "400" and "enrolled already" in taken["data"]["error"]
    listed = await client.ask({"type": "whisp_speakers"})
    assert [s["name"] for s in listed["data"]["speakers"]] == ["Alice", "Bob"]
    deleted = await client.ask({"type": "whisp_speakers", "action": "delete",
                                "speaker_id": bob["data"]["speaker"]["speaker_id"]})
    assert deleted["status"] == "200" and deleted["data"]["deleted"] is True
    again = await client.ask({"type": "whisp_speakers", "action": "delete",
                              "speaker_id": bob["data"]["speaker"]["speaker_id"]})
    assert again["status"] == "404" and "no speaker" in again["data"]["error"]
    assert [s["name"] for s in (await client.ask({"type": "whisp_speakers", "action": "list"}))["data"]["speakers"]
            ] == ["Alice"]


@pytest.mark.parametrize("payload, message", [
    ({"type": "whisp_speakers", "action": "rename"}, "`action` must be"),
    ({"type": "whisp_speakers", "action": "delete"}, "`speaker_id` is missing"),
    ({"type": "whisp_speakers", "action": "enroll", "audio": b"RIFF"}, "`name` is missing"),
    ({"type": "whisp_speakers", "action": "enroll", "name": "x" * 65, "audio": b"RIFF"}, "`name` is missing"),
    ({"type": "whisp_speakers", "action": "enroll", "name": "Alice"}, "`file` (a path"),
    ({"type": "whisp_speakers", "action": "enroll", "name": "Alice", "audio": b""}, "`file` (a path"),
    ({"type": "whisp_speakers", "action": "enroll", "name": "Alice", "audio": b"x", "file": "/a.wav"}, "not both"),
])
async def test_whisp_speakers_validation(stack, payload, message):
    client, fakes = stack
    reply = await client.ask(payload)
    assert reply["status"] == "400" and message in reply["data"]["error"]
    assert "audio" not in reply["data"]  # an error never sends the client's audio back
    assert not fakes.servicers["whisper"].recorder.requests  # refused before any call


async def test_a_disconnect_cancels_a_streaming_call_in_the_service(stack):
    client, fakes = stack
    recorder = fakes.servicers["whisper"].recorder
    await client.sio.emit("message", {"type": "whisp", "file": "/data/gated_long_talk.mp3", "stream": True})
    assert (await next_reply(client))["status"] == "102"
    await client.sio.disconnect()
    await eventually(lambda: recorder.cancelled == 1, what="the transcription cancelled in the service")
