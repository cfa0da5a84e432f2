"""Where upload records live: a NATS key-value bucket whose entries
expire with the uploads (with NATS, so every gateway replica sees them),
or a JSON file beside each upload in the upload folder (without)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, KeyNotFoundError

from .records import UploadRecord

BUCKET = "optivus-uploads"


class FolderIndex:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def _path(self, hex_id: str) -> Path:
        return self._folder / f"{hex_id}.json"

    async def put(self, record: UploadRecord) -> None:
        path = self._path(record.hex)
        tmp = path.with_name(f".{record.hex}.json.part")
        await asyncio.to_thread(tmp.write_bytes, record.to_json())
        tmp.replace(path)

    async def get(self, hex_id: str) -> UploadRecord | None:
        try:
            return UploadRecord.from_json(await asyncio.to_thread(self._path(hex_id).read_bytes))
        except FileNotFoundError:
            return None

    async def delete(self, hex_id: str) -> None:
        self._path(hex_id).unlink(missing_ok=True)


class KvIndex:
    def __init__(self, kv) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js, ttl_s: float) -> KvIndex:
        try:
            kv = await js.key_value(BUCKET)
        except BucketNotFoundError:
            kv = await js.create_key_value(KeyValueConfig(bucket=BUCKET, history=1, ttl=ttl_s))
        return cls(kv)

    async def put(self, record: UploadRecord) -> None:
        await self._kv.put(record.hex, record.to_json())

    async def get(self, hex_id: str) -> UploadRecord | None:
        try:
            entry = await self._kv.get(hex_id)
        except KeyNotFoundError:
            return None
        return UploadRecord.from_json(entry.value) if entry.value else None

    async def delete(self, hex_id: str) -> None:
        with contextlib.suppress(KeyNotFoundError):
            await self._kv.delete(hex_id)
