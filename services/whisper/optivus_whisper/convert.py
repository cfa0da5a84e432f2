"""Proto <-> plain type conversions for the speech API (transport side)."""

from __future__ import annotations

import numpy as np

from optivus.speech.v1 import speech_service_pb2 as pb
from optivus_common.convert import duration
from optivus_common.errors import InvalidArgument

from .known_speakers import KnownSpeaker
from .live import LiveConfig, LiveUpdate
from .transcript import Options, OutputFormat, Segment, Transcript

_TASKS = {pb.TASK_UNSPECIFIED: "transcribe", pb.TASK_TRANSCRIBE: "transcribe", pb.TASK_TRANSLATE: "translate"}
_FORMATS: dict[int, OutputFormat] = {
    pb.OUTPUT_FORMAT_UNSPECIFIED: "segments", pb.OUTPUT_FORMAT_SEGMENTS: "segments",
    pb.OUTPUT_FORMAT_TEXT: "text", pb.OUTPUT_FORMAT_SRT: "srt", pb.OUTPUT_FORMAT_VTT: "vtt",
}
_FORMAT_ENUMS = {name: value for value, name in _FORMATS.items() if value != pb.OUTPUT_FORMAT_UNSPECIFIED}
_DECODINGS = {pb.DECODING_UNSPECIFIED: "auto", pb.DECODING_SEQUENTIAL: "sequential", pb.DECODING_BATCHED: "batched"}
_DECODING_ENUMS = {"sequential": pb.DECODING_SEQUENTIAL, "batched": pb.DECODING_BATCHED}


def options_from_proto(config: pb.RecognitionConfig) -> Options:
    return Options(
        language=config.language_code.strip().lower() or None,
        task=_TASKS.get(config.task, "transcribe"),
        word_timestamps=config.word_timestamps,
        vad_filter=config.vad_filter,
        beam_size=config.beam_size or None,
        initial_prompt=config.initial_prompt or None,
        decoding=_DECODINGS.get(config.decoding, "auto"),
        diarize=config.diarize,
        min_speakers=config.min_speakers,
        max_speakers=config.max_speakers,
    )


def output_format(config: pb.RecognitionConfig) -> OutputFormat:
    return _FORMATS.get(config.output_format, "segments")


def segment_to_proto(seg: Segment) -> pb.Segment:
    return pb.Segment(
        index=seg.index, start=duration(seg.start), end=duration(seg.end), text=seg.text,
        words=[pb.Word(start=duration(w.start), end=duration(w.end), word=w.word, probability=w.probability,
                       speaker=w.speaker)
               for w in seg.words],
        avg_logprob=seg.avg_logprob, no_speech_prob=seg.no_speech_prob, speaker=seg.speaker,
    )


def transcript_to_proto(t: Transcript) -> pb.TranscriptionResult:
    return pb.TranscriptionResult(
        language_code=t.language,
        language_probability=t.language_probability,
        duration=duration(t.duration),
        text=t.text,
        segment_count=t.segment_count,
        output_format=_FORMAT_ENUMS[t.output_format],
        formatted=t.formatted,
        model=t.model,
        decoding=_DECODING_ENUMS.get(t.decoding, pb.DECODING_UNSPECIFIED),
        speakers=t.speakers,
    )


def live_config_from_proto(request: pb.StreamingTranscribeRequest | None) -> tuple[LiveConfig, int]:
    """The session's config and the AudioEncoding its chunks use."""
    if request is None or request.WhichOneof("request") != "config":
        raise InvalidArgument("the first request must carry `config`", reason="CONFIG_MISSING")
    cfg = request.config
    return LiveConfig(options=options_from_proto(cfg.config), sample_rate=cfg.sample_rate_hertz or 16000,
                      interim_results=cfg.interim_results, output_format=output_format(cfg.config)), cfg.encoding


def audio_chunk(request: pb.StreamingTranscribeRequest) -> bytes:
    if request.WhichOneof("request") != "audio_chunk":
        raise InvalidArgument("only the first request may carry `config`", reason="CONFIG_REPEATED")
    return request.audio_chunk


def to_samples(chunk: bytes, encoding: int) -> np.ndarray:
    """A client's raw chunk as float32 samples in [-1, 1] at its own rate."""
    if encoding == pb.AUDIO_ENCODING_FLOAT32:
        if len(chunk) % 4:
            raise InvalidArgument("FLOAT32 chunks must hold whole 4-byte samples", reason="BAD_AUDIO_CHUNK")
        return np.frombuffer(chunk, dtype="<f4").astype(np.float32)
    if len(chunk) % 2:
        raise InvalidArgument("LINEAR16 chunks must hold whole 2-byte samples", reason="BAD_AUDIO_CHUNK")
    return np.frombuffer(chunk, dtype="<i2").astype(np.float32) / 32768.0


def live_update_to_proto(update: LiveUpdate) -> pb.StreamingTranscribeResponse:
    response = pb.StreamingTranscribeResponse(segments=[segment_to_proto(s) for s in update.segments],
                                              is_final=update.is_final)
    if update.transcript is not None:
        response.result.CopyFrom(transcript_to_proto(update.transcript))
    return response


def known_speaker_to_proto(speaker: KnownSpeaker) -> pb.KnownSpeaker:
    return pb.KnownSpeaker(speaker_id=speaker.speaker_id, name=speaker.name, duration=duration(speaker.duration_s),
                           encoder=speaker.encoder)
