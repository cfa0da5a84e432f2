"""Media blobs in a NATS JetStream Object Store bucket, so that services on
different machines can share files without a shared volume."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

from nats.js.api import ObjectStoreConfig
from nats.js.errors import BucketNotFoundError, ObjectNotFoundError

from .bus import close, connect_as
from .errors import InvalidArgument, NotFound, Unavailable
from .settings import CommonSettings

# A download that writes nothing for this long is given up (Unavailable, so
# that a pipeline stage retries it): nats-py's object-store get waits for
# its chunks with no timeout, and the ordered consumer behind it can be lost
# when nats-server restarts mid-transfer, leaving the get waiting forever.
STALL_S = 30.0

_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def validate_key(key: str) -> str:
    if not key or len(key) > 200 or not set(key) <= _KEY_CHARS or key.startswith("."):
        raise InvalidArgument("invalid blob key", reason="INVALID_BLOB_KEY")
    return key


def new_key(suffix: str = "") -> str:
    suffix = "".join(c for c in suffix.lower() if c.isalnum())[:8]
    return secrets.token_hex(16) + (f".{suffix}" if suffix else "")


class BlobStore:
    """`ttl_s` / `max_bytes` (0: none) bound the bucket: objects older than
    the TTL expire, and a put that would go over max_bytes is refused (the
    bucket's stream discards new data, never parts of stored objects).
    The first service that finds the bucket missing creates it; one that
    finds it with other limits brings them to its own."""

    def __init__(self, js, bucket: str, ttl_s: float = 0, max_bytes: int = 0, stall_s: float = STALL_S) -> None:
        self._js = js
        self._stall_s = stall_s
        self._bucket = bucket
        self._ttl_s = ttl_s
        self._max_bytes = max_bytes
        self._store = None
        self._lock = asyncio.Lock()

    async def _obs(self):
        async with self._lock:
            if self._store is None:
                try:
                    self._store = await self._js.object_store(self._bucket)
                    await self._apply_limits()
                except BucketNotFoundError:
                    self._store = await self._js.create_object_store(self._bucket, config=ObjectStoreConfig(
                        bucket=self._bucket, ttl=self._ttl_s or None, max_bytes=self._max_bytes or -1))
            return self._store

    async def _apply_limits(self) -> None:
        stream = f"OBJ_{self._bucket}"
        info = await self._js.stream_info(stream)
        config = info.config
        max_age = self._ttl_s or 0
        max_bytes = self._max_bytes or -1
        if (config.max_age or 0) != max_age or (config.max_bytes or -1) != max_bytes:
            config.max_age = max_age
            config.max_bytes = max_bytes
            if max_age and (config.duplicate_window or 0) > max_age:  # the server requires window <= age
                config.duplicate_window = max_age
            await self._js.update_stream(config)

    async def put_file(self, path: Path, key: str | None = None) -> str:
        key = validate_key(key or new_key(path.suffix))
        obs = await self._obs()
        with open(path, "rb") as f:
            await obs.put(key, f)
        return key

    async def put_bytes(self, data: bytes, key: str) -> str:
        obs = await self._obs()
        await obs.put(validate_key(key), data)
        return key

    async def get_to_file(self, key: str, dest: Path) -> Path:
        obs = await self._obs()
        try:
            with open(dest, "wb") as f:
                sink = _Progress(f)
                # writeinto streams chunks to the file (a plain get is ~10x slower)
                get = asyncio.ensure_future(obs.get(validate_key(key), writeinto=sink))
                try:
                    while not get.done():
                        await asyncio.wait({get}, timeout=max(0.0, sink.last + self._stall_s - time.monotonic()))
                        if not get.done() and time.monotonic() - sink.last >= self._stall_s:
                            raise Unavailable(f"blob download stalled: nothing came for {self._stall_s:g} s",
                                              reason="BLOB_STALLED")
                    get.result()
                finally:
                    if not get.done():
                        get.cancel()
                        with contextlib.suppress(BaseException):
                            await get
        except ObjectNotFoundError:
            dest.unlink(missing_ok=True)
            raise NotFound(f"blob not found: {key}", reason="BLOB_NOT_FOUND") from None
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        return dest

    async def delete(self, key: str) -> None:
        obs = await self._obs()
        try:
            await obs.delete(validate_key(key))
        except ObjectNotFoundError:
            pass


class _Progress:
    """A file that notes when it was last written to."""

    def __init__(self, f) -> None:
        self._f = f
        self.last = time.monotonic()

    def write(self, data: bytes) -> int:
        self.last = time.monotonic()
        return self._f.write(data)


@contextlib.asynccontextmanager
async def blob_store_from_settings(settings: CommonSettings) -> AsyncIterator[BlobStore | None]:
    """The service's blob store when OPTIVUS_NATS_URL is set, else None."""
    if not settings.nats_url:
        yield None
        return
    nc = await connect_as(settings)
    try:
        yield BlobStore(nc.jetstream(), settings.blob_bucket, ttl_s=settings.blob_ttl_hours * 3600,
                        max_bytes=int(settings.blob_max_mb * 1024 * 1024))
    finally:
        await close(nc)
