"""Reads a client's reference audio (a path under the media folders, a
blob or inline bytes) within the size cap, and checks it as a voice clip."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from optivus_common.errors import InvalidArgument
from optivus_common.media import MediaResolver, MediaSource

from . import audio


def _read_at_most(path: Path, cap: int) -> tuple[int, bytes]:
    """(size, bytes): nothing is read when the file is over `cap` bytes, and
    never more than cap + 1 bytes, even if the file grows meanwhile."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > cap:
            return size, b""
        data = f.read(cap + 1)
    return max(size, len(data)), data


class ReferenceAudio:
    def __init__(self, media: MediaResolver, max_mb: float, max_seconds: float) -> None:
        self._media = media
        self._max_mb = max_mb
        self._cap = int(max_mb * 1024 * 1024)
        self._max_seconds = max_seconds

    async def read(self, source: MediaSource) -> bytes:
        async with self._media.open(source, "reference audio") as media:
            if media.content is not None:
                size = len(media.content)
                data = media.content if size <= self._cap else b""
            else:
                size, data = await asyncio.to_thread(_read_at_most, media.path, self._cap)
        if size > self._cap:
            raise InvalidArgument(f"the reference audio is {size / 1048576:.1f} MB; at most {self._max_mb:g} MB "
                                  f"is accepted", reason="REFERENCE_TOO_LARGE")
        return data

    async def clip(self, source: MediaSource) -> tuple[bytes, float]:
        """The audio as mono PCM16 WAV bytes, and its duration in seconds."""
        data = await self.read(source)
        return await asyncio.to_thread(audio.reference_clip, data, self._max_seconds)
