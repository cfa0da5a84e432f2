"""Proto <-> application types for the TTS API, with range checks on the
sampling settings (those fish_speech's ServeTTSRequest accepts)."""

from __future__ import annotations

from optivus.media.v1 import media_ref_pb2
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus_common.convert import duration, media_source, timestamp
from optivus_common.errors import InvalidArgument

from .app import AudioFormat, AudioPiece, SynthesisEnd, SynthesisRequest, SynthesisStart, VoiceSample
from .references import Reference
from .speech_engine import Params

ENGINE_NAMES = {pb.TTS_ENGINE_UNSPECIFIED: None, pb.TTS_ENGINE_FISH: "fish", pb.TTS_ENGINE_PIPER: "piper"}
ENGINE_ENUMS = {"fish": pb.TTS_ENGINE_FISH, "piper": pb.TTS_ENGINE_PIPER}
FORMATS: dict[int, AudioFormat] = {pb.AUDIO_FORMAT_UNSPECIFIED: "wav", pb.AUDIO_FORMAT_WAV: "wav",
                                   pb.AUDIO_FORMAT_PCM_S16LE: "pcm_s16le"}
FORMAT_ENUMS = {"wav": pb.AUDIO_FORMAT_WAV, "pcm_s16le": pb.AUDIO_FORMAT_PCM_S16LE}
MAX_NEW_TOKENS = 8192

_RANGES = {
    "temperature": (0.1, 1.0),
    "top_p": (0.1, 1.0),
    "repetition_penalty": (0.9, 2.0),
    "max_new_tokens": (1, MAX_NEW_TOKENS),
    "chunk_length": (100, 300),
}


def params_from_proto(p: pb.SynthesisParams) -> Params:
    values = {}
    for name, (low, high) in _RANGES.items():
        if p.HasField(name):
            value = getattr(p, name)
            if isinstance(value, float):
                value = round(value, 6)  # float32 on the wire
            if not low <= value <= high:
                raise InvalidArgument(f"params.{name} must be between {low} and {high}, not {value}",
                                      reason="INVALID_PARAMETER", field=name)
            values[name] = value
    if p.HasField("seed"):
        values["seed"] = p.seed
    return Params(**values)


def engine_from_proto(value: int) -> str | None:
    if value not in ENGINE_NAMES:
        raise InvalidArgument(f"unknown engine {value}", reason="UNKNOWN_ENGINE")
    return ENGINE_NAMES[value]


def format_from_proto(value: int) -> AudioFormat:
    if value not in FORMATS:
        raise InvalidArgument(f"unknown audio format {value}", reason="UNKNOWN_FORMAT")
    return FORMATS[value]


def synthesis_request(request: pb.SynthesizeRequest) -> SynthesisRequest:
    return SynthesisRequest(
        text=request.text, reference_id=request.reference_id,
        references=tuple(VoiceSample(media_source(r.audio), r.text) for r in request.references),
        engine=engine_from_proto(request.engine), params=params_from_proto(request.params),
        format=format_from_proto(request.format), store=request.store)


def synthesis_response(item: SynthesisStart | AudioPiece | SynthesisEnd) -> pb.SynthesizeResponse:
    if isinstance(item, AudioPiece):
        return pb.SynthesizeResponse(chunk=pb.AudioChunk(data=item.data, sentence_index=item.sentence_index))
    if isinstance(item, SynthesisStart):
        return pb.SynthesizeResponse(header=pb.SynthesisHeader(
            sample_rate_hertz=item.sample_rate, channels=1, format=FORMAT_ENUMS[item.format],
            engine=ENGINE_ENUMS[item.engine], model=item.model))
    summary = pb.SynthesisSummary(audio_duration=duration(item.audio_seconds), sentence_count=item.sentence_count)
    if item.stored is not None:
        summary.stored.CopyFrom(media_ref_pb2.MediaRef(path=str(item.stored), mime_type="audio/wav",
                                                       filename=item.stored.name))
    return pb.SynthesizeResponse(summary=summary)


def reference_to_proto(ref: Reference) -> pb.Reference:
    return pb.Reference(reference_id=ref.reference_id, display_name=ref.display_name, text=ref.text,
                        duration=duration(ref.duration_s), create_time=timestamp(ref.create_time))
