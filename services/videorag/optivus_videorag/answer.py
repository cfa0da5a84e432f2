"""Answers from the retrieved clips, with citations "[n] video, mm:ss-mm:ss".

Without an LLM the answer is extractive: the clips' sentences closest to
the question (by embedding, with a small bonus for the question's words
and the clip's rank), each followed by its clip's [n]. With an LLM the
answer is generated from the numbered clips and cites them the same way."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .chunks import sentences
from .entities import STOP_WORDS
from .retrieve import ClipHit

MAX_SENTENCES = 2
SENTENCE_CLIPS = 3
MIN_SENTENCE_WORDS = 4
# A further sentence joins the answer only when it scores nearly as well as the best.
SECOND_SENTENCE_MARGIN = 0.15
CONTEXT_CHARS_PER_CLIP = 1500
NOTHING_FOUND = "Nothing in this library answers that question."

_CITE = re.compile(r"\[(\d{1,3})\]")
_WORD = re.compile(r"[a-z0-9']+")


def mmss(seconds: float) -> str:
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def label(number: int, hit: ClipHit) -> str:
    return f"[{number}] {hit.title or hit.video_id}, {mmss(hit.start)}-{mmss(hit.end)}"


@dataclass(frozen=True)
class Sentence:
    clip: int  # position in the hits
    text: str


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 2}


def candidates(hits: Sequence[ClipHit]) -> list[Sentence]:
    out = []
    for i, hit in enumerate(hits[:SENTENCE_CLIPS]):
        for line in hit.text.split("\n"):
            line = re.sub(r"^(Seen|On screen): ", "", line)
            for sentence in sentences(line):
                if len(sentence.split()) >= MIN_SENTENCE_WORDS:
                    out.append(Sentence(i, sentence))
    return out


def extractive(question: str, question_vector: np.ndarray, hits: Sequence[ClipHit],
               embed: Callable[[list[str]], np.ndarray]) -> tuple[str, list[int]]:
    """(answer text, positions of the cited hits in citation order)."""
    pool = candidates(hits)
    if not pool:
        return (NOTHING_FOUND, []) if not hits else (hits[0].text.split("\n")[0] + " [1]", [0])
    vectors = embed([s.text for s in pool])
    asked = _content_words(question)
    scores = []
    for s, v in zip(pool, vectors):
        overlap = len(asked & _content_words(s.text)) / max(1, len(asked))
        scores.append(float(v @ question_vector) + 0.3 * overlap - 0.05 * s.clip)
    chosen: list[Sentence] = []
    best = max(scores)
    for i in np.argsort(scores)[::-1]:
        if scores[int(i)] < best - SECOND_SENTENCE_MARGIN:
            break
        s = pool[int(i)]
        if all(s.text != c.text for c in chosen):
            chosen.append(s)
        if len(chosen) == MAX_SENTENCES:
            break
    order: list[int] = []
    for s in chosen:
        if s.clip not in order:
            order.append(s.clip)
    parts = [f"{s.text} [{order.index(s.clip) + 1}]" for s in chosen]
    return " ".join(parts), order


SYSTEM = ("You answer questions about videos using only the numbered clips given. Answer in one to three "
          "sentences. After each statement, cite the clip it comes from as [n]. If the clips do not contain "
          "the answer, say so.")


def prompt(question: str, hits: Sequence[ClipHit]) -> str:
    blocks = [f"{label(i + 1, h)}\n{h.text[:CONTEXT_CHARS_PER_CLIP]}" for i, h in enumerate(hits)]
    return "Clips:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}\nAnswer:"


def generated(llm, question: str, hits: Sequence[ClipHit],
              stop: threading.Event) -> Iterator[str]:
    """The LLM's answer in pieces, as they come."""
    yield from llm.stream(SYSTEM, prompt(question, hits), stop=stop)


def cited(answer: str, count: int) -> list[int]:
    """Positions (0-based) of the hits an answer cites, in order of first citation."""
    out: list[int] = []
    for match in _CITE.finditer(answer):
        n = int(match.group(1))
        if 1 <= n <= count and n - 1 not in out:
            out.append(n - 1)
    return out
