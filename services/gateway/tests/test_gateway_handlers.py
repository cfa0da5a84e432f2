"""The gateway's socket.io handlers against fake gRPC backends
(optivus_testing.fake_backends): validation, reply envelopes, error
mapping and batch order, with a real socket.io client and real gRPC on
loopback, in well under a second per test."""

from __future__ import annotations

import pytest

from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.processes import free_port
from optivus_testing.sockets import SocketClient


@pytest.fixture
async def stack():
    async with fake_backends() as fakes:
        async with gateway_in_process(fakes.addresses) as (url, gateway):
            async with SocketClient(url) as client:
                yield client, fakes


async def test_whisp_reply_has_the_seed_shape(stack):
    client, fakes = stack
    reply = await client.ask({"file": "/data/hello_world.mp3", "id": "r1"})  # no type: whisp
    assert list(reply) == ["status", "data"] and reply["status"] == "200"
    assert list(reply["data"]) == ["file", "id", "transcribe_audio"]
    # The seed's keys, exactly, in the seed's order.
    assert reply["data"]["transcribe_audio"] == {
        "error": None, "text": "hello world",
        "chunks": [{"start": 0.0, "end": 1.0, "text": "hello"}, {"start": 1.0, "end": 2.0, "text": "world"}]}
    assert list(reply["data"]["transcribe_audio"]) == ["error", "text", "chunks"]
    (request,) = fakes.servicers["whisper"].recorder.requests
    assert request.audio.path == "/data/hello_world.mp3"


async def test_whisp_options_reach_the_service(stack):
    client, fakes = stack
    reply = await client.ask({"type": "whisp", "file": "/data/a.mp3", "language": "de", "task": "translate",
                              "format": "srt", "beam_size": 3, "word_timestamps": True, "vad_filter": True,
                              "initial_prompt": "Names"})
    assert reply["status"] == "200" and reply["data"]["transcribe_audio"]["formatted"] == "a"
    config = fakes.servicers["whisper"].recorder.requests[0].config
    assert (config.language_code, config.task, config.beam_size, config.word_timestamps, config.vad_filter,
            config.initial_prompt) == ("de", 2, 3, True, True, "Names")


async def test_whisp_diarize_adds_speakers_to_chunks_words_and_the_reply(stack):
    client, fakes = stack
    reply = await client.ask({"type": "whisp", "file": "/data/hello_world.mp3", "diarize": True,
                              "min_speakers": 2, "max_speakers": 3, "word_timestamps": True})
    audio = reply["data"]["transcribe_audio"]
    assert list(audio) == ["error", "text", "chunks", "speakers"] and audio["speakers"] == ["SPEAKER_00", "SPEAKER_01"]
    assert [(c["text"], c["speaker"], c["words"][0]["speaker"]) for c in audio["chunks"]] == [
        ("hello", "SPEAKER_00", "SPEAKER_00"), ("world", "SPEAKER_01", "SPEAKER_01")]
    assert list(audio["chunks"][0]) == ["start", "end", "text", "speaker", "words"]
    config = fakes.servicers["whisper"].recorder.requests[0].config
    assert (config.diarize, config.min_speakers, config.max_speakers) == (True, 2, 3)


@pytest.mark.parametrize("file, status, message", [
    ("/data/missing.mp3", "404", "file not found"),
    ("/data/secret.mp3", "403", "outside the media folders"),
    ("/data/corrupt.mp3", "400", "can be decoded"),
    ("/data/loading.mp3", "503", "still loading"),
    ("/data/busy.mp3", "429", "the whisper service is busy: every slot is taken"),
    ("/data/toolong.mp3", "400", "5 hours long"),
    ("/data/crash.mp3", "500", "the whisper service failed: internal error"),
])
async def test_service_errors_map_to_seed_statuses(stack, file, status, message):
    client, _ = stack
    reply = await client.ask({"type": "whisp", "file": file, "id": 5})
    assert reply["status"] == status
    assert reply["data"]["id"] == 5 and reply["data"]["file"] == file
    audio = reply["data"]["transcribe_audio"]
    assert message in audio["error"] and audio["text"] == "" and audio["chunks"] == []
    assert "/etc/shadow" not in str(reply)


@pytest.mark.parametrize("payload, message", [
    ({"type": "whisp"}, "`file` is missing"),
    ({"type": "whisp", "file": 42}, "must be a string"),
    ({"type": "whisp", "file": "/data/a.mp3", "task": "sing"}, "`task` must be"),
    ({"type": "whisp", "file": "/data/a.mp3", "format": "doc"}, "`format` must be"),
    ({"type": "whisp", "file": "/data/a.mp3", "beam_size": 99}, "`beam_size` must be between"),
    ({"type": "whisp", "file": "/data/a.mp3", "beam_size": True}, "`beam_size` must be"),
    ({"type": "whisp", "file": "/data/a.mp3", "language": 7}, "`language` must be"),
    ({"type": "whisp", "file": "/data/a.mp3", "diarize": "yes"}, "`diarize` must be"),
    ({"type": "whisp", "file": "/data/a.mp3", "diarize": True, "max_speakers": 0}, "`max_speakers` must be between"),
    ({"type": "whisp", "file": "/data/a.mp3", "diarize": True, "min_speakers": 10 ** 20},
     "`min_speakers` must be between"),
    ({"type": "whisp", "file": "/data/a.mp3", "diarize": True, "min_speakers": 2.5}, "`min_speakers` must be"),
])
async def test_whisp_validation_happens_before_any_call(stack, payload, message):
    client, fakes = stack
    reply = await client.ask(payload)
    assert reply["status"] == "400" and message in reply["data"]["transcribe_audio"]["error"]
    assert fakes.servicers["whisper"].recorder.requests == []


async def test_batch_answers_each_item_in_order_with_its_own_error(stack):
    client, _ = stack
    items = [{"file": "/data/one.mp3", "n": 1}, {"file": "/data/missing.mp3", "n": 2},
             {"file": "/data/three.mp3", "n": 3}, "not an object", {"file": "/data/crash.mp3", "n": 5}]
    reply = await client.ask({"type": "whisp", "id": 9, "language": "en", "data": items})
    assert reply["status"] == "200" and reply["data"]["id"] == 9
    results = reply["data"]["data"]
    assert [r.get("n") for r in results] == [1, 2, 3, None, 5]
    assert [r["transcribe_audio"]["text"] for r in results] == ["one", "", "three", "", ""]
    assert "file not found" in results[1]["transcribe_audio"]["error"]
    assert "must be an object" in results[3]["transcribe_audio"]["error"]
    assert "internal error" in results[4]["transcribe_audio"]["error"]


@pytest.mark.parametrize("payload, status, message", [
    ({"type": "nonsense"}, "400", "unknown type 'nonsense'"),
    ({"type": 5}, "400", "unknown type 5"),
    ("just a string", "400", "must be a JSON object"),
    ([1, 2], "400", "must be a JSON object"),
    ({"type": "whisp", "data": []}, "400", "empty list"),
    ({"type": "video", "file": "/data/a.mp4"}, "503", "need NATS JetStream"),
    ({"file": "/data/a.mp4", "v_conv": True}, "503", "need NATS JetStream"),
])
async def test_malformed_messages_get_an_error_envelope(stack, payload, status, message):
    client, _ = stack
    reply = await client.ask(payload)
    assert reply["status"] == status and message in reply["data"]["error"]
    assert (await client.ask({"file": "/data/ok.mp3"}))["status"] == "200"


async def test_a_service_not_deployed_answers_503():
    async with fake_backends(["whisper"]) as fakes:
        async with gateway_in_process(fakes.addresses) as (url, _):
            async with SocketClient(url) as client:
                reply = await client.ask({"type": "fish", "text": "hello", "id": 1})
    assert reply["status"] == "503" and reply["data"]["id"] == 1
    assert "not deployed" in reply["data"]["error"]


async def test_an_unreachable_service_answers_503():
    async with gateway_in_process({"whisper": f"127.0.0.1:{free_port()}"}, request_timeout_s=5) as (url, _):
        async with SocketClient(url) as client:
            reply = await client.ask({"type": "whisp", "file": "/data/a.mp3"})
    assert reply["status"] == "503"
    assert "the whisper service is unreachable" in reply["data"]["transcribe_audio"]["error"]


async def test_flrnc_image_and_video_replies(stack):
    client, fakes = stack
    image = await client.ask({"type": "flrnc", "file": "/data/red_car.png", "task": "caption"})
    assert image["status"] == "200"
    assert image["data"]["transcribe_img"] == {"error": None, "text": "red car"}
    assert image["data"]["task"] == "caption"
    video = await client.ask({"type": "flrnc", "file": "/data/intro_talk.mp4", "ocr": True})
    assert video["status"] == "200"
    assert video["data"]["transcribe_video"] == [
        {"start": 0.0, "end": 2.0, "text": "intro", "ocr_text": "INTRO"},
        {"start": 2.0, "end": 4.0, "text": "talk", "ocr_text": "TALK"}]
    assert video["data"]["task"] == "more_detailed_caption"


async def test_flrnc_falls_back_to_the_other_kind(stack):
    client, fakes = stack
    # A ".png" that the image decoder refuses and the video decoder reads.
    reply = await client.ask({"type": "flrnc", "file": "/data/video_shot.png"})
    assert reply["status"] == "200" and [s["text"] for s in reply["data"]["transcribe_video"]] == ["video", "shot"]
    # Neither decoder can read it.
    reply = await client.ask({"type": "flrnc", "file": "/data/corrupt.mp4"})
    assert reply["status"] == "400" and "could not be decoded as an image or a video" in reply["data"]["error"]
    kinds = [type(r).__name__ for r in fakes.servicers["florence"].recorder.requests]
    assert kinds == ["DescribeImageRequest", "DescribeVideoRequest", "DescribeVideoRequest", "DescribeImageRequest"]


@pytest.mark.parametrize("payload, message", [
    ({"type": "flrnc"}, "`file` is missing"),
    ({"type": "flrnc", "file": "/data/a.png", "task": "paint"}, "unknown task"),
    ({"type": "flrnc", "file": "/data/a.mp4", "sample_fps": 0}, "`sample_fps` must be"),
    ({"type": "flrnc", "file": "/data/a.mp4", "scene_threshold": 2}, "`scene_threshold` must be"),
])
async def test_flrnc_validation(stack, payload, message):
    client, fakes = stack
    reply = await client.ask(payload)
    assert reply["status"] == "400" and message in reply["data"]["error"]
    assert fakes.servicers["florence"].recorder.requests == []


async def test_fish_reply_carries_the_wav_and_the_samples(stack):
    client, fakes = stack
    reply = await client.ask({"type": "fish", "text": "two words", "seed": 3, "temperature": 0.5})
    assert reply["status"] == "200", reply
    data = reply["data"]
    assert data["fish"] == "/data/fs_audio/fake.wav" and data["sample_rate"] == 16000
    # The fake's samples are 1 then 2 (of 32767): 4 decimals round them to 0.0 and 0.0001.
    assert data["duration"] == 0.2 and data["audio_data"] == [0.0] * 1600 + [0.0001] * 1600
    (request,) = fakes.servicers["fish"].recorder.requests
    assert request.store and request.params.seed == 3 and round(request.params.temperature, 3) == 0.5


@pytest.mark.parametrize("payload, message", [
    ({"type": "fish", "text": "hi", "seed": 1.5}, "`seed` must be a whole number"),
    ({"type": "fish", "text": "hi", "temperature": "hot"}, "`temperature` must be a number"),
    ({"type": "fish", "text": "hi", "engine": "espeak"}, "engine"),
    ({"type": "fish", "text": "hi", "references": "x"}, "`references` must be a list"),
])
async def test_fish_validation(stack, payload, message):
    client, fakes = stack
    reply = await client.ask(payload)
    assert reply["status"] == "400" and message in reply["data"]["error"], reply
    assert fakes.servicers["fish"].recorder.requests == []


async def test_dlp_info_and_download_with_progress(stack):
    client, fakes = stack
    info = await client.ask({"type": "dlp", "data_type": "info", "urls": ["https://a.example/v/first",
                                                                          "https://a.example/v/fail"]})
    assert info["status"] == "200"
    first, failed = info["data"]["data"]
    assert first["url"] == "https://a.example/v/first" and first["file"] is None and first["duration"] == 3.0
    assert failed == {"error": "the server answered HTTP 404", "url": "https://a.example/v/fail"}
    events, done = await client.ask_with_progress({"type": "dlp", "data_type": "file", "progress": True, "id": 4,
                                                   "urls": ["https://a.example/v/clip"]})
    assert [e["status"] for e in events] == ["102"]
    assert events[0]["data"] == {"type": "dlp", "id": 4, "url": "https://a.example/v/clip", "url_index": 0,
                                 "downloaded_bytes": 50, "total_bytes": 100, "speed": 10.0, "eta": None}
    assert done["status"] == "200" and done["data"]["data"][0]["file"] == "/data/videos/clip.mp4"
    sent = fakes.servicers["dlp"].recorder.requests[-1]
    assert [s.url for s in sent.sources] == ["https://a.example/v/clip"]


@pytest.mark.parametrize("payload, message", [
    ({"type": "dlp", "data_type": "info"}, "`urls` is missing"),
    ({"type": "dlp", "data_type": "info", "urls": "https://a"}, "must be a list"),
    ({"type": "dlp", "data_type": "info", "urls": []}, "empty list"),
    ({"type": "dlp", "data_type": "all", "urls": ["https://a"]}, "`data_type` must be"),
    ({"type": "dlp", "data_type": "file", "urls": ["https://a"], "progress": "yes"}, "`progress` must be"),
])
async def test_dlp_validation(stack, payload, message):
    client, fakes = stack
    reply = await client.ask(payload)
    assert reply["status"] == "400" and message in reply["data"]["error"]
    assert fakes.servicers["dlp"].recorder.requests == []
