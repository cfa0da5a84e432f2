"""Renders a transcript as plain text, SubRip or WebVTT. A diarized
segment (one with a speaker) is tagged: "SPEAKER_00: text" in plain
text, "[SPEAKER_00] text" in SubRip, a voice span "<v SPEAKER_00>text" in
WebVTT."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Timed(Protocol):
    start: float
    end: float
    text: str


def _clock(seconds: float, decimal: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"


def _speaker(segment: Timed) -> str:
    return getattr(segment, "speaker", "")


def _vtt_text(segment: Timed) -> str:
    speaker = _speaker(segment)
    return f"<v {speaker}>{segment.text.strip()}" if speaker else segment.text.strip()


def to_text(segments: Sequence[Timed]) -> str:
    return "".join(f"{_speaker(s) + ': ' if _speaker(s) else ''}{s.text.strip()}\n" for s in segments)


def to_srt(segments: Sequence[Timed]) -> str:
    blocks = [
        f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n"
        f"{'[' + _speaker(s) + '] ' if _speaker(s) else ''}{s.text.strip()}\n"
        for i, s in enumerate(segments, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(segments: Sequence[Timed]) -> str:
    blocks = [f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{_vtt_text(s)}\n" for s in segments]
    return "WEBVTT\n\n" + "\n".join(blocks)


_RENDER = {"text": to_text, "srt": to_srt, "vtt": to_vtt}


def render(segments: Sequence[Timed], output_format: str) -> str:
    """The transcript as `output_format` ("text", "srt", "vtt"); "" for "segments"."""
    fn = _RENDER.get(output_format)
    return fn(segments) if fn else ""
