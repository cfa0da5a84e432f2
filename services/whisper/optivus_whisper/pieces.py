"""Cuts a stream of 16 kHz sample blocks into pieces the model decodes on
their own, holding at most a few minutes of audio at any time.

Two ways to cut:
- every sample kept (PieceCutter(speech_only=False)): pieces follow one
  another with no gap, each cut at the quietest moment near its end (a
  pause between words), so that nothing is lost and no word is split;
- speech only (speech_only=True, the client's vad_filter): the Silero VAD
  finds speech, and neighbouring stretches of speech are grouped into
  pieces; the silence between pieces is skipped.
Offsets are in seconds from the start of the audio."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE

# Energy is measured over 10 ms frames, smoothed over QUIET_S.
_FRAME = SAMPLE_RATE // 100
QUIET_S = 0.3
# A pause: 10 ms frames at least this far under the loud ones, for at least
# MIN_PAUSE_FRAMES frames.
SILENCE_DB = -35.0
MIN_PAUSE_FRAMES = 8
# Speech-only mode runs the VAD over this much buffered audio at a time.
VAD_BUFFER_S = 120.0


@dataclass(frozen=True)
class Piece:
    # Seconds from the start of the audio to the piece's first sample.
    offset: float
    audio: np.ndarray
    # Seconds at the start that belong to the piece before: context only.
    lead: float = 0.0

    @property
    def duration(self) -> float:
        return self.audio.size / SAMPLE_RATE


def quiet_cut(audio: np.ndarray, lo: int, hi: int) -> int:
    """A sample index in [lo, hi] to cut at: the middle of the longest pause
    there (sentences end in longer pauses than clauses; the latest pause
    wins a tie), else the centre of the quietest QUIET_S stretch."""
    lo, hi = max(0, lo), min(hi, audio.size)
    if hi - lo < _FRAME:
        return hi
    first, last = lo // _FRAME, hi // _FRAME
    frames = audio[first * _FRAME:last * _FRAME].reshape(-1, _FRAME)
    energy = np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / _FRAME
    loud = np.percentile(energy, 95)
    quiet = energy <= max(loud * 10 ** (SILENCE_DB / 10), 1e-10)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
    runs = list(zip(edges[::2], edges[1::2]))  # [start, end) frame indices of quiet runs
    if runs:
        start, end = max(runs, key=lambda r: (r[1] - r[0], r[0]))
        if end - start >= MIN_PAUSE_FRAMES:
            return min(hi, max(lo, (first + (start + end) // 2) * _FRAME))
    width = max(1, round(QUIET_S * 100))
    smooth = np.convolve(energy, np.ones(width), mode="same")
    best = smooth.size - 1 - int(np.argmin(smooth[::-1]))
    return min(hi, max(lo, (first + best) * _FRAME + _FRAME // 2))


class PieceCutter:
    """feed() blocks as they are decoded and get the pieces that are ready;
    finish() returns the rest. Pieces are at most max_s long; cuts in
    every-sample mode fall in the last (max_s - min_s) seconds. With lead_s,
    each piece also starts with up to lead_s seconds of the audio before it
    (context for the model; Piece.lead says how much)."""

    def __init__(self, max_s: float = 30.0, min_s: float = 15.0, speech_only: bool = False,
                 lead_s: float = 0.0) -> None:
        self._max = int(max_s * SAMPLE_RATE)
        self._min = int(min_s * SAMPLE_RATE)
        self._lead = int(lead_s * SAMPLE_RATE)
        self._speech_only = speech_only
        self._buffer = np.zeros(0, np.float32)
        self._context = np.zeros(0, np.float32)  # the audio just before the buffer
        self._start = 0  # sample index of the buffer's first sample

    def feed(self, block: np.ndarray) -> list[Piece]:
        self._buffer = np.concatenate([self._buffer, block.astype(np.float32, copy=False)])
        if self._speech_only:
            return self._speech(final=False) if self._buffer.size >= VAD_BUFFER_S * SAMPLE_RATE else []
        return self._every_sample(final=False)

    def finish(self) -> list[Piece]:
        return self._speech(final=True) if self._speech_only else self._every_sample(final=True)

    def _take(self, start: int, end: int) -> Piece:
        before = np.concatenate([self._context, self._buffer[:start]])[-self._lead:] if self._lead else []
        audio = np.concatenate([before, self._buffer[start:end]]).astype(np.float32)
        return Piece((self._start + start - len(before)) / SAMPLE_RATE, audio, len(before) / SAMPLE_RATE)

    def _drop(self, n: int) -> None:
        if self._lead:
            self._context = np.concatenate([self._context, self._buffer[:n]])[-self._lead:]
        self._buffer = self._buffer[n:].copy()
        self._start += n

    def _every_sample(self, final: bool) -> list[Piece]:
        pieces = []
        # Not final: cut only with a full piece and some audio after it, so
        # that the quiet point is chosen with what follows in view.
        while self._buffer.size > (self._max if final else self._max + SAMPLE_RATE):
            size = self._buffer.size
            lo = self._min if not final else max(self._min, size - self._max)
            cut = quiet_cut(self._buffer, min(lo, self._max), self._max)
            pieces.append(self._take(0, cut))
            self._drop(cut)
        if final and self._buffer.size:
            pieces.append(self._take(0, self._buffer.size))
            self._drop(self._buffer.size)
        return pieces

    def _speech(self, final: bool) -> list[Piece]:
        spans = group_spans(speech_spans(self._buffer, self._max / SAMPLE_RATE), self._max)
        # Not final: a span that ends near the buffer's end may still grow.
        guard = self._buffer.size if final else self._buffer.size - self._max
        ready = [s for s in spans if s[1] <= guard]
        pieces = [self._take(a, b) for a, b in ready]
        later = [s for s in spans if s[1] > guard]
        keep_from = later[0][0] if later else max(guard, ready[-1][1] if ready else 0)
        self._drop(min(keep_from, self._buffer.size))
        return pieces


def speech_spans(audio: np.ndarray, max_s: float) -> list[tuple[int, int]]:
    """Silero VAD's speech stretches (sample indices), none longer than max_s,
    with the options faster-whisper's batched pipeline uses."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if not audio.size:
        return []
    found = get_speech_timestamps(audio, VadOptions(max_speech_duration_s=max_s, min_silence_duration_ms=160))
    return [(s["start"], s["end"]) for s in found]


def group_spans(spans: Iterable[tuple[int, int]], max_len: int) -> list[tuple[int, int]]:
    """Neighbouring spans joined while the whole stays within max_len."""
    grouped: list[tuple[int, int]] = []
    for start, end in spans:
        end = min(end, start + max_len)
        if grouped and end - grouped[-1][0] <= max_len:
            grouped[-1] = (grouped[-1][0], end)
        else:
            grouped.append((start, end))
    return grouped


def pieces_of(blocks: Iterable[np.ndarray], cutter: PieceCutter) -> Iterator[Piece]:
    for block in blocks:
        yield from cutter.feed(block)
    yield from cutter.finish()
