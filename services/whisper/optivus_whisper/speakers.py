"""Speaker encoders: a voice embedding for each short window of speech.
The diarization (diarization.py) needs only this interface, so a heavier
model (pyannote's or NeMo's embeddings, where their weights exist) can be
set beside Resemblyzer without touching the clustering. Model-facing only:
plain numpy in and out, no transport."""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np

from .audio import SAMPLE_RATE


class SpeakerEncoder(Protocol):
    name: str
    # Seconds of audio each embedding covers.
    window_s: float

    def load(self) -> None: ...

    def embed(self, audio: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """L2-normalised embeddings (len(starts) x dim) of the windows of
        window_s seconds starting at `starts` (seconds into `audio`, 16 kHz
        mono float32; a window past the end is padded with silence)."""
        ...


# Resemblyzer's input level (its preprocess_wav): its mel spectrogram is not
# logarithmic, so loudness changes the embedding unless it is set first.
TARGET_DBFS = -30.0
BATCH = 64


class ResemblyzerEncoder:
    """Resemblyzer's GE2E d-vector model (3 LSTM layers, 256 dimensions),
    whose weights ship inside its wheel; 1.6 s windows, on the CPU."""

    name = "resemblyzer"
    window_s = 1.6

    def __init__(self, threads: int = 0) -> None:
        self._model = None
        self._threads = threads
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            import torch
            from resemblyzer import VoiceEncoder

            if self._threads:
                torch.set_num_threads(self._threads)
            model = VoiceEncoder(device="cpu", verbose=False)
            self._model = model
        # librosa's first mel spectrogram takes about a second (its caches); not a request's.
        self.embed(np.zeros(SAMPLE_RATE, np.float32), np.zeros(1))

    def embed(self, audio: np.ndarray, starts: np.ndarray) -> np.ndarray:
        import torch
        from resemblyzer.audio import wav_to_mel_spectrogram
        from resemblyzer.hparams import mel_window_step, partials_n_frames

        self.load()
        rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0
        if rms > 0:
            audio = audio * (10 ** (TARGET_DBFS / 20) / rms)
        per_second = 1000 // mel_window_step
        frames = [int(round(s * per_second)) for s in starts]
        need = (max(frames) + partials_n_frames) * SAMPLE_RATE // per_second if frames else 0
        if audio.size < need:
            audio = np.pad(audio, (0, need - audio.size))
        mel = wav_to_mel_spectrogram(audio.astype(np.float32))
        if mel.shape[0] < max(frames, default=0) + partials_n_frames:
            mel = np.pad(mel, ((0, max(frames) + partials_n_frames - mel.shape[0]), (0, 0)))
        windows = np.stack([mel[f:f + partials_n_frames] for f in frames]) if frames else np.zeros((0, 1, 1))
        out = []
        with torch.inference_mode():
            for i in range(0, len(windows), BATCH):
                out.append(self._model(torch.from_numpy(windows[i:i + BATCH])).numpy())
        return np.concatenate(out) if out else np.zeros((0, 256), np.float32)


ENCODERS = {"resemblyzer": ResemblyzerEncoder}
