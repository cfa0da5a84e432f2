"""Media blobs in a NATS JetStream Object Store bucket, so that services on
different machines can share files without a shared volume."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

from nats.js.errors import BucketNotFoundError, ObjectNotFoundError

from .bus import connect
from .errors import InvalidArgument, NotFound
from .settings import CommonSettings

_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def validate_key(key: str) -> str:
    if not key or len(key) > 200 or not set(key) <= _KEY_CHARS or key.startswith("."):
        raise InvalidArgument("invalid blob key", reason="INVALID_BLOB_KEY")
    return key


def new_key(suffix: str = "") -> str:
    suffix = "".join(c for c in suffix.lower() if c.isalnum())[:8]
    return secrets.token_hex(16) + (f".{suffix}" if suffix else "")


class BlobStore:
    def __init__(self, js, bucket: str) -> None:
        self._js = js
        self._bucket = bucket
        self._store = None
        self._lock = asyncio.Lock()

    async def _obs(self):
        async with self._lock:
            if self._store is None:
                try:
                    self._store = await self._js.object_store(self._bucket)
                except BucketNotFoundError:
                    self._store = await self._js.create_object_store(self._bucket)
            return self._store

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
                # writeinto streams chunks to the file (a plain get is ~10x slower)
                await obs.get(validate_key(key), writeinto=f)
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


@contextlib.asynccontextmanager
async def blob_store_from_settings(settings: CommonSettings) -> AsyncIterator[BlobStore | None]:
    """The service's blob store when OPTIVUS_NATS_URL is set, else None."""
    if not settings.nats_url:
        yield None
        return
    nc = await connect(settings.nats_url, settings.service_name)
    try:
        yield BlobStore(nc.jetstream(), settings.blob_bucket)
    finally:
        try:
            await nc.drain()
        except Exception:  # noqa: BLE001 - NATS already gone: nothing left to flush
            await nc.close()
