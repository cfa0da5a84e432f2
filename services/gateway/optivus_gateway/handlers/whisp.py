"""`whisp`: speech to text through the Whisper service.

Reply: data.transcribe_audio = {"error", "text", "chunks": [{"start",
"end", "text"}]}, times in float seconds, as the first server sent it.
The seed's keys stay exactly as they were unless a request asks for more:
with "verbose": true transcribe_audio also carries the spoken language
(given or detected) and its probability, and with word_timestamps each
chunk carries its "words" ([{"start", "end", "word", "probability"}]).
With "diarize": true (and optionally "min_speakers", "max_speakers") each
chunk and word also carries its "speaker" ("SPEAKER_00", ...) and
transcribe_audio carries "speakers", the speakers in order of appearance.
Optional fields: language, task ("transcribe"/"translate"),
word_timestamps, vad_filter, beam_size, initial_prompt, format
("text"/"srt"/"vtt"), which adds transcribe_audio.formatted, and stream
(true: each chunk is sent as it is decoded, in a "102" message
{"file", "chunk_index", "chunk"}, before the unchanged "200" reply)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc

from ..envelope import RequestError, describe_failure, envelope
from ..uploads import file_ref
from .batch import single_or_batch
from .context import Context
from .options import option

log = logging.getLogger(__name__)

_TASKS = {"transcribe": pb.TASK_TRANSCRIBE, "translate": pb.TASK_TRANSLATE}
# What a proto's int32 holds easily; the service refuses more than its own limit.
MAX_SPEAKERS = 1000
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
    config = recognition_config(item, defaults)
    if (task := option(item, defaults, "task", str)) is not None:
        if task not in _TASKS:
            raise RequestError("`task` must be \"transcribe\" or \"translate\"")
        config.task = _TASKS[task]
    return pb.TranscribeRequest(audio=file_ref(file), config=config)


def recognition_config(item: dict, defaults: dict) -> pb.RecognitionConfig:
    """The request's transcription options (all but `task`, which a `video`
    request gives to the description)."""
    config = pb.RecognitionConfig()
    if (language := option(item, defaults, "language", str)) is not None:
        config.language_code = language
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
    config.diarize = bool(option(item, defaults, "diarize", bool))
    for key in ("min_speakers", "max_speakers"):  # the service checks them against its own limit
        if (count := option(item, defaults, key, int)) is not None:
            if not 1 <= count <= MAX_SPEAKERS:
                raise RequestError(f"`{key}` must be between 1 and {MAX_SPEAKERS}")
            setattr(config, key, count)
    return config


def chunk_of(seg: pb.Segment) -> dict:
    """A segment as the seed's chunk, with its words when it has them."""
    chunk = {"start": _seconds(seg.start), "end": _seconds(seg.end), "text": seg.text}
    if seg.speaker:
        chunk["speaker"] = seg.speaker
    if seg.words:
        chunk["words"] = [_word(w) for w in seg.words]
    return chunk


def _word(w: pb.Word) -> dict:
    word = {"start": _seconds(w.start), "end": _seconds(w.end), "word": w.word, "probability": round(w.probability, 4)}
    if w.speaker:
        word["speaker"] = w.speaker
    return word


OnChunk = Callable[[int, dict], Awaitable[None]]


async def transcribe(ctx: Context, request: pb.TranscribeRequest, on_chunk: OnChunk | None = None,
                     verbose: bool = False) -> dict:
    stub = pb_grpc.SpeechServiceStub(ctx.backends.channel("whisper"))
    chunks, result = [], None
    async for response in stub.Transcribe(request, timeout=ctx.settings.request_timeout_s):
        if response.HasField("segment"):
            chunks.append(chunk_of(response.segment))
            if on_chunk is not None:
                await on_chunk(len(chunks) - 1, chunks[-1])
        else:
            result = response.result
    reply = {"error": None, "text": result.text if result else "", "chunks": chunks}
    if result is not None and result.formatted:
        reply["formatted"] = result.formatted
    if result is not None and result.speakers:
        reply["speakers"] = list(result.speakers)
    if result is not None and verbose:
        reply["language"] = result.language_code
        reply["language_probability"] = round(result.language_probability, 4)
    return reply


def streamer(ctx: Context, head: dict, item: object, defaults: dict) -> OnChunk | None:
    """With "stream": true, sends each chunk as a "102" message."""
    if not isinstance(item, dict) or not option(item, defaults, "stream", bool):
        return None
    fields = {**head, "file": item.get("file")}

    async def send(index: int, chunk: dict) -> None:
        await ctx.emit(envelope("102", {**fields, "chunk_index": index, "chunk": chunk}))
    return send


async def process(item: object, defaults: dict, ctx: Context, head: dict) -> tuple[str, dict]:
    try:
        request = build_request(item, defaults)
        verbose = bool(isinstance(item, dict) and option(item, defaults, "verbose", bool))
        return "200", {"transcribe_audio": await transcribe(ctx, request, streamer(ctx, head, item, defaults),
                                                            verbose)}
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
        status, message = describe_failure(exc, "whisper")
        if status == "500":
            log.error("whisp failed", exc_info=exc)
        return status, {"transcribe_audio": {"error": message, "text": "", "chunks": []}}


async def handle(request: dict, ctx: Context) -> dict:
    head = {k: request[k] for k in ("type", "id") if k in request}
    return await single_or_batch(request, ctx, lambda item, defaults: process(item, defaults, ctx, head))
