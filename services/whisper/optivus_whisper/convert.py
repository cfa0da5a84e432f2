"""Proto <-> engine type conversions for the speech API."""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.duration_pb2 import Duration

from optivus.speech.v1 import speech_service_pb2 as pb

from . import formats
from .engine import AudioInfo, Options, Segment

_TASKS = {pb.TASK_UNSPECIFIED: "transcribe", pb.TASK_TRANSCRIBE: "transcribe", pb.TASK_TRANSLATE: "translate"}


def duration(seconds: float) -> Duration:
    d = Duration()
    d.FromNanoseconds(round(seconds * 1e9))
    return d


def options_from_proto(config: pb.RecognitionConfig) -> Options:
    return Options(
        language=config.language_code.strip().lower() or None,
        task=_TASKS.get(config.task, "transcribe"),
        word_timestamps=config.word_timestamps,
        vad_filter=config.vad_filter,
        beam_size=config.beam_size or None,
        initial_prompt=config.initial_prompt or None,
    )


def segment_to_proto(seg: Segment) -> pb.Segment:
    return pb.Segment(
        index=seg.index, start=duration(seg.start), end=duration(seg.end), text=seg.text,
        words=[pb.Word(start=duration(w.start), end=duration(w.end), word=w.word, probability=w.probability)
               for w in seg.words],
        avg_logprob=seg.avg_logprob, no_speech_prob=seg.no_speech_prob,
    )


_RENDER = {
    pb.OUTPUT_FORMAT_TEXT: formats.to_text,
    pb.OUTPUT_FORMAT_SRT: formats.to_srt,
    pb.OUTPUT_FORMAT_VTT: formats.to_vtt,
}


def result_to_proto(info: AudioInfo, segments: Sequence[Segment], output_format: int, model: str) -> pb.TranscriptionResult:
    render = _RENDER.get(output_format)
    return pb.TranscriptionResult(
        language_code=info.language,
        language_probability=info.language_probability,
        duration=duration(info.duration),
        text=" ".join(s.text for s in segments if s.text),
        segment_count=len(segments),
        output_format=output_format or pb.OUTPUT_FORMAT_SEGMENTS,
        formatted=render(segments) if render else "",
        model=model,
    )
