"""The OpenAI-compatible audio API, driven by OpenAI's own Python client
(`openai`) pointed at the gateway, against fake backends: transcriptions
in every response format, word and segment timings, server-sent events as
segments are decoded, translations, speech in every format (streamed as
it is spoken), /v1/models, and errors the client raises as its own
exception types. The fake whisper reads an uploaded file's text as its
words; the fake TTS speaks 0.1 s of 16 kHz PCM per word."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import struct
import subprocess

import aiohttp
import numpy as np
import openai
import pytest
import pytest_asyncio

from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.sockets import eventually

KEY = "openai-client-key-0123456789"


# One gateway for the module (its start is most of a test's time); each
# test gets the fakes' records cleared and their gates closed.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(tmp_path_factory):
    async with fake_backends() as fakes:
        async with gateway_in_process(fakes.addresses, api_keys=f"sdk:{KEY}",
                                      data_dir=tmp_path_factory.mktemp("openai") / "data",
                                      key_rate_per_minute=10_000) as (url, gateway):
            client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
            yield client, gateway, fakes
            await client.close()


@pytest_asyncio.fixture(loop_scope="module")
async def stack(shared):
    for servicer in shared[2].servicers.values():
        servicer.recorder.requests.clear()
        servicer.recorder.gate.clear()
    yield shared
    for servicer in shared[2].servicers.values():
        servicer.recorder.gate.set()  # nothing stays held for the next test


def audio(text: str, name: str = "speech.wav") -> tuple[str, bytes, str]:
    return name, text.encode(), "audio/wav"


def uploads_left(gateway) -> list[str]:
    return [p.name for p in gateway.settings.uploads_dir.iterdir()]


async def test_transcription_json_and_text(stack):
    client, gateway, fakes = stack
    result = await client.audio.transcriptions.create(model="whisper-1", file=audio("hello brave world"))
    assert result.text == "hello brave world"
    text = await client.audio.transcriptions.create(model="whisper-1", file=audio("plain words"),
                                                    response_format="text", language="de", prompt="Names")
    assert text == "plain words\n"
    config = fakes.servicers["whisper"].recorder.requests[-1].config
    assert (config.language_code, config.initial_prompt, config.task) == ("de", "Names", 1)
    assert uploads_left(gateway) == []  # the file lived only while it was transcribed


@pytest.mark.parametrize("fmt, output_format", [("srt", 3), ("vtt", 4)])
async def test_transcription_subtitles(stack, fmt, output_format):
    client, _, fakes = stack
    subtitles = await client.audio.transcriptions.create(model="whisper-1", file=audio("one two"),
                                                         response_format=fmt)
    assert subtitles == "one\ntwo"  # the service's rendering, as it made it
    assert fakes.servicers["whisper"].recorder.requests[-1].config.output_format == output_format


async def test_verbose_json_with_word_and_segment_timings(stack):
    client, _, fakes = stack
    result = await client.audio.transcriptions.create(
        model="whisper-1", file=audio("good morning"), response_format="verbose_json",
        timestamp_granularities=["word", "segment"])
    assert result.text == "good morning" and result.language == "en" and result.duration == 2.0
    assert [(s.start, s.end, s.text) for s in result.segments] == [(0.0, 1.0, "good"), (1.0, 2.0, "morning")]
    assert [(w.word, w.start, w.end) for w in result.words] == [("good", 0.0, 0.5), ("morning", 1.0, 1.5)]
    assert fakes.servicers["whisper"].recorder.requests[-1].config.word_timestamps
    words_only = await client.audio.transcriptions.create(
        model="whisper-1", file=audio("just words"), response_format="verbose_json",
        timestamp_granularities=["word"])
    assert words_only.words and not getattr(words_only, "segments", None)


async def test_diarized_json_in_openais_shape(stack):
    client, _, fakes = stack
    result = await client.audio.transcriptions.create(model="whisper-1", file=audio("hello there friend"),
                                                      response_format="diarized_json")
    assert (result.task, result.text, result.duration) == ("transcribe", "hello there friend", 3.0)
    assert [(s.type, s.id, s.start, s.end, s.text, s.speaker) for s in result.segments] == [
        ("transcript.text.segment", "seg_0", 0.0, 1.0, "hello", "A"),
        ("transcript.text.segment", "seg_1", 1.0, 2.0, "there", "B"),
        ("transcript.text.segment", "seg_2", 2.0, 3.0, "friend", "A")]
    assert fakes.servicers["whisper"].recorder.requests[-1].config.diarize


async def test_diarize_extension_fields_with_verbose_json(stack):
    client, _, fakes = stack
    result = await client.audio.transcriptions.create(
        model="whisper-1", file=audio("good morning"), response_format="verbose_json",
        timestamp_granularities=["word", "segment"], extra_body={"diarize": "true", "min_speakers": "2",
                                                                 "max_speakers": "2"})
    assert [s.speaker for s in result.segments] == ["SPEAKER_00", "SPEAKER_01"]
    assert [w.speaker for w in result.words] == ["SPEAKER_00", "SPEAKER_01"]
    assert result.speakers == ["SPEAKER_00", "SPEAKER_01"]
    config = fakes.servicers["whisper"].recorder.requests[-1].config
    assert (config.diarize, config.min_speakers, config.max_speakers) == (True, 2, 2)
    plain = await client.audio.transcriptions.create(model="whisper-1", file=audio("no speakers"),
                                                     response_format="verbose_json")
    assert "speaker" not in plain.segments[0].model_dump() and not getattr(plain, "speakers", None)
    for fields in ({"diarize": "maybe"}, {"min_speakers": "-1"}, {"max_speakers": "two"}):
        with pytest.raises(openai.BadRequestError):
            await client.audio.transcriptions.create(model="whisper-1", file=audio("x"), extra_body=fields)
    with pytest.raises(openai.BadRequestError, match="diarized_json"):
        await client.audio.translations.create(model="whisper-1", file=audio("x"), response_format="diarized_json")


async def test_diarized_json_streams_a_segment_event_per_segment(stack):
    client, _, _ = stack
    stream = await client.audio.transcriptions.create(model="whisper-1", file=audio("one two"),
                                                      response_format="diarized_json", stream=True)
    events = [event async for event in stream]
    assert [e.type for e in events] == ["transcript.text.delta", "transcript.text.segment",
                                        "transcript.text.delta", "transcript.text.segment", "transcript.text.done"]
    assert [(e.text, e.speaker) for e in events if e.type == "transcript.text.segment"] == [("one", "A"),
                                                                                            ("two", "B")]


async def test_speaker_labels_are_openais_letters():
    from optivus_gateway.web.transcriptions import speaker_label

    assert [speaker_label(f"SPEAKER_{n:02d}") for n in (0, 1, 25, 26, 27, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "ZZ", "AAA"]
    assert speaker_label("alice") == "alice" and speaker_label("SPEAKER_x") == "SPEAKER_x"


async def test_transcription_streams_server_sent_events(stack):
    client, _, fakes = stack
    gate = fakes.servicers["whisper"].recorder.gate
    stream = await client.audio.transcriptions.create(model="whisper-1", file=audio("gated second third"),
                                                      stream=True)
    events = aiter(stream)
    first = await asyncio.wait_for(anext(events), 30)  # the service is held after its first segment
    assert (first.type, first.delta) == ("transcript.text.delta", "gated")
    gate.set()
    rest = [event async for event in events]
    assert [e.type for e in rest] == ["transcript.text.delta"] * 2 + ["transcript.text.done"]
    assert first.delta + "".join(e.delta for e in rest[:2]) == "gated second third"
    assert rest[-1].text == "gated second third"


async def test_translation(stack):
    client, _, fakes = stack
    result = await client.audio.translations.create(model="whisper-1", file=audio("guten tag"))
    assert result.text == "guten tag"
    assert fakes.servicers["whisper"].recorder.requests[-1].config.task == 2  # TASK_TRANSLATE


async def test_errors_are_the_clients_own_exceptions(stack):
    client, gateway, fakes = stack
    with pytest.raises(openai.BadRequestError, match="response_format"):
        await client.audio.transcriptions.create(model="whisper-1", file=audio("x"), response_format="doc")
    with pytest.raises(openai.BadRequestError, match="timestamp_granularities"):
        await client.audio.transcriptions.create(model="whisper-1", file=audio("x"),
                                                 timestamp_granularities=["word"])
    with pytest.raises(openai.BadRequestError, match="temperature"):
        await client.audio.transcriptions.create(model="whisper-1", file=audio("x"), temperature=3)
    stranger = openai.AsyncOpenAI(base_url=client.base_url, api_key="not-the-key-0123456789", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        await stranger.models.list()
    await stranger.close()
    with pytest.raises(openai.BadRequestError, match="voice"):
        await client.audio.speech.create(model="tts-1", voice="nobody", input="hi")
    with pytest.raises(openai.BadRequestError, match="speed"):
        await client.audio.speech.create(model="tts-1", voice="alloy", input="hi", speed=9)
    assert fakes.servicers["whisper"].recorder.requests == [] and uploads_left(gateway) == []


async def test_rate_limit_is_the_clients_rate_limit_error(tmp_path):
    async with fake_backends(["whisper"]) as fakes:
        async with gateway_in_process(fakes.addresses, api_keys=f"sdk:{KEY}", key_rate_per_minute=1,
                                      data_dir=tmp_path) as (url, _):
            client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
            await client.models.list()
            with pytest.raises(openai.RateLimitError, match="1 requests a minute"):
                await client.models.list()
            await client.close()


async def test_models(stack):
    client, _, _ = stack
    ids = [m.id async for m in client.models.list()]
    assert ids == ["whisper-1", "tts-1", "tts-1-hd"]


def decoded(data: bytes) -> np.ndarray:
    """Any audio ffmpeg reads, as 16 kHz mono samples."""
    out = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", "pipe:0", "-f", "s16le", "-ar", "16000", "-ac", "1",
                          "pipe:1"], input=data, capture_output=True, check=True).stdout
    return np.frombuffer(out, "<i2")


async def test_speech_wav_and_pcm_are_the_services_samples(stack):
    client, _, fakes = stack
    wav = (await client.audio.speech.create(model="tts-1", voice="alloy", input="three little words",
                                            response_format="wav")).content
    assert wav[:4] == b"RIFF" and wav[8:16] == b"WAVEfmt " and struct.unpack("<I", wav[24:28])[0] == 16000
    samples = np.frombuffer(wav[44:], "<i2")
    assert samples.size == 4800 and list(samples[::1600]) == [1, 2, 3]
    pcm = await client.audio.speech.create(model="tts-1", voice="piper", input="two words", response_format="pcm")
    assert np.array_equal(np.frombuffer(pcm.content, "<i2"), np.repeat(np.array([1, 2], "<i2"), 1600))
    assert fakes.servicers["fish"].recorder.requests[-1].engine == 2  # TTS_ENGINE_PIPER


@pytest.mark.parametrize("fmt, magic", [("mp3", (b"ID3", b"\xff\xfb", b"\xff\xf3")), ("opus", (b"OggS",)),
                                        ("flac", (b"fLaC",))])
async def test_speech_encoded_formats(stack, fmt, magic):
    client, _, _ = stack
    data = (await client.audio.speech.create(model="tts-1", voice="default", input="one two three four five",
                                             response_format=fmt)).content
    assert data.startswith(magic)
    assert abs(decoded(data).size / 16000 - 0.5) < 0.1  # half a second of speech (encoders pad a little)


async def test_speech_speed(stack):
    client, _, _ = stack
    data = (await client.audio.speech.create(model="tts-1", voice="alloy", input="a b c d e f g h",
                                             response_format="wav", speed=2.0)).content
    assert abs(decoded(data).size / 16000 - 0.4) < 0.05  # 0.8 s said twice as fast


async def test_speech_with_a_saved_voice(stack):
    client, _, fakes = stack
    reference_id = "0123456789abcdef0123456789abcdef"
    await client.audio.speech.create(model="tts-1", voice=reference_id, input="hello", response_format="pcm")
    assert fakes.servicers["fish"].recorder.requests[-1].reference_id == reference_id


async def test_speech_streams_as_it_is_spoken(stack):
    client, _, fakes = stack
    gate = fakes.servicers["fish"].recorder.gate
    async with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="alloy", input="gated and then more", response_format="pcm") as response:
        chunks = response.iter_bytes()
        first = await asyncio.wait_for(anext(chunks), 30)  # the service is held after its first sentence
        assert first and set(np.frombuffer(first, "<i2")) == {1}
        gate.set()
        rest = b"".join([chunk async for chunk in chunks])
    assert len(first) + len(rest) == 4 * 3200


async def test_a_key_slot_is_held_while_a_stream_is_sent_and_released_after(stack):
    client, gateway, fakes = stack
    principal = gateway.access.identify(KEY)
    async with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="alloy", input="gated and more", response_format="pcm") as response:
        chunks = response.iter_bytes()
        await asyncio.wait_for(anext(chunks), 30)
        assert gateway.access.limits.active(principal) == 1
    # The client left in the middle of the stream.
    await eventually(lambda: gateway.access.limits.active(principal) == 0, what="the slot released")
    fakes.servicers["fish"].recorder.gate.set()


async def test_speech_as_server_sent_events(stack):
    client, _, _ = stack
    url = str(client.base_url).rstrip("/")
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/audio/speech", json={"model": "tts-1", "voice": "alloy", "input": "one two",
                                                             "response_format": "pcm", "stream_format": "sse"},
                                headers={"Authorization": f"Bearer {KEY}"}) as reply:
            assert reply.headers["content-type"].startswith("text/event-stream")
            body = (await reply.read()).decode()
    events = [json.loads(line[6:]) for line in io.StringIO(body) if line.startswith("data: ")]
    assert [e["type"] for e in events] == ["speech.audio.delta"] * 2 + ["speech.audio.done"]
    assert sum(len(base64.b64decode(e["audio"])) for e in events[:2]) == 6400
