"""WhisperEngine: faster-whisper, loaded once per process. Model-facing
only: no gRPC here. transcribe() decodes the audio, then yields segments
lazily as the model produces them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import av
import numpy as np

from optivus_common.errors import InvalidArgument, ResourceExhausted, Unavailable
from optivus_common.safe_av import open_container

from .config import WhisperSettings
from .model_files import resolve_model

log = logging.getLogger(__name__)
SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Options:
    language: str | None = None
    task: str = "transcribe"
    word_timestamps: bool = False
    vad_filter: bool = False
    beam_size: int | None = None
    initial_prompt: str | None = None


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class Segment:
    index: int
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@dataclass(frozen=True)
class AudioInfo:
    language: str
    language_probability: float
    duration: float


def _audio_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _frames(container):
    """The first audio stream's frames, skipping frames FFmpeg cannot decode
    (as faster-whisper does)."""
    frames = container.decode(audio=0)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue
        yield frame


def decode(source: str | bytes, max_seconds: float) -> np.ndarray:
    """16 kHz mono float32 samples of the first audio stream. Opens only
    plain containers (optivus_common.safe_av), refuses audio longer than
    max_seconds before decoding it, and raises InvalidArgument for anything
    that is not decodable audio."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    decoded = 0
    try:
        with open_container(source) as container:
            if not container.streams.audio:
                raise InvalidArgument("the media has no audio stream", reason="NO_AUDIO_STREAM")
            duration = _audio_duration(container, container.streams.audio[0])
            if duration is not None and duration > max_seconds:
                raise ResourceExhausted(
                    f"the audio is {duration:.0f} s long; this server accepts at most {max_seconds:.0f} s",
                    reason="AUDIO_TOO_LONG", duration_s=round(duration), limit_s=round(max_seconds))
            for frame in _frames(container):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    decoded += chunks[-1].size
                if decoded > max_seconds * SAMPLE_RATE:  # the container under-reported its duration
                    raise ResourceExhausted(f"the audio is longer than {max_seconds:.0f} s", reason="AUDIO_TOO_LONG")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except av.FFmpegError:
        raise InvalidArgument("the file is not audio or video that can be decoded",
                              reason="MEDIA_UNDECODABLE") from None
    if not chunks:
        raise InvalidArgument("the media contains no audio samples", reason="NO_AUDIO")
    return np.concatenate(chunks).astype(np.float32) / 32768.0


class WhisperEngine:
    def __init__(self, settings: WhisperSettings) -> None:
        self._settings = settings
        self._model = None
        self.model_name = settings.model
        self._load_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _device(self) -> tuple[str, str]:
        device = self._settings.device
        if device == "auto":
            import ctranslate2

            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
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

    @property
    def multilingual(self) -> bool:
        return bool(self._model and self._model.model.is_multilingual)

    def _check_options(self, options: Options) -> None:
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
                   stop: threading.Event | None = None) -> Iterator[AudioInfo | Segment]:
        """Yields one AudioInfo, then the segments as they are decoded.
        Blocking: call it from a worker thread."""
        self._require_loaded()
        self._check_options(options)
        audio = decode(source, self._settings.max_audio_seconds)
        yield from self.transcribe_array(audio, options, stop)

    def transcribe_array(self, audio: np.ndarray, options: Options,
                         stop: threading.Event | None = None) -> Iterator[AudioInfo | Segment]:
        """As transcribe(), for 16 kHz mono float32 samples."""
        self._require_loaded()
        self._check_options(options)
        segments, info = self._model.transcribe(
            audio,
            language=options.language or None,
            task=options.task,
            beam_size=options.beam_size or self._settings.default_beam_size,
            word_timestamps=options.word_timestamps,
            vad_filter=options.vad_filter,
            initial_prompt=options.initial_prompt or None,
        )
        yield AudioInfo(info.language, float(info.language_probability), float(info.duration))
        for index, seg in enumerate(segments):
            if stop is not None and stop.is_set():
                return
            yield Segment(
                index=index, start=float(seg.start), end=float(seg.end), text=seg.text.strip(),
                words=[Word(float(w.start), float(w.end), w.word, float(w.probability)) for w in seg.words or []],
                avg_logprob=float(seg.avg_logprob), no_speech_prob=float(seg.no_speech_prob),
            )

    def _require_loaded(self) -> None:
        if self._model is None:
            raise Unavailable("the Whisper model is still loading", reason="MODEL_NOT_LOADED")
