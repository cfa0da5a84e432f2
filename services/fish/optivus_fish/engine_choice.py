"""Chooses the speech engine: loads the engines the settings ask for and
picks one per request:
`auto` is Fish when its checkpoint resolves, else Piper."""

from __future__ import annotations

import logging

from optivus_common.errors import FailedPrecondition, still_loading

from .checkpoint import CheckpointError, resolve
from .config import FishSettings
from .speech_engine import SpeechEngine
from .fish_speech_engine import FishEngine
from .piper_engine import PiperEngine, PiperUnavailable

log = logging.getLogger(__name__)

VOICE_CLONING_NEEDS_FISH = "voice cloning needs the fish engine"


class Engines:
    def __init__(self, settings: FishSettings) -> None:
        self._settings = settings
        self.fish: SpeechEngine | None = None
        self.piper: SpeechEngine | None = None
        self.fish_error = "the fish engine is turned off (OPTIVUS_FISH_ENGINE=piper)"
        self.piper_error = "the piper engine is turned off (OPTIVUS_FISH_ENGINE=fish)"
        self.loaded = False

    def _load_fish(self) -> None:
        s = self._settings
        try:
            folder = resolve(s.model, s.model_cache, s.download)
        except CheckpointError as exc:
            self.fish_error = str(exc)
            # A folder named explicitly, or fish asked for, must work; a hub
            # id that is not here falls back to Piper.
            if s.engine == "fish" or s.model.strip().startswith(("/", ".", "~")):
                raise
            log.warning("fish engine not available: %s", exc)
            return
        engine = FishEngine(folder, device=s.device, precision=s.precision, compile=s.compile,
                            max_new_tokens=s.max_new_tokens, cache_size=s.reference_cache_size)
        engine.load()
        self.fish = engine

    def _load_piper(self) -> None:
        engine = PiperEngine(self._settings.piper_voice)
        try:
            engine.load()
        except PiperUnavailable as exc:
            self.piper_error = str(exc)
            if self._settings.engine == "piper":
                raise
            log.warning("piper engine not available: %s", exc)
            return
        self.piper = engine

    def load(self) -> None:
        if self._settings.engine in ("auto", "fish"):
            self._load_fish()
        if self._settings.engine in ("auto", "piper"):
            self._load_piper()
        self.loaded = True
        log.info("engines ready", extra={"fish": self.fish.description if self.fish else None,
                                         "piper": self.piper.description if self.piper else None})

    def pick(self, requested: str | None, clones: bool) -> SpeechEngine:
        """The engine for a request: `requested` is "fish", "piper" or None (auto)."""
        if not self.loaded:
            raise still_loading("speech model")
        if requested == "piper" or (requested is None and self.fish is None):
            if clones:
                raise FailedPrecondition(
                    VOICE_CLONING_NEEDS_FISH + ("" if self.fish else f", which is not available: {self.fish_error}"),
                    reason="VOICE_CLONING_NEEDS_FISH")
            if self.piper is None:
                if requested is None:
                    raise FailedPrecondition(f"no speech engine is available: {self.fish_error}; {self.piper_error}",
                                             reason="NO_TTS_ENGINE")
                raise FailedPrecondition(f"the piper engine is not available: {self.piper_error}",
                                         reason="PIPER_NOT_AVAILABLE")
            return self.piper
        if self.fish is None:
            raise FailedPrecondition(f"the fish engine is not available: {self.fish_error}",
                                     reason="FISH_NOT_AVAILABLE")
        return self.fish

    def close(self) -> None:
        for engine in (self.fish, self.piper):
            if engine is not None:
                engine.close()
