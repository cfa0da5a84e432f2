"""Audio helpers: decoding reference clips (soundfile + librosa, never
torchaudio), 16-bit PCM and WAV framing."""

from __future__ import annotations

import io
import struct

import numpy as np

from optivus_common.errors import InvalidArgument

MIN_REFERENCE_SECONDS = 0.5


def decode(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their rate. Raises InvalidArgument for
    anything libsndfile cannot read (wav, flac, ogg, mp3)."""
    import soundfile as sf

    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception:  # noqa: BLE001 - soundfile raises several types for bad input
        raise InvalidArgument("the reference audio could not be decoded (use WAV, FLAC, OGG or MP3)",
                              reason="REFERENCE_UNDECODABLE") from None
    return np.ascontiguousarray(samples.mean(axis=1), dtype=np.float32), int(rate)


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
    """A 44-byte PCM16 WAV header. data_bytes None: a streaming header whose
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
    samples, rate = decode(data)
    duration = samples.size / rate if rate else 0.0
    if duration < MIN_REFERENCE_SECONDS:
        raise InvalidArgument(f"the reference audio is {duration:.2f} s long; at least "
                              f"{MIN_REFERENCE_SECONDS} s is needed", reason="REFERENCE_TOO_SHORT")
    if duration > max_seconds:
        raise InvalidArgument(f"the reference audio is {duration:.0f} s long; at most {max_seconds:.0f} s is accepted",
                              reason="REFERENCE_TOO_LONG")
    return wav_bytes(samples, rate), duration
