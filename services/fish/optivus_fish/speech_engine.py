"""The speech engine protocol (what Fish Speech and Piper both offer) and
the plain types it speaks in. Model-facing only: no gRPC here."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Params:
    """Fish sampling settings; None means the engine's default."""

    temperature: float | None = None
    top_p: float | None = None
    repetition_penalty: float | None = None
    max_new_tokens: int | None = None
    chunk_length: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class ReferenceClip:
    """A voice sample: mono PCM16 WAV bytes and what is said in it."""

    wav: bytes
    text: str


@dataclass(frozen=True)
class SpokenPiece:
    """The audio of one piece of text (a sentence), float32 mono."""

    index: int
    samples: np.ndarray


class SpeechEngine(Protocol):
    name: str  # "fish" or "piper"
    description: str  # what speaks, e.g. "fish:openaudio-s1-mini"
    sample_rate: int
    clones_voices: bool

    def load(self) -> None: ...

    def speak(self, pieces: Sequence[str], references: Sequence[ReferenceClip], params: Params,
              stop: threading.Event) -> Iterator[SpokenPiece]:
        """Yields one SpokenPiece per piece, in order, as each is ready.
        Blocking: call it from a worker thread."""
        ...

    def close(self) -> None: ...
