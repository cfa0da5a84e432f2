"""The plain types every layer of the Whisper service shares: what a
client asks for (Options), what the model produces (Segment, Word,
AudioInfo) and what a whole request answers (Transcript). No gRPC here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from . import formats

OutputFormat = Literal["segments", "text", "srt", "vtt"]
# "auto" leaves the choice to the server (WhisperSettings.decoding).
Decoding = Literal["auto", "sequential", "batched"]


@dataclass(frozen=True)
class Options:
    language: str | None = None
    task: str = "transcribe"
    word_timestamps: bool = False
    vad_filter: bool = False
    beam_size: int | None = None
    initial_prompt: str | None = None
    decoding: Decoding = "auto"
    # Speaker labels on segments and words (diarization.py); 0 leaves a
    # bound to the server (1 and OPTIVUS_WHISPER_DIARIZE_MAX_SPEAKERS).
    diarize: bool = False
    min_speakers: int = 0
    max_speakers: int = 0


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float
    speaker: str = ""  # with diarize only


@dataclass(frozen=True)
class Segment:
    index: int
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    speaker: str = ""  # with diarize only


@dataclass(frozen=True)
class AudioInfo:
    language: str
    language_probability: float
    duration: float
    # How the audio was decoded: "sequential" or "batched".
    decoding: str = "sequential"


@dataclass(frozen=True)
class Transcript:
    """The summary after the last segment of a request."""

    language: str
    language_probability: float
    duration: float
    text: str
    segment_count: int
    output_format: OutputFormat
    # The transcript in output_format; empty for "segments".
    formatted: str
    model: str
    decoding: str = "sequential"
    # The speakers found, in order of first appearance (with diarize only).
    speakers: tuple[str, ...] = ()


class TranscriptBuilder:
    """Collects a request's segments as they stream past and makes its
    Transcript; keeps whole segments only when a rendering needs them."""

    def __init__(self, output_format: OutputFormat, model: str) -> None:
        self._format = output_format
        self._model = model
        self._texts: list[str] = []
        self._segments: list[Segment] = []
        self._speakers: dict[str, None] = {}
        self.count = 0

    @property
    def speakers(self) -> tuple[str, ...]:
        """The speakers of the segments so far, in order of first appearance."""
        return tuple(self._speakers)

    def add(self, segment: Segment) -> None:
        self.count += 1
        if segment.speaker:
            self._speakers.setdefault(segment.speaker)
        if segment.text:
            self._texts.append(segment.text)
        if self._format != "segments":
            self._segments.append(segment)

    def finish(self, info: AudioInfo) -> Transcript:
        return Transcript(
            language=info.language, language_probability=info.language_probability, duration=info.duration,
            text=" ".join(self._texts), segment_count=self.count, output_format=self._format,
            formatted=formats.render(self._segments, self._format), model=self._model, decoding=info.decoding,
            speakers=self.speakers,
        )
