"""Proto <-> engine type conversions for the TTS API, with range checks on
the sampling settings (those fish_speech's ServeTTSRequest accepts)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus_common.errors import InvalidArgument

from .engine import Params
from .references import Reference

ENGINE_NAMES = {pb.TTS_ENGINE_UNSPECIFIED: None, pb.TTS_ENGINE_FISH: "fish", pb.TTS_ENGINE_PIPER: "piper"}
ENGINE_ENUMS = {"fish": pb.TTS_ENGINE_FISH, "piper": pb.TTS_ENGINE_PIPER}
MAX_NEW_TOKENS = 8192

_RANGES = {
    "temperature": (0.1, 1.0),
    "top_p": (0.1, 1.0),
    "repetition_penalty": (0.9, 2.0),
    "max_new_tokens": (1, MAX_NEW_TOKENS),
    "chunk_length": (100, 300),
}


def duration(seconds: float) -> Duration:
    d = Duration()
    d.FromNanoseconds(round(seconds * 1e9))
    return d


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


def format_from_proto(value: int) -> int:
    if value == pb.AUDIO_FORMAT_UNSPECIFIED:
        return pb.AUDIO_FORMAT_WAV
    if value not in (pb.AUDIO_FORMAT_WAV, pb.AUDIO_FORMAT_PCM_S16LE):
        raise InvalidArgument(f"unknown audio format {value}", reason="UNKNOWN_FORMAT")
    return value


def reference_to_proto(ref: Reference) -> pb.Reference:
    created = Timestamp()
    created.FromDatetime(datetime.fromisoformat(ref.create_time))
    return pb.Reference(reference_id=ref.reference_id, display_name=ref.display_name, text=ref.text,
                        duration=duration(ref.duration_s), create_time=created)
