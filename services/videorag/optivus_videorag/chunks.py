"""Text chunks: a clip's text cut into pieces of at most `max_tokens`
tokens (counted by the embedding model's tokenizer), at sentence ends
where possible. A chunk never crosses a clip, so every chunk cites one
time span."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .clips import Clip

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Chunk:
    # "<video_id>:<clip index>:<n>"
    chunk_id: str
    video_id: str
    clip_index: int
    start: float
    end: float
    text: str


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def approx_tokens(text: str) -> int:
    """A word-piece count estimate (about 1.3 tokens per word) for when no tokenizer is at hand."""
    return max(1, round(len(text.split()) * 1.3))


def _pieces(sentence: str, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    """A sentence longer than the limit, cut between words."""
    if count(sentence) <= max_tokens:
        return [sentence]
    out, current = [], []
    for word in sentence.split():
        if current and count(" ".join([*current, word])) > max_tokens:
            out.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        out.append(" ".join(current))
    return out


def chunk_clip(video_id: str, clip: Clip, max_tokens: int,
               count: Callable[[str], int] = approx_tokens) -> list[Chunk]:
    parts: list[str] = []
    for sentence in sentences(clip.text):
        parts.extend(_pieces(sentence, max_tokens, count))
    texts: list[str] = []
    current: list[str] = []
    for part in parts:
        if current and count(" ".join([*current, part])) > max_tokens:
            texts.append(" ".join(current))
            current = []
        current.append(part)
    if current:
        texts.append(" ".join(current))
    return [Chunk(f"{video_id}:{clip.index}:{n}", video_id, clip.index, clip.start, clip.end, text)
            for n, text in enumerate(texts)]
