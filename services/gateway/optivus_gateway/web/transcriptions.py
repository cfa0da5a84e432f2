"""POST /v1/audio/transcriptions and /v1/audio/translations, as OpenAI's
audio API takes them (multipart: file, model, language, prompt,
temperature, response_format json|text|srt|vtt|verbose_json,
timestamp_granularities[] word|segment, stream), served by the whisper
service. `model` may be any name: this server has one speech model (its
name is in verbose_json's `model`). `temperature` is checked (0 to 1) but
the service decodes with its own fallback schedule. With stream=true the
reply is server-sent events: `transcript.text.delta` per segment as it is
decoded, then `transcript.text.done`. The file is kept as an upload of the
caller only while it is transcribed.

Who spoke when: `response_format=diarized_json` (OpenAI's shape: segments
of type `transcript.text.segment` with a `speaker`; unnamed speakers are
A, B, ... as OpenAI labels them, enrolled speakers keep their names), or
the extension fields `diarize=true`, `min_speakers`, `max_speakers` with
any format (verbose_json segments and words then carry `speaker`, SRT/VTT
the service's speaker tags). Streamed, diarized_json also sends a
`transcript.text.segment` event per segment."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc

from ..access import Principal
from ..handlers.whisp import _seconds
from .errors import ApiError, api_error
from .forms import Form, read_form
from .media import uploads_of
from .sse import event, sse_response

log = logging.getLogger(__name__)

FORMATS = ("json", "text", "srt", "vtt", "verbose_json", "diarized_json")
_OUTPUT = {"srt": pb.OUTPUT_FORMAT_SRT, "vtt": pb.OUTPUT_FORMAT_VTT}
GRANULARITIES = ("word", "segment")


def _bool(form: Form, name: str) -> bool:
    value = (form.get(name) or "false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ApiError(400, f"`{name}` must be true or false", "invalid_value", name)
    return value in ("true", "1")


def _int(form: Form, name: str) -> int:
    value = (form.get(name) or "0").strip()
    if not value.isdigit() or int(value) > 1000:
        raise ApiError(400, f"`{name}` must be a whole number", "invalid_value", name)
    return int(value)


def _config(form: Form, translate: bool) -> tuple[pb.RecognitionConfig, str, list[str]]:
    if not (form.get("model") or "").strip():
        raise ApiError(400, "`model` is required (any name: this server has one speech model)", "missing_model",
                       "model")
    fmt = form.get("response_format") or "json"
    if fmt not in FORMATS:
        raise ApiError(400, "`response_format` must be one of " + ", ".join(FORMATS), "invalid_value",
                       "response_format")
    granularities = form.all("timestamp_granularities")
    if any(g not in GRANULARITIES for g in granularities):
        raise ApiError(400, "`timestamp_granularities[]` may hold word and segment", "invalid_value",
                       "timestamp_granularities")
    if granularities and fmt != "verbose_json":
        raise ApiError(400, "`timestamp_granularities[]` needs response_format verbose_json", "invalid_value",
                       "timestamp_granularities")
    temperature = form.get("temperature")
    if temperature is not None:
        try:
            value = float(temperature)
        except ValueError:
            value = -1.0
        if not 0.0 <= value <= 1.0:
            raise ApiError(400, "`temperature` must be a number from 0 to 1", "invalid_value", "temperature")
    config = pb.RecognitionConfig(task=pb.TASK_TRANSLATE if translate else pb.TASK_TRANSCRIBE,
                                  initial_prompt=form.get("prompt") or "", output_format=_OUTPUT.get(fmt, 0),
                                  word_timestamps="word" in granularities)
    language = form.get("language")
    if language and not translate:
        config.language_code = language.strip()
    config.diarize = fmt == "diarized_json" or _bool(form, "diarize")
    config.min_speakers, config.max_speakers = _int(form, "min_speakers"), _int(form, "max_speakers")
    if fmt == "diarized_json" and translate:
        raise ApiError(400, "translations have no diarized_json", "invalid_value", "response_format")
    return config, fmt, granularities


def speaker_label(speaker: str) -> str:
    """SPEAKER_00, SPEAKER_01, ... as OpenAI's A, B, ..., Z, AA, AB, ...;
    an enrolled speaker's name as it is."""
    if not speaker.startswith("SPEAKER_") or not speaker[8:].isdigit():
        return speaker
    n, label = int(speaker[8:]), ""
    while True:
        n, rest = divmod(n, 26)
        label = chr(ord("A") + rest) + label
        if n == 0:
            return label
        n -= 1


def _diarized_segment(segment: pb.Segment) -> dict:
    return {"type": "transcript.text.segment", "id": f"seg_{segment.index}", "start": _seconds(segment.start),
            "end": _seconds(segment.end), "text": segment.text, "speaker": speaker_label(segment.speaker)}


def _diarized(result: pb.TranscriptionResult, segments: list[pb.Segment]) -> dict:
    duration = _seconds(result.duration)
    return {"task": "transcribe", "duration": duration, "text": result.text,
            "segments": [_diarized_segment(s) for s in segments], "usage": {"type": "duration", "seconds": duration}}


def _verbose(result: pb.TranscriptionResult, segments: list[pb.Segment], granularities: list[str],
             translate: bool) -> dict:
    body = {"task": "translate" if translate else "transcribe", "language": result.language_code,
            "duration": _seconds(result.duration), "text": result.text, "model": result.model}
    if not granularities or "segment" in granularities:
        body["segments"] = [{"id": s.index, "start": _seconds(s.start), "end": _seconds(s.end), "text": s.text,
                             "avg_logprob": round(s.avg_logprob, 4), "no_speech_prob": round(s.no_speech_prob, 4),
                             **({"speaker": s.speaker} if s.speaker else {})}
                            for s in segments]
    if "word" in granularities:
        body["words"] = [{"word": w.word, "start": _seconds(w.start), "end": _seconds(w.end),
                          **({"speaker": w.speaker} if w.speaker else {})}
                         for s in segments for w in s.words]
    if result.speakers:
        body["speakers"] = list(result.speakers)
    return body


def routes(gateway):
    stub = lambda: pb_grpc.SpeechServiceStub(gateway.backends.channel("whisper"))  # noqa: E731
    timeout = gateway.settings.request_timeout_s

    async def run(request: Request, principal: Principal, translate: bool) -> Response:
        uploads = uploads_of(gateway)
        form = await read_form(request, "file", lambda name, kind: uploads.receiver(principal, name, kind))
        try:
            config, fmt, granularities = _config(form, translate)
            stream = _bool(form, "stream")
            record = await form.receiver.finish()
        except BaseException:
            form.receiver.abort()
            raise
        call = pb.TranscribeRequest(audio=uploads.ref(record), config=config)
        if stream:
            return sse_response(_events(call, record, fmt == "diarized_json"))
        try:
            segments, result = [], None
            async for response in stub().Transcribe(call, timeout=timeout):
                if response.HasField("segment"):
                    segments.append(response.segment)
                else:
                    result = response.result
        finally:
            await uploads.delete(record)
        if fmt == "json":
            return JSONResponse({"text": result.text})
        if fmt == "verbose_json":
            return JSONResponse(_verbose(result, segments, granularities, translate))
        if fmt == "diarized_json":
            return JSONResponse(_diarized(result, segments))
        if fmt == "text":
            return PlainTextResponse(result.text + "\n")
        return PlainTextResponse(result.formatted, media_type="text/vtt" if fmt == "vtt" else "text/plain")

    async def _events(call, record, diarized: bool):
        text = []
        try:
            async for response in stub().Transcribe(call, timeout=timeout):
                if response.HasField("segment"):
                    delta = response.segment.text if not text else " " + response.segment.text
                    text.append(response.segment.text)
                    yield event({"type": "transcript.text.delta", "delta": delta})
                    if diarized:
                        yield event(_diarized_segment(response.segment))
                else:
                    yield event({"type": "transcript.text.done", "text": response.result.text})
        except Exception as exc:  # noqa: BLE001 - the status line is sent: the error goes in the stream
            error = api_error(exc, "whisper")
            yield event({"error": {"message": error.message, "type": "server_error" if error.status >= 500
                                   else "invalid_request_error", "code": error.code}})
        finally:
            await uploads_of(gateway).delete(record)

    async def transcriptions(request: Request, principal: Principal) -> Response:
        return await run(request, principal, translate=False)

    async def translations(request: Request, principal: Principal) -> Response:
        return await run(request, principal, translate=True)

    return transcriptions, translations
