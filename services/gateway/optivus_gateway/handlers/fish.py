"""`fish`: text to speech (and saved voice references) through the Fish service.

Request: `text`; a voice from `reference_id` (saved) or `references`
([{"audio": path or bytes, "text": ...}]); `reference_audio` (path or
bytes) + `reference_text` to save a reference first; optional
`temperature`, `top_p`, `repetition_penalty`, `max_new_tokens`,
`chunk_length`, `seed`, `engine` ("auto", "fish", "piper"),
`audio_data` (false: leave the samples out) and `stream` (true: each
piece of audio is sent as it is spoken, in a "102" message {"audio":
16-bit little-endian mono PCM as a binary attachment, "sample_rate",
"format": "pcm_s16le", "sentence_index", "chunk_index"}, before the
unchanged "200" reply). Audio paths may be media ids (uploads).

Reply data: `fish` = path of the WAV under FS_PATH (a unique name),
`audio_data` = the samples as floats in [-1, 1], 4 decimals (left out
above OPTIVUS_GATEWAY_FISH_AUDIO_DATA_MAX_S), `sample_rate`, `duration`,
`engine`, `model`; when saving: `reference_id`, `status` ("success" or
"error") and `message`."""

from __future__ import annotations

import asyncio
import logging
import math

import numpy as np

from optivus.media.v1 import media_ref_pb2
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc

from ..envelope import RequestError, describe_failure, envelope
from ..uploads import file_ref
from .context import Context
from .options import option

log = logging.getLogger(__name__)

_ENGINES = {"auto": pb.TTS_ENGINE_UNSPECIFIED, "fish": pb.TTS_ENGINE_FISH, "piper": pb.TTS_ENGINE_PIPER}
_ENGINE_NAMES = {pb.TTS_ENGINE_FISH: "fish", pb.TTS_ENGINE_PIPER: "piper"}
_FLOAT_PARAMS = ("temperature", "top_p", "repetition_penalty")
# What the proto's int32 / int64 fields hold; the service checks the useful ranges.
_INT32, _INT64 = (-(1 << 31), (1 << 31) - 1), (-(1 << 63), (1 << 63) - 1)
_INT_PARAMS = {"max_new_tokens": _INT32, "chunk_length": _INT32, "seed": _INT64}
# audio_data floats keep 4 decimals: a third of the JSON of full float reprs.
_AUDIO_DATA_DECIMALS = 4


def _audio_ref(value, key: str) -> media_ref_pb2.MediaRef:
    if isinstance(value, (bytes, bytearray)):
        if not value:
            raise RequestError(f"`{key}` is empty")
        return media_ref_pb2.MediaRef(content=bytes(value))
    if isinstance(value, str) and value:
        return file_ref(value)
    raise RequestError(f"`{key}` must be the path of an audio file on the server, or the audio bytes")


def _params(request: dict) -> pb.SynthesisParams:
    params = pb.SynthesisParams()
    for key in _FLOAT_PARAMS:
        if (value := option(request, {}, key, (int, float), "a number")) is not None:
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise RequestError(f"`{key}` must be a finite number")
            setattr(params, key, number)
    for key, (low, high) in _INT_PARAMS.items():
        if (value := option(request, {}, key, (int,), "a whole number")) is not None:
            if not low <= value <= high:
                raise RequestError(f"`{key}` must be a whole number from {low} to {high}")
            setattr(params, key, value)
    return params


def _references(request: dict) -> list[pb.ReferenceAudio]:
    items = request.get("references")
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RequestError("`references` must be a list of {\"audio\": ..., \"text\": ...} objects")
    refs = []
    for item in items:
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            raise RequestError("each of `references` needs `text`: what is said in its audio")
        refs.append(pb.ReferenceAudio(audio=_audio_ref(item.get("audio"), "references[].audio"), text=text))
    return refs


def _engine(request: dict) -> int:
    name = option(request, {}, "engine", (str,), "\"auto\", \"fish\" or \"piper\"")
    if name is not None and name not in _ENGINES:
        raise RequestError("`engine` must be \"auto\", \"fish\" or \"piper\"")
    return _ENGINES[name or "auto"]


def _stub(ctx: Context) -> pb_grpc.TtsServiceStub:
    return pb_grpc.TtsServiceStub(ctx.backends.channel("fish"))


async def save_reference(request: dict, ctx: Context) -> str:
    text = request.get("reference_text")
    if not isinstance(text, str) or not text.strip():
        raise RequestError("`reference_text` is missing: what is said in `reference_audio`")
    name = option(request, {}, "reference_name", (str,), "a string") or ""
    reply = await _stub(ctx).AddReference(
        pb.AddReferenceRequest(reference=pb.ReferenceAudio(audio=_audio_ref(request["reference_audio"],
                                                                            "reference_audio"), text=text),
                               display_name=name),
        timeout=ctx.settings.request_timeout_s)
    return reply.reference.reference_id


async def synthesize(request: dict, ctx: Context, reference_id: str | None) -> dict:
    text = request.get("text")
    if not isinstance(text, str):
        raise RequestError("`text` must be a string: what to say")
    if reference_id is None:
        reference_id = option(request, {}, "reference_id", (str,), "a string")
    want_samples = option(request, {}, "audio_data", (bool,), "true or false")
    stream = option(request, {}, "stream", (bool,), "true or false")
    head = {k: request[k] for k in ("type", "id") if k in request}
    call = pb.SynthesizeRequest(text=text, reference_id=reference_id or "", references=_references(request),
                                format=pb.AUDIO_FORMAT_PCM_S16LE, engine=_engine(request), params=_params(request),
                                store=True)
    header, summary, pcm = None, None, []
    async for response in _stub(ctx).Synthesize(call, timeout=ctx.settings.request_timeout_s):
        kind = response.WhichOneof("response")
        if kind == "header":
            header = response.header
        elif kind == "chunk":
            pcm.append(response.chunk.data)
            if stream:
                await ctx.emit(envelope("102", {**head, "audio": response.chunk.data,
                                                "sample_rate": header.sample_rate_hertz, "format": "pcm_s16le",
                                                "sentence_index": response.chunk.sentence_index,
                                                "chunk_index": len(pcm) - 1}))
        else:
            summary = response.summary
    rate = header.sample_rate_hertz
    samples = np.frombuffer(b"".join(pcm), dtype="<i2")
    seconds = samples.size / rate
    reply = {"fish": summary.stored.path, "sample_rate": rate, "duration": round(seconds, 3),
             "engine": _ENGINE_NAMES.get(header.engine, "unknown"), "model": header.model}
    limit = ctx.settings.fish_audio_data_max_s
    if want_samples is not False:
        if seconds <= limit:
            # Hundreds of thousands of Python floats: built in a thread, off the event loop.
            reply["audio_data"] = await asyncio.to_thread(_float_list, samples)
        else:
            reply["audio_data_omitted"] = (f"the audio is {seconds:.1f} s long, over this server's "
                                           f"{limit:g} s limit for audio_data: read the WAV at `fish`")
    return reply


def _float_list(samples: np.ndarray) -> list[float]:
    """PCM16 as the seed's list of floats in [-1, 1]."""
    return np.round(samples.astype(np.float64) / 32767.0, _AUDIO_DATA_DECIMALS).tolist()


def _echo(request: dict) -> dict:
    """The request as the reply echoes it, without audio bytes."""
    echo = {k: v for k, v in request.items()
            if not isinstance(v, (bytes, bytearray)) and k != "audio_data"}
    if isinstance(request.get("references"), list) and any(
            isinstance(i, dict) and isinstance(i.get("audio"), (bytes, bytearray)) for i in request["references"]):
        echo.pop("references")
    return echo


async def handle(request: dict, ctx: Context) -> dict:
    echo = _echo(request)
    if not ctx.backends.configured("fish"):
        return envelope("503", {**echo, "error": "type 'fish' is not available on this server: "
                                                 "the fish service is not deployed"})
    saving = request.get("reference_audio") is not None
    fields: dict = {}
    try:
        if saving:
            fields["reference_id"] = await save_reference(request, ctx)
            fields.update(status="success", message="reference saved")
        if not saving or request.get("text") is not None:
            fields.update(await synthesize(request, ctx, fields.get("reference_id")))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a reply
        status, message = describe_failure(exc, "fish")
        if status == "500":
            log.error("fish failed", exc_info=exc)
        if saving and "reference_id" not in fields:
            fields.update(status="error", message=message)
        return envelope(status, {**echo, **fields, "error": message})
    return envelope("200", {**echo, **fields})
