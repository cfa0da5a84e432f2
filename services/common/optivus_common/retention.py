"""Keeps the files a service generates (synthesized speech, downloads)
from filling the disk: a periodic sweep removes the service's own files
older than a maximum age, then the oldest ones until the total is under a
maximum size. Only names the service itself generates are ever touched
(`owned`), so a caller's file in the same folder is never removed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retention:
    """max_age_s / max_bytes: 0 means no limit of that kind."""

    max_age_s: float
    max_bytes: int

    @classmethod
    def from_hours_mb(cls, hours: float, mb: float) -> Retention:
        return cls(max_age_s=hours * 3600, max_bytes=int(mb * 1024 * 1024))

    @property
    def enabled(self) -> bool:
        return bool(self.max_age_s or self.max_bytes)


@dataclass(frozen=True)
class Swept:
    files: int
    bytes: int


def sweep(folder: Path, retention: Retention, owned: Callable[[str], bool], now: float | None = None) -> Swept:
    """One pass over the regular files directly in `folder` whose names
    `owned` accepts. Blocking: run it in a thread."""
    now = time.time() if now is None else now
    entries = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if owned(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):
                        st = entry.stat(follow_symlinks=False)
                        entries.append((st.st_mtime, st.st_size, Path(entry.path)))
    except FileNotFoundError:
        return Swept(0, 0)
    entries.sort()  # oldest first
    total = sum(size for _, size, _ in entries)
    removed = removed_bytes = 0
    for mtime, size, path in entries:
        too_old = retention.max_age_s and now - mtime > retention.max_age_s
        too_much = retention.max_bytes and total > retention.max_bytes
        if not (too_old or too_much):
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
            removed_bytes += size
        total -= size
    return Swept(removed, removed_bytes)


@contextlib.asynccontextmanager
async def sweeping(folder: Path, retention: Retention, owned: Callable[[str], bool],
                   interval_s: float = 300.0) -> AsyncIterator[Callable[[], asyncio.Future]]:
    """Sweeps `folder` now and every interval_s while the block runs.
    Yields a function that runs one more sweep at once (the service calls
    it after writing a file, so a burst cannot outrun the interval)."""
    if not retention.enabled:
        async def nothing() -> Swept:
            return Swept(0, 0)

        yield nothing
        return
    lock = asyncio.Lock()

    async def once() -> Swept:
        async with lock:
            swept = await asyncio.to_thread(sweep, folder, retention, owned)
        if swept.files:
            log.info("retention removed files", extra={"folder": str(folder), "files": swept.files,
                                                       "bytes": swept.bytes})
        return swept

    async def loop() -> None:
        while True:
            try:
                await once()
            except Exception:  # noqa: BLE001 - a failed sweep must not stop the service
                log.exception("retention sweep failed", extra={"folder": str(folder)})
            await asyncio.sleep(interval_s)

    task = asyncio.create_task(loop())
    try:
        yield once
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
