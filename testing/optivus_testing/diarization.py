"""The diarization corpus: conversations between distinct voices with
exact turn times, and the diarization error rate (DER) that scores a
diarized transcript against them.

Only one Piper voice ships, so the other speakers are that voice with its
pitch and formants moved together (the audio played faster or slower, as
ffmpeg's asetrate does): factor 1.25 sounds like a smaller speaker
talking a quarter faster, 0.8 like a larger one talking slower. Each
utterance is trimmed to its speech, so the reference times are where the
samples are."""

from __future__ import annotations

import io
import random
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

RATE = 16000
# Pitch-and-formant factors of the speakers: speaker i is VOICES[i].
VOICES = (1.0, 0.8, 1.25, 1.5)
LINES = [
    "Good morning, thanks for joining the call today.",
    "I looked at the numbers from last quarter and they are better than expected.",
    "Sales in the northern region grew by almost twelve percent.",
    "That sounds great, but what about the costs?",
    "Shipping became more expensive after the summer.",
    "We could move some orders to the rail service instead.",
    "I like that idea, can you send me a short summary?",
    "Sure, I will write it this afternoon.",
    "Do we still plan to visit the new warehouse next week?",
    "Yes, on Thursday, if the weather allows it.",
    "The roof repairs should be finished by then.",
    "Let us also invite the team from the design office.",
    "They asked about the new packaging for the winter season.",
    "I think the blue version looked better than the green one.",
    "Fine, we can decide that on Thursday together.",
    "One more thing: the budget meeting moved to Monday.",
    "Thank you, that is everything from my side.",
    "Then let us close here and talk again soon.",
]
# Silence between two utterances (seconds): within a turn, and at a change of speaker.
PAUSE_S = (0.25, 0.6)
TURN_PAUSE_S = (0.4, 1.0)


@dataclass(frozen=True)
class Turn:
    speaker: int
    start: float
    end: float


@dataclass(frozen=True)
class Conversation:
    audio: np.ndarray  # 16 kHz mono float32
    turns: list[Turn]  # one per utterance, in order (a speaker's turn may hold several)

    @property
    def speakers(self) -> int:
        return len({t.speaker for t in self.turns})

    @property
    def duration(self) -> float:
        return self.audio.size / RATE

    def write(self, path: Path) -> Path:
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes((np.clip(self.audio, -1, 1) * 32767).astype("<i2").tobytes())
        return path


def _trim(audio: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > threshold)
    return audio[loud[0]:loud[-1] + 1] if loud.size else audio[:0]


class Voices:
    """Every LINE spoken by every speaker, synthesised once and kept."""

    def __init__(self, piper_voice) -> None:
        self._piper = piper_voice
        self._said: dict[int, np.ndarray] = {}
        self._shifted: dict[tuple[int, int], np.ndarray] = {}

    def _say(self, line: int) -> tuple[np.ndarray, int]:
        if line not in self._said:
            from piper.config import SynthesisConfig

            buffer = io.BytesIO()
            with wave.open(buffer, "wb") as out:  # without Piper's random noise: the same audio every run
                self._piper.synthesize_wav(LINES[line], out, SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0))
            buffer.seek(0)
            with wave.open(buffer, "rb") as wav:
                rate = wav.getframerate()
                samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float32) / 32768
            self._said[line] = (samples, rate)
        return self._said[line]

    def utterance(self, speaker: int, line: int) -> np.ndarray:
        """LINES[line] in speaker's voice, 16 kHz, trimmed to its speech."""
        if (speaker, line) not in self._shifted:
            from scipy.signal import resample_poly

            samples, rate = self._say(line)
            # Resampled to RATE / factor and played at RATE: pitch and formants x factor.
            ratio = Fraction(round(RATE / VOICES[speaker]), rate).limit_denominator(2000)
            shifted = resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)
            self._shifted[speaker, line] = _trim(shifted)
        return self._shifted[speaker, line]


def conversation(voices: Voices, speakers: int, seconds: float, seed: int = 0,
                 turn_s: tuple[float, float] = (2.0, 15.0)) -> Conversation:
    """About `seconds` of `speakers` voices taking turns of turn_s seconds
    (of speech, one to several lines each), each speaker at least once,
    never the same speaker twice in a row."""
    if not 1 <= speakers <= len(VOICES):
        raise ValueError(f"1 to {len(VOICES)} speakers")
    rng = random.Random(seed)
    parts: list[np.ndarray] = []
    turns: list[Turn] = []
    at, previous, line = 0.0, None, rng.randrange(len(LINES))
    order = list(range(speakers))
    rng.shuffle(order)
    while at < seconds or len({t.speaker for t in turns}) < speakers:
        speaker = order.pop(0) if order else rng.choice([s for s in range(speakers) if s != previous])
        target = rng.uniform(*turn_s)
        spoken = 0.0
        while True:
            audio = voices.utterance(speaker, line)
            length = audio.size / RATE
            if spoken and spoken + length > turn_s[1]:
                break
            if parts:
                pause = rng.uniform(*(PAUSE_S if spoken else TURN_PAUSE_S))
                parts.append(np.zeros(int(pause * RATE), np.float32))
                at += int(pause * RATE) / RATE
            parts.append(audio)
            turns.append(Turn(speaker, at, at + length))
            at += length
            spoken += length
            line = (line + 1) % len(LINES)
            if spoken >= max(target, turn_s[0]):
                break
        previous = speaker
    return Conversation(np.concatenate(parts), turns)


def diarization_error_rate(reference: Sequence[Turn], hypothesis: Sequence[Turn], collar: float = 0.25,
                           step: float = 0.01) -> float:
    """(missed speech + false alarm + speaker confusion) / reference speech,
    on frames of `step` seconds, with the hypothesis' speakers mapped to the
    reference's one to one so as to agree the most (Hungarian), and the
    frames within `collar` seconds of a reference turn's start or end not
    scored (the NIST md-eval convention)."""
    from scipy.optimize import linear_sum_assignment

    end = max([t.end for t in reference] + [t.end for t in hypothesis] + [0.0])
    n = int(np.ceil(end / step)) + 1

    def grid(turns: Sequence[Turn]) -> tuple[np.ndarray, list]:
        names = sorted({t.speaker for t in turns}, key=str)
        active = np.zeros((len(names), n), bool)
        for t in turns:
            active[names.index(t.speaker), int(round(t.start / step)):int(round(t.end / step))] = True
        return active, names

    ref, _ = grid(reference)
    hyp, _ = grid(hypothesis)
    scored = np.ones(n, bool)
    for t in reference:
        for edge in (t.start, t.end):
            scored[max(0, int(round((edge - collar) / step))):int(round((edge + collar) / step))] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    total = ref.sum()
    if total == 0:
        return 0.0 if hyp.sum() == 0 else 1.0
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    if len(ref) and len(hyp):
        overlap = ref.astype(np.int64) @ hyp.T.astype(np.int64)
        rows, cols = linear_sum_assignment(-overlap)
        correct = np.zeros(ref.shape[1], np.int64)
        for r, c in zip(rows, cols):
            correct += ref[r] & hyp[c]
    else:
        correct = np.zeros(ref.shape[1], np.int64)
    missed = np.maximum(0, n_ref - n_hyp).sum()
    false_alarm = np.maximum(0, n_hyp - n_ref).sum()
    confusion = (np.minimum(n_ref, n_hyp) - correct).sum()
    return float((missed + false_alarm + confusion) / total)
