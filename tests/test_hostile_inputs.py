"""Hostile input through every door of a real stack (gateway, whisper,
florence, fish with Piper, dlp on loopback): socket.io messages, gRPC
calls straight to the services, and HTTP requests to the gateway. Every
one must get an error reply in the envelope or a canonical gRPC code; the
servers keep answering; the gateway's memory comes back near its
baseline; and nothing outside the media folder is read (a canary's
contents never appear in a reply) or written (the folder beside it stays
as it was)."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from optivus.media.v1 import media_ref_pb2
from optivus.media.v1 import media_service_pb2 as media_pb
from optivus.media.v1 import media_service_pb2_grpc as media_grpc
from optivus.speech.v1 import speech_service_pb2 as speech_pb
from optivus.speech.v1 import speech_service_pb2_grpc as speech_grpc
from optivus.tts.v1 import tts_service_pb2 as tts_pb
from optivus.tts.v1 import tts_service_pb2_grpc as tts_grpc
from optivus.vision.v1 import vision_service_pb2 as vision_pb
from optivus.vision.v1 import vision_service_pb2_grpc as vision_grpc
from optivus_testing.processes import running_gateway, running_service
from optivus_testing.raw_socketio import raw_socket
from optivus_testing.sockets import SocketClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CANARY = "CANARY-7f3a9c-not-for-clients"


@pytest.fixture(scope="module")
def outside(media_dir) -> Path:
    """A folder beside the media folder, with a canary file a client must never read."""
    folder = media_dir.parent / "outside-hostile"
    folder.mkdir(exist_ok=True)
    (folder / "secret.txt").write_text(CANARY + "\n")
    (folder / "secret.wav").write_bytes(b"RIFF" + CANARY.encode() * 10)
    return folder


@pytest.fixture(scope="module")
def stack(service_env, log_dir, outside, speech, vision_media, bad_media):
    env = {**service_env, "OPTIVUS_FISH_ENGINE": "piper", "OPTIVUS_DLP_ALLOWED_NETWORKS": "",
           "HF_HUB_OFFLINE": "1", "OPTIVUS_FLORENCE_DOWNLOAD": "false"}
    with running_service("whisper", {**env, "AI_WHISPER_MODEL": "tiny.en"}, log_dir) as whisper, \
            running_service("florence", env, log_dir) as florence, \
            running_service("fish", env, log_dir) as fish, \
            running_service("dlp", env, log_dir) as dlp, \
            running_gateway(service_env, {"whisper": whisper, "florence": florence, "fish": fish, "dlp": dlp},
                            log_dir) as url:
        yield {"url": url, "whisper": whisper, "florence": florence, "fish": fish, "dlp": dlp}


def socketio_cases(outside: Path, media_dir: Path, bad: dict, vision: dict) -> list[tuple[str, object, str]]:
    """(name, message, expected status) for socket.io."""
    long_name = str(media_dir / ("a" * 300 + ".mp3"))
    return [
        ("whisp outside the media folder", {"type": "whisp", "file": str(outside / "secret.wav")}, "403"),
        ("whisp /etc/passwd", {"type": "whisp", "file": "/etc/passwd"}, "403"),
        ("whisp ../ escape", {"type": "whisp", "file": str(media_dir / ".." / outside.name / "secret.wav")}, "403"),
        ("whisp symlink out", {"type": "whisp", "file": str(bad["symlink"])}, "403"),
        ("whisp hls playlist naming a file outside", {"type": "whisp", "file": str(bad["playlist"])}, "400"),
        ("whisp NUL in the path", {"type": "whisp", "file": str(media_dir) + "/a\u0000b.mp3"}, "400"),
        ("whisp name over the filesystem limit", {"type": "whisp", "file": long_name}, "400"),
        ("whisp 100 kB path", {"type": "whisp", "file": "/" + "x" * 100_000}, "400"),
        ("whisp a folder", {"type": "whisp", "file": str(media_dir)}, "400"),
        ("whisp text file", {"type": "whisp", "file": str(bad["text"])}, "400"),
        ("whisp empty file", {"type": "whisp", "file": str(bad["empty"])}, "400"),
        ("whisp file is a number", {"type": "whisp", "file": 1e308}, "400"),
        ("whisp file is a dict", {"type": "whisp", "file": {"path": "/etc/passwd"}}, "400"),
        ("whisp unknown language", {"type": "whisp", "file": str(bad["video"]), "language": "xx"}, "400"),
        ("whisp beam 10^9", {"type": "whisp", "file": str(bad["video"]), "beam_size": 10**9}, "400"),
        ("whisp batch over the cap", {"type": "whisp", "data": [{"file": "x"}] * 101}, "400"),
        ("whisp batch of non-objects", {"type": "whisp", "data": [[], None, 5]}, "200"),
        ("flrnc image over the pixel limit", {"type": "flrnc", "file": str(vision["huge"])}, "400"),
        ("flrnc text pretending to be png", {"type": "flrnc", "file": str(vision["fake_png"])}, "400"),
        ("flrnc truncated video", {"type": "flrnc", "file": str(vision["truncated"])}, "400"),
        ("flrnc unknown task", {"type": "flrnc", "file": str(vision["tiny"]), "task": "<script>"}, "400"),
        ("flrnc caption without Florence-2", {"type": "flrnc", "file": str(vision["tiny"]), "task": "caption"}, "400"),
        ("flrnc sample_fps 1e9", {"type": "flrnc", "file": str(vision["scenes"]), "sample_fps": 1e9}, "400"),
        ("fish text over the limit", {"type": "fish", "text": "word " * 20_000}, "400"),
        ("fish nothing to say", {"type": "fish", "text": "  ...  "}, "400"),
        ("fish reference id with a path", {"type": "fish", "text": "hi", "reference_id": "../../etc/passwd"}, "400"),
        ("fish reference audio outside", {"type": "fish", "reference_audio": str(outside / "secret.wav"),
                                          "reference_text": "secret"}, "403"),
        ("fish reference audio garbage bytes", {"type": "fish", "reference_audio": b"\x00\x01" * 1000,
                                                "reference_text": "noise"}, "400"),
        ("fish cloning with piper", {"type": "fish", "text": "hi", "engine": "piper",
                                     "references": [{"audio": str(speech_path(media_dir)), "text": "x"}]}, "400"),
        ("fish temperature 1e308", {"type": "fish", "text": "hi", "temperature": 1e308}, "400"),
        ("fish seed 2^70", {"type": "fish", "text": "hi", "seed": 2**70}, "400"),
        ("dlp file:// URL", {"type": "dlp", "data_type": "info", "urls": ["file:///etc/passwd"]}, "200"),
        ("dlp cloud metadata address", {"type": "dlp", "data_type": "file",
                                        "urls": ["http://169.254.169.254/latest/meta-data/"]}, "200"),
        ("dlp loopback", {"type": "dlp", "data_type": "info", "urls": ["http://127.0.0.1:1/x"]}, "200"),
        ("dlp 1000 URLs", {"type": "dlp", "data_type": "info", "urls": ["http://example.invalid/"] * 1000}, "400"),
        ("dlp URL of 10 kB", {"type": "dlp", "data_type": "info", "urls": ["http://a/" + "x" * 10_000]}, "200"),
        ("dlp bad data_type", {"type": "dlp", "data_type": "../../", "urls": ["http://a/"]}, "400"),
        ("whisp_speakers enrol a file outside", {"type": "whisp_speakers", "action": "enroll", "name": "x",
                                                "file": str(outside / "secret.wav")}, "403"),
        ("whisp_speakers delete a path", {"type": "whisp_speakers", "action": "delete",
                                          "speaker_id": "../../etc"}, "400"),
        ("whisp_speakers enrol a name of 10 kB", {"type": "whisp_speakers", "action": "enroll", "name": "n" * 10_000,
                                                 "audio": b"RIFF"}, "400"),
        ("unknown type", {"type": "rm -rf /"}, "400"),
        ("type is an object", {"type": {"$gt": ""}}, "400"),
        ("a list instead of an object", [1, 2, 3], "400"),
        ("a bare string", "whisp", "400"),
        ("video without NATS", {"type": "video", "urls": ["http://a/"]}, "503"),
    ]


def speech_path(media_dir: Path) -> Path:
    return media_dir / "speech" / "s0.wav"


def raw_cases() -> list[tuple[str, str]]:
    """(name, socket.io packet) written by hand."""
    return [
        ("event without payload", '2["message"]'),
        ("event that is an object", '2{"type":"whisp"}'),
        ("JSON nested 5000 deep", '2["message",' + "[" * 5000 + "]" * 5000 + "]"),
        ("NaN in JSON", '2["message",{"type":"whisp","beam_size":NaN}]'),
        ("broken JSON", '2["message",{"type":'),
        ("3e8 declared attachments", '5300000000-["message",{"_placeholder":true,"num":0}]'),
    ]


def grpc_cases(outside: Path, media_dir: Path, bad: dict, vision: dict) -> list[tuple[str, str, object, grpc.StatusCode]]:
    """(name, service, call(stub-factory) -> awaitable, expected code)."""
    ref = media_ref_pb2.MediaRef
    return [
        ("Transcribe outside", "whisper", lambda ch: collect(speech_grpc.SpeechServiceStub(ch).Transcribe(
            speech_pb.TranscribeRequest(audio=ref(path=str(outside / "secret.wav"))))), grpc.StatusCode.PERMISSION_DENIED),
        ("Transcribe garbage bytes", "whisper", lambda ch: collect(speech_grpc.SpeechServiceStub(ch).Transcribe(
            speech_pb.TranscribeRequest(audio=ref(content=os.urandom(50_000))))), grpc.StatusCode.INVALID_ARGUMENT),
        ("Transcribe a URL", "whisper", lambda ch: collect(speech_grpc.SpeechServiceStub(ch).Transcribe(
            speech_pb.TranscribeRequest(audio=ref(url="http://169.254.169.254/")))), grpc.StatusCode.INVALID_ARGUMENT),
        ("Transcribe a blob key with a path", "whisper", lambda ch: collect(speech_grpc.SpeechServiceStub(ch).Transcribe(
            speech_pb.TranscribeRequest(audio=ref(blob_key="../../etc/passwd")))), grpc.StatusCode.INVALID_ARGUMENT),
        ("Transcribe nothing", "whisper", lambda ch: collect(speech_grpc.SpeechServiceStub(ch).Transcribe(
            speech_pb.TranscribeRequest())), grpc.StatusCode.INVALID_ARGUMENT),
        ("StreamingTranscribe without config", "whisper", lambda ch: collect(
            speech_grpc.SpeechServiceStub(ch).StreamingTranscribe(iter([speech_pb.StreamingTranscribeRequest(
                audio_chunk=b"\0" * 3200)]))), grpc.StatusCode.INVALID_ARGUMENT),
        ("message over the size limit", "whisper", lambda ch: collect(speech_grpc.SpeechServiceStub(ch).Transcribe(
            speech_pb.TranscribeRequest(audio=ref(content=b"\0" * (65 * 1024 * 1024))))),
         grpc.StatusCode.RESOURCE_EXHAUSTED),
        ("DescribeImage pixel bomb", "florence", lambda ch: vision_grpc.VisionServiceStub(ch).DescribeImage(
            vision_pb.DescribeImageRequest(image=ref(path=str(vision["huge"])))), grpc.StatusCode.RESOURCE_EXHAUSTED),
        ("DescribeVideo playlist", "florence", lambda ch: collect(vision_grpc.VisionServiceStub(ch).DescribeVideo(
            vision_pb.DescribeVideoRequest(video=ref(path=str(bad["playlist"]))))), grpc.StatusCode.INVALID_ARGUMENT),
        ("DescribeImage unknown task number", "florence", lambda ch: vision_grpc.VisionServiceStub(ch).DescribeImage(
            vision_pb.DescribeImageRequest(image=ref(path=str(vision["tiny"])), task=999)),
         grpc.StatusCode.INVALID_ARGUMENT),
        ("BatchDescribeImages of 10000", "florence", lambda ch: collect(
            vision_grpc.VisionServiceStub(ch).BatchDescribeImages(vision_pb.BatchDescribeImagesRequest(
                requests=[vision_pb.DescribeImageRequest(image=ref(path="x"))] * 10_000))),
         grpc.StatusCode.INVALID_ARGUMENT),
        ("Synthesize huge text", "fish", lambda ch: collect(tts_grpc.TtsServiceStub(ch).Synthesize(
            tts_pb.SynthesizeRequest(text="a" * 1_000_000))), grpc.StatusCode.INVALID_ARGUMENT),
        ("Synthesize unknown engine", "fish", lambda ch: collect(tts_grpc.TtsServiceStub(ch).Synthesize(
            tts_pb.SynthesizeRequest(text="hi", engine=42))), grpc.StatusCode.INVALID_ARGUMENT),
        ("DeleteReference traversal id", "fish", lambda ch: tts_grpc.TtsServiceStub(ch).DeleteReference(
            tts_pb.DeleteReferenceRequest(reference_id="../../../etc")), grpc.StatusCode.INVALID_ARGUMENT),
        ("AddReference without text", "fish", lambda ch: tts_grpc.TtsServiceStub(ch).AddReference(
            tts_pb.AddReferenceRequest(reference=tts_pb.ReferenceAudio(audio=ref(path=str(speech_path(media_dir)))))),
         grpc.StatusCode.INVALID_ARGUMENT),
        ("Download a path, not a URL", "dlp", lambda ch: collect(media_grpc.MediaServiceStub(ch).Download(
            media_pb.DownloadRequest(sources=[ref(path="/etc/passwd")]))), grpc.StatusCode.INVALID_ARGUMENT),
        ("GetInfo of 1000 URLs", "dlp", lambda ch: collect(media_grpc.MediaServiceStub(ch).GetInfo(
            media_pb.GetInfoRequest(sources=[ref(url="http://a.invalid/")] * 1000))), grpc.StatusCode.INVALID_ARGUMENT),
        ("health of an unknown service", "dlp", lambda ch: health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service="no.such.Service")), grpc.StatusCode.NOT_FOUND),
    ]


async def collect(call) -> list:
    return [item async for item in call]


def http_cases() -> list[tuple[str, str, str, bytes | None, dict, int]]:
    """(name, method, path, body, headers, expected status) for the gateway's HTTP door."""
    return [
        ("unknown path", "GET", "/admin", None, {}, 404),
        ("traversal in the path", "GET", "/../../etc/passwd", None, {}, 404),
        ("POST to a probe", "POST", "/healthz", b"x" * 1000, {}, 405),
        ("DELETE /status", "DELETE", "/status", None, {}, 405),
        ("engine.io with a bad version", "GET", "/socket.io/?EIO=999&transport=polling", None, {}, 400),
        ("engine.io from another site", "GET", "/socket.io/?EIO=4&transport=polling", None,
         {"Origin": "http://evil.example"}, 400),
        ("engine.io polling post without a session", "POST", "/socket.io/?EIO=4&transport=polling&sid=nope",
         b"4garbage", {}, 400),
    ]


def has_error(data) -> bool:
    """A non-empty "error" anywhere in the reply (whisp puts it in
    transcribe_audio, as the first server did)."""
    if isinstance(data, dict):
        return bool(data.get("error")) or any(has_error(v) for v in data.values())
    return False


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def gateway_pid(url: str) -> int:
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if b"optivus_gateway" in cmdline and f"OPTIVUS_GATEWAY_PORT={port}".encode() in environ:
                return int(entry.name)
    raise AssertionError("gateway process not found")


def listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")}


async def test_hostile_input_through_every_door(stack, outside, media_dir, bad_media, vision_media, speech):
    url = stack["url"]
    before_outside = listing(outside)
    pid = gateway_pid(url)
    async with SocketClient(url) as client:  # warm the gateway up before the baseline
        assert (await client.ask({"type": "whisp", "file": str(speech[0][0])}, timeout=300))["status"] == "200"
    baseline = rss_kb(pid)
    table: list[tuple[str, str, str]] = []

    async with SocketClient(url) as client:
        for name, message, status in socketio_cases(outside, media_dir, bad_media, vision_media):
            reply = await client.ask(message, timeout=300)
            text = json.dumps(reply)
            assert reply["status"] == status, (name, reply)
            assert CANARY not in text, name
            if status != "200":
                assert has_error(reply["data"]), (name, reply)
            else:  # per-item errors of a batch or a URL list
                assert all(has_error(item) for item in reply["data"]["data"]), (name, reply)
            table.append(("socket.io", name, reply["status"]))
        assert (await client.ask({"type": "whisp", "file": str(speech[1][0])}, timeout=300))["status"] == "200"

    for name, packet in raw_cases():
        async with raw_socket(url) as sock:
            await sock.send_packet(packet)
            reply = await sock.next_message()
        assert reply is not None and reply["status"] == "400", (name, reply)
        table.append(("socket.io raw", name, reply["status"]))

    for name, service, call, code in grpc_cases(outside, media_dir, bad_media, vision_media):
        async with grpc.aio.insecure_channel(stack[service], options=[
                ("grpc.max_send_message_length", 128 * 1024 * 1024)]) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call(channel)
        assert err.value.code() == code, (name, err.value.code(), err.value.details())
        assert CANARY not in (err.value.details() or ""), name
        table.append(("gRPC " + service, name, err.value.code().name))

    for name, method, path, body, headers, status in http_cases():
        request = urllib.request.Request(url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                got = reply.status
        except urllib.error.HTTPError as exc:
            got = exc.code
        assert got == status, (name, got)
        table.append(("HTTP", name, str(got)))

    # Still answering, memory back near the baseline, nothing written outside.
    for service in ("whisper", "florence", "fish", "dlp"):
        async with grpc.aio.insecure_channel(stack[service]) as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
            assert health.status == health_pb2.HealthCheckResponse.SERVING, service
    async with SocketClient(url) as client:
        assert (await client.ask({"type": "whisp", "file": str(speech[2][0])}, timeout=300))["status"] == "200"
    await asyncio.sleep(0)
    grown_mb = (rss_kb(pid) - baseline) / 1024
    assert grown_mb < 150, f"the gateway grew by {grown_mb:.0f} MB"
    assert listing(outside) == before_outside
    assert len(table) >= 40
    print("\n".join(f"{door:16} {name:45} {got}" for door, name, got in table))
    print(f"gateway RSS: baseline {baseline / 1024:.0f} MB, after {rss_kb(pid) / 1024:.0f} MB")
