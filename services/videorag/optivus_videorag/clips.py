"""What the earlier stages said about a video, in plain types, and how it
is cut into clips: a clip is a time span with the words spoken in it, the
scenes seen in it and the text on screen, merged into one text."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# A last piece shorter than this joins the clip before it.
MIN_LAST_CLIP_S = 5.0


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Scene:
    start: float
    end: float
    # What the scene shows (a caption); empty when only OCR ran.
    text: str
    # The text read on screen.
    ocr_text: str = ""


@dataclass
class VideoContent:
    """The transcript and the scenes of one video (either may be empty:
    a video without sound, or one whose description failed)."""

    segments: list[Segment] = field(default_factory=list)
    scenes: list[Scene] = field(default_factory=list)
    # Known duration (0: unknown, taken from the last segment or scene).
    duration: float = 0.0
    language: str = ""

    @property
    def length(self) -> float:
        ends = [s.end for s in self.segments] + [s.end for s in self.scenes]
        return max([self.duration, *ends]) if ends or self.duration else 0.0


@dataclass
class Clip:
    index: int
    start: float
    end: float
    speech: str
    seen: list[str]
    on_screen: list[str]

    @property
    def text(self) -> str:
        """The clip as one text: what was said, then what was seen and read."""
        parts = []
        if self.speech:
            parts.append(self.speech)
        if self.seen:
            parts.append("Seen: " + " ".join(_sentence(s) for s in self.seen))
        if self.on_screen:
            parts.append("On screen: " + " ".join(_sentence(s) for s in self.on_screen))
        return "\n".join(parts)

    @property
    def empty(self) -> bool:
        return not (self.speech or self.seen or self.on_screen)


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?", ":")) else text + "."


def spans(length: float, clip_length: float) -> list[tuple[float, float]]:
    """[start, end) spans of `clip_length` covering [0, length]; a last
    piece under MIN_LAST_CLIP_S joins the one before."""
    if length <= 0:
        return []
    count = max(1, math.ceil(length / clip_length - 1e-9))
    out = [(i * clip_length, min(length, (i + 1) * clip_length)) for i in range(count)]
    if len(out) > 1 and out[-1][1] - out[-1][0] < MIN_LAST_CLIP_S:
        last = out.pop()
        out[-1] = (out[-1][0], last[1])
    return out


def _words(content: VideoContent) -> list[Word]:
    """Every spoken word with its time; a segment without word times
    counts as one word at its middle."""
    out: list[Word] = []
    for seg in content.segments:
        if seg.words:
            out.extend(w for w in seg.words if w.text.strip())
        elif seg.text.strip():
            middle = (seg.start + seg.end) / 2
            out.append(Word(middle, middle, seg.text.strip()))
    return out


def _unique(texts: list[str]) -> list[str]:
    seen, out = set(), []
    for text in texts:
        key = " ".join(text.lower().split())
        if key and key not in seen:
            seen.add(key)
            out.append(" ".join(text.split()))
    return out


def cut(content: VideoContent, clip_length: float) -> list[Clip]:
    """The video's clips, in order; clips with nothing said or seen are
    left out (their indexes keep their place in time)."""
    words = _words(content)
    clips: list[Clip] = []
    for index, (start, end) in enumerate(spans(content.length, clip_length)):
        last = end >= content.length
        spoken = [w.text.strip() for w in words
                  if start <= (w.start + w.end) / 2 < end or (last and (w.start + w.end) / 2 >= end)]
        overlapping = [s for s in content.scenes if s.start < end and s.end > start or (s.start == s.end == start)]
        seen = _unique([s.text for s in overlapping])
        screen = _unique([s.ocr_text for s in overlapping])
        clip = Clip(index, start, end, _join_words(spoken), seen, screen)
        if not clip.empty:
            clips.append(clip)
    return clips


def _join_words(words: list[str]) -> str:
    """Words as whisper gives them (with their leading spaces or not), as text."""
    text = " ".join(words)
    for mark in (" ,", " .", " ?", " !", " ;", " :"):
        text = text.replace(mark, mark[1])
    return " ".join(text.split())
