"""POST /v1/audio/speech, as OpenAI's audio API takes it (JSON: model,
input, voice, response_format wav|mp3|opus|flac|pcm, speed 0.25-4,
stream_format audio|sse), served by the fish service. The audio streams
as it is spoken: wav and pcm at speed 1 straight from the service's PCM
(a WAV header with an open length first), anything else through ffmpeg.
`voice` is a saved reference id (32 hex), "fish" or "piper" (that
engine's own voice), or "default" or one of OpenAI's voice names (the
service's default voice). pcm is 16-bit little-endian mono at the
engine's rate, given in the X-Sample-Rate header."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import re
import struct

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc

from ..access import Principal
from .errors import ApiError, api_error
from .sse import event, sse_response

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
OPENAI_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse")
ENGINES = {"fish": pb.TTS_ENGINE_FISH, "piper": pb.TTS_ENGINE_PIPER}
_REFERENCE = re.compile(r"[0-9a-f]{32}")
MEDIA_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "opus": "audio/ogg", "flac": "audio/flac", "pcm": "audio/pcm"}
_FFMPEG_OUT = {"wav": ["-f", "wav"], "mp3": ["-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3"],
               "opus": ["-ar", "48000", "-c:a", "libopus", "-b:a", "64k", "-f", "ogg"],
               "flac": ["-c:a", "flac", "-f", "flac"], "pcm": ["-f", "s16le"]}


async def _json_body(request: Request) -> dict:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(413, f"the request body is larger than {MAX_BODY // 1024} KB", "body_too_large")
    try:
        value = json.loads(body)
    except ValueError:
        raise ApiError(400, "the body must be a JSON object", "invalid_json") from None
    if not isinstance(value, dict):
        raise ApiError(400, "the body must be a JSON object", "invalid_json")
    return value


def build(body: dict) -> tuple[pb.SynthesizeRequest, str, float, str]:
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "`input` is required: the text to speak", "missing_input", "input")
    if not isinstance(body.get("model"), str) or not body["model"].strip():
        raise ApiError(400, "`model` is required (any name: this server speaks with its fish service)",
                       "missing_model", "model")
    fmt = body.get("response_format", "mp3")
    if fmt not in MEDIA_TYPES:
        raise ApiError(400, "`response_format` must be one of " + ", ".join(MEDIA_TYPES), "invalid_value",
                       "response_format")
    speed = body.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.25 <= speed <= 4.0:
        raise ApiError(400, "`speed` must be a number from 0.25 to 4", "invalid_value", "speed")
    stream_format = body.get("stream_format", "audio")
    if stream_format not in ("audio", "sse"):
        raise ApiError(400, "`stream_format` must be audio or sse", "invalid_value", "stream_format")
    voice = body.get("voice")
    call = pb.SynthesizeRequest(text=text, format=pb.AUDIO_FORMAT_PCM_S16LE)
    if isinstance(voice, str) and _REFERENCE.fullmatch(voice):
        call.reference_id = voice
    elif isinstance(voice, str) and voice in ENGINES:
        call.engine = ENGINES[voice]
    elif voice != "default" and voice not in OPENAI_VOICES:
        raise ApiError(400, "`voice` must be a saved reference id (32 hex), fish, piper, default, or one of "
                       + ", ".join(OPENAI_VOICES) + " (the default voice)", "invalid_value", "voice")
    return call, fmt, float(speed), stream_format


def wav_header(rate: int) -> bytes:
    """A 16-bit mono WAV header whose lengths say "until the end" (the
    length is not known while streaming)."""
    unknown = 0xFFFFFFFF
    return (b"RIFF" + struct.pack("<I", unknown) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
            + b"data" + struct.pack("<I", unknown))


def _atempo(speed: float) -> str:
    """ffmpeg's atempo takes 0.5-2 per stage: a chain for 0.25-4."""
    stages = []
    while speed > 2.0:
        stages.append(2.0)
        speed /= 2.0
    while speed < 0.5:
        stages.append(0.5)
        speed /= 0.5
    stages.append(speed)
    return ",".join(f"atempo={s:.6g}" for s in stages)


async def _encode(pcm, rate: int, fmt: str, speed: float):
    """The PCM chunks through ffmpeg, as they come."""
    argv = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(rate), "-ac", "1",
            "-i", "pipe:0"]
    if speed != 1.0:
        argv += ["-filter:a", _atempo(speed)]
    proc = await asyncio.create_subprocess_exec(*argv, *_FFMPEG_OUT[fmt], "pipe:1", stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)

    async def feed():
        try:
            async for chunk in pcm:
                proc.stdin.write(chunk)
                await proc.stdin.drain()
        finally:
            with contextlib.suppress(Exception):
                proc.stdin.close()

    feeder = asyncio.create_task(feed())
    try:
        while chunk := await proc.stdout.read(64 * 1024):
            yield chunk
        await feeder  # a failed synthesis raises here
        if await proc.wait() != 0:
            raise ApiError(500, f"encoding to {fmt} failed")
    finally:
        feeder.cancel()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def routes(gateway):
    async def speech(request: Request, principal: Principal) -> Response:
        call, fmt, speed, stream_format = build(await _json_body(request))
        responses = pb_grpc.TtsServiceStub(gateway.backends.channel("fish")).Synthesize(
            call, timeout=gateway.settings.request_timeout_s)
        stream = aiter(responses)
        first = await anext(stream)  # the header, or the service's error as a status now
        rate = first.header.sample_rate_hertz

        async def pcm():
            async for response in stream:
                if response.WhichOneof("response") == "chunk":
                    yield response.chunk.data

        async def audio():
            if fmt in ("wav", "pcm") and speed == 1.0:
                if fmt == "wav":
                    yield wav_header(rate)
                async for chunk in pcm():
                    yield chunk
            else:
                async for chunk in _encode(pcm(), rate, fmt, speed):
                    yield chunk

        if stream_format == "sse":
            async def events():
                try:
                    async for chunk in audio():
                        yield event({"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode()})
                    yield event({"type": "speech.audio.done"})
                except Exception as exc:  # noqa: BLE001 - the stream has started: the error goes in it
                    yield event({"error": {"message": api_error(exc, "fish").message}})
            return sse_response(events())

        async def body():
            try:
                async for chunk in audio():
                    yield chunk
            except Exception as exc:  # the status line is sent: all that is left is to cut the stream
                log.warning("speech stream failed", extra={"error": api_error(exc, "fish").message})
                raise
        return StreamingResponse(body(), media_type=MEDIA_TYPES[fmt], headers={"X-Sample-Rate": str(rate)})

    return speech
