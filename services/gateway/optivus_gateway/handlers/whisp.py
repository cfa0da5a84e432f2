"""`whisp`: speech to text through the Whisper service.

Reply: data.transcribe_audio = {"error", "text", "chunks": [{"start",
"end", "text"}]}, times in float seconds, as the first server sent it.
Optional fields: language, task ("transcribe"/"translate"),
word_timestamps, vad_filter, beam_size, initial_prompt, and format
("text"/"srt"/"vtt"), which adds transcribe_audio.formatted."""

from __future__ import annotations

import logging

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc

from ..envelope import RequestError, describe_failure
from .batch import single_or_batch
from .options import option
from .context import Context

log = logging.getLogger(__name__)

_TASKS = {"transcribe": pb.TASK_TRANSCRIBE, "translate": pb.TASK_TRANSLATE}
_FORMATS = {"text": pb.OUTPUT_FORMAT_TEXT, "srt": pb.OUTPUT_FORMAT_SRT, "vtt": pb.OUTPUT_FORMAT_VTT}


def _seconds(d) -> float:
    return round(d.seconds + d.nanos / 1e9, 3)


def build_request(item: object, defaults: dict) -> pb.TranscribeRequest:
    if not isinstance(item, dict):
        raise RequestError("each item of `data` must be an object with a `file`")
    file = item.get("file")
    if file is None:
        raise RequestError("`file` is missing: give the path of an audio or video file")
    if not isinstance(file, str):
        raise RequestError("`file` must be a string: the path of an audio or video file")
    config = pb.RecognitionConfig()
    if (language := option(item, defaults, "language", str)) is not None:
        config.language_code = language
    if (task := option(item, defaults, "task", str)) is not None:
        if task not in _TASKS:
            raise RequestError("`task` must be \"transcribe\" or \"translate\"")
        config.task = _TASKS[task]
    if (fmt := option(item, defaults, "format", str)) is not None:
        if fmt not in _FORMATS:
            raise RequestError("`format` must be \"text\", \"srt\" or \"vtt\"")
        config.output_format = _FORMATS[fmt]
    config.word_timestamps = bool(option(item, defaults, "word_timestamps", bool))
    config.vad_filter = bool(option(item, defaults, "vad_filter", bool))
    if (beam := option(item, defaults, "beam_size", int)) is not None:
        if not 1 <= beam <= 20:
            raise RequestError("`beam_size` must be between 1 and 20")
        config.beam_size = beam
    config.initial_prompt = option(item, defaults, "initial_prompt", str) or ""
    return pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(path=file), config=config)


async def transcribe(ctx: Context, request: pb.TranscribeRequest) -> dict:
    stub = pb_grpc.SpeechServiceStub(ctx.backends.channel("whisper"))
    chunks, result = [], None
    async for response in stub.Transcribe(request, timeout=ctx.settings.request_timeout_s):
        if response.HasField("segment"):
            seg = response.segment
            chunks.append({"start": _seconds(seg.start), "end": _seconds(seg.end), "text": seg.text})
        else:
            result = response.result
    reply = {"error": None, "text": result.text if result else "", "chunks": chunks}
    if result is not None and result.formatted:
        reply["formatted"] = result.formatted
    return reply


async def process(item: object, defaults: dict, ctx: Context) -> tuple[str, dict]:
    try:
        return "200", {"transcribe_audio": await transcribe(ctx, build_request(item, defaults))}
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
        status, message = describe_failure(exc, "whisper")
        if status == "500":
            log.error("whisp failed", exc_info=exc)
        return status, {"transcribe_audio": {"error": message, "text": "", "chunks": []}}


async def handle(request: dict, ctx: Context) -> dict:
    return await single_or_batch(request, ctx, lambda item, defaults: process(item, defaults, ctx))
