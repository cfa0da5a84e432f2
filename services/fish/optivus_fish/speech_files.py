"""The WAV files the service stores under FS_PATH (`store` requests).
Their names have one form, fish-<UTC time>-<12 hex>.wav, and retention
removes only files of that form, so a caller's file in FS_PATH is never
touched."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

from . import audio

NAME = re.compile(r"fish-\d{8}-\d{6}-[0-9a-f]{12}\.wav")


def owned(name: str) -> bool:
    return NAME.fullmatch(name) is not None


def new_name() -> str:
    return f"fish-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(6)}.wav"


def write(folder: Path, name: str, pcm: bytes, sample_rate: int) -> Path:
    """Writes a new file (never over an existing one). Blocking."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with open(path, "xb") as f:
        f.write(audio.wav_header(sample_rate, len(pcm)) + pcm)
    return path
