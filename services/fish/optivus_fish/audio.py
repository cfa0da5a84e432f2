"""Audio helpers: decoding reference clips (soundfile + librosa, never
torchaudio), 16-bit PCM and WAV framing."""

from __future__ import annotations

import io
import struct
from typing import NoReturn

import numpy as np

from optivus_common.errors import InvalidArgument

MIN_REFERENCE_SECONDS = 0.5
MAX_SAMPLE_RATE = 192_000
MAX_CHANNELS = 8
_BLOCK_FRAMES = 1 << 16
WAV_HEADER_BYTES = 44


def decode(data: bytes, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their rate. Raises InvalidArgument for
    anything libsndfile cannot read (wav, flac, ogg, mp3). With max_seconds,
    audio whose header says it is longer is refused before any decoding, and
    at most that many seconds are ever decoded (in blocks, mixed to mono as
    they come), so memory stays bounded whatever the header claims."""
    import soundfile as sf

    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            rate, channels = int(f.samplerate), int(f.channels)
            if not 0 < rate <= MAX_SAMPLE_RATE or not 0 < channels <= MAX_CHANNELS:
                raise InvalidArgument(f"the reference audio has {channels} channels at {rate} Hz; at most "
                                      f"{MAX_CHANNELS} channels and {MAX_SAMPLE_RATE} Hz are accepted",
                                      reason="REFERENCE_UNSUPPORTED")
            limit = None if max_seconds is None else int(max_seconds * rate)
            if limit is not None and f.frames > limit:
                _too_long(f.frames / rate, max_seconds)
            blocks, remaining = [], (1 << 62 if limit is None else limit + 1)
            while remaining > 0:
                block = f.read(min(_BLOCK_FRAMES, remaining), dtype="float32", always_2d=True)
                if not len(block):
                    break
                blocks.append(block.mean(axis=1, dtype=np.float32))
                remaining -= len(block)
    except InvalidArgument:
        raise
    except Exception:  # noqa: BLE001 - soundfile raises several types for bad input
        raise InvalidArgument("the reference audio could not be decoded (use WAV, FLAC, OGG or MP3)",
                              reason="REFERENCE_UNDECODABLE") from None
    samples = np.ascontiguousarray(np.concatenate(blocks) if blocks else np.zeros(0), dtype=np.float32)
    if limit is not None and samples.size > limit:  # the header understated the length
        _too_long(samples.size / rate, max_seconds)
    return samples, rate


def _too_long(seconds: float, max_seconds: float) -> NoReturn:
    raise InvalidArgument(f"the reference audio is {seconds:.0f} s long; at most {max_seconds:.0f} s is accepted",
                          reason="REFERENCE_TOO_LONG")


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return samples
    import librosa

    return librosa.resample(samples, orig_sr=rate, target_sr=target).astype(np.float32)


def to_pcm16(samples: np.ndarray) -> bytes:
    clipped = np.clip(np.nan_to_num(samples.astype(np.float32)), -1.0, 1.0)
    return (clipped * 32767.0).round().astype("<i2").tobytes()


def pcm16_to_float(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32767.0


def wav_header(sample_rate: int, data_bytes: int | None = None, channels: int = 1) -> bytes:
    """A PCM16 WAV header (WAV_HEADER_BYTES long). data_bytes None: a streaming header whose
    sizes say "unknown" (0xFFFFFFFF), as players of live WAV expect."""
    size = 0xFFFFFFFF if data_bytes is None else data_bytes
    riff = 0xFFFFFFFF if data_bytes is None else 36 + data_bytes
    block = channels * 2
    return (b"RIFF" + struct.pack("<I", riff) + b"WAVE" + b"fmt " +
            struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block, block, 16) +
            b"data" + struct.pack("<I", size))


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    pcm = to_pcm16(samples)
    return wav_header(sample_rate, len(pcm)) + pcm


def reference_clip(data: bytes, max_seconds: float) -> tuple[bytes, float]:
    """Checks a reference clip and returns it as mono PCM16 WAV bytes (at its
    own rate) with its duration."""
    if not data:
        raise InvalidArgument("the reference audio is empty", reason="REFERENCE_EMPTY")
    samples, rate = decode(data, max_seconds)
    duration = samples.size / rate
    if duration < MIN_REFERENCE_SECONDS:
        raise InvalidArgument(f"the reference audio is {duration:.2f} s long; at least "
                              f"{MIN_REFERENCE_SECONDS} s is needed", reason="REFERENCE_TOO_SHORT")
    return wav_bytes(samples, rate), duration
