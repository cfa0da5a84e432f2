"""WhisperEngine: faster-whisper, loaded once per process. Model-facing
only: no gRPC here. transcribe() decodes the audio in bounded blocks and
yields segments lazily as the model produces them, then an AudioInfo."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace

import numpy as np

from optivus_common.devices import pick_device
from optivus_common.errors import InvalidArgument, still_loading

from .audio import BLOCK_S, SAMPLE_RATE, decode_blocks
from .batched import BatchedDecoder
from .config import WhisperSettings
from .model_files import resolve_model
from .sequential import transcribe_blocks
from .transcript import AudioInfo, Options, Segment, Word

__all__ = ["SAMPLE_RATE", "AudioInfo", "Options", "Segment", "Word", "WhisperEngine"]

log = logging.getLogger(__name__)


def _ctranslate2_has_cuda() -> bool:
    import ctranslate2

    return ctranslate2.get_cuda_device_count() > 0


class WhisperEngine:
    def __init__(self, settings: WhisperSettings) -> None:
        self._settings = settings
        self._model = None
        self._batched: BatchedDecoder | None = None
        self.model_name = settings.model
        self.device = ""  # where the model runs ("cpu", "cuda"), once loaded
        self._load_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _device(self) -> tuple[str, str]:
        device = pick_device(self._settings.device, _ctranslate2_has_cuda)
        compute = self._settings.compute_type
        if compute == "auto":
            compute = "float16" if device == "cuda" else "int8"
        return device, compute

    def load(self) -> None:
        from faster_whisper import WhisperModel

        with self._load_lock:
            if self._model is not None:
                return
            path = resolve_model(self._settings.model, self._settings.model_cache)
            device, compute = self._device()
            log.info("loading whisper model", extra={"model": self._settings.model, "device": device,
                                                      "compute_type": compute})
            try:
                self._model = WhisperModel(
                    path, device=device, compute_type=compute,
                    num_workers=self._settings.batch_workers, cpu_threads=self._settings.cpu_threads,
                    download_root=str(self._settings.model_cache / "hub"),
                )
            except Exception as exc:
                raise RuntimeError(
                    f"could not load Whisper model {self._settings.model!r} ({exc}). Offline, use "
                    "AI_WHISPER_MODEL=base or tiny.en (packaged) or a local CTranslate2 folder."
                ) from exc
            self.device = device
            self._batched = BatchedDecoder(self._model, self._settings.batch_size,
                                           self._settings.batch_wait_ms / 1000)

    @property
    def batch_stats(self):
        """Batches run so far and their sizes (for logs and tests)."""
        return self._batched.stats if self._batched else None

    @property
    def batch_times(self):
        """Seconds spent so far in each stage of batched decoding."""
        return self._batched.times if self._batched else None

    @property
    def multilingual(self) -> bool:
        return bool(self._model and self._model.model.is_multilingual)

    def check_options(self, options: Options) -> None:
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        if options.language:
            if options.language not in _LANGUAGE_CODES:
                raise InvalidArgument(f"unknown language code {options.language!r}", reason="UNKNOWN_LANGUAGE")
            if not self.multilingual and options.language != "en":
                raise InvalidArgument(f"the loaded model {self.model_name!r} understands English only",
                                      reason="LANGUAGE_NOT_SUPPORTED")
        if options.task == "translate" and not self.multilingual:
            raise InvalidArgument("translation needs a multilingual model", reason="TASK_NOT_SUPPORTED")

    def transcribe(self, source: str | bytes, options: Options,
                   stop: threading.Event | None = None) -> Iterator[Segment | AudioInfo]:
        """Yields the segments as they are decoded, then one AudioInfo (which
        says how the file was decoded). Blocking: call it from a worker thread."""
        self._require_loaded()
        self.check_options(options)
        blocks = iter(decode_blocks(source, self._settings.max_audio_seconds))
        decoding, blocks = self._choose(options, blocks)
        if decoding == "batched":
            items = self._batched.transcribe(blocks, options, self._beam(options), stop)
        else:
            items = transcribe_blocks(self._model, blocks, options, self._beam(options), stop)
        for item in items:
            yield replace(item, decoding=decoding) if isinstance(item, AudioInfo) else item

    def _choose(self, options: Options, blocks: Iterator) -> tuple[str, Iterable]:
        """Batched or sequential: the request's choice, else the setting's;
        "auto" is batched unless the whole clip is shorter than
        batched_min_seconds (known once its first block is decoded)."""
        decoding = options.decoding if options.decoding != "auto" else self._settings.decoding
        if decoding != "auto":
            return decoding, blocks
        head = list(itertools.islice(blocks, 1))
        short = bool(head) and head[0].size < min(self._settings.batched_min_seconds, BLOCK_S) * SAMPLE_RATE
        return ("sequential" if short else "batched"), itertools.chain(head, blocks)

    def transcribe_array(self, audio: np.ndarray, options: Options,
                         stop: threading.Event | None = None) -> Iterator[Segment | AudioInfo]:
        """As transcribe(), for 16 kHz mono float32 samples."""
        self._require_loaded()
        self.check_options(options)
        yield from transcribe_blocks(self._model, [audio], options, self._beam(options), stop)

    def _beam(self, options: Options) -> int:
        return options.beam_size or self._settings.default_beam_size

    def _require_loaded(self) -> None:
        if self._model is None:
            raise still_loading("Whisper model")
